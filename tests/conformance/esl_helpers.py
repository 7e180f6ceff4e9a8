"""Helpers shared by the conformance tests: a V2 (HMAC-SHA1) signer for raw requests, Tea SDK call
wrappers that return the raw body, builders for the VPC / RDS / ESS resources of Method 2, and error
assertions. Nothing here sleeps: time moves only through the `advance` fixture."""
from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import ipaddress
import itertools
import json
import re
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import pytest
import requests

import alibabacloud_ecs20140526.models as ecs_models
import alibabacloud_ess20220222.models as ess_models
import alibabacloud_rds20140815.models as rds_models
import alibabacloud_vpc20160428.models as vpc_models
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException

import esl_schema

REGION = "cn-hangzhou"
ZONE = "cn-hangzhou-h"
IMAGE_ID = "ubuntu_22_04_x64_20G_alibase_20240101.vhd"
INSTANCE_TYPE = "ecs.g7.large"
DEFAULT_REMOVAL_POLICIES = ["OldestScalingConfiguration", "OldestInstance"]

UUID_UPPER = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
# ess-api.md §1.5: CreationTime/StartTime/EndTime use minute precision, CreatedTime second precision.
MINUTE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$")
SECOND_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

# ess-api.md §4 (exact texts)
MSG_GROUP_NOT_FOUND = "The specified scaling group does not exist."
MSG_ACTIVITY_IN_PROGRESS = (
    "You cannot delete a scaling group or launch a new scaling activity while there is a scaling "
    "activity in progress for the specified scaling group."
)
MSG_INSTANCE_IN_USE = (
    "You cannot delete a scaling configuration or scaling group while there is an instance "
    "associated with it."
)


# --------------------------------------------------------------------------------------------
# V2 signature (ess-api.md §1.3)

def pct(s: Any) -> str:
    """RFC 3986 percent-encoding of UTF-8: unreserved A-Za-z0-9-_.~ stay, the rest is %XX."""
    return urllib.parse.quote(str(s), safe="~")


def v2_string_to_sign(method: str, params: dict[str, Any]) -> str:
    items = sorted((k, v) for k, v in params.items() if k != "Signature")
    canonical = "&".join(f"{pct(k)}={pct(v)}" for k, v in items)
    return f"{method.upper()}&%2F&{pct(canonical)}"


