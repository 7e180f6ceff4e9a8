"""ECS security groups in full (issue 5, ECS part), through the official Tea SDK
alibabacloud_ecs20140526: normal and enterprise groups, InnerAccessPolicy, ingress and egress rules
(priority, accept/drop, CIDR and group peers), Revoke by fields and by SecurityGroupRuleId.N, and
Join/LeaveSecurityGroup.

Contract (db-oos-api.md §2.2 and the ECS 2014-05-26 metadata's errorCodes):
- Rules: Permissions.N or the deprecated top-level fields (not both: 400 InvalidParam.Permissions);
  a duplicate rule is success with nothing added; two equal rules in one request 400
  InvalidParam.DuplicatePermissions; at most 200 rules per group, ingress and egress together
  (403 AuthorizationLimitExceed); a basic group references at most 20 groups (400
  AuthorizedGroupRule.LimitExceed). The referenced group must exist (404
  InvalidSourceGroupId.NotFound / InvalidDestGroupId.NotFound), not be the group itself (403
  InvalidParamter.Conflict / InvalidSecurityGroup.IsSame), have the same network type (403
  InvalidNetworkType.Mismatch, egress .Conflict), be in the same VPC (400 InvalidSourceGroupId.Mismatch
  / InvalidDestGroupId.Mismatch) and not be an enterprise group (400
  InvalidGroupAuthParameter.OperationDenied). Enterprise groups' rules cannot reference groups nor
  drop (400 InvalidGroupParameter.OperationDenied).
- Revoke by fields of a rule that is not there succeeds and removes nothing (the metadata's text);
  by SecurityGroupRuleId.N an id that is not one of the group's rules of that direction is 404
  InvalidSecurityGroupRuleId.NotFound; a repeated id 400 InvalidParam.SecurityGroupRuleIdRepeated.
- ModifySecurityGroupPolicy: Accept|Drop case-insensitive (else 400 InvalidPolicy.Malformed);
  enterprise groups 404 InvalidParameter.InnerAccessPolicy.
- Join/Leave: Running or Stopped only (403 IncorrectInstanceStatus); 400 InvalidInstanceId.Mismatch
  across networks or VPCs; 403 InvalidInstanceId.AlreadyExists; 400 InvalidOperation.MultiGroupType;
  at most 5 groups (400 InstanceSecurityGroupLimitExceeded); Leave: 403 InstanceNotInSecurityGroup,
  403 InstanceLastSecurityGroup.
A refused call changes nothing."""
from __future__ import annotations

import json

import alibabacloud_ecs20140526.models as m
import pytest

from esl_helpers import IMAGE_ID, INSTANCE_TYPE, REGION, SECOND_TIME, call, create_sg, create_vpc, create_vswitch, expect_error
from esl_helpers3 import ecs_status, running_instances, stop_instance

MSG_SG_NOT_FOUND = "The specified SecurityGroupId does not exist."
MSG_MISMATCH = "Specified instance and security group are not in the same VPC."
MSG_STATUS = "The current status of the resource does not support this operation."
MSG_NET_TYPE = "The specified SecurityGroup network type should be same with SourceGroup network type (vpc or classic)."
MSG_ENTERPRISE_RULE = (
    "The attributes Policy, SourceGroupId, DestGroupId of enterprise level security groups are not "
    "allowed to be set or modified."
)


# ------------------------------------------------------------------------------------------------
# helpers

def sg_create(c, name, vpc_id=None, sg_type=None) -> str:
    raw = call(
        c.ecs.create_security_group,
        m.CreateSecurityGroupRequest(region_id=REGION, vpc_id=vpc_id, security_group_name=name, security_group_type=sg_type),
    )
    assert raw["SecurityGroupId"].startswith("sg-"), raw
    return raw["SecurityGroupId"]


def attribute(c, sg, direction=None) -> dict:
    return call(
        c.ecs.describe_security_group_attribute,
        m.DescribeSecurityGroupAttributeRequest(region_id=REGION, security_group_id=sg, direction=direction),
    )


def rules(c, sg, direction=None) -> list[dict]:
    return attribute(c, sg, direction)["Permissions"]["Permission"]


def plain(rule: dict) -> dict:
    """A rule without its generated id and time (checked elsewhere)."""
    return {k: v for k, v in rule.items() if k not in ("SecurityGroupRuleId", "CreateTime")}


def ingress(**kw) -> m.AuthorizeSecurityGroupRequestPermissions:
    return m.AuthorizeSecurityGroupRequestPermissions(**kw)


def egress(**kw) -> m.AuthorizeSecurityGroupEgressRequestPermissions:
    return m.AuthorizeSecurityGroupEgressRequestPermissions(**kw)


def authorize(c, sg, *perms, **legacy) -> dict:
    return call(c.ecs.authorize_security_group, auth_req(sg, *perms, **legacy))


def auth_req(sg, *perms, **legacy) -> m.AuthorizeSecurityGroupRequest:
    return m.AuthorizeSecurityGroupRequest(region_id=REGION, security_group_id=sg, permissions=list(perms) or None, **legacy)


def authorize_egress(c, sg, *perms, **legacy) -> dict:
    return call(c.ecs.authorize_security_group_egress, egress_req(sg, *perms, **legacy))


def egress_req(sg, *perms, **legacy) -> m.AuthorizeSecurityGroupEgressRequest:
    return m.AuthorizeSecurityGroupEgressRequest(
        region_id=REGION, security_group_id=sg, permissions=list(perms) or None, **legacy
    )


def revoke_req(sg, *perms, rule_ids=None, **legacy) -> m.RevokeSecurityGroupRequest:
    return m.RevokeSecurityGroupRequest(
        region_id=REGION,
        security_group_id=sg,
        permissions=[m.RevokeSecurityGroupRequestPermissions(**p) for p in perms] or None,
        security_group_rule_id=rule_ids,
        **legacy,
    )


def revoke_egress_req(sg, *perms, rule_ids=None, **legacy) -> m.RevokeSecurityGroupEgressRequest:
    return m.RevokeSecurityGroupEgressRequest(
        region_id=REGION,
        security_group_id=sg,
        permissions=[m.RevokeSecurityGroupEgressRequestPermissions(**p) for p in perms] or None,
        security_group_rule_id=rule_ids,
        **legacy,
    )


