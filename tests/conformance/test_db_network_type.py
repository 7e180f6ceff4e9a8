"""Database network types (db-oos-api.md §1.1, §1.2, §1.4, §1.8): RDS and MongoDB
ModifyDBInstanceNetworkType from Classic to VPC (DBInstanceNetTypeChanging, then Running in the VPC
and vSwitch after a short delay on the virtual clock; VPC -> VPC and a non-Running instance refused),
RDS SwitchDBInstanceNetType (a classic instance's endpoint between intranet and internet, under a
new prefix and port), and RDS whitelist network types (ModifySecurityIps WhitelistNetworkType stored
on the group, shown and filtered by DescribeDBInstanceIPArrayList). Every refusal changes nothing."""
from __future__ import annotations

import uuid

import alibabacloud_dds20151201.models as dds_models
import alibabacloud_rds20140815.models as rds_models
import pytest

from esl_helpers import REGION, ZONE, call, create_net, create_rds, expect_error, ip_arrays


def classic_rds(clients, advance, name: str) -> str:
    raw = call(
        clients.rds.create_dbinstance,
        rds_models.CreateDBInstanceRequest(
            region_id=REGION, engine="MySQL", engine_version="8.0", dbinstance_class="mysql.n2.medium.1",
            dbinstance_storage=20, dbinstance_net_type="Intranet", pay_type="Postpaid", security_iplist="127.0.0.1",
            instance_network_type="Classic", zone_id=ZONE, dbinstance_description=name,
        ),
    )
    advance(60)
    return raw["DBInstanceId"]


def rds_item(clients, rm: str) -> dict:
    raw = call(clients.rds.describe_dbinstances, rds_models.DescribeDBInstancesRequest(region_id=REGION, dbinstance_id=rm))
    [item] = raw["Items"]["DBInstance"]
    return item


def rds_attr(clients, rm: str) -> dict:
    raw = call(
        clients.rds.describe_dbinstance_attribute, rds_models.DescribeDBInstanceAttributeRequest(dbinstance_id=rm)
    )
    [item] = raw["Items"]["DBInstanceAttribute"]
    return item


def net_view(item: dict) -> tuple:
    return (item["DBInstanceStatus"], item["InstanceNetworkType"], item["VpcId"], item["VSwitchId"])


def to_vpc(rm: str, vpc: str | None, vsw: str | None, **kw):
    return rds_models.ModifyDBInstanceNetworkTypeRequest(
        dbinstance_id=rm, instance_network_type=kw.pop("kind", "VPC"), vpcid=vpc, v_switch_id=vsw, **kw
    )


