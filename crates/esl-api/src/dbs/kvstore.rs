//! ApsaraDB for Redis / Tair (R-kvstore 2015-01-01): instances and their IP whitelist groups. A
//! Running instance shows as `Normal`, a deleted one as `Released` until it is gone.

use esl_domain::database::{ApsaraDatabase, Engine};
use esl_domain::fault;
use esl_domain::model::DbStatus;
use esl_store::Tx;
use serde_json::{json, Value};

use super::{opt, WhitelistChange};
use crate::util::{paging, second_time};
use crate::{Cloud, Ctx, Family, Result};

const ENGINE: Engine = Engine::Redis;

pub fn register(cloud: &mut Cloud) {
    let f = Family::Kvstore;
    cloud.add(f, "CreateInstance", create);
    cloud.add(f, "DescribeInstances", describe);
    cloud.add(f, "DescribeInstanceAttribute", attribute);
    cloud.add(f, "DeleteInstance", delete);
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
}

fn status(db: &ApsaraDatabase) -> &'static str {
    match db.status {
        DbStatus::Creating => "Creating",
        DbStatus::Running => "Normal",
        DbStatus::Deleting => "Released",
        DbStatus::NetTypeChanging => "NetworkModifying",
    }
}

/// `VPC` or `CLASSIC`.
fn network_type(db: &ApsaraDatabase) -> String {
    db.network_type.to_ascii_uppercase()
}

fn connection_domain(db: &ApsaraDatabase) -> String {
    format!("{}.redis.rds.aliyuncs.com", db.id)
}

fn create(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let port: u16 = match p.str("Port") {
        None => 6379,
        Some(s) => s
            .parse()
            .ok()
            .filter(|n| (1024..=65535).contains(n))
            .ok_or_else(|| fault::invalid_parameter("Port"))?,
    };
    let capacity = p.int("Capacity")?.unwrap_or(1024);
    if capacity < 1 {
        return Err(fault::invalid_parameter("Capacity").into());
    }
    let new = super::NewDb {
        engine: ENGINE,
        id_prefix: "r",
        zone_id: p.str("ZoneId"),
        vpc_id: p.str("VpcId"),
        vswitch_id: p.str("VSwitchId"),
        security_ips: None,
        description: p.str("InstanceName").unwrap_or(""),
        pay_type: p.str("ChargeType").unwrap_or("PrePaid"),
        engine_version: p.str("EngineVersion").unwrap_or("5.0"),
        class: p
            .str("InstanceClass")
            .unwrap_or("redis.master.small.default"),
        storage_gb: capacity,
        db_type: p.str("InstanceType").unwrap_or("Redis"),
        category: p.str("NodeType").unwrap_or("MASTER_SLAVE"),
        mode: "",
        nodes: 0,
        port,
    };
    if p.bool("DryRun")? == Some(true) {
        // Validate everything, write nothing: the whole transaction is rolled back by the error.
        super::create(ctx, tx, new)?;
        return Err(fault::dry_run_operation().into());
    }
    let db = super::create(ctx, tx, new)?;
    Ok(json!({
        "InstanceId": db.id, "InstanceName": db.description, "InstanceStatus": status(&db),
        "ConnectionDomain": connection_domain(&db), "Port": db.port, "Capacity": db.storage_gb,
        "Bandwidth": 96, "Connections": 20000, "QPS": 100000, "NetworkType": network_type(&db),
        "VpcId": opt(&db.vpc_id), "VSwitchId": opt(&db.vswitch_id), "ZoneId": db.zone_id,
        "RegionId": db.region, "ChargeType": db.pay_type, "NodeType": db.category, "Config": "{}",
        "OrderId": ctx.cloud.ids.digits(15), "EndTime": "", "PrivateIpAddr": "", "UserName": db.id,
    }))
}

