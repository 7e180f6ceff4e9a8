"""ECS security groups bound to databases (db-oos-api.md §1.1, §1.2, §1.4, §1.7, §1.8; ess-api.md §2.6,
§5.4): RDS, MongoDB (Dds) and Redis (R-kvstore) ModifySecurityGroupConfiguration /
DescribeSecurityGroupConfiguration (the comma list overwrites, at most 10, `Empty` clears, each
group must exist in the region), PolarDB's WhiteListType=SecurityGroup, and ESS AttachDBInstances
AttachMode=SecurityGroup for Type RDS, Redis and MongoDB (the active configuration's security groups
join the database's list and show in DescribeScalingGroups DBInstances[].SecurityGroupIds, in the 2022
and 2014 shapes), DetachDBInstances RemoveSecurityGroup, and CreateScalingGroup DBInstances.N with
AttachMode=SecurityGroup (bound when the group is enabled). Every refusal changes nothing."""
from __future__ import annotations

import alibabacloud_dds20151201.models as dds_models
import alibabacloud_ess20220222.models as ess_models
import alibabacloud_polardb20170801.models as polar_models
import alibabacloud_r_kvstore20150101.models as kv_models
import alibabacloud_rds20140815.models as rds_models
import pytest
from aliyunsdkess.request.v20140828.DescribeScalingGroupsRequest import DescribeScalingGroupsRequest

from esl_helpers import (
    IMAGE_ID,
    INSTANCE_TYPE,
    REGION,
    ZONE,
    call,
    create_group,
    create_net,
    create_rds,
    create_rds_request,
    create_sg,
    enable,
    expect_error,
    ready_group,
)


MSG_RDS_QUOTA = "Security groups quota exceeded"
MSG_DDS_QUOTA = "SecurityGroupIdQuotaExceeded exceeding the allowed amount of SecurityGroupId."


def sgs(clients, net, name: str, n: int) -> list[str]:
    return [create_sg(clients, net.vpc_id, f"{name}-x{i}") for i in range(n)]


# ---- RDS


def rds_sg_modify(rds, rm: str, ids: str) -> dict:
    return call(
        rds.modify_security_group_configuration,
        rds_models.ModifySecurityGroupConfigurationRequest(dbinstance_id=rm, security_group_id=ids),
    )


def rds_sg_request(rm: str, ids: str):
    return rds_models.ModifySecurityGroupConfigurationRequest(dbinstance_id=rm, security_group_id=ids)


def rds_sgs(rds, rm: str) -> list[dict]:
    raw = call(
        rds.describe_security_group_configuration,
        rds_models.DescribeSecurityGroupConfigurationRequest(dbinstance_id=rm),
    )
    assert raw["DBInstanceName"] == rm, raw
    return raw["Items"]["EcsSecurityGroupRelation"]


def rds_sg_ids(rds, rm: str) -> list[str]:
    return [g["SecurityGroupId"] for g in rds_sgs(rds, rm)]


