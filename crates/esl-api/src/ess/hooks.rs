//! Lifecycle hooks (Method 3): a hook holds an activity's new instances in Pending:Wait or its
//! departing ones in Removing:Wait, with one lifecycle action (a token) per hook per activity, until
//! CompleteLifecycleAction, the heartbeat timeout (DefaultResult), or the hook's deletion. The
//! results then act as DESIGN.md decides: on scale-out CONTINUE lets the instances in service and
//! ABANDON/ROLLBACK releases them and takes their IPs out of every whitelist; on scale-in ROLLBACK
//! keeps the instances and anything else removes them (their IPs leave after the wait).

use esl_domain::fault;
use esl_domain::model::{
    ActionStatus, ActivityStatus, CreationType, EcsInstance, HookResult, LifecycleAction,
    LifecycleHook, LifecycleState, ScalingActivity, ScalingGroup, ScalingInstance, Transition,
};
use esl_store::{Filter, Tx, TxExt};
use serde_json::{json, Value};

use super::activity::{self, group_instances, Hooks};
use super::load_group;
use crate::util::valid_ess_name;
use crate::{membership, Ctx, Result};

pub const TIMEOUT: &str = "ess.lifecycle.timeout";
pub const CONVERGE: &str = "ess.converge";
/// A wait may be extended 20 times, to 6 hours in all.
const MAX_HEARTBEATS: u32 = 20;
const MAX_WAIT_MS: i64 = 6 * 3600 * 1000;
pub const HOOKS_PER_GROUP: u64 = 6;

fn f(code: &'static str, message: &str) -> esl_domain::Fault {
    esl_domain::Fault {
        status: 400,
        code: code.into(),
        message: message.into(),
    }
}

fn token_invalid() -> esl_domain::Fault {
    f(
        "LifecycleHookIdAndLifecycleActionToken.Invalid",
        "The specified lifecycleActionToken and lifecycleHookId you provided does not match any in process lifecycle action.",
    )
}

fn hook_not_found() -> esl_domain::Fault {
    f(
        "InvalidLifecycleHookId.NotExist",
        "The specified lifecycleHookId not exist.",
    )
}

fn arn_invalid() -> esl_domain::Fault {
    f(
        "InvalidNotificationArn",
        "The specified parameter notificationArn is invalid.",
    )
}

/// The active hooks of `transition` that an activity with `hooks` fires.
pub fn applicable(
    tx: &mut dyn Tx,
    group: &ScalingGroup,
    transition: Transition,
    hooks: &Hooks,
) -> Result<Vec<LifecycleHook>> {
    Ok(tx
        .list::<LifecycleHook>(&Filter {
            parent: Some(&group.id),
            ..Default::default()
        })?
        .into_iter()
        .filter(|h| h.active && h.transition == transition)
        .filter(|h| hooks.fires(&h.id))
        .collect())
}

/// Holds the instances: one lifecycle action per hook, its timeout armed, its target notified.
pub fn hold(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    group: &ScalingGroup,
    activity_id: &str,
    transition: Transition,
    instance_ids: &[String],
    holding: Vec<LifecycleHook>,
) -> Result<()> {
    for hook in holding {
        let mut action = LifecycleAction {
            id: ctx.cloud.ids.uuid(),
            region: group.region.clone(),
            hook_id: hook.id.clone(),
            group_id: group.id.clone(),
            activity_id: activity_id.to_string(),
            transition,
            instance_ids: instance_ids.to_vec(),
            status: ActionStatus::Pending,
            result: None,
            default_result: hook.default_result,
            started_ms: ctx.now_ms,
            deadline_ms: ctx.now_ms + hook.heartbeat_timeout_s * 1000,
            heartbeats: 0,
            generation: 0,
            execution_id: None,
        };
        action.execution_id = crate::oos::start_for_hook(ctx, tx, &hook, &action)?;
        tx.save(&action)?;
        arm_timeout(tx, &action)?;
    }
    Ok(())
}

