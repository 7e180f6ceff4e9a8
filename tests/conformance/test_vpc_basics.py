"""VPC and vSwitch rules through the VPC 2016-04-28 SDK and the same actions under ECS 2014-05-26,
the deletes and their dependency errors, RDS DescribeDBInstanceAttribute and DeleteDBInstance, and
the gateway's tolerance of parameters it does not know (issue 2).

Sources: db-oos-api.md §2.1 (mask 16-29, inside the VPC, no overlap); vpc-2016-04-28.json
errorCodes (InvalidCidrBlock.Malformed / .Overlapped, DependencyViolation.VSwitch /
.SecurityGroup, DependencyViolation for a vSwitch in use); db-oos-api.md §1.2 (RDS)."""
from __future__ import annotations

import json

import alibabacloud_ecs20140526.models as ecs_models
import alibabacloud_rds20140815.models as rds_models
import alibabacloud_vpc20160428.models as vpc_models

from esl_helpers import (
    REGION,
    ZONE,
    call,
    create_rds,
    create_sg,
    create_vpc,
    create_vswitch,
    expect_error,
    send_v2,
    v2_common,
)
from esl_helpers3 import running_instances

MSG_CIDR = "Specified CIDR block is not valid."
MSG_OVERLAP = "Specified CIDR block overlapped with other subnets."


def vsw_request(vpc: str, cidr: str) -> vpc_models.CreateVSwitchRequest:
    return vpc_models.CreateVSwitchRequest(region_id=REGION, vpc_id=vpc, zone_id=ZONE, cidr_block=cidr)


def vswitches(c, vpc: str) -> list[str]:
    raw = call(c.vpc.describe_vswitches, vpc_models.DescribeVSwitchesRequest(region_id=REGION, vpc_id=vpc))
    return sorted(v["CidrBlock"] for v in raw["VSwitches"]["VSwitch"])


def test_vswitch_cidr_rules(clients, name):
    c = clients
    vpc = create_vpc(c, name, "10.0.0.0/16")
    create_vswitch(c, vpc, "10.0.1.0/24", name)
    cases = [
        ("10.0.2.0/30", 400, "InvalidCidrBlock.Malformed", MSG_CIDR),  # mask above 29
        ("10.0.0.0/15", 400, "InvalidCidrBlock.Malformed", MSG_CIDR),  # mask below 16
        ("10.1.0.0/24", 400, "InvalidCidrBlock.Malformed", MSG_CIDR),  # outside the VPC
        ("10.0.1.128/25", 400, "InvalidCidrBlock.Overlapped", MSG_OVERLAP),
        ("10.0.0.0/20", 400, "InvalidCidrBlock.Overlapped", MSG_OVERLAP),
    ]
    for cidr, status, code, message in cases:
        expect_error(c.vpc.create_vswitch, vsw_request(vpc, cidr), status=status, code=code, message=message)
    expect_error(c.vpc.create_vswitch, vsw_request("vpc-nosuch", "10.0.2.0/24"), status=404,
                 code="InvalidVpcId.NotFound", message="Specified VPC does not exist.")
    # Nothing was created by the refusals; /16 and /29 are both fine.
    assert vswitches(c, vpc) == ["10.0.1.0/24"]
    create_vswitch(c, vpc, "10.0.2.0/29", name + "-29")
    vpc16 = create_vpc(c, name + "-16", "172.16.0.0/12")
    create_vswitch(c, vpc16, "172.16.0.0/16", name + "-16")
    assert vswitches(c, vpc) == ["10.0.1.0/24", "10.0.2.0/29"]


def test_deletes_and_their_dependencies(clients, advance, name):
    c = clients
    vpc = create_vpc(c, name)
    vsw = create_vswitch(c, vpc, "10.0.1.0/24", name)
    sg = create_sg(c, vpc, name)
    delete_vpc = vpc_models.DeleteVpcRequest(region_id=REGION, vpc_id=vpc)
    expect_error(c.vpc.delete_vpc, delete_vpc, status=400, code="DependencyViolation.VSwitch",
                 message="Specified object has dependent resources")
    from esl_helpers import Net

    [iid] = running_instances(c, advance, Net(vpc, vsw, vsw, sg), 1, name=name)
    expect_error(c.vpc.delete_vswitch, vpc_models.DeleteVSwitchRequest(region_id=REGION, v_switch_id=vsw),
                 status=400, code="DependencyViolation", message="Resources deployed in the vSwitch have not been deleted.")
    call(c.ecs.delete_instance, ecs_models.DeleteInstanceRequest(instance_id=iid, force=True))
    advance(10)
    call(c.vpc.delete_vswitch, vpc_models.DeleteVSwitchRequest(region_id=REGION, v_switch_id=vsw))
    expect_error(c.vpc.delete_vpc, delete_vpc, status=400, code="DependencyViolation.SecurityGroup",
                 message="Specified object has dependent resources SecurityGroup.")
    call(c.ecs.delete_security_group, ecs_models.DeleteSecurityGroupRequest(region_id=REGION, security_group_id=sg))
    call(c.vpc.delete_vpc, delete_vpc)
    raw = call(c.vpc.describe_vpcs, vpc_models.DescribeVpcsRequest(region_id=REGION, vpc_id=vpc))
    assert (raw["TotalCount"], raw["Vpcs"]["Vpc"]) == (0, [])
    expect_error(c.vpc.delete_vpc, delete_vpc, status=404, code="InvalidVpcId.NotFound")


