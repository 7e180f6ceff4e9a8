"""The Alibaba RPC wire: signatures (V2 raw + old core, V3 via the Tea SDK), the error envelope,
dispatch errors, Format=XML, form bodies, '+' decoding and boolean spellings.

Sources: /work/shared/spec/ess-api.md §1 (wire), §1.6 (common errors), DESIGN.md §7 (SignatureDoesNotMatch)."""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid
import xml.etree.ElementTree as ET

import pytest
import requests

import alibabacloud_ess20220222.models as ess_models
from alibabacloud_ess20220222.client import Client as EssClient
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkess.request.v20140828.DeleteScalingGroupRequest import DeleteScalingGroupRequest
from aliyunsdkess.request.v20140828.DescribeScalingGroupsRequest import DescribeScalingGroupsRequest
from darabonba.core import DaraCore

import esl_schema
from esl_helpers import (
    REGION,
    UUID_UPPER,
    assert_error_body,
    call,
    create_group,
    expect_error,
    group,
    pct,
    send_v2,
    utc_timestamp,
    v2_common,
    v2_sign,
    v2_string_to_sign,
)

V2022 = "2022-02-22"
SIG_PREFIX = "Specified signature is not matched with our calculation. server string to sign is:"
# HTTP status 400 as ess-api.md §1.6 says. The Message is the POP gateway's real text (seen in real
# error bodies, e.g. GitHub XWJR-Ops/zabbix-RDS-monitor#9); the §1.6 text "The Access Key ID provided
# does not exist in our records." is OSS's wording, not the RPC gateway's.
MSG_AK_NOT_FOUND = "Specified access key is not found."


def ok_json(r) -> dict:
    assert r.status == 200, f"HTTP {r.status}: {r.content[:500]!r}"
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    return r.json()


def err_json(r, status: int, code: str) -> dict:
    assert r.status == status, f"expected HTTP {status} {code}, got {r.status}: {r.content[:500]!r}"
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    body = r.json()
    assert_error_body(body, code)
    return body


# ------------------------------------------------------------------------------------------------
# The signers used by this file are checked against the spec's test vectors first (no server).

def test_v2_signer_matches_spec_vector():
    # ess-api.md §1.3 [RUN]
    params = {
        "Action": "DescribeScalingGroups",
        "Format": "json",
        "Version": "2022-02-22",
        "Timestamp": "2025-01-01T00:00:00Z",
        "SignatureNonce": "nonce-0001",
        "PageSize": "10",
        "RegionId": "cn-hangzhou",
        "ScalingGroupNames.1": "a b",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "AccessKeyId": "testid",
    }
    sig, sts = v2_sign("POST", params, "testsecret")
    assert sts == (
        "POST&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeScalingGroups%26Format%3Djson%26PageSize%3D10"
        "%26RegionId%3Dcn-hangzhou%26ScalingGroupNames.1%3Da%2520b%26SignatureMethod%3DHMAC-SHA1"
        "%26SignatureNonce%3Dnonce-0001%26SignatureVersion%3D1.0%26Timestamp%3D2025-01-01T00%253A00%253A00Z"
        "%26Version%3D2022-02-22"
    )
    assert sig == "Exiv2ymsT/2ZxlkCK1q+Y8j33QU="


def v3_string_to_sign(method: str, query: dict, headers: dict, authorization: str) -> str:
    """ess-api.md §1.4: canonical request from the SignedHeaders named in Authorization."""
    signed = authorization.split("SignedHeaders=", 1)[1].split(",", 1)[0].split(";")
    lower = {k.lower(): str(v) for k, v in headers.items()}
    cq = "&".join(f"{k}={pct(v)}" for k, v in sorted(query.items()) if v is not None)
    ch = "".join(f"{h}:{lower[h].strip()}\n" for h in signed)
    canonical = f"{method}\n/\n{cq}\n{ch}\n{';'.join(signed)}\n{lower['x-acs-content-sha256']}"
    return "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()