fn arm_timeout(tx: &mut dyn Tx, action: &LifecycleAction) -> Result<()> {
    tx.enqueue(
        action.deadline_ms,
        TIMEOUT,
        &json!({"token": action.id, "generation": action.generation}).to_string(),
    )?;
    Ok(())
}

/// Job: a wait that nobody ended by its deadline ends with the hook's DefaultResult.
pub fn timeout(ctx: &Ctx<'_>, tx: &mut dyn Tx, token: &str, generation: u32) -> Result<()> {
    let Some(mut action) = tx.load::<LifecycleAction>(token)? else {
        return Ok(());
    };
    if action.status != ActionStatus::Pending || action.generation != generation {
        return Ok(());
    }
    let result = action.default_result;
    end_action(ctx, tx, &mut action, ActionStatus::Timeout, result)
}

/// Ends one action, then the activity's wait if it was the last.
fn end_action(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    action: &mut LifecycleAction,
    status: ActionStatus,
    result: HookResult,
) -> Result<()> {
    action.status = status;
    action.result = Some(result);
    tx.save(action)?;
    // On scale-in, the first ABANDON or ROLLBACK ends the other waits early.
    if action.transition == Transition::ScaleIn && result != HookResult::Continue {
        for mut other in siblings(tx, &action.activity_id)? {
            if other.status == ActionStatus::Pending {
                other.status = ActionStatus::Completed;
                other.result = Some(result);
                tx.save(&other)?;
            }
        }
    }
    resolve_if_done(ctx, tx, &action.activity_id.clone())
}

fn siblings(tx: &mut dyn Tx, activity_id: &str) -> Result<Vec<LifecycleAction>> {
    Ok(tx.list::<LifecycleAction>(&Filter {
        parent: Some(activity_id),
        ..Default::default()
    })?)
}

/// When no action of the activity is pending any more, the activity goes on (or is undone).
fn resolve_if_done(ctx: &Ctx<'_>, tx: &mut dyn Tx, activity_id: &str) -> Result<()> {
    let actions = siblings(tx, activity_id)?;
    if actions.is_empty() || actions.iter().any(|a| a.status == ActionStatus::Pending) {
        return Ok(());
    }
    let Some(mut act) = tx.load::<ScalingActivity>(activity_id)? else {
        return Ok(());
    };
    if act.status != ActivityStatus::InProgress {
        return Ok(());
    }
    let Some(mut group) = tx.load::<ScalingGroup>(&act.group_id)? else {
        return Ok(());
    };
    let results: Vec<HookResult> = actions.iter().filter_map(|a| a.result).collect();
    let decisive = results.iter().copied().find(|r| *r != HookResult::Continue);
    let transition = actions[0].transition;
    match (transition, decisive) {
        (Transition::ScaleOut, Some(r)) => {
            // Abandoned: the new instances leave every whitelist they entered and are released.
            let mut ips = Vec::new();
            for id in &act.instance_ids {
                let Some(m) = tx.load::<ScalingInstance>(id)? else {
                    continue;
                };
                tx.remove::<ScalingInstance>(id)?;
                ips.extend(m.private_ip.clone());
                if let Some(mut ecs) = tx.load::<EcsInstance>(id)? {
                    if m.creation_type == CreationType::AutoCreated || m.entrusted {
                        crate::ecs::delete_ecs(tx, &ecs)?;
                    } else {
                        ecs.scaling_group_id = None;
                        tx.save(&ecs)?;
                    }
                }
            }
            membership::remove_ips(tx, &group.db_instances, &ips)?;
            let message = format!(
                "The lifecycle action ended with {}: \"{}\" ECS instances are released.",
                r.as_str(),
                act.instance_ids.len()
            );
            end_activity(
                ctx,
                tx,
                &mut act,
                &mut group,
                ActivityStatus::Failed,
                message,
            )?;
            // Try again after the cooldown rather than at once.
            tx.enqueue(
                ctx.now_ms + group.default_cooldown.max(1) * 1000,
                CONVERGE,
                &json!({"group": group.id}).to_string(),
            )?;
        }
        (Transition::ScaleOut, None) => {
            activity::set_states(tx, &act.instance_ids, LifecycleState::Pending)?;
            activity::finish(ctx, tx, activity_id)?;
        }
        (Transition::ScaleIn, Some(HookResult::Rollback)) => {
            activity::set_states(tx, &act.instance_ids, LifecycleState::InService)?;
            let message = format!(
                "The lifecycle action ended with ROLLBACK: \"{}\" ECS instances are kept.",
                act.instance_ids.len()
            );
            end_activity(
                ctx,
                tx,
                &mut act,
                &mut group,
                ActivityStatus::Failed,
                message,
            )?;
        }
        (Transition::ScaleIn, _) => {
            activity::begin_leaving(tx, &group, &act.instance_ids, act.remove_ips)?;
            activity::end_later(ctx, tx, activity_id, ctx.cloud.timing.instance_release_ms)?;
        }
    }
    Ok(())
}

