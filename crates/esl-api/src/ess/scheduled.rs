//! Scheduled tasks: execute a scaling rule, or set a group's MinSize / MaxSize / DesiredCapacity,
//! at LaunchTime and then on the recurrence (Daily, Weekly, Monthly, Cron) until RecurrenceEndTime.

use esl_domain::fault;
use esl_domain::model::{ActivityKind, ActivityStatus, ScalingRule, ScheduledTask};
use esl_domain::schedule::Recurrence;
use esl_store::{Filter, Tx, TxExt};
use serde_json::{json, Value};

use super::activity::{self, Hooks, Trigger};
use super::{load_group, rules};
use crate::util::{minute_time, page, paging, parse_minute_time, valid_ess_name};
use crate::{Ctx, Result};

pub const FIRE: &str = "ess.scheduled.fire";
const MAX_AHEAD_MS: i64 = 90 * 86_400_000;
const TASKS_PER_REGION: u64 = 100;

fn rule_by_ari(tx: &mut dyn Tx, ari: &str) -> Result<ScalingRule> {
    Ok(tx
        .list::<ScalingRule>(&Filter {
            name: Some(ari),
            ..Default::default()
        })?
        .into_iter()
        .next()
        .ok_or_else(fault::scaling_rule_ari_not_found)?)
}

/// Reads the task's fields from the request over `t` (all of them on create, the given ones on modify).
fn apply(ctx: &Ctx<'_>, tx: &mut dyn Tx, t: &mut ScheduledTask, creating: bool) -> Result<()> {
    let p = ctx.params;
    if let Some(name) = p.str("ScheduledTaskName") {
        if !valid_ess_name(name) {
            return Err(fault::invalid_parameter("ScheduledTaskName").into());
        }
        let same = tx.list::<ScheduledTask>(&Filter {
            region: Some(&t.region),
            name: Some(name),
            ..Default::default()
        })?;
        if same.iter().any(|o| o.id != t.id) {
            return Err(esl_domain::Fault {
                status: 400,
                code: "InvalidScheduledTaskName.Duplicate".into(),
                message: "The specified value of parameter <ScheduledTaskName> is duplicated."
                    .into(),
            }
            .into());
        }
        t.name = name.to_string();
    }
    if let Some(d) = p.str("Description") {
        t.description = d.to_string();
    }
    if let Some(ari) = p.str("ScheduledAction") {
        rule_by_ari(tx, ari)?;
        t.scheduled_action = Some(ari.to_string());
        t.group_id = None;
    }
    if let Some(g) = p.str("ScalingGroupId") {
        load_group(tx, g)?;
        t.group_id = Some(g.to_string());
        if p.str("ScheduledAction").is_none() {
            t.scheduled_action = None;
        }
    }
    for (name, slot) in [
        ("MinValue", &mut t.min_value),
        ("MaxValue", &mut t.max_value),
        ("DesiredCapacity", &mut t.desired_capacity),
    ] {
        if let Some(v) = p.int(name)? {
            if !(0..=ctx.cloud.quotas.max_size).contains(&v) {
                return Err(fault::invalid_parameter(name).into());
            }
            *slot = Some(v);
        }
    }
    if t.scheduled_action.is_none() {
        if t.group_id.is_none() {
            return Err(fault::missing_parameter("ScheduledAction").into());
        }
        if t.min_value.is_none() && t.max_value.is_none() && t.desired_capacity.is_none() {
            return Err(fault::missing_parameter("MinValue").into());
        }
        if let (Some(min), Some(max)) = (t.min_value, t.max_value) {
            if min > max {
                return Err(fault::conflict("MinValue", "MaxValue").into());
            }
        }
    }
    if let Some(lt) = p.str("LaunchTime") {
        let ms = parse_minute_time(lt).ok_or_else(|| fault::invalid_parameter("LaunchTime"))?;
        if ms <= ctx.now_ms || ms > ctx.now_ms + MAX_AHEAD_MS {
            return Err(fault::invalid_parameter("LaunchTime").into());
        }
        t.launch_ms = ms;
    } else if creating {
        return Err(fault::missing_parameter("LaunchTime").into());
    }
    if let Some(e) = p.int("LaunchExpirationTime")? {
        if !(0..=21600).contains(&e) {
            return Err(fault::invalid_parameter("LaunchExpirationTime").into());
        }
        t.launch_expiration_s = e;
    }
    if let Some(k) = p.str("RecurrenceType") {
        t.recurrence_type = Some(k.to_string());
    }
    if let Some(v) = p.str("RecurrenceValue") {
        t.recurrence_value = Some(v.to_string());
    }
    if let Some(e) = p.str("RecurrenceEndTime") {
        t.recurrence_end_ms = Some(
            parse_minute_time(e).ok_or_else(|| fault::invalid_parameter("RecurrenceEndTime"))?,
        );
    }
    match (&t.recurrence_type, &t.recurrence_value, t.recurrence_end_ms) {
        (None, None, None) => {}
        (Some(k), Some(v), Some(end)) => {
            Recurrence::parse(k, v)?;
            if end < t.launch_ms || end > t.launch_ms + 365 * 86_400_000 {
                return Err(fault::invalid_parameter("RecurrenceEndTime").into());
            }
        }
        (None, _, _) => return Err(fault::missing_parameter("RecurrenceType").into()),
        (_, None, _) => return Err(fault::missing_parameter("RecurrenceValue").into()),
        (_, _, None) => return Err(fault::missing_parameter("RecurrenceEndTime").into()),
    }
    if let Some(e) = p.bool("TaskEnabled")? {
        t.enabled = e;
    }
    Ok(())
}

