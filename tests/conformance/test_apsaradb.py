"""The ApsaraDB products the OOS lifecycle templates write (db-oos-api.md §1.3-1.8), each through its
official SDK: PolarDB, MongoDB (Dds), AnalyticDB for MySQL (adb), AnalyticDB for PostgreSQL (gpdb)
and Redis (R-kvstore). Each goes Creating -> Running (virtual clock), has a `default` whitelist
group holding 127.0.0.1, refuses whitelist changes until Running, applies its own engine's rules
(strict Append in MongoDB and Redis, Extend, AppendDup, 500 per call in AnalyticDB, the 1,000-entry
limit per instance or per group), answers its own not-found code, and is gone after Delete."""
from __future__ import annotations

import alibabacloud_adb20190315.models as adb_models
import alibabacloud_dds20151201.models as dds_models
import alibabacloud_gpdb20160503.models as gpdb_models
import alibabacloud_polardb20170801.models as polar_models
import alibabacloud_r_kvstore20150101.models as kv_models
import pytest

from esl_helpers import REGION, SECOND_TIME, ZONE, call, expect_error



def fill(n: int, second: int = 168) -> list[str]:
    """n distinct addresses."""
    return [f"192.{second}.{i // 250}.{i % 250 + 1}" for i in range(n)]


# --------------------------------------------------------------------------------------------
# PolarDB


def polar_create(polardb, net, **kw) -> str:
    req = polar_models.CreateDBClusterRequest(
        region_id=REGION,
        dbtype="MySQL",
        dbversion="8.0",
        dbnode_class="polar.mysql.x4.medium",
        pay_type="Postpaid",
        cluster_network_type="VPC",
        vpcid=net.vpc_id,
        v_switch_id=net.db_vsw_id,
        zone_id=ZONE,
        **kw,
    )
    raw = call(polardb.create_dbcluster, req)
    assert raw["DBClusterId"].startswith("pc-"), raw
    assert set(raw) >= {"RequestId", "DBClusterId", "OrderId"}, raw
    return raw["DBClusterId"]


def polar_clusters(polardb, **kw) -> list[dict]:
    raw = call(polardb.describe_dbclusters, polar_models.DescribeDBClustersRequest(region_id=REGION, **kw))
    items = raw["Items"]["DBCluster"]
    assert raw["TotalRecordCount"] >= len(items) == raw["PageRecordCount"], raw
    return items


def polar_whitelist(polardb, pc: str) -> dict:
    return call(
        polardb.describe_dbcluster_access_whitelist,
        polar_models.DescribeDBClusterAccessWhitelistRequest(dbcluster_id=pc),
    )


def polar_groups(polardb, pc: str) -> dict[str, str]:
    raw = polar_whitelist(polardb, pc)
    return {g["DBClusterIPArrayName"]: g["SecurityIps"] for g in raw["Items"]["DBClusterIPArray"]}


def polar_modify(polardb, pc: str, ips: str, mode: str | None = None, group: str | None = None):
    return polar_models.ModifyDBClusterAccessWhitelistRequest(
        dbcluster_id=pc, security_ips=ips, modify_mode=mode, dbcluster_iparray_name=group, white_list_type="IP"
    )


