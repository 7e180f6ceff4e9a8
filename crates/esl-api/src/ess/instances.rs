//! Instances in a scaling group: RemoveInstances and DescribeScalingInstances.

use esl_domain::fault;
use esl_domain::model::{CreationType, GroupState, LifecycleState, ScalingInstance};
use esl_store::{Tx, TxExt};
use serde_json::{json, Value};

use super::activity::{self, group_instances, Trigger};
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
            Some(i) if matches!(i.state, LifecycleState::InService | LifecycleState::Protected | LifecycleState::Standby) => {
                if !chosen.contains(id) {
                    chosen.push(id.clone());
                }
            }
            Some(_) if !ignore_invalid => return Err(fault::incorrect_instance_status().into()),
            None if !ignore_invalid => return Err(fault::scaling_instance_not_found(id).into()),
            _ => ignored.push(json!({"InstanceId": id, "Code": "InvalidInstanceId.NotFound", "Message": format!("Instance \"{id}\" does not exist.")})),
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
    };
    let activity_id = activity::start_scale_in(ctx, tx, &mut g, chosen, trigger)?;
    Ok(json!({"ScalingActivityId": activity_id, "IgnoredInstances": ignored}))
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
