//! PolarDB (polardb 2017-08-01): clusters, their endpoints, and the access whitelist (IP groups
//! and ECS security groups).

use esl_domain::database::{parse_security_group_ids, ApsaraDatabase, Engine};
use esl_domain::fault;
use esl_domain::model::SecurityGroup;
use esl_store::{Tx, TxExt};
use serde_json::{json, Value};

use super::{opt, status_text, WhitelistChange};
use crate::util::{paging, second_time};
use crate::{Cloud, Ctx, Family, Result};

const ENGINE: Engine = Engine::Polardb;

pub fn register(cloud: &mut Cloud) {
    let f = Family::Polardb;
    cloud.add(f, "CreateDBCluster", create);
    cloud.add(f, "DescribeDBClusters", describe);
    cloud.add(f, "DescribeDBClusterAttribute", attribute);
    cloud.add(f, "DescribeDBClusterEndpoints", endpoints);
    cloud.add(f, "DeleteDBCluster", delete);
    cloud.add(f, "ModifyDBClusterAccessWhitelist", modify_whitelist);
    cloud.add(f, "DescribeDBClusterAccessWhitelist", describe_whitelist);
}

fn create(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let db_type = p.required("DBType")?;
    let port = match db_type {
        "MySQL" => 3306,
        "PostgreSQL" | "Oracle" => 5432,
        _ => return Err(fault::invalid_parameter("DBType").into()),
    };
    let pay_type = p.required("PayType")?;
    if pay_type != "Postpaid" && pay_type != "Prepaid" {
        return Err(fault::invalid_parameter("PayType").into());
    }
    if p.str("ClusterNetworkType").is_some_and(|t| t != "VPC") {
        return Err(fault::invalid_parameter("ClusterNetworkType").into());
    }
    let default_class = format!("polar.{}.x4.medium", db_type.to_ascii_lowercase());
    let db = super::create(
        ctx,
        tx,
        super::NewDb {
            engine: ENGINE,
            id_prefix: "pc",
            zone_id: p.str("ZoneId"),
            vpc_id: p.str("VPCId"),
            vswitch_id: Some(p.required("VSwitchId")?),
            security_ips: p.str("SecurityIPList"),
            description: p.str("DBClusterDescription").unwrap_or(""),
            pay_type,
            engine_version: p.required("DBVersion")?,
            class: p.str("DBNodeClass").unwrap_or(&default_class),
            storage_gb: p.int("StorageSpace")?.unwrap_or(50),
            db_type,
            category: p.str("CreationCategory").unwrap_or("Normal"),
            mode: "",
            nodes: 2,
            port,
        },
    )?;
    Ok(json!({
        "DBClusterId": db.id, "OrderId": ctx.cloud.ids.digits(15),
        "ResourceGroupId": p.str("ResourceGroupId").unwrap_or(""),
    }))
}

/// The description a cluster shows: its own, or its id.
fn description(db: &ApsaraDatabase) -> &str {
    if db.description.is_empty() {
        &db.id
    } else {
        &db.description
    }
}

fn node_role(i: usize) -> &'static str {
    if i == 0 {
        "Writer"
    } else {
        "Reader"
    }
}

fn item_json(db: &ApsaraDatabase) -> Value {
    let nodes: Vec<Value> = db
        .node_ids
        .iter()
        .enumerate()
        .map(|(i, n)| {
            json!({"DBNodeId": n, "DBNodeClass": db.class, "DBNodeRole": node_role(i),
                   "RegionId": db.region, "ZoneId": db.zone_id, "HotReplicaMode": "OFF", "ImciSwitch": "OFF"})
        })
        .collect();
    json!({
        "DBClusterId": db.id, "DBClusterDescription": description(db), "DBClusterStatus": status_text(db),
        "DBType": db.db_type, "DBVersion": db.engine_version, "DBNodeClass": db.class,
        "DBNodeNumber": db.node_ids.len(), "DBNodes": nodes, "DBClusterNetworkType": db.network_type,
        "VpcId": opt(&db.vpc_id), "VswitchId": opt(&db.vswitch_id), "ZoneId": db.zone_id,
        "RegionId": db.region, "PayType": db.pay_type, "CreateTime": second_time(db.created_ms),
        "Engine": "POLARDB", "Category": db.category, "LockMode": "Unlock", "DeletionLock": 0,
        "Expired": "false", "ExpireTime": "", "StorageUsed": 0, "StorageSpace": db.storage_gb,
        "StoragePayType": "Postpaid", "ResourceGroupId": "", "ServerlessType": "", "Tags": [],
    })
}

fn describe(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let ids = super::id_list(p, "DBClusterIds");
    let status = p.str("DBClusterStatus");
    let db_type = p.str("DBType");
    let version = p.str("DBVersion");
    let desc = p.str("DBClusterDescription");
    let pay_type = p.str("PayType");
    let (number, size) = paging(p, 30, 100)?;
    let all: Vec<ApsaraDatabase> = super::list(ctx, tx, ENGINE)?
        .into_iter()
        .filter(|d| ids.is_empty() || ids.contains(&d.id))
        .filter(|d| status.is_none_or(|s| status_text(d).eq_ignore_ascii_case(s)))
        .filter(|d| db_type.is_none_or(|t| d.db_type.eq_ignore_ascii_case(t)))
        .filter(|d| version.is_none_or(|v| d.engine_version == v))
        .filter(|d| desc.is_none_or(|t| description(d).contains(t)))
        .filter(|d| pay_type.is_none_or(|t| d.pay_type == t))
        .collect();
    let (items, total) = super::page_of(all, number, size, item_json);
    Ok(json!({
        "PageNumber": number, "PageRecordCount": items.len(), "TotalRecordCount": total, "Items": items,
    }))
}