def test_polardb_cluster_lifecycle(polardb, net, advance, name):
    pc = polar_create(polardb, net, dbcluster_description=name)
    [item] = polar_clusters(polardb, dbcluster_ids=pc)
    assert item["DBClusterStatus"] == "Creating"
    assert (item["DBClusterId"], item["DBType"], item["DBVersion"]) == (pc, "MySQL", "8.0")
    assert (item["VpcId"], item["VswitchId"], item["ZoneId"]) == (net.vpc_id, net.db_vsw_id, ZONE)
    assert item["DBClusterDescription"] == name
    assert SECOND_TIME.match(item["CreateTime"]), item
    assert [n["DBNodeRole"] for n in item["DBNodes"]["DBNode"]] == ["Writer", "Reader"]
    # Not Running yet: the whitelist cannot change.
    expect_error(
        polardb.modify_dbcluster_access_whitelist,
        polar_modify(polardb, pc, "10.0.1.5", "Append"),
        status=403,
        code="OperationDenied.DBClusterStatus",
    )
    advance(60)
    attr = call(polardb.describe_dbcluster_attribute, polar_models.DescribeDBClusterAttributeRequest(dbcluster_id=pc))
    assert attr["DBClusterStatus"] == "Running"
    assert (attr["VPCId"], attr["VSwitchId"], attr["ZoneIds"]) == (net.vpc_id, net.db_vsw_id, ZONE)
    assert isinstance(attr["DBNodes"], list) and len(attr["DBNodes"]) == 2, attr
    eps = call(polardb.describe_dbcluster_endpoints, polar_models.DescribeDBClusterEndpointsRequest(dbcluster_id=pc))
    cluster_ep = [e for e in eps["Items"] if e["EndpointType"] == "Cluster"]
    assert len(cluster_ep) == 1, eps
    [addr] = cluster_ep[0]["AddressItems"]
    assert (addr["ConnectionString"], addr["Port"], addr["NetType"]) == (f"{pc}.rwlb.rds.aliyuncs.com", "3306", "Private")
    # Filters: status and paging.
    assert pc in [c["DBClusterId"] for c in polar_clusters(polardb, dbcluster_status="Running")]
    assert pc not in [c["DBClusterId"] for c in polar_clusters(polardb, dbcluster_status="Creating")]
    one = call(polardb.describe_dbclusters, polar_models.DescribeDBClustersRequest(region_id=REGION, page_size=30, page_number=999))
    assert one["Items"]["DBCluster"] == [] and one["PageNumber"] == 999, one
    # Delete: Deleting, then gone.
    call(polardb.delete_dbcluster, polar_models.DeleteDBClusterRequest(dbcluster_id=pc))
    [item] = polar_clusters(polardb, dbcluster_ids=pc)
    assert item["DBClusterStatus"] == "Deleting"
    expect_error(
        polardb.delete_dbcluster,
        polar_models.DeleteDBClusterRequest(dbcluster_id=pc),
        status=403,
        code="OperationDenied.ClusterStatus",
    )
    advance(60)
    assert polar_clusters(polardb, dbcluster_ids=pc) == []
    expect_error(
        polardb.describe_dbcluster_attribute,
        polar_models.DescribeDBClusterAttributeRequest(dbcluster_id=pc),
        status=404,
        code="InvalidDBClusterId.NotFound",
        message="The DBClusterId provided does not exist in our records.",
    )