def test_rds_classic_to_vpc(clients, net, advance, name):
    rds = clients.rds
    rm = classic_rds(clients, advance, name)
    assert net_view(rds_item(clients, rm)) == ("Running", "Classic", "", "")
    other = create_net(clients, f"{name}-o")
    # The vSwitch must exist and be in that VPC; the retention days 1..120; the type VPC.
    expect_error(
        rds.modify_dbinstance_network_type, to_vpc(rm, net.vpc_id, other.db_vsw_id),
        status=400, code="InvalidVSwitchId.NotFound", message="Specified virtual switch is not found in specified VPC.",
    )
    expect_error(
        rds.modify_dbinstance_network_type, to_vpc(rm, net.vpc_id, "vsw-nope"), status=404, code="InvalidVSwitchId.NotFound"
    )
    expect_error(
        rds.modify_dbinstance_network_type, to_vpc(rm, "vpc-nope", net.db_vsw_id), status=404, code="InvalidVpcId.NotFound"
    )
    expect_error(rds.modify_dbinstance_network_type, to_vpc(rm, None, net.db_vsw_id), status=400, code="MissingParameter")
    expect_error(
        rds.modify_dbinstance_network_type,
        to_vpc(rm, net.vpc_id, net.db_vsw_id, retain_classic="True", classic_expired_days="121"),
        status=400, code="InvalidParameter",
    )
    expect_error(
        rds.modify_dbinstance_network_type, to_vpc(rm, net.vpc_id, net.db_vsw_id, kind="Hybrid"),
        status=400, code="InvalidInstanceNetworkType.ValueNotSupported",
    )
    expect_error(
        rds.modify_dbinstance_network_type, to_vpc(rm, None, None, kind="Classic"), status=400, code="NetTypeExists"
    )
    expect_error(
        rds.modify_dbinstance_network_type, to_vpc("rm-nope", net.vpc_id, net.db_vsw_id),
        status=404, code="InvalidDBInstanceId.NotFound",
    )
    assert net_view(rds_item(clients, rm)) == ("Running", "Classic", "", "")

    raw = call(
        rds.modify_dbinstance_network_type,
        to_vpc(rm, net.vpc_id, net.db_vsw_id, retain_classic="True", classic_expired_days="30"),
    )
    assert raw["ConnectionString"] == f"{rm}.mysql.rds.aliyuncs.com", raw
    assert raw["TaskId"].isdigit(), raw
    assert net_view(rds_item(clients, rm)) == ("DBInstanceNetTypeChanging", "Classic", "", "")
    # Busy: a second change, a whitelist change.
    expect_error(
        rds.modify_dbinstance_network_type, to_vpc(rm, net.vpc_id, net.db_vsw_id),
        status=400, code="OperationDenied.DBInstanceStatus",
        message="Operation is denied by the current database instance status.",
    )
    expect_error(
        rds.modify_security_ips,
        rds_models.ModifySecurityIpsRequest(dbinstance_id=rm, security_ips="10.0.1.5"),
        status=403, code="IncorrectDBInstanceState",
    )
    filtered = call(
        rds.describe_dbinstances,
        rds_models.DescribeDBInstancesRequest(region_id=REGION, dbinstance_status="DBInstanceNetTypeChanging", dbinstance_id=rm),
    )
    assert [i["DBInstanceId"] for i in filtered["Items"]["DBInstance"]] == [rm]
    advance(60)
    assert net_view(rds_item(clients, rm)) == ("Running", "VPC", net.vpc_id, net.db_vsw_id)
    attr = rds_attr(clients, rm)
    assert net_view(attr) == ("Running", "VPC", net.vpc_id, net.db_vsw_id)
    assert attr["VpcCloudInstanceId"] == f"{rm}-vpc"
    found = call(rds.describe_dbinstances, rds_models.DescribeDBInstancesRequest(region_id=REGION, vpc_id=net.vpc_id))
    assert rm in [i["DBInstanceId"] for i in found["Items"]["DBInstance"]]
    # VPC -> VPC and VPC -> Classic are refused.
    expect_error(
        rds.modify_dbinstance_network_type, to_vpc(rm, other.vpc_id, other.db_vsw_id),
        status=400, code="NetTypeExists", message="Specified network type already exists.",
    )
    expect_error(
        rds.modify_dbinstance_network_type, to_vpc(rm, None, None, kind="Classic"),
        status=400, code="OperationDenied.DBInstanceNetType",
    )
    assert net_view(rds_item(clients, rm)) == ("Running", "VPC", net.vpc_id, net.db_vsw_id)


def switch(rm: str, prefix: str, port: str | None = None):
    return rds_models.SwitchDBInstanceNetTypeRequest(dbinstance_id=rm, connection_string_prefix=prefix, port=port)


def endpoint(clients, rm: str) -> tuple:
    item, attr = rds_item(clients, rm), rds_attr(clients, rm)
    assert item["ConnectionString"] == attr["ConnectionString"]
    return (item["DBInstanceNetType"], item["ConnectionString"], attr["Port"])