def test_rds_security_group_configuration(clients, net, advance, name):
    rds = clients.rds
    rm = create_rds(clients, advance, net.vpc_id, net.db_vsw_id, name)
    assert rds_sgs(rds, rm) == []
    second = create_sg(clients, net.vpc_id, f"{name}-b")
    raw = rds_sg_modify(rds, rm, f"{net.sg_id},{second}")
    assert raw["DBInstanceName"] == rm
    assert raw["Items"]["EcsSecurityGroupRelation"] == [
        {"SecurityGroupId": net.sg_id, "RegionId": REGION, "NetworkType": "VPC"},
        {"SecurityGroupId": second, "RegionId": REGION, "NetworkType": "VPC"},
    ]
    assert rds_sgs(rds, rm) == [
        {"SecurityGroupId": net.sg_id, "RegionId": REGION, "NetworkType": "VPC", "SecurityGroupName": f"{name}-sg"},
        {"SecurityGroupId": second, "RegionId": REGION, "NetworkType": "VPC", "SecurityGroupName": f"{name}-b"},
    ]
    # Overwrite, not append.
    rds_sg_modify(rds, rm, second)
    assert rds_sg_ids(rds, rm) == [second]
    # At most 10; every group must exist. A refusal changes nothing.
    eleven = sgs(clients, net, name, 11)
    expect_error(
        rds.modify_security_group_configuration, rds_sg_request(rm, ",".join(eleven)),
        status=400, code="AssociatedEcsSecurityGroupIdQuotaExceed", message=MSG_RDS_QUOTA,
    )
    expect_error(
        rds.modify_security_group_configuration, rds_sg_request(rm, f"{net.sg_id},sg-nope"),
        status=404, code="InvalidSecurityGroupId.NotFound",
    )
    assert rds_sg_ids(rds, rm) == [second]
    rds_sg_modify(rds, rm, ",".join(eleven[:10]))
    assert rds_sg_ids(rds, rm) == eleven[:10]
    # `Empty` clears. An empty string is a missing parameter (Terraform: "openapi required that
    # input Empty").
    expect_error(rds.modify_security_group_configuration, rds_sg_request(rm, ""), status=400, code="MissingParameter")
    assert rds_sg_ids(rds, rm) == eleven[:10]
    rds_sg_modify(rds, rm, "Empty")
    assert rds_sgs(rds, rm) == []
    # Not found; not Running.
    expect_error(
        rds.describe_security_group_configuration,
        rds_models.DescribeSecurityGroupConfigurationRequest(dbinstance_id="rm-nope"),
        status=404, code="InvalidDBInstanceId.NotFound",
    )
    creating = call(rds.create_dbinstance, create_rds_request(net.vpc_id, net.db_vsw_id, name))["DBInstanceId"]
    expect_error(
        rds.modify_security_group_configuration, rds_sg_request(creating, net.sg_id),
        status=403, code="IncorrectDBInstanceState",
    )
    assert rds_sgs(rds, creating) == []
    advance(60)


def test_rds_classic_security_group_network_type(clients, net, advance, name):
    """A classic security group (no VPC) shows NetworkType Classic."""
    rds = clients.rds
    rm = create_rds(clients, advance, net.vpc_id, net.db_vsw_id, name)
    import alibabacloud_ecs20140526.models as ecs_models

    classic = call(
        clients.ecs.create_security_group,
        ecs_models.CreateSecurityGroupRequest(region_id=REGION, security_group_name=f"{name}-classic"),
    )["SecurityGroupId"]
    raw = rds_sg_modify(rds, rm, f"{classic},{net.sg_id}")
    assert raw["Items"]["EcsSecurityGroupRelation"] == [
        {"SecurityGroupId": classic, "RegionId": REGION, "NetworkType": "Classic"},
        {"SecurityGroupId": net.sg_id, "RegionId": REGION, "NetworkType": "VPC"},
    ]


# ---- MongoDB and Redis


def dds_create(dds, net, name: str) -> str:
    raw = call(
        dds.create_dbinstance,
        dds_models.CreateDBInstanceRequest(
            region_id=REGION, zone_id=ZONE, engine="MongoDB", engine_version="6.0",
            dbinstance_class="mdb.shard.2x.xlarge.d", dbinstance_storage=20, charge_type="PostPaid",
            network_type="VPC", vpc_id=net.vpc_id, v_switch_id=net.db_vsw_id, dbinstance_description=name,
        ),
    )
    return raw["DBInstanceId"]


def dds_sg_request(inst: str, ids: str):
    return dds_models.ModifySecurityGroupConfigurationRequest(dbinstance_id=inst, security_group_id=ids)


def dds_sgs(dds, inst: str) -> list[dict]:
    raw = call(
        dds.describe_security_group_configuration,
        dds_models.DescribeSecurityGroupConfigurationRequest(dbinstance_id=inst),
    )
    return raw["Items"]["RdsEcsSecurityGroupRel"]


def dds_sg_ids(dds, inst: str) -> list[str]:
    return [g["SecurityGroupId"] for g in dds_sgs(dds, inst)]


