//! Scaling rules: create, describe, execute.

use esl_domain::fault;
use esl_domain::model::{GroupState, ScalingRule};
use esl_domain::scaling::{self, AdjustmentType};
use esl_store::{Filter, Tx, TxExt};
use serde_json::{json, Value};

use super::activity::{self, group_instances, Hooks, Trigger};
use super::load_group;
use crate::util::{page, paging, valid_ess_name};
use crate::{Ctx, Result};

const RULE_TYPES: [&str; 4] = [
    "SimpleScalingRule",
    "TargetTrackingScalingRule",
    "StepScalingRule",
    "PredictiveScalingRule",
];

pub fn create(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let g = load_group(tx, p.required("ScalingGroupId")?)?;
    let rule_type = p
        .str("ScalingRuleType")
        .unwrap_or("SimpleScalingRule")
        .to_string();
    if !RULE_TYPES.contains(&rule_type.as_str()) {
        return Err(fault::invalid_parameter("ScalingRuleType").into());
    }
    let adjustment_type = p.str("AdjustmentType");
    let adjustment_value = p.int("AdjustmentValue")?;
    if rule_type == "SimpleScalingRule" || rule_type == "StepScalingRule" {
        let t = adjustment_type.ok_or_else(|| fault::missing_parameter("AdjustmentType"))?;
        let kind =
            AdjustmentType::parse(t).ok_or_else(|| fault::invalid_parameter("AdjustmentType"))?;
        if rule_type == "SimpleScalingRule" {
            let v = adjustment_value.ok_or_else(|| fault::missing_parameter("AdjustmentValue"))?;
            kind.check_value(v)?;
        }
    }
    let cooldown = p.int("Cooldown")?;
    if cooldown.is_some_and(|c| !(0..=86400).contains(&c)) {
        return Err(fault::invalid_parameter("Cooldown").into());
    }
    let by_group = Filter {
        parent: Some(&g.id),
        ..Default::default()
    };
    let existing = tx.list::<ScalingRule>(&by_group)?;
    if existing.len() as u64 >= ctx.cloud.quotas.rules_per_group {
        return Err(fault::quota_scaling_rule().into());
    }
    let id = ctx.id("asr");
    let name = p.string("ScalingRuleName").unwrap_or_else(|| id.clone());
    if !valid_ess_name(&name) {
        return Err(fault::invalid_parameter("ScalingRuleName").into());
    }
    if existing.iter().any(|r| r.name == name) {
        return Err(fault::name_duplicate("ScalingRuleName").into());
    }
    let ari = format!(
        "ari:acs:ess:{}:{}:scalingrule/{}",
        g.region, ctx.cloud.account_id, id
    );
    tx.save(&ScalingRule {
        id: id.clone(),
        region: g.region.clone(),
        group_id: g.id.clone(),
        name,
        ari: ari.clone(),
        rule_type,
        adjustment_type: adjustment_type.map(str::to_string),
        adjustment_value,
        cooldown,
        min_adjustment_magnitude: p.int("MinAdjustmentMagnitude")?,
        created_ms: ctx.now_ms,
    })?;
    Ok(json!({"ScalingRuleId": id, "ScalingRuleAri": ari}))
}

fn rule_json(r: &ScalingRule, min: i64, max: i64) -> Value {
    json!({
        "ScalingRuleId": r.id, "ScalingRuleAri": r.ari, "ScalingRuleName": r.name, "ScalingRuleType": r.rule_type,
        "ScalingGroupId": r.group_id, "AdjustmentType": r.adjustment_type, "AdjustmentValue": r.adjustment_value,
        "Cooldown": r.cooldown, "MinAdjustmentMagnitude": r.min_adjustment_magnitude, "MinSize": min, "MaxSize": max,
        "StepAdjustments": [], "Alarms": [], "AlarmDimensions": [], "HybridMetrics": [],
    })
}