def test_v3_string_to_sign_matches_spec_vector():
    # ess-api.md §1.4 [RUN]
    headers = {
        "accept": "application/json",
        "host": "127.0.0.1:18080",
        "user-agent": "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
        "x-acs-action": "DescribeScalingGroups",
        "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "x-acs-credentials-provider": "static_ak",
        "x-acs-date": "2025-01-01T00:00:00Z",
        "x-acs-signature-nonce": "nonce-0001",
        "x-acs-version": "2022-02-22",
    }
    auth = (
        "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=accept;host;user-agent;x-acs-action;"
        "x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,"
        "Signature=d9e0d702a7b92eb3eac0278a215fbf47acd4400216ef92459da5c6462ab5e8db"
    )
    sts = v3_string_to_sign("POST", {"PageSize": "10", "RegionId": "cn-hangzhou", "ScalingGroupNames.1": "a b"}, headers, auth)
    assert sts == "ACS3-HMAC-SHA256\n6c089315cf95d059ba97d28fc5f5c6e572eab133f6b09f53b4f83ab34d40d8f0"


# ------------------------------------------------------------------------------------------------
# Admin endpoints

def test_health_and_virtual_clock(server, advance):
    assert requests.get(f"{server.base_url}/_ess-local/health", timeout=5).status_code == 200
    t1 = dt.datetime.fromisoformat(advance(1).replace("Z", "+00:00"))
    t2 = dt.datetime.fromisoformat(advance(60).replace("Z", "+00:00"))
    # Virtual clock: time moves only on advance, and by exactly the amount asked for.
    assert t2 - t1 == dt.timedelta(seconds=60)


# ------------------------------------------------------------------------------------------------
# V2 signatures (raw requests)

def test_v2_signed_request_succeeds(server):
    q = v2_common("DescribeScalingGroups", V2022, server.access_key_id, RegionId=REGION, PageSize=7)
    body = ok_json(send_v2(server, q))
    esl_schema.validate(V2022, "DescribeScalingGroups", body)
    assert UUID_UPPER.match(body["RequestId"]), body  # ess-api.md §1.5: an uppercase UUID
    assert body["PageSize"] == 7
    assert body["PageNumber"] == 1
    assert isinstance(body["ScalingGroups"], list)


def test_v2_get_method_accepted(server):
    # ess-api.md §1.1: accept GET too (the docs show GET URLs).
    q = v2_common("DescribeScalingGroups", V2022, server.access_key_id, RegionId=REGION, PageSize=3)
    body = ok_json(send_v2(server, q, method="GET"))
    esl_schema.validate(V2022, "DescribeScalingGroups", body)
    assert body["PageSize"] == 3


def test_v2_unknown_access_key(server):
    q = v2_common("DescribeScalingGroups", V2022, "NoSuchAccessKeyId0000", RegionId=REGION)
    body = err_json(send_v2(server, q), 400, "InvalidAccessKeyId.NotFound")
    assert body["Message"] == MSG_AK_NOT_FOUND


def test_old_core_unknown_access_key(core_factory):
    core = core_factory(ak="NoSuchAccessKeyId0000")
    req = DescribeScalingGroupsRequest()
    with pytest.raises(ServerException) as ei:
        core.do(req)
    assert (ei.value.get_http_status(), ei.value.get_error_code()) == (400, "InvalidAccessKeyId.NotFound")


def test_v3_unknown_access_key(tea_config):
    client = EssClient(tea_config(access_key_id="NoSuchAccessKeyId0000"))
    expect_error(
        client.describe_scaling_groups,
        ess_models.DescribeScalingGroupsRequest(region_id=REGION),
        status=400,
        code="InvalidAccessKeyId.NotFound",
        message=MSG_AK_NOT_FOUND,
    )


def test_v2_wrong_secret_names_the_server_string_to_sign(server):
    q = v2_common("DescribeScalingGroups", V2022, server.access_key_id, RegionId=REGION, **{"ScalingGroupNames.1": "a b"})
    r = send_v2(server, q, secret="wrong-secret")
    body = err_json(r, 400, "SignatureDoesNotMatch")
    # DESIGN.md §7 / ess-api.md §1.5: the gateway text, followed by the server's StringToSign,
    # which must equal the client's (same canonicalisation, '+' decoded as a space).
    assert body["Message"].startswith(SIG_PREFIX), body
    assert body["Message"] == SIG_PREFIX + r.string_to_sign