def kv_create(kvstore, net, name: str) -> str:
    raw = call(
        kvstore.create_instance,
        kv_models.CreateInstanceRequest(
            region_id=REGION, zone_id=ZONE, instance_name=name, instance_class="redis.master.small.default",
            charge_type="PostPaid", network_type="VPC", vpc_id=net.vpc_id, v_switch_id=net.db_vsw_id,
            engine_version="7.0",
        ),
    )
    return raw["InstanceId"]


def kv_sg_request(r: str, ids: str):
    # The modify names the instance DBInstanceId; the describe says InstanceId.
    return kv_models.ModifySecurityGroupConfigurationRequest(dbinstance_id=r, security_group_id=ids)


def kv_sgs(kvstore, r: str) -> list[dict]:
    raw = call(
        kvstore.describe_security_group_configuration,
        kv_models.DescribeSecurityGroupConfigurationRequest(instance_id=r),
    )
    return raw["Items"]["EcsSecurityGroupRelation"]


def kv_sg_ids(kvstore, r: str) -> list[str]:
    return [g["SecurityGroupId"] for g in kv_sgs(kvstore, r)]


def test_mongodb_security_group_configuration(clients, dds, net, advance, name):
    inst = dds_create(dds, net, name)
    # Not Running yet.
    expect_error(
        dds.modify_security_group_configuration, dds_sg_request(inst, net.sg_id),
        status=400, code="InstanceStatusInvalid", message="Instance status is not valid.",
    )
    advance(60)
    assert dds_sgs(dds, inst) == []
    second = create_sg(clients, net.vpc_id, f"{name}-b")
    raw = call(dds.modify_security_group_configuration, dds_sg_request(inst, f"{net.sg_id},{second},{net.sg_id}"))
    assert set(raw) == {"RequestId"}, raw
    assert dds_sgs(dds, inst) == [
        {"SecurityGroupId": net.sg_id, "RegionId": REGION, "NetType": "vpc"},
        {"SecurityGroupId": second, "RegionId": REGION, "NetType": "vpc"},
    ]
    call(dds.modify_security_group_configuration, dds_sg_request(inst, second))
    assert dds_sg_ids(dds, inst) == [second]
    eleven = sgs(clients, net, name, 11)
    expect_error(
        dds.modify_security_group_configuration, dds_sg_request(inst, ",".join(eleven)),
        status=403, code="AssociatedEcsSecurityGroupId.QuotaExceed", message=MSG_DDS_QUOTA,
    )
    expect_error(
        dds.modify_security_group_configuration, dds_sg_request(inst, "sg-nope"),
        status=400, code="InvalidParam", message="Specified ecs security group id is not valid.",
    )
    # A security group of another VPC.
    other = create_net(clients, f"{name}-o")
    expect_error(
        dds.modify_security_group_configuration, dds_sg_request(inst, other.sg_id),
        status=400, code="InvalidVpc.NotSupported",
    )
    assert dds_sg_ids(dds, inst) == [second]
    call(dds.modify_security_group_configuration, dds_sg_request(inst, "Empty"))
    assert dds_sgs(dds, inst) == []
    expect_error(
        dds.describe_security_group_configuration,
        dds_models.DescribeSecurityGroupConfigurationRequest(dbinstance_id="dds-nope"),
        status=404, code="InvalidDBInstanceId.NotFound",
    )


