"""Method 2 through the old core SDK (aliyun-python-sdk-core, V2 HMAC-SHA1) and the
aliyun-python-sdk-ess 2014-08-28 request classes; the VPC / RDS side is made with the Tea clients.

2014-08-28 differs on the wire (ess-api.md §1.2): singular repeat lists (DBInstance.N, InstanceId.N,
ScalingGroupId.N, ScalingActivityId.N, RemovalPolicy.N) and wrapped response lists
({"ScalingGroups":{"ScalingGroup":[...]}}, §3.1), including lists of scalars and empty lists."""
from __future__ import annotations

import ipaddress

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkess.request.v20140828.AttachDBInstancesRequest import AttachDBInstancesRequest
from aliyunsdkess.request.v20140828.CreateScalingConfigurationRequest import CreateScalingConfigurationRequest
from aliyunsdkess.request.v20140828.CreateScalingGroupRequest import CreateScalingGroupRequest
from aliyunsdkess.request.v20140828.CreateScalingRuleRequest import CreateScalingRuleRequest
from aliyunsdkess.request.v20140828.DescribeScalingActivitiesRequest import DescribeScalingActivitiesRequest
from aliyunsdkess.request.v20140828.DescribeScalingGroupsRequest import DescribeScalingGroupsRequest
from aliyunsdkess.request.v20140828.DescribeScalingInstancesRequest import DescribeScalingInstancesRequest
from aliyunsdkess.request.v20140828.DetachDBInstancesRequest import DetachDBInstancesRequest
from aliyunsdkess.request.v20140828.EnableScalingGroupRequest import EnableScalingGroupRequest
from aliyunsdkess.request.v20140828.ExecuteScalingRuleRequest import ExecuteScalingRuleRequest
from aliyunsdkess.request.v20140828.ModifyScalingGroupRequest import ModifyScalingGroupRequest
from aliyunsdkess.request.v20140828.RemoveInstancesRequest import RemoveInstancesRequest

from esl_helpers import (
    DEFAULT_REMOVAL_POLICIES,
    IMAGE_ID,
    INSTANCE_TYPE,
    MINUTE_TIME,
    MSG_ACTIVITY_IN_PROGRESS,
    MSG_GROUP_NOT_FOUND,
    REGION,
    cause_execute,
    create_rds,
    ecs_instances,
    whitelist,
)


def describe_group(core, asg: str) -> dict:
    req = DescribeScalingGroupsRequest()
    req.set_ScalingGroupIds([asg])
    body = core.do(req)
    items = body["ScalingGroups"]["ScalingGroup"]
    assert [g["ScalingGroupId"] for g in items] == [asg], body
    assert body["TotalCount"] == 1
    return items[0]


def describe_activity(core, act: str) -> dict:
    req = DescribeScalingActivitiesRequest()
    req.set_ScalingActivityIds([act])
    body = core.do(req)
    items = body["ScalingActivities"]["ScalingActivity"]
    assert [a["ScalingActivityId"] for a in items] == [act], body
    return items[0]


def describe_instances(core, asg: str) -> list[dict]:
    req = DescribeScalingInstancesRequest()
    req.set_ScalingGroupId(asg)
    req.set_PageSize(50)
    body = core.do(req)
    items = body["ScalingInstances"]["ScalingInstance"]
    assert body["TotalCount"] == len(items), body
    return items


def create_rule(core, asg: str, value: int) -> tuple[str, str]:
    req = CreateScalingRuleRequest()
    req.set_ScalingGroupId(asg)
    req.set_AdjustmentType("QuantityChangeInCapacity")
    req.set_AdjustmentValue(value)
    body = core.do(req)
    assert body["ScalingRuleId"].startswith("asr-"), body
    return body["ScalingRuleId"], body["ScalingRuleAri"]


def execute(core, ari: str) -> str:
    req = ExecuteScalingRuleRequest()
    req.set_ScalingRuleAri(ari)
    body = core.do(req)
    assert body["ScalingActivityId"].startswith("asa-"), body
    return body["ScalingActivityId"]


