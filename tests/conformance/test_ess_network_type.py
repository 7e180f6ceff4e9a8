"""The network type of a scaling group (Method 1's premise, issue 5): no vSwitch means a classic
network group, whose type never changes; a VPC group stays in its VPC; a configuration's security
group must be of the group's network and VPC. A refused call changes nothing.

Sources: ess-api.md §2.1 (VSwitchId / VSwitchIds: "Neither given means classic network"), §4
(InvalidVSwitchId.VPCMismatch, InvalidSecurityGroupId.VPCMismatch); db-oos-api.md §2.2, §2.3
(classic instances: InstanceNetworkType classic, InnerIpAddress, empty VpcAttributes arrays)."""
from __future__ import annotations

import json

import alibabacloud_ecs20140526.models as ecs_models
import alibabacloud_ess20220222.models as ess_models

from esl_helpers import (
    IMAGE_ID,
    INSTANCE_TYPE,
    REGION,
    call,
    create_config,
    create_group,
    create_sg,
    create_vpc,
    create_vswitch,
    enable,
    expect_error,
    group,
    instances,
)

MSG_VSW_VPC = "The specified virtual switches are not in the same VPC."
MSG_SG_VPC = "The specified security group and the specified virtual switch are not in the same VPC."


def classic_sg(c, name: str) -> str:
    return call(
        c.ecs.create_security_group,
        ecs_models.CreateSecurityGroupRequest(region_id=REGION, security_group_name=name),
    )["SecurityGroupId"]


def config_request(asg: str, sg: str) -> ess_models.CreateScalingConfigurationRequest:
    return ess_models.CreateScalingConfigurationRequest(
        scaling_group_id=asg, image_id=IMAGE_ID, instance_type=INSTANCE_TYPE, security_group_id=sg,
    )


def modify_vsw(asg: str, vsws: list[str]) -> ess_models.ModifyScalingGroupRequest:
    return ess_models.ModifyScalingGroupRequest(scaling_group_id=asg, v_switch_ids=vsws)


def test_classic_group_never_changes_network_type(clients, advance, net, name):
    c = clients
    asg = call(c.ess.create_scaling_group, ess_models.CreateScalingGroupRequest(
        region_id=REGION, scaling_group_name=name, min_size=1, max_size=2,
    ))["ScalingGroupId"]
    g = group(c, asg)
    assert (g.get("VpcId"), g.get("VSwitchIds")) == (None, [])
    # A VPC security group does not fit a classic group.
    expect_error(c.ess.create_scaling_configuration, config_request(asg, net.sg_id),
                 status=400, code="InvalidSecurityGroupId.VPCMismatch", message=MSG_SG_VPC)
    create_config(c, asg, classic_sg(c, f"{name}-classic"), f"{name}-cfg")
    enable(c, asg)
    advance(60)
    [inst] = instances(c, asg)
    raw = call(c.ecs.describe_instances, ecs_models.DescribeInstancesRequest(
        region_id=REGION, instance_ids=json.dumps([inst["InstanceId"]])))
    [ecs] = raw["Instances"]["Instance"]
    assert ecs["InstanceNetworkType"] == "classic"
    assert ecs["VpcAttributes"]["PrivateIpAddress"]["IpAddress"] == []
    [inner] = ecs["InnerIpAddress"]["IpAddress"]
    assert inner.startswith("10."), inner
    # Giving it a vSwitch would turn it into a VPC group: refused, and nothing changes.
    expect_error(c.ess.modify_scaling_group, modify_vsw(asg, [net.vsw_id]),
                 status=400, code="InvalidVSwitchId.VPCMismatch", message=MSG_VSW_VPC)
    g = group(c, asg)
    assert (g.get("VpcId"), g.get("VSwitchIds")) == (None, [])


def test_vpc_group_stays_in_its_vpc(clients, net, name):
    c = clients
    asg = create_group(c, name, net.vsw_id)
    other_vpc = create_vpc(c, f"{name}-other", "192.168.0.0/16")
    other_vsw = create_vswitch(c, other_vpc, "192.168.1.0/24", f"{name}-other")
    expect_error(c.ess.modify_scaling_group, modify_vsw(asg, [other_vsw]),
                 status=400, code="InvalidVSwitchId.VPCMismatch", message=MSG_VSW_VPC)
    expect_error(c.ess.modify_scaling_group, modify_vsw(asg, [net.vsw_id, other_vsw]),
                 status=400, code="InvalidVSwitchId.VPCMismatch", message=MSG_VSW_VPC)
    g = group(c, asg)
    assert (g["VpcId"], g["VSwitchIds"]) == (net.vpc_id, [net.vsw_id])
    # Another vSwitch of the same VPC is fine.
    call(c.ess.modify_scaling_group, modify_vsw(asg, [net.db_vsw_id, net.vsw_id]))
    g = group(c, asg)
    assert (g["VpcId"], g["VSwitchIds"]) == (net.vpc_id, [net.db_vsw_id, net.vsw_id])


def test_configuration_security_group_must_match_the_group(clients, net, name):
    c = clients
    asg = create_group(c, name, net.vsw_id)
    other_vpc = create_vpc(c, f"{name}-other", "192.168.0.0/16")
    foreign = create_sg(c, other_vpc, f"{name}-foreign")
    for sg in (foreign, classic_sg(c, f"{name}-classic")):
        expect_error(c.ess.create_scaling_configuration, config_request(asg, sg),
                     status=400, code="InvalidSecurityGroupId.VPCMismatch", message=MSG_SG_VPC)
    raw = call(c.ess.describe_scaling_configurations,
               ess_models.DescribeScalingConfigurationsRequest(region_id=REGION, scaling_group_id=asg))
    assert raw["ScalingConfigurations"] == []
    asc = create_config(c, asg, net.sg_id, f"{name}-cfg")
    expect_error(c.ess.modify_scaling_configuration,
                 ess_models.ModifyScalingConfigurationRequest(scaling_configuration_id=asc, security_group_id=foreign),
                 status=400, code="InvalidSecurityGroupId.VPCMismatch", message=MSG_SG_VPC)
    raw = call(c.ess.describe_scaling_configurations,
               ess_models.DescribeScalingConfigurationsRequest(region_id=REGION, scaling_group_id=asg))
    assert [x["SecurityGroupId"] for x in raw["ScalingConfigurations"]] == [net.sg_id]
