"""The configuration, rule, task, protection, limitation, activity-detail and deletion actions through
the old core SDK (aliyun-python-sdk-ess, 2014-08-28 request classes, V2 signatures) with the 2014
wrapped-list response shapes (ess-api.md §1.2, §3.1): ModifyScalingConfiguration,
DeleteScalingConfiguration, ModifyScalingRule, DeleteScalingRule, DescribeScalingRules,
CreateScheduledTask, SetGroupDeletionProtection, DescribeLimitation, DescribeScalingActivityDetail,
DeleteScalingGroup. Errors (ess-api.md §4) come back as ServerException with the real code."""
from __future__ import annotations

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkess.request.v20140828.CreateScheduledTaskRequest import CreateScheduledTaskRequest
from aliyunsdkess.request.v20140828.DeleteScalingConfigurationRequest import DeleteScalingConfigurationRequest
from aliyunsdkess.request.v20140828.DeleteScalingGroupRequest import DeleteScalingGroupRequest
from aliyunsdkess.request.v20140828.DeleteScalingRuleRequest import DeleteScalingRuleRequest
from aliyunsdkess.request.v20140828.DescribeLimitationRequest import DescribeLimitationRequest
from aliyunsdkess.request.v20140828.DescribeScalingActivityDetailRequest import DescribeScalingActivityDetailRequest
from aliyunsdkess.request.v20140828.DescribeScalingConfigurationsRequest import DescribeScalingConfigurationsRequest
from aliyunsdkess.request.v20140828.DescribeScalingRulesRequest import DescribeScalingRulesRequest
from aliyunsdkess.request.v20140828.DescribeScheduledTasksRequest import DescribeScheduledTasksRequest
from aliyunsdkess.request.v20140828.ModifyScalingConfigurationRequest import ModifyScalingConfigurationRequest
from aliyunsdkess.request.v20140828.ModifyScalingRuleRequest import ModifyScalingRuleRequest
from aliyunsdkess.request.v20140828.SetGroupDeletionProtectionRequest import SetGroupDeletionProtectionRequest

from esl_helpers import MSG_GROUP_NOT_FOUND, MSG_INSTANCE_IN_USE, create_rule, scale
from esl_helpers3 import (
    MSG_CONFIG_NOT_FOUND,
    MSG_CONFIG_STATE,
    MSG_RULE_NOT_FOUND,
    OTHER_IMAGE_ID,
    active_group,
    advance_to,
    clock_ms,
    core14_activity,
    core14_group,
    core14_instances,
    ecs_status,
    make_config,
    make_group,
    minute_str,
    next_minute_ms,
)


def refused(core, req, status: int, code: str, message: str | None = None) -> None:
    with pytest.raises(ServerException) as ei:
        core.do(req)
    e = ei.value
    assert (e.get_http_status(), e.get_error_code()) == (status, code), e
    if message is not None:
        assert e.get_error_msg() == message


def configs14(core, asg: str) -> dict[str, dict]:
    req = DescribeScalingConfigurationsRequest()
    req.set_ScalingGroupId(asg)
    body = core.do(req)
    assert set(body["ScalingConfigurations"]) == {"ScalingConfiguration"}, body
    items = body["ScalingConfigurations"]["ScalingConfiguration"]
    assert body["TotalCount"] == len(items)
    return {x["ScalingConfigurationId"]: x for x in items}


def rules14(core, **kw) -> dict:
    req = DescribeScalingRulesRequest()
    for k, v in kw.items():
        getattr(req, f"set_{k}")(v)
    body = core.do(req)
    assert set(body["ScalingRules"]) == {"ScalingRule"}, body
    return body


def test_2014_modify_and_delete_scaling_configuration(core, clients, net, name):
    c = clients
    asg, active = active_group(c, net, name)
    spare = make_config(c, asg, net.sg_id, f"{name}-spare")
    req = ModifyScalingConfigurationRequest()
    req.set_ScalingConfigurationId(spare)
    req.set_ScalingConfigurationName(f"{name}-renamed")
    req.set_ImageId(OTHER_IMAGE_ID)
    req.set_InstanceTypess(["ecs.c7.large", "ecs.g7.xlarge"])
    body = core.do(req)
    assert set(body) == {"RequestId"}, body
    got = configs14(core, asg)
    assert got[spare]["ScalingConfigurationName"] == f"{name}-renamed"
    assert got[spare]["ImageId"] == OTHER_IMAGE_ID
    assert got[spare]["InstanceTypes"] == {"InstanceType": ["ecs.c7.large", "ecs.g7.xlarge"]}
    assert got[spare]["LifecycleState"] == "Inactive"
    assert got[active]["LifecycleState"] == "Active"

    # Unknown id: 404; the active configuration cannot be deleted
    req = ModifyScalingConfigurationRequest()
    req.set_ScalingConfigurationId("asc-doesnotexist00000000")
    req.set_ScalingConfigurationName("x-name")
    refused(core, req, 404, "InvalidScalingConfigurationId.NotFound", MSG_CONFIG_NOT_FOUND)
    req = DeleteScalingConfigurationRequest()
    req.set_ScalingConfigurationId(active)
    refused(core, req, 400, "IncorrectScalingConfigurationLifecycleState", MSG_CONFIG_STATE)
    assert sorted(configs14(core, asg)) == sorted([active, spare])

    req = DeleteScalingConfigurationRequest()
    req.set_ScalingConfigurationId(spare)
    body = core.do(req)
    assert set(body) == {"RequestId"}, body
    assert sorted(configs14(core, asg)) == [active]
    refused(core, req, 404, "InvalidScalingConfigurationId.NotFound", MSG_CONFIG_NOT_FOUND)