def test_method2_walk_2014(core, clients, advance, server, net, name):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, f"{name}-1")

    # CreateScalingGroup with the JSON-string DBInstanceIds (both versions accept it, §1.2)
    req = CreateScalingGroupRequest()
    req.set_ScalingGroupName(name)
    req.set_MinSize(0)
    req.set_MaxSize(5)
    req.set_VSwitchIdss([net.vsw_id])
    req.set_DBInstanceIds(f'["{rm}"]')
    asg = core.do(req)["ScalingGroupId"]
    assert asg.startswith("asg-")

    g = describe_group(core, asg)
    assert g["LifecycleState"] == "Inactive"
    assert g["ScalingGroupName"] == name
    assert (g["MinSize"], g["MaxSize"], g["TotalCapacity"]) == (0, 5, 0)
    assert g["DBInstanceIds"] == {"DBInstanceId": [rm]}
    assert g["VSwitchIds"] == {"VSwitchId": [net.vsw_id]}
    assert g["RemovalPolicies"] == {"RemovalPolicy": DEFAULT_REMOVAL_POLICIES}
    assert g["DBInstances"] == {
        "DBInstance": [{"DBInstanceId": rm, "Type": "RDS", "SecurityGroupIds": {"SecurityGroupId": []}}]
    }
    assert g["VpcId"] == net.vpc_id

    req = CreateScalingConfigurationRequest()
    req.set_ScalingGroupId(asg)
    req.set_ImageId(IMAGE_ID)
    req.set_InstanceType(INSTANCE_TYPE)
    req.set_SecurityGroupId(net.sg_id)
    asc = core.do(req)["ScalingConfigurationId"]
    assert asc.startswith("asc-")

    req = EnableScalingGroupRequest()
    req.set_ScalingGroupId(asg)
    core.do(req)
    g = describe_group(core, asg)
    assert g["LifecycleState"] == "Active"
    assert g["ActiveScalingConfigurationId"] == asc

    asr, ari = create_rule(core, asg, 2)
    assert ari == f"ari:acs:ess:{REGION}:{server.account_id}:scalingrule/{asr}"
    act = execute(core, ari)

    a = describe_activity(core, act)
    assert a["StatusCode"] == "InProgress"
    assert a["Cause"] == cause_execute(asr, 0, 2)
    insts = describe_instances(core, asg)
    assert sorted(i["PrivateIpAddress"] for i in insts) == ["10.0.1.1", "10.0.1.2"]
    assert [i["LifecycleState"] for i in insts] == ["Pending", "Pending"]
    assert [i["CreationType"] for i in insts] == ["AutoCreated", "AutoCreated"]
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2"

    with pytest.raises(ServerException) as ei:
        execute(core, ari)
    assert (ei.value.get_http_status(), ei.value.get_error_code()) == (400, "ScalingActivityInProgress")
    assert ei.value.get_error_msg() == MSG_ACTIVITY_IN_PROGRESS

    advance(60)
    a = describe_activity(core, act)
    assert a["StatusCode"] == "Successful"
    assert a["Progress"] == 100
    assert a["TotalCapacity"] == "2"  # a string in 2014 too
    assert MINUTE_TIME.match(a["EndTime"]), a
    insts = describe_instances(core, asg)
    assert [i["LifecycleState"] for i in insts] == ["InService", "InService"]
    assert [i["HealthStatus"] for i in insts] == ["Healthy", "Healthy"]
    by_ip = {i["PrivateIpAddress"]: i["InstanceId"] for i in insts}

    # AttachDBInstances with 2014's DBInstance.N, ForceAttach=True
    rm2 = create_rds(c, advance, net.vpc_id, net.db_vsw_id, f"{name}-2")
    req = AttachDBInstancesRequest()
    req.set_ScalingGroupId(asg)
    req.set_DBInstances([rm2])
    req.set_ForceAttach(True)
    core.do(req)
    entries = whitelist(c, rm2).split(",")
    assert entries[0] == "127.0.0.1" and sorted(entries[1:]) == ["10.0.1.1", "10.0.1.2"]
    g = describe_group(core, asg)
    assert sorted(g["DBInstanceIds"]["DBInstanceId"]) == sorted([rm, rm2])

    # DetachDBInstances, ForceDetach=True
    req = DetachDBInstancesRequest()
    req.set_ScalingGroupId(asg)
    req.set_DBInstances([rm2])
    req.set_ForceDetach(True)
    core.do(req)
    assert whitelist(c, rm2) == "127.0.0.1"
    assert describe_group(core, asg)["DBInstanceIds"] == {"DBInstanceId": [rm]}

    # RemoveInstances with 2014's InstanceId.N
    req = RemoveInstancesRequest()
    req.set_ScalingGroupId(asg)
    req.set_InstanceIds([by_ip["10.0.1.1"]])
    act2 = core.do(req)["ScalingActivityId"]
    assert act2.startswith("asa-")
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.2"
    advance(60)
    a = describe_activity(core, act2)
    assert (a["StatusCode"], a["TotalCapacity"]) == ("Successful", "1")
    assert [i["InstanceId"] for i in describe_instances(core, asg)] == [by_ip["10.0.1.2"]]
    assert ecs_instances(c, [by_ip["10.0.1.1"]]) == []
    assert describe_group(core, asg)["TotalCapacity"] == 1


