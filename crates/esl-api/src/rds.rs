//! ApsaraDB RDS (2014-08-15): instances with their status flow, and IP whitelists.

use esl_domain::fault;
use esl_domain::model::{DbStatus, RdsInstance, ScalingGroup, VSwitch, Vpc};
use esl_domain::whitelist::{self, IpGroup, ModifyMode, DEFAULT_GROUP, MAX_ENTRIES};
use esl_store::{Filter, Tx, TxExt};
use serde_json::{json, Value};

use crate::util::{page, paging, second_time};
use crate::{Cloud, Ctx, Family, Result};

pub const DB_READY: &str = "rds.instance.ready";
pub const DB_GONE: &str = "rds.instance.gone";

pub fn register(cloud: &mut Cloud) {
    let f = Family::Rds;
    cloud.add(f, "CreateDBInstance", create);
    cloud.add(f, "DescribeDBInstances", describe);
    cloud.add(f, "DescribeDBInstanceAttribute", attribute);
    cloud.add(f, "DeleteDBInstance", delete);
    cloud.add(f, "ModifySecurityIps", modify_security_ips);
    cloud.add(f, "DescribeDBInstanceIPArrayList", ip_array_list);
}

fn default_port(engine: &str) -> u16 {
    match engine {
        "SQLServer" => 1433,
        "PostgreSQL" => 5432,
        _ => 3306,
    }
}

fn engine_host(engine: &str) -> &'static str {
    match engine {
        "SQLServer" => "sqlserver",
        "PostgreSQL" => "pg",
        "MariaDB" => "mariadb",
        _ => "mysql",
    }
}

fn create(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let engine = p.required("Engine")?.to_string();
    if !["MySQL", "SQLServer", "PostgreSQL", "MariaDB"].contains(&engine.as_str()) {
        return Err(fault::engine_invalid().into());
    }
    let pay_type = p.required("PayType")?.to_string();
    if !["Postpaid", "Prepaid", "Serverless"].contains(&pay_type.as_str()) {
        return Err(fault::invalid_parameter("PayType").into());
    }
    let net_type = p.required("DBInstanceNetType")?.to_string();
    if net_type != "Intranet" && net_type != "Internet" {
        return Err(fault::invalid_parameter("DBInstanceNetType").into());
    }
    let storage = p
        .int("DBInstanceStorage")?
        .ok_or_else(|| fault::missing_parameter("DBInstanceStorage"))?;
    if !(5..=32000).contains(&storage) {
        return Err(fault::invalid_parameter("DBInstanceStorage").into());
    }
    let entries = whitelist::parse_entries(p.required("SecurityIPList")?)?;
    if entries.len() > MAX_ENTRIES {
        return Err(fault::security_ip_quota().into());
    }
    let network_type = p
        .str("InstanceNetworkType")
        .unwrap_or(if p.str("VPCId").is_some() {
            "VPC"
        } else {
            "Classic"
        })
        .to_string();
    let region = ctx.region().to_string();
    let (vpc_id, vswitch_id, zone) = match network_type.as_str() {
        "VPC" => {
            let vpc_id = p.required("VPCId")?;
            let vsw_id = p.required("VSwitchId")?;
            let vpc = tx.load::<Vpc>(vpc_id)?.ok_or_else(fault::vpc_not_found)?;
            let vsw = tx
                .load::<VSwitch>(vsw_id)?
                .ok_or_else(fault::vswitch_not_found)?;
            if vsw.vpc_id != vpc.id {
                return Err(fault::vswitch_not_found().into());
            }
            (
                Some(vpc.id),
                Some(vsw.id),
                p.str("ZoneId").unwrap_or(&vsw.zone_id).to_string(),
            )
        }
        "Classic" => (
            None,
            None,
            p.str("ZoneId")
                .map(str::to_string)
                .unwrap_or_else(|| format!("{region}-b")),
        ),
        _ => return Err(fault::invalid_parameter("InstanceNetworkType").into()),
    };
    let id = ctx.id("rm");
    let db = RdsInstance {
        id: id.clone(),
        region,
        zone_id: zone,
        engine: engine.clone(),
        engine_version: p.required("EngineVersion")?.to_string(),
        class: p.required("DBInstanceClass")?.to_string(),
        storage_gb: storage,
        storage_type: p
            .str("DBInstanceStorageType")
            .unwrap_or("cloud_essd")
            .to_string(),
        net_type,
        network_type,
        vpc_id,
        vswitch_id,
        description: p.str("DBInstanceDescription").unwrap_or("").to_string(),
        pay_type,
        category: p.str("Category").unwrap_or("HighAvailability").to_string(),
        status: DbStatus::Creating,
        port: default_port(&engine),
        created_ms: ctx.now_ms,
        ip_groups: vec![IpGroup::new(DEFAULT_GROUP, entries)],
        security_group_ids: Vec::new(),
    };
    tx.save(&db)?;
    tx.enqueue(
        ctx.now_ms + ctx.cloud.timing.db_create_ms,
        DB_READY,
        &json!({"db": id}).to_string(),
    )?;
    Ok(json!({
        "DBInstanceId": id, "OrderId": ctx.cloud.ids.digits(15), "ConnectionString": connection_string(&db),
        "Port": db.port.to_string(), "TaskId": "", "Message": "", "DryRun": false, "DryRunResult": false, "TagResult": false,
    }))
}

