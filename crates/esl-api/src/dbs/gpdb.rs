//! AnalyticDB for PostgreSQL (gpdb 2016-05-03): instances and their IP whitelist groups (RDS's
//! shape, but the list parameter of ModifySecurityIps is `SecurityIPList`).

use esl_domain::database::{ApsaraDatabase, Engine};
use esl_domain::fault;
use esl_store::Tx;
use serde_json::{json, Value};

use super::{opt, status_text, WhitelistChange};
use crate::util::{paging, second_time};
use crate::{Cloud, Ctx, Family, Result};

const ENGINE: Engine = Engine::AdbPg;
const PORT: u16 = 5432;

pub fn register(cloud: &mut Cloud) {
    let f = Family::Gpdb;
    cloud.add(f, "CreateDBInstance", create);
    cloud.add(f, "DescribeDBInstances", describe);
    cloud.add(f, "DescribeDBInstanceAttribute", attribute);
    cloud.add(f, "DeleteDBInstance", delete);
    cloud.add(f, "ModifySecurityIps", modify_security_ips);
    cloud.add(f, "DescribeDBInstanceIPArrayList", ip_array_list);
}

fn connection_string(db: &ApsaraDatabase) -> String {
    format!("{}-master.gpdb.rds.aliyuncs.com", db.id)
}

fn create(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    if p.required("Engine")? != "gpdb" {
        return Err(fault::engine_invalid().into());
    }
    let mode = p.required("DBInstanceMode")?;
    if !["StorageElastic", "Serverless", "ServerlessPro", "Classic"].contains(&mode) {
        return Err(fault::invalid_parameter("DBInstanceMode").into());
    }
    let pay_type = p.str("PayType").unwrap_or("Postpaid");
    if pay_type != "Postpaid" && pay_type != "Prepaid" {
        return Err(fault::invalid_parameter("PayType").into());
    }
    if p.str("InstanceNetworkType").is_some_and(|t| t != "VPC") {
        return Err(fault::invalid_parameter("InstanceNetworkType").into());
    }
    let db = super::create(
        ctx,
        tx,
        super::NewDb {
            engine: ENGINE,
            id_prefix: "gp",
            zone_id: Some(p.required("ZoneId")?),
            vpc_id: p.str("VPCId"),
            vswitch_id: Some(p.required("VSwitchId")?),
            security_ips: p.str("SecurityIPList"),
            description: p.str("DBInstanceDescription").unwrap_or(""),
            pay_type,
            engine_version: p.required("EngineVersion")?,
            class: p
                .str("InstanceSpec")
                .or(p.str("DBInstanceClass"))
                .unwrap_or("2C16G"),
            storage_gb: p.int("StorageSize")?.unwrap_or(50),
            db_type: "",
            category: p.str("DBInstanceCategory").unwrap_or("HighAvailability"),
            mode,
            nodes: 0,
            port: PORT,
        },
    )?;
    // ConnectionString and Port are deprecated and come back empty.
    Ok(json!({
        "DBInstanceId": db.id, "OrderId": ctx.cloud.ids.digits(15), "ConnectionString": "", "Port": "",
    }))
}

fn item_json(db: &ApsaraDatabase) -> Value {
    json!({
        "DBInstanceId": db.id, "DBInstanceDescription": db.description, "DBInstanceStatus": status_text(db),
        "Engine": "gpdb", "EngineVersion": db.engine_version, "DBInstanceMode": db.mode,
        "DBInstanceCategory": db.category, "DBInstanceNetType": "Intranet", "InstanceNetworkType": db.network_type,
        "VpcId": opt(&db.vpc_id), "VSwitchId": opt(&db.vswitch_id), "ZoneId": db.zone_id, "RegionId": db.region,
        "PayType": db.pay_type, "CreateTime": second_time(db.created_ms), "ExpireTime": "", "LockMode": "Unlock",
        "LockReason": "", "InstanceDeployType": "cluster", "StorageSize": db.storage_gb.to_string(),
        "StorageType": "cloud_essd", "SegNodeNum": "2", "MasterNodeNum": 1, "ConnectionMode": "",
        "ResourceGroupId": "", "Tags": [],
    })
}