def tcp(port: int, cidr: str = "10.0.0.0/8", **kw):
    return ingress(ip_protocol="TCP", port_range=f"{port}/{port}", source_cidr_ip=cidr, **kw)


def expect_rule_error(c, sg, fn, request, *, status, code, message=None):
    """The call fails with exactly this error and the group's rules are as they were."""
    before = rules(c, sg)
    expect_error(fn, request, status=status, code=code, message=message)
    assert rules(c, sg) == before


def sg_ids(c, iid) -> list[str]:
    raw = call(
        c.ecs.describe_instances,
        m.DescribeInstancesRequest(region_id=REGION, instance_ids=json.dumps([iid]), page_size=10),
    )
    (inst,) = raw["Instances"]["Instance"]
    return inst["SecurityGroupIds"]["SecurityGroupId"]


def join_req(iid, sg, eni=None) -> m.JoinSecurityGroupRequest:
    return m.JoinSecurityGroupRequest(region_id=REGION, instance_id=iid, security_group_id=sg, network_interface_id=eni)


def leave_req(iid, sg, eni=None) -> m.LeaveSecurityGroupRequest:
    return m.LeaveSecurityGroupRequest(region_id=REGION, instance_id=iid, security_group_id=sg, network_interface_id=eni)


def join(c, iid, sg) -> dict:
    return call(c.ecs.join_security_group, join_req(iid, sg))


def leave(c, iid, sg) -> dict:
    return call(c.ecs.leave_security_group, leave_req(iid, sg))


def expect_membership_error(c, iid, fn, request, *, status, code, message=None):
    before = sg_ids(c, iid)
    expect_error(fn, request, status=status, code=code, message=message)
    assert sg_ids(c, iid) == before


def ecs_count(c, sg) -> int:
    raw = call(c.ecs.describe_security_groups, m.DescribeSecurityGroupsRequest(region_id=REGION, security_group_id=sg))
    (one,) = raw["SecurityGroups"]["SecurityGroup"]
    return one["EcsCount"]


def classic_instance(c, advance, sg) -> str:
    raw = call(
        c.ecs.run_instances,
        m.RunInstancesRequest(region_id=REGION, image_id=IMAGE_ID, instance_type=INSTANCE_TYPE, security_group_id=sg, amount=1),
    )
    (iid,) = raw["InstanceIdSets"]["InstanceIdSet"]
    advance(60)
    assert ecs_status(c, iid) == "Running"
    return iid


# ------------------------------------------------------------------------------------------------
# groups and the inner access policy

def test_group_types_and_inner_access_policy(clients, net, name):
    c = clients
    basic = sg_create(c, f"{name}-b", net.vpc_id)
    enterprise = sg_create(c, f"{name}-e", net.vpc_id, "enterprise")
    classic = sg_create(c, f"{name}-c")
    raw = call(
        c.ecs.describe_security_groups,
        m.DescribeSecurityGroupsRequest(region_id=REGION, security_group_ids=json.dumps([basic, enterprise, classic])),
    )
    kinds = {g["SecurityGroupId"]: (g["SecurityGroupType"], g["VpcId"]) for g in raw["SecurityGroups"]["SecurityGroup"]}
    assert kinds == {basic: ("normal", net.vpc_id), enterprise: ("enterprise", net.vpc_id), classic: ("normal", "")}
    a = attribute(c, basic)
    assert (a["SecurityGroupId"], a["InnerAccessPolicy"], a["VpcId"], a["Permissions"]["Permission"]) == (basic, "Accept", net.vpc_id, [])
    assert attribute(c, enterprise)["InnerAccessPolicy"] == "Drop"
    assert attribute(c, classic)["InnerAccessPolicy"] == "Accept"

    def policy(sg, value):
        return m.ModifySecurityGroupPolicyRequest(region_id=REGION, security_group_id=sg, inner_access_policy=value)

    call(c.ecs.modify_security_group_policy, policy(basic, "drop"))
    assert attribute(c, basic)["InnerAccessPolicy"] == "Drop"
    call(c.ecs.modify_security_group_policy, policy(basic, "ACCEPT"))
    assert attribute(c, basic)["InnerAccessPolicy"] == "Accept"
    call(c.ecs.modify_security_group_policy, policy(classic, "Drop"))
    assert attribute(c, classic)["InnerAccessPolicy"] == "Drop"

    expect_error(c.ecs.modify_security_group_policy, policy(basic, "Deny"), status=400, code="InvalidPolicy.Malformed",
                 message="The Policy is invalid. Only 'Accept' and 'Drop' are supported. Ignore case.")
    assert attribute(c, basic)["InnerAccessPolicy"] == "Accept"
    expect_error(c.ecs.modify_security_group_policy, policy(enterprise, "Accept"), status=404,
                 code="InvalidParameter.InnerAccessPolicy",
                 message="The InnerAccessPolicy attribute of enterprise level security group can't be modified.")
    assert attribute(c, enterprise)["InnerAccessPolicy"] == "Drop"
    expect_error(c.ecs.modify_security_group_policy, policy("sg-doesnotexist", "Drop"), status=404,
                 code="InvalidSecurityGroupId.NotFound", message=MSG_SG_NOT_FOUND)


# ------------------------------------------------------------------------------------------------
# ingress rules