def test_redis_security_group_configuration(clients, kvstore, dds, net, advance, name):
    r = kv_create(kvstore, net, name)
    expect_error(
        kvstore.modify_security_group_configuration, kv_sg_request(r, net.sg_id),
        status=403, code="IncorrectDBInstanceState",
    )
    advance(60)
    assert kv_sgs(kvstore, r) == []
    second = create_sg(clients, net.vpc_id, f"{name}-b")
    raw = call(kvstore.modify_security_group_configuration, kv_sg_request(r, f"{second},{net.sg_id}"))
    assert set(raw) == {"RequestId"}, raw
    assert kv_sgs(kvstore, r) == [
        {"SecurityGroupId": second, "RegionId": REGION, "NetType": "vpc"},
        {"SecurityGroupId": net.sg_id, "RegionId": REGION, "NetType": "vpc"},
    ]
    call(kvstore.modify_security_group_configuration, kv_sg_request(r, net.sg_id))
    assert kv_sg_ids(kvstore, r) == [net.sg_id]
    expect_error(
        kvstore.modify_security_group_configuration, kv_sg_request(r, ",".join(sgs(clients, net, name, 11))),
        status=403, code="AssociatedEcsSecurityGroupId.QuotaExceed",
    )
    expect_error(
        kvstore.modify_security_group_configuration, kv_sg_request(r, f"{second},sg-nope"),
        status=400, code="InvalidParam",
    )
    assert kv_sg_ids(kvstore, r) == [net.sg_id]
    expect_error(kvstore.modify_security_group_configuration, kv_sg_request(r, ""), status=400, code="MissingParameter")
    assert kv_sg_ids(kvstore, r) == [net.sg_id]
    call(kvstore.modify_security_group_configuration, kv_sg_request(r, "Empty"))
    assert kv_sgs(kvstore, r) == []
    # Another engine's id is not a Redis instance.
    inst = dds_create(dds, net, name)
    for bad in ("r-nope", inst):
        expect_error(
            kvstore.describe_security_group_configuration,
            kv_models.DescribeSecurityGroupConfigurationRequest(instance_id=bad),
            status=404, code="InvalidInstanceId.NotFound",
        )
    advance(60)


def test_polardb_security_group_whitelist(clients, polardb, net, advance, name):
    raw = call(
        polardb.create_dbcluster,
        polar_models.CreateDBClusterRequest(
            region_id=REGION, dbtype="MySQL", dbversion="8.0", dbnode_class="polar.mysql.x4.medium",
            pay_type="Postpaid", cluster_network_type="VPC", vpcid=net.vpc_id, v_switch_id=net.db_vsw_id, zone_id=ZONE,
        ),
    )
    pc = raw["DBClusterId"]
    advance(60)

    def modify(ids: str):
        return polar_models.ModifyDBClusterAccessWhitelistRequest(
            dbcluster_id=pc, white_list_type="SecurityGroup", security_group_ids=ids
        )

    def shown() -> list[dict]:
        raw = call(
            polardb.describe_dbcluster_access_whitelist,
            polar_models.DescribeDBClusterAccessWhitelistRequest(dbcluster_id=pc),
        )
        return raw["DBClusterSecurityGroups"]["DBClusterSecurityGroup"]

    second = create_sg(clients, net.vpc_id, f"{name}-b")
    call(polardb.modify_dbcluster_access_whitelist, modify(f"{net.sg_id},{second}"))
    assert shown() == [
        {"SecurityGroupId": net.sg_id, "SecurityGroupName": f"{name}-sg"},
        {"SecurityGroupId": second, "SecurityGroupName": f"{name}-b"},
    ]
    call(polardb.modify_dbcluster_access_whitelist, modify(second))
    assert [g["SecurityGroupId"] for g in shown()] == [second]
    call(polardb.modify_dbcluster_access_whitelist, modify("Empty"))
    assert shown() == []


# ---- ESS AttachMode=SecurityGroup


def attach_request(asg: str, ids: list[str], kind: str | None, mode: str | None = "SecurityGroup", **kw):
    return ess_models.AttachDBInstancesRequest(
        region_id=REGION, scaling_group_id=asg, dbinstances=ids, type=kind, attach_mode=mode, **kw
    )


def detach_request(asg: str, ids: list[str], **kw):
    return ess_models.DetachDBInstancesRequest(region_id=REGION, scaling_group_id=asg, dbinstances=ids, **kw)


def group_dbs(clients, asg: str) -> list[dict]:
    raw = call(
        clients.ess.describe_scaling_groups,
        ess_models.DescribeScalingGroupsRequest(region_id=REGION, scaling_group_ids=[asg]),
    )
    [g] = raw["ScalingGroups"]
    return g["DBInstances"]


