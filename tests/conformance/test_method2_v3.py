"""Method 2 of Alibaba's guide ("associate the scaling group with RDS") through the 2022 Tea SDKs
(V3 signatures): VPC, vSwitch, security group, RDS, scaling group with DBInstances, scale out / in,
RemoveInstances, Attach/DetachDBInstances with ForceAttach/ForceDetach, ModifySecurityIps, errors.

Sources: ess-api.md §2, §3, §4, §5 and db-oos-api.md §1.2, §2; the ess-local contract for the virtual
clock (advance(60) is always enough for any activity / DB status change) and IP allocation (from the
vSwitch CIDR, skipping the network address and the last three; a fresh /24 starts at .1 and the
cursor moves on)."""
from __future__ import annotations

import ipaddress
import json

import alibabacloud_ecs20140526.models as ecs_models
import alibabacloud_ess20220222.models as ess_models
import alibabacloud_rds20140815.models as rds_models
import alibabacloud_vpc20160428.models as vpc_models

from esl_helpers import (
    DEFAULT_REMOVAL_POLICIES,
    IMAGE_ID,
    INSTANCE_TYPE,
    MINUTE_TIME,
    MSG_ACTIVITY_IN_PROGRESS,
    MSG_GROUP_NOT_FOUND,
    MSG_INSTANCE_IN_USE,
    REGION,
    SECOND_TIME,
    ZONE,
    activity,
    assert_successful,
    attach_db,
    by_ip,
    call,
    cause_execute,
    create_config,
    create_group,
    create_rds,
    create_rds_request,
    create_rule,
    create_sg,
    create_vpc,
    create_vswitch,
    detach_db,
    ecs_instances,
    enable,
    execute,
    expect_error,
    group,
    instances,
    ip_arrays,
    modify_ips,
    ready_group,
    rds_status,
    remove,
    scale,
    whitelist,
)

RESERVED_LAST_OCTETS = {0, 253, 254, 255}


def assert_usable_ip(ip: str, cidr: str = "10.0.1.0/24") -> None:
    a = ipaddress.IPv4Address(ip)
    assert a in ipaddress.IPv4Network(cidr), ip
    assert int(a) & 0xFF not in RESERVED_LAST_OCTETS, f"{ip} is a reserved vSwitch address"


# ------------------------------------------------------------------------------------------------
# The full walk, as the guide does it (the database lives in the instances' vSwitch)