def test_authorize_ingress_rules(clients, net, name):
    c = clients
    sg = net.sg_id
    peer = sg_create(c, f"{name}-peer", net.vpc_id)
    authorize(
        c, sg,
        tcp(22, "192.168.0.0/16", description="ssh"),
        ingress(ip_protocol="udp", port_range="53/53", source_cidr_ip="10.1.0.0/16", policy="DROP", priority="10"),
        ingress(ip_protocol="all", source_group_id=peer, priority="100"),
    )
    got = rules(c, sg)
    assert len(got) == 3
    for r in got:
        assert r["SecurityGroupRuleId"].startswith("sgr-"), r
        assert SECOND_TIME.match(r["CreateTime"]), r
    assert len({r["SecurityGroupRuleId"] for r in got}) == 3
    common = {"Direction": "ingress", "SourcePortRange": "", "Ipv6SourceCidrIp": "", "SourceGroupOwnerAccount": "",
              "SourcePrefixListId": "", "DestCidrIp": "", "DestGroupId": "", "DestGroupName": "", "NicType": "intranet"}
    assert [plain(r) for r in got] == [
        {**common, "IpProtocol": "TCP", "PortRange": "22/22", "SourceCidrIp": "192.168.0.0/16", "SourceGroupId": "",
         "SourceGroupName": "", "Policy": "Accept", "Priority": "1", "Description": "ssh"},
        {**common, "IpProtocol": "UDP", "PortRange": "53/53", "SourceCidrIp": "10.1.0.0/16", "SourceGroupId": "",
         "SourceGroupName": "", "Policy": "Drop", "Priority": "10", "Description": ""},
        {**common, "IpProtocol": "ALL", "PortRange": "-1/-1", "SourceCidrIp": "", "SourceGroupId": peer,
         "SourceGroupName": f"{name}-peer", "Policy": "Accept", "Priority": "100", "Description": ""},
    ]
    # The deprecated top-level parameters make one rule.
    authorize(c, sg, ip_protocol="icmp", port_range="-1/-1", source_cidr_ip="0.0.0.0/0", policy="accept", priority="5")
    after = rules(c, sg)
    assert after[:3] == got
    assert plain(after[3]) == {**common, "IpProtocol": "ICMP", "PortRange": "-1/-1", "SourceCidrIp": "0.0.0.0/0",
                               "SourceGroupId": "", "SourceGroupName": "", "Policy": "Accept", "Priority": "5",
                               "Description": ""}
    # A CIDR block wins over a group given with it.
    authorize(c, sg, ingress(ip_protocol="TCP", port_range="80/80", source_cidr_ip="10.2.0.0/16", source_group_id=peer))
    last = rules(c, sg)[-1]
    assert (last["SourceCidrIp"], last["SourceGroupId"], last["PortRange"]) == ("10.2.0.0/16", "", "80/80")
    # Direction filter: all of them are ingress.
    assert rules(c, sg, "ingress") == rules(c, sg)
    assert rules(c, sg, "egress") == []


def test_authorize_duplicate_is_success_with_nothing_added(clients, net):
    c = clients
    sg = net.sg_id
    authorize(c, sg, tcp(443, policy="Accept", priority="1"))
    before = rules(c, sg)
    assert len(before) == 1
    authorize(c, sg, tcp(443))  # the same rule spelt with the defaults
    authorize(c, sg, ip_protocol="tcp", port_range="443/443", source_cidr_ip="10.0.0.0/8")
    assert rules(c, sg) == before
    # Another priority is another rule.
    authorize(c, sg, tcp(443, priority="2"))
    assert [r["Priority"] for r in rules(c, sg)] == ["1", "2"]


def test_authorize_ingress_errors_change_nothing(clients, net, name):
    c = clients
    sg = net.sg_id
    authorize(c, sg, tcp(22))
    other_vpc = create_vpc(c, f"{name}-o", "10.0.0.0/16")
    foreign = sg_create(c, f"{name}-foreign", other_vpc)
    classic = sg_create(c, f"{name}-classic")
    enterprise = sg_create(c, f"{name}-ent", net.vpc_id, "enterprise")
    fn = c.ecs.authorize_security_group

    def err(request, status, code, message=None):
        expect_rule_error(c, sg, fn, request, status=status, code=code, message=message)

    err(auth_req(sg, ingress(ip_protocol="TCP", port_range="80/80")), 400, "MissingParameter.Source",
        "One of the parameters SourceCidrIp, Ipv6SourceCidrIp, SourceGroupId or SourcePrefixListId in Permissions.1 must be specified.")
    err(auth_req(sg, ingress(ip_protocol="SCTP", port_range="80/80", source_cidr_ip="10.0.0.0/8")), 400,
        "InvalidIpProtocol.ValueNotSupported",
        "The parameter IpProtocol must be specified with case insensitive TCP, UDP, ICMP, GRE or All.")
    for bad in ("80", "0/80", "90/80", "1/65536"):
        err(auth_req(sg, ingress(ip_protocol="TCP", port_range=bad, source_cidr_ip="10.0.0.0/8")), 400,
            "InvalidIpPortRange.Malformed", "The specified parameter PortRange is not valid.")
    err(auth_req(sg, ingress(ip_protocol="ICMP", port_range="1/1", source_cidr_ip="10.0.0.0/8")), 400,
        "InvalidIpPortRange.Malformed")
    err(auth_req(sg, tcp(80, "10.0.0.300/8")), 400, "InvalidSourceCidrIp.Malformed",
        "The specified parameter SourceCidrIp is not valid.")
    err(auth_req(sg, tcp(80, dest_cidr_ip="10.0.0/24")), 400, "InvalidDestCidrIp.Malformed",
        "The specified parameter DestCidrIp is not valid.")
    err(auth_req(sg, tcp(80, policy="Deny")), 400, "InvalidPolicy.Malformed", "The specified parameter Policy is not valid.")
    for bad in ("0", "101", "x"):
        err(auth_req(sg, tcp(80, priority=bad)), 400, "InvalidPriority.Malformed", "The parameter Priority is invalid.")
    err(auth_req("sg-doesnotexist", tcp(80)), 404, "InvalidSecurityGroupId.NotFound", MSG_SG_NOT_FOUND)
    err(auth_req(sg, ingress(ip_protocol="TCP", port_range="80/80", source_group_id="sg-doesnotexist")), 404,
        "InvalidSourceGroupId.NotFound", "The SourceGroupId provided does not exist in our records.")
    err(auth_req(sg, ingress(ip_protocol="TCP", port_range="80/80", source_group_id=foreign)), 400,
        "InvalidSourceGroupId.Mismatch", "Specified security group and source group are not in the same VPC.")
    err(auth_req(sg, ingress(ip_protocol="TCP", port_range="80/80", source_group_id=classic)), 403,
        "InvalidNetworkType.Mismatch", MSG_NET_TYPE)
    err(auth_req(sg, ingress(ip_protocol="TCP", port_range="80/80", source_group_id=sg)), 403,
        "InvalidParamter.Conflict", "The specified SecurityGroupId should be different from the SourceGroupId.")
    err(auth_req(sg, ingress(ip_protocol="TCP", port_range="80/80", source_group_id=enterprise)), 400,
        "InvalidGroupAuthParameter.OperationDenied", "The security group can not authorize to enterprise level security group.")
    # Permissions.N and the deprecated fields cannot be mixed.
    err(auth_req(sg, tcp(80), ip_protocol="TCP", port_range="81/81", source_cidr_ip="10.0.0.0/8"), 400,
        "InvalidParam.Permissions", "The specified parameter Permissions cannot coexist with other parameters.")
    # The same rule twice in one request.
    err(auth_req(sg, tcp(80), tcp(80)), 400, "InvalidParam.DuplicatePermissions",
        "There are duplicate permissions in the specified parameter Permissions.")
    # A good rule and a bad one: neither is added.
    err(auth_req(sg, tcp(80), tcp(81, policy="Maybe")), 400, "InvalidPolicy.Malformed")
    assert [r["PortRange"] for r in rules(c, sg)] == ["22/22"]


