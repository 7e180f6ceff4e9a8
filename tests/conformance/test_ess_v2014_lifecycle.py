"""The instance-lifecycle actions through the old core SDK with the 2014-08-28 request classes
(aliyun-python-sdk-ess 2.3.32: `InstanceId.N`, V2 HMAC-SHA1 signatures) and the 2014 wrapped
response shapes (ess-api.md §1.2, §3.1): AttachInstances, DetachInstances, SetInstancesProtection,
EnterStandby / ExitStandby, ScaleWithAdjustment, SetInstanceHealth, RemoveInstances. Networks, RDS
and ECS instances are made with the Tea clients."""
from __future__ import annotations

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkess.request.v20140828.AttachInstancesRequest import AttachInstancesRequest
from aliyunsdkess.request.v20140828.DescribeScalingConfigurationsRequest import DescribeScalingConfigurationsRequest
from aliyunsdkess.request.v20140828.DetachInstancesRequest import DetachInstancesRequest
from aliyunsdkess.request.v20140828.EnterStandbyRequest import EnterStandbyRequest
from aliyunsdkess.request.v20140828.ExitStandbyRequest import ExitStandbyRequest
from aliyunsdkess.request.v20140828.RemoveInstancesRequest import RemoveInstancesRequest
from aliyunsdkess.request.v20140828.ScaleWithAdjustmentRequest import ScaleWithAdjustmentRequest
from aliyunsdkess.request.v20140828.SetInstanceHealthRequest import SetInstanceHealthRequest
from aliyunsdkess.request.v20140828.SetInstancesProtectionRequest import SetInstancesProtectionRequest

from esl_helpers import create_rds, whitelist
from esl_helpers3 import (
    MSG_CAPACITY_MAX,
    MSG_NO_CHANGE,
    active_group,
    core14_activity,
    core14_group,
    core14_instances,
    ecs_status,
    make_config,
    msg_instance_not_found,
    running_instances,
    settle,
)


def do_activity(core, req) -> str:
    body = core.do(req)
    assert set(body) >= {"RequestId", "ScalingActivityId"}, body
    assert body["ScalingActivityId"].startswith("asa-"), body
    return body["ScalingActivityId"]


def test_2014_instance_lifecycle(core, clients, advance, net, name):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, _ = active_group(c, net, name, rds_ids=[rm], max_size=6)
    x, y = running_instances(c, advance, net, 2, name=name)  # 10.0.1.1, 10.0.1.2

    # AttachInstances, InstanceId.N, Entrusted for y only
    req = AttachInstancesRequest()
    req.set_ScalingGroupId(asg)
    req.set_InstanceIds([x])
    act = do_activity(core, req)
    insts = core14_instances(core, asg)
    assert (insts[x]["LifecycleState"], insts[x]["CreationType"]) == ("Pending", "Attached")
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1"
    advance(60)
    a = core14_activity(core, act)
    assert (a["StatusCode"], a["TotalCapacity"], a["AttachedCapacity"]) == ("Successful", "1", "1")
    req = AttachInstancesRequest()
    req.set_ScalingGroupId(asg)
    req.set_InstanceIds([y])
    req.set_Entrusted(True)
    do_activity(core, req)
    advance(60)
    insts = core14_instances(core, asg)
    assert insts[y]["Entrusted"] is True and insts[x]["Entrusted"] is False
    assert {i["LifecycleState"] for i in insts.values()} == {"InService"}

    # ScaleWithAdjustment (+2, metadata echoed, TriggerSourceType APIs)
    req = ScaleWithAdjustmentRequest()
    req.set_ScalingGroupId(asg)
    req.set_AdjustmentType("QuantityChangeInCapacity")
    req.set_AdjustmentValue(2)
    req.set_ActivityMetadata('{"from":"2014"}')
    act = do_activity(core, req)
    advance(60)
    a = core14_activity(core, act)
    assert (a["StatusCode"], a["TotalCapacity"], a["ActivityMetadata"], a["TriggerSourceType"]) == (
        "Successful", "4", '{"from":"2014"}', "APIs"
    )
    insts = core14_instances(core, asg)
    autos = sorted(i for i, m in insts.items() if m["CreationType"] == "AutoCreated")
    assert len(autos) == 2
    p, s = autos
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2,10.0.1.3,10.0.1.4"

    # SetInstancesProtection (returns only RequestId)
    req = SetInstancesProtectionRequest()
    req.set_ScalingGroupId(asg)
    req.set_InstanceIds([p])
    req.set_ProtectedFromScaleIn(True)
    body = core.do(req)
    assert set(body) == {"RequestId"}, body
    assert core14_instances(core, asg)[p]["LifecycleState"] == "Protected"
    assert core14_group(core, asg)["ProtectedCapacity"] == 1

    # EnterStandby / ExitStandby
    req = EnterStandbyRequest()
    req.set_ScalingGroupId(asg)
    req.set_InstanceIds([s])
    do_activity(core, req)
    advance(60)
    assert core14_instances(core, asg)[s]["LifecycleState"] == "Standby"
    assert core14_group(core, asg)["StandbyCapacity"] == 1
    req = ExitStandbyRequest()
    req.set_ScalingGroupId(asg)
    req.set_InstanceIds([s])
    do_activity(core, req)
    advance(60)
    assert core14_instances(core, asg)[s]["LifecycleState"] == "InService"
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2,10.0.1.3,10.0.1.4"

    # SetInstanceHealth Unhealthy on the standby-exited AutoCreated one: replaced (by 10.0.1.5)
    s_ip = core14_instances(core, asg)[s]["PrivateIpAddress"]
    p_ip = core14_instances(core, asg)[p]["PrivateIpAddress"]
    assert sorted([s_ip, p_ip]) == ["10.0.1.3", "10.0.1.4"]
    req = SetInstanceHealthRequest()
    req.set_InstanceId(s)
    req.set_HealthStatus("Unhealthy")
    body = core.do(req)
    assert set(body) == {"RequestId"}, body
    settle(advance)
    insts = core14_instances(core, asg)
    assert s not in insts and len(insts) == 4
    assert sorted(m["PrivateIpAddress"] for m in insts.values()) == ["10.0.1.1", "10.0.1.2", p_ip, "10.0.1.5"]
    assert ecs_status(c, s) is None
    assert whitelist(c, rm) == f"127.0.0.1,10.0.1.1,10.0.1.2,{p_ip},10.0.1.5"

    # DetachInstances x with DetachOption=both (IP leaves), y without (IP stays)
    req = DetachInstancesRequest()
    req.set_ScalingGroupId(asg)
    req.set_InstanceIds([x])
    req.set_DetachOption("both")
    do_activity(core, req)
    advance(60)
    req = DetachInstancesRequest()
    req.set_ScalingGroupId(asg)
    req.set_InstanceIds([y])
    do_activity(core, req)
    advance(60)
    insts = core14_instances(core, asg)
    assert x not in insts and y not in insts
    assert [ecs_status(c, x), ecs_status(c, y)] == ["Running", "Running"]
    assert whitelist(c, rm) == f"127.0.0.1,10.0.1.2,{p_ip},10.0.1.5"

    # Protection off (ProtectedFromScaleIn=False), then RemoveInstances of everything left
    req = SetInstancesProtectionRequest()
    req.set_ScalingGroupId(asg)
    req.set_InstanceIds([p])
    req.set_ProtectedFromScaleIn(False)
    core.do(req)
    assert core14_instances(core, asg)[p]["LifecycleState"] == "InService"
    req = RemoveInstancesRequest()
    req.set_ScalingGroupId(asg)
    req.set_InstanceIds(sorted(insts))
    do_activity(core, req)
    advance(60)
    assert core14_instances(core, asg) == {}
    assert ecs_status(c, p) is None
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.2"  # y was detached without "both"
    g = core14_group(core, asg)
    assert (g["TotalCapacity"], g["ProtectedCapacity"], g["StandbyCapacity"]) == (0, 0, 0)