fn connection_string(db: &RdsInstance) -> String {
    format!("{}.{}.rds.aliyuncs.com", db.id, engine_host(&db.engine))
}

fn load_db(tx: &mut dyn Tx, id: &str) -> Result<RdsInstance> {
    Ok(tx
        .load::<RdsInstance>(id)?
        .ok_or_else(fault::db_instance_not_found)?)
}

fn item_json(db: &RdsInstance) -> Value {
    json!({
        "DBInstanceId": db.id, "DBInstanceDescription": db.description, "DBInstanceStatus": db.status.as_str(),
        "Engine": db.engine, "EngineVersion": db.engine_version, "DBInstanceClass": db.class,
        "DBInstanceType": "Primary", "DBInstanceNetType": db.net_type, "InstanceNetworkType": db.network_type,
        "VpcId": db.vpc_id.clone().unwrap_or_default(), "VSwitchId": db.vswitch_id.clone().unwrap_or_default(),
        "ZoneId": db.zone_id, "RegionId": db.region, "ConnectionString": connection_string(db),
        "CreateTime": second_time(db.created_ms), "PayType": db.pay_type, "LockMode": "Unlock",
        "DBInstanceStorageType": db.storage_type, "Category": db.category, "ReadOnlyDBInstanceIds": [],
        "MutriORsignle": false, "ResourceGroupId": "", "Tags": [],
    })
}

fn describe(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let region = ctx.region().to_string();
    let ids: Vec<String> = p
        .str("DBInstanceId")
        .map(|s| s.split(',').map(|x| x.trim().to_string()).collect())
        .unwrap_or_default();
    let status = p.str("DBInstanceStatus");
    let engine = p.str("Engine");
    let vpc = p.str("VpcId");
    let vsw = p.str("VSwitchId");
    let net = p.str("InstanceNetworkType");
    let (number, size) = paging(p, 30, 100)?;
    let all: Vec<RdsInstance> = tx
        .list::<RdsInstance>(&Filter {
            region: Some(&region),
            ..Default::default()
        })?
        .into_iter()
        .filter(|d| ids.is_empty() || ids.contains(&d.id))
        .filter(|d| status.is_none_or(|s| d.status.as_str() == s))
        .filter(|d| engine.is_none_or(|e| d.engine == e))
        .filter(|d| vpc.is_none_or(|v| d.vpc_id.as_deref() == Some(v)))
        .filter(|d| vsw.is_none_or(|v| d.vswitch_id.as_deref() == Some(v)))
        .filter(|d| net.is_none_or(|n| d.network_type.eq_ignore_ascii_case(n)))
        .collect();
    let total = all.len();
    let items: Vec<Value> = page(all, number, size).iter().map(item_json).collect();
    Ok(
        json!({"PageNumber": number, "PageRecordCount": items.len(), "TotalRecordCount": total, "Items": items}),
    )
}

fn all_entries(db: &RdsInstance) -> String {
    let mut all: Vec<&str> = Vec::new();
    for g in &db.ip_groups {
        for e in &g.entries {
            if !all.contains(&e.as_str()) {
                all.push(e);
            }
        }
    }
    all.join(",")
}

