"""The access explainer (`GET /_ess-local/access`, `ess-local access`): for each of the seed guide's
three methods an instance reaches its database with the right reason; each trap (classic group,
different VPC, different security group, database still classic, a higher-priority drop rule, an
enterprise group, a stopped instance) gives the precise blocking fact and the fix, and applying the
fix (the API calls the explainer names, made through the official SDK's generic call_api) turns
the verdict to Allowed.

Sources: db-oos-api.md §1.1, §2.2 (connectivity semantics); ess-api.md §5.4."""
from __future__ import annotations

import json
import os
import subprocess

import pytest
import requests

import alibabacloud_ecs20140526.models as ecs_models
import alibabacloud_ess20220222.models as ess_models
import alibabacloud_rds20140815.models as rds_models
from alibabacloud_tea_openapi import utils_models as open_api_util_models
from alibabacloud_tea_openapi.client import Client as OpenApiClient
from alibabacloud_tea_openapi.utils import Utils
from darabonba.runtime import RuntimeOptions

from esl_helpers import (
    REGION,
    ZONE,
    attach_db,
    call,
    create_config,
    create_group,
    create_rds,
    create_rds_request,
    create_sg,
    create_vpc,
    create_vswitch,
    detach_db,
    enable,
    instances,
    modify_ips,
)
from esl_helpers3 import stop_instance
from esl_helpers4 import (  # noqa: F401  (fixtures)
    TPL_POLARDB,
    adb_create,
    create_hook,
    dds_create,
    hook_execution,
    hook_group,
    kv_create,
    only_action,
    oos_arn,
    polar_create,
    scale_out,
)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def explain(server, frm: str, to: str, **kw) -> dict:
    r = requests.get(f"{server.base_url}/_ess-local/access", params={"from": frm, "to": to, **kw}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def codes(v: dict) -> list[str]:
    return [e["Code"] for e in v["Explanations"]]


def blocking(v: dict) -> list[str]:
    return [e["Code"] for e in v["Explanations"] if e["Blocking"]]


def fix_codes(v: dict) -> list[str]:
    return [f["Code"] for f in v["Fixes"]]


def apply(tea_config, fix_call: dict) -> dict:
    """Make one of the explainer's suggested calls through the Tea SDK's generic call_api."""
    client = OpenApiClient(tea_config())
    params = open_api_util_models.Params(
        action=fix_call["Action"], version=fix_call["Version"], protocol="HTTP", pathname="/", method="POST",
        auth_type="AK", style="RPC", req_body_type="formData", body_type="json",
    )
    req = open_api_util_models.OpenApiRequest(query=Utils.query(fix_call["Parameters"]))
    return client.call_api(params, req, RuntimeOptions())["body"]


def one_instance(c, advance, net, name, *, rds_ids=(), sg_id=None, vsw_id=None) -> tuple[str, str, str]:
    """An Active group (min 1) with one InService instance; returns (group, instance id, its IP)."""
    asg = create_group(c, name, vsw_id or net.vsw_id, rds_ids=list(rds_ids), min_size=1, max_size=3)
    create_config(c, asg, sg_id or net.sg_id, f"{name}-cfg")
    enable(c, asg)
    advance(60)
    [inst] = instances(c, asg)
    assert inst["LifecycleState"] == "InService", inst
    ecs = call(c.ecs.describe_instances, ecs_models.DescribeInstancesRequest(region_id=REGION, instance_ids=json.dumps([inst["InstanceId"]])))
    ip = ecs["Instances"]["Instance"][0]["VpcAttributes"]["PrivateIpAddress"]["IpAddress"][0]
    return asg, inst["InstanceId"], ip


def bind_rds_sgs(c, rm: str, sgs: str) -> dict:
    return call(
        c.rds.modify_security_group_configuration,
        rds_models.ModifySecurityGroupConfigurationRequest(dbinstance_id=rm, security_group_id=sgs),
    )


# ------------------------------------------------------------------------------------------------
# The three methods


def test_method1_same_security_group(clients, advance, net, name, tea_config, server):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, iid, ip = one_instance(c, advance, net, name)
    v = explain(server, iid, rm)
    assert (v["Allowed"], v["Method"], v["Port"], v["PrivateIpAddress"]) == (False, None, 3306, ip)
    assert blocking(v) == ["NoSecurityGroupBound", "NotInWhitelist"]
    assert fix_codes(v) == ["BindSecurityGroup", "AddToWhitelist"]
    bind = v["Fixes"][0]["Calls"]
    assert bind == [{"Product": "Rds", "Version": "2014-08-15", "Action": "ModifySecurityGroupConfiguration",
                     "Parameters": {"DBInstanceId": rm, "SecurityGroupId": net.sg_id}}]
    apply(tea_config, bind[0])
    v = explain(server, iid, rm)
    assert (v["Allowed"], v["Method"]) == (True, "SecurityGroup")
    assert codes(v) == ["InstanceRunning", "DatabaseRunning", "SameVpc", "EgressInnerAccess",
                        "SharedSecurityGroup", "InnerAccessAccept"]
    assert [e["ResourceId"] for e in v["Explanations"]][2:] == [net.vpc_id, net.sg_id, net.sg_id, net.sg_id]
    assert v["Fixes"] == []


def test_method2_rds_association(clients, advance, net, name, tea_config, server):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, iid, ip = one_instance(c, advance, net, name, rds_ids=[rm])
    v = explain(server, iid, rm)
    assert (v["Allowed"], v["Method"]) == (True, "Whitelist")
    assert codes(v) == ["InstanceRunning", "DatabaseRunning", "SameVpc", "EgressAllowedByDefault",
                        "WhitelistEntry", "AssociatedWithScalingGroup"]
    entry = v["Explanations"][4]
    assert entry["Message"] == (
        f'Whitelist group "default" of database {rm} holds entry {ip}, which covers the instance\'s private IP {ip}.'
    )
    assert v["Explanations"][5]["ResourceId"] == asg

    # Disassociate with ForceDetach: the IP leaves and the path closes; the fix offers both the
    # manual whitelist entry and re-association.
    detach_db(c, asg, [rm], True)
    v = explain(server, iid, rm)
    assert (v["Allowed"], v["Method"]) == (False, None)
    assert blocking(v) == ["NoSecurityGroupBound", "NotInWhitelist"]
    add = v["Fixes"][1]
    assert add["Calls"] == [
        {"Product": "Rds", "Version": "2014-08-15", "Action": "ModifySecurityIps",
         "Parameters": {"DBInstanceId": rm, "SecurityIps": ip, "DBInstanceIPArrayName": "default", "ModifyMode": "Append"}},
        {"Product": "Ess", "Version": "2022-02-22", "Action": "AttachDBInstances",
         "Parameters": {"RegionId": REGION, "ScalingGroupId": asg, "DBInstances": [rm], "ForceAttach": True}},
    ]
    apply(tea_config, add["Calls"][1])
    v = explain(server, iid, rm)
    assert (v["Allowed"], v["Method"]) == (True, "Whitelist")
    assert codes(v)[-1] == "AssociatedWithScalingGroup"


def test_method3_hook_maintained_whitelist(clients, advance, net, name, polardb, oos, server):
    c = clients
    pc = polar_create(polardb, net, advance, name)
    asg = hook_group(c, net, name)
    hook = create_hook(
        c, asg, "SCALE_OUT", default_result="ABANDON", heartbeat_timeout=600,
        notification_arn=oos_arn(server, TPL_POLARDB),
        notification_metadata=json.dumps({"dbClusterId": pc, "modifyMode": "Append"}),
    )
    act = scale_out(c, asg, 1)
    [iid] = only_action(c, act)["InstanceIds"]
    # While the template has not run, the instance waits and the cluster does not know it.
    v = explain(server, iid, pc)
    assert blocking(v) == ["InstanceNotRunning", "NoSecurityGroupBound", "NotInWhitelist"]
    advance(5)
    assert hook_execution(oos, hook, only_action(c, act)["LifecycleActionToken"])["Status"] == "Success"
    v = explain(server, iid, pc)
    assert (v["Allowed"], v["Method"], v["Port"]) == (True, "Whitelist", 3306)
    assert codes(v)[-2:] == ["WhitelistEntry", "MaintainedByLifecycleHook"]
    assert v["Explanations"][-1]["ResourceId"] == hook
    assert v["Explanations"][-1]["Message"] == (
        f"Lifecycle hook {hook} (SCALE_OUT) runs OOS template {TPL_POLARDB} on database {pc}, which adds the "
        "group's new instances to its whitelist and removes departing ones."
    )


def test_method1_through_the_group_association(clients, advance, net, name, server, kvstore):
    """AttachDBInstances AttachMode=SecurityGroup binds the configuration's security group to the
    database: Method 1, kept by ESS (ess-api.md §5.4)."""
    c = clients
    r = kv_create(kvstore, net, advance, name)
    asg, iid, ip = one_instance(c, advance, net, name)
    assert blocking(explain(server, iid, r)) == ["NoSecurityGroupBound", "NotInWhitelist"]
    call(c.ess.attach_dbinstances, ess_models.AttachDBInstancesRequest(
        region_id=REGION, scaling_group_id=asg, dbinstances=[r], type="Redis", attach_mode="SecurityGroup"))
    v = explain(server, iid, r)
    assert (v["Allowed"], v["Method"], v["Port"]) == (True, "SecurityGroup", 6379)
    assert codes(v)[-3:] == ["SharedSecurityGroup", "InnerAccessAccept", "AssociatedWithScalingGroup"]
    assert v["Explanations"][-1]["Message"] == (
        f"Scaling group {asg} is associated with database {r} (AttachMode SecurityGroup): ESS bound its "
        "configuration's security groups to the database."
    )


# ------------------------------------------------------------------------------------------------
# Every database kind: the whitelist path and the fix that opens it


@pytest.mark.parametrize("kind", ["polardb", "mongodb", "adb", "redis"])
def test_every_database_kind_whitelist_fix(clients, advance, net, name, tea_config, server, polardb, dds, adb, kvstore, kind):
    c = clients
    db, product, action, params = {
        "polardb": lambda: (polar_create(polardb, net, advance, name), ("polardb", "2017-08-01"), "ModifyDBClusterAccessWhitelist",
                            lambda d, ip: {"DBClusterId": d, "SecurityIps": ip, "DBClusterIPArrayName": "default", "ModifyMode": "Append"}),
        "mongodb": lambda: (dds_create(dds, net, advance, name), ("Dds", "2015-12-01"), "ModifySecurityIps",
                            lambda d, ip: {"DBInstanceId": d, "SecurityIps": ip, "SecurityIpGroupName": "default", "ModifyMode": "Append"}),
        "adb": lambda: (adb_create(adb, net, advance, name), ("adb", "2019-03-15"), "ModifyDBClusterAccessWhiteList",
                        lambda d, ip: {"DBClusterId": d, "SecurityIps": ip, "DBClusterIPArrayName": "default", "ModifyMode": "Append"}),
        "redis": lambda: (kv_create(kvstore, net, advance, name), ("R-kvstore", "2015-01-01"), "ModifySecurityIps",
                          lambda d, ip: {"InstanceId": d, "SecurityIps": ip, "SecurityIpGroupName": "default", "ModifyMode": "Append"}),
    }[kind]()
    asg, iid, ip = one_instance(c, advance, net, name)
    v = explain(server, iid, db)
    assert (v["Allowed"], v["Method"]) == (False, None)
    if kind == "adb":  # AnalyticDB binds no ECS security groups: only the whitelist path exists
        assert blocking(v) == ["NotInWhitelist"]
        assert fix_codes(v) == ["AddToWhitelist"]
    else:
        assert blocking(v) == ["NoSecurityGroupBound", "NotInWhitelist"]
        assert fix_codes(v) == ["BindSecurityGroup", "AddToWhitelist"]
    [add] = [f for f in v["Fixes"] if f["Code"] == "AddToWhitelist"]
    assert add["Calls"] == [{"Product": product[0], "Version": product[1], "Action": action, "Parameters": params(db, ip)}]
    apply(tea_config, add["Calls"][0])
    v = explain(server, iid, db)
    assert (v["Allowed"], v["Method"], codes(v)[-1]) == (True, "Whitelist", "WhitelistEntry")


# ------------------------------------------------------------------------------------------------
# The seed guide's traps


def test_trap_classic_scaling_group(clients, advance, net, name, server):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    classic_sg = call(c.ecs.create_security_group, ecs_models.CreateSecurityGroupRequest(region_id=REGION, security_group_name=f"{name}-classic"))["SecurityGroupId"]
    asg = call(c.ess.create_scaling_group, ess_models.CreateScalingGroupRequest(
        region_id=REGION, scaling_group_name=name, min_size=1, max_size=2,
        dbinstances=[ess_models.CreateScalingGroupRequestDBInstances(dbinstance_id=rm, type="RDS", attach_mode="SecurityIp")],
    ))["ScalingGroupId"]
    create_config(c, asg, classic_sg, f"{name}-cfg")
    enable(c, asg)
    advance(60)
    [inst] = instances(c, asg)
    v = explain(server, inst["InstanceId"], rm)
    assert (v["Allowed"], blocking(v)) == (False, ["InstanceClassicNetwork"])
    assert v["Fixes"] == [{
        "Code": "UseDatabaseVpc",
        "Message": f"Run ECS instance {inst['InstanceId']} in VPC {net.vpc_id}: create a VPC-type scaling group with "
                   f"vSwitches of {net.vpc_id} (a scaling group's network type and VPC never change).",
        "Calls": [],
    }]
    # The fix: a VPC-type group in the database's VPC, associated the same way.
    asg2, iid2, _ = one_instance(c, advance, net, name + "-vpc", rds_ids=[rm])
    assert explain(server, iid2, rm)["Allowed"] is True


def test_trap_different_vpc(clients, advance, net, name, server):
    c = clients
    other_vpc = create_vpc(c, name + "-other", "192.168.0.0/16")
    other_vsw = create_vswitch(c, other_vpc, "192.168.1.0/24", name + "-other")
    rm = create_rds(c, advance, other_vpc, other_vsw, name)
    asg, iid, ip = one_instance(c, advance, net, name)
    modify_ips(c, rm, ip, "Append")
    v = explain(server, iid, rm)
    assert (v["Allowed"], blocking(v)) == (False, ["DifferentVpc"])
    assert v["Explanations"][2]["Message"] == (
        f"ECS instance {iid} is in VPC {net.vpc_id} but database {rm} is in VPC {other_vpc}: private traffic does not cross VPCs."
    )
    assert fix_codes(v) == ["UseDatabaseVpc"]


def test_trap_different_security_group(clients, advance, net, name, tea_config, server):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    db_sg = create_sg(c, net.vpc_id, name + "-db")
    bind_rds_sgs(c, rm, db_sg)
    asg, iid, ip = one_instance(c, advance, net, name)
    v = explain(server, iid, rm)
    assert blocking(v) == ["NoSharedSecurityGroup", "NotInWhitelist"]
    [bind] = [f for f in v["Fixes"] if f["Code"] == "BindSecurityGroup"]
    # Binding overwrites the list, so the fix keeps the group bound already.
    assert bind["Calls"][0]["Parameters"] == {"DBInstanceId": rm, "SecurityGroupId": f"{db_sg},{net.sg_id}"}
    apply(tea_config, bind["Calls"][0])
    v = explain(server, iid, rm)
    assert (v["Allowed"], v["Method"]) == (True, "SecurityGroup")


def test_trap_database_still_classic(clients, advance, net, name, tea_config, server):
    c = clients
    req = create_rds_request(net.vpc_id, net.db_vsw_id, name)
    req.instance_network_type, req.vpcid, req.v_switch_id = "Classic", None, None
    rm = call(c.rds.create_dbinstance, req)["DBInstanceId"]
    advance(60)
    asg, iid, ip = one_instance(c, advance, net, name)
    modify_ips(c, rm, ip, "Append")
    v = explain(server, iid, rm)
    assert (v["Allowed"], blocking(v)) == (False, ["DatabaseClassicNetwork"])
    [move] = v["Fixes"]
    assert move["Code"] == "ChangeDatabaseNetworkType"
    assert move["Calls"] == [{"Product": "Rds", "Version": "2014-08-15", "Action": "ModifyDBInstanceNetworkType",
                              "Parameters": {"DBInstanceId": rm, "InstanceNetworkType": "VPC", "VPCId": net.vpc_id, "VSwitchId": net.vsw_id}}]
    apply(tea_config, move["Calls"][0])
    v = explain(server, iid, rm)
    assert blocking(v) == ["DatabaseNotRunning", "DatabaseClassicNetwork"]  # DBInstanceNetTypeChanging
    advance(60)
    v = explain(server, iid, rm)
    assert (v["Allowed"], v["Method"]) == (True, "Whitelist")


def test_trap_mongodb_still_classic(clients, advance, net, name, tea_config, server, dds):
    """The same trap for MongoDB: its fix is Dds ModifyDBInstanceNetworkType, zone included."""
    import alibabacloud_dds20151201.models as dds_models

    c = clients
    inst = call(dds.create_dbinstance, dds_models.CreateDBInstanceRequest(
        region_id=REGION, zone_id=ZONE, engine="MongoDB", engine_version="6.0", dbinstance_class="mdb.shard.2x.xlarge.d",
        dbinstance_storage=20, charge_type="PostPaid", dbinstance_description=name,  # no VPC: classic
    ))["DBInstanceId"]
    advance(60)
    asg, iid, ip = one_instance(c, advance, net, name)
    call(dds.modify_security_ips, dds_models.ModifySecurityIpsRequest(dbinstance_id=inst, security_ips=ip, modify_mode="Append"))
    v = explain(server, iid, inst)
    assert (v["Allowed"], blocking(v)) == (False, ["DatabaseClassicNetwork"])
    [move] = v["Fixes"]
    assert move["Calls"] == [{"Product": "Dds", "Version": "2015-12-01", "Action": "ModifyDBInstanceNetworkType",
                              "Parameters": {"DBInstanceId": inst, "NetworkType": "VPC", "VpcId": net.vpc_id,
                                             "VSwitchId": net.vsw_id, "ZoneId": ZONE}}]
    apply(tea_config, move["Calls"][0])
    advance(60)
    v = explain(server, iid, inst)
    assert (v["Allowed"], v["Method"], v["Port"]) == (True, "Whitelist", 3717)


def test_higher_priority_drop_rule_blocks_until_revoked(clients, advance, net, name, tea_config, server):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    db_sg = create_sg(c, net.vpc_id, name + "-db")
    perm = ecs_models.AuthorizeSecurityGroupRequestPermissions
    call(c.ecs.authorize_security_group, ecs_models.AuthorizeSecurityGroupRequest(
        region_id=REGION, security_group_id=db_sg,
        permissions=[perm(ip_protocol="TCP", port_range="3306/3306", source_group_id=net.sg_id, priority="10", nic_type="intranet"),
                     perm(ip_protocol="TCP", port_range="1/65535", source_cidr_ip="10.0.1.0/24", policy="drop", priority="1")],
    ))
    bind_rds_sgs(c, rm, db_sg)
    asg, iid, ip = one_instance(c, advance, net, name)
    v = explain(server, iid, rm)
    assert blocking(v) == ["IngressDropped", "NotInWhitelist"]
    revoke = v["Fixes"][0]
    assert revoke["Code"] == "RevokeRule"
    rule_id = revoke["Calls"][0]["Parameters"]["SecurityGroupRuleId"][0]
    rules = call(c.ecs.describe_security_group_attribute, ecs_models.DescribeSecurityGroupAttributeRequest(region_id=REGION, security_group_id=db_sg))
    [dropper] = [p for p in rules["Permissions"]["Permission"] if p["Policy"] == "Drop"]
    assert dropper["SecurityGroupRuleId"] == rule_id
    apply(tea_config, revoke["Calls"][0])
    v = explain(server, iid, rm)
    assert (v["Allowed"], v["Method"], codes(v)[-1]) == (True, "SecurityGroup", "IngressAccepted")


def test_enterprise_group_isolates_and_denies_egress(clients, advance, net, name, tea_config, server):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    ent = call(c.ecs.create_security_group, ecs_models.CreateSecurityGroupRequest(
        region_id=REGION, vpc_id=net.vpc_id, security_group_name=name + "-ent", security_group_type="enterprise",
    ))["SecurityGroupId"]
    bind_rds_sgs(c, rm, ent)
    asg, iid, ip = one_instance(c, advance, net, name, sg_id=ent)
    v = explain(server, iid, rm)
    assert blocking(v) == ["EgressDeniedByDefault"]
    [egress] = v["Fixes"]
    assert egress["Calls"][0]["Parameters"] == {"RegionId": REGION, "SecurityGroupId": ent, "IpProtocol": "TCP",
                                                "PortRange": "3306/3306", "DestCidrIp": "10.0.2.0/24"}
    apply(tea_config, egress["Calls"][0])
    v = explain(server, iid, rm)
    assert blocking(v) == ["EnterpriseGroupIsolation", "NotInWhitelist"]
    [ingress] = [f for f in v["Fixes"] if f["Code"] == "AuthorizeIngress"]
    apply(tea_config, ingress["Calls"][0])
    v = explain(server, iid, rm)
    assert (v["Allowed"], v["Method"], codes(v)[-1]) == (True, "SecurityGroup", "IngressAccepted")


def test_stopped_instance_and_wrong_port(clients, advance, net, name, server):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, iid, ip = one_instance(c, advance, net, name, rds_ids=[rm])
    v = explain(server, iid, rm, port=5432)
    assert (v["Allowed"], v["Port"], blocking(v)) == (False, 5432, ["PortClosed"])
    assert v["Fixes"] == [{"Code": "UsePort", "Message": f"Connect to port 3306, where database {rm} listens.", "Calls": []}]
    call(c.ess.set_instances_protection, ess_models.SetInstancesProtectionRequest(
        scaling_group_id=asg, instance_ids=[iid], protected_from_scale_in=True))
    stop_instance(c, iid)
    advance(1)
    v = explain(server, iid, rm)
    assert (v["Allowed"], v["Method"], blocking(v)) == (False, None, ["InstanceNotRunning"])
    assert v["Fixes"][0]["Calls"] == [{"Product": "Ecs", "Version": "2014-05-26", "Action": "StartInstance",
                                       "Parameters": {"InstanceId": iid}}]


# ------------------------------------------------------------------------------------------------
# The matrix, the command line, bad input


def test_group_matrix_and_command_line(clients, advance, net, name, server):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    other = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name + "-2")
    asg = create_group(c, name, net.vsw_id, rds_ids=[rm], min_size=2, max_size=3)
    create_config(c, asg, net.sg_id, f"{name}-cfg")
    enable(c, asg)
    advance(60)
    ids = sorted(i["InstanceId"] for i in instances(c, asg))
    r = requests.get(f"{server.base_url}/_ess-local/access", params={"group": asg}, timeout=10)
    assert r.status_code == 200, r.text
    m = r.json()
    assert (m["ScalingGroupId"], m["DatabaseIds"]) == (asg, [rm])
    assert [row["InstanceId"] for row in m["Rows"]] == ids
    assert [[(cell["DatabaseId"], cell["Allowed"], cell["Method"]) for cell in row["Cells"]] for row in m["Rows"]] == [
        [(rm, True, "Whitelist")], [(rm, True, "Whitelist")]
    ]
    binary = os.environ.get("ESS_LOCAL_BIN", os.path.join(REPO_ROOT, "target", "debug", "ess-local"))
    endpoint = ["--endpoint", server.base_url]
    run = subprocess.run([binary, "access", "--group", asg, "--to", f"{rm},{other}", *endpoint],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 2, run  # a blocked cell
    out = run.stdout.splitlines()
    assert out[0] == f"scaling group {asg}"
    assert out[1] == f"{ids[0]} InService"
    assert out[2].split() == ["->", rm, "ALLOWED", "(via", "Whitelist)", "WhitelistEntry"]
    assert out[3].split()[:4] == ["->", other, "BLOCKED", "NoSecurityGroupBound;"]
    run = subprocess.run([binary, "access", ids[0], other, *endpoint], capture_output=True, text=True, timeout=30)
    assert run.returncode == 2, run  # blocked
    out = run.stdout.splitlines()
    ecs = call(c.ecs.describe_instances, ecs_models.DescribeInstancesRequest(region_id=REGION, instance_ids=json.dumps([ids[0]])))
    ip = ecs["Instances"]["Instance"][0]["VpcAttributes"]["PrivateIpAddress"]["IpAddress"][0]
    assert out[0] == f"{ids[0]} ({ip}) -> {other} port 3306: BLOCKED"
    assert "To open a path:" in out
    assert f"      Rds 2014-08-15 ModifySecurityIps DBInstanceId={other} SecurityIps={ip} DBInstanceIPArrayName=default ModifyMode=Append" in out
    js = subprocess.run([binary, "access", ids[0], rm, "--json", *endpoint],
                        capture_output=True, text=True, timeout=30, check=True).stdout  # allowed: exit 0
    assert json.loads(js)["Allowed"] is True
    run = subprocess.run([binary, "access", "--group", asg, "--to", rm, *endpoint], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run  # every cell allowed
    bad = subprocess.run([binary, "access", "i-nosuch", rm, *endpoint], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 1
    assert "InvalidInstanceId.NotFound: The specified InstanceId does not exist." in bad.stderr


def test_bad_questions(clients, advance, net, name, server):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, iid, _ = one_instance(c, advance, net, name)
    url = f"{server.base_url}/_ess-local/access"
    cases = [
        ({"from": "i-nosuch", "to": rm}, 404, "InvalidInstanceId.NotFound"),
        ({"from": iid, "to": "rm-nosuch"}, 404, "InvalidDBInstanceId.NotFound"),
        ({"from": iid}, 400, "MissingParameter"),
        ({"from": iid, "to": rm, "port": "http"}, 400, "InvalidParameter"),
        ({"group": "asg-nosuch"}, 404, "InvalidScalingGroupId.NotFound"),
    ]
    for params, status, code in cases:
        r = requests.get(url, params=params, timeout=10)
        assert (r.status_code, r.json()["Code"]) == (status, code), (params, r.text)
