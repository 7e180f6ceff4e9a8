//! ApsaraDB RDS (2014-08-15): instances with their status flow, and IP whitelists.

use esl_domain::database::parse_security_group_ids;
use esl_domain::fault;
use esl_domain::model::{DbStatus, RdsInstance, SecurityGroup, VSwitch, Vpc};
use esl_domain::whitelist::{self, IpGroup, ModifyMode, DEFAULT_GROUP, MAX_ENTRIES};
use esl_store::{Filter, Tx, TxExt};
use serde_json::{json, Value};

use crate::util::{page, paging, second_time};
use crate::{Cloud, Ctx, Family, Result};

pub const DB_READY: &str = "rds.instance.ready";
pub const DB_GONE: &str = "rds.instance.gone";
/// A ModifyDBInstanceNetworkType move to a VPC is done (payload: db, vpc, vsw).
pub const DB_NET_CHANGED: &str = "rds.instance.net_changed";

/// WhitelistNetworkType values (ModifySecurityIps, DescribeDBInstanceIPArrayList).
const WHITELIST_NET_TYPES: [&str; 3] = ["MIX", "Classic", "VPC"];

pub fn register(cloud: &mut Cloud) {
    let f = Family::Rds;
    cloud.add(f, "CreateDBInstance", create);
    cloud.add(f, "DescribeDBInstances", describe);
    cloud.add(f, "DescribeDBInstanceAttribute", attribute);
    cloud.add(f, "DeleteDBInstance", delete);
    cloud.add(f, "ModifySecurityIps", modify_security_ips);
    cloud.add(f, "DescribeDBInstanceIPArrayList", ip_array_list);
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
    cloud.add(f, "SwitchDBInstanceNetType", switch_net_type);
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
        connection_host: None,
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

fn host_for(prefix: &str, engine: &str) -> String {
    format!("{prefix}.{}.rds.aliyuncs.com", engine_host(engine))
}

/// The endpoint the describes show: the one SwitchDBInstanceNetType set, or the default host.
fn connection_string(db: &RdsInstance) -> String {
    db.connection_host
        .clone()
        .unwrap_or_else(|| host_for(&db.id, &db.engine))
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
    crate::membership::detach_everywhere(tx, &db.region, id)
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
    let net_type = p.str("WhitelistNetworkType");
    if net_type.is_some_and(|t| !WHITELIST_NET_TYPES.contains(&t)) {
        return Err(fault::rds_whitelist_net_type_malformed().into());
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
    // The group keeps the network type it was given (a new group without one is MIX).
    if let Some(t) = net_type {
        if let Some(g) = db.ip_groups.iter_mut().find(|g| g.name == group) {
            g.network_type = t.to_string();
        }
    }
    tx.save(&db)?;
    Ok(json!({"TaskId": ctx.cloud.ids.digits(9)}))
}

fn ip_array_list(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let db = load_db(tx, ctx.params.required("DBInstanceId")?)?;
    let wanted = ctx.params.str("WhitelistNetworkType");
    if wanted.is_some_and(|t| !WHITELIST_NET_TYPES.contains(&t)) {
        return Err(fault::rds_whitelist_net_type_format().into());
    }
    let items: Vec<Value> = db
        .ip_groups
        .iter()
        .filter(|g| wanted.is_none_or(|t| g.network_type == t))
        .map(|g| {
            json!({
                "DBInstanceIPArrayName": g.name, "DBInstanceIPArrayAttribute": g.attribute, "SecurityIPType": "IPv4",
                "SecurityIPList": g.entries.join(","), "WhitelistNetworkType": g.network_type,
            })
        })
        .collect();
    Ok(json!({"Items": items}))
}

/// `EcsSecurityGroupRelation` items for the bound security groups (with names for Describe).
fn security_group_items(tx: &mut dyn Tx, db: &RdsInstance, names: bool) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for id in &db.security_group_ids {
        let sg = tx.load::<SecurityGroup>(id)?;
        let network = match sg.as_ref().map(|g| g.vpc_id.is_some()) {
            Some(false) => "Classic",
            _ => "VPC",
        };
        let mut item =
            json!({"SecurityGroupId": id, "RegionId": db.region, "NetworkType": network});
        if names {
            item["SecurityGroupName"] = json!(sg.map(|g| g.name).unwrap_or_default());
        }
        out.push(item);
    }
    Ok(out)
}

/// Overwrites the bound ECS security groups with the comma list (`Empty` clears: an empty string
/// is refused as a missing parameter, which is why Terraform sends `Empty`; at most 10; each must
/// exist in the instance's region; the instance must be Running).
fn modify_security_groups(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let mut db = load_db(tx, p.required("DBInstanceId")?)?;
    let ids = parse_security_group_ids(p.required("SecurityGroupId")?);
    db.set_security_groups(ids)?;
    for id in &db.security_group_ids {
        tx.load::<SecurityGroup>(id)?
            .filter(|g| g.region == db.region)
            .ok_or_else(fault::security_group_not_found)?;
    }
    tx.save(&db)?;
    let items = security_group_items(tx, &db, false)?;
    Ok(json!({"DBInstanceName": db.id, "Items": items}))
}

fn describe_security_groups(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let db = load_db(tx, ctx.params.required("DBInstanceId")?)?;
    let items = security_group_items(tx, &db, true)?;
    Ok(json!({"DBInstanceName": db.id, "Items": items}))
}

/// `True`/`False` (any case); absent is false.
fn flag(p: &esl_wire::Params, name: &str) -> Result<bool> {
    match p.str(name) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(fault::invalid_parameter(name).into()),
    }
}

