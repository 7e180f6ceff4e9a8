//! ApsaraDB for MongoDB (Dds 2015-12-01): replica-set instances and their IP whitelist groups.

use esl_domain::database::{ApsaraDatabase, Engine};
use esl_domain::fault;
use esl_domain::model::{DbStatus, VSwitch, Vpc};
use esl_store::{Tx, TxExt};
use serde_json::{json, Value};

use super::{opt, status_text, WhitelistChange};
use crate::util::{paging, second_time};
use crate::{Cloud, Ctx, Family, Result};

const ENGINE: Engine = Engine::MongoDb;
const PORT: u16 = 3717;

pub fn register(cloud: &mut Cloud) {
    let f = Family::Dds;
    cloud.add(f, "CreateDBInstance", create);
    cloud.add(f, "DescribeDBInstances", describe);
    cloud.add(f, "DescribeDBInstanceAttribute", attribute);
    cloud.add(f, "DeleteDBInstance", delete);
    cloud.add(f, "ModifySecurityIps", modify_security_ips);
    cloud.add(f, "DescribeSecurityIps", describe_security_ips);
    cloud.add(
        f,
        "ModifySecurityGroupConfiguration",
        modify_security_groups,
    );
    cloud.add(
        f,
        "DescribeSecurityGroupConfiguration",
        describe_security_groups,
    );
    cloud.add(f, "ModifyDBInstanceNetworkType", modify_network_type);
}

fn create(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let storage = p
        .int("DBInstanceStorage")?
        .ok_or_else(|| fault::missing_parameter("DBInstanceStorage"))?;
    if !(10..=3000).contains(&storage) || storage % 10 != 0 {
        return Err(fault::invalid_parameter("DBInstanceStorage").into());
    }
    let replication = p.str("ReplicationFactor").unwrap_or("3");
    if !["1", "3", "5", "7"].contains(&replication) {
        return Err(fault::invalid_parameter("ReplicationFactor").into());
    }
    let db = super::create(
        ctx,
        tx,
        super::NewDb {
            engine: ENGINE,
            id_prefix: "dds",
            zone_id: p.str("ZoneId"),
            vpc_id: p.str("VpcId"),
            vswitch_id: p.str("VSwitchId"),
            security_ips: p.str("SecurityIPList"),
            description: p.str("DBInstanceDescription").unwrap_or(""),
            pay_type: p.str("ChargeType").unwrap_or("PostPaid"),
            engine_version: p.required("EngineVersion")?,
            class: p.required("DBInstanceClass")?,
            storage_gb: storage,
            db_type: "",
            category: p.str("StorageEngine").unwrap_or("WiredTiger"),
            mode: replication,
            nodes: 0,
            port: PORT,
        },
    )?;
    Ok(json!({ "DBInstanceId": db.id, "OrderId": ctx.cloud.ids.digits(15) }))
}

fn item_json(db: &ApsaraDatabase) -> Value {
    json!({
        "DBInstanceId": db.id, "DBInstanceDescription": db.description, "DBInstanceStatus": status_text(db),
        "DBInstanceType": "replicate", "Engine": "MongoDB", "EngineVersion": db.engine_version,
        "DBInstanceClass": db.class, "DBInstanceStorage": db.storage_gb, "ChargeType": db.pay_type,
        "NetworkType": db.network_type, "RegionId": db.region, "ZoneId": db.zone_id,
        "CreationTime": second_time(db.created_ms), "ExpireTime": "", "LockMode": "Unlock",
        "ReplicationFactor": db.mode, "StorageType": "cloud_essd1", "VpcAuthMode": "Open",
        "KindCode": "18", "ResourceGroupId": "", "Tags": [],
    })
}

fn describe(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let ids = super::id_list(p, "DBInstanceId");
    let status = p.str("DBInstanceStatus");
    let kind = p.str("DBInstanceType").unwrap_or("replicate");
    let class = p.str("DBInstanceClass");
    let version = p.str("EngineVersion");
    let network = p.str("NetworkType");
    let vpc = p.str("VpcId");
    let vsw = p.str("VSwitchId");
    let zone = p.str("ZoneId");
    let charge = p.str("ChargeType");
    let desc = p.str("DBInstanceDescription");
    let replication = p.str("ReplicationFactor");
    let (number, size) = paging(p, 30, 100)?;
    let all: Vec<ApsaraDatabase> = super::list(ctx, tx, ENGINE)?
        .into_iter()
        .filter(|_| kind == "replicate")
        .filter(|d| ids.is_empty() || ids.contains(&d.id))
        .filter(|d| status.is_none_or(|s| status_text(d) == s))
        .filter(|d| class.is_none_or(|c| d.class == c))
        .filter(|d| version.is_none_or(|v| d.engine_version == v))
        .filter(|d| network.is_none_or(|n| d.network_type.eq_ignore_ascii_case(n)))
        .filter(|d| vpc.is_none_or(|v| d.vpc_id.as_deref() == Some(v)))
        .filter(|d| vsw.is_none_or(|v| d.vswitch_id.as_deref() == Some(v)))
        .filter(|d| zone.is_none_or(|z| d.zone_id == z))
        .filter(|d| charge.is_none_or(|c| d.pay_type == c))
        .filter(|d| desc.is_none_or(|t| d.description.contains(t)))
        .filter(|d| replication.is_none_or(|r| d.mode == r))
        .collect();
    let (items, total) = super::page_of(all, number, size, item_json);
    Ok(json!({
        "PageNumber": number, "PageSize": size, "TotalCount": total, "DBInstances": items,
    }))
}

