//! The ApsaraDB products the OOS lifecycle templates write: PolarDB, MongoDB (Dds), AnalyticDB for
//! MySQL (adb), AnalyticDB for PostgreSQL (gpdb) and Redis (R-kvstore), on one shared whitelist
//! model (esl-domain `database`). This file holds what they share (create with network checks,
//! load, delete, the status jobs, whitelist changes, listing); each product file is its wire
//! mapping.

mod adb;
mod dds;
mod gpdb;
mod kvstore;
mod polardb;

use esl_domain::database::{parse_security_group_ids, ApsaraDatabase, Engine};
use esl_domain::fault;
use esl_domain::model::{DbStatus, SecurityGroup, VSwitch, Vpc};
use esl_store::{Filter, Tx, TxExt};
use esl_wire::Params;
use serde_json::{json, Value};

use crate::util::page;
use crate::{Cloud, Ctx, Result};

pub const DB_READY: &str = "apsaradb.ready";
pub const DB_GONE: &str = "apsaradb.gone";
/// A MongoDB ModifyDBInstanceNetworkType move to a VPC is done (payload: db, vpc, vsw, zone).
pub const DB_NET_CHANGED: &str = "apsaradb.net_changed";

pub fn register(cloud: &mut Cloud) {
    polardb::register(cloud);
    dds::register(cloud);
    adb::register(cloud);
    gpdb::register(cloud);
    kvstore::register(cloud);
}

/// What a Create action asks for, read from its own wire names.
pub(crate) struct NewDb<'a> {
    pub engine: Engine,
    pub id_prefix: &'static str,
    pub zone_id: Option<&'a str>,
    pub vpc_id: Option<&'a str>,
    pub vswitch_id: Option<&'a str>,
    /// The initial `default` group (127.0.0.1 when absent).
    pub security_ips: Option<&'a str>,
    pub description: &'a str,
    pub pay_type: &'a str,
    pub engine_version: &'a str,
    pub class: &'a str,
    pub storage_gb: i64,
    pub db_type: &'a str,
    pub category: &'a str,
    pub mode: &'a str,
    pub nodes: usize,
    pub port: u16,
}

/// Creates an instance in Creating (VPC and vSwitch checked, whitelist validated) and schedules
/// it to become Running.
pub(crate) fn create(ctx: &Ctx<'_>, tx: &mut dyn Tx, new: NewDb<'_>) -> Result<ApsaraDatabase> {
    let rules = new.engine.rules();
    let entries = match new.security_ips {
        Some(text) => rules.parse_entries(text)?,
        None => Vec::new(),
    };
    let ip_groups = rules.initial(entries)?;
    let region = ctx.region().to_string();
    let (network_type, vpc_id, vswitch_id, zone_id) = match (new.vpc_id, new.vswitch_id) {
        (None, None) => (
            "Classic",
            None,
            None,
            new.zone_id
                .map(str::to_string)
                .unwrap_or_else(|| format!("{region}-b")),
        ),
        (_, None) => return Err(fault::missing_parameter("VSwitchId").into()),
        (vpc_id, Some(vsw_id)) => {
            let vsw = tx
                .load::<VSwitch>(vsw_id)?
                .filter(|v| v.region == region)
                .ok_or_else(fault::vswitch_not_found)?;
            if let Some(vpc_id) = vpc_id {
                let vpc = tx
                    .load::<Vpc>(vpc_id)?
                    .filter(|v| v.region == region)
                    .ok_or_else(fault::vpc_not_found)?;
                if vsw.vpc_id != vpc.id {
                    return Err(fault::vswitch_not_found().into());
                }
            }
            (
                "VPC",
                Some(vsw.vpc_id.clone()),
                Some(vsw.id.clone()),
                new.zone_id.unwrap_or(&vsw.zone_id).to_string(),
            )
        }
    };
    let id = ctx.id(new.id_prefix);
    let node_ids = (0..new.nodes).map(|_| ctx.id("pi")).collect();
    let db = ApsaraDatabase {
        id: id.clone(),
        region,
        engine: new.engine,
        status: DbStatus::Creating,
        zone_id,
        network_type: network_type.to_string(),
        vpc_id,
        vswitch_id,
        description: new.description.to_string(),
        pay_type: new.pay_type.to_string(),
        engine_version: new.engine_version.to_string(),
        class: new.class.to_string(),
        storage_gb: new.storage_gb,
        db_type: new.db_type.to_string(),
        category: new.category.to_string(),
        mode: new.mode.to_string(),
        node_ids,
        port: new.port,
        created_ms: ctx.now_ms,
        ip_groups,
        security_group_ids: Vec::new(),
    };
    tx.save(&db)?;
    tx.enqueue(
        ctx.now_ms + ctx.cloud.timing.db_create_ms,
        DB_READY,
        &json!({ "db": id }).to_string(),
    )?;
    Ok(db)
}