def group_dbs_2014(core, asg: str) -> dict:
    req = DescribeScalingGroupsRequest()
    req.set_ScalingGroupIds([asg])
    body = core.do(req)
    [g] = body["ScalingGroups"]["ScalingGroup"]
    return g["DBInstances"]


def test_attach_security_group_mode(clients, core, dds, kvstore, net, advance, name):
    rds, ess = clients.rds, clients.ess
    asg, _ = ready_group(clients, net, name)
    rm = create_rds(clients, advance, net.vpc_id, net.db_vsw_id, name)
    inst = dds_create(dds, net, name)
    r = kv_create(kvstore, net, name)
    advance(60)
    own = create_sg(clients, net.vpc_id, f"{name}-own")
    rds_sg_modify(rds, rm, own)
    call(dds.modify_security_group_configuration, dds_sg_request(inst, own))

    # Redis and MongoDB support only SecurityGroup; the wrong Type does not find the database.
    expect_error(ess.attach_dbinstances, attach_request(asg, [r], "Redis", "SecurityIp"), status=400, code="InvalidParameter")
    expect_error(ess.attach_dbinstances, attach_request(asg, [r], "Redis", None), status=400, code="InvalidParameter")
    expect_error(
        ess.attach_dbinstances, attach_request(asg, [inst], "Redis"), status=400, code="InvalidDBInstanceId.NotFound"
    )
    expect_error(
        ess.attach_dbinstances, attach_request(asg, [r], "MongoDB"), status=400, code="InvalidDBInstanceId.NotFound"
    )
    expect_error(ess.attach_dbinstances, attach_request(asg, [r], "RDS"), status=400, code="InvalidDBInstanceId.NotFound")
    assert group_dbs(clients, asg) == []
    assert kv_sgs(kvstore, r) == []

    call(ess.attach_dbinstances, attach_request(asg, [rm], "RDS"))
    call(ess.attach_dbinstances, attach_request(asg, [inst], "MongoDB"))
    call(ess.attach_dbinstances, attach_request(asg, [r], "Redis"))
    # The configuration's group joins each database's own.
    assert rds_sg_ids(rds, rm) == [own, net.sg_id]
    assert dds_sg_ids(dds, inst) == [own, net.sg_id]
    assert kv_sg_ids(kvstore, r) == [net.sg_id]
    # SecurityGroup mode leaves the IP whitelist alone.
    raw = call(rds.describe_dbinstance_iparray_list, rds_models.DescribeDBInstanceIPArrayListRequest(dbinstance_id=rm))
    assert [g["SecurityIPList"] for g in raw["Items"]["DBInstanceIPArray"]] == ["127.0.0.1"]
    assert group_dbs(clients, asg) == [
        {"DBInstanceId": rm, "Type": "RDS", "SecurityGroupIds": [net.sg_id]},
        {"DBInstanceId": inst, "Type": "MongoDB", "SecurityGroupIds": [net.sg_id]},
        {"DBInstanceId": r, "Type": "Redis", "SecurityGroupIds": [net.sg_id]},
    ]
    assert group_dbs_2014(core, asg) == {
        "DBInstance": [
            {"DBInstanceId": rm, "Type": "RDS", "SecurityGroupIds": {"SecurityGroupId": [net.sg_id]}},
            {"DBInstanceId": inst, "Type": "MongoDB", "SecurityGroupIds": {"SecurityGroupId": [net.sg_id]}},
            {"DBInstanceId": r, "Type": "Redis", "SecurityGroupIds": {"SecurityGroupId": [net.sg_id]}},
        ]
    }
    # Re-attaching changes nothing.
    call(ess.attach_dbinstances, attach_request(asg, [r], "Redis"))
    assert kv_sg_ids(kvstore, r) == [net.sg_id]
    assert len(group_dbs(clients, asg)) == 3

    # Without RemoveSecurityGroup the groups stay; with it they leave (the database's own stay).
    call(ess.detach_dbinstances, detach_request(asg, [rm]))
    assert rds_sg_ids(rds, rm) == [own, net.sg_id]
    call(ess.detach_dbinstances, detach_request(asg, [inst, r], remove_security_group=True))
    assert dds_sg_ids(dds, inst) == [own]
    assert kv_sgs(kvstore, r) == []
    assert group_dbs(clients, asg) == []