def test_2014_scaling_rules(core, clients, advance, net, name):
    c = clients
    asg, _ = active_group(c, net, name)
    asr, ari = create_rule(c, asg, 1)
    asr2, ari2 = create_rule(c, asg, 3, "TotalCapacity")

    body = rules14(core, ScalingGroupId=asg)
    assert (body["TotalCount"], body["PageNumber"], body["PageSize"]) == (2, 1, 10)
    rules = {r["ScalingRuleId"]: r for r in body["ScalingRules"]["ScalingRule"]}
    assert sorted(rules) == sorted([asr, asr2])
    r = rules[asr]
    assert (r["ScalingRuleAri"], r["ScalingGroupId"], r["ScalingRuleType"]) == (ari, asg, "SimpleScalingRule")
    assert (r["AdjustmentType"], r["AdjustmentValue"], r["MinSize"], r["MaxSize"]) == (
        "QuantityChangeInCapacity", 1, 0, 5
    )
    assert r["StepAdjustments"] == {"StepAdjustment": []}
    assert r["Alarms"] == {"Alarm": []}
    # Filters: ids, ARIs
    body = rules14(core, ScalingRuleIds=[asr2])
    assert [x["ScalingRuleId"] for x in body["ScalingRules"]["ScalingRule"]] == [asr2]
    body = rules14(core, ScalingRuleAris=[ari])
    assert [x["ScalingRuleId"] for x in body["ScalingRules"]["ScalingRule"]] == [asr]

    req = ModifyScalingRuleRequest()
    req.set_ScalingRuleId(asr)
    req.set_ScalingRuleName(f"{name}-r")
    req.set_AdjustmentType("PercentChangeInCapacity")
    req.set_AdjustmentValue(50)
    req.set_Cooldown(120)
    body = core.do(req)
    assert set(body) == {"RequestId"}, body
    r = {x["ScalingRuleId"]: x for x in rules14(core, ScalingGroupId=asg)["ScalingRules"]["ScalingRule"]}[asr]
    assert (r["ScalingRuleName"], r["AdjustmentType"], r["AdjustmentValue"], r["Cooldown"]) == (
        f"{name}-r", "PercentChangeInCapacity", 50, 120
    )
    req = ModifyScalingRuleRequest()
    req.set_ScalingRuleId(asr)
    req.set_AdjustmentType("TotalCapacity")
    req.set_AdjustmentValue(2001)
    refused(core, req, 400, "InvalidParameter")
    r = {x["ScalingRuleId"]: x for x in rules14(core, ScalingGroupId=asg)["ScalingRules"]["ScalingRule"]}[asr]
    assert (r["AdjustmentType"], r["AdjustmentValue"]) == ("PercentChangeInCapacity", 50)

    req = DeleteScalingRuleRequest()
    req.set_ScalingRuleId(asr2)
    body = core.do(req)
    assert set(body) == {"RequestId"}, body
    body = rules14(core, ScalingGroupId=asg)
    assert [x["ScalingRuleId"] for x in body["ScalingRules"]["ScalingRule"]] == [asr]
    refused(core, req, 404, "InvalidScalingRuleId.NotFound", MSG_RULE_NOT_FOUND)
    req = ModifyScalingRuleRequest()
    req.set_ScalingRuleId(asr2)
    req.set_AdjustmentValue(1)
    refused(core, req, 404, "InvalidScalingRuleId.NotFound", MSG_RULE_NOT_FOUND)