def test_2014_errors(core, clients, advance, net, name):
    c = clients
    asg, _ = active_group(c, net, name, max_size=1)
    unknown = "i-doesnotexist00000000"
    req = AttachInstancesRequest()
    req.set_ScalingGroupId(asg)
    req.set_InstanceIds([unknown])
    with pytest.raises(ServerException) as ei:
        core.do(req)
    e = ei.value
    assert (e.get_http_status(), e.get_error_code(), e.get_error_msg()) == (
        404, "InvalidInstanceId.NotFound", msg_instance_not_found(unknown)
    )

    x, y = running_instances(c, advance, net, 2, name=name)
    req = AttachInstancesRequest()
    req.set_ScalingGroupId(asg)
    req.set_InstanceIds([x, y])
    with pytest.raises(ServerException) as ei:
        core.do(req)
    e = ei.value
    assert (e.get_http_status(), e.get_error_code(), e.get_error_msg()) == (
        400, "IncorrectCapacity.MaxSize", MSG_CAPACITY_MAX
    )

    req = ScaleWithAdjustmentRequest()
    req.set_ScalingGroupId(asg)
    req.set_AdjustmentType("TotalCapacity")
    req.set_AdjustmentValue(0)
    with pytest.raises(ServerException) as ei:
        core.do(req)
    e = ei.value
    assert (e.get_http_status(), e.get_error_code(), e.get_error_msg()) == (
        400, "IncorrectCapacity.NoChange", MSG_NO_CHANGE
    )
    assert core14_instances(core, asg) == {}


def test_2014_configuration_instance_types_are_wrapped(core, clients, net, name):
    c = clients
    asg, _ = active_group(c, net, name)
    asc = make_config(c, asg, net.sg_id, f"{name}-types", instance_type=None,
                      instance_types=["ecs.g7.large", "ecs.c7.large"])
    req = DescribeScalingConfigurationsRequest()
    req.set_ScalingGroupId(asg)
    body = core.do(req)
    items = {x["ScalingConfigurationId"]: x for x in body["ScalingConfigurations"]["ScalingConfiguration"]}
    assert items[asc]["InstanceTypes"] == {"InstanceType": ["ecs.g7.large", "ecs.c7.large"]}
    assert items[asc]["LifecycleState"] == "Inactive"
    assert body["TotalCount"] == 2