pub fn describe(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let ids = p.list("ScalingRuleIds");
    let names = p.list("ScalingRuleNames");
    let aris = p.list("ScalingRuleAris");
    let rule_type = p.str("ScalingRuleType");
    let (number, size) = paging(p, 10, 50)?;
    let all: Vec<ScalingRule> = super::list_for_group_or_region::<ScalingRule>(ctx, tx)?
        .into_iter()
        .filter(|r| ids.is_empty() || ids.contains(&r.id))
        .filter(|r| names.is_empty() || names.contains(&r.name))
        .filter(|r| aris.is_empty() || aris.contains(&r.ari))
        .filter(|r| rule_type.is_none_or(|t| r.rule_type == t))
        .collect();
    let total = all.len();
    let mut items = Vec::new();
    for r in page(all, number, size) {
        let (min, max) = match tx.load::<esl_domain::model::ScalingGroup>(&r.group_id)? {
            Some(g) => (g.min_size, g.max_size),
            None => (0, 0),
        };
        items.push(rule_json(&r, min, max));
    }
    Ok(json!({"TotalCount": total, "PageNumber": number, "PageSize": size, "ScalingRules": items}))
}

pub fn execute(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let ari = p.required("ScalingRuleAri")?;
    let rule = tx
        .list::<ScalingRule>(&Filter {
            name: Some(ari),
            ..Default::default()
        })?
        .into_iter()
        .next()
        .ok_or_else(fault::scaling_rule_ari_not_found)?;
    if rule.rule_type != "SimpleScalingRule" {
        return Err(esl_domain::Fault {
            status: 400,
            code: "ScalingRule.InvalidScalingRuleType".into(),
            message: "Only simple scaling rules can be executed by ExecuteScalingRule.".into(),
        }
        .into());
    }
    let activity_id = run_rule(ctx, tx, &rule, |total, target| {
        Trigger {
        cause: format!(
            "A user requests to execute scaling rule \"{}\", changing the Total Capacity from \"{total}\" to \"{target}\".",
            rule.id
        ),
        source_type: "APIs",
        source_id: rule.id.clone(),
        metadata: None,
        hooks: Hooks::Fire,
    }
    })?;
    Ok(json!({"ScalingActivityId": activity_id}))
}

/// Executes a simple rule on its group.
pub fn run_rule(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    rule: &ScalingRule,
    trigger: impl FnOnce(i64, i64) -> Trigger,
) -> Result<String> {
    let kind = rule
        .adjustment_type
        .as_deref()
        .and_then(AdjustmentType::parse)
        .ok_or_else(|| fault::invalid_parameter("AdjustmentType"))?;
    let adjustment = (
        kind,
        rule.adjustment_value.unwrap_or(0),
        rule.min_adjustment_magnitude,
    );
    adjust(ctx, tx, &rule.group_id, adjustment, true, trigger).map(|(id, _)| id)
}

/// Adjusts a group's capacity: the group must be Active with no activity running, and the
/// clamped result must differ from the current total. Returns the activity and its type.
///
/// On a group with a desired capacity, `sync` false only changes the desired capacity: the
/// returned activity (type CapacityChange) records that change and ends at once, and the group
/// converges to it in an activity of its own (TriggerSourceType Ess).
fn adjust(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    group_id: &str,
    (kind, value, magnitude): (AdjustmentType, i64, Option<i64>),
    sync: bool,
    trigger: impl FnOnce(i64, i64) -> Trigger,
) -> Result<(String, &'static str)> {
    let mut g = load_group(tx, group_id)?;
    if g.state != GroupState::Active || g.deleting {
        return Err(fault::scaling_group_status().into());
    }
    if g.running_activity.is_some() {
        return Err(fault::activity_in_progress().into());
    }
    let total = group_instances(tx, &g.id)?.len() as i64;
    let target = scaling::clamp(
        scaling::raw_target(total, kind, value, magnitude),
        g.min_size,
        g.max_size,
    );
    if target == total {
        return Err(fault::capacity_no_change().into());
    }
    let trigger = trigger(total, target);
    if let Some(before) = g.desired_capacity {
        g.desired_capacity = Some(target);
        if !sync {
            g.modified_ms = ctx.now_ms;
            tx.save(&g)?;
            let id = activity::record_capacity_change(ctx, tx, &mut g, before, target, trigger)?;
            // The group converges to it in an activity of its own (TriggerSourceType Ess); it
            // starts in this transaction so nothing races the caller's next call.
            activity::converge(ctx, tx, &mut g)?;
            return Ok((id, "CapacityChange"));
        }
    }
    if target > total {
        return Ok((
            activity::start_scale_out(ctx, tx, &mut g, (target - total) as usize, trigger)?,
            "ScaleOut",
        ));
    }
    let chosen = scaling::choose_for_removal(
        activity::removal_candidates(tx, &g)?,
        &activity::removal_policies(&g),
        (total - target) as usize,
    );
    if chosen.is_empty() {
        return Err(fault::capacity_no_change().into());
    }
    Ok((
        activity::start_scale_in(ctx, tx, &mut g, chosen, trigger)?,
        "ScaleIn",
    ))
}