def test_polardb_access_whitelist(polardb, net, advance, name):
    pc = polar_create(polardb, net, security_iplist="127.0.0.1")
    advance(60)
    raw = polar_whitelist(polardb, pc)
    assert raw["Items"]["DBClusterIPArray"] == [
        {"DBClusterIPArrayName": "default", "DBClusterIPArrayAttribute": "", "SecurityIps": "127.0.0.1"}
    ]
    assert raw["DBClusterSecurityGroups"]["DBClusterSecurityGroup"] == []
    # What the OOS action ACS::ESS::ModifyPolarDBIPWhitelist sends: Append / Delete one IP.
    call(polardb.modify_dbcluster_access_whitelist, polar_modify(polardb, pc, "10.0.1.5", "Append"))
    assert polar_groups(polardb, pc) == {"default": "127.0.0.1,10.0.1.5"}
    call(polardb.modify_dbcluster_access_whitelist, polar_modify(polardb, pc, "10.0.1.5,10.0.1.6", "Append"))
    assert polar_groups(polardb, pc) == {"default": "127.0.0.1,10.0.1.5,10.0.1.6"}
    call(polardb.modify_dbcluster_access_whitelist, polar_modify(polardb, pc, "10.0.1.5", "Delete"))
    assert polar_groups(polardb, pc) == {"default": "127.0.0.1,10.0.1.6"}
    # Cover is the default mode; "Default" names the default group.
    call(polardb.modify_dbcluster_access_whitelist, polar_modify(polardb, pc, "10.0.2.0/24,10.0.1.7", group="Default"))
    assert polar_groups(polardb, pc) == {"default": "10.0.2.0/24,10.0.1.7"}
    call(polardb.modify_dbcluster_access_whitelist, polar_modify(polardb, pc, "172.16.0.1", "Cover", "app2"))
    assert polar_groups(polardb, pc) == {"default": "10.0.2.0/24,10.0.1.7", "app2": "172.16.0.1"}
    # Entry and name checks.
    for ips, code in [("10.0.1.8, 10.0.1.9", "InvalidSecurityIPList.Format"), ("10.0.1.8,10.0.1.8", "InvalidSecurityIPList.Duplicate")]:
        expect_error(polardb.modify_dbcluster_access_whitelist, polar_modify(polardb, pc, ips, "Append"), status=400, code=code)
    expect_error(
        polardb.modify_dbcluster_access_whitelist,
        polar_modify(polardb, pc, "10.0.1.8", "Append", "app_1"),
        status=400,
        code="InvalidParameter",
    )
    # 1,000 entries per cluster over all groups.
    call(polardb.modify_dbcluster_access_whitelist, polar_modify(polardb, pc, ",".join(fill(997)), "Cover", "big"))
    expect_error(
        polardb.modify_dbcluster_access_whitelist,
        polar_modify(polardb, pc, "10.0.1.8", "Append"),
        status=400,
        code="InvalidSecurityIPList.QuotaExceeded",
    )
    assert polar_groups(polardb, pc)["default"] == "10.0.2.0/24,10.0.1.7"
    call(polardb.modify_dbcluster_access_whitelist, polar_modify(polardb, pc, "192.168.0.1", "Delete", "big"))
    call(polardb.modify_dbcluster_access_whitelist, polar_modify(polardb, pc, "10.0.1.8", "Append"))
    assert polar_groups(polardb, pc)["default"] == "10.0.2.0/24,10.0.1.7,10.0.1.8"
    # WhiteListType=SecurityGroup: the ECS security groups, overwritten each time.
    sg_req = lambda ids: polar_models.ModifyDBClusterAccessWhitelistRequest(  # noqa: E731
        dbcluster_id=pc, white_list_type="SecurityGroup", security_group_ids=ids
    )
    call(polardb.modify_dbcluster_access_whitelist, sg_req(net.sg_id))
    raw = polar_whitelist(polardb, pc)
    assert raw["DBClusterSecurityGroups"]["DBClusterSecurityGroup"] == [
        {"SecurityGroupId": net.sg_id, "SecurityGroupName": f"{name}-sg"}
    ]
    expect_error(
        polardb.modify_dbcluster_access_whitelist,
        sg_req(",".join(f"sg-{i}" for i in range(11))),
        status=400,
        code="NumberExceed.securityGroupIds",
        message="The number of SecurityGroupIds exceeds 10.",
    )
    expect_error(
        polardb.modify_dbcluster_access_whitelist, sg_req("sg-nope"), status=404, code="InvalidSecurityGroupId.NotFound"
    )
    call(polardb.modify_dbcluster_access_whitelist, sg_req(""))
    assert polar_whitelist(polardb, pc)["DBClusterSecurityGroups"]["DBClusterSecurityGroup"] == []
    expect_error(
        polardb.modify_dbcluster_access_whitelist,
        polar_modify(polardb, "pc-nope", "10.0.1.5", "Append"),
        status=404,
        code="InvalidDBClusterId.NotFound",
    )


# --------------------------------------------------------------------------------------------
# MongoDB


def dds_create(dds, net, **kw) -> str:
    req = dds_models.CreateDBInstanceRequest(
        region_id=REGION,
        zone_id=ZONE,
        engine="MongoDB",
        engine_version="6.0",
        dbinstance_class="mdb.shard.2x.xlarge.d",
        dbinstance_storage=20,
        charge_type="PostPaid",
        network_type="VPC",
        vpc_id=net.vpc_id,
        v_switch_id=net.db_vsw_id,
        **kw,
    )
    raw = call(dds.create_dbinstance, req)
    assert raw["DBInstanceId"].startswith("dds-"), raw
    return raw["DBInstanceId"]


def dds_ips(dds, inst: str) -> dict:
    return call(dds.describe_security_ips, dds_models.DescribeSecurityIpsRequest(dbinstance_id=inst))


def dds_groups(dds, inst: str) -> dict[str, str]:
    raw = dds_ips(dds, inst)
    return {g["SecurityIpGroupName"]: g["SecurityIpList"] for g in raw["SecurityIpGroups"]["SecurityIpGroup"]}


def dds_modify(inst: str, ips: str, mode: str | None = None, group: str | None = None):
    return dds_models.ModifySecurityIpsRequest(
        dbinstance_id=inst, security_ips=ips, modify_mode=mode, security_ip_group_name=group
    )


