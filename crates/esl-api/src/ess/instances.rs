//! Instances in a scaling group: RemoveInstances and DescribeScalingInstances.

use esl_domain::fault;
use esl_domain::model::{
    ActivityKind, CreationType, GroupState, LifecycleState, ScalingInstance, SkippedInstance,
};
use esl_store::{Tx, TxExt};
use serde_json::{json, Value};

use super::activity::{self, group_instances, Hooks, Trigger};
use super::load_group;
use crate::util::{minute_time, page, paging, second_time};
use crate::{Ctx, Result};

pub fn remove(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let mut g = load_group(tx, p.required("ScalingGroupId")?)?;
    let ids = p.list("InstanceIds");
    if ids.is_empty() {
        return Err(fault::missing_parameter("InstanceIds").into());
    }
    if let Some(policy) = p.str("RemovePolicy") {
        if policy != "release" && policy != "recycle" {
            return Err(fault::invalid_parameter("RemovePolicy").into());
        }
    }
    if g.state != GroupState::Active || g.deleting {
        return Err(fault::scaling_group_status().into());
    }
    if g.running_activity.is_some() {
        return Err(fault::activity_in_progress().into());
    }
    let ignore_invalid = p.bool("IgnoreInvalidInstance")?.unwrap_or(false);
    let mut chosen = Vec::new();
    let mut ignored = Vec::new();
    for id in &ids {
        let member = tx
            .load::<ScalingInstance>(id)?
            .filter(|i| i.group_id == g.id);
        match member {
            Some(i)
                if matches!(
                    i.state,
                    LifecycleState::InService | LifecycleState::Protected | LifecycleState::Standby
                ) =>
            {
                if !chosen.contains(id) {
                    chosen.push(id.clone());
                }
            }
            Some(_) if !ignore_invalid => return Err(fault::incorrect_instance_status().into()),
            None if !ignore_invalid => return Err(fault::scaling_instance_not_found(id).into()),
            Some(_) => skip(&mut ignored, id, instance_status_fault(id)),
            None => skip(&mut ignored, id, fault::scaling_instance_not_found(id)),
        }
    }
    let total = group_instances(tx, &g.id)?.len() as i64;
    let target = total - chosen.len() as i64;
    if target < g.min_size {
        return Err(fault::capacity_min().into());
    }
    if chosen.is_empty() {
        return Err(fault::scaling_instance_not_found(&ids[0]).into());
    }
    if p.bool("DecreaseDesiredCapacity")?.unwrap_or(true) {
        if let Some(d) = g.desired_capacity {
            g.desired_capacity = Some((d - chosen.len() as i64).max(g.min_size));
        }
    }
    let trigger = Trigger {
        cause: format!("A user requests to remove ECS instances from scaling group \"{}\", changing the Total Capacity from \"{total}\" to \"{target}\".", g.id),
        source_type: "APIs",
        source_id: String::new(),
        metadata: None,
        hooks: Hooks::from_context(p)?,
    };
    let recycle = p.str("RemovePolicy") == Some("recycle");
    let activity_id = activity::start_scale_in(ctx, tx, &mut g, chosen, trigger)?;
    let listed: Vec<Value> = ignored
        .iter()
        .map(|s| json!({"InstanceId": s.instance_id, "Code": s.code, "Message": s.message}))
        .collect();
    activity::note_start_options(tx, &activity_id, ignored, recycle)?;
    Ok(json!({"ScalingActivityId": activity_id, "IgnoredInstances": listed}))
}

/// Notes an instance IgnoreInvalidInstance=true skipped (once per id).
fn skip(skipped: &mut Vec<SkippedInstance>, id: &str, f: esl_domain::Fault) {
    if !skipped.iter().any(|s| s.instance_id == id) {
        skipped.push(SkippedInstance {
            instance_id: id.to_string(),
            code: f.code.to_string(),
            message: f.message,
        });
    }
}

/// IncorrectInstanceStatus naming the instance (ess-api.md §4).
fn instance_status_fault(id: &str) -> esl_domain::Fault {
    esl_domain::Fault {
        status: 400,
        code: "IncorrectInstanceStatus".into(),
        message: format!("The current status of instance \"{id}\" does not support this action."),
    }
}