def test_classic_group_rules(clients, name):
    c = clients
    sg = sg_create(c, f"{name}-c")
    peer = sg_create(c, f"{name}-p")
    # Classic rules default to the internet NIC; a group peer needs intranet.
    authorize(c, sg, tcp(22, "1.2.3.0/24"), tcp(23, "1.2.3.0/24", nic_type="intranet"))
    authorize(c, sg, ingress(ip_protocol="TCP", port_range="80/80", source_group_id=peer, nic_type="intranet"))
    got = rules(c, sg)
    assert [(r["PortRange"], r["NicType"], r["SourceGroupId"]) for r in got] == [
        ("22/22", "internet", ""), ("23/23", "intranet", ""), ("80/80", "intranet", peer)]
    for nic in (None, "internet"):
        expect_rule_error(c, sg, c.ecs.authorize_security_group,
                          auth_req(sg, ingress(ip_protocol="TCP", port_range="81/81", source_group_id=peer, nic_type=nic)),
                          status=403, code="InvalidSourceGroupId.Mismatch", message="NicType is required or NicType expects intranet.")
    expect_rule_error(c, sg, c.ecs.authorize_security_group, auth_req(sg, tcp(81, nic_type="wifi")),
                      status=400, code="InvalidNicType.ValueNotSupported", message="The specified NicType does not exist.")
    # The NIC type filter of DescribeSecurityGroupAttribute.
    raw = call(c.ecs.describe_security_group_attribute,
               m.DescribeSecurityGroupAttributeRequest(region_id=REGION, security_group_id=sg, nic_type="internet"))
    assert [r["PortRange"] for r in raw["Permissions"]["Permission"]] == ["22/22"]


def test_enterprise_group_rules(clients, net, name):
    c = clients
    sg = sg_create(c, f"{name}-e", net.vpc_id, "enterprise")
    peer = sg_create(c, f"{name}-p", net.vpc_id)
    authorize(c, sg, tcp(22))
    authorize_egress(c, sg, egress(ip_protocol="TCP", port_range="443/443", dest_cidr_ip="0.0.0.0/0"))
    before = rules(c, sg)
    assert [(r["Direction"], r["Policy"]) for r in before] == [("ingress", "Accept"), ("egress", "Accept")]
    expect_rule_error(c, sg, c.ecs.authorize_security_group,
                      auth_req(sg, ingress(ip_protocol="TCP", port_range="80/80", source_group_id=peer)),
                      status=400, code="InvalidGroupParameter.OperationDenied", message=MSG_ENTERPRISE_RULE)
    expect_rule_error(c, sg, c.ecs.authorize_security_group, auth_req(sg, tcp(80, policy="drop")),
                      status=400, code="InvalidGroupParameter.OperationDenied", message=MSG_ENTERPRISE_RULE)
    expect_rule_error(c, sg, c.ecs.authorize_security_group_egress,
                      egress_req(sg, egress(ip_protocol="TCP", port_range="80/80", dest_group_id=peer)),
                      status=400, code="InvalidGroupParameter.OperationDenied", message=MSG_ENTERPRISE_RULE)
    assert rules(c, sg) == before


def test_rule_limit_is_200_in_and_out(clients, net):
    c = clients
    sg = net.sg_id
    authorize(c, sg, *[tcp(p) for p in range(1000, 1100)])
    authorize(c, sg, *[tcp(p) for p in range(1100, 1150)])
    authorize_egress(c, sg, *[egress(ip_protocol="TCP", port_range=f"{p}/{p}", dest_cidr_ip="10.0.0.0/8") for p in range(2000, 2050)])
    assert len(rules(c, sg)) == 200
    assert len(rules(c, sg, "ingress")) == 150
    assert len(rules(c, sg, "egress")) == 50
    msg = "The limit of authorization records in the security group reaches."
    expect_rule_error(c, sg, c.ecs.authorize_security_group, auth_req(sg, tcp(3000)),
                      status=403, code="AuthorizationLimitExceed", message=msg)
    expect_rule_error(c, sg, c.ecs.authorize_security_group_egress,
                      egress_req(sg, egress(ip_protocol="TCP", port_range="3000/3000", dest_cidr_ip="10.0.0.0/8")),
                      status=403, code="AuthorizationLimitExceed", message=msg)
    # A rule that is already there still succeeds (nothing is added).
    authorize(c, sg, tcp(1000))
    assert len(rules(c, sg)) == 200
    # Revoking one makes room for one.
    call(c.ecs.revoke_security_group, revoke_req(sg, dict(ip_protocol="TCP", port_range="1000/1000", source_cidr_ip="10.0.0.0/8")))
    authorize(c, sg, tcp(3000))
    assert len(rules(c, sg)) == 200