def test_mongodb_lifecycle_and_strict_append(dds, net, advance, name):
    inst = dds_create(dds, net, dbinstance_description=name)
    raw = call(dds.describe_dbinstances, dds_models.DescribeDBInstancesRequest(region_id=REGION, dbinstance_id=inst))
    [item] = raw["DBInstances"]["DBInstance"]
    assert (raw["TotalCount"], raw["PageSize"], raw["PageNumber"]) == (1, 30, 1)
    assert (item["DBInstanceStatus"], item["Engine"], item["EngineVersion"]) == ("Creating", "MongoDB", "6.0")
    assert (item["DBInstanceType"], item["NetworkType"], item["DBInstanceStorage"]) == ("replicate", "VPC", 20)
    expect_error(dds.modify_security_ips, dds_modify(inst, "10.0.1.5", "Append"), status=403, code="OperationDenied.DBInstanceStatus")
    advance(60)
    raw = call(dds.describe_dbinstance_attribute, dds_models.DescribeDBInstanceAttributeRequest(dbinstance_id=inst))
    [attr] = raw["DBInstances"]["DBInstance"]
    assert attr["DBInstanceStatus"] == "Running"
    # The attribute spells it VPCId (the list request spells it VpcId).
    assert (attr["VPCId"], attr["VSwitchId"]) == (net.vpc_id, net.db_vsw_id)
    assert "VpcId" not in attr
    roles = [r["ReplicaSetRole"] for r in attr["ReplicaSets"]["ReplicaSet"]]
    assert roles == ["Primary", "Secondary"], attr
    # The default group; top-level SecurityIps is the default group's list.
    raw = dds_ips(dds, inst)
    assert raw["SecurityIps"] == "127.0.0.1"
    assert raw["SecurityIpGroups"]["SecurityIpGroup"] == [
        {"SecurityIpGroupName": "default", "SecurityIpGroupAttribute": "", "SecurityIpList": "127.0.0.1"}
    ]
    call(dds.modify_security_ips, dds_modify(inst, "10.0.1.5", "Append"))
    assert dds_groups(dds, inst) == {"default": "127.0.0.1,10.0.1.5"}
    # Append is strict: any address already there refuses the whole call.
    expect_error(
        dds.modify_security_ips,
        dds_modify(inst, "10.0.1.6,10.0.1.5", "Append"),
        status=400,
        code="InvalidInstanceIp.Duplicate",
    )
    assert dds_groups(dds, inst) == {"default": "127.0.0.1,10.0.1.5"}
    # Extend merges.
    call(dds.modify_security_ips, dds_modify(inst, "10.0.1.6,10.0.1.5", "Extend"))
    assert dds_groups(dds, inst) == {"default": "127.0.0.1,10.0.1.5,10.0.1.6"}
    # Delete of an address that is not there.
    expect_error(dds.modify_security_ips, dds_modify(inst, "10.0.1.9", "Delete"), status=404, code="InvalidSecurityIPs.NotFound")
    call(dds.modify_security_ips, dds_modify(inst, "10.0.1.5", "Delete"))
    assert dds_ips(dds, inst)["SecurityIps"] == "127.0.0.1,10.0.1.6"
    # Cover (the default), groups, and their names.
    call(dds.modify_security_ips, dds_modify(inst, "10.0.2.0/24", group="app_1"))
    assert dds_groups(dds, inst) == {"default": "127.0.0.1,10.0.1.6", "app_1": "10.0.2.0/24"}
    expect_error(dds.modify_security_ips, dds_modify(inst, "10.0.1.7", group="1app"), status=400, code="InvalidGroupName.Format")
    expect_error(dds.modify_security_ips, dds_modify(inst, "10.0.1.7 "), status=400, code="InvalidSecurityIps.MalFormed")
    # 1,000 entries per group: two full groups are fine, one more is not.
    call(dds.modify_security_ips, dds_modify(inst, ",".join(fill(1000)), "Cover", "big"))
    call(dds.modify_security_ips, dds_modify(inst, ",".join(fill(1000, 169)), "Cover"))
    expect_error(
        dds.modify_security_ips,
        dds_modify(inst, "10.0.1.7", "Extend", "big"),
        status=400,
        code="InvalidSecurityIPListLength.Malformed",
    )
    expect_error(
        dds.describe_security_ips,
        dds_models.DescribeSecurityIpsRequest(dbinstance_id="dds-nope"),
        status=404,
        code="InvalidDBInstanceId.NotFound",
    )
    call(dds.delete_dbinstance, dds_models.DeleteDBInstanceRequest(dbinstance_id=inst))
    raw = call(dds.describe_dbinstances, dds_models.DescribeDBInstancesRequest(region_id=REGION, dbinstance_id=inst))
    assert raw["DBInstances"]["DBInstance"][0]["DBInstanceStatus"] == "Deleting"
    advance(60)
    raw = call(dds.describe_dbinstances, dds_models.DescribeDBInstancesRequest(region_id=REGION, dbinstance_id=inst))
    assert (raw["DBInstances"]["DBInstance"], raw["TotalCount"]) == ([], 0)