fn attribute(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let db = load_db(tx, ctx.params.required("DBInstanceId")?)?;
    let mut item = item_json(&db);
    if let Value::Object(m) = &mut item {
        m.insert("Port".into(), json!(db.port.to_string()));
        m.insert("DBInstanceStorage".into(), json!(db.storage_gb));
        m.insert("SecurityIPList".into(), json!(all_entries(&db)));
        m.insert("SecurityIPMode".into(), json!("normal"));
        m.insert("IPType".into(), json!("IPv4"));
        m.insert("MaxConnections".into(), json!(2000));
        m.insert(
            "VpcCloudInstanceId".into(),
            json!(db
                .vpc_id
                .as_ref()
                .map(|_| format!("{}-vpc", db.id))
                .unwrap_or_default()),
        );
    }
    Ok(json!({"Items": [item]}))
}

fn delete(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let mut db = load_db(tx, ctx.params.required("DBInstanceId")?)?;
    if db.status != DbStatus::Running {
        return Err(fault::db_instance_state().into());
    }
    db.status = DbStatus::Deleting;
    tx.save(&db)?;
    tx.enqueue(
        ctx.now_ms + ctx.cloud.timing.db_delete_ms,
        DB_GONE,
        &json!({"db": db.id}).to_string(),
    )?;
    Ok(json!({"RegionId": db.region}))
}

/// Job: a created instance is Running.
pub fn ready(tx: &mut dyn Tx, id: &str) -> Result<()> {
    if let Some(mut db) = tx.load::<RdsInstance>(id)? {
        if db.status == DbStatus::Creating {
            db.status = DbStatus::Running;
            tx.save(&db)?;
        }
    }
    Ok(())
}

/// Job: a deleted instance is gone, and detached from every scaling group that named it.
pub fn gone(tx: &mut dyn Tx, id: &str) -> Result<()> {
    let Some(db) = tx.load::<RdsInstance>(id)? else {
        return Ok(());
    };
    tx.remove::<RdsInstance>(id)?;
    for mut g in tx.list::<ScalingGroup>(&Filter {
        region: Some(&db.region),
        ..Default::default()
    })? {
        let before = g.db_instances.len();
        g.db_instances.retain(|a| a.db_id != id);
        if g.db_instances.len() != before {
            tx.save(&g)?;
        }
    }
    Ok(())
}

fn modify_security_ips(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let mut db = load_db(tx, p.required("DBInstanceId")?)?;
    let entries = whitelist::parse_entries(p.required("SecurityIps")?)?;
    let group = p
        .str("DBInstanceIPArrayName")
        .unwrap_or(DEFAULT_GROUP)
        .to_string();
    // The API docs spell the default group "Default"; the stored group is `default`.
    let group = if group.eq_ignore_ascii_case(DEFAULT_GROUP) {
        DEFAULT_GROUP.to_string()
    } else {
        group
    };
    if !whitelist::valid_group_name(&group) {
        return Err(fault::ip_array_name_format().into());
    }
    let attribute = p.str("DBInstanceIPArrayAttribute");
    if attribute.is_some_and(|a| a != "hidden") {
        return Err(fault::ip_array_attribute_format().into());
    }
    if let Some(t) = p.str("WhitelistNetworkType") {
        if !["MIX", "Classic", "VPC"].contains(&t) {
            return Err(esl_domain::Fault {
                status: 400,
                code: "InvalidWhitelistNetType.Malformed".into(),
                message: "Specified WhitelistNetType  is not valid.".into(),
            }
            .into());
        }
    }
    let mode = ModifyMode::parse(p.str("ModifyMode"))?;
    if db.status != DbStatus::Running {
        return Err(fault::db_instance_state().into());
    }
    whitelist::modify(
        &mut db.ip_groups,
        &group,
        attribute,
        mode,
        &entries,
        MAX_ENTRIES,
    )?;
    tx.save(&db)?;
    Ok(json!({"TaskId": ctx.cloud.ids.digits(9)}))
}

fn ip_array_list(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let db = load_db(tx, ctx.params.required("DBInstanceId")?)?;
    let items: Vec<Value> = db
        .ip_groups
        .iter()
        .map(|g| {
            json!({
                "DBInstanceIPArrayName": g.name, "DBInstanceIPArrayAttribute": g.attribute, "SecurityIPType": "IPv4",
                "SecurityIPList": g.entries.join(","), "WhitelistNetworkType": "MIX",
            })
        })
        .collect();
    Ok(json!({"Items": items}))
}