def test_rds_switch_net_type(clients, net, advance, name):
    rds = clients.rds
    rm = classic_rds(clients, advance, name)
    default = f"{rm}.mysql.rds.aliyuncs.com"
    assert endpoint(clients, rm) == ("Intranet", default, "3306")
    tag = uuid.uuid4().hex[:10]
    for bad in ("short1", "Upper" + tag, f"has-dash{tag}", "a" * 65):
        expect_error(
            rds.switch_dbinstance_net_type, switch(rm, bad), status=400, code="InvalidConnectionString.Malformed",
            message="The specified parameter ConnectionStringPrefix is not valid.",
        )
    for port in ("3000", "4000", "http"):
        expect_error(rds.switch_dbinstance_net_type, switch(rm, f"pub{tag}", port), status=400, code="InvalidPort.Malformed")
    assert endpoint(clients, rm) == ("Intranet", default, "3306")

    raw = call(rds.switch_dbinstance_net_type, switch(rm, f"pub{tag}", "3500"))
    public = f"pub{tag}.mysql.rds.aliyuncs.com"
    assert (raw["NewConnectionString"], raw["OldConnectionString"]) == (public, default), raw
    assert endpoint(clients, rm) == ("Internet", public, "3500")
    # And back to the intranet; the port stays when none is given.
    raw = call(rds.switch_dbinstance_net_type, switch(rm, f"intra{tag}"))
    intra = f"intra{tag}.mysql.rds.aliyuncs.com"
    assert (raw["NewConnectionString"], raw["OldConnectionString"]) == (intra, public), raw
    assert endpoint(clients, rm) == ("Intranet", intra, "3500")
    # Another instance cannot take an endpoint in use.
    rm2 = classic_rds(clients, advance, f"{name}-2")
    expect_error(
        rds.switch_dbinstance_net_type, switch(rm2, f"intra{tag}"), status=404, code="InvalidConnectionString.Duplicate",
        message="Specified connection string already exists in the Aliyun RDS.",
    )
    assert endpoint(clients, rm2) == ("Intranet", f"{rm2}.mysql.rds.aliyuncs.com", "3306")
    # Classic instances only.
    vpc_rm = create_rds(clients, advance, net.vpc_id, net.db_vsw_id, name)
    expect_error(
        rds.switch_dbinstance_net_type, switch(vpc_rm, f"vpc{tag}"), status=400, code="OperationDenied.DBInstanceNetType"
    )


def test_rds_whitelist_network_type(clients, net, advance, name):
    rds = clients.rds
    rm = create_rds(clients, advance, net.vpc_id, net.db_vsw_id, name)

    def modify(ips: str, group: str, net_type: str | None):
        return rds_models.ModifySecurityIpsRequest(
            dbinstance_id=rm, security_ips=ips, dbinstance_iparray_name=group, whitelist_network_type=net_type
        )

    call(rds.modify_security_ips, modify("10.0.1.0/24", "vpcapps", "VPC"))
    call(rds.modify_security_ips, modify("100.64.0.1", "classicapps", "Classic"))
    call(rds.modify_security_ips, modify("10.0.9.9", "mixed", None))
    view = {g["DBInstanceIPArrayName"]: (g["WhitelistNetworkType"], g["SecurityIPList"]) for g in ip_arrays(clients, rm)}
    assert view == {
        "default": ("MIX", "127.0.0.1"),
        "vpcapps": ("VPC", "10.0.1.0/24"),
        "classicapps": ("Classic", "100.64.0.1"),
        "mixed": ("MIX", "10.0.9.9"),
    }

    def listed(net_type: str) -> list[str]:
        raw = call(
            rds.describe_dbinstance_iparray_list,
            rds_models.DescribeDBInstanceIPArrayListRequest(dbinstance_id=rm, whitelist_network_type=net_type),
        )
        return [g["DBInstanceIPArrayName"] for g in raw["Items"]["DBInstanceIPArray"]]

    assert listed("VPC") == ["vpcapps"]
    assert listed("Classic") == ["classicapps"]
    assert listed("MIX") == ["default", "mixed"]
    expect_error(
        rds.describe_dbinstance_iparray_list,
        rds_models.DescribeDBInstanceIPArrayListRequest(dbinstance_id=rm, whitelist_network_type="Public"),
        status=400, code="WhitelistNetType.Format",
    )
    expect_error(
        rds.modify_security_ips, modify("10.0.1.7", "vpcapps", "Public"),
        status=400, code="InvalidWhitelistNetType.Malformed", message="Specified WhitelistNetType  is not valid.",
    )
    # A later change names its network type again, or keeps the group's.
    call(rds.modify_security_ips, modify("10.0.1.0/24,10.0.3.0/24", "vpcapps", None))
    call(rds.modify_security_ips, modify("10.0.9.9", "mixed", "Classic"))
    view = {g["DBInstanceIPArrayName"]: (g["WhitelistNetworkType"], g["SecurityIPList"]) for g in ip_arrays(clients, rm)}
    assert view["vpcapps"] == ("VPC", "10.0.1.0/24,10.0.3.0/24")
    assert view["mixed"] == ("Classic", "10.0.9.9")