def test_method2_walk(clients, advance, server, name):
    c = clients
    # VPC
    vpc_id = create_vpc(c, name)
    raw = call(c.vpc.describe_vpcs, vpc_models.DescribeVpcsRequest(region_id=REGION, vpc_id=vpc_id))
    vpcs = raw["Vpcs"]["Vpc"]
    assert [v["VpcId"] for v in vpcs] == [vpc_id]
    assert vpcs[0]["Status"] == "Available"
    assert vpcs[0]["CidrBlock"] == "10.0.0.0/16"
    assert vpcs[0]["VpcName"] == name
    assert raw["TotalCount"] == 1

    # vSwitch
    vsw = create_vswitch(c, vpc_id, "10.0.1.0/24", f"{name}-vsw")
    raw = call(c.vpc.describe_vswitches, vpc_models.DescribeVSwitchesRequest(region_id=REGION, v_switch_id=vsw))
    sws = raw["VSwitches"]["VSwitch"]
    assert [s["VSwitchId"] for s in sws] == [vsw]
    assert sws[0]["Status"] == "Available"
    assert sws[0]["VpcId"] == vpc_id
    assert sws[0]["ZoneId"] == ZONE
    assert sws[0]["CidrBlock"] == "10.0.1.0/24"

    # Security group
    sg = create_sg(c, vpc_id, f"{name}-sg")
    raw = call(c.ecs.describe_security_groups, ecs_models.DescribeSecurityGroupsRequest(region_id=REGION, security_group_id=sg))
    sgs = raw["SecurityGroups"]["SecurityGroup"]
    assert [s["SecurityGroupId"] for s in sgs] == [sg]
    assert sgs[0]["VpcId"] == vpc_id
    assert sgs[0]["SecurityGroupName"] == f"{name}-sg"

    # RDS: Creating, then Running after the clock moves
    raw = call(c.rds.create_dbinstance, create_rds_request(vpc_id, vsw, name))
    rm = raw["DBInstanceId"]
    assert rm.startswith("rm-")
    assert rds_status(c, rm) == "Creating"
    advance(60)
    assert rds_status(c, rm) == "Running"
    groups = ip_arrays(c, rm)
    assert [g["DBInstanceIPArrayName"] for g in groups] == ["default"]
    assert groups[0]["SecurityIPList"] == "127.0.0.1"

    # Scaling group associated with the RDS instance (2022 DBInstances.N)
    req = ess_models.CreateScalingGroupRequest(
        region_id=REGION,
        scaling_group_name=name,
        min_size=0,
        max_size=5,
        v_switch_ids=[vsw],
        dbinstances=[ess_models.CreateScalingGroupRequestDBInstances(dbinstance_id=rm, type="RDS", attach_mode="SecurityIp")],
    )
    asg = call(c.ess.create_scaling_group, req)["ScalingGroupId"]
    assert asg.startswith("asg-")
    g = group(c, asg)
    assert g["LifecycleState"] == "Inactive"
    assert g["ScalingGroupName"] == name
    assert g["RegionId"] == REGION
    assert (g["MinSize"], g["MaxSize"]) == (0, 5)
    assert g["DBInstanceIds"] == [rm]
    # ess-api.md §3.2: DBInstances items are {DBInstanceId, Type, SecurityGroupIds} (no AttachMode).
    assert g["DBInstances"] == [{"DBInstanceId": rm, "Type": "RDS", "SecurityGroupIds": []}]
    assert g["VSwitchIds"] == [vsw]
    assert g["VpcId"] == vpc_id
    assert g["RemovalPolicies"] == DEFAULT_REMOVAL_POLICIES
    assert g["TotalCapacity"] == 0
    assert MINUTE_TIME.match(g["CreationTime"]), g["CreationTime"]

    # Configuration, enable
    asc = create_config(c, asg, sg, f"{name}-cfg")
    enable(c, asg)
    g = group(c, asg)
    assert g["LifecycleState"] == "Active"
    assert g["ActiveScalingConfigurationId"] == asc
    raw = call(
        c.ess.describe_scaling_configurations,
        ess_models.DescribeScalingConfigurationsRequest(region_id=REGION, scaling_group_id=asg),
    )
    cfgs = raw["ScalingConfigurations"]
    assert [x["ScalingConfigurationId"] for x in cfgs] == [asc]
    assert cfgs[0]["LifecycleState"] == "Active"
    assert cfgs[0]["ImageId"] == IMAGE_ID
    assert cfgs[0]["InstanceType"] == INSTANCE_TYPE
    assert cfgs[0]["SecurityGroupId"] == sg
    assert cfgs[0]["ScalingGroupId"] == asg

    # Scaling rule, executed by its ARI
    asr, ari = create_rule(c, asg, 2)
    assert ari == f"ari:acs:ess:{REGION}:{server.account_id}:scalingrule/{asr}"
    act = execute(c, ari)

    # Inside the call: activity InProgress, two Pending instances with IPs already whitelisted
    a = activity(c, act)
    assert a["StatusCode"] == "InProgress"
    assert a["ScalingGroupId"] == asg
    assert a["Cause"] == cause_execute(asr, 0, 2)
    insts = instances(c, asg)
    assert len(insts) == 2
    for i in insts:
        assert i["LifecycleState"] == "Pending"
        assert i["CreationType"] == "AutoCreated"
        assert i["ScalingGroupId"] == asg
        assert i["ScalingConfigurationId"] == asc
        assert i["ScalingActivityId"] == act
        assert_usable_ip(i["PrivateIpAddress"])
    ips = sorted((i["PrivateIpAddress"] for i in insts), key=ipaddress.IPv4Address)
    assert len(set(ips)) == 2
    # The cursor moves on, so the first-allocated address is the lower one; entries are appended
    # in allocation order after the kept 127.0.0.1.
    assert whitelist(c, rm) == f"127.0.0.1,{ips[0]},{ips[1]}"
    g = group(c, asg)
    assert (g["TotalCapacity"], g["PendingCapacity"], g["ActiveCapacity"]) == (2, 2, 0)

    # A second activity while one is in progress is refused
    expect_error(
        c.ess.execute_scaling_rule,
        ess_models.ExecuteScalingRuleRequest(region_id=REGION, scaling_rule_ari=ari),
        status=400,
        code="ScalingActivityInProgress",
        message=MSG_ACTIVITY_IN_PROGRESS,
    )

    # After the clock moves: Successful, InService, Healthy
    advance(60)
    a = activity(c, act)
    assert_successful(a, 2)
    assert a["Cause"] == cause_execute(asr, 0, 2)
    insts = instances(c, asg)
    assert sorted(i["PrivateIpAddress"] for i in insts) == sorted(ips)
    for i in insts:
        assert i["LifecycleState"] == "InService"
        assert i["HealthStatus"] == "Healthy"
        assert MINUTE_TIME.match(i["CreationTime"]), i["CreationTime"]
        assert SECOND_TIME.match(i["CreatedTime"]), i["CreatedTime"]
    g = group(c, asg)
    assert (g["TotalCapacity"], g["ActiveCapacity"], g["PendingCapacity"]) == (2, 2, 0)
    assert whitelist(c, rm) == f"127.0.0.1,{ips[0]},{ips[1]}"

    # ECS sees the instances, VPC-addressed
    ids = [i["InstanceId"] for i in insts]
    ecs = {x["InstanceId"]: x for x in ecs_instances(c, ids)}
    assert sorted(ecs) == sorted(ids)
    for i in insts:
        e = ecs[i["InstanceId"]]
        assert e["Status"] == "Running"
        assert e["InstanceNetworkType"] == "vpc"
        assert e["VpcAttributes"]["VpcId"] == vpc_id
        assert e["VpcAttributes"]["VSwitchId"] == vsw
        assert e["VpcAttributes"]["PrivateIpAddress"]["IpAddress"] == [i["PrivateIpAddress"]]
        # db-oos-api.md §2.3: both arrays always present (OOS templates' jq needs them)
        assert e["InnerIpAddress"]["IpAddress"] == []
        assert e["SecurityGroupIds"]["SecurityGroupId"] == [sg]
        assert e["ZoneId"] == ZONE
        assert e["ImageId"] == IMAGE_ID
        assert e["InstanceType"] == INSTANCE_TYPE
        assert e["RegionId"] == REGION

    # Scale in by one. Both instances came from the same configuration in the same activity, so
    # which one leaves is not pinned here (test_scale_in_removes_oldest_instance_and_its_ip pins the
    # order); exactly the leaving instance's IP leaves the whitelist, inside the call.
    asr_in, ari_in = create_rule(c, asg, -1)
    act_in = execute(c, ari_in)
    insts = instances(c, asg)
    removing = [i for i in insts if i["LifecycleState"] == "Removing"]
    staying = [i for i in insts if i["LifecycleState"] == "InService"]
    assert (len(removing), len(staying)) == (1, 1), insts
    assert whitelist(c, rm) == f"127.0.0.1,{staying[0]['PrivateIpAddress']}"
    assert activity(c, act_in)["Cause"] == cause_execute(asr_in, 2, 1)
    advance(60)
    assert_successful(activity(c, act_in), 1)
    assert [i["InstanceId"] for i in instances(c, asg)] == [staying[0]["InstanceId"]]
    assert ecs_instances(c, [removing[0]["InstanceId"]]) == []
    assert whitelist(c, rm) == f"127.0.0.1,{staying[0]['PrivateIpAddress']}"

    # RemoveInstances of the last one
    act_rm = remove(c, asg, [staying[0]["InstanceId"]])
    assert whitelist(c, rm) == "127.0.0.1"
    advance(60)
    assert_successful(activity(c, act_rm), 0)
    assert instances(c, asg) == []
    g = group(c, asg)
    assert (g["TotalCapacity"], g["ActiveCapacity"], g["RemovingCapacity"]) == (0, 0, 0)


