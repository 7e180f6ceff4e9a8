//! The access explainer's I/O: loads an ECS instance and a database (any product), asks
//! `esl_domain::access`, and renders the verdict with the fixes as the API calls that make them;
//! also the matrix of a scaling group's instances against its associated databases.

use esl_domain::access::{self, Fact, Fix, Product, Source, Target, Verdict};
use esl_domain::database::{ApsaraDatabase, Engine};
use esl_domain::model::{
    AttachMode, DbStatus, EcsInstance, LifecycleHook, RdsInstance, ScalingGroup, ScalingInstance,
    SecurityGroup, VSwitch,
};
use esl_domain::{fault, Fault};
use esl_store::{Filter, Tx, TxExt};
use esl_wire::ApiError;
use serde_json::{json, Value};

use crate::{Cloud, Error, Result};

/// A database as the explainer sees it, whichever product it is.
struct Db {
    id: String,
    region: String,
    product: Product,
    status: DbStatus,
    network_type: String,
    vpc_id: Option<String>,
    vswitch_id: Option<String>,
    port: u16,
    ip_groups: Vec<esl_domain::whitelist::IpGroup>,
    security_group_ids: Vec<String>,
}

impl Db {
    fn status_text(&self) -> &'static str {
        match (self.product, self.status) {
            (Product::Redis, DbStatus::Running) => "Normal",
            (_, s) => s.as_str(),
        }
    }
}

fn load_db(tx: &mut dyn Tx, id: &str) -> Result<Db> {
    if let Some(r) = tx.load::<RdsInstance>(id)? {
        return Ok(Db {
            id: r.id,
            region: r.region,
            product: Product::Rds,
            status: r.status,
            network_type: r.network_type,
            vpc_id: r.vpc_id,
            vswitch_id: r.vswitch_id,
            port: r.port,
            ip_groups: r.ip_groups,
            security_group_ids: r.security_group_ids,
        });
    }
    if let Some(d) = tx.load::<ApsaraDatabase>(id)? {
        return Ok(Db {
            id: d.id,
            region: d.region,
            product: match d.engine {
                Engine::Polardb => Product::Polardb,
                Engine::MongoDb => Product::MongoDb,
                Engine::AdbMysql => Product::AdbMysql,
                Engine::AdbPg => Product::AdbPg,
                Engine::Redis => Product::Redis,
            },
            status: d.status,
            network_type: d.network_type,
            vpc_id: d.vpc_id,
            vswitch_id: d.vswitch_id,
            port: d.port,
            ip_groups: d.ip_groups,
            security_group_ids: d.security_group_ids,
        });
    }
    Err(fault::db_instance_not_found().into())
}

fn load_groups(tx: &mut dyn Tx, ids: &[String]) -> Result<Vec<SecurityGroup>> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(g) = tx.load::<SecurityGroup>(id)? {
            out.push(g);
        }
    }
    Ok(out)
}

/// What keeps the instance's IP in the database's whitelist: its scaling group's association
/// (Method 2) or a lifecycle hook whose OOS template names the database (Method 3).
fn maintainers(tx: &mut dyn Tx, ecs: &EcsInstance, db: &Db) -> Result<Vec<Fact>> {
    let mut out = Vec::new();
    let Some(group_id) = ecs.scaling_group_id.as_deref() else {
        return Ok(out);
    };
    if let Some(g) = tx.load::<ScalingGroup>(group_id)? {
        if let Some(a) = g.db_instances.iter().find(|a| a.db_id == db.id) {
            let (code, message) = match a.mode {
                AttachMode::SecurityIp => ("AssociatedWithScalingGroup", format!("Scaling group {} is associated with database {} (AttachMode SecurityIp): ESS keeps its instances' private IPs in the database's default whitelist group.", g.id, db.id)),
                AttachMode::SecurityGroup => ("AssociatedWithScalingGroup", format!("Scaling group {} is associated with database {} (AttachMode SecurityGroup): ESS bound its configuration's security groups to the database.", g.id, db.id)),
            };
            out.push(Fact {
                code,
                message,
                resource_id: g.id.clone(),
                blocks: false,
            });
        }
    }
    let hooks = tx.list::<LifecycleHook>(&Filter {
        parent: Some(group_id),
        ..Default::default()
    })?;
    for h in hooks {
        let names_db = hook_databases(&h).contains(&db.id);
        let template = h
            .notification_arn
            .as_deref()
            .and_then(|a| a.split_once(":template/").map(|(_, t)| t.to_string()));
        if let (true, Some(t)) = (names_db, template) {
            out.push(Fact {
                code: "MaintainedByLifecycleHook",
                message: format!(
                    "Lifecycle hook {} ({}) runs OOS template {t} on database {}, which adds the group's new instances to its whitelist and removes departing ones.",
                    h.id,
                    h.transition.as_str(),
                    db.id
                ),
                resource_id: h.id.clone(),
                blocks: false,
            });
        }
    }
    Ok(out)
}