def test_create_checks_the_network(dds, polardb, kvstore, net):
    expect_error(
        dds.create_dbinstance,
        dds_models.CreateDBInstanceRequest(
            region_id=REGION, engine_version="6.0", dbinstance_class="dds.mongo.mid", dbinstance_storage=20,
            vpc_id=net.vpc_id, v_switch_id="vsw-nope",
        ),
        status=404,
        code="InvalidVSwitchId.NotFound",
    )
    expect_error(
        kvstore.create_instance,
        kv_models.CreateInstanceRequest(region_id=REGION, vpc_id="vpc-nope", v_switch_id=net.db_vsw_id, network_type="VPC"),
        status=404,
        code="InvalidVpcId.NotFound",
    )
    expect_error(
        polardb.create_dbcluster,
        polar_models.CreateDBClusterRequest(
            region_id=REGION, dbtype="MySQL", dbversion="8.0", pay_type="Postpaid", vpcid=net.vpc_id
        ),
        status=400,
        code="MissingParameter",
    )


# --------------------------------------------------------------------------------------------
# AnalyticDB for MySQL


def adb_create(adb, net) -> str:
    req = adb_models.CreateDBClusterRequest(
        region_id=REGION,
        zone_id=ZONE,
        dbcluster_version="3.0",
        dbcluster_category="Cluster",
        dbcluster_network_type="VPC",
        dbcluster_class="C8",
        dbnode_group_count="1",
        dbnode_storage="100",
        pay_type="Postpaid",
        mode="Reserved",
        vpcid=net.vpc_id,
        v_switch_id=net.db_vsw_id,
    )
    raw = call(adb.create_dbcluster, req)
    assert raw["DBClusterId"].startswith("am-"), raw
    return raw["DBClusterId"]


def adb_groups(adb, am: str) -> dict[str, str]:
    raw = call(
        adb.describe_dbcluster_access_white_list,
        adb_models.DescribeDBClusterAccessWhiteListRequest(dbcluster_id=am, region_id=REGION),
    )
    return {g["DBClusterIPArrayName"]: g["SecurityIPList"] for g in raw["Items"]["IPArray"]}


def adb_modify(am: str, ips: str, mode: str | None = None, group: str | None = None):
    return adb_models.ModifyDBClusterAccessWhiteListRequest(
        dbcluster_id=am, security_ips=ips, modify_mode=mode, dbcluster_iparray_name=group
    )