# ------------------------------------------------------------------------------------------------
# RDS alone

def test_rds_create_describe(clients, advance, net, name):
    c = clients
    raw = call(c.rds.create_dbinstance, create_rds_request(net.vpc_id, net.db_vsw_id, name))
    rm = raw["DBInstanceId"]
    # db-oos-api.md §1.2: ConnectionString like rm-xxx.mysql.rds.aliyuncs.com, Port "3306" (a string)
    assert raw["ConnectionString"] == f"{rm}.mysql.rds.aliyuncs.com"
    assert raw["Port"] == "3306"
    raw = call(c.rds.describe_dbinstances, rds_models.DescribeDBInstancesRequest(region_id=REGION, dbinstance_id=rm))
    (d,) = raw["Items"]["DBInstance"]
    assert d["DBInstanceStatus"] == "Creating"
    assert d["Engine"] == "MySQL"
    assert d["EngineVersion"] == "8.0"
    assert d["DBInstanceClass"] == "mysql.n2.medium.1"
    assert d["InstanceNetworkType"] == "VPC"
    assert d["DBInstanceNetType"] == "Intranet"
    assert d["PayType"] == "Postpaid"
    assert d["VpcId"] == net.vpc_id
    assert d["VSwitchId"] == net.db_vsw_id
    assert d["ZoneId"] == ZONE
    advance(60)
    assert rds_status(c, rm) == "Running"
    groups = ip_arrays(c, rm)
    assert len(groups) == 1, groups
    keys = ("DBInstanceIPArrayName", "DBInstanceIPArrayAttribute", "SecurityIPType", "SecurityIPList", "WhitelistNetworkType")
    assert {k: groups[0].get(k) for k in keys} == {
        "DBInstanceIPArrayName": "default",
        "DBInstanceIPArrayAttribute": "",
        "SecurityIPType": "IPv4",
        "SecurityIPList": "127.0.0.1",
        "WhitelistNetworkType": "MIX",
    }