/// (Re)schedules the task's next firing; an older pending job is ignored by its generation.
fn arm(ctx: &Ctx<'_>, tx: &mut dyn Tx, t: &mut ScheduledTask) -> Result<()> {
    t.generation += 1;
    t.next_fire_ms = Some(t.launch_ms).filter(|l| *l > ctx.now_ms);
    if let (true, Some(at)) = (t.enabled, t.next_fire_ms) {
        tx.enqueue(
            at,
            FIRE,
            &json!({"task": t.id, "generation": t.generation}).to_string(),
        )?;
    }
    tx.save(t)?;
    Ok(())
}

pub fn create(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let region = ctx.region().to_string();
    if tx.count::<ScheduledTask>(&Filter {
        region: Some(&region),
        ..Default::default()
    })? >= TASKS_PER_REGION
    {
        return Err(esl_domain::Fault {
            status: 400,
            code: "QuotaExceeded.ScheduledTask".into(),
            message: "Scheduled task quota exceeded.".into(),
        }
        .into());
    }
    let id = ctx.id("sch");
    let mut t = ScheduledTask {
        id: id.clone(),
        region,
        name: id.clone(),
        description: String::new(),
        scheduled_action: None,
        group_id: None,
        min_value: None,
        max_value: None,
        desired_capacity: None,
        launch_ms: 0,
        launch_expiration_s: 600,
        recurrence_type: None,
        recurrence_value: None,
        recurrence_end_ms: None,
        enabled: true,
        next_fire_ms: None,
        generation: 0,
    };
    apply(ctx, tx, &mut t, true)?;
    arm(ctx, tx, &mut t)?;
    Ok(json!({"ScheduledTaskId": id}))
}

fn load_task(tx: &mut dyn Tx, id: &str) -> Result<ScheduledTask> {
    Ok(tx
        .load::<ScheduledTask>(id)?
        .ok_or_else(|| esl_domain::Fault {
            status: 404,
            code: "InvalidScheduledTaskId.NotFound".into(),
            message: "The specified scheduled task does not exist.".into(),
        })?)
}

pub fn modify(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let mut t = load_task(tx, ctx.params.required("ScheduledTaskId")?)?;
    apply(ctx, tx, &mut t, false)?;
    arm(ctx, tx, &mut t)?;
    Ok(json!({}))
}

pub fn delete(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let t = load_task(tx, ctx.params.required("ScheduledTaskId")?)?;
    tx.remove::<ScheduledTask>(&t.id)?;
    Ok(json!({}))
}

pub fn describe(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let region = ctx.region().to_string();
    let ids = p.list("ScheduledTaskIds");
    let mut names = p.list("ScheduledTaskNames");
    if let Some(n) = p.str("TaskName") {
        names.push(n.to_string());
    }
    let actions = p.list("ScheduledActions");
    let group = p.str("ScalingGroupId");
    let enabled = p.bool("TaskEnabled")?;
    let (number, size) = paging(p, 10, 50)?;
    let all: Vec<ScheduledTask> = tx
        .list::<ScheduledTask>(&Filter {
            region: Some(&region),
            ..Default::default()
        })?
        .into_iter()
        .filter(|t| ids.is_empty() || ids.contains(&t.id))
        .filter(|t| names.is_empty() || names.contains(&t.name))
        .filter(|t| {
            actions.is_empty()
                || t.scheduled_action
                    .as_ref()
                    .is_some_and(|a| actions.contains(a))
        })
        .filter(|t| group.is_none_or(|g| t.group_id.as_deref() == Some(g)))
        .filter(|t| enabled.is_none_or(|e| t.enabled == e))
        .collect();
    let total = all.len();
    let items: Vec<Value> = page(all, number, size)
        .iter()
        .map(|t| {
            json!({
                "ScheduledTaskId": t.id, "ScheduledTaskName": t.name, "Description": t.description,
                "ScheduledAction": t.scheduled_action, "ScalingGroupId": t.group_id,
                "MinValue": t.min_value, "MaxValue": t.max_value, "DesiredCapacity": t.desired_capacity,
                "LaunchTime": minute_time(t.launch_ms), "LaunchExpirationTime": t.launch_expiration_s,
                "RecurrenceType": t.recurrence_type, "RecurrenceValue": t.recurrence_value,
                "RecurrenceEndTime": t.recurrence_end_ms.map(minute_time), "TaskEnabled": t.enabled,
            })
        })
        .collect();
    Ok(
        json!({"TotalCount": total, "PageNumber": number, "PageSize": size, "ScheduledTasks": items}),
    )
}