fn instance_json(i: &ScalingInstance) -> Value {
    json!({
        "InstanceId": i.id, "ScalingGroupId": i.group_id, "ScalingConfigurationId": i.config_id,
        "HealthStatus": if i.healthy { "Healthy" } else { "Unhealthy" }, "LifecycleState": i.state.as_str(),
        "CreationType": i.creation_type.as_str(), "CreationTime": minute_time(i.joined_ms),
        "CreatedTime": second_time(i.joined_ms), "LoadBalancerWeight": i.weight, "Entrusted": i.entrusted,
        "WarmupState": "NoNeedWarmup", "WeightedCapacity": 1, "ZoneId": i.zone_id, "SpotStrategy": "NoSpot",
        "ScalingActivityId": i.activity_id, "PrivateIpAddress": i.private_ip, "ScalingInstanceId": i.id,
    })
}

pub fn describe(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let ids = p.list("InstanceIds");
    let mut states = p.list("LifecycleStates");
    if let Some(s) = p.str("LifecycleState") {
        states.push(s.to_string());
    }
    for s in &states {
        if LifecycleState::parse(s).is_none() {
            return Err(fault::invalid_parameter("LifecycleState").into());
        }
    }
    let mut types = p.list("CreationTypes");
    if let Some(t) = p.str("CreationType") {
        types.push(t.to_string());
    }
    for t in &types {
        if CreationType::parse(t).is_none() {
            return Err(fault::invalid_parameter("CreationType").into());
        }
    }
    let health = p.str("HealthStatus");
    let config = p.str("ScalingConfigurationId");
    let activity_id = p.str("ScalingActivityId");
    let (number, size) = paging(p, 10, 100)?;
    let all: Vec<ScalingInstance> = super::list_for_group_or_region::<ScalingInstance>(ctx, tx)?
        .into_iter()
        .filter(|i| ids.is_empty() || ids.contains(&i.id))
        .filter(|i| states.is_empty() || states.iter().any(|s| s == i.state.as_str()))
        .filter(|i| types.is_empty() || types.iter().any(|t| t == i.creation_type.as_str()))
        .filter(|i| health.is_none_or(|h| (h == "Healthy") == i.healthy))
        .filter(|i| config.is_none_or(|c| i.config_id.as_deref() == Some(c)))
        .filter(|i| activity_id.is_none_or(|a| i.activity_id == a))
        .collect();
    let total = all.len();
    let items: Vec<Value> = page(all, number, size).iter().map(instance_json).collect();
    Ok(
        json!({"TotalCount": total, "TotalSpotCount": 0, "PageNumber": number, "PageSize": size, "ScalingInstances": items}),
    )
}

fn instance_fault(code: &'static str, id: &str, text: &str) -> esl_domain::Fault {
    esl_domain::Fault {
        status: 400,
        code: code.into(),
        message: format!("Instance \"{id}\" {text}"),
    }
}

/// The group must be Active with no activity running.
fn ready_for_activity(g: &esl_domain::model::ScalingGroup) -> Result<()> {
    if g.state != GroupState::Active || g.deleting {
        return Err(fault::scaling_group_status().into());
    }
    if g.running_activity.is_some() {
        return Err(fault::activity_in_progress().into());
    }
    Ok(())
}