def test_analyticdb_mysql(adb, net, advance):
    am = adb_create(adb, net)
    raw = call(adb.describe_dbclusters, adb_models.DescribeDBClustersRequest(region_id=REGION, dbcluster_ids=am))
    [item] = raw["Items"]["DBCluster"]
    assert (item["DBClusterStatus"], item["VPCId"], item["VSwitchId"]) == ("Creating", net.vpc_id, net.db_vsw_id)
    assert (item["ConnectionString"], item["Port"]) == (f"{am}.ads.aliyuncs.com", "3306")
    assert raw["TotalCount"] == 1
    expect_error(adb.modify_dbcluster_access_white_list, adb_modify(am, "10.0.1.5", "Append"), status=400, code="IncorrectDBInstanceState")
    advance(60)
    raw = call(adb.describe_dbcluster_attribute, adb_models.DescribeDBClusterAttributeRequest(dbcluster_id=am))
    [attr] = raw["Items"]["DBCluster"]
    assert (attr["DBClusterStatus"], attr["Port"], attr["Mode"], attr["Category"]) == ("Running", 3306, "Reserved", "Cluster")
    assert adb_groups(adb, am) == {"default": "127.0.0.1"}
    # The OOS template's call: Append all IPs joined; the answer carries the cluster and a task.
    raw = call(adb.modify_dbcluster_access_white_list, adb_modify(am, "10.0.1.5,10.0.1.6", "Append"))
    assert raw["DBClusterId"] == am and isinstance(raw["TaskId"], int), raw
    call(adb.modify_dbcluster_access_white_list, adb_modify(am, "10.0.1.6,10.0.1.7", "Append"))
    assert adb_groups(adb, am) == {"default": "127.0.0.1,10.0.1.5,10.0.1.6,10.0.1.7"}
    call(adb.modify_dbcluster_access_white_list, adb_modify(am, "10.0.1.5,10.0.1.7", "Delete"))
    assert adb_groups(adb, am) == {"default": "127.0.0.1,10.0.1.6"}
    # At most 500 addresses in one call.
    expect_error(
        adb.modify_dbcluster_access_white_list,
        adb_modify(am, ",".join(fill(501)), "Cover", "big"),
        status=400,
        code="InvalidSecurityIPList.QuotaExceeded",
    )
    assert adb_groups(adb, am) == {"default": "127.0.0.1,10.0.1.6"}
    # 1,000 per group: two calls of 500 fill a group; the next address does not fit.
    call(adb.modify_dbcluster_access_white_list, adb_modify(am, ",".join(fill(500)), "Cover", "big"))
    call(adb.modify_dbcluster_access_white_list, adb_modify(am, ",".join(fill(500, 169)), "Append", "big"))
    expect_error(
        adb.modify_dbcluster_access_white_list,
        adb_modify(am, "10.0.1.9", "Append", "big"),
        status=400,
        code="InvalidSecurityIPList.QuotaExceeded",
    )
    # ...but the default group has room of its own.
    call(adb.modify_dbcluster_access_white_list, adb_modify(am, "10.0.1.9", "Append"))
    assert adb_groups(adb, am)["default"] == "127.0.0.1,10.0.1.6,10.0.1.9"
    expect_error(
        adb.modify_dbcluster_access_white_list,
        adb_modify(am, "10.0.1.9", "Append", "Bad-Name"),
        status=400,
        code="InvalidParameter",
    )
    expect_error(
        adb.describe_dbcluster_attribute,
        adb_models.DescribeDBClusterAttributeRequest(dbcluster_id="am-nope"),
        status=404,
        code="InvalidDBCluster.NotFound",
    )
    raw = call(adb.delete_dbcluster, adb_models.DeleteDBClusterRequest(dbcluster_id=am))
    assert raw["DBClusterId"] == am and isinstance(raw["TaskId"], int), raw
    advance(60)
    raw = call(adb.describe_dbclusters, adb_models.DescribeDBClustersRequest(region_id=REGION, dbcluster_ids=am))
    assert raw["Items"]["DBCluster"] == [] and raw["TotalCount"] == 0, raw


# --------------------------------------------------------------------------------------------
# AnalyticDB for PostgreSQL


def gpdb_groups(gpdb, gp: str, group: str | None = None) -> dict[str, str]:
    raw = call(
        gpdb.describe_dbinstance_iparray_list,
        gpdb_models.DescribeDBInstanceIPArrayListRequest(dbinstance_id=gp, dbinstance_iparray_name=group),
    )
    return {g["DBInstanceIPArrayName"]: g["SecurityIPList"] for g in raw["Items"]["DBInstanceIPArray"]}


def gpdb_modify(gp: str, ips: str, mode: str | None = None, group: str | None = None):
    # The list parameter is SecurityIPList here, not SecurityIps.
    return gpdb_models.ModifySecurityIpsRequest(
        dbinstance_id=gp, security_iplist=ips, modify_mode=mode, dbinstance_iparray_name=group
    )