/// The instance of this engine with this id, or the engine's not-found error.
pub(crate) fn load(tx: &mut dyn Tx, engine: Engine, id: &str) -> Result<ApsaraDatabase> {
    Ok(tx
        .load::<ApsaraDatabase>(id)?
        .filter(|d| d.engine == engine)
        .ok_or_else(|| engine.not_found())?)
}

/// Deletes a Running instance: Deleting now, gone after `db_delete_ms`.
pub(crate) fn delete(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    engine: Engine,
    id: &str,
) -> Result<ApsaraDatabase> {
    let mut db = load(tx, engine, id)?;
    if db.status != DbStatus::Running {
        return Err(engine.delete_denied().into());
    }
    db.status = DbStatus::Deleting;
    tx.save(&db)?;
    tx.enqueue(
        ctx.now_ms + ctx.cloud.timing.db_delete_ms,
        DB_GONE,
        &json!({ "db": db.id }).to_string(),
    )?;
    Ok(db)
}

/// Job: a created instance is Running.
pub fn ready(tx: &mut dyn Tx, id: &str) -> Result<()> {
    if let Some(mut db) = tx.load::<ApsaraDatabase>(id)? {
        if db.status == DbStatus::Creating {
            db.status = DbStatus::Running;
            tx.save(&db)?;
        }
    }
    Ok(())
}

/// Job: a deleted instance is gone, and detached from every scaling group that named it.
pub fn gone(tx: &mut dyn Tx, id: &str) -> Result<()> {
    let Some(db) = tx.load::<ApsaraDatabase>(id)? else {
        return Ok(());
    };
    tx.remove::<ApsaraDatabase>(id)?;
    crate::membership::detach_everywhere(tx, &db.region, id)
}

/// A whitelist change as the request names it.
pub(crate) struct WhitelistChange<'a> {
    pub group: Option<&'a str>,
    pub attribute: Option<&'a str>,
    pub mode: Option<&'a str>,
    pub security_ips: &'a str,
}

/// Applies a whitelist change under the engine's rules. Checks come in the real order: the
/// instance, the entries, the group name, the mode, then the instance's status and the limits.
pub(crate) fn modify_whitelist(
    tx: &mut dyn Tx,
    engine: Engine,
    id: &str,
    change: WhitelistChange<'_>,
) -> Result<ApsaraDatabase> {
    let mut db = load(tx, engine, id)?;
    let rules = engine.rules();
    let entries = rules.parse_entries(change.security_ips)?;
    let group = rules.group_name(change.group)?;
    let mode = rules.mode(change.mode)?;
    db.modify_whitelist(&group, change.attribute, mode, &entries)?;
    tx.save(&db)?;
    Ok(db)
}

/// This engine's instances in the request's region, in creation order.
pub(crate) fn list(ctx: &Ctx<'_>, tx: &mut dyn Tx, engine: Engine) -> Result<Vec<ApsaraDatabase>> {
    let region = ctx.region().to_string();
    Ok(tx
        .list::<ApsaraDatabase>(&Filter {
            region: Some(&region),
            ..Default::default()
        })?
        .into_iter()
        .filter(|d| d.engine == engine)
        .collect())
}