pub fn attach(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    use esl_domain::model::{EcsInstance, EcsStatus};
    let p = ctx.params;
    let mut g = load_group(tx, p.required("ScalingGroupId")?)?;
    let ids = p.list("InstanceIds");
    if ids.is_empty() {
        return Err(fault::missing_parameter("InstanceIds").into());
    }
    if ids.len() > 20 {
        return Err(fault::invalid_parameter("InstanceIds").into());
    }
    ready_for_activity(&g)?;
    let ignore_invalid = p.bool("IgnoreInvalidInstance")?.unwrap_or(false);
    let mut chosen: Vec<EcsInstance> = Vec::new();
    let mut skipped = Vec::new();
    for id in &ids {
        let checked = (|| -> Result<EcsInstance> {
            let ecs = tx
                .load::<EcsInstance>(id)?
                .ok_or_else(|| fault::scaling_instance_not_found(id))?;
            if ecs.region != g.region {
                return Err(instance_fault(
                    "InvalidInstanceId.RegionMismatch",
                    id,
                    "and the specified scaling group are not in the same Region.",
                )
                .into());
            }
            if ecs
                .scaling_group_id
                .as_deref()
                .is_some_and(|other| other != g.id)
            {
                return Err(instance_fault(
                    "InvalidInstanceId.InUse",
                    id,
                    "is already attached to another scaling group.",
                )
                .into());
            }
            if ecs.vpc_id != g.vpc_id {
                return Err(if ecs.vpc_id.is_some() != g.vpc_id.is_some() {
                    instance_fault(
                        "InvalidInstanceId.NetworkTypeMismatch",
                        id,
                        "and the specified scaling group are not in the same network type.",
                    )
                } else {
                    instance_fault(
                        "InvalidInstanceId.VPCMismatch",
                        id,
                        "and the specified scaling group are not in the same VPC.",
                    )
                }
                .into());
            }
            if ecs.status != EcsStatus::Running || ecs.scaling_group_id.is_some() {
                return Err(instance_status_fault(id).into());
            }
            Ok(ecs)
        })();
        match checked {
            Ok(ecs) => {
                if !chosen.iter().any(|c| c.id == ecs.id) {
                    chosen.push(ecs)
                }
            }
            Err(crate::Error::Fault(f)) if ignore_invalid => skip(&mut skipped, id, f),
            Err(e) => return Err(e),
        }
    }
    if chosen.is_empty() {
        return Err(fault::scaling_instance_not_found(&ids[0]).into());
    }
    let total = group_instances(tx, &g.id)?.len() as i64;
    let target = total + chosen.len() as i64;
    if target > g.max_size {
        return Err(fault::capacity_max().into());
    }
    if let Some(d) = g.desired_capacity {
        g.desired_capacity = Some((d + chosen.len() as i64).min(g.max_size));
    }
    let trigger = Trigger {
        cause: format!("A user requests to attach ECS instances to scaling group \"{}\", changing the Total Capacity from \"{total}\" to \"{target}\".", g.id),
        source_type: "APIs",
        source_id: String::new(),
        metadata: None,
        hooks: if p.bool("LifecycleHook")? == Some(true) { Hooks::Fire } else { Hooks::Skip },
    };
    let entrusted = p.bool("Entrusted")?.unwrap_or(false);
    let activity_id = activity::start_attach(ctx, tx, &mut g, chosen, entrusted, trigger)?;
    activity::note_start_options(tx, &activity_id, skipped, false)?;
    Ok(json!({"ScalingActivityId": activity_id}))
}

/// The members named by `InstanceIds`, each checked to belong to the group.
fn members(ctx: &Ctx<'_>, tx: &mut dyn Tx, group_id: &str) -> Result<Vec<ScalingInstance>> {
    members_skipping(ctx, tx, group_id, None)
}

/// As `members`; with `skipped` (IgnoreInvalidInstance=true), an id that is not a member is
/// noted there instead of refusing the call.
fn members_skipping(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    group_id: &str,
    mut skipped: Option<&mut Vec<SkippedInstance>>,
) -> Result<Vec<ScalingInstance>> {
    let ids = ctx.params.list("InstanceIds");
    if ids.is_empty() {
        return Err(fault::missing_parameter("InstanceIds").into());
    }
    if ids.len() > 20 {
        return Err(fault::invalid_parameter("InstanceIds").into());
    }
    let mut out: Vec<ScalingInstance> = Vec::new();
    for id in &ids {
        let m = tx
            .load::<ScalingInstance>(id)?
            .filter(|m| m.group_id == group_id);
        let m = match (m, skipped.as_deref_mut()) {
            (Some(m), _) => m,
            (None, Some(list)) => {
                skip(list, id, fault::scaling_instance_not_found(id));
                continue;
            }
            (None, None) => return Err(fault::scaling_instance_not_found(id).into()),
        };
        if !out.iter().any(|o| o.id == m.id) {
            out.push(m);
        }
    }
    Ok(out)
}

pub fn detach(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let mut g = load_group(tx, p.required("ScalingGroupId")?)?;
    ready_for_activity(&g)?;
    let ignore_invalid = p.bool("IgnoreInvalidInstance")?.unwrap_or(false);
    let mut skipped = Vec::new();
    let named = members_skipping(ctx, tx, &g.id, ignore_invalid.then_some(&mut skipped))?;
    let mut leaving = Vec::new();
    for m in named {
        if matches!(
            m.state,
            LifecycleState::InService | LifecycleState::Protected | LifecycleState::Standby
        ) {
            leaving.push(m);
        } else if ignore_invalid {
            skip(&mut skipped, &m.id, instance_status_fault(&m.id));
        } else {
            return Err(fault::incorrect_instance_status().into());
        }
    }
    if leaving.is_empty() {
        let first = ctx
            .params
            .list("InstanceIds")
            .into_iter()
            .next()
            .unwrap_or_default();
        return Err(fault::scaling_instance_not_found(&first).into());
    }
    let total = group_instances(tx, &g.id)?.len() as i64;
    let target = total - leaving.len() as i64;
    if target < g.min_size {
        return Err(fault::capacity_min().into());
    }
    if p.bool("DecreaseDesiredCapacity")?.unwrap_or(true) {
        if let Some(d) = g.desired_capacity {
            g.desired_capacity = Some((d - leaving.len() as i64).max(g.min_size));
        }
    }
    let option = p.str("DetachOption");
    if option.is_some_and(|o| o != "both") {
        return Err(fault::invalid_parameter("DetachOption").into());
    }
    let trigger = Trigger {
        cause: format!("A user requests to detach ECS instances from scaling group \"{}\", changing the Total Capacity from \"{total}\" to \"{target}\".", g.id),
        source_type: "APIs",
        source_id: String::new(),
        metadata: None,
        hooks: if p.bool("LifecycleHook")? == Some(true) { Hooks::Fire } else { Hooks::Skip },
    };
    let removal = activity::Removal {
        kind: ActivityKind::Detach,
        remove_ips: option == Some("both"),
        replace: 0,
    };
    let ids = leaving.into_iter().map(|m| m.id).collect();
    let activity_id = activity::start_removal(ctx, tx, &mut g, ids, trigger, removal)?;
    activity::note_start_options(tx, &activity_id, skipped, false)?;
    Ok(json!({"ScalingActivityId": activity_id}))
}