# ---- MongoDB


def dds_classic(dds, advance, name: str) -> str:
    raw = call(
        dds.create_dbinstance,
        dds_models.CreateDBInstanceRequest(
            region_id=REGION, zone_id=ZONE, engine="MongoDB", engine_version="6.0",
            dbinstance_class="mdb.shard.2x.xlarge.d", dbinstance_storage=20, charge_type="PostPaid",
            dbinstance_description=name,
        ),
    )
    advance(60)
    return raw["DBInstanceId"]


def dds_view(dds, inst: str) -> tuple:
    raw = call(dds.describe_dbinstances, dds_models.DescribeDBInstancesRequest(region_id=REGION, dbinstance_id=inst))
    [item] = raw["DBInstances"]["DBInstance"]
    raw = call(dds.describe_dbinstance_attribute, dds_models.DescribeDBInstanceAttributeRequest(dbinstance_id=inst))
    [attr] = raw["DBInstances"]["DBInstance"]
    assert (attr["DBInstanceStatus"], attr["NetworkType"]) == (item["DBInstanceStatus"], item["NetworkType"])
    return (item["DBInstanceStatus"], item["NetworkType"], attr["VPCId"], attr["VSwitchId"], attr["ZoneId"])


def dds_to_vpc(inst: str, vpc: str | None, vsw: str | None, zone: str = ZONE, **kw):
    return dds_models.ModifyDBInstanceNetworkTypeRequest(
        dbinstance_id=inst, network_type=kw.pop("kind", "VPC"), vpc_id=vpc, v_switch_id=vsw, zone_id=zone, **kw
    )


def test_mongodb_classic_to_vpc(clients, dds, net, advance, name):
    inst = dds_classic(dds, advance, name)
    assert dds_view(dds, inst) == ("Running", "Classic", "", "", ZONE)
    other = create_net(clients, f"{name}-o")
    expect_error(
        dds.modify_dbinstance_network_type, dds_to_vpc(inst, net.vpc_id, other.db_vsw_id),
        status=404, code="InvalidVSwitchId.NotFound",
    )
    expect_error(
        dds.modify_dbinstance_network_type, dds_to_vpc(inst, net.vpc_id, net.db_vsw_id, classic_expired_days=15),
        status=400, code="InvalidParameter",
    )
    expect_error(
        dds.modify_dbinstance_network_type, dds_to_vpc(inst, net.vpc_id, net.db_vsw_id, zone="cn-hangzhou-b"),
        status=400, code="InvalidParameter",
    )
    expect_error(
        dds.modify_dbinstance_network_type, dds_to_vpc("dds-nope", net.vpc_id, net.db_vsw_id),
        status=404, code="InvalidDBInstanceId.NotFound",
    )
    assert dds_view(dds, inst) == ("Running", "Classic", "", "", ZONE)
    raw = call(
        dds.modify_dbinstance_network_type,
        dds_to_vpc(inst, net.vpc_id, net.db_vsw_id, retain_classic="True", classic_expired_days=30),
    )
    assert set(raw) == {"RequestId"}, raw
    assert dds_view(dds, inst) == ("DBInstanceNetTypeChanging", "Classic", "", "", ZONE)
    expect_error(
        dds.modify_security_ips,
        dds_models.ModifySecurityIpsRequest(dbinstance_id=inst, security_ips="10.0.1.5"),
        status=403, code="OperationDenied.DBInstanceStatus",
    )
    expect_error(
        dds.modify_dbinstance_network_type, dds_to_vpc(inst, net.vpc_id, net.db_vsw_id),
        status=403, code="OperationDenied.DBInstanceStatus",
    )
    advance(60)
    assert dds_view(dds, inst) == ("Running", "VPC", net.vpc_id, net.db_vsw_id, ZONE)
    expect_error(
        dds.modify_dbinstance_network_type, dds_to_vpc(inst, other.vpc_id, other.db_vsw_id), status=400, code="NetTypeExists"
    )
    assert dds_view(dds, inst) == ("Running", "VPC", net.vpc_id, net.db_vsw_id, ZONE)