def test_old_core_wrong_secret_does_not_crash(core_factory):
    # aliyunsdkcore/client.py _get_server_exception: on HTTP 400 SignatureDoesNotMatch it evaluates
    # Message.split(':')[1] (IndexError without a ':'), and when that equals its own StringToSign it
    # re-labels the error InvalidAccessKeySecret. So a server whose string to sign is exactly the
    # client's yields this code; anything else would surface as SignatureDoesNotMatch.
    core = core_factory(secret="wrong-secret")
    with pytest.raises(ServerException) as ei:
        core.do(DescribeScalingGroupsRequest())
    e = ei.value
    assert e.get_http_status() == 400
    assert e.get_error_code() == "InvalidAccessKeySecret", (e.get_error_code(), e.get_error_msg())
    assert e.get_error_msg() == "The AccessKeySecret is incorrect. Please check your AccessKeyId and AccessKeySecret."


def test_v3_wrong_secret(tea_config, monkeypatch):
    sent = {}
    orig = DaraCore.do_action

    def spy(request, runtime=None):
        sent["req"] = request
        return orig(request, runtime)

    monkeypatch.setattr(DaraCore, "do_action", staticmethod(spy))
    client = EssClient(tea_config(access_key_secret="wrong-secret"))
    e = expect_error(
        client.describe_scaling_groups,
        ess_models.DescribeScalingGroupsRequest(region_id=REGION, scaling_group_names=["a b"]),
        status=400,
        code="SignatureDoesNotMatch",
    )
    req = sent["req"]
    expected_sts = v3_string_to_sign(req.method, req.query, req.headers, req.headers["Authorization"])
    # DESIGN.md §7: the Message ends with "server string to sign is:<StringToSign>" (here V3's).
    assert e.data["Message"].endswith("server string to sign is:" + expected_sts), e.data


def test_v2_expired_timestamp(server):
    q = v2_common("DescribeScalingGroups", V2022, server.access_key_id, RegionId=REGION, Timestamp=utc_timestamp(-20 * 60))
    body = err_json(send_v2(server, q), 400, "InvalidTimeStamp.Expired")
    # The POP gateway's exact text, from real error bodies (GitHub jeessy2/ddns-go#1291:
    # {"Message":"Specified time stamp or date value is expired.","Code":"InvalidTimeStamp.Expired"}, 400;
    # overtrue/laravel-mail-aliyun#4 quoting the error centre).
    assert body["Message"] == "Specified time stamp or date value is expired."


def test_v2_nonce_reuse(server):
    nonce = uuid.uuid4().hex
    q = v2_common("DescribeScalingGroups", V2022, server.access_key_id, RegionId=REGION, SignatureNonce=nonce)
    ok_json(send_v2(server, q))
    # The same request replayed
    body = err_json(send_v2(server, q), 400, "SignatureNonceUsed")
    # The POP gateway's exact text, from a real error body (GitHub aliyun/alibaba-cloud-sdk-go#39, HTTP 400).
    assert body["Message"] == "Specified signature nonce was used already."
    # A fresh timestamp does not make a used nonce valid (the nonce is the replay guard)
    q2 = dict(q, Timestamp=utc_timestamp(1))
    err_json(send_v2(server, q2), 400, "SignatureNonceUsed")


# ------------------------------------------------------------------------------------------------
# Dispatch and parameter errors, error envelope

def test_unknown_action(server):
    q = v2_common("DescribeNoSuchThing", V2022, server.access_key_id, RegionId=REGION)
    body = err_json(send_v2(server, q), 404, "InvalidAction.NotFound")
    assert body["Message"] == "Specified api is not found, please check your url and method."
    assert body["Recommend"].startswith("https://"), body


def test_missing_required_parameter_raw(server):
    q = v2_common("ModifyScalingGroup", V2022, server.access_key_id, MaxSize=3)
    body = err_json(send_v2(server, q), 400, "MissingParameter")
    assert body["Message"] == (
        'The input parameter "ScalingGroupId" that is mandatory for processing this request is not supplied.'
    )
    # ess-api.md §1.5 example: HostId is the product endpoint, Recommend the troubleshoot link
    # (same form in real gateway bodies, e.g. jeessy2/ddns-go#1291).
    assert body["HostId"] == "ess.aliyuncs.com"
    assert body["Recommend"] == (
        f"https://api.aliyun.com/troubleshoot?q=MissingParameter&product=Ess&requestId={body['RequestId']}"
    )


def test_missing_required_parameter_tea(ess):
    expect_error(
        ess.modify_scaling_group,
        ess_models.ModifyScalingGroupRequest(max_size=3),
        status=400,
        code="MissingParameter",
        message='The input parameter "ScalingGroupId" that is mandatory for processing this request is not supplied.',
    )