/// The databases a lifecycle hook's OOS template works on: the public templates name them in
/// NotificationMetadata as `dbInstanceId` (MongoDB, Redis) or `dbClusterId` (PolarDB, AnalyticDB).
fn hook_databases(h: &LifecycleHook) -> Vec<String> {
    let Some(Value::Object(m)) = h
        .notification_metadata
        .as_deref()
        .and_then(|m| serde_json::from_str::<Value>(m).ok())
    else {
        return Vec::new();
    };
    ["dbInstanceId", "dbClusterId", "DBInstanceId", "DBClusterId"]
        .iter()
        .filter_map(|k| m.get(*k).and_then(Value::as_str).map(str::to_string))
        .collect()
}

/// The API call that makes a fix, with its product, version and parameters.
fn render_fix(fix: &Fix, db: &Db, region: &str, group: Option<&str>) -> Value {
    let call = |product: &str, version: &str, action: &str, params: Value| json!({"Product": product, "Version": version, "Action": action, "Parameters": params});
    let (code, message, calls) = match fix {
        Fix::StartInstance { instance_id } => (
            "StartInstance",
            format!("Start ECS instance {instance_id}."),
            vec![call("Ecs", "2014-05-26", "StartInstance", json!({"InstanceId": instance_id}))],
        ),
        Fix::AddToWhitelist { db_id, ip } => {
            let mut calls = vec![match db.product {
                Product::Rds => call("Rds", "2014-08-15", "ModifySecurityIps", json!({"DBInstanceId": db_id, "SecurityIps": ip, "DBInstanceIPArrayName": "default", "ModifyMode": "Append"})),
                Product::Polardb => call("polardb", "2017-08-01", "ModifyDBClusterAccessWhitelist", json!({"DBClusterId": db_id, "SecurityIps": ip, "DBClusterIPArrayName": "default", "ModifyMode": "Append"})),
                Product::MongoDb => call("Dds", "2015-12-01", "ModifySecurityIps", json!({"DBInstanceId": db_id, "SecurityIps": ip, "SecurityIpGroupName": "default", "ModifyMode": "Append"})),
                Product::AdbMysql => call("adb", "2019-03-15", "ModifyDBClusterAccessWhiteList", json!({"DBClusterId": db_id, "SecurityIps": ip, "DBClusterIPArrayName": "default", "ModifyMode": "Append"})),
                Product::AdbPg => call("gpdb", "2016-05-03", "ModifySecurityIps", json!({"DBInstanceId": db_id, "SecurityIPList": ip, "DBInstanceIPArrayName": "default", "ModifyMode": "Append"})),
                Product::Redis => call("R-kvstore", "2015-01-01", "ModifySecurityIps", json!({"InstanceId": db_id, "SecurityIps": ip, "SecurityIpGroupName": "default", "ModifyMode": "Append"})),
            }];
            let mut message = format!("Add {ip} to the default whitelist group of database {db_id}.");
            if let (Some(g), Product::Rds) = (group, db.product) {
                message.push_str(&format!(" Or associate scaling group {g} with it (ForceAttach adds the current instances' IPs, and ESS keeps them right from then on)."));
                calls.push(call("Ess", "2022-02-22", "AttachDBInstances", json!({"RegionId": region, "ScalingGroupId": g, "DBInstances": [db_id], "ForceAttach": true})));
            }
            ("AddToWhitelist", message, calls)
        }
        Fix::BindSecurityGroup { db_id, security_group_id, bound } => {
            let mut all = bound.clone();
            all.push(security_group_id.clone());
            let list = all.join(",");
            let c = match db.product {
                Product::Rds => call("Rds", "2014-08-15", "ModifySecurityGroupConfiguration", json!({"DBInstanceId": db_id, "SecurityGroupId": list})),
                Product::MongoDb => call("Dds", "2015-12-01", "ModifySecurityGroupConfiguration", json!({"DBInstanceId": db_id, "SecurityGroupId": list})),
                Product::Redis => call("R-kvstore", "2015-01-01", "ModifySecurityGroupConfiguration", json!({"DBInstanceId": db_id, "SecurityGroupId": list})),
                _ => call("polardb", "2017-08-01", "ModifyDBClusterAccessWhitelist", json!({"DBClusterId": db_id, "WhiteListType": "SecurityGroup", "SecurityGroupIds": list})),
            };
            (
                "BindSecurityGroup",
                format!("Bind security group {security_group_id} to database {db_id} (Method 1: the instance and the database then share it)."),
                vec![c],
            )
        }
        Fix::MoveDatabaseToVpc { db_id, vpc_id, vswitch_id, zone_id } => {
            let c = match db.product {
                Product::MongoDb => call("Dds", "2015-12-01", "ModifyDBInstanceNetworkType", json!({"DBInstanceId": db_id, "NetworkType": "VPC", "VpcId": vpc_id, "VSwitchId": vswitch_id, "ZoneId": zone_id})),
                _ => call("Rds", "2014-08-15", "ModifyDBInstanceNetworkType", json!({"DBInstanceId": db_id, "InstanceNetworkType": "VPC", "VPCId": vpc_id, "VSwitchId": vswitch_id})),
            };
            (
                "ChangeDatabaseNetworkType",
                format!("Change the network type of database {db_id} from Classic to VPC, in VPC {vpc_id} and vSwitch {vswitch_id}."),
                vec![c],
            )
        }
        Fix::UseDatabaseVpc { instance_id, vpc_id } => (
            "UseDatabaseVpc",
            match vpc_id {
                Some(v) => format!("Run ECS instance {instance_id} in VPC {v}: create a VPC-type scaling group with vSwitches of {v} (a scaling group's network type and VPC never change)."),
                None => format!("Run ECS instance {instance_id} in the database's network."),
            },
            vec![],
        ),
        Fix::SetInnerAccessAccept { security_group_id } => (
            "SetInnerAccessAccept",
            format!("Set the InnerAccessPolicy of security group {security_group_id} to Accept."),
            vec![call("Ecs", "2014-05-26", "ModifySecurityGroupPolicy", json!({"RegionId": region, "SecurityGroupId": security_group_id, "InnerAccessPolicy": "Accept"}))],
        ),
        Fix::RevokeRule { security_group_id, rule_id, direction } => (
            "RevokeRule",
            format!("Revoke {direction} rule {rule_id} of security group {security_group_id}."),
            vec![call(
                "Ecs",
                "2014-05-26",
                if direction == "egress" { "RevokeSecurityGroupEgress" } else { "RevokeSecurityGroup" },
                json!({"RegionId": region, "SecurityGroupId": security_group_id, "SecurityGroupRuleId": [rule_id]}),
            )],
        ),
        Fix::AuthorizeIngress { security_group_id, source_cidr, port } => (
            "AuthorizeIngress",
            format!("Allow TCP port {port} from {source_cidr} in security group {security_group_id}."),
            vec![call("Ecs", "2014-05-26", "AuthorizeSecurityGroup", json!({"RegionId": region, "SecurityGroupId": security_group_id, "IpProtocol": "TCP", "PortRange": format!("{port}/{port}"), "SourceCidrIp": source_cidr}))],
        ),
        Fix::AuthorizeEgress { security_group_id, dest_cidr, port } => (
            "AuthorizeEgress",
            format!("Allow outbound TCP port {port} to {dest_cidr} in security group {security_group_id}."),
            vec![call("Ecs", "2014-05-26", "AuthorizeSecurityGroupEgress", json!({"RegionId": region, "SecurityGroupId": security_group_id, "IpProtocol": "TCP", "PortRange": format!("{port}/{port}"), "DestCidrIp": dest_cidr}))],
        ),
        Fix::WaitForDatabase { db_id } => (
            "WaitForDatabase",
            format!("Wait until database {db_id} is running."),
            vec![],
        ),
        Fix::UsePort { db_id, port } => (
            "UsePort",
            format!("Connect to port {port}, where database {db_id} listens."),
            vec![],
        ),
    };
    json!({"Code": code, "Message": message, "Calls": calls})
}