def test_2014_create_scheduled_task(core, clients, advance, server, net, name):
    c = clients
    asg, _ = active_group(c, net, name)
    _, ari = create_rule(c, asg, 2)
    launch = next_minute_ms(clock_ms(server), 10)
    req = CreateScheduledTaskRequest()
    req.set_ScheduledTaskName(name)
    req.set_ScheduledAction(ari)
    req.set_LaunchTime(minute_str(launch))
    req.set_Description("from 2014")
    req.set_LaunchExpirationTime(300)
    body = core.do(req)
    assert set(body) == {"RequestId", "ScheduledTaskId"}, body
    tid = body["ScheduledTaskId"]
    assert tid.startswith("sch-")
    q = DescribeScheduledTasksRequest()
    q.set_ScheduledTaskIds([tid])
    body = core.do(q)
    assert body["TotalCount"] == 1
    (t,) = body["ScheduledTasks"]["ScheduledTask"]
    assert t == {
        "ScheduledTaskId": tid, "ScheduledTaskName": name, "Description": "from 2014", "ScheduledAction": ari,
        "LaunchTime": minute_str(launch), "LaunchExpirationTime": 300, "TaskEnabled": True,
    }
    # Duplicate name
    refused(core, req, 400, "InvalidScheduledTaskName.Duplicate")
    advance_to(advance, server, launch + 30_000)
    assert core14_group(core, asg)["TotalCapacity"] == 2


def test_2014_deletion_protection_limitation_detail_and_delete(core, clients, advance, net, name):
    c = clients
    asg, _ = active_group(c, net, name)
    body = core.do(DescribeLimitationRequest())
    body.pop("RequestId")
    assert body == {
        "MaxNumberOfScalingGroups": 100, "MaxNumberOfScalingConfigurations": 10, "MaxNumberOfScalingRules": 50,
        "MaxNumberOfScheduledTasks": 100, "MaxNumberOfScalingInstances": 2000, "MaxNumberOfDBInstances": 8,
        "MaxNumberOfLoadBalancers": 5, "MaxNumberOfMinSize": 2000, "MaxNumberOfMaxSize": 2000,
        "MaxNumberOfLifecycleHooks": 6, "MaxNumberOfNotificationConfigurations": 6,
        "MaxNumberOfVServerGroups": 5, "MaxNumberOfAlbServerGroup": 5, "MaxNumberOfNlbServerGroup": 5,
    }

    _, act = scale(c, asg, 1)
    advance(60)
    (iid,) = core14_instances(core, asg)
    req = DescribeScalingActivityDetailRequest()
    req.set_ScalingActivityId(act)
    body = core.do(req)
    assert set(body) == {"RequestId", "ScalingActivityId", "Detail"}, body
    assert body["ScalingActivityId"] == act
    assert body["Detail"] == f'Add "1" ECS instance: Successful ("{iid}"). "1" ECS instances are added'
    assert core14_activity(core, act)["StatusCode"] == "Successful"
    req.set_ScalingActivityId("asa-doesnotexist00000000")
    refused(core, req, 400, "InvalidParameter")

    # Deletion protection refuses even ForceDelete; turning it off allows it
    req = SetGroupDeletionProtectionRequest()
    req.set_ScalingGroupId(asg)
    req.set_GroupDeletionProtection(True)
    body = core.do(req)
    assert set(body) == {"RequestId"}, body
    assert core14_group(core, asg)["GroupDeletionProtection"] is True
    delete = DeleteScalingGroupRequest()
    delete.set_ScalingGroupId(asg)
    delete.set_ForceDelete(True)
    refused(core, delete, 400, "OperationDenied.GroupDeletionProtection",
            "The specified scaling group has deletion protection enabled.")
    assert core14_group(core, asg)["TotalCapacity"] == 1
    req.set_GroupDeletionProtection(False)
    core.do(req)
    assert core14_group(core, asg)["GroupDeletionProtection"] is False

    # Without ForceDelete a group with instances is refused
    plain = DeleteScalingGroupRequest()
    plain.set_ScalingGroupId(asg)
    refused(core, plain, 400, "InstanceInUse", MSG_INSTANCE_IN_USE)
    body = core.do(delete)
    assert set(body) == {"RequestId"}, body
    advance(60)
    refused(core, plain, 404, "InvalidScalingGroupId.NotFound", MSG_GROUP_NOT_FOUND)
    assert ecs_status(c, iid) is None  # AutoCreated: released with the group

    # An empty group is deleted at once, without ForceDelete
    empty = make_group(c, f"{name}-e", [net.vsw_id])
    plain.set_ScalingGroupId(empty)
    assert set(core.do(plain)) == {"RequestId"}
    refused(core, plain, 404, "InvalidScalingGroupId.NotFound", MSG_GROUP_NOT_FOUND)
    req.set_ScalingGroupId(empty)
    refused(core, req, 404, "InvalidScalingGroupId.NotFound", MSG_GROUP_NOT_FOUND)