/// A comma-separated id list parameter (empty when absent).
pub(crate) fn id_list(params: &Params, name: &str) -> Vec<String> {
    params
        .str(name)
        .map(|s| {
            s.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// One page of `all`, rendered by `item`, and the total before paging.
pub(crate) fn page_of(
    all: Vec<ApsaraDatabase>,
    number: i64,
    size: i64,
    item: impl Fn(&ApsaraDatabase) -> Value,
) -> (Vec<Value>, usize) {
    let total = all.len();
    (page(all, number, size).iter().map(item).collect(), total)
}

/// The status as Creating/Running/Deleting (PolarDB, MongoDB, AnalyticDB).
pub(crate) fn status_text(db: &ApsaraDatabase) -> &'static str {
    db.status.as_str()
}

pub(crate) fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// MongoDB and Redis: `SecurityIpGroups` items.
pub(crate) fn security_ip_groups(db: &ApsaraDatabase) -> Vec<Value> {
    db.ip_groups
        .iter()
        .map(|g| {
            json!({"SecurityIpGroupName": g.name, "SecurityIpGroupAttribute": g.attribute,
                   "SecurityIpList": g.entries.join(",")})
        })
        .collect()
}

/// ModifySecurityGroupConfiguration (MongoDB, Redis): the comma list overwrites the bound ECS
/// security groups (`Empty` clears; at most 10; the instance must be Running; each group
/// must exist in the region, and for MongoDB a VPC group must be in the instance's VPC).
pub(crate) fn set_security_groups(
    tx: &mut dyn Tx,
    engine: Engine,
    id: &str,
    list: &str,
) -> Result<ApsaraDatabase> {
    let mut db = load(tx, engine, id)?;
    db.set_security_groups(parse_security_group_ids(list))?;
    for sg in &db.security_group_ids {
        let group = tx
            .load::<SecurityGroup>(sg)?
            .filter(|g| g.region == db.region)
            .ok_or_else(fault::dds_security_group_invalid)?;
        let other_vpc = matches!((&group.vpc_id, &db.vpc_id), (Some(a), Some(b)) if a != b);
        if engine == Engine::MongoDb && other_vpc {
            return Err(fault::dds_security_group_vpc().into());
        }
    }
    tx.save(&db)?;
    Ok(db)
}

/// DescribeSecurityGroupConfiguration items (MongoDB `RdsEcsSecurityGroupRel`, Redis
/// `EcsSecurityGroupRelation`): `NetType` is the group's network, `vpc` or `classic`.
pub(crate) fn security_group_relations(tx: &mut dyn Tx, db: &ApsaraDatabase) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for id in &db.security_group_ids {
        let classic = tx
            .load::<SecurityGroup>(id)?
            .is_some_and(|g| g.vpc_id.is_none());
        let net = if classic { "classic" } else { "vpc" };
        out.push(json!({"SecurityGroupId": id, "RegionId": db.region, "NetType": net}));
    }
    Ok(out)
}

/// Job: a move to a VPC is done; the instance is Running in its VPC, vSwitch and zone.
pub fn net_changed(
    tx: &mut dyn Tx,
    id: &str,
    vpc_id: &str,
    vsw_id: &str,
    zone: &str,
) -> Result<()> {
    if let Some(mut db) = tx.load::<ApsaraDatabase>(id)? {
        if db.status == DbStatus::NetTypeChanging {
            db.status = DbStatus::Running;
            db.network_type = "VPC".to_string();
            db.vpc_id = Some(vpc_id.to_string());
            db.vswitch_id = Some(vsw_id.to_string());
            db.zone_id = zone.to_string();
            tx.save(&db)?;
        }
    }
    Ok(())
}