def test_a_basic_group_references_at_most_20_groups(clients, net, name):
    c = clients
    sg = net.sg_id
    peers = [sg_create(c, f"{name}-p{n}", net.vpc_id) for n in range(21)]
    authorize(c, sg, *[ingress(ip_protocol="TCP", port_range="22/22", source_group_id=p) for p in peers[:19]])
    authorize_egress(c, sg, egress(ip_protocol="TCP", port_range="22/22", dest_group_id=peers[19]))
    # The 20 groups again, on another port: no new group.
    authorize(c, sg, ingress(ip_protocol="TCP", port_range="80/80", source_group_id=peers[19]))
    assert len(rules(c, sg)) == 21
    expect_rule_error(c, sg, c.ecs.authorize_security_group,
                      auth_req(sg, ingress(ip_protocol="TCP", port_range="22/22", source_group_id=peers[20])),
                      status=400, code="AuthorizedGroupRule.LimitExceed",
                      message="You have reached the limit on the number of group authorization rules that you can add "
                              "to a security group.When authorization object of rule is security group, the limit is 20.")
    # CIDR rules are not counted.
    authorize(c, sg, tcp(8080))
    assert len(rules(c, sg)) == 22


def test_a_referenced_group_cannot_be_deleted(clients, net, name):
    c = clients
    peer = sg_create(c, f"{name}-peer", net.vpc_id)
    dst = sg_create(c, f"{name}-dst", net.vpc_id)
    authorize(c, net.sg_id, ingress(ip_protocol="TCP", port_range="22/22", source_group_id=peer))
    authorize_egress(c, net.sg_id, egress(ip_protocol="TCP", port_range="22/22", dest_group_id=dst))

    def delete(sg):
        return m.DeleteSecurityGroupRequest(region_id=REGION, security_group_id=sg)

    for sg in (peer, dst):
        expect_error(c.ecs.delete_security_group, delete(sg), status=403, code="DependencyViolation")
        assert attribute(c, sg)["SecurityGroupId"] == sg
    call(c.ecs.revoke_security_group, revoke_req(net.sg_id, dict(ip_protocol="TCP", port_range="22/22", source_group_id=peer)))
    call(c.ecs.delete_security_group, delete(peer))
    expect_error(c.ecs.describe_security_group_attribute,
                 m.DescribeSecurityGroupAttributeRequest(region_id=REGION, security_group_id=peer),
                 status=404, code="InvalidSecurityGroupId.NotFound")
    (rule,) = rules(c, net.sg_id, "egress")
    call(c.ecs.revoke_security_group_egress, revoke_egress_req(net.sg_id, rule_ids=[rule["SecurityGroupRuleId"]]))
    call(c.ecs.delete_security_group, delete(dst))
    assert rules(c, net.sg_id) == []
    # A group whose own rules reference others can be deleted.
    other = sg_create(c, f"{name}-other", net.vpc_id)
    authorize(c, other, ingress(ip_protocol="TCP", port_range="22/22", source_group_id=net.sg_id))
    call(c.ecs.delete_security_group, delete(other))


# ------------------------------------------------------------------------------------------------
# egress rules

def test_authorize_egress_rules(clients, net, name):
    c = clients
    sg = net.sg_id
    peer = sg_create(c, f"{name}-dst", net.vpc_id)
    authorize(c, sg, tcp(22))
    authorize_egress(
        c, sg,
        egress(ip_protocol="TCP", port_range="443/443", dest_cidr_ip="0.0.0.0/0", priority="50", description="https"),
        egress(ip_protocol="udp", port_range="1/65535", dest_group_id=peer, policy="drop"),
    )
    authorize_egress(c, sg, ip_protocol="ICMP", dest_cidr_ip="8.8.8.8", source_cidr_ip="10.0.1.0/24")
    out = rules(c, sg, "egress")
    common = {"Direction": "egress", "SourcePortRange": "", "Ipv6SourceCidrIp": "", "SourceGroupId": "",
              "SourceGroupName": "", "SourceGroupOwnerAccount": "", "SourcePrefixListId": "", "NicType": "intranet"}
    assert [plain(r) for r in out] == [
        {**common, "IpProtocol": "TCP", "PortRange": "443/443", "SourceCidrIp": "", "DestCidrIp": "0.0.0.0/0",
         "DestGroupId": "", "DestGroupName": "", "Policy": "Accept", "Priority": "50", "Description": "https"},
        {**common, "IpProtocol": "UDP", "PortRange": "1/65535", "SourceCidrIp": "", "DestCidrIp": "",
         "DestGroupId": peer, "DestGroupName": f"{name}-dst", "Policy": "Drop", "Priority": "1", "Description": ""},
        {**common, "IpProtocol": "ICMP", "PortRange": "-1/-1", "SourceCidrIp": "10.0.1.0/24", "DestCidrIp": "8.8.8.8",
         "DestGroupId": "", "DestGroupName": "", "Policy": "Accept", "Priority": "1", "Description": ""},
    ]
    assert [r["Direction"] for r in rules(c, sg, "ingress")] == ["ingress"]
    assert [r["Direction"] for r in rules(c, sg)] == ["ingress", "egress", "egress", "egress"]
    assert [r["Direction"] for r in rules(c, sg, "all")] == ["ingress", "egress", "egress", "egress"]
    # Duplicate: success, nothing added.
    authorize_egress(c, sg, egress(ip_protocol="tcp", port_range="443/443", dest_cidr_ip="0.0.0.0/0", priority="50"))
    assert rules(c, sg, "egress") == out