def v2_sign(method: str, params: dict[str, Any], secret: str) -> tuple[str, str]:
    sts = v2_string_to_sign(method, params)
    mac = hmac.new((secret + "&").encode(), sts.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode(), sts


def utc_timestamp(delta_seconds: int = 0) -> str:
    """Wall-clock UTC, as the SDKs send it. The virtual clock does not apply to signatures."""
    t = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=delta_seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def v2_common(action: str, version: str, access_key_id: str, **overrides: Any) -> dict[str, str]:
    p = {
        "Action": action,
        "Version": version,
        "Format": "JSON",
        "AccessKeyId": access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": uuid.uuid4().hex,
        "Timestamp": utc_timestamp(),
    }
    p.update({k: str(v) for k, v in overrides.items()})
    return p


@dataclass
class RawResponse:
    status: int
    headers: requests.structures.CaseInsensitiveDict
    content: bytes
    string_to_sign: str

    def json(self) -> Any:
        return json.loads(self.content)


def send_v2(
    server,
    query: dict[str, Any],
    *,
    body: dict[str, Any] | None = None,
    secret: str | None = None,
    method: str = "POST",
) -> RawResponse:
    """Sign query+body with V2 and send them: the query in the URL, the body as a form."""
    query = {k: str(v) for k, v in query.items()}
    body = {k: str(v) for k, v in (body or {}).items()}
    signature, sts = v2_sign(method, {**query, **body}, server.access_key_secret if secret is None else secret)
    url = f"{server.base_url}/?{urllib.parse.urlencode({**query, 'Signature': signature})}"
    headers = {}
    data = None
    if body:
        data = urllib.parse.urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    r = requests.request(method, url, data=data, headers=headers, timeout=30)
    return RawResponse(r.status_code, r.headers, r.content, sts)


def assert_error_body(body: dict, code: str) -> None:
    """The common error envelope (ess-api.md §1.5, db-oos-api.md §0)."""
    assert isinstance(body, dict), body
    for key in ("RequestId", "HostId", "Code", "Message", "Recommend"):
        assert key in body, f"error body lacks {key}: {body}"
        assert isinstance(body[key], str), f"{key} must be a string: {body}"
    assert body["Code"] == code, body
    assert UUID_UPPER.match(body["RequestId"]), body["RequestId"]


# --------------------------------------------------------------------------------------------
# Tea SDK calls

def call(fn: Callable, request: Any) -> dict:
    """Call a Tea SDK method and return the raw body the server sent (already schema-checked by the
    hook). Also checks that the SDK really parsed it: a shape error makes from_map return a model
    whose fields are all None."""
    esl_schema.LAST.clear()
    resp = fn(request)
    raw = esl_schema.LAST.body
    assert raw is not None, "the response hook saw no body"
    assert resp.body is not None, f"SDK could not parse the response body: {raw}"
    assert resp.body.request_id == raw["RequestId"], f"SDK parsed no RequestId from {raw}"
    assert resp.status_code == 200, resp.status_code
    return raw


def expect_error(fn: Callable, request: Any, *, status: int, code: str, message: str | None = None):
    """A Tea SDK call must fail with exactly this HTTP status and Code (and Message if given)."""
    with pytest.raises(AlibabaCloudException) as ei:
        fn(request)
    e = ei.value
    data = e.data or {}
    assert (e.status_code, e.code) == (status, code), f"got HTTP {e.status_code} {e.code}: {data}"
    assert_error_body(data, code)
    if message is not None:
        assert data["Message"] == message, data
    return e


def ip_of(ip: str) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(ip)


# --------------------------------------------------------------------------------------------
# Resource builders (each test makes its own; all tests share one server)

@dataclass
class Net:
    vpc_id: str
    vsw_id: str  # 10.0.1.0/24, for the scaling group's instances
    db_vsw_id: str  # 10.0.2.0/24, for databases, so they never take an address from vsw_id
    sg_id: str


@dataclass
class Clients:
    ess: Any
    ecs: Any
    vpc: Any
    rds: Any


def create_vpc(c: Clients, name: str, cidr: str = "10.0.0.0/16") -> str:
    raw = call(c.vpc.create_vpc, vpc_models.CreateVpcRequest(region_id=REGION, cidr_block=cidr, vpc_name=name))
    assert raw["VpcId"].startswith("vpc-"), raw
    return raw["VpcId"]


def create_vswitch(c: Clients, vpc_id: str, cidr: str, name: str, zone: str = ZONE) -> str:
    raw = call(
        c.vpc.create_vswitch,
        vpc_models.CreateVSwitchRequest(region_id=REGION, vpc_id=vpc_id, zone_id=zone, cidr_block=cidr, v_switch_name=name),
    )
    assert raw["VSwitchId"].startswith("vsw-"), raw
    return raw["VSwitchId"]


def create_sg(c: Clients, vpc_id: str, name: str) -> str:
    raw = call(
        c.ecs.create_security_group,
        ecs_models.CreateSecurityGroupRequest(region_id=REGION, vpc_id=vpc_id, security_group_name=name),
    )
    assert raw["SecurityGroupId"].startswith("sg-"), raw
    return raw["SecurityGroupId"]


def create_net(c: Clients, name: str) -> Net:
    vpc_id = create_vpc(c, name)
    vsw = create_vswitch(c, vpc_id, "10.0.1.0/24", f"{name}-app")
    db_vsw = create_vswitch(c, vpc_id, "10.0.2.0/24", f"{name}-db")
    sg = create_sg(c, vpc_id, f"{name}-sg")
    return Net(vpc_id, vsw, db_vsw, sg)


def create_rds_request(vpc_id: str, vsw_id: str, description: str) -> rds_models.CreateDBInstanceRequest:
    return rds_models.CreateDBInstanceRequest(
        region_id=REGION,
        engine="MySQL",
        engine_version="8.0",
        dbinstance_class="mysql.n2.medium.1",
        dbinstance_storage=20,
        dbinstance_net_type="Intranet",
        pay_type="Postpaid",
        security_iplist="127.0.0.1",
        instance_network_type="VPC",
        vpcid=vpc_id,
        v_switch_id=vsw_id,
        zone_id=ZONE,
        dbinstance_description=description,
    )


def rds_status(c: Clients, rm: str) -> str:
    raw = call(c.rds.describe_dbinstances, rds_models.DescribeDBInstancesRequest(region_id=REGION, dbinstance_id=rm))
    items = raw["Items"]["DBInstance"]
    assert [i["DBInstanceId"] for i in items] == [rm], raw
    return items[0]["DBInstanceStatus"]


def create_rds(c: Clients, advance, vpc_id: str, vsw_id: str, description: str) -> str:
    """Create a MySQL instance and bring it to Running."""
    raw = call(c.rds.create_dbinstance, create_rds_request(vpc_id, vsw_id, description))
    rm = raw["DBInstanceId"]
    assert rm.startswith("rm-"), raw
    advance(60)
    assert rds_status(c, rm) == "Running"
    return rm


def ip_arrays(c: Clients, rm: str) -> list[dict]:
    raw = call(
        c.rds.describe_dbinstance_iparray_list,
        rds_models.DescribeDBInstanceIPArrayListRequest(dbinstance_id=rm),
    )
    return raw["Items"]["DBInstanceIPArray"]


def whitelist(c: Clients, rm: str, group: str = "default") -> str:
    """The SecurityIPList of one whitelist group (exactly one group of that name must exist)."""
    groups = [g for g in ip_arrays(c, rm) if g["DBInstanceIPArrayName"] == group]
    assert len(groups) == 1, f"expected one {group!r} group on {rm}, got {groups}"
    return groups[0]["SecurityIPList"]


def modify_ips(c: Clients, rm: str, ips: str, mode: str | None = None, group: str | None = None) -> dict:
    return call(
        c.rds.modify_security_ips,
        rds_models.ModifySecurityIpsRequest(
            dbinstance_id=rm, security_ips=ips, modify_mode=mode, dbinstance_iparray_name=group
        ),
    )


_rule_seq = itertools.count(1)


def create_group(
    c: Clients,
    name: str,
    vsw_id: str,
    *,
    rds_ids: list[str] = (),
    min_size: int = 0,
    max_size: int = 5,
) -> str:
    req = ess_models.CreateScalingGroupRequest(
        region_id=REGION,
        scaling_group_name=name,
        min_size=min_size,
        max_size=max_size,
        v_switch_ids=[vsw_id],
        dbinstances=[
            ess_models.CreateScalingGroupRequestDBInstances(dbinstance_id=rm, type="RDS", attach_mode="SecurityIp")
            for rm in rds_ids
        ]
        or None,
    )
    raw = call(c.ess.create_scaling_group, req)
    assert raw["ScalingGroupId"].startswith("asg-"), raw
    return raw["ScalingGroupId"]


def create_config(c: Clients, asg: str, sg_id: str, name: str) -> str:
    raw = call(
        c.ess.create_scaling_configuration,
        ess_models.CreateScalingConfigurationRequest(
            scaling_group_id=asg,
            image_id=IMAGE_ID,
            instance_type=INSTANCE_TYPE,
            security_group_id=sg_id,
            scaling_configuration_name=name,
        ),
    )
    assert raw["ScalingConfigurationId"].startswith("asc-"), raw
    return raw["ScalingConfigurationId"]


def enable(c: Clients, asg: str) -> None:
    call(c.ess.enable_scaling_group, ess_models.EnableScalingGroupRequest(region_id=REGION, scaling_group_id=asg))


def ready_group(c: Clients, net: Net, name: str, *, rds_ids: list[str] = (), min_size=0, max_size=5) -> tuple[str, str]:
    """An Active group in net.vsw_id with one configuration; returns (group id, configuration id)."""
    asg = create_group(c, name, net.vsw_id, rds_ids=rds_ids, min_size=min_size, max_size=max_size)
    asc = create_config(c, asg, net.sg_id, f"{name}-cfg")
    enable(c, asg)
    return asg, asc


def create_rule(c: Clients, asg: str, value: int, adjustment_type: str = "QuantityChangeInCapacity") -> tuple[str, str]:
    raw = call(
        c.ess.create_scaling_rule,
        ess_models.CreateScalingRuleRequest(
            region_id=REGION,
            scaling_group_id=asg,
            scaling_rule_name=f"rule-{next(_rule_seq)}-{uuid.uuid4().hex[:6]}",
            adjustment_type=adjustment_type,
            adjustment_value=value,
        ),
    )
    assert raw["ScalingRuleId"].startswith("asr-"), raw
    return raw["ScalingRuleId"], raw["ScalingRuleAri"]


def execute(c: Clients, ari: str) -> str:
    raw = call(c.ess.execute_scaling_rule, ess_models.ExecuteScalingRuleRequest(region_id=REGION, scaling_rule_ari=ari))
    assert raw["ScalingActivityId"].startswith("asa-"), raw
    return raw["ScalingActivityId"]


def scale(c: Clients, asg: str, n: int) -> tuple[str, str]:
    """Create a QuantityChangeInCapacity rule of n and execute it; returns (rule id, activity id)."""
    asr, ari = create_rule(c, asg, n)
    return asr, execute(c, ari)


def group(c: Clients, asg: str) -> dict:
    raw = call(
        c.ess.describe_scaling_groups,
        ess_models.DescribeScalingGroupsRequest(region_id=REGION, scaling_group_ids=[asg]),
    )
    items = raw["ScalingGroups"]
    assert [g["ScalingGroupId"] for g in items] == [asg], raw
    assert raw["TotalCount"] == 1, raw
    return items[0]


def activity(c: Clients, act_id: str) -> dict:
    raw = call(
        c.ess.describe_scaling_activities,
        ess_models.DescribeScalingActivitiesRequest(region_id=REGION, scaling_activity_ids=[act_id]),
    )
    items = raw["ScalingActivities"]
    assert [a["ScalingActivityId"] for a in items] == [act_id], raw
    return items[0]


def instances(c: Clients, asg: str) -> list[dict]:
    raw = call(
        c.ess.describe_scaling_instances,
        ess_models.DescribeScalingInstancesRequest(region_id=REGION, scaling_group_id=asg, page_size=50),
    )
    assert raw["TotalCount"] == len(raw["ScalingInstances"]), raw
    return raw["ScalingInstances"]


def by_ip(insts: list[dict]) -> dict[str, dict]:
    return {i["PrivateIpAddress"]: i for i in insts}


def ecs_instances(c: Clients, ids: list[str]) -> list[dict]:
    raw = call(
        c.ecs.describe_instances,
        ecs_models.DescribeInstancesRequest(region_id=REGION, instance_ids=json.dumps(ids), page_size=100),
    )
    assert raw["TotalCount"] == len(raw["Instances"]["Instance"]), raw
    return raw["Instances"]["Instance"]


def remove(c: Clients, asg: str, ids: list[str]) -> str:
    raw = call(
        c.ess.remove_instances,
        ess_models.RemoveInstancesRequest(region_id=REGION, scaling_group_id=asg, instance_ids=ids),
    )
    assert raw["ScalingActivityId"].startswith("asa-"), raw
    return raw["ScalingActivityId"]


def attach_db(c: Clients, asg: str, rds_ids: list[str], force: bool) -> dict:
    return call(
        c.ess.attach_dbinstances,
        ess_models.AttachDBInstancesRequest(region_id=REGION, scaling_group_id=asg, dbinstances=rds_ids, force_attach=force),
    )


def detach_db(c: Clients, asg: str, rds_ids: list[str], force: bool) -> dict:
    return call(
        c.ess.detach_dbinstances,
        ess_models.DetachDBInstancesRequest(region_id=REGION, scaling_group_id=asg, dbinstances=rds_ids, force_detach=force),
    )


def assert_successful(act: dict, total: int) -> None:
    assert act["StatusCode"] == "Successful", act
    assert act["Progress"] == 100, act
    assert act["TotalCapacity"] == str(total), act  # a string on the wire (ess-api.md §3.3)
    assert MINUTE_TIME.match(act["StartTime"]), act
    assert MINUTE_TIME.match(act["EndTime"]), act


def cause_execute(asr: str, before: int, after: int) -> str:
    return (
        f'A user requests to execute scaling rule "{asr}", changing the Total Capacity '
        f'from "{before}" to "{after}".'
    )


def release_all_groups(c: Clients) -> None:
    """Force-delete every scaling group of the region, ending any lifecycle wait first (by deleting
    the hooks). Best effort: a group that cannot be deleted is left."""
    from alibabacloud_tea_openapi.exceptions import AlibabaCloudException

    page, ids = 1, []
    while True:
        raw = c.ess.describe_scaling_groups(
            ess_models.DescribeScalingGroupsRequest(region_id=REGION, page_number=page, page_size=50)
        ).body
        ids += [g.scaling_group_id for g in raw.scaling_groups or []]
        if page * 50 >= (raw.total_count or 0):
            break
        page += 1
    for asg in ids:
        try:
            hooks = c.ess.describe_lifecycle_hooks(
                ess_models.DescribeLifecycleHooksRequest(region_id=REGION, scaling_group_id=asg)
            ).body.lifecycle_hooks
            for h in hooks or []:
                c.ess.delete_lifecycle_hook(
                    ess_models.DeleteLifecycleHookRequest(region_id=REGION, lifecycle_hook_id=h.lifecycle_hook_id)
                )
            c.ess.delete_scaling_group(
                ess_models.DeleteScalingGroupRequest(region_id=REGION, scaling_group_id=asg, force_delete=True)
            )
        except AlibabaCloudException:
            pass