def test_modify_security_ips_semantics(clients, advance, net, name):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    raw = modify_ips(c, rm, "192.168.0.1,192.168.0.2", "Append")
    assert set(raw) >= {"RequestId"}
    assert whitelist(c, rm) == "127.0.0.1,192.168.0.1,192.168.0.2"
    modify_ips(c, rm, "192.168.0.1", "Delete")
    assert whitelist(c, rm) == "127.0.0.1,192.168.0.2"
    modify_ips(c, rm, "10.1.1.1,10.1.2.0/24", "Cover")
    assert whitelist(c, rm) == "10.1.1.1,10.1.2.0/24"
    modify_ips(c, rm, "10.9.9.9")  # ModifyMode defaults to Cover
    assert whitelist(c, rm) == "10.9.9.9"
    # Another group: created on first write, the default group is untouched
    modify_ips(c, rm, "172.16.0.1", "Cover", group="app_group")
    assert whitelist(c, rm, "app_group") == "172.16.0.1"
    assert whitelist(c, rm) == "10.9.9.9"
    assert sorted(g["DBInstanceIPArrayName"] for g in ip_arrays(c, rm)) == ["app_group", "default"]

    # Duplicates within one request (api-meta rds ModifySecurityIps errorCodes, 400)
    expect_error(
        c.rds.modify_security_ips,
        rds_models.ModifySecurityIpsRequest(dbinstance_id=rm, security_ips="1.1.1.1,1.1.1.1", modify_mode="Append"),
        status=400,
        code="InvalidSecurityIPList.Duplicate",
        message="Specified security IP list is not valid: Duplicate IP address in the list.",
    )
    # A malformed entry. Choice: api-meta rds-2014-08-15 ModifySecurityIps lists only
    # `SecurityIPList.Format` ("Specified SecurityIPList is not valid.", 400) for this action;
    # `InvalidSecurityIPList.Format` is documented for CreateDBInstance, not here.
    for bad in ("1.1.1.300", "not-an-ip", "10.0.0.0/33"):
        expect_error(
            c.rds.modify_security_ips,
            rds_models.ModifySecurityIpsRequest(dbinstance_id=rm, security_ips=f"2.2.2.2,{bad}", modify_mode="Append"),
            status=400,
            code="SecurityIPList.Format",
            message="Specified SecurityIPList is not valid.",
        )
    # Failed requests change nothing
    assert whitelist(c, rm) == "10.9.9.9"