fn attribute(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let db = super::load(tx, ENGINE, ctx.params.required("DBInstanceId")?)?;
    let mut item = item_json(&db);
    let vpc_instance = db
        .vpc_id
        .as_ref()
        .map(|_| format!("{}-vpc", db.id))
        .unwrap_or_default();
    let replica = |role: &str, n: u8| {
        json!({"ReplicaSetRole": role, "ConnectionDomain": format!("{}-{n}.mongodb.{}.rds.aliyuncs.com", db.id, db.region),
               "ConnectionPort": PORT.to_string(), "NetworkType": db.network_type, "VPCId": opt(&db.vpc_id),
               "VSwitchId": opt(&db.vswitch_id), "VPCCloudInstanceId": vpc_instance})
    };
    if let Value::Object(m) = &mut item {
        m.insert("VPCId".into(), json!(opt(&db.vpc_id)));
        m.insert("VSwitchId".into(), json!(opt(&db.vswitch_id)));
        m.insert("VPCCloudInstanceIds".into(), json!(vpc_instance));
        m.insert(
            "ReplicaSetName".into(),
            json!(format!("mgset-{}", db.id.trim_start_matches("dds-"))),
        );
        m.insert(
            "ReplicaSets".into(),
            json!([replica("Primary", 1), replica("Secondary", 2)]),
        );
        m.insert("StorageEngine".into(), json!(db.category));
        m.insert("ProtocolType".into(), json!("mongodb"));
        m.insert("MaxConnections".into(), json!(1000));
        m.insert("MaxIOPS".into(), json!(8000));
        m.insert("MaintainStartTime".into(), json!("18:00Z"));
        m.insert("MaintainEndTime".into(), json!("22:00Z"));
        m.insert("DBInstanceReleaseProtection".into(), json!(false));
    }
    Ok(json!({ "DBInstances": [item] }))
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
            group: p.str("SecurityIpGroupName"),
            attribute: p.str("SecurityIpGroupAttribute"),
            mode: p.str("ModifyMode"),
            security_ips: p.required("SecurityIps")?,
        },
    )?;
    Ok(json!({}))
}

fn describe_security_ips(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let db = super::load(tx, ENGINE, ctx.params.required("DBInstanceId")?)?;
    Ok(json!({
        "SecurityIps": db.default_entries(),
        "SecurityIpGroups": super::security_ip_groups(&db),
    }))
}

fn modify_security_groups(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    super::set_security_groups(
        tx,
        ENGINE,
        p.required("DBInstanceId")?,
        p.required("SecurityGroupId")?,
    )?;
    Ok(json!({}))
}

fn describe_security_groups(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let db = super::load(tx, ENGINE, ctx.params.required("DBInstanceId")?)?;
    Ok(json!({ "Items": super::security_group_relations(tx, &db)? }))
}

/// Classic -> VPC: DBInstanceNetTypeChanging now, Running in the VPC, vSwitch and zone after a
/// short delay (the create delay). VPC -> VPC is NetTypeExists [unverified for MongoDB].
fn modify_network_type(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let mut db = super::load(tx, ENGINE, p.required("DBInstanceId")?)?;
    let target = p.required("NetworkType")?;
    if !target.eq_ignore_ascii_case("VPC") {
        return Err(fault::invalid_parameter("NetworkType").into());
    }
    if db.network_type == "VPC" {
        return Err(fault::net_type_exists().into());
    }
    let zone = p.required("ZoneId")?;
    match p.str("RetainClassic") {
        None => {}
        Some(v) if v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false") => {}
        Some(_) => return Err(fault::invalid_parameter("RetainClassic").into()),
    }
    if let Some(days) = p.int("ClassicExpiredDays")? {
        if ![14, 30, 60, 120].contains(&days) {
            return Err(fault::invalid_parameter("ClassicExpiredDays").into());
        }
    }
    if db.status != DbStatus::Running {
        return Err(fault::dds_instance_status().into());
    }
    let vpc_id = p
        .str("VpcId")
        .ok_or_else(|| fault::missing_parameter("VpcId"))?;
    let vsw_id = p
        .str("VSwitchId")
        .ok_or_else(|| fault::missing_parameter("VSwitchId"))?;
    let vpc = tx
        .load::<Vpc>(vpc_id)?
        .filter(|v| v.region == db.region)
        .ok_or_else(fault::vpc_not_found)?;
    let vsw = tx
        .load::<VSwitch>(vsw_id)?
        .filter(|v| v.region == db.region && v.vpc_id == vpc.id)
        .ok_or_else(fault::vswitch_not_found)?;
    if vsw.zone_id != zone {
        return Err(fault::invalid_parameter("ZoneId").into());
    }
    db.status = DbStatus::NetTypeChanging;
    tx.save(&db)?;
    tx.enqueue(
        ctx.now_ms + ctx.cloud.timing.db_create_ms,
        super::DB_NET_CHANGED,
        &json!({"db": db.id, "vpc": vpc.id, "vsw": vsw.id, "zone": zone}).to_string(),
    )?;
    Ok(json!({}))
}