fn item_json(db: &ApsaraDatabase) -> Value {
    json!({
        "InstanceId": db.id, "InstanceName": db.description, "InstanceStatus": status(db),
        "InstanceClass": db.class, "InstanceType": db.db_type, "EngineVersion": db.engine_version,
        "ArchitectureType": "standard", "NodeType": db.category, "EditionType": "Community",
        "Capacity": db.storage_gb, "Bandwidth": 96, "Connections": 20000, "QPS": 100000,
        "ChargeType": db.pay_type, "NetworkType": network_type(db), "VpcId": opt(&db.vpc_id),
        "VSwitchId": opt(&db.vswitch_id), "ZoneId": db.zone_id, "RegionId": db.region,
        "ConnectionDomain": connection_domain(db), "Port": db.port, "PrivateIp": "",
        "CreateTime": second_time(db.created_ms), "EndTime": "", "UserName": db.id, "Config": "{}",
        "ConnectionMode": "Standard", "CloudType": "PublicCloud", "ShardCount": 1, "IsRds": true,
        "PackageType": "standard", "ResourceGroupId": "", "Tags": [],
    })
}

fn describe(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let ids = super::id_list(p, "InstanceIds");
    let wanted_status = p.str("InstanceStatus");
    let charge = p.str("ChargeType");
    let network = p.str("NetworkType");
    let version = p.str("EngineVersion");
    let class = p.str("InstanceClass");
    let vpc = p.str("VpcId");
    let vsw = p.str("VSwitchId");
    let zone = p.str("ZoneId");
    let kind = p.str("InstanceType");
    let search = p.str("SearchKey");
    let (number, size) = paging(p, 30, 50)?;
    let all: Vec<ApsaraDatabase> = super::list(ctx, tx, ENGINE)?
        .into_iter()
        .filter(|d| ids.is_empty() || ids.contains(&d.id))
        .filter(|d| wanted_status.is_none_or(|s| status(d) == s))
        .filter(|d| charge.is_none_or(|c| d.pay_type == c))
        .filter(|d| network.is_none_or(|n| d.network_type.eq_ignore_ascii_case(n)))
        .filter(|d| version.is_none_or(|v| d.engine_version == v))
        .filter(|d| class.is_none_or(|c| d.class == c))
        .filter(|d| vpc.is_none_or(|v| d.vpc_id.as_deref() == Some(v)))
        .filter(|d| vsw.is_none_or(|v| d.vswitch_id.as_deref() == Some(v)))
        .filter(|d| zone.is_none_or(|z| d.zone_id == z))
        .filter(|d| kind.is_none_or(|k| d.db_type.eq_ignore_ascii_case(k)))
        .filter(|d| search.is_none_or(|s| d.id.contains(s) || d.description.contains(s)))
        .collect();
    let (items, total) = super::page_of(all, number, size, item_json);
    Ok(json!({ "PageNumber": number, "PageSize": size, "TotalCount": total, "Instances": items }))
}

fn attribute(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let db = super::load(tx, ENGINE, ctx.params.required("InstanceId")?)?;
    let mut item = item_json(&db);
    if let Value::Object(m) = &mut item {
        m.insert("Engine".into(), json!("Redis"));
        m.insert("SecurityIPList".into(), json!(db.all_entries()));
        m.insert(
            "VpcCloudInstanceId".into(),
            json!(db
                .vpc_id
                .as_ref()
                .map(|_| format!("{}-vpc", db.id))
                .unwrap_or_default()),
        );
        m.insert("VpcAuthMode".into(), json!("Open"));
        m.insert("ReplicationMode".into(), json!("master-slave"));
        m.insert("InstanceReleaseProtection".into(), json!(false));
        m.insert("IsOrderCompleted".into(), json!(true));
        m.insert("MaintainStartTime".into(), json!("18:00Z"));
        m.insert("MaintainEndTime".into(), json!("22:00Z"));
        m.insert("ZoneType".into(), json!("SINGLE"));
    }
    Ok(json!({ "Instances": [item] }))
}

fn delete(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    super::delete(ctx, tx, ENGINE, ctx.params.required("InstanceId")?)?;
    Ok(json!({}))
}

fn modify_security_ips(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    super::modify_whitelist(
        tx,
        ENGINE,
        p.required("InstanceId")?,
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
    let db = super::load(tx, ENGINE, ctx.params.required("InstanceId")?)?;
    Ok(json!({ "SecurityIpGroups": super::security_ip_groups(&db) }))
}

/// The modify names the instance `DBInstanceId` (the describe says `InstanceId`), per the API.
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
    let db = super::load(tx, ENGINE, ctx.params.required("InstanceId")?)?;
    Ok(json!({ "Items": super::security_group_relations(tx, &db)? }))
}