def test_modify_security_ips_needs_running_instance(clients, net, name):
    # db-oos-api.md §1.2: the instance must be Running, else IncorrectDBInstanceState (403).
    c = clients
    rm = call(c.rds.create_dbinstance, create_rds_request(net.vpc_id, net.db_vsw_id, name))["DBInstanceId"]
    expect_error(
        c.rds.modify_security_ips,
        rds_models.ModifySecurityIpsRequest(dbinstance_id=rm, security_ips="1.1.1.1", modify_mode="Append"),
        status=403,
        code="IncorrectDBInstanceState",
        message="Current DB instance state does not support this operation.",
    )


# ------------------------------------------------------------------------------------------------
# IP allocation, scale in, RemoveInstances

def test_ip_allocation_starts_at_1_and_moves_on(clients, advance, net, name):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, _ = ready_group(c, net, name, rds_ids=[rm])
    scale(c, asg, 2)
    assert sorted(by_ip(instances(c, asg))) == ["10.0.1.1", "10.0.1.2"]
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2"
    advance(60)
    first = by_ip(instances(c, asg))["10.0.1.1"]["InstanceId"]
    remove(c, asg, [first])
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.2"
    advance(60)
    # Released addresses are reused only after wrap-around: the next one is .3, not .1
    scale(c, asg, 1)
    assert sorted(by_ip(instances(c, asg))) == ["10.0.1.2", "10.0.1.3"]
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.2,10.0.1.3"
    advance(60)


def test_ip_allocation_skips_reserved_and_wraps_around(clients, advance, net, name):
    # A /29 has 8 addresses: .0 (network) and the last three (.5 .6 .7) are reserved
    # (db-oos-api.md §2.1), so only .1-.4 are handed out; the cursor then wraps to the lowest free one.
    c = clients
    vsw29 = create_vswitch(c, net.vpc_id, "10.0.3.0/29", f"{name}-29")
    asg = create_group(c, name, vsw29, max_size=5)
    create_config(c, asg, net.sg_id, f"{name}-cfg")
    enable(c, asg)
    scale(c, asg, 3)
    advance(60)
    insts = by_ip(instances(c, asg))
    assert sorted(insts) == ["10.0.3.1", "10.0.3.2", "10.0.3.3"]
    remove(c, asg, [insts["10.0.3.1"]["InstanceId"]])
    advance(60)
    scale(c, asg, 2)
    assert sorted(by_ip(instances(c, asg))) == ["10.0.3.1", "10.0.3.2", "10.0.3.3", "10.0.3.4"]
    advance(60)


