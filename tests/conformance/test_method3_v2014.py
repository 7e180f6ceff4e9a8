"""Lifecycle hooks on the 2014-08-28 wire through the old core SDK (V2 HMAC-SHA1) and its request
classes: CreateLifecycleHookRequest, DescribeLifecycleHooksRequest (the list wrapped as
LifecycleHooks.LifecycleHook, ids sent as LifecycleHookId.N), DescribeLifecycleActionsRequest
(LifecycleActions.LifecycleAction, InstanceIds.InstanceId), RecordLifecycleActionHeartbeatRequest
(lowerCamel lifecycleHookId / lifecycleActionToken / heartbeatTimeout), CompleteLifecycleActionRequest,
ModifyLifecycleHookRequest and DeleteLifecycleHookRequest, with a public OOS template as the target.

Sources: ess-api.md §1.2 (2014 renames), §2.7, §3.1 (list wrapping), §4."""
from __future__ import annotations

import json

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkess.request.v20140828.CompleteLifecycleActionRequest import CompleteLifecycleActionRequest
from aliyunsdkess.request.v20140828.CreateLifecycleHookRequest import CreateLifecycleHookRequest
from aliyunsdkess.request.v20140828.DeleteLifecycleHookRequest import DeleteLifecycleHookRequest
from aliyunsdkess.request.v20140828.DescribeLifecycleActionsRequest import DescribeLifecycleActionsRequest
from aliyunsdkess.request.v20140828.DescribeLifecycleHooksRequest import DescribeLifecycleHooksRequest
from aliyunsdkess.request.v20140828.ModifyLifecycleHookRequest import ModifyLifecycleHookRequest
from aliyunsdkess.request.v20140828.RecordLifecycleActionHeartbeatRequest import RecordLifecycleActionHeartbeatRequest
from aliyunsdkess.request.v20140828.ScaleWithAdjustmentRequest import ScaleWithAdjustmentRequest

from esl_helpers3 import core14_activity, core14_instances
from esl_helpers4 import (  # noqa: F401  (fixtures)
    MSG_HOOK_NOT_EXIST,
    MSG_RECORD_TIMES,
    MSG_TOKEN_INVALID,
    TPL_ADB,
    adb_create,
    adb_groups,
    hook_execution,
    hook_group,
    oos_arn,
)


def core_hook(core, asg: str, transition: str, **kw) -> str:
    req = CreateLifecycleHookRequest()
    req.set_ScalingGroupId(asg)
    req.set_LifecycleTransition(transition)
    for k, v in kw.items():
        getattr(req, f"set_{k}")(v)
    body = core.do(req)
    assert set(body) == {"RequestId", "LifecycleHookId"}, body
    assert body["LifecycleHookId"].startswith("ash-"), body
    return body["LifecycleHookId"]


def core_hooks(core, **kw) -> dict:
    req = DescribeLifecycleHooksRequest()
    for k, v in kw.items():
        getattr(req, f"set_{k}")(v)
    body = core.do(req)
    assert set(body["LifecycleHooks"]) == {"LifecycleHook"}, body
    items = body["LifecycleHooks"]["LifecycleHook"]
    assert body["TotalCount"] == len(items), body
    return {h["LifecycleHookId"]: h for h in items}


def core_actions(core, act: str, **kw) -> dict:
    req = DescribeLifecycleActionsRequest()
    req.set_ScalingActivityId(act)
    for k, v in kw.items():
        getattr(req, f"set_{k}")(v)
    body = core.do(req)
    assert set(body["LifecycleActions"]) == {"LifecycleAction"}, body
    return body


def core_scale(core, asg: str, n: int) -> str:
    req = ScaleWithAdjustmentRequest()
    req.set_ScalingGroupId(asg)
    req.set_AdjustmentType("QuantityChangeInCapacity")
    req.set_AdjustmentValue(n)
    return core.do(req)["ScalingActivityId"]


def core_complete(core, hook: str, token: str, result: str | None = None) -> dict:
    req = CompleteLifecycleActionRequest()
    req.set_LifecycleHookId(hook)
    req.set_LifecycleActionToken(token)
    if result is not None:
        req.set_LifecycleActionResult(result)
    return core.do(req)


def core_heartbeat(core, hook: str, token: str, timeout: int | None = None) -> dict:
    req = RecordLifecycleActionHeartbeatRequest()
    req.set_lifecycleHookId(hook)
    req.set_lifecycleActionToken(token)
    if timeout is not None:
        req.set_heartbeatTimeout(timeout)
    return core.do(req)


def core_error(core, req) -> tuple[int, str, str]:
    with pytest.raises(ServerException) as ei:
        core.do(req)
    e = ei.value
    return e.get_http_status(), e.get_error_code(), e.get_error_msg()