def test_authorize_egress_errors_change_nothing(clients, net, name):
    c = clients
    sg = net.sg_id
    authorize_egress(c, sg, egress(ip_protocol="TCP", port_range="443/443", dest_cidr_ip="0.0.0.0/0"))
    foreign = sg_create(c, f"{name}-foreign", create_vpc(c, f"{name}-o"))
    classic = sg_create(c, f"{name}-classic")
    fn = c.ecs.authorize_security_group_egress

    def err(request, status, code, message=None):
        expect_rule_error(c, sg, fn, request, status=status, code=code, message=message)

    def rule(**kw):
        return egress(ip_protocol="TCP", port_range="80/80", **kw)

    err(egress_req(sg, rule(source_cidr_ip="10.0.0.0/8")), 400, "MissingParameter.Dest",
        "One of the parameters DestCidrIp, Ipv6DestCidrIp, DestGroupId or DestPrefixListId in Permissions.1 must be specified.")
    err(egress_req(sg, ip_protocol="TCP", port_range="80/80"), 400, "MissingParameter.Dest",
        "One of the parameters DestCidrIp, Ipv6DestCidrIp, DestGroupId or DestPrefixListId in the request must be specified.")
    err(egress_req(sg, rule(dest_cidr_ip="300.0.0.0/8")), 400, "InvalidDestCidrIp.Malformed",
        "The specified parameter DestCidrIp is not valid.")
    err(egress_req(sg, rule(dest_cidr_ip="10.0.0.0/8", source_cidr_ip="10.0.0.0/8")), 400, "InvalidParamter.Conflict",
        "The specified SourceCidrIp should be different from the DestCidrIp.")
    err(egress_req(sg, rule(dest_group_id="sg-doesnotexist")), 404, "InvalidDestGroupId.NotFound",
        "The DestGroupId provided does not exist in our records.")
    err(egress_req(sg, rule(dest_group_id=foreign)), 400, "InvalidDestGroupId.Mismatch",
        "Specified security group and destination group are not in the same VPC.")
    err(egress_req(sg, rule(dest_group_id=classic)), 403, "InvalidNetworkType.Conflict", MSG_NET_TYPE)
    err(egress_req(sg, rule(dest_group_id=sg)), 403, "InvalidSecurityGroup.IsSame",
        "The authorized SecurityGroupId should be different from the DestGroupId.")
    err(egress_req(sg, rule(dest_cidr_ip="10.0.0.0/8", priority="0")), 400, "InvalidPriority.Malformed")
    err(egress_req("sg-doesnotexist", rule(dest_cidr_ip="10.0.0.0/8")), 404, "InvalidSecurityGroupId.NotFound", MSG_SG_NOT_FOUND)
    err(egress_req(sg, rule(dest_cidr_ip="10.0.0.0/8"), ip_protocol="TCP", port_range="80/80", dest_cidr_ip="10.0.0.0/8"),
        400, "InvalidParam.Permissions")
    assert len(rules(c, sg)) == 1


# ------------------------------------------------------------------------------------------------
# revoke

def test_revoke_ingress_by_fields(clients, net, name):
    c = clients
    sg = net.sg_id
    peer = sg_create(c, f"{name}-peer", net.vpc_id)
    authorize(c, sg, tcp(22), tcp(80, priority="5"), tcp(81, policy="drop"),
              ingress(ip_protocol="TCP", port_range="3306/3306", source_group_id=peer))
    authorize_egress(c, sg, egress(ip_protocol="TCP", port_range="22/22", dest_cidr_ip="10.0.0.0/8"))
    start = rules(c, sg)
    ports = lambda: [(r["Direction"], r["PortRange"]) for r in rules(c, sg)]  # noqa: E731

    # A rule that is not there: success, nothing removed (policy, priority and peer must all match).
    for spec in (dict(ip_protocol="TCP", port_range="23/23", source_cidr_ip="10.0.0.0/8"),
                 dict(ip_protocol="TCP", port_range="81/81", source_cidr_ip="10.0.0.0/8"),  # its policy is drop
                 dict(ip_protocol="TCP", port_range="80/80", source_cidr_ip="10.0.0.0/8", priority="6"),
                 dict(ip_protocol="UDP", port_range="22/22", source_cidr_ip="10.0.0.0/8")):
        call(c.ecs.revoke_security_group, revoke_req(sg, spec))
        assert rules(c, sg) == start
    # By fields (Priority omitted matches any priority).
    call(c.ecs.revoke_security_group, revoke_req(
        sg, dict(ip_protocol="tcp", port_range="80/80", source_cidr_ip="10.0.0.0/8"),
        dict(ip_protocol="TCP", port_range="81/81", source_cidr_ip="10.0.0.0/8", policy="Drop")))
    assert ports() == [("ingress", "22/22"), ("ingress", "3306/3306"), ("egress", "22/22")]
    # The deprecated top-level fields, and a group peer.
    call(c.ecs.revoke_security_group, revoke_req(sg, ip_protocol="TCP", port_range="3306/3306", source_group_id=peer))
    # Ingress revoke never touches the egress twin.
    call(c.ecs.revoke_security_group, revoke_req(sg, ip_protocol="TCP", port_range="22/22", source_cidr_ip="10.0.0.0/8"))
    assert ports() == [("egress", "22/22")]


def test_revoke_by_rule_id(clients, net):
    c = clients
    sg = net.sg_id
    authorize(c, sg, tcp(22), tcp(80), tcp(443))
    authorize_egress(c, sg, egress(ip_protocol="TCP", port_range="22/22", dest_cidr_ip="10.0.0.0/8"))
    ids = {r["PortRange"] + r["Direction"]: r["SecurityGroupRuleId"] for r in rules(c, sg)}
    fn = c.ecs.revoke_security_group
    not_found = "The specified SecurityGroupRuleId is not exists."
    expect_rule_error(c, sg, fn, revoke_req(sg, rule_ids=[ids["22/22ingress"], "sgr-doesnotexist"]),
                      status=404, code="InvalidSecurityGroupRuleId.NotFound", message=not_found)
    # An egress rule's id is not an ingress rule's.
    expect_rule_error(c, sg, fn, revoke_req(sg, rule_ids=[ids["22/22egress"]]),
                      status=404, code="InvalidSecurityGroupRuleId.NotFound", message=not_found)
    expect_rule_error(c, sg, fn, revoke_req(sg, rule_ids=[ids["80/80ingress"], ids["80/80ingress"]]),
                      status=400, code="InvalidParam.SecurityGroupRuleIdRepeated",
                      message="The specified parameter SecurityGroupRuleId is repeated.")
    expect_rule_error(c, sg, fn, revoke_req(sg, dict(ip_protocol="TCP", port_range="80/80", source_cidr_ip="10.0.0.0/8"),
                                            rule_ids=[ids["22/22ingress"]]),
                      status=400, code="InvalidParam.Permissions",
                      message="The specified parameter Permissions cannot coexist with other parameters.")
    expect_rule_error(c, sg, fn, revoke_req(sg, rule_ids=[ids["22/22ingress"]], ip_protocol="TCP"),
                      status=400, code="InvalidParam.Permissions")
    expect_rule_error(c, sg, fn, revoke_req("sg-doesnotexist", rule_ids=[ids["22/22ingress"]]),
                      status=404, code="InvalidSecurityGroupId.NotFound", message=MSG_SG_NOT_FOUND)
    call(fn, revoke_req(sg, rule_ids=[ids["22/22ingress"], ids["443/443ingress"]]))
    assert [r["SecurityGroupRuleId"] for r in rules(c, sg)] == [ids["80/80ingress"], ids["22/22egress"]]