fn fact_json(f: &Fact) -> Value {
    json!({"Code": f.code, "Message": f.message, "ResourceId": f.resource_id, "Blocking": f.blocks})
}

fn verdict_json(v: &Verdict, extra: Vec<Fact>, ecs: &EcsInstance, db: &Db, port: u16) -> Value {
    let mut facts: Vec<Value> = v.facts.iter().map(fact_json).collect();
    if v.method == Some(access::Method::Whitelist)
        || v.method == Some(access::Method::SecurityGroup)
    {
        facts.extend(extra.iter().map(fact_json));
    }
    let fixes: Vec<Value> = v
        .fixes
        .iter()
        .map(|f| render_fix(f, db, &ecs.region, ecs.scaling_group_id.as_deref()))
        .collect();
    json!({
        "InstanceId": ecs.id,
        "PrivateIpAddress": ecs.private_ip,
        "DatabaseId": db.id,
        "Port": port,
        "Allowed": v.allowed,
        "Method": v.method.map(|m| m.as_str()),
        "Explanations": facts,
        "Fixes": fixes,
    })
}

fn explain_in(tx: &mut dyn Tx, from: &str, to: &str, port: Option<u16>) -> Result<Value> {
    let ecs = tx
        .load::<EcsInstance>(from)?
        .ok_or_else(fault::instance_not_found)?;
    let db = load_db(tx, to)?;
    if db.region != ecs.region {
        return Err(Fault {
            status: 400,
            code: "InvalidRegionId.Mismatch".into(),
            message: format!(
                "ECS instance {} is in {} and database {} in {}.",
                ecs.id, ecs.region, db.id, db.region
            ),
        }
        .into());
    }
    let src_groups = load_groups(tx, &ecs.security_group_ids)?;
    let db_groups = load_groups(tx, &db.security_group_ids)?;
    let address = match db.vswitch_id.as_deref() {
        Some(v) => tx.load::<VSwitch>(v)?.and_then(|v| v.cidr.parse().ok()),
        None => None,
    };
    let src = Source {
        id: &ecs.id,
        status: ecs.status.as_str(),
        vpc_id: ecs.vpc_id.as_deref(),
        vswitch_id: ecs.vswitch_id.as_deref(),
        zone_id: &ecs.zone_id,
        private_ip: ecs.private_ip.as_deref(),
        security_groups: src_groups.iter().collect(),
    };
    let dst = Target {
        id: &db.id,
        product: db.product,
        running: db.status == DbStatus::Running,
        status: db.status_text(),
        network_type: &db.network_type,
        vpc_id: db.vpc_id.as_deref(),
        address,
        port: db.port,
        ip_groups: &db.ip_groups,
        security_groups: db_groups.iter().collect(),
    };
    let verdict = access::explain(&src, &dst, port);
    let extra = maintainers(tx, &ecs, &db)?;
    Ok(verdict_json(
        &verdict,
        extra,
        &ecs,
        &db,
        port.unwrap_or(db.port),
    ))
}