def test_vpc_actions_under_ecs(clients, name):
    """ECS 2014-05-26 serves CreateVpc, DescribeVpcs, CreateVSwitch, DescribeVSwitches, DeleteVSwitch
    and DeleteVpc on the same resources as the VPC product."""
    c = clients
    vpc = call(c.ecs.create_vpc, ecs_models.CreateVpcRequest(region_id=REGION, cidr_block="10.8.0.0/16", vpc_name=name))["VpcId"]
    raw = call(c.vpc.describe_vpcs, vpc_models.DescribeVpcsRequest(region_id=REGION, vpc_id=vpc))
    assert [(v["VpcId"], v["CidrBlock"], v["VpcName"]) for v in raw["Vpcs"]["Vpc"]] == [(vpc, "10.8.0.0/16", name)]
    vsw = call(c.ecs.create_vswitch, ecs_models.CreateVSwitchRequest(
        region_id=REGION, vpc_id=vpc, zone_id=ZONE, cidr_block="10.8.1.0/24", v_switch_name=name))["VSwitchId"]
    raw = call(c.ecs.describe_vswitches, ecs_models.DescribeVSwitchesRequest(region_id=REGION, vpc_id=vpc))
    assert [(v["VSwitchId"], v["CidrBlock"], v["ZoneId"]) for v in raw["VSwitches"]["VSwitch"]] == [(vsw, "10.8.1.0/24", ZONE)]
    raw = call(c.ecs.describe_vpcs, ecs_models.DescribeVpcsRequest(region_id=REGION, vpc_id=vpc))
    assert [v["VpcId"] for v in raw["Vpcs"]["Vpc"]] == [vpc]
    expect_error(c.ecs.delete_vpc, ecs_models.DeleteVpcRequest(vpc_id=vpc), status=400, code="DependencyViolation.VSwitch")
    call(c.ecs.delete_vswitch, ecs_models.DeleteVSwitchRequest(v_switch_id=vsw))
    call(c.ecs.delete_vpc, ecs_models.DeleteVpcRequest(vpc_id=vpc))
    raw = call(c.vpc.describe_vpcs, vpc_models.DescribeVpcsRequest(region_id=REGION, vpc_id=vpc))
    assert raw["Vpcs"]["Vpc"] == []


def test_rds_attribute_and_delete(clients, advance, net, name):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    raw = call(c.rds.describe_dbinstance_attribute, rds_models.DescribeDBInstanceAttributeRequest(dbinstance_id=rm))
    [a] = raw["Items"]["DBInstanceAttribute"]
    assert (a["DBInstanceId"], a["DBInstanceStatus"], a["Engine"], a["EngineVersion"], a["VpcId"], a["VSwitchId"],
            a["InstanceNetworkType"], a["DBInstanceDescription"], a["Port"]) == (
        rm, "Running", "MySQL", "8.0", net.vpc_id, net.db_vsw_id, "VPC", name, "3306")
    assert a["SecurityIPList"] == "127.0.0.1"
    raw = call(c.rds.delete_dbinstance, rds_models.DeleteDBInstanceRequest(dbinstance_id=rm))
    assert raw["RequestId"]
    raw = call(c.rds.describe_dbinstance_attribute, rds_models.DescribeDBInstanceAttributeRequest(dbinstance_id=rm))
    assert raw["Items"]["DBInstanceAttribute"][0]["DBInstanceStatus"] == "Deleting"
    advance(60)
    expect_error(c.rds.describe_dbinstance_attribute, rds_models.DescribeDBInstanceAttributeRequest(dbinstance_id=rm),
                 status=404, code="InvalidDBInstanceId.NotFound")
    raw = call(c.rds.describe_dbinstances, rds_models.DescribeDBInstancesRequest(region_id=REGION, dbinstance_id=rm))
    assert raw["Items"]["DBInstance"] == []


def test_unknown_parameters_are_ignored(server, clients, name):
    """DESIGN.md §3: the gateway ignores parameters it does not know."""
    q = v2_common("CreateVpc", "2016-04-28", server.access_key_id, RegionId=REGION, CidrBlock="10.9.0.0/16",
                  VpcName=name, NoSuchParameter="x", **{"AlsoUnknown.1": "y"})
    r = send_v2(server, q)
    assert r.status == 200, r.content
    vpc = r.json()["VpcId"]
    raw = call(clients.vpc.describe_vpcs, vpc_models.DescribeVpcsRequest(region_id=REGION, vpc_id=vpc))
    assert [(v["CidrBlock"], v["VpcName"]) for v in raw["Vpcs"]["Vpc"]] == [("10.9.0.0/16", name)]
    assert json.loads(r.content)["RequestId"]