fn attribute(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let db = super::load(tx, ENGINE, ctx.params.required("DBClusterId")?)?;
    let created = second_time(db.created_ms);
    let nodes: Vec<Value> = db
        .node_ids
        .iter()
        .enumerate()
        .map(|(i, n)| {
            json!({"DBNodeId": n, "DBNodeClass": db.class, "DBNodeRole": node_role(i), "DBNodeStatus": status_text(&db),
                   "ZoneId": db.zone_id, "CreationTime": created, "FailoverPriority": 1, "MaxConnections": 8000,
                   "MaxIOPS": 32000, "HotReplicaMode": "OFF", "ImciSwitch": "OFF", "CpuCores": "2", "MemorySize": "8192"})
        })
        .collect();
    Ok(json!({
        "DBClusterId": db.id, "DBClusterDescription": description(&db), "DBClusterStatus": status_text(&db),
        "DBClusterNetworkType": db.network_type, "VPCId": opt(&db.vpc_id), "VSwitchId": opt(&db.vswitch_id),
        "ZoneIds": db.zone_id, "RegionId": db.region, "DBType": db.db_type, "DBVersion": db.engine_version,
        "DBVersionStatus": "Stable", "Engine": "POLARDB", "Category": db.category, "CreationTime": created,
        "PayType": db.pay_type, "LockMode": "Unlock", "DeletionLock": 0, "Expired": "false", "ExpireTime": "",
        "StorageType": "psl5", "StorageUsed": 0, "StorageMax": db.storage_gb * 1024 * 1024 * 1024,
        "StorageSpace": db.storage_gb, "StoragePayType": "Postpaid",
        "MaintainTime": "18:00Z-19:00Z", "IsLatestVersion": true, "ResourceGroupId": "", "DBNodes": nodes,
        "Tags": [],
    }))
}

fn endpoints(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let db = super::load(tx, ENGINE, ctx.params.required("DBClusterId")?)?;
    let suffix = db.id.trim_start_matches("pc-");
    let nodes = db.node_ids.join(",");
    let address = |host: String| {
        json!({"ConnectionString": host, "NetType": "Private", "Port": db.port.to_string(),
               "VPCId": opt(&db.vpc_id), "VSwitchId": opt(&db.vswitch_id),
               "VpcInstanceId": format!("{}-vpc", db.id), "PrivateZoneConnectionString": ""})
    };
    let all = [
        json!({"DBClusterId": db.id, "DBEndpointId": format!("pe-{suffix}"), "EndpointType": "Cluster",
               "DBEndpointDescription": "Cluster Address", "ReadWriteMode": "ReadWrite", "AutoAddNewNodes": "Disable",
               "Nodes": nodes, "EndpointConfig": "{}", "NodeWithRoles": "",
               "AddressItems": [address(format!("{}.rwlb.rds.aliyuncs.com", db.id))]}),
        json!({"DBClusterId": db.id, "DBEndpointId": format!("pe-{suffix}p"), "EndpointType": "Primary",
               "DBEndpointDescription": "Primary Address", "ReadWriteMode": "ReadWrite", "AutoAddNewNodes": "Disable",
               "Nodes": db.node_ids.first().cloned().unwrap_or_default(), "EndpointConfig": "{}", "NodeWithRoles": "",
               "AddressItems": [address(format!("{}.mysql.polardb.rds.aliyuncs.com", db.id))]}),
    ];
    let wanted = ctx.params.str("DBEndpointId");
    let items: Vec<Value> = all
        .into_iter()
        .filter(|e| wanted.is_none_or(|w| e["DBEndpointId"] == w))
        .collect();
    Ok(json!({ "Items": items }))
}

fn delete(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    super::delete(ctx, tx, ENGINE, ctx.params.required("DBClusterId")?)?;
    Ok(json!({}))
}

fn modify_whitelist(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let id = p.required("DBClusterId")?;
    match p.str("WhiteListType").unwrap_or("IP") {
        t if t.eq_ignore_ascii_case("IP") => {
            super::modify_whitelist(
                tx,
                ENGINE,
                id,
                WhitelistChange {
                    group: p.str("DBClusterIPArrayName"),
                    attribute: p.str("DBClusterIPArrayAttribute"),
                    mode: p.str("ModifyMode"),
                    security_ips: p.required("SecurityIps")?,
                },
            )?;
        }
        t if t.eq_ignore_ascii_case("SecurityGroup") => {
            let mut db = super::load(tx, ENGINE, id)?;
            let unique = parse_security_group_ids(p.str("SecurityGroupIds").unwrap_or(""));
            // Status and count first (in memory), then each group must exist.
            db.set_security_groups(unique.clone())?;
            for sg in &unique {
                tx.load::<SecurityGroup>(sg)?
                    .filter(|g| g.region == db.region)
                    .ok_or_else(fault::security_group_not_found)?;
            }
            tx.save(&db)?;
        }
        _ => return Err(fault::invalid_parameter("WhiteListType").into()),
    }
    Ok(json!({}))
}

fn describe_whitelist(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let db = super::load(tx, ENGINE, ctx.params.required("DBClusterId")?)?;
    let groups: Vec<Value> = db
        .ip_groups
        .iter()
        .map(|g| {
            json!({"DBClusterIPArrayName": g.name, "DBClusterIPArrayAttribute": g.attribute,
                   "SecurityIps": g.entries.join(",")})
        })
        .collect();
    let mut sgs = Vec::new();
    for id in &db.security_group_ids {
        let name = tx
            .load::<SecurityGroup>(id)?
            .map(|g| g.name)
            .unwrap_or_default();
        sgs.push(json!({"SecurityGroupId": id, "SecurityGroupName": name}));
    }
    Ok(json!({ "Items": groups, "DBClusterSecurityGroups": sgs }))
}