def test_2014_scaling_activity_list_is_wrapped(core, clients, advance, net, name):
    # Several activities of one group through DescribeScalingActivities ScalingGroupId (2014 shape).
    req = CreateScalingGroupRequest()
    req.set_ScalingGroupName(name)
    req.set_MinSize(0)
    req.set_MaxSize(3)
    req.set_VSwitchIdss([net.vsw_id])
    asg = core.do(req)["ScalingGroupId"]
    req = CreateScalingConfigurationRequest()
    req.set_ScalingGroupId(asg)
    req.set_ImageId(IMAGE_ID)
    req.set_InstanceType(INSTANCE_TYPE)
    req.set_SecurityGroupId(net.sg_id)
    core.do(req)
    req = EnableScalingGroupRequest()
    req.set_ScalingGroupId(asg)
    core.do(req)
    g = describe_group(core, asg)
    assert g["DBInstanceIds"] == {"DBInstanceId": []}
    assert g["DBInstances"] == {"DBInstance": []}

    _, ari = create_rule(core, asg, 1)
    acts = [execute(core, ari)]
    advance(60)
    acts.append(execute(core, ari))
    advance(60)
    req = DescribeScalingActivitiesRequest()
    req.set_ScalingGroupId(asg)
    body = core.do(req)
    got = body["ScalingActivities"]["ScalingActivity"]
    assert sorted(a["ScalingActivityId"] for a in got) == sorted(acts)
    assert body["TotalCount"] == 2
    for a in got:
        assert a["StatusCode"] == "Successful"
        assert isinstance(a["TotalCapacity"], str)
    assert sorted(a["TotalCapacity"] for a in got) == ["1", "2"]
    ips = sorted((i["PrivateIpAddress"] for i in describe_instances(core, asg)), key=ipaddress.IPv4Address)
    assert ips == ["10.0.1.1", "10.0.1.2"]


def test_2014_modify_unknown_group(core):
    req = ModifyScalingGroupRequest()
    req.set_ScalingGroupId("asg-doesnotexist0000000")
    req.set_MaxSize(3)
    with pytest.raises(ServerException) as ei:
        core.do(req)
    e = ei.value
    assert (e.get_http_status(), e.get_error_code()) == (404, "InvalidScalingGroupId.NotFound")
    assert e.get_error_msg() == MSG_GROUP_NOT_FOUND