fn end_activity(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    act: &mut ScalingActivity,
    group: &mut ScalingGroup,
    status: ActivityStatus,
    message: String,
) -> Result<()> {
    let all = group_instances(tx, &group.id)?;
    act.status = status;
    act.progress = 100;
    act.end_ms = Some(ctx.now_ms);
    act.status_message = message;
    act.total_capacity = all.len() as i64;
    act.attached_capacity = all
        .iter()
        .filter(|i| i.creation_type == CreationType::Attached)
        .count() as i64;
    act.auto_created_capacity = all
        .iter()
        .filter(|i| i.creation_type == CreationType::AutoCreated)
        .count() as i64;
    tx.save(act)?;
    group.running_activity = None;
    tx.save(group)?;
    Ok(())
}

/// Job: a group converges after an abandoned scale-out's cooldown.
pub fn converge_job(ctx: &Ctx<'_>, tx: &mut dyn Tx, group_id: &str) -> Result<()> {
    if let Some(mut g) = tx.load::<ScalingGroup>(group_id)? {
        activity::converge(ctx, tx, &mut g)?;
    }
    Ok(())
}

// ---- the actions ----

fn parse_result(text: &str, allow_rollback: bool) -> Result<HookResult> {
    match HookResult::parse(text) {
        Some(HookResult::Rollback) if !allow_rollback => {
            Err(fault::invalid_parameter("DefaultResult").into())
        }
        Some(r) => Ok(r),
        None => Err(fault::invalid_parameter(if allow_rollback {
            "LifecycleActionResult"
        } else {
            "DefaultResult"
        })
        .into()),
    }
}

/// Checks a NotificationArn (`acs:{mns|oos|eventbridge|ess}:{region}:{account}:{kind}/{name}`) and,
/// for an OOS template, that the template exists and the metadata is a JSON object.
fn check_target(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    region: &str,
    arn: &str,
    metadata: Option<&str>,
) -> Result<()> {
    let parts: Vec<&str> = arn.splitn(5, ':').collect();
    if parts.len() != 5
        || parts[0] != "acs"
        || parts[2] != region
        || parts[3] != ctx.cloud.account_id
    {
        return Err(arn_invalid().into());
    }
    let (kind, name) = parts[4].split_once('/').ok_or_else(arn_invalid)?;
    let ok = match (parts[1], kind) {
        ("mns", "queue")
        | ("mns", "topic")
        | ("ess", "queue")
        | ("ess", "topic")
        | ("eventbridge", "eventbus") => !name.is_empty(),
        ("oos", "template") => {
            if !crate::oos::template_exists(tx, region, name)? {
                return Err(arn_invalid().into());
            }
            if let Some(m) = metadata {
                if !serde_json::from_str::<Value>(m).is_ok_and(|v| v.is_object()) {
                    return Err(fault::invalid_parameter("NotificationMetadata").into());
                }
            }
            true
        }
        _ => false,
    };
    if !ok {
        return Err(arn_invalid().into());
    }
    Ok(())
}