def test_revoke_errors_change_nothing(clients, net, name):
    c = clients
    sg = net.sg_id
    authorize(c, sg, tcp(22))
    foreign = sg_create(c, f"{name}-foreign", create_vpc(c, f"{name}-o"))
    fn = c.ecs.revoke_security_group
    for spec, status, code in (
        (dict(ip_protocol="TCP", port_range="22/22"), 400, "MissingParameter.Source"),
        (dict(ip_protocol="XTP", port_range="22/22", source_cidr_ip="10.0.0.0/8"), 400, "InvalidIpProtocol.ValueNotSupported"),
        (dict(ip_protocol="TCP", port_range="22", source_cidr_ip="10.0.0.0/8"), 400, "InvalidIpPortRange.Malformed"),
        (dict(ip_protocol="TCP", port_range="22/22", source_cidr_ip="10.0.0.0/33"), 400, "InvalidSourceCidrIp.Malformed"),
        (dict(ip_protocol="TCP", port_range="22/22", source_cidr_ip="10.0.0.0/8", policy="x"), 400, "InvalidPolicy.Malformed"),
        (dict(ip_protocol="TCP", port_range="22/22", source_group_id="sg-doesnotexist"), 404, "InvalidSourceGroupId.NotFound"),
        (dict(ip_protocol="TCP", port_range="22/22", source_group_id=foreign), 400, "InvalidSourceGroupId.Mismatch"),
    ):
        expect_rule_error(c, sg, fn, revoke_req(sg, spec), status=status, code=code)
    # A batch whose second rule is bad revokes nothing.
    expect_rule_error(c, sg, fn, revoke_req(sg, dict(ip_protocol="TCP", port_range="22/22", source_cidr_ip="10.0.0.0/8"),
                                            dict(ip_protocol="TCP", port_range="22/22")),
                      status=400, code="MissingParameter.Source")
    assert [r["PortRange"] for r in rules(c, sg)] == ["22/22"]


def test_revoke_egress(clients, net, name):
    c = clients
    sg = net.sg_id
    peer = sg_create(c, f"{name}-dst", net.vpc_id)
    authorize(c, sg, tcp(22))
    authorize_egress(c, sg,
                     egress(ip_protocol="TCP", port_range="22/22", dest_cidr_ip="10.0.0.0/8"),
                     egress(ip_protocol="TCP", port_range="5432/5432", dest_group_id=peer, priority="7"),
                     egress(ip_protocol="ALL", dest_cidr_ip="0.0.0.0/0", policy="drop", priority="100"))
    by_port = {r["PortRange"] + r["Direction"]: r["SecurityGroupRuleId"] for r in rules(c, sg)}
    fn = c.ecs.revoke_security_group_egress
    # Not there: success, nothing removed.
    call(fn, revoke_egress_req(sg, dict(ip_protocol="TCP", port_range="5432/5432", dest_group_id=peer, priority="8")))
    call(fn, revoke_egress_req(sg, dict(ip_protocol="TCP", port_range="22/22", dest_cidr_ip="10.0.0.0/16")))
    assert len(rules(c, sg, "egress")) == 3
    # An ingress rule's id is not an egress rule's.
    expect_rule_error(c, sg, fn, revoke_egress_req(sg, rule_ids=[by_port["22/22ingress"]]),
                      status=404, code="InvalidSecurityGroupRuleId.NotFound")
    expect_rule_error(c, sg, fn, revoke_egress_req(sg, dict(ip_protocol="TCP", port_range="80/80")),
                      status=400, code="MissingParameter.Dest")
    expect_rule_error(c, sg, fn, revoke_egress_req(sg, dict(ip_protocol="TCP", port_range="80/80", dest_group_id="sg-nope")),
                      status=404, code="InvalidDestGroupId.NotFound")
    call(fn, revoke_egress_req(sg, dict(ip_protocol="TCP", port_range="5432/5432", dest_group_id=peer, priority="7")))
    call(fn, revoke_egress_req(sg, ip_protocol="all", dest_cidr_ip="0.0.0.0/0", policy="Drop"))
    assert [r["SecurityGroupRuleId"] for r in rules(c, sg)] == [by_port["22/22ingress"], by_port["22/22egress"]]
    call(fn, revoke_egress_req(sg, rule_ids=[by_port["22/22egress"]]))
    assert [r["SecurityGroupRuleId"] for r in rules(c, sg)] == [by_port["22/22ingress"]]


# ------------------------------------------------------------------------------------------------
# join and leave

