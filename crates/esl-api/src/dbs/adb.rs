//! AnalyticDB for MySQL (adb 2019-03-15): clusters and their access whitelist (note the capital
//! L of ModifyDBClusterAccessWhiteList).

use esl_domain::database::{ApsaraDatabase, Engine};
use esl_domain::fault;
use esl_store::Tx;
use serde_json::{json, Value};

use super::{opt, status_text, WhitelistChange};
use crate::util::{paging, second_time};
use crate::{Cloud, Ctx, Family, Result};

const ENGINE: Engine = Engine::AdbMysql;
const PORT: u16 = 3306;

pub fn register(cloud: &mut Cloud) {
    let f = Family::Adb;
    cloud.add(f, "CreateDBCluster", create);
    cloud.add(f, "DescribeDBClusters", describe);
    cloud.add(f, "DescribeDBClusterAttribute", attribute);
    cloud.add(f, "DeleteDBCluster", delete);
    cloud.add(f, "ModifyDBClusterAccessWhiteList", modify_whitelist);
    cloud.add(f, "DescribeDBClusterAccessWhiteList", describe_whitelist);
}

fn create(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let category = p.required("DBClusterCategory")?;
    if !["Basic", "Cluster", "MixedStorage"].contains(&category) {
        return Err(fault::invalid_parameter("DBClusterCategory").into());
    }
    if !p
        .required("DBClusterNetworkType")?
        .eq_ignore_ascii_case("VPC")
    {
        return Err(fault::invalid_parameter("DBClusterNetworkType").into());
    }
    let pay_type = p.required("PayType")?;
    if pay_type != "Postpaid" && pay_type != "Prepaid" {
        return Err(fault::invalid_parameter("PayType").into());
    }
    let mode = p.str("Mode").unwrap_or("Reserved");
    if mode != "Reserved" && mode != "Flexible" {
        return Err(fault::invalid_parameter("Mode").into());
    }
    let storage = match p.str("DBNodeStorage") {
        None => 0,
        Some(s) => s
            .parse::<i64>()
            .map_err(|_| fault::invalid_parameter("DBNodeStorage"))?,
    };
    let db = super::create(
        ctx,
        tx,
        super::NewDb {
            engine: ENGINE,
            id_prefix: "am",
            zone_id: p.str("ZoneId"),
            vpc_id: p.str("VPCId"),
            vswitch_id: Some(p.required("VSwitchId")?),
            security_ips: None,
            description: p.str("DBClusterDescription").unwrap_or(""),
            pay_type,
            engine_version: p.required("DBClusterVersion")?,
            class: p.str("DBClusterClass").unwrap_or("E32"),
            storage_gb: storage,
            db_type: "",
            category,
            mode,
            nodes: 0,
            port: PORT,
        },
    )?;
    Ok(json!({
        "DBClusterId": db.id, "OrderId": ctx.cloud.ids.digits(15),
        "ResourceGroupId": p.str("ResourceGroupId").unwrap_or(""),
    }))
}

fn item_json(db: &ApsaraDatabase) -> Value {
    json!({
        "DBClusterId": db.id, "DBClusterDescription": db.description, "DBClusterStatus": status_text(db),
        "DBClusterNetworkType": db.network_type, "DBClusterType": "Common", "DBVersion": db.engine_version,
        "Category": db.category, "Mode": db.mode, "DBNodeClass": db.class, "DBNodeStorage": db.storage_gb,
        "PayType": db.pay_type, "VPCId": opt(&db.vpc_id), "VSwitchId": opt(&db.vswitch_id),
        "ZoneId": db.zone_id, "RegionId": db.region, "ConnectionString": format!("{}.ads.aliyuncs.com", db.id),
        "Port": db.port.to_string(), "InnerPort": db.port.to_string(), "Engine": "AnalyticDB",
        "CommodityCode": "ads", "CreateTime": second_time(db.created_ms), "LockMode": "Unlock",
        "LockReason": "", "Expired": "false", "ExpireTime": "",
        "VPCCloudInstanceId": db.vpc_id.as_ref().map(|_| format!("{}-vpc", db.id)).unwrap_or_default(),
        "ResourceGroupId": "", "Tags": [],
    })
}

fn describe(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let ids = super::id_list(p, "DBClusterIds");
    let status = p.str("DBClusterStatus");
    let desc = p.str("DBClusterDescription");
    let version = p.str("DBVersion");
    let (number, size) = paging(p, 30, 100)?;
    let all: Vec<ApsaraDatabase> = super::list(ctx, tx, ENGINE)?
        .into_iter()
        .filter(|d| ids.is_empty() || ids.contains(&d.id))
        .filter(|d| status.is_none_or(|s| status_text(d) == s))
        .filter(|d| desc.is_none_or(|t| d.description.contains(t)))
        .filter(|d| version.is_none_or(|v| d.engine_version == v))
        .collect();
    let (items, total) = super::page_of(all, number, size, item_json);
    Ok(json!({ "PageNumber": number, "PageSize": size, "TotalCount": total, "Items": items }))
}

fn attribute(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let db = super::load(tx, ENGINE, ctx.params.required("DBClusterId")?)?;
    let mut item = item_json(&db);
    if let Value::Object(m) = &mut item {
        let created = m.remove("CreateTime").unwrap_or_default();
        m.insert("CreationTime".into(), created);
        m.insert("Port".into(), json!(db.port));
        m.insert("MaintainTime".into(), json!("04:00Z-05:00Z"));
        m.insert("DiskEncryption".into(), json!(false));
        m.insert("UserENIStatus".into(), json!(false));
    }
    Ok(json!({ "Items": [item] }))
}

fn delete(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let db = super::delete(ctx, tx, ENGINE, ctx.params.required("DBClusterId")?)?;
    Ok(json!({ "DBClusterId": db.id, "TaskId": task_id(ctx) }))
}

fn task_id(ctx: &Ctx<'_>) -> i64 {
    ctx.cloud.ids.digits(9).parse().unwrap_or(0)
}

fn modify_whitelist(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let db = super::modify_whitelist(
        tx,
        ENGINE,
        p.required("DBClusterId")?,
        WhitelistChange {
            group: p.str("DBClusterIPArrayName"),
            attribute: p.str("DBClusterIPArrayAttribute"),
            mode: p.str("ModifyMode"),
            security_ips: p.required("SecurityIps")?,
        },
    )?;
    Ok(json!({ "DBClusterId": db.id, "TaskId": task_id(ctx) }))
}

fn describe_whitelist(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let db = super::load(tx, ENGINE, ctx.params.required("DBClusterId")?)?;
    let items: Vec<Value> = db
        .ip_groups
        .iter()
        .map(|g| {
            json!({"DBClusterIPArrayName": g.name, "DBClusterIPArrayAttribute": g.attribute,
                   "SecurityIPList": g.entries.join(",")})
        })
        .collect();
    Ok(json!({ "Items": items }))
}