def test_create_group_with_json_dbinstance_ids(clients, advance, net, name):
    # DBInstanceIds is a JSON array string in both versions (ess-api.md §1.2); DESIGN.md §7 reads it.
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    raw = call(
        c.ess.create_scaling_group,
        ess_models.CreateScalingGroupRequest(
            region_id=REGION, scaling_group_name=name, min_size=0, max_size=2,
            v_switch_ids=[net.vsw_id], dbinstance_ids=json.dumps([rm]),
        ),
    )
    g = group(c, raw["ScalingGroupId"])
    assert g["DBInstanceIds"] == [rm]
    assert g["DBInstances"] == [{"DBInstanceId": rm, "Type": "RDS", "SecurityGroupIds": []}]


def test_scale_in_removes_oldest_instance_and_its_ip(clients, advance, net, name):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, _ = ready_group(c, net, name, rds_ids=[rm])
    # Two instances created 60 virtual seconds apart, so "oldest" is unambiguous.
    scale(c, asg, 1)
    advance(60)
    scale(c, asg, 1)
    advance(60)
    insts = by_ip(instances(c, asg))
    assert sorted(insts) == ["10.0.1.1", "10.0.1.2"]
    old_id, new_id = insts["10.0.1.1"]["InstanceId"], insts["10.0.1.2"]["InstanceId"]
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2"

    asr, act = scale(c, asg, -1)
    # Default RemovalPolicies: OldestScalingConfiguration (a tie here), then OldestInstance.
    # Inside the call the chosen instance is Removing and its IP has already left the whitelist.
    insts = {i["InstanceId"]: i for i in instances(c, asg)}
    assert insts[old_id]["LifecycleState"] == "Removing"
    assert insts[new_id]["LifecycleState"] == "InService"
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.2"
    a = activity(c, act)
    assert a["StatusCode"] == "InProgress"
    assert a["Cause"] == cause_execute(asr, 2, 1)
    g = group(c, asg)
    # ess-api.md §5.1: TotalCapacity counts instances in all states
    assert (g["TotalCapacity"], g["RemovingCapacity"], g["ActiveCapacity"]) == (2, 1, 1)

    advance(60)
    assert_successful(activity(c, act), 1)
    assert [i["InstanceId"] for i in instances(c, asg)] == [new_id]
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.2"
    # Released: ECS no longer knows it
    assert ecs_instances(c, [old_id]) == []
    assert [e["InstanceId"] for e in ecs_instances(c, [new_id])] == [new_id]
    g = group(c, asg)
    assert (g["TotalCapacity"], g["RemovingCapacity"], g["ActiveCapacity"]) == (1, 0, 1)


def test_remove_instances(clients, advance, net, name):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, _ = ready_group(c, net, name, rds_ids=[rm])
    scale(c, asg, 1)
    advance(60)
    (inst,) = instances(c, asg)
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1"
    act = remove(c, asg, [inst["InstanceId"]])
    assert whitelist(c, rm) == "127.0.0.1"
    assert [i["LifecycleState"] for i in instances(c, asg)] == ["Removing"]
    advance(60)
    a = activity(c, act)
    assert_successful(a, 0)
    assert instances(c, asg) == []
    assert group(c, asg)["TotalCapacity"] == 0
    assert ecs_instances(c, [inst["InstanceId"]]) == []
    assert whitelist(c, rm) == "127.0.0.1"


# ------------------------------------------------------------------------------------------------
# AttachDBInstances / DetachDBInstances