pub fn set_protection(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let g = load_group(tx, p.required("ScalingGroupId")?)?;
    let protect = p
        .bool("ProtectedFromScaleIn")?
        .ok_or_else(|| fault::missing_parameter("ProtectedFromScaleIn"))?;
    if g.state != GroupState::Active || g.deleting {
        return Err(fault::scaling_group_status().into());
    }
    let (from, to) = if protect {
        (LifecycleState::InService, LifecycleState::Protected)
    } else {
        (LifecycleState::Protected, LifecycleState::InService)
    };
    let chosen = members(ctx, tx, &g.id)?;
    for m in &chosen {
        if m.state != from && m.state != to {
            return Err(fault::incorrect_instance_status().into());
        }
    }
    for mut m in chosen {
        m.state = to;
        tx.save(&m)?;
    }
    Ok(json!({}))
}

fn standby(ctx: &Ctx<'_>, tx: &mut dyn Tx, enter: bool) -> Result<Value> {
    let p = ctx.params;
    let mut g = load_group(tx, p.required("ScalingGroupId")?)?;
    let (from, to) = if enter {
        (LifecycleState::InService, LifecycleState::Standby)
    } else {
        (LifecycleState::Standby, LifecycleState::InService)
    };
    let chosen = members(ctx, tx, &g.id)?;
    for m in &chosen {
        if m.state != from {
            return Err(fault::incorrect_instance_status().into());
        }
    }
    let ids: Vec<String> = chosen.iter().map(|m| m.id.clone()).collect();
    for mut m in chosen {
        m.state = to;
        tx.save(&m)?;
    }
    let n = ids.len();
    let cause = format!(
        "A user requests to {} standby for ECS instances of scaling group \"{}\".",
        if enter { "enter" } else { "exit" },
        g.id
    );
    let activity_id = activity::record_immediate(
        ctx,
        tx,
        &mut g,
        if enter {
            format!(
                "Put \"{n}\" ECS instance{} into standby",
                if n == 1 { "" } else { "s" }
            )
        } else {
            format!(
                "Take \"{n}\" ECS instance{} out of standby",
                if n == 1 { "" } else { "s" }
            )
        },
        ids,
        Trigger {
            cause,
            source_type: "APIs",
            source_id: String::new(),
            metadata: None,
            hooks: Hooks::Fire,
        },
    )?;
    Ok(json!({"ScalingActivityId": activity_id}))
}

pub fn enter_standby(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    standby(ctx, tx, true)
}

pub fn exit_standby(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    standby(ctx, tx, false)
}

pub fn set_health(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let id = p.required("InstanceId")?;
    let healthy = match p.required("HealthStatus")? {
        "Healthy" => true,
        "Unhealthy" => false,
        _ => return Err(fault::invalid_parameter("HealthStatus").into()),
    };
    // SetInstanceHealth answers an unknown instance with 400, not 404 (AlibabaCloudDocs/ess SetInstanceHealth.md).
    let mut m = tx
        .load::<ScalingInstance>(id)?
        .ok_or_else(|| esl_domain::Fault {
            status: 400,
            ..fault::scaling_instance_not_found(id)
        })?;
    // Protected and Standby members keep their health status.
    if matches!(m.state, LifecycleState::Protected | LifecycleState::Standby) {
        return Ok(json!({}));
    }
    m.healthy = healthy;
    tx.save(&m)?;
    if !healthy {
        super::health::schedule(ctx, tx, &m.group_id)?;
    }
    Ok(json!({}))
}