fn api(e: Error) -> ApiError {
    e.into_api("access")
}

/// `GET /_ess-local/access?from=&to=&port=`.
pub fn explain(cloud: &Cloud, from: &str, to: &str, port: Option<u16>) -> Result<Value, ApiError> {
    cloud
        .store
        .transact(|tx| explain_in(tx, from, to, port))
        .map_err(api)
}

/// The databases a scaling group is associated with: attached ones (Method 2 and AttachMode
/// SecurityGroup), those its lifecycle hooks' OOS templates name (Method 3), and those bound to
/// a security group of its active configuration (Method 1).
fn associated(tx: &mut dyn Tx, g: &ScalingGroup) -> Result<Vec<String>> {
    let mut out: Vec<String> = g.db_instances.iter().map(|a| a.db_id.clone()).collect();
    let push = |id: String, out: &mut Vec<String>| {
        if !out.contains(&id) {
            out.push(id);
        }
    };
    for h in tx.list::<LifecycleHook>(&Filter {
        parent: Some(&g.id),
        ..Default::default()
    })? {
        for id in hook_databases(&h) {
            if load_db(tx, &id).is_ok() {
                push(id, &mut out);
            }
        }
    }
    let sgs = crate::membership::config_security_groups(tx, g)?.unwrap_or_default();
    if !sgs.is_empty() {
        let region = Filter {
            region: Some(&g.region),
            ..Default::default()
        };
        for r in tx.list::<RdsInstance>(&region)? {
            if r.security_group_ids.iter().any(|s| sgs.contains(s)) {
                push(r.id, &mut out);
            }
        }
        for d in tx.list::<ApsaraDatabase>(&region)? {
            if d.security_group_ids.iter().any(|s| sgs.contains(s)) {
                push(d.id, &mut out);
            }
        }
    }
    Ok(out)
}

/// `GET /_ess-local/access?group=&to=&port=`: every instance of the group against each database
/// (`to`, a comma list, or the group's associated databases).
pub fn matrix(
    cloud: &Cloud,
    group_id: &str,
    to: &[String],
    port: Option<u16>,
) -> Result<Value, ApiError> {
    cloud
        .store
        .transact(|tx| {
            let g = tx
                .load::<ScalingGroup>(group_id)?
                .ok_or_else(fault::scaling_group_not_found)?;
            let dbs = if to.is_empty() {
                associated(tx, &g)?
            } else {
                to.to_vec()
            };
            let mut members = tx.list::<ScalingInstance>(&Filter {
                parent: Some(&g.id),
                ..Default::default()
            })?;
            members.sort_by(|a, b| a.id.cmp(&b.id));
            let mut rows = Vec::new();
            for m in &members {
                let mut cells = Vec::new();
                for db in &dbs {
                    cells.push(explain_in(tx, &m.id, db, port)?);
                }
                rows.push(json!({
                    "InstanceId": m.id,
                    "LifecycleState": m.state.as_str(),
                    "Cells": cells,
                }));
            }
            Ok(json!({"ScalingGroupId": g.id, "DatabaseIds": dbs, "Rows": rows}))
        })
        .map_err(api)
}