def test_missing_required_parameter_old_core(core):
    with pytest.raises(ServerException) as ei:
        core.do(DeleteScalingGroupRequest())
    e = ei.value
    assert (e.get_http_status(), e.get_error_code()) == (400, "MissingParameter")
    assert e.get_error_msg() == (
        'The input parameter "ScalingGroupId" that is mandatory for processing this request is not supplied.'
    )


# ------------------------------------------------------------------------------------------------
# Formats, bodies, encodings

def test_format_xml(server):
    q = v2_common("DescribeScalingGroups", V2022, server.access_key_id, RegionId=REGION, Format="XML", PageSize=4)
    r = send_v2(server, q)
    assert r.status == 200, r.content[:500]
    assert "xml" in r.headers.get("Content-Type", "").lower(), r.headers
    root = ET.fromstring(r.content)
    assert root.tag == "DescribeScalingGroupsResponse"
    assert UUID_UPPER.match(root.findtext("RequestId") or ""), r.content[:500]
    assert root.findtext("PageSize") == "4"
    assert root.findtext("TotalCount") is not None


def test_form_body_post(server):
    # Business parameters in an application/x-www-form-urlencoded body, signed together with the
    # query (ess-api.md §1.1, §1.3 step 1). A space is sent as '+'.
    q = v2_common("DescribeScalingGroups", V2022, server.access_key_id)
    form = {"RegionId": REGION, "PageSize": "9", "ScalingGroupNames.1": "no such group"}
    body = ok_json(send_v2(server, q, body=form))
    esl_schema.validate(V2022, "DescribeScalingGroups", body)
    assert body["PageSize"] == 9
    assert body["ScalingGroups"] == []
    assert body["TotalCount"] == 0


def test_plus_in_query_is_a_space(server):
    # ess-api.md §1.1: the query is sent with quote_plus, so "x y" travels as "x+y"; the server must
    # decode it as a space, or its string to sign (which has "x%2520y") would not match ours.
    q = v2_common("DescribeScalingGroups", V2022, server.access_key_id, RegionId=REGION,
                  **{"ScalingGroupNames.1": "x y"})
    body = ok_json(send_v2(server, q))
    assert body["ScalingGroups"] == [] and body["TotalCount"] == 0


@pytest.mark.parametrize("spelling,expected", [("True", True), ("true", True), ("False", False), ("false", False)])
def test_boolean_spellings(server, clients, net, name, spelling, expected):
    # ess-api.md §1.1: the Python SDKs send True/False; parse booleans case-insensitively.
    q = v2_common(
        "CreateScalingGroup", V2022, server.access_key_id,
        RegionId=REGION, ScalingGroupName=name, MinSize=0, MaxSize=1,
        **{"VSwitchIds.1": net.vsw_id, "GroupDeletionProtection": spelling},
    )
    body = ok_json(send_v2(server, q))
    esl_schema.validate(V2022, "CreateScalingGroup", body)
    g = group(clients, body["ScalingGroupId"])
    assert g["GroupDeletionProtection"] is expected
    assert g["ScalingGroupName"] == name


# ------------------------------------------------------------------------------------------------
# Other client generations on the same endpoint

def test_tea_with_v2_signature(tea_config, clients, net, name):
    # tea-openapi call_api: signature_algorithm='v2' goes to do_rpcrequest (V2, Action in the query).
    client = EssClient(tea_config(signature_algorithm="v2"))
    asg = create_group(clients, name, net.vsw_id)
    raw = call(client.describe_scaling_groups, ess_models.DescribeScalingGroupsRequest(region_id=REGION, scaling_group_ids=[asg]))
    assert [g["ScalingGroupId"] for g in raw["ScalingGroups"]] == [asg]
    assert raw["ScalingGroups"][0]["ScalingGroupName"] == name


def test_old_core_empty_2014_list_is_wrapped(core):
    # ess-api.md §3.1: 2014-08-28 wraps every list, an empty one too.
    req = DescribeScalingGroupsRequest()
    req.set_ScalingGroupIds(["asg-doesnotexist0000000"])
    body = core.do(req)
    assert body["ScalingGroups"] == {"ScalingGroup": []}
    assert body["TotalCount"] == 0