def test_attach_security_group_limit(clients, kvstore, net, advance, name):
    """A database already holding 10 security groups cannot take the configuration's."""
    ess = clients.ess
    asg, _ = ready_group(clients, net, name)
    r = kv_create(kvstore, net, name)
    r2 = kv_create(kvstore, net, f"{name}-2")
    advance(60)
    ten = sgs(clients, net, name, 10)
    call(kvstore.modify_security_group_configuration, kv_sg_request(r, ",".join(ten)))
    # One full database refuses the whole call: the other is not bound either.
    expect_error(
        ess.attach_dbinstances, attach_request(asg, [r2, r], "Redis"),
        status=403, code="AssociatedEcsSecurityGroupId.QuotaExceed",
    )
    assert kv_sg_ids(kvstore, r) == ten
    assert kv_sgs(kvstore, r2) == []
    assert group_dbs(clients, asg) == []
    # A database that already holds the configuration's group has room.
    call(kvstore.modify_security_group_configuration, kv_sg_request(r, ",".join(ten[:9] + [net.sg_id])))
    call(ess.attach_dbinstances, attach_request(asg, [r2, r], "Redis"))
    assert kv_sg_ids(kvstore, r) == ten[:9] + [net.sg_id]
    assert kv_sg_ids(kvstore, r2) == [net.sg_id]


def test_attach_security_group_needs_running(clients, dds, net, advance, name):
    ess = clients.ess
    asg, _ = ready_group(clients, net, name)
    inst = dds_create(dds, net, name)
    expect_error(
        ess.attach_dbinstances, attach_request(asg, [inst], "MongoDB"), status=400, code="IncorrectDBInstanceStatus"
    )
    assert group_dbs(clients, asg) == []
    advance(60)
    assert dds_sgs(dds, inst) == []


def test_create_group_binds_at_enable(clients, kvstore, net, advance, name):
    """CreateScalingGroup DBInstances.N AttachMode=SecurityGroup: the group has no configuration yet,
    so the configuration's security groups (SecurityGroupIds here) are bound when it is enabled."""
    ess, rds = clients.ess, clients.rds
    rm = create_rds(clients, advance, net.vpc_id, net.db_vsw_id, name)
    r = kv_create(kvstore, net, name)
    advance(60)
    # SecurityIp is RDS's only.
    expect_error(
        ess.create_scaling_group,
        ess_models.CreateScalingGroupRequest(
            region_id=REGION, scaling_group_name=f"{name}-bad", min_size=0, max_size=2, v_switch_ids=[net.vsw_id],
            dbinstances=[ess_models.CreateScalingGroupRequestDBInstances(dbinstance_id=r, type="Redis", attach_mode="SecurityIp")],
        ),
        status=400, code="InvalidParameter",
    )
    raw = call(
        ess.create_scaling_group,
        ess_models.CreateScalingGroupRequest(
            region_id=REGION, scaling_group_name=name, min_size=0, max_size=2, v_switch_ids=[net.vsw_id],
            dbinstances=[
                ess_models.CreateScalingGroupRequestDBInstances(dbinstance_id=rm, type="RDS", attach_mode="SecurityGroup"),
                ess_models.CreateScalingGroupRequestDBInstances(dbinstance_id=r, type="Redis", attach_mode="SecurityGroup"),
            ],
        ),
    )
    asg = raw["ScalingGroupId"]
    expected_unbound = [
        {"DBInstanceId": rm, "Type": "RDS", "SecurityGroupIds": []},
        {"DBInstanceId": r, "Type": "Redis", "SecurityGroupIds": []},
    ]
    assert group_dbs(clients, asg) == expected_unbound
    second = create_sg(clients, net.vpc_id, f"{name}-b")
    call(
        ess.create_scaling_configuration,
        ess_models.CreateScalingConfigurationRequest(
            scaling_group_id=asg, image_id=IMAGE_ID, instance_type=INSTANCE_TYPE,
            security_group_ids=[net.sg_id, second], scaling_configuration_name=f"{name}-cfg",
        ),
    )
    assert group_dbs(clients, asg) == expected_unbound
    assert rds_sgs(rds, rm) == []
    enable(clients, asg)
    assert group_dbs(clients, asg) == [
        {"DBInstanceId": rm, "Type": "RDS", "SecurityGroupIds": [net.sg_id, second]},
        {"DBInstanceId": r, "Type": "Redis", "SecurityGroupIds": [net.sg_id, second]},
    ]
    assert rds_sg_ids(rds, rm) == [net.sg_id, second]
    assert kv_sg_ids(kvstore, r) == [net.sg_id, second]