fn load_rule(tx: &mut dyn Tx, id: &str) -> Result<ScalingRule> {
    Ok(tx
        .load::<ScalingRule>(id)?
        .ok_or_else(fault::scaling_rule_not_found)?)
}

pub fn modify(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let mut r = load_rule(tx, p.required("ScalingRuleId")?)?;
    if let Some(name) = p.str("ScalingRuleName") {
        if !valid_ess_name(name) {
            return Err(fault::invalid_parameter("ScalingRuleName").into());
        }
        let siblings = tx.list::<ScalingRule>(&Filter {
            parent: Some(&r.group_id),
            ..Default::default()
        })?;
        if siblings.iter().any(|o| o.id != r.id && o.name == name) {
            return Err(fault::name_duplicate("ScalingRuleName").into());
        }
        r.name = name.to_string();
    }
    if let Some(t) = p.str("AdjustmentType") {
        AdjustmentType::parse(t).ok_or_else(|| fault::invalid_parameter("AdjustmentType"))?;
        r.adjustment_type = Some(t.to_string());
    }
    if let Some(v) = p.int("AdjustmentValue")? {
        r.adjustment_value = Some(v);
    }
    if let (Some(t), Some(v)) = (
        r.adjustment_type.as_deref().and_then(AdjustmentType::parse),
        r.adjustment_value,
    ) {
        t.check_value(v)?;
    }
    if let Some(c) = p.int("Cooldown")? {
        if !(0..=86400).contains(&c) {
            return Err(fault::invalid_parameter("Cooldown").into());
        }
        r.cooldown = Some(c);
    }
    if let Some(m) = p.int("MinAdjustmentMagnitude")? {
        r.min_adjustment_magnitude = Some(m);
    }
    tx.save(&r)?;
    Ok(json!({}))
}

pub fn delete(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let r = load_rule(tx, ctx.params.required("ScalingRuleId")?)?;
    tx.remove::<ScalingRule>(&r.id)?;
    Ok(json!({}))
}

/// ScaleWithAdjustment: like a simple rule given inline. On a group with a desired capacity,
/// SyncActivity (default false) decides: false only updates the desired capacity (ActivityType
/// CapacityChange; the group converges in a separate Ess activity), true starts the scaling
/// activity itself in the call.
/// A group without a desired capacity starts the activity either way.
pub fn scale_with_adjustment(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let group_id = p.required("ScalingGroupId")?;
    load_group(tx, group_id)?;
    let kind = AdjustmentType::parse(p.required("AdjustmentType")?)
        .ok_or_else(|| fault::invalid_parameter("AdjustmentType"))?;
    let value = p
        .int("AdjustmentValue")?
        .ok_or_else(|| fault::missing_parameter("AdjustmentValue"))?;
    kind.check_value(value)?;
    let metadata = p.string("ActivityMetadata");
    let hooks = Hooks::from_context(p)?;
    let (activity_id, activity_type) = adjust(
        ctx,
        tx,
        group_id,
        (kind, value, p.int("MinAdjustmentMagnitude")?),
        p.bool("SyncActivity")?.unwrap_or(false),
        |total, target| {
            Trigger {
            cause: format!("A user requests to scale with adjustment, changing the Total Capacity from \"{total}\" to \"{target}\"."),
            source_type: "APIs",
            source_id: String::new(),
            metadata,
            hooks,
        }
        },
    )?;
    Ok(json!({"ScalingActivityId": activity_id, "ActivityType": activity_type}))
}