def test_2014_hooks_wire(core, clients, server, advance, net, name):
    c = clients
    asg = hook_group(c, net, name)
    h = core_hook(core, asg, "SCALE_OUT", LifecycleHookName="old-out", DefaultResult="ABANDON", HeartbeatTimeout=60)
    h2 = core_hook(core, asg, "SCALE_IN")
    hooks = core_hooks(core, ScalingGroupId=asg)
    assert sorted(hooks) == sorted([h, h2])
    x = hooks[h]
    assert (x["LifecycleHookName"], x["ScalingGroupId"], x["LifecycleTransition"]) == ("old-out", asg, "SCALE_OUT")
    assert (x["DefaultResult"], x["HeartbeatTimeout"]) == ("ABANDON", 60)
    assert x["NotificationArn"] == f"acs:ess:cn-hangzhou:{server.account_id}:null/null"
    # By id (LifecycleHookId.N on this wire) and by name.
    assert list(core_hooks(core, LifecycleHookIds=[h2])) == [h2]
    assert list(core_hooks(core, ScalingGroupId=asg, LifecycleHookName="old-out")) == [h]

    # Modify, delete.
    req = ModifyLifecycleHookRequest()
    req.set_LifecycleHookId(h)
    req.set_HeartbeatTimeout(90)
    core.do(req)
    assert core_hooks(core, ScalingGroupId=asg)[h]["HeartbeatTimeout"] == 90
    req = DeleteLifecycleHookRequest()
    req.set_ScalingGroupId(asg)
    req.set_LifecycleHookName(h2)
    core.do(req)
    assert list(core_hooks(core, ScalingGroupId=asg)) == [h]
    req = DeleteLifecycleHookRequest()
    req.set_LifecycleHookId(h2)
    assert core_error(core, req) == (400, "InvalidLifecycleHookId.NotExist", MSG_HOOK_NOT_EXIST)

    # A wait: wrapped actions, lowerCamel heartbeats, completion.
    act = core_scale(core, asg, 1)
    members = core14_instances(core, asg)
    [iid] = members
    assert members[iid]["LifecycleState"] == "Pending:Wait"
    body = core_actions(core, act)
    [a] = body["LifecycleActions"]["LifecycleAction"]
    assert (body["TotalCount"], a["LifecycleHookId"], a["LifecycleActionStatus"]) == (1, h, "Pending")
    assert a["InstanceIds"] == {"InstanceId": [iid]}
    token = a["LifecycleActionToken"]
    core_heartbeat(core, h, token, 120)
    advance(100)  # past the hook's 90 s, within the heartbeat's 120 s
    assert core14_instances(core, asg)[iid]["LifecycleState"] == "Pending:Wait"
    for _ in range(19):
        core_heartbeat(core, h, token)
    req = RecordLifecycleActionHeartbeatRequest()
    req.set_lifecycleHookId(h)
    req.set_lifecycleActionToken(token)
    assert core_error(core, req) == (400, "LifecycleAction.RecordTimesExceeded", MSG_RECORD_TIMES)
    req = CompleteLifecycleActionRequest()
    req.set_LifecycleHookId(h)
    req.set_LifecycleActionToken("00000000-0000-0000-0000-000000000000")
    req.set_LifecycleActionResult("CONTINUE")
    assert core_error(core, req) == (400, "LifecycleHookIdAndLifecycleActionToken.Invalid", MSG_TOKEN_INVALID)
    assert core_complete(core, h, token, "CONTINUE").keys() == {"RequestId"}
    assert core14_instances(core, asg)[iid]["LifecycleState"] == "InService"
    assert core14_activity(core, act)["StatusCode"] == "Successful"
    [a] = core_actions(core, act, LifecycleActionStatus="Completed")["LifecycleActions"]["LifecycleAction"]
    assert a["LifecycleActionResult"] == "CONTINUE"


def test_2014_hook_with_public_template(core, clients, oos, adb, server, advance, net, name):
    """The AnalyticDB template as the target of hooks made on the 2014 wire."""
    c = clients
    am = adb_create(adb, net, advance, name)
    asg = hook_group(c, net, name)
    arn = oos_arn(server, TPL_ADB)
    h_out = core_hook(core, asg, "SCALE_OUT", NotificationArn=arn,
                      NotificationMetadata=json.dumps({"dbClusterId": am, "modifyMode": "Append"}))
    h_in = core_hook(core, asg, "SCALE_IN", NotificationArn=arn,
                     NotificationMetadata=json.dumps({"dbClusterId": am, "modifyMode": "Delete"}))
    assert core_hooks(core, ScalingGroupId=asg)[h_out]["NotificationArn"] == arn
    act = core_scale(core, asg, 1)
    [(iid, m)] = core14_instances(core, asg).items()
    ip = m["PrivateIpAddress"]
    assert m["LifecycleState"] == "Pending:Wait"
    advance(1)
    assert adb_groups(adb, am) == {"default": f"127.0.0.1,{ip}"}
    assert core14_instances(core, asg)[iid]["LifecycleState"] == "InService"
    assert core14_activity(core, act)["StatusCode"] == "Successful"
    act = core_scale(core, asg, -1)
    assert core14_instances(core, asg)[iid]["LifecycleState"] == "Removing:Wait"
    [a] = core_actions(core, act)["LifecycleActions"]["LifecycleAction"]
    assert a["LifecycleHookId"] == h_in
    advance(1)
    assert hook_execution(oos, h_in, a["LifecycleActionToken"])["Status"] == "Success"
    assert adb_groups(adb, am) == {"default": "127.0.0.1"}
    advance(60)
    assert core14_instances(core, asg) == {}