def test_force_attach_and_force_detach(clients, advance, net, name):
    c = clients
    rm1 = create_rds(c, advance, net.vpc_id, net.db_vsw_id, f"{name}-1")
    asg, _ = ready_group(c, net, name, rds_ids=[rm1])
    scale(c, asg, 2)
    advance(60)
    assert whitelist(c, rm1) == "127.0.0.1,10.0.1.1,10.0.1.2"

    # ForceAttach=True: the current instances' IPs go in at once
    rm2 = create_rds(c, advance, net.vpc_id, net.db_vsw_id, f"{name}-2")
    attach_db(c, asg, [rm2], force=True)
    entries = whitelist(c, rm2).split(",")
    assert entries[0] == "127.0.0.1"
    assert sorted(entries[1:]) == ["10.0.1.1", "10.0.1.2"]
    g = group(c, asg)
    assert sorted(g["DBInstanceIds"]) == sorted([rm1, rm2])
    assert sorted(g["DBInstances"], key=lambda d: d["DBInstanceId"]) == sorted(
        [{"DBInstanceId": r, "Type": "RDS", "SecurityGroupIds": []} for r in (rm1, rm2)],
        key=lambda d: d["DBInstanceId"],
    )

    # A hand-made entry survives ForceDetach; only the group's IPs leave
    modify_ips(c, rm2, "192.168.0.9", "Append")
    detach_db(c, asg, [rm2], force=True)
    assert whitelist(c, rm2) == "127.0.0.1,192.168.0.9"
    assert group(c, asg)["DBInstanceIds"] == [rm1]
    assert whitelist(c, rm1) == "127.0.0.1,10.0.1.1,10.0.1.2"

    # ForceAttach=False: existing instances are not added, new ones are
    attach_db(c, asg, [rm2], force=False)
    assert whitelist(c, rm2) == "127.0.0.1,192.168.0.9"
    scale(c, asg, 1)
    assert whitelist(c, rm2) == "127.0.0.1,192.168.0.9,10.0.1.3"
    assert whitelist(c, rm1) == "127.0.0.1,10.0.1.1,10.0.1.2,10.0.1.3"
    advance(60)

    # ForceDetach=False leaves the IPs; and a detached DB is no longer maintained
    detach_db(c, asg, [rm1], force=False)
    assert whitelist(c, rm1) == "127.0.0.1,10.0.1.1,10.0.1.2,10.0.1.3"
    assert group(c, asg)["DBInstanceIds"] == [rm2]
    newest = by_ip(instances(c, asg))["10.0.1.3"]["InstanceId"]
    remove(c, asg, [newest])
    advance(60)
    assert whitelist(c, rm1) == "127.0.0.1,10.0.1.1,10.0.1.2,10.0.1.3"
    assert whitelist(c, rm2) == "127.0.0.1,192.168.0.9"


# ------------------------------------------------------------------------------------------------
# Deletion

def test_delete_group_with_instances(clients, advance, net, name):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, _ = ready_group(c, net, name, rds_ids=[rm])
    scale(c, asg, 2)
    advance(60)
    ids = [i["InstanceId"] for i in instances(c, asg)]
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2"

    # ess-api.md §5.1 / §4: non-force delete of a group with instances is refused
    expect_error(
        c.ess.delete_scaling_group,
        ess_models.DeleteScalingGroupRequest(region_id=REGION, scaling_group_id=asg),
        status=400,
        code="InstanceInUse",
        message=MSG_INSTANCE_IN_USE,
    )
    assert group(c, asg)["TotalCapacity"] == 2

    call(c.ess.delete_scaling_group, ess_models.DeleteScalingGroupRequest(region_id=REGION, scaling_group_id=asg, force_delete=True))
    advance(60)
    raw = call(c.ess.describe_scaling_groups, ess_models.DescribeScalingGroupsRequest(region_id=REGION, scaling_group_ids=[asg]))
    assert raw["ScalingGroups"] == []
    assert raw["TotalCount"] == 0
    # AutoCreated instances are released, and their IPs leave the whitelist; the DB itself stays
    assert ecs_instances(c, ids) == []
    assert whitelist(c, rm) == "127.0.0.1"
    assert rds_status(c, rm) == "Running"


# ------------------------------------------------------------------------------------------------
# Errors

def test_describe_unknown_group_is_empty(clients):
    raw = call(
        clients.ess.describe_scaling_groups,
        ess_models.DescribeScalingGroupsRequest(region_id=REGION, scaling_group_ids=["asg-doesnotexist0000000"]),
    )
    assert raw["ScalingGroups"] == []
    assert raw["TotalCount"] == 0