/// Classic -> VPC: DBInstanceNetTypeChanging now, Running in the VPC and vSwitch after a short
/// delay (the create delay). VPC -> VPC is NetTypeExists; VPC -> Classic is refused.
fn modify_network_type(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let mut db = load_db(tx, p.required("DBInstanceId")?)?;
    match p.required("InstanceNetworkType")? {
        t if t.eq_ignore_ascii_case("VPC") => {
            if db.network_type == "VPC" {
                return Err(fault::net_type_exists().into());
            }
        }
        t if t.eq_ignore_ascii_case("Classic") => {
            return Err(if db.network_type == "Classic" {
                fault::net_type_exists()
            } else {
                fault::rds_net_type_denied()
            }
            .into());
        }
        _ => return Err(fault::rds_network_type_unsupported().into()),
    }
    let retain = flag(p, "RetainClassic")?;
    if let Some(days) = p.str("ClassicExpiredDays") {
        if !days.parse::<u32>().is_ok_and(|d| (1..=120).contains(&d)) {
            return Err(fault::invalid_parameter("ClassicExpiredDays").into());
        }
    }
    if db.status != DbStatus::Running {
        return Err(fault::rds_net_change_status().into());
    }
    let vpc_id = p.required("VPCId")?;
    let vsw_id = p.required("VSwitchId")?;
    let vpc = tx
        .load::<Vpc>(vpc_id)?
        .filter(|v| v.region == db.region)
        .ok_or_else(fault::vpc_not_found)?;
    let vsw = tx
        .load::<VSwitch>(vsw_id)?
        .filter(|v| v.region == db.region)
        .ok_or_else(fault::vswitch_not_found)?;
    if vsw.vpc_id != vpc.id {
        return Err(fault::rds_vswitch_not_in_vpc().into());
    }
    if let Some(ip) = p.str("PrivateIpAddress") {
        let net: Option<ipnet::Ipv4Net> = vsw.cidr.parse().ok();
        let addr: Option<std::net::Ipv4Addr> = ip.parse().ok();
        if !matches!((net, addr), (Some(n), Some(a)) if n.contains(&a)) {
            return Err(fault::invalid_parameter("PrivateIpAddress").into());
        }
    }
    db.status = DbStatus::NetTypeChanging;
    tx.save(&db)?;
    tx.enqueue(
        ctx.now_ms + ctx.cloud.timing.db_create_ms,
        DB_NET_CHANGED,
        &json!({"db": db.id, "vpc": vpc.id, "vsw": vsw.id, "retain_classic": retain}).to_string(),
    )?;
    Ok(json!({"ConnectionString": connection_string(&db), "TaskId": ctx.cloud.ids.digits(9)}))
}

/// Job: a move to a VPC is done; the instance is Running in its VPC and vSwitch.
pub fn net_changed(tx: &mut dyn Tx, id: &str, vpc_id: &str, vsw_id: &str) -> Result<()> {
    if let Some(mut db) = tx.load::<RdsInstance>(id)? {
        if db.status == DbStatus::NetTypeChanging {
            db.status = DbStatus::Running;
            db.network_type = "VPC".to_string();
            db.vpc_id = Some(vpc_id.to_string());
            db.vswitch_id = Some(vsw_id.to_string());
            tx.save(&db)?;
        }
    }
    Ok(())
}

/// A classic instance's endpoint moves between intranet and internet under a new prefix (8 to 64
/// lowercase letters and digits) and, if given, port (3001 to 3999).
fn switch_net_type(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let mut db = load_db(tx, p.required("DBInstanceId")?)?;
    let prefix = p.required("ConnectionStringPrefix")?;
    let valid_prefix = (8..=64).contains(&prefix.len())
        && prefix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !valid_prefix {
        return Err(fault::rds_connection_prefix_malformed().into());
    }
    let port = match p.str("Port") {
        None => db.port,
        Some(s) => s
            .parse::<u16>()
            .ok()
            .filter(|n| (3001..=3999).contains(n))
            .ok_or_else(fault::rds_port_malformed)?,
    };
    if p.str("ConnectionStringType")
        .is_some_and(|t| !t.eq_ignore_ascii_case("Normal"))
    {
        return Err(fault::invalid_parameter("ConnectionStringType").into());
    }
    if db.network_type != "Classic" {
        return Err(fault::rds_net_type_denied().into());
    }
    if db.status != DbStatus::Running {
        return Err(fault::db_instance_state().into());
    }
    let new = host_for(prefix, &db.engine);
    let taken = tx
        .list::<RdsInstance>(&Filter {
            region: Some(&db.region),
            ..Default::default()
        })?
        .iter()
        .any(|d| connection_string(d) == new);
    if taken {
        return Err(fault::rds_connection_string_duplicate().into());
    }
    let old = connection_string(&db);
    db.net_type = if db.net_type == "Internet" {
        "Intranet"
    } else {
        "Internet"
    }
    .to_string();
    db.connection_host = Some(new.clone());
    db.port = port;
    tx.save(&db)?;
    Ok(json!({"NewConnectionString": new, "OldConnectionString": old}))
}