def test_join_and_leave(clients, advance, net, name):
    c = clients
    (iid,) = running_instances(c, advance, net)
    second = sg_create(c, f"{name}-2", net.vpc_id)
    assert sg_ids(c, iid) == [net.sg_id]
    assert ecs_count(c, second) == 0
    assert join(c, iid, second).keys() == {"RequestId"}
    assert sg_ids(c, iid) == [net.sg_id, second]
    assert ecs_count(c, second) == 1
    raw = call(c.ecs.describe_instances, m.DescribeInstancesRequest(region_id=REGION, security_group_id=second))
    assert [i["InstanceId"] for i in raw["Instances"]["Instance"]] == [iid]

    expect_membership_error(c, iid, c.ecs.join_security_group, join_req(iid, second), status=403,
                            code="InvalidInstanceId.AlreadyExists",
                            message="The specified instance already exists in the specified security group.")
    # A group with an instance in it cannot be deleted.
    expect_error(c.ecs.delete_security_group, m.DeleteSecurityGroupRequest(region_id=REGION, security_group_id=second),
                 status=403, code="DependencyViolation")

    assert leave(c, iid, net.sg_id).keys() == {"RequestId"}
    assert sg_ids(c, iid) == [second]
    expect_membership_error(c, iid, c.ecs.leave_security_group, leave_req(iid, net.sg_id), status=403,
                            code="InstanceNotInSecurityGroup", message="The instance not in the group.")
    expect_membership_error(c, iid, c.ecs.leave_security_group, leave_req(iid, second), status=403,
                            code="InstanceLastSecurityGroup",
                            message="The specified security group is the last security group for the instance.")
    join(c, iid, net.sg_id)
    leave(c, iid, second)
    assert sg_ids(c, iid) == [net.sg_id]
    call(c.ecs.delete_security_group, m.DeleteSecurityGroupRequest(region_id=REGION, security_group_id=second))


def test_join_network_mismatch(clients, advance, net, name):
    c = clients
    (vpc_instance,) = running_instances(c, advance, net)
    other_vpc = create_vpc(c, f"{name}-o")
    foreign = sg_create(c, f"{name}-foreign", other_vpc)
    classic_sg = sg_create(c, f"{name}-classic")
    classic_other = sg_create(c, f"{name}-classic2")
    for sg in (foreign, classic_sg):
        expect_membership_error(c, vpc_instance, c.ecs.join_security_group, join_req(vpc_instance, sg),
                                status=400, code="InvalidInstanceId.Mismatch", message=MSG_MISMATCH)
    classic = classic_instance(c, advance, classic_sg)
    assert sg_ids(c, classic) == [classic_sg]
    expect_membership_error(c, classic, c.ecs.join_security_group, join_req(classic, net.sg_id),
                            status=400, code="InvalidInstanceId.Mismatch", message=MSG_MISMATCH)
    # Classic with classic is fine.
    join(c, classic, classic_other)
    assert sg_ids(c, classic) == [classic_sg, classic_other]


def test_join_types_cannot_mix_and_at_most_5(clients, advance, net, name):
    c = clients
    (iid,) = running_instances(c, advance, net)
    enterprise = sg_create(c, f"{name}-e", net.vpc_id, "enterprise")
    expect_membership_error(c, iid, c.ecs.join_security_group, join_req(iid, enterprise), status=400,
                            code="InvalidOperation.MultiGroupType",
                            message="The specified instance can't join different types of security group.")
    more = [sg_create(c, f"{name}-n{k}", net.vpc_id) for k in range(5)]
    for sg in more[:4]:
        join(c, iid, sg)
    assert sg_ids(c, iid) == [net.sg_id, *more[:4]]
    expect_membership_error(c, iid, c.ecs.join_security_group, join_req(iid, more[4]), status=400,
                            code="InstanceSecurityGroupLimitExceeded",
                            message="Exceeding the allowed amount of security groups that an instance can be in.")
    # An instance in enterprise groups joins only enterprise groups.
    (ent_iid,) = running_instances(c, advance, net, sg=enterprise)
    enterprise2 = sg_create(c, f"{name}-e2", net.vpc_id, "enterprise")
    expect_membership_error(c, ent_iid, c.ecs.join_security_group, join_req(ent_iid, more[4]), status=400,
                            code="InvalidOperation.MultiGroupType")
    join(c, ent_iid, enterprise2)
    assert sg_ids(c, ent_iid) == [enterprise, enterprise2]


def test_join_leave_status_and_not_found(clients, advance, net, name):
    c = clients
    second = sg_create(c, f"{name}-2", net.vpc_id)
    raw = call(c.ecs.run_instances, m.RunInstancesRequest(
        region_id=REGION, image_id=IMAGE_ID, instance_type=INSTANCE_TYPE, security_group_id=net.sg_id,
        v_switch_id=net.vsw_id, amount=1))
    (iid,) = raw["InstanceIdSets"]["InstanceIdSet"]
    assert ecs_status(c, iid) == "Pending"
    # Join has its own code for an instance being created; Leave lists none.
    expect_membership_error(c, iid, c.ecs.join_security_group, join_req(iid, second), status=403,
                            code="Forbidden.InstanceIsBeingCreated", message="The specified instance is being created.")
    expect_membership_error(c, iid, c.ecs.leave_security_group, leave_req(iid, net.sg_id), status=403,
                            code="IncorrectInstanceStatus", message=MSG_STATUS)
    advance(60)
    join(c, iid, second)
    stop_instance(c, iid)
    assert ecs_status(c, iid) == "Stopping"
    third = sg_create(c, f"{name}-3", net.vpc_id)
    expect_membership_error(c, iid, c.ecs.join_security_group, join_req(iid, third), status=403,
                            code="IncorrectInstanceStatus", message=MSG_STATUS)
    expect_membership_error(c, iid, c.ecs.leave_security_group, leave_req(iid, second), status=403,
                            code="IncorrectInstanceStatus", message=MSG_STATUS)
    advance(60)
    assert ecs_status(c, iid) == "Stopped"
    leave(c, iid, second)  # Stopped is fine
    assert sg_ids(c, iid) == [net.sg_id]

    for fn, req in ((c.ecs.join_security_group, join_req), (c.ecs.leave_security_group, leave_req)):
        expect_error(fn, req("i-doesnotexist", second), status=404, code="InvalidInstanceId.NotFound",
                     message="The specified InstanceId does not exist.")
        expect_membership_error(c, iid, fn, req(iid, "sg-doesnotexist"), status=404,
                                code="InvalidSecurityGroupId.NotFound", message=MSG_SG_NOT_FOUND)
        # ess-local has no elastic network interfaces.
        expect_error(fn, req(None, second, eni="eni-doesnotexist"), status=404, code="InvalidEniId.NotFound")
        expect_membership_error(c, iid, fn, req(iid, second, eni="eni-doesnotexist"), status=403,
                                code="InvalidParam.EniIdAndInstanceId.Conflict")