def test_enable_refused_when_binding_fails(clients, kvstore, net, advance, name):
    """Enabling binds the pending security groups; a full database refuses the Enable, which
    changes nothing."""
    ess = clients.ess
    r = kv_create(kvstore, net, name)
    advance(60)
    asg = create_group(clients, name, net.vsw_id)
    call(ess.attach_dbinstances, attach_request(asg, [r], "Redis"))
    assert group_dbs(clients, asg) == [{"DBInstanceId": r, "Type": "Redis", "SecurityGroupIds": []}]
    call(
        ess.create_scaling_configuration,
        ess_models.CreateScalingConfigurationRequest(
            scaling_group_id=asg, image_id=IMAGE_ID, instance_type=INSTANCE_TYPE,
            security_group_id=net.sg_id, scaling_configuration_name=f"{name}-cfg",
        ),
    )
    ten = sgs(clients, net, name, 10)
    call(kvstore.modify_security_group_configuration, kv_sg_request(r, ",".join(ten)))
    expect_error(
        ess.enable_scaling_group,
        ess_models.EnableScalingGroupRequest(region_id=REGION, scaling_group_id=asg),
        status=403, code="AssociatedEcsSecurityGroupId.QuotaExceed",
    )
    raw = call(ess.describe_scaling_groups, ess_models.DescribeScalingGroupsRequest(region_id=REGION, scaling_group_ids=[asg]))
    [g] = raw["ScalingGroups"]
    assert (g["LifecycleState"], g["DBInstances"]) == (
        "Inactive", [{"DBInstanceId": r, "Type": "Redis", "SecurityGroupIds": []}]
    )
    call(kvstore.modify_security_group_configuration, kv_sg_request(r, ",".join(ten[:9])))
    enable(clients, asg)
    assert kv_sg_ids(kvstore, r) == ten[:9] + [net.sg_id]
    assert group_dbs(clients, asg) == [{"DBInstanceId": r, "Type": "Redis", "SecurityGroupIds": [net.sg_id]}]


def test_reattach_keeps_the_mode_it_was_attached_with(clients, net, advance, name):
    """Re-attaching an attached RDS refreshes it in its own mode: an RDS attached as SecurityGroup
    and attached again as SecurityIp with ForceAttach does not take the members' IPs (which no
    detach would ever take out again)."""
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, _ = ready_group(c, net, name, min_size=1)
    advance(60)
    call(c.ess.attach_dbinstances, attach_request(asg, [rm], "RDS"))
    req = attach_request(asg, [rm], "RDS", "SecurityIp")
    req.force_attach = True
    call(c.ess.attach_dbinstances, req)
    assert group_dbs(c, asg) == [{"DBInstanceId": rm, "Type": "RDS", "SecurityGroupIds": [net.sg_id]}]
    raw = call(c.rds.describe_dbinstance_iparray_list, rds_models.DescribeDBInstanceIPArrayListRequest(dbinstance_id=rm))
    assert [g["SecurityIPList"] for g in raw["Items"]["DBInstanceIPArray"]] == ["127.0.0.1"]
    assert rds_sg_ids(c.rds, rm) == [net.sg_id]