def test_analyticdb_postgresql(gpdb, net, advance, name):
    raw = call(
        gpdb.create_dbinstance,
        gpdb_models.CreateDBInstanceRequest(
            region_id=REGION, zone_id=ZONE, engine="gpdb", engine_version="6.0", dbinstance_mode="StorageElastic",
            dbinstance_category="HighAvailability", instance_spec="2C16G", seg_node_num="4", seg_storage_type="cloud_essd",
            storage_size=50, instance_network_type="VPC", vpcid=net.vpc_id, v_switch_id=net.db_vsw_id,
            security_iplist="127.0.0.1", pay_type="Postpaid", dbinstance_description=name,
        ),
    )
    gp = raw["DBInstanceId"]
    assert gp.startswith("gp-"), raw
    raw = call(
        gpdb.describe_dbinstances,
        gpdb_models.DescribeDBInstancesRequest(region_id=REGION, dbinstance_ids=gp, dbinstance_statuses=["Creating"]),
    )
    [item] = raw["Items"]["DBInstance"]
    assert (item["DBInstanceStatus"], item["VpcId"], item["DBInstanceMode"]) == ("Creating", net.vpc_id, "StorageElastic")
    assert (raw["TotalRecordCount"], raw["PageRecordCount"]) == (1, 1)
    expect_error(gpdb.modify_security_ips, gpdb_modify(gp, "10.0.1.5", "Append"), status=403, code="IncorrectDBInstanceState")
    advance(60)
    raw = call(
        gpdb.describe_dbinstances,
        gpdb_models.DescribeDBInstancesRequest(region_id=REGION, dbinstance_ids=gp, dbinstance_statuses=["Creating"]),
    )
    assert raw["Items"]["DBInstance"] == []
    assert gpdb_groups(gpdb, gp) == {"default": "127.0.0.1"}
    call(gpdb.modify_security_ips, gpdb_modify(gp, "10.0.1.5,10.0.1.6", "Append"))
    call(gpdb.modify_security_ips, gpdb_modify(gp, "10.0.1.6", "Delete"))
    call(gpdb.modify_security_ips, gpdb_modify(gp, "10.0.2.0/24", "Cover", "app"))
    assert gpdb_groups(gpdb, gp) == {"default": "127.0.0.1,10.0.1.5", "app": "10.0.2.0/24"}
    assert gpdb_groups(gpdb, gp, "app") == {"app": "10.0.2.0/24"}
    raw = call(gpdb.describe_dbinstance_attribute, gpdb_models.DescribeDBInstanceAttributeRequest(dbinstance_id=gp))
    [attr] = raw["Items"]["DBInstanceAttribute"]
    assert (attr["DBInstanceStatus"], attr["SecurityIPList"]) == ("Running", "127.0.0.1,10.0.1.5,10.0.2.0/24")
    # 1,000 entries per instance over all groups.
    call(gpdb.modify_security_ips, gpdb_modify(gp, ",".join(fill(997)), "Cover", "big"))
    expect_error(
        gpdb.modify_security_ips, gpdb_modify(gp, "10.0.1.7", "Append"), status=400, code="InvalidSecurityIPList.QuotaExceeded"
    )
    expect_error(
        gpdb.modify_security_ips, gpdb_modify(gp, "10.0.1.7", "Delete", "nope"), status=404, code="InvalidDBInstanceIPArrayName.NotFound"
    )
    expect_error(
        gpdb.describe_dbinstance_attribute,
        gpdb_models.DescribeDBInstanceAttributeRequest(dbinstance_id="gp-nope"),
        status=404,
        code="InvalidDBInstanceId.NotFound",
    )
    call(gpdb.delete_dbinstance, gpdb_models.DeleteDBInstanceRequest(dbinstance_id=gp))
    advance(60)
    raw = call(gpdb.describe_dbinstances, gpdb_models.DescribeDBInstancesRequest(region_id=REGION, dbinstance_ids=gp))
    assert raw["Items"]["DBInstance"] == [] and raw["TotalRecordCount"] == 0, raw


# --------------------------------------------------------------------------------------------
# Redis


def kv_groups(kvstore, r: str) -> dict[str, str]:
    raw = call(kvstore.describe_security_ips, kv_models.DescribeSecurityIpsRequest(instance_id=r))
    return {g["SecurityIpGroupName"]: g["SecurityIpList"] for g in raw["SecurityIpGroups"]["SecurityIpGroup"]}


def kv_modify(r: str, ips: str, mode: str | None = None, group: str | None = None):
    return kv_models.ModifySecurityIpsRequest(instance_id=r, security_ips=ips, modify_mode=mode, security_ip_group_name=group)