/// Job: the task fires (if it is still the same task and enabled), then arms its next occurrence.
pub fn fire(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    task_id: &str,
    generation: u64,
    due_ms: i64,
) -> Result<()> {
    let Some(mut t) = tx.load::<ScheduledTask>(task_id)? else {
        return Ok(());
    };
    if t.generation != generation || !t.enabled {
        return Ok(());
    }
    let scheduled_at = t.next_fire_ms.unwrap_or(due_ms);
    let expires = scheduled_at + t.launch_expiration_s * 1000;
    match run(ctx, tx, &t) {
        Ok(()) => {}
        Err(crate::Error::Fault(f))
            if f.code == "ScalingActivityInProgress" && ctx.now_ms + 10_000 <= expires =>
        {
            // Try again shortly, within the launch expiration window.
            tx.enqueue(
                ctx.now_ms + 10_000,
                FIRE,
                &json!({"task": t.id, "generation": t.generation}).to_string(),
            )?;
            return Ok(());
        }
        Err(crate::Error::Fault(f)) => reject(ctx, tx, &t, &f)?,
        Err(e) => return Err(e),
    }
    let next = match (&t.recurrence_type, &t.recurrence_value) {
        (Some(k), Some(v)) => Recurrence::parse(k, v)?
            .next_after(t.launch_ms, scheduled_at)
            .filter(|n| t.recurrence_end_ms.is_none_or(|end| *n <= end)),
        _ => None,
    };
    t.next_fire_ms = next;
    if let Some(at) = next {
        tx.enqueue(
            at,
            FIRE,
            &json!({"task": t.id, "generation": t.generation}).to_string(),
        )?;
    }
    tx.save(&t)?;
    Ok(())
}

fn run(ctx: &Ctx<'_>, tx: &mut dyn Tx, t: &ScheduledTask) -> Result<()> {
    if let Some(ari) = &t.scheduled_action {
        let rule = rule_by_ari(tx, ari)?;
        rules::run_rule(ctx, tx, &rule, |total, target| {
            Trigger {
            cause: format!(
                "A scheduled task \"{}\" executes scaling rule \"{}\", changing the Total Capacity from \"{total}\" to \"{target}\".",
                t.id, rule.id
            ),
            source_type: "Ess",
            source_id: t.id.clone(),
            metadata: None,
            hooks: Hooks::Fire,
        }
        })?;
        return Ok(());
    }
    let Some(group_id) = &t.group_id else {
        return Ok(());
    };
    let mut g = load_group(tx, group_id)?;
    let min = t.min_value.unwrap_or(g.min_size);
    let max = t.max_value.unwrap_or(g.max_size);
    if min > max {
        return Err(fault::conflict("MinValue", "MaxValue").into());
    }
    g.min_size = min;
    g.max_size = max;
    if let Some(d) = t.desired_capacity {
        g.desired_capacity = Some(d.clamp(min, max));
    } else if let Some(d) = g.desired_capacity {
        g.desired_capacity = Some(d.clamp(min, max));
    }
    g.modified_ms = ctx.now_ms;
    tx.save(&g)?;
    activity::converge(ctx, tx, &mut g)?;
    Ok(())
}

/// A firing that could not run leaves a Rejected activity saying why.
fn reject(ctx: &Ctx<'_>, tx: &mut dyn Tx, t: &ScheduledTask, f: &esl_domain::Fault) -> Result<()> {
    let group_id = match (&t.group_id, &t.scheduled_action) {
        (Some(g), _) => g.clone(),
        (None, Some(ari)) => match rule_by_ari(tx, ari) {
            Ok(r) => r.group_id,
            Err(_) => return Ok(()),
        },
        _ => return Ok(()),
    };
    let Some(mut g) = tx.load::<esl_domain::model::ScalingGroup>(&group_id)? else {
        return Ok(());
    };
    let id = activity::record_immediate(
        ctx,
        tx,
        &mut g,
        format!("Scheduled task \"{}\" is rejected", t.id),
        Vec::new(),
        Trigger {
            cause: format!("A scheduled task \"{}\" is triggered.", t.id),
            source_type: "Ess",
            source_id: t.id.clone(),
            metadata: None,
            hooks: Hooks::Fire,
        },
    )?;
    if let Some(mut a) = tx.load::<esl_domain::model::ScalingActivity>(&id)? {
        a.kind = ActivityKind::ScaleOut;
        a.status = ActivityStatus::Rejected;
        a.status_message = f.message.clone();
        a.error_code = Some(f.code.to_string());
        a.error_message = Some(f.message.clone());
        tx.save(&a)?;
    }
    Ok(())
}