fn describe(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let ids = super::id_list(p, "DBInstanceIds");
    let statuses = super::id_list(p, "DBInstanceStatuses");
    let modes = super::id_list(p, "DBInstanceModes");
    let categories = super::id_list(p, "DBInstanceCategories");
    let network = p.str("InstanceNetworkType");
    let vpc = p.str("VpcId");
    let desc = p.str("DBInstanceDescription");
    let (number, size) = paging(p, 30, 100)?;
    let all: Vec<ApsaraDatabase> = super::list(ctx, tx, ENGINE)?
        .into_iter()
        .filter(|d| ids.is_empty() || ids.contains(&d.id))
        .filter(|d| statuses.is_empty() || statuses.iter().any(|s| s == status_text(d)))
        .filter(|d| modes.is_empty() || modes.contains(&d.mode))
        .filter(|d| categories.is_empty() || categories.contains(&d.category))
        .filter(|d| network.is_none_or(|n| d.network_type.eq_ignore_ascii_case(n)))
        .filter(|d| vpc.is_none_or(|v| d.vpc_id.as_deref() == Some(v)))
        .filter(|d| desc.is_none_or(|t| d.description.contains(t)))
        .collect();
    let (items, total) = super::page_of(all, number, size, item_json);
    Ok(json!({
        "PageNumber": number, "PageRecordCount": items.len(), "TotalRecordCount": total, "Items": items,
    }))
}

fn attribute(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let db = super::load(tx, ENGINE, ctx.params.required("DBInstanceId")?)?;
    let mut item = item_json(&db);
    if let Value::Object(m) = &mut item {
        let created = m.remove("CreateTime").unwrap_or_default();
        m.insert("CreationTime".into(), created);
        m.insert("DBInstanceClass".into(), json!(db.class));
        m.insert("ConnectionString".into(), json!(connection_string(&db)));
        m.insert("Port".into(), json!(db.port.to_string()));
        m.insert("SecurityIPList".into(), json!(db.all_entries()));
        m.insert("StorageSize".into(), json!(db.storage_gb));
        m.insert("StorageUnit".into(), json!("GB"));
        m.insert("SegNodeNum".into(), json!(2));
        m.insert("MaxConnections".into(), json!(500));
        m.insert("MaintainStartTime".into(), json!("18:00Z"));
        m.insert("MaintainEndTime".into(), json!("22:00Z"));
    }
    Ok(json!({ "Items": [item] }))
}

fn delete(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    super::delete(ctx, tx, ENGINE, ctx.params.required("DBInstanceId")?)?;
    Ok(json!({}))
}

fn modify_security_ips(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    super::modify_whitelist(
        tx,
        ENGINE,
        p.required("DBInstanceId")?,
        WhitelistChange {
            group: p.str("DBInstanceIPArrayName"),
            attribute: p.str("DBInstanceIPArrayAttribute"),
            mode: p.str("ModifyMode"),
            security_ips: p.required("SecurityIPList")?,
        },
    )?;
    Ok(json!({}))
}

fn ip_array_list(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let db = super::load(tx, ENGINE, ctx.params.required("DBInstanceId")?)?;
    let wanted = ctx.params.str("DBInstanceIPArrayName");
    let items: Vec<Value> = db
        .ip_groups
        .iter()
        .filter(|g| wanted.is_none_or(|w| g.name.eq_ignore_ascii_case(w)))
        .map(|g| {
            json!({"DBInstanceIPArrayName": g.name, "DBInstanceIPArrayAttribute": g.attribute,
                   "SecurityIPList": g.entries.join(",")})
        })
        .collect();
    Ok(json!({ "Items": items }))
}