def kv_instances(kvstore, **kw) -> dict:
    return call(kvstore.describe_instances, kv_models.DescribeInstancesRequest(region_id=REGION, **kw))


def test_redis(kvstore, dds, net, advance, name):
    raw = call(
        kvstore.create_instance,
        kv_models.CreateInstanceRequest(
            region_id=REGION, zone_id=ZONE, instance_name=name, instance_class="redis.master.small.default",
            charge_type="PostPaid", network_type="VPC", vpc_id=net.vpc_id, v_switch_id=net.db_vsw_id, engine_version="7.0",
        ),
    )
    r = raw["InstanceId"]
    assert r.startswith("r-"), raw
    assert (raw["InstanceStatus"], raw["Port"], raw["ConnectionDomain"]) == ("Creating", 6379, f"{r}.redis.rds.aliyuncs.com")
    raw = kv_instances(kvstore, instance_ids=r)
    [item] = raw["Instances"]["KVStoreInstance"]
    assert (item["InstanceStatus"], item["InstanceName"], item["NetworkType"]) == ("Creating", name, "VPC")
    expect_error(kvstore.modify_security_ips, kv_modify(r, "10.0.1.5", "Append"), status=403, code="IncorrectDBInstanceState")
    advance(60)
    # Running is "Normal" in R-kvstore.
    raw = call(kvstore.describe_instance_attribute, kv_models.DescribeInstanceAttributeRequest(instance_id=r))
    [attr] = raw["Instances"]["DBInstanceAttribute"]
    assert (attr["InstanceStatus"], attr["VpcId"], attr["SecurityIPList"]) == ("Normal", net.vpc_id, "127.0.0.1")
    assert kv_instances(kvstore, instance_ids=r, instance_status="Normal")["TotalCount"] == 1
    assert kv_groups(kvstore, r) == {"default": "127.0.0.1"}
    call(kvstore.modify_security_ips, kv_modify(r, "10.0.1.5", "Append"))
    # Append refuses an address already there; AppendDup (the OOS template's mode) tolerates it.
    expect_error(kvstore.modify_security_ips, kv_modify(r, "10.0.1.5", "Append"), status=409, code="SecurityIPList.Duplicate")
    call(kvstore.modify_security_ips, kv_modify(r, "10.0.1.5,10.0.1.6", "AppendDup"))
    assert kv_groups(kvstore, r) == {"default": "127.0.0.1,10.0.1.5,10.0.1.6"}
    expect_error(kvstore.modify_security_ips, kv_modify(r, "10.0.1.7", "Extend"), status=400, code="InvalidParameter")
    call(kvstore.modify_security_ips, kv_modify(r, "10.0.1.5", "Delete"))
    expect_error(kvstore.modify_security_ips, kv_modify(r, "10.0.1.5", "Delete"), status=404, code="InvalidSecurityIPList.NotFound")
    call(kvstore.modify_security_ips, kv_modify(r, "10.0.2.0/24", group="app"))
    assert kv_groups(kvstore, r) == {"default": "127.0.0.1,10.0.1.6", "app": "10.0.2.0/24"}
    # 1,000 per group.
    call(kvstore.modify_security_ips, kv_modify(r, ",".join(fill(1000)), "Cover", "big"))
    expect_error(
        kvstore.modify_security_ips, kv_modify(r, "10.0.1.7", "AppendDup", "big"), status=400, code="InvalidSecurityIPList.QuotaExceeded"
    )
    # Not found, including another engine's id.
    other = dds_create(dds, net)
    for bad in ("r-nope", other):
        expect_error(
            kvstore.describe_security_ips,
            kv_models.DescribeSecurityIpsRequest(instance_id=bad),
            status=404,
            code="InvalidInstanceId.NotFound",
            message="The InstanceId provided does not exist in our records.",
        )
    call(kvstore.delete_instance, kv_models.DeleteInstanceRequest(instance_id=r))
    [item] = kv_instances(kvstore, instance_ids=r)["Instances"]["KVStoreInstance"]
    assert item["InstanceStatus"] == "Released"
    advance(60)
    raw = kv_instances(kvstore, instance_ids=r)
    assert raw["Instances"]["KVStoreInstance"] == [] and raw["TotalCount"] == 0, raw
