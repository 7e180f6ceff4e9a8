//! Scaling groups: create, describe, modify, delete, enable, disable.

use esl_domain::fault;
use esl_domain::model::{
    AttachMode, ConfigState, DbAttachment, DbKind, GroupState, LifecycleState,
    ScalingConfiguration, ScalingGroup, VSwitch,
};
use esl_domain::scaling::{RemovalPolicy, DEFAULT_REMOVAL_POLICIES};
use esl_store::{Filter, Tx, TxExt};
use esl_wire::Params;
use serde_json::{json, Value};

use super::activity::{self, group_instances, Hooks, Trigger};
use super::load_group;
use crate::membership;
use crate::util::{minute_time, page, paging, strings, valid_ess_name};
use crate::{Ctx, Result};

fn removal_policies(params: &Params) -> Result<Option<Vec<String>>> {
    let list = params.list("RemovalPolicies");
    if list.is_empty() {
        return Ok(None);
    }
    for p in &list {
        if RemovalPolicy::parse(p).is_none() {
            return Err(fault::invalid_parameter("RemovalPolicies").into());
        }
    }
    Ok(Some(list))
}

fn vswitches(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Option<(Vec<String>, String)>> {
    let mut ids = ctx.params.list("VSwitchIds");
    if ids.is_empty() {
        if let Some(one) = ctx.params.str("VSwitchId") {
            ids.push(one.to_string());
        }
    }
    if ids.is_empty() {
        return Ok(None);
    }
    let mut vpc: Option<String> = None;
    for id in &ids {
        let v = tx
            .load::<VSwitch>(id)?
            .ok_or_else(fault::ess_vswitch_not_found)?;
        match &vpc {
            None => vpc = Some(v.vpc_id.clone()),
            Some(p) if *p != v.vpc_id => return Err(fault::ess_vswitch_vpc_mismatch().into()),
            _ => {}
        }
    }
    Ok(Some((ids, vpc.unwrap_or_default())))
}

/// The databases named by `DBInstanceIds` (JSON) and `DBInstances.N.*`, checked.
fn db_attachments(ctx: &Ctx<'_>, tx: &mut dyn Tx, region: &str) -> Result<Vec<DbAttachment>> {
    let mut out: Vec<DbAttachment> = Vec::new();
    for id in ctx
        .params
        .json_string_list("DBInstanceIds")?
        .unwrap_or_default()
    {
        out.push(DbAttachment {
            db_id: id,
            kind: DbKind::Rds,
            mode: AttachMode::SecurityIp,
            security_group_ids: Vec::new(),
        });
    }
    for o in ctx.params.objects("DBInstances") {
        let Some(id) = o.string("DBInstanceId") else {
            continue;
        };
        let kind = match o.str("Type") {
            None => DbKind::Rds,
            Some(t) => {
                DbKind::parse(t).ok_or_else(|| fault::invalid_parameter("DBInstances.Type"))?
            }
        };
        let mode = match o.str("AttachMode") {
            None => AttachMode::SecurityIp,
            Some(m) => AttachMode::parse(m)
                .ok_or_else(|| fault::invalid_parameter("DBInstances.AttachMode"))?,
        };
        if !out.iter().any(|a| a.db_id == id) {
            out.push(DbAttachment {
                db_id: id,
                kind,
                mode,
                security_group_ids: Vec::new(),
            });
        }
    }
    check_databases(tx, &out, region, ctx.cloud.quotas.db_instances_per_group)?;
    Ok(out)
}

pub fn check_databases(
    tx: &mut dyn Tx,
    dbs: &[DbAttachment],
    region: &str,
    quota: usize,
) -> Result<()> {
    if dbs.len() > quota {
        return Err(fault::ess_rds_quota().into());
    }
    for a in dbs {
        // SecurityIp is RDS's only (see ess/dbs.rs attach).
        if a.kind != DbKind::Rds && a.mode == AttachMode::SecurityIp {
            return Err(fault::ess_db_type_unsupported(a.kind.as_str()).into());
        }
        let db = membership::load_db(tx, a.kind, &a.db_id)?
            .ok_or_else(|| fault::ess_db_not_found(&a.db_id))?;
        if db.region() != region {
            return Err(fault::ess_db_region_mismatch(&a.db_id).into());
        }
    }
    Ok(())
}

pub fn create(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let region = ctx.region().to_string();
    let min = p
        .int("MinSize")?
        .ok_or_else(|| fault::missing_parameter("MinSize"))?;
    let max = p
        .int("MaxSize")?
        .ok_or_else(|| fault::missing_parameter("MaxSize"))?;
    let quotas = &ctx.cloud.quotas;
    if min < 0 || min > quotas.max_size {
        return Err(fault::invalid_parameter("MinSize").into());
    }
    if max < 0 || max > quotas.max_size {
        return Err(fault::invalid_parameter("MaxSize").into());
    }
    if min > max {
        return Err(fault::conflict("MinSize", "MaxSize").into());
    }
    let desired = p.int("DesiredCapacity")?;
    if desired.is_some_and(|d| d < min || d > max) {
        return Err(fault::invalid_parameter("DesiredCapacity").into());
    }
    let cooldown = p.int("DefaultCooldown")?.unwrap_or(300);
    if !(0..=86400).contains(&cooldown) {
        return Err(fault::invalid_parameter("DefaultCooldown").into());
    }
    let id = ctx.id("asg");
    let name = p.string("ScalingGroupName").unwrap_or_else(|| id.clone());
    if !valid_ess_name(&name) {
        return Err(fault::invalid_parameter("ScalingGroupName").into());
    }
    if tx.count::<ScalingGroup>(&Filter {
        region: Some(&region),
        name: Some(&name),
        ..Default::default()
    })? > 0
    {
        return Err(fault::name_duplicate("ScalingGroupName").into());
    }
    if tx.count::<ScalingGroup>(&Filter {
        region: Some(&region),
        ..Default::default()
    })? >= quotas.scaling_groups_per_region
    {
        return Err(fault::quota_scaling_group().into());
    }
    let (vswitch_ids, vpc_id) = match vswitches(ctx, tx)? {
        Some((ids, vpc)) => (ids, Some(vpc)),
        None => (Vec::new(), None),
    };
    let scaling_policy = p.str("ScalingPolicy").unwrap_or("release").to_string();
    if !["recycle", "release", "forcerelease", "forcerecycle"].contains(&scaling_policy.as_str()) {
        return Err(fault::scaling_policy_invalid().into());
    }
    let multi_az = p.str("MultiAZPolicy").unwrap_or("PRIORITY").to_string();
    if !["PRIORITY", "COST_OPTIMIZED", "BALANCE", "COMPOSABLE"].contains(&multi_az.as_str()) {
        return Err(fault::invalid_parameter("MultiAZPolicy").into());
    }
    let mut health = p.list("HealthCheckTypes");
    if health.is_empty() {
        health.push(p.str("HealthCheckType").unwrap_or("ECS").to_string());
    }
    let db_instances = db_attachments(ctx, tx, &region)?;
    let tags = p
        .objects("Tags")
        .iter()
        .filter_map(|t| {
            t.string("Key").map(|k| {
                (
                    k,
                    t.string("Value").unwrap_or_default(),
                    t.bool("Propagate").ok().flatten().unwrap_or(false),
                )
            })
        })
        .collect();
    let group = ScalingGroup {
        id: id.clone(),
        region,
        name,
        min_size: min,
        max_size: max,
        desired_capacity: desired,
        default_cooldown: cooldown,
        vswitch_ids,
        vpc_id,
        removal_policies: removal_policies(p)?.unwrap_or_else(|| {
            DEFAULT_REMOVAL_POLICIES
                .iter()
                .map(|s| s.to_string())
                .collect()
        }),
        db_instances,
        load_balancer_ids: p.json_string_list("LoadBalancerIds")?.unwrap_or_default(),
        state: GroupState::Inactive,
        active_config_id: None,
        health_check_types: health,
        deletion_protection: p.bool("GroupDeletionProtection")?.unwrap_or(false),
        multi_az_policy: multi_az,
        scaling_policy,
        group_type: p.str("GroupType").unwrap_or("ECS").to_string(),
        max_instance_lifetime: p.int("MaxInstanceLifetime")?,
        tags,
        created_ms: ctx.now_ms,
        modified_ms: ctx.now_ms,
        running_activity: None,
        deleting: false,
    };
    tx.save(&group)?;
    for hook in p.objects("LifecycleHooks") {
        super::hooks::create_from(ctx, tx, &group, &hook)?;
    }
    Ok(json!({"ScalingGroupId": id}))
}

fn group_json(ctx: &Ctx<'_>, tx: &mut dyn Tx, g: &ScalingGroup) -> Result<Value> {
    let instances = group_instances(tx, &g.id)?;
    let count = |s: LifecycleState| instances.iter().filter(|i| i.state == s).count();
    let db_ids: Vec<String> = g
        .db_instances
        .iter()
        .filter(|d| d.kind == DbKind::Rds)
        .map(|d| d.db_id.clone())
        .collect();
    let dbs: Vec<Value> = g
        .db_instances
        .iter()
        .map(|d| {
            json!({"DBInstanceId": d.db_id, "Type": d.kind.as_str(),
                   "SecurityGroupIds": strings(&d.security_group_ids)})
        })
        .collect();
    let tags: Vec<Value> = g
        .tags
        .iter()
        .map(|(k, v, prop)| json!({"TagKey": k, "TagValue": v, "Propagate": prop}))
        .collect();
    let _ = ctx;
    Ok(json!({
        "ScalingGroupId": g.id, "ScalingGroupName": g.name, "RegionId": g.region,
        "ActiveScalingConfigurationId": g.active_config_id, "LaunchTemplateId": null, "LaunchTemplateVersion": null,
        "MinSize": g.min_size, "MaxSize": g.max_size, "DesiredCapacity": g.desired_capacity,
        "EnableDesiredCapacity": g.desired_capacity.is_some(), "DefaultCooldown": g.default_cooldown,
        "LifecycleState": if g.deleting { "Deleting" } else { g.state.as_str() },
        "CreationTime": minute_time(g.created_ms), "ModificationTime": minute_time(g.modified_ms),
        "VpcId": g.vpc_id, "VSwitchId": g.vswitch_ids.first(), "VSwitchIds": strings(&g.vswitch_ids),
        "RemovalPolicies": strings(&g.removal_policies), "DBInstanceIds": strings(&db_ids), "DBInstances": dbs,
        "LoadBalancerIds": strings(&g.load_balancer_ids), "VServerGroups": [], "AlbServerGroups": [], "ServerGroups": [],
        "LoadBalancerConfigs": [], "LaunchTemplateOverrides": [],
        "HealthCheckType": g.health_check_types.first(), "HealthCheckTypes": strings(&g.health_check_types),
        "SuspendedProcesses": [], "SystemSuspended": false, "GroupDeletionProtection": g.deletion_protection,
        "GroupType": g.group_type, "MultiAZPolicy": g.multi_az_policy, "ScalingPolicy": g.scaling_policy,
        "MaxInstanceLifetime": g.max_instance_lifetime,
        "TotalCapacity": instances.len(), "TotalInstanceCount": instances.len(),
        "ActiveCapacity": count(LifecycleState::InService), "PendingCapacity": count(LifecycleState::Pending),
        "PendingWaitCapacity": count(LifecycleState::PendingWait), "RemovingCapacity": count(LifecycleState::Removing),
        "RemovingWaitCapacity": count(LifecycleState::RemovingWait), "ProtectedCapacity": count(LifecycleState::Protected),
        "StandbyCapacity": count(LifecycleState::Standby), "StoppedCapacity": count(LifecycleState::Stopped),
        "InitCapacity": 0, "SpotCapacity": 0, "Tags": tags,
    }))
}

pub fn describe(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let region = ctx.region().to_string();
    let ids = p.list("ScalingGroupIds");
    let mut names = p.list("ScalingGroupNames");
    if let Some(n) = p.str("ScalingGroupName") {
        names.push(n.to_string());
    }
    let group_type = p.str("GroupType");
    let tags: Vec<(String, Option<String>)> = p
        .objects("Tags")
        .iter()
        .filter_map(|t| t.string("Key").map(|k| (k, t.string("Value"))))
        .collect();
    let (number, size) = paging(p, 10, 50)?;
    let all: Vec<ScalingGroup> = tx
        .list::<ScalingGroup>(&Filter {
            region: Some(&region),
            ..Default::default()
        })?
        .into_iter()
        .filter(|g| ids.is_empty() || ids.contains(&g.id))
        .filter(|g| names.is_empty() || names.contains(&g.name))
        .filter(|g| group_type.is_none_or(|t| g.group_type == t))
        .filter(|g| {
            tags.iter().all(|(k, v)| {
                g.tags
                    .iter()
                    .any(|(gk, gv, _)| gk == k && v.as_ref().is_none_or(|v| v == gv))
            })
        })
        .collect();
    let total = all.len();
    let mut out = Vec::new();
    for g in page(all, number, size) {
        out.push(group_json(ctx, tx, &g)?);
    }
    Ok(json!({"TotalCount": total, "PageNumber": number, "PageSize": size, "ScalingGroups": out}))
}

pub fn modify(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let mut g = load_group(tx, p.required("ScalingGroupId")?)?;
    if g.deleting {
        return Err(fault::scaling_group_status().into());
    }
    if let Some(name) = p.str("ScalingGroupName") {
        if !valid_ess_name(name) {
            return Err(fault::invalid_parameter("ScalingGroupName").into());
        }
        if name != g.name
            && tx.count::<ScalingGroup>(&Filter {
                region: Some(&g.region),
                name: Some(name),
                ..Default::default()
            })? > 0
        {
            return Err(fault::name_duplicate("ScalingGroupName").into());
        }
        g.name = name.to_string();
    }
    let min = p.int("MinSize")?.unwrap_or(g.min_size);
    let max = p.int("MaxSize")?.unwrap_or(g.max_size);
    if min < 0 || min > ctx.cloud.quotas.max_size {
        return Err(fault::invalid_parameter("MinSize").into());
    }
    if max < 0 || max > ctx.cloud.quotas.max_size {
        return Err(fault::invalid_parameter("MaxSize").into());
    }
    if min > max {
        return Err(fault::conflict("MinSize", "MaxSize").into());
    }
    g.min_size = min;
    g.max_size = max;
    if p.bool("DisableDesiredCapacity")? == Some(true) {
        g.desired_capacity = None;
    } else if let Some(d) = p.int("DesiredCapacity")? {
        g.desired_capacity = Some(d);
    }
    if g.desired_capacity.is_some_and(|d| d < min || d > max) {
        return Err(fault::invalid_parameter("DesiredCapacity").into());
    }
    if let Some(c) = p.int("DefaultCooldown")? {
        if !(0..=86400).contains(&c) {
            return Err(fault::invalid_parameter("DefaultCooldown").into());
        }
        g.default_cooldown = c;
    }
    if let Some(policies) = removal_policies(p)? {
        g.removal_policies = policies;
    }
    if let Some((ids, vpc)) = vswitches(ctx, tx)? {
        if g.vpc_id.as_deref().is_some_and(|v| v != vpc) || g.vpc_id.is_none() {
            return Err(fault::ess_vswitch_vpc_mismatch().into());
        }
        g.vswitch_ids = ids;
    }
    let mut health = p.list("HealthCheckTypes");
    if health.is_empty() {
        if let Some(h) = p.str("HealthCheckType") {
            health.push(h.to_string());
        }
    }
    if !health.is_empty() {
        g.health_check_types = health;
    }
    if let Some(b) = p.bool("GroupDeletionProtection")? {
        g.deletion_protection = b;
    }
    if let Some(m) = p.str("MultiAZPolicy") {
        g.multi_az_policy = m.to_string();
    }
    if let Some(s) = p.str("ScalingPolicy") {
        if !["recycle", "release", "forcerelease", "forcerecycle"].contains(&s) {
            return Err(fault::scaling_policy_invalid().into());
        }
        g.scaling_policy = s.to_string();
    }
    if let Some(c) = p.str("ActiveScalingConfigurationId") {
        activate_config(tx, &mut g, c)?;
    }
    g.modified_ms = ctx.now_ms;
    tx.save(&g)?;
    activity::converge(ctx, tx, &mut g)?;
    Ok(json!({}))
}

/// Makes `config_id` (which must belong to the group) the group's active configuration.
pub fn activate_config(tx: &mut dyn Tx, g: &mut ScalingGroup, config_id: &str) -> Result<()> {
    let mut config = tx
        .load::<ScalingConfiguration>(config_id)?
        .ok_or_else(fault::scaling_config_not_found)?;
    if config.group_id != g.id {
        return Err(fault::scaling_config_not_found().into());
    }
    if let Some(old) = g.active_config_id.as_deref().filter(|o| *o != config_id) {
        if let Some(mut old) = tx.load::<ScalingConfiguration>(old)? {
            old.state = ConfigState::Inactive;
            tx.save(&old)?;
        }
    }
    config.state = ConfigState::Active;
    tx.save(&config)?;
    g.active_config_id = Some(config.id);
    Ok(())
}

pub fn delete(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let mut g = load_group(tx, ctx.params.required("ScalingGroupId")?)?;
    if g.deletion_protection {
        return Err(fault::deletion_protected().into());
    }
    if g.running_activity.is_some() {
        return Err(fault::activity_in_progress().into());
    }
    let instances = group_instances(tx, &g.id)?;
    if instances.is_empty() {
        activity::delete_group_now(tx, &g.id)?;
        return Ok(json!({}));
    }
    if ctx.params.bool("ForceDelete")? != Some(true) {
        return Err(fault::instance_in_use().into());
    }
    let total = instances.len();
    g.state = GroupState::Inactive;
    g.deleting = true;
    let ids = instances.into_iter().map(|i| i.id).collect();
    let cause = format!("A user requests to delete scaling group \"{}\", changing the Total Capacity from \"{total}\" to \"0\".", g.id);
    activity::start_scale_in(
        ctx,
        tx,
        &mut g,
        ids,
        Trigger {
            cause,
            source_type: "APIs",
            source_id: String::new(),
            metadata: None,
            hooks: Hooks::Skip,
        },
    )?;
    Ok(json!({}))
}

pub fn enable(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let mut g = load_group(tx, ctx.params.required("ScalingGroupId")?)?;
    if g.state != GroupState::Inactive || g.deleting {
        return Err(fault::scaling_group_status().into());
    }
    if let Some(c) = ctx.params.str("ActiveScalingConfigurationId") {
        activate_config(tx, &mut g, c)?;
    }
    if g.active_config_id.is_none() {
        return Err(fault::missing_active_config().into());
    }
    bind_pending_security_groups(tx, &mut g)?;
    g.state = GroupState::Active;
    g.modified_ms = ctx.now_ms;
    tx.save(&g)?;
    activity::converge(ctx, tx, &mut g)?;
    Ok(json!({}))
}

/// A group is created before its configuration, so the databases CreateScalingGroup names with
/// AttachMode=SecurityGroup (and any attached while the group had no active configuration) cannot
/// be bound then. As in production, where the scaling configuration's security group is what gets
/// bound, the binding happens once the group has its configuration: when it is enabled. Those
/// already bound are left as they are (re-enabling or changing the active configuration later
/// does not rebind).
fn bind_pending_security_groups(tx: &mut dyn Tx, g: &mut ScalingGroup) -> Result<()> {
    let Some(sgs) = membership::config_security_groups(tx, g)? else {
        return Ok(());
    };
    if sgs.is_empty() {
        return Ok(());
    }
    let mut pending: Vec<&mut DbAttachment> = g
        .db_instances
        .iter_mut()
        .filter(|a| a.mode == AttachMode::SecurityGroup && a.security_group_ids.is_empty())
        .collect();
    if pending.is_empty() {
        return Ok(());
    }
    membership::bind_security_groups(tx, &mut pending, &sgs)
}

pub fn disable(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let mut g = load_group(tx, ctx.params.required("ScalingGroupId")?)?;
    if g.state != GroupState::Active || g.deleting {
        return Err(fault::scaling_group_status().into());
    }
    g.state = GroupState::Inactive;
    g.modified_ms = ctx.now_ms;
    tx.save(&g)?;
    Ok(json!({}))
}

pub fn set_deletion_protection(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let mut g = load_group(tx, ctx.params.required("ScalingGroupId")?)?;
    g.deletion_protection = ctx
        .params
        .bool("GroupDeletionProtection")?
        .ok_or_else(|| fault::missing_parameter("GroupDeletionProtection"))?;
    g.modified_ms = ctx.now_ms;
    tx.save(&g)?;
    Ok(json!({}))
}

pub fn describe_limitation(ctx: &Ctx<'_>, _tx: &mut dyn Tx) -> Result<Value> {
    let q = &ctx.cloud.quotas;
    Ok(json!({
        "MaxNumberOfScalingGroups": q.scaling_groups_per_region,
        "MaxNumberOfScalingConfigurations": q.configurations_per_group,
        "MaxNumberOfScalingRules": q.rules_per_group,
        "MaxNumberOfScheduledTasks": 100,
        "MaxNumberOfScalingInstances": q.max_size,
        "MaxNumberOfDBInstances": q.db_instances_per_group,
        "MaxNumberOfLoadBalancers": 5,
        "MaxNumberOfMinSize": q.max_size,
        "MaxNumberOfMaxSize": q.max_size,
        "MaxNumberOfLifecycleHooks": 6,
        "MaxNumberOfNotificationConfigurations": 6,
        "MaxNumberOfVServerGroups": 5,
        "MaxNumberOfAlbServerGroup": 5,
        "MaxNumberOfNlbServerGroup": 5,
    }))
}