/// Creates a hook from a parameter set (the action's own, or one `LifecycleHooks.N` of CreateScalingGroup).
pub fn create_from(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    group: &ScalingGroup,
    p: &esl_wire::Params,
) -> Result<String> {
    let transition = Transition::parse(
        p.str("LifecycleTransition")
            .ok_or_else(|| fault::missing_parameter("LifecycleTransition"))?,
    )
    .ok_or_else(|| fault::invalid_parameter("LifecycleTransition"))?;
    let default_result = match p.str("DefaultResult") {
        None => HookResult::Continue,
        Some(r) => parse_result(r, false)?,
    };
    let timeout = p.int("HeartbeatTimeout")?.unwrap_or(600);
    if !(30..=21600).contains(&timeout) {
        return Err(fault::invalid_parameter("HeartbeatTimeout").into());
    }
    let arn = p.string("NotificationArn");
    let metadata = p.string("NotificationMetadata");
    if metadata.as_ref().is_some_and(|m| m.chars().count() > 4096) {
        return Err(fault::invalid_parameter("NotificationMetadata").into());
    }
    match &arn {
        Some(a) => check_target(ctx, tx, &group.region, a, metadata.as_deref())?,
        None if metadata.is_some() => {
            return Err(fault::missing_parameter("NotificationArn").into())
        }
        None => {}
    }
    let existing = tx.list::<LifecycleHook>(&Filter {
        parent: Some(&group.id),
        ..Default::default()
    })?;
    if existing.len() as u64 >= HOOKS_PER_GROUP {
        return Err(f(
            "QuotaExceeded.LifecycleHook",
            "Lifecycle hook quota exceeded in the specified scaling group.",
        )
        .into());
    }
    let id = ctx.id("ash");
    let name = p.string("LifecycleHookName").unwrap_or_else(|| id.clone());
    if !valid_ess_name(&name) {
        return Err(fault::invalid_parameter("LifecycleHookName").into());
    }
    if existing.iter().any(|h| h.name == name) {
        return Err(f(
            "InvalidLifecycleHookName.Duplicate",
            "The specified value of parameter lifecycleHookName is duplicated.",
        )
        .into());
    }
    tx.save(&LifecycleHook {
        id: id.clone(),
        region: group.region.clone(),
        group_id: group.id.clone(),
        name,
        transition,
        default_result,
        heartbeat_timeout_s: timeout,
        notification_arn: arn,
        notification_metadata: metadata,
        active: true,
        created_ms: ctx.now_ms,
    })?;
    Ok(id)
}

pub fn create(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let group = load_group(tx, ctx.params.required("ScalingGroupId")?)?;
    let id = create_from(ctx, tx, &group, ctx.params)?;
    Ok(json!({"LifecycleHookId": id}))
}