def test_modify_unknown_group(clients):
    expect_error(
        clients.ess.modify_scaling_group,
        ess_models.ModifyScalingGroupRequest(scaling_group_id="asg-doesnotexist0000000", max_size=3),
        status=404,
        code="InvalidScalingGroupId.NotFound",
        message=MSG_GROUP_NOT_FOUND,
    )


def test_create_group_min_greater_than_max(clients, net, name):
    expect_error(
        clients.ess.create_scaling_group,
        ess_models.CreateScalingGroupRequest(
            region_id=REGION, scaling_group_name=name, min_size=3, max_size=2, v_switch_ids=[net.vsw_id]
        ),
        status=400,
        code="InvalidParameter.Conflict",
    )
    raw = call(
        clients.ess.describe_scaling_groups,
        ess_models.DescribeScalingGroupsRequest(region_id=REGION, scaling_group_name=name),
    )
    assert raw["ScalingGroups"] == []


def test_attach_db_errors(clients, advance, net, name):
    c = clients
    asg = create_group(c, name, net.vsw_id)
    # At most 5 DB ids per call (ess-api.md §2.6, §5.4)
    expect_error(
        c.ess.attach_dbinstances,
        ess_models.AttachDBInstancesRequest(
            region_id=REGION, scaling_group_id=asg, dbinstances=[f"rm-nosuch{i:014d}" for i in range(6)]
        ),
        status=400,
        code="InvalidParameter",
    )
    # Unknown DB: 400 for AttachDBInstances (ess-api.md §4)
    expect_error(
        c.ess.attach_dbinstances,
        ess_models.AttachDBInstancesRequest(region_id=REGION, scaling_group_id=asg, dbinstances=["rm-nosuch00000000000000"]),
        status=400,
        code="InvalidDBInstanceId.NotFound",
    )
    # A DB that is not Running (ess-api.md §5.4: IncorrectDBInstanceStatus, 400)
    creating = call(c.rds.create_dbinstance, create_rds_request(net.vpc_id, net.db_vsw_id, name))["DBInstanceId"]
    expect_error(
        c.ess.attach_dbinstances,
        ess_models.AttachDBInstancesRequest(region_id=REGION, scaling_group_id=asg, dbinstances=[creating]),
        status=400,
        code="IncorrectDBInstanceStatus",
    )
    assert group(c, asg)["DBInstanceIds"] == []
    advance(60)


def test_execute_rule_errors(clients, advance, net, name):
    c = clients
    asg = create_group(c, name, net.vsw_id, max_size=2)
    create_config(c, asg, net.sg_id, f"{name}-cfg")
    asr, ari = create_rule(c, asg, 2)
    # The group must be Active (ess-api.md §2.3, §4)
    expect_error(
        c.ess.execute_scaling_rule,
        ess_models.ExecuteScalingRuleRequest(region_id=REGION, scaling_rule_ari=ari),
        status=400,
        code="IncorrectScalingGroupStatus",
        message="The current status of the specified scaling group does not support this action.",
    )
    enable(c, asg)
    execute(c, ari)
    advance(60)
    # Clamped to MaxSize 2 = no change (ess-api.md §5.1 [DOC])
    expect_error(
        c.ess.execute_scaling_rule,
        ess_models.ExecuteScalingRuleRequest(region_id=REGION, scaling_rule_ari=ari),
        status=400,
        code="IncorrectCapacity.NoChange",
        message="To execute the specified scaling rule, the total capacity will not change.",
    )
    # Unknown ARI (ess-api.md §4: 404)
    expect_error(
        c.ess.execute_scaling_rule,
        ess_models.ExecuteScalingRuleRequest(
            region_id=REGION, scaling_rule_ari=ari.rsplit("/", 1)[0] + "/asr-doesnotexist0000000"
        ),
        status=404,
        code="InvalidScalingRuleAri.NotFound",
        message="The specified scaling rule Ari does not exist.",
    )
    assert group(c, asg)["TotalCapacity"] == 2