/// The hook named by LifecycleHookId, or by ScalingGroupId + LifecycleHookName.
fn find(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<LifecycleHook> {
    let p = ctx.params;
    if let Some(id) = p.str("LifecycleHookId") {
        return Ok(tx.load::<LifecycleHook>(id)?.ok_or_else(hook_not_found)?);
    }
    let group = p
        .str("ScalingGroupId")
        .ok_or_else(|| fault::missing_parameter("LifecycleHookId"))?;
    let name = p
        .str("LifecycleHookName")
        .ok_or_else(|| fault::missing_parameter("LifecycleHookName"))?;
    load_group(tx, group)?;
    Ok(tx
        .list::<LifecycleHook>(&Filter {
            parent: Some(group),
            name: Some(name),
            ..Default::default()
        })?
        .into_iter()
        .next()
        .ok_or_else(|| {
            f(
                "InvalidLifecycleHookName.NotExist",
                "The specified lifecycleHookName you provided not exist.",
            )
        })?)
}

pub fn modify(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let mut hook = find(ctx, tx)?;
    if let Some(t) = p.str("LifecycleTransition") {
        hook.transition =
            Transition::parse(t).ok_or_else(|| fault::invalid_parameter("LifecycleTransition"))?;
    }
    if let Some(r) = p.str("DefaultResult") {
        hook.default_result = parse_result(r, false)?;
    }
    if let Some(t) = p.int("HeartbeatTimeout")? {
        if !(30..=21600).contains(&t) {
            return Err(fault::invalid_parameter("HeartbeatTimeout").into());
        }
        hook.heartbeat_timeout_s = t;
    }
    if let Some(m) = p.string("NotificationMetadata") {
        hook.notification_metadata = Some(m);
    }
    if let Some(a) = p.string("NotificationArn") {
        hook.notification_arn = Some(a);
    }
    if let Some(a) = hook.notification_arn.clone() {
        check_target(
            ctx,
            tx,
            &hook.region,
            &a,
            hook.notification_metadata.as_deref(),
        )?;
    }
    if let Some(s) = p.str("LifecycleHookStatus") {
        hook.active = match s {
            "Active" => true,
            "InActive" => false,
            _ => return Err(fault::invalid_parameter("LifecycleHookStatus").into()),
        };
    }
    tx.save(&hook)?;
    Ok(json!({}))
}

pub fn delete(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let hook = find(ctx, tx)?;
    tx.remove::<LifecycleHook>(&hook.id)?;
    // Deleting a hook ends its waits early, with its default result.
    let pending: Vec<LifecycleAction> = tx
        .list::<LifecycleAction>(&Filter {
            region: Some(&hook.region),
            name: Some(&hook.id),
            ..Default::default()
        })?
        .into_iter()
        .filter(|a| a.status == ActionStatus::Pending)
        .collect();
    for mut a in pending {
        end_action(
            ctx,
            tx,
            &mut a,
            ActionStatus::Completed,
            hook.default_result,
        )?;
    }
    Ok(json!({}))
}

fn hook_json(ctx: &Ctx<'_>, h: &LifecycleHook) -> Value {
    json!({
        "LifecycleHookId": h.id, "LifecycleHookName": h.name, "ScalingGroupId": h.group_id,
        "LifecycleTransition": h.transition.as_str(), "DefaultResult": h.default_result.as_str(),
        "HeartbeatTimeout": h.heartbeat_timeout_s,
        "NotificationArn": h.notification_arn.clone().unwrap_or_else(|| format!("acs:ess:{}:{}:null/null", h.region, ctx.cloud.account_id)),
        "NotificationMetadata": h.notification_metadata, "LifecycleHookStatus": if h.active { "Active" } else { "InActive" },
    })
}

pub fn describe(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let ids = p.list("LifecycleHookIds");
    let (number, size) = crate::util::paging(p, 50, 50)?;
    let all: Vec<LifecycleHook> = if !ids.is_empty() {
        let mut v = Vec::new();
        for id in &ids {
            v.extend(tx.load::<LifecycleHook>(id)?);
        }
        v
    } else {
        let group = p
            .str("ScalingGroupId")
            .ok_or_else(|| fault::missing_parameter("ScalingGroupId"))?;
        load_group(tx, group)?;
        tx.list::<LifecycleHook>(&Filter {
            parent: Some(group),
            name: p.str("LifecycleHookName"),
            ..Default::default()
        })?
    };
    let total = all.len();
    let items: Vec<Value> = crate::util::page(all, number, size)
        .iter()
        .map(|h| hook_json(ctx, h))
        .collect();
    Ok(
        json!({"TotalCount": total, "PageNumber": number, "PageSize": size, "LifecycleHooks": items}),
    )
}

/// The pending action of (hook, token), or the documented error.
fn pending_action(tx: &mut dyn Tx, hook_id: &str, token: &str) -> Result<LifecycleAction> {
    let action = tx
        .load::<LifecycleAction>(token)?
        .filter(|a| a.hook_id == hook_id);
    match action {
        Some(a) if a.status == ActionStatus::Pending => Ok(a),
        _ => Err(token_invalid().into()),
    }
}

pub fn complete_action(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let mut action = pending_action(
        tx,
        p.required("LifecycleHookId")?,
        p.required("LifecycleActionToken")?,
    )?;
    let result = match p.str("LifecycleActionResult") {
        None => action.default_result,
        Some(r) => parse_result(r, true)?,
    };
    end_action(ctx, tx, &mut action, ActionStatus::Completed, result)?;
    Ok(json!({}))
}

pub fn record_heartbeat(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let hook_id = p
        .str("lifecycleHookId")
        .or(p.str("LifecycleHookId"))
        .ok_or_else(|| fault::missing_parameter("lifecycleHookId"))?;
    let token = p
        .str("lifecycleActionToken")
        .or(p.str("LifecycleActionToken"))
        .ok_or_else(|| fault::missing_parameter("lifecycleActionToken"))?;
    let mut action = pending_action(tx, hook_id, token)?;
    let hook = tx
        .load::<LifecycleHook>(hook_id)?
        .ok_or_else(hook_not_found)?;
    let timeout = p
        .int("heartbeatTimeout")?
        .or(p.int("HeartbeatTimeout")?)
        .unwrap_or(hook.heartbeat_timeout_s);
    if !(30..=21600).contains(&timeout) {
        return Err(fault::invalid_parameter("heartbeatTimeout").into());
    }
    if action.heartbeats >= MAX_HEARTBEATS {
        return Err(f(
            "LifecycleAction.RecordTimesExceeded",
            "The specified lifecycleAction exceed lifecycleAction max record times.",
        )
        .into());
    }
    let deadline = ctx.now_ms + timeout * 1000;
    if deadline - action.started_ms > MAX_WAIT_MS {
        return Err(f(
            "LifecycleAction.TimeExceeded",
            "The specified parameter heartbeatTime exceed lifecycleAction max suspend time.",
        )
        .into());
    }
    action.heartbeats += 1;
    action.generation += 1;
    action.deadline_ms = deadline;
    tx.save(&action)?;
    arm_timeout(tx, &action)?;
    Ok(json!({}))
}

pub fn describe_actions(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let activity_id = p.required("ScalingActivityId")?;
    if tx.load::<ScalingActivity>(activity_id)?.is_none() {
        return Err(fault::invalid_parameter("ScalingActivityId").into());
    }
    let status = match p.str("LifecycleActionStatus") {
        None => None,
        Some(s) => Some(
            ActionStatus::parse(s)
                .ok_or_else(|| fault::invalid_parameter("LifecycleActionStatus"))?,
        ),
    };
    let max = p.int("MaxResults")?.unwrap_or(10);
    if !(1..=50).contains(&max) {
        return Err(fault::invalid_parameter("MaxResults").into());
    }
    let start: usize = match p.str("NextToken") {
        None => 0,
        Some(t) => t
            .parse()
            .map_err(|_| fault::invalid_parameter("NextToken"))?,
    };
    let all: Vec<LifecycleAction> = siblings(tx, activity_id)?
        .into_iter()
        .filter(|a| status.is_none_or(|s| a.status == s))
        .collect();
    let total = all.len();
    let items: Vec<Value> = all
        .iter()
        .skip(start)
        .take(max as usize)
        .map(|a| {
            json!({
                "LifecycleHookId": a.hook_id, "LifecycleActionToken": a.id, "LifecycleActionStatus": a.status.as_str(),
                "LifecycleActionResult": a.result.map(|r| r.as_str()), "InstanceIds": a.instance_ids,
            })
        })
        .collect();
    let next = start + items.len();
    Ok(json!({
        "TotalCount": total, "MaxResults": max, "NextToken": if next < total { next.to_string() } else { String::new() },
        "LifecycleActions": items,
    }))
}
