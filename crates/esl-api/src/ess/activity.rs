//! Scaling activities: starting a scale-out or scale-in (its first step runs inside the call that
//! caused it: instances exist as Pending with their IPs already whitelisted, or go Removing with
//! their IPs already gone), finishing it when its job comes due, and converging a group to its
//! bounds and desired capacity.

use esl_domain::model::{
    ActivityKind, ActivityStatus, CreationType, EcsInstance, EcsStatus, GroupState, HookContext,
    LifecycleState, ScalingActivity, ScalingConfiguration, ScalingGroup, ScalingInstance,
    Transition, VSwitch,
};
use esl_domain::scaling::{self, Candidate, RemovalPolicy};
use esl_domain::{fault, net, Fault};
use esl_store::{Filter, Tx, TxExt};
use serde_json::{json, Value};

use super::hooks;
use crate::membership;
use crate::util::{minute_time, page, paging};
use crate::{Cloud, Ctx, Result};

/// Why an activity runs.
pub struct Trigger {
    pub cause: String,
    /// `APIs` for a user's call, `Ess` for the service's own convergence.
    pub source_type: &'static str,
    pub source_id: String,
    pub metadata: Option<String>,
    /// Whether the group's lifecycle hooks hold the activity's instances.
    pub hooks: Hooks,
}

/// Which lifecycle hooks an activity fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hooks {
    /// Every active hook of the transition.
    Fire,
    /// None (a manual Attach/Detach without LifecycleHook=true).
    Skip,
    /// As the caller's `LifecycleHookContext` says: none (DisableLifecycleHook), or all but
    /// IgnoredLifecycleHookIds. The activity echoes it.
    Context(HookContext),
}

impl Hooks {
    /// From the 2022 `LifecycleHookContext` JSON parameter
    /// (`{"DisableLifecycleHook":true,"IgnoredLifecycleHookIds":["ash-1"]}`).
    pub fn from_context(params: &esl_wire::Params) -> Result<Hooks> {
        let Some(text) = params.str("LifecycleHookContext") else {
            return Ok(Hooks::Fire);
        };
        let v: Value = serde_json::from_str(text)
            .map_err(|_| fault::invalid_parameter("LifecycleHookContext"))?;
        let ignored_lifecycle_hook_ids: Vec<String> = v
            .get("IgnoredLifecycleHookIds")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Hooks::Context(HookContext {
            disable_lifecycle_hook: v.get("DisableLifecycleHook").and_then(Value::as_bool)
                == Some(true),
            ignored_lifecycle_hook_ids,
        }))
    }

    /// Whether the activity fires `hook_id`.
    pub fn fires(&self, hook_id: &str) -> bool {
        match self {
            Hooks::Fire => true,
            Hooks::Skip => false,
            Hooks::Context(c) => {
                !c.disable_lifecycle_hook
                    && !c.ignored_lifecycle_hook_ids.iter().any(|i| i == hook_id)
            }
        }
    }
}

/// The job that ends an activity.
pub const ACTIVITY_DONE: &str = "ess.activity.done";

pub fn group_instances(tx: &mut dyn Tx, group_id: &str) -> Result<Vec<ScalingInstance>> {
    Ok(tx.list::<ScalingInstance>(&Filter {
        parent: Some(group_id),
        ..Default::default()
    })?)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The pseudo-vSwitch classic-network instances take their inner IPs from.
const CLASSIC_CIDR: &str = "10.80.0.0/12";

/// The pseudo-vSwitch classic-network instances take their inner IPs from (one per region; its
/// cursor is kept in the store's metadata).
pub fn classic_vswitch(tx: &mut dyn Tx, region: &str) -> Result<VSwitch> {
    let cursor = tx
        .meta_get(&format!("classic_cursor/{region}"))?
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok(VSwitch {
        id: format!("classic/{region}"),
        region: region.to_string(),
        vpc_id: String::new(),
        zone_id: format!("{region}-b"),
        cidr: CLASSIC_CIDR.to_string(),
        name: String::new(),
        description: String::new(),
        created_ms: 0,
        ip_cursor: cursor,
    })
}

fn group_vswitches(tx: &mut dyn Tx, group: &ScalingGroup) -> Result<Vec<VSwitch>> {
    if group.vswitch_ids.is_empty() {
        return Ok(vec![classic_vswitch(tx, &group.region)?]);
    }
    let mut out = Vec::new();
    for id in &group.vswitch_ids {
        out.push(
            tx.load::<VSwitch>(id)?
                .ok_or_else(fault::ess_vswitch_not_found)?,
        );
    }
    Ok(out)
}

pub fn save_vswitch(tx: &mut dyn Tx, v: &VSwitch) -> Result<()> {
    if v.vpc_id.is_empty() {
        tx.meta_set(
            &format!("classic_cursor/{}", v.region),
            &v.ip_cursor.to_string(),
        )?;
    } else {
        tx.save(v)?;
    }
    Ok(())
}

fn active_config(tx: &mut dyn Tx, group: &ScalingGroup) -> Result<ScalingConfiguration> {
    let id = group
        .active_config_id
        .as_deref()
        .ok_or_else(fault::missing_active_config)?;
    Ok(tx
        .load::<ScalingConfiguration>(id)?
        .ok_or_else(fault::missing_active_config)?)
}

/// Checks, without changing anything, that `count` instances can be added now.
pub fn preflight_scale_out(tx: &mut dyn Tx, group: &ScalingGroup, count: usize) -> Result<()> {
    active_config(tx, group)?;
    let mut free = 0u64;
    for v in group_vswitches(tx, group)? {
        let network: ipnet::Ipv4Net = v.cidr.parse().map_err(|_| fault::invalid_cidr())?;
        free += net::usable_count(&network).saturating_sub(tx.count_ips(&v.id)?);
    }
    if free < count as u64 {
        return Err(fault::vswitch_no_free_ip().into());
    }
    // The whitelist checks of add_ips, for addresses that are new by construction.
    check_whitelists(tx, group, count)
}

fn check_whitelists(tx: &mut dyn Tx, group: &ScalingGroup, new_ips: usize) -> Result<()> {
    use esl_domain::model::{AttachMode, DbKind, DbStatus, RdsInstance};
    use esl_domain::whitelist::{total_entries, MAX_ENTRIES};
    for a in group
        .db_instances
        .iter()
        .filter(|a| a.mode == AttachMode::SecurityIp && a.kind == DbKind::Rds)
    {
        let db = tx
            .load::<RdsInstance>(&a.db_id)?
            .ok_or_else(|| fault::ess_db_not_found(&a.db_id))?;
        if db.status != DbStatus::Running {
            return Err(fault::ess_db_status(&db.id).into());
        }
        if total_entries(&db.ip_groups) + new_ips > MAX_ENTRIES {
            return Err(fault::ess_db_ip_quota(&db.id).into());
        }
    }
    Ok(())
}

/// Starts adding `count` instances: they exist as Pending with private IPs, already in every
/// associated RDS whitelist, when this returns; the activity ends when its job comes due.
pub fn start_scale_out(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    group: &mut ScalingGroup,
    count: usize,
    trigger: Trigger,
) -> Result<String> {
    let config = active_config(tx, group)?;
    let mut vswitches = group_vswitches(tx, group)?;
    let activity_id = ctx.id("asa");
    let mut ips = Vec::new();
    let mut ids = Vec::new();
    let balance = group.multi_az_policy == "BALANCE";
    let mut per_vsw: Vec<usize> = vec![0; vswitches.len()];
    if balance {
        for inst in group_instances(tx, &group.id)? {
            if let Some(ecs) = tx.load::<EcsInstance>(&inst.id)? {
                if let Some(i) = vswitches
                    .iter()
                    .position(|v| Some(&v.id) == ecs.vswitch_id.as_ref())
                {
                    per_vsw[i] += 1;
                }
            }
        }
    }
    for _ in 0..count {
        let instance_id = ctx.id("i");
        let mut order: Vec<usize> = (0..vswitches.len()).collect();
        if balance {
            order.sort_by_key(|i| (per_vsw[*i], *i));
        }
        let mut placed = None;
        for i in order {
            match membership::allocate_ip(tx, &mut vswitches[i], &instance_id) {
                Ok(ip) => {
                    placed = Some((i, ip));
                    break;
                }
                Err(crate::Error::Fault(f)) if f.code == "InvalidVSwitchId.IpNotEnough" => continue,
                Err(e) => return Err(e),
            }
        }
        let (i, ip) = placed.ok_or_else(fault::vswitch_no_free_ip)?;
        per_vsw[i] += 1;
        let vsw = &vswitches[i];
        let classic = vsw.vpc_id.is_empty();
        let instance_type = config
            .instance_type
            .clone()
            .or_else(|| config.instance_types.first().cloned())
            .unwrap_or_default();
        let mut sgs = config.security_group_ids.clone();
        if let Some(sg) = &config.security_group_id {
            sgs.insert(0, sg.clone());
        }
        let name = config
            .echo
            .get("InstanceName")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| instance_id.clone());
        tx.save(&EcsInstance {
            id: instance_id.clone(),
            region: group.region.clone(),
            zone_id: vsw.zone_id.clone(),
            vpc_id: (!classic).then(|| vsw.vpc_id.clone()),
            vswitch_id: Some(vsw.id.clone()),
            private_ip: Some(ip.clone()),
            status: EcsStatus::Pending,
            instance_type,
            image_id: config.image_id.clone(),
            security_group_ids: sgs,
            host_name: name.clone(),
            name,
            created_ms: ctx.now_ms,
            scaling_group_id: Some(group.id.clone()),
            tags: group
                .tags
                .iter()
                .filter(|(_, _, propagate)| *propagate)
                .map(|(k, v, _)| (k.clone(), v.clone()))
                .collect(),
        })?;
        tx.save(&ScalingInstance {
            id: instance_id.clone(),
            region: group.region.clone(),
            group_id: group.id.clone(),
            config_id: Some(config.id.clone()),
            creation_type: CreationType::AutoCreated,
            state: LifecycleState::Pending,
            healthy: true,
            entrusted: false,
            activity_id: activity_id.clone(),
            joined_ms: ctx.now_ms,
            weight: 50,
            zone_id: vsw.zone_id.clone(),
            private_ip: Some(ip.clone()),
            vswitch_id: Some(vsw.id.clone()),
        })?;
        ips.push(ip);
        ids.push(instance_id);
    }
    for v in &vswitches {
        save_vswitch(tx, v)?;
    }
    membership::add_ips(tx, &group.db_instances, &ips)?;
    // The IPs are in the whitelists before a scale-out hook holds the instances.
    begin_joining(
        ctx,
        tx,
        group,
        &activity_id,
        ActivityKind::ScaleOut,
        ids,
        trigger,
    )?;
    Ok(activity_id)
}

/// The common start of instances joining a group (scale-out, attach): the active SCALE_OUT hooks
/// hold them (Pending:Wait, one lifecycle action per hook) or the activity's end is scheduled.
fn begin_joining(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    group: &mut ScalingGroup,
    activity_id: &str,
    kind: ActivityKind,
    ids: Vec<String>,
    trigger: Trigger,
) -> Result<()> {
    let holding = hooks::applicable(tx, group, Transition::ScaleOut, &trigger.hooks)?;
    if !holding.is_empty() {
        set_states(tx, &ids, LifecycleState::PendingWait)?;
    }
    let n = ids.len();
    let wait = (!holding.is_empty()).then(|| ids.clone());
    record_start(
        ctx,
        tx,
        group,
        activity_id,
        kind,
        format!("Add \"{n}\" ECS instance{}", plural(n)),
        ids,
        trigger,
        (holding.is_empty()).then_some(ctx.cloud.timing.instance_launch_ms),
    )?;
    if let Some(ids) = wait {
        hooks::hold(
            ctx,
            tx,
            group,
            activity_id,
            Transition::ScaleOut,
            &ids,
            holding,
        )?;
    }
    Ok(())
}

/// Starts removing instances: they go Removing and their IPs leave every associated RDS whitelist
/// now; they are released (AutoCreated, Entrusted) or let go (Attached) when the job comes due.
pub fn start_scale_in(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    group: &mut ScalingGroup,
    instance_ids: Vec<String>,
    trigger: Trigger,
) -> Result<String> {
    start_removal(ctx, tx, group, instance_ids, trigger, Removal::default())
}

/// How instances leave a group.
#[derive(Debug, Clone, Copy)]
pub struct Removal {
    /// ScaleIn (released when AutoCreated or Entrusted) or Detach (never released).
    pub kind: ActivityKind,
    /// Whether their IPs leave the associated whitelists (always, except DetachInstances
    /// without DetachOption=both).
    pub remove_ips: bool,
    /// How many instances to add back afterwards (health-check replacement).
    pub replace: i64,
}

impl Default for Removal {
    fn default() -> Self {
        Removal {
            kind: ActivityKind::ScaleIn,
            remove_ips: true,
            replace: 0,
        }
    }
}

/// Starts removing instances: they go Removing and (normally) their IPs leave every associated
/// RDS whitelist now; the activity's job releases or lets them go.
pub fn start_removal(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    group: &mut ScalingGroup,
    instance_ids: Vec<String>,
    trigger: Trigger,
    removal: Removal,
) -> Result<String> {
    let activity_id = ctx.id("asa");
    // A scale-in hook holds the instances in Removing:Wait; their IPs leave after the wait.
    let holding = hooks::applicable(tx, group, Transition::ScaleIn, &trigger.hooks)?;
    if holding.is_empty() {
        begin_leaving(tx, group, &instance_ids, removal.remove_ips)?;
    } else {
        set_states(tx, &instance_ids, LifecycleState::RemovingWait)?;
    }
    let wait = (!holding.is_empty()).then(|| instance_ids.clone());
    let n = instance_ids.len();
    record_start(
        ctx,
        tx,
        group,
        &activity_id,
        removal.kind,
        format!("Remove \"{n}\" ECS instance{}", plural(n)),
        instance_ids,
        trigger,
        (holding.is_empty()).then_some(ctx.cloud.timing.instance_release_ms),
    )?;
    if let Some(mut a) = tx.load::<ScalingActivity>(&activity_id)? {
        a.replace = removal.replace;
        a.remove_ips = removal.remove_ips;
        tx.save(&a)?;
    }
    if let Some(ids) = wait {
        hooks::hold(
            ctx,
            tx,
            group,
            &activity_id,
            Transition::ScaleIn,
            &ids,
            holding,
        )?;
    }
    Ok(activity_id)
}

/// Records on a started activity the instances its caller named but it skipped
/// (IgnoreInvalidInstance=true) and whether it recycles; it ends Warning if any were skipped.
pub fn note_start_options(
    tx: &mut dyn Tx,
    activity_id: &str,
    skipped: Vec<esl_domain::model::SkippedInstance>,
    recycle: bool,
) -> Result<()> {
    if let Some(mut a) = tx.load::<ScalingActivity>(activity_id)? {
        a.skipped = skipped;
        a.recycle = recycle;
        tx.save(&a)?;
    }
    Ok(())
}

/// Puts members in `state`.
pub fn set_states(tx: &mut dyn Tx, ids: &[String], state: LifecycleState) -> Result<()> {
    for id in ids {
        if let Some(mut m) = tx.load::<ScalingInstance>(id)? {
            m.state = state;
            tx.save(&m)?;
        }
    }
    Ok(())
}

/// Members go Removing and (normally) their IPs leave every associated whitelist.
pub fn begin_leaving(
    tx: &mut dyn Tx,
    group: &ScalingGroup,
    ids: &[String],
    remove_ips: bool,
) -> Result<()> {
    let mut ips = Vec::new();
    for id in ids {
        let mut inst = tx
            .load::<ScalingInstance>(id)?
            .ok_or_else(|| fault::scaling_instance_not_found(id))?;
        inst.state = LifecycleState::Removing;
        if let Some(ip) = &inst.private_ip {
            ips.push(ip.clone());
        }
        tx.save(&inst)?;
    }
    if remove_ips {
        membership::remove_ips(tx, &group.db_instances, &ips)?;
    }
    Ok(())
}

/// Starts attaching existing ECS instances: members are Pending with their IPs already in every
/// associated whitelist when this returns, InService when the activity's job comes due.
pub fn start_attach(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    group: &mut ScalingGroup,
    instances: Vec<EcsInstance>,
    entrusted: bool,
    trigger: Trigger,
) -> Result<String> {
    let activity_id = ctx.id("asa");
    let ips: Vec<String> = instances
        .iter()
        .filter_map(|i| i.private_ip.clone())
        .collect();
    membership::add_ips(tx, &group.db_instances, &ips)?;
    let mut ids = Vec::new();
    for mut ecs in instances {
        tx.save(&ScalingInstance {
            id: ecs.id.clone(),
            region: group.region.clone(),
            group_id: group.id.clone(),
            config_id: None,
            creation_type: CreationType::Attached,
            state: LifecycleState::Pending,
            healthy: true,
            entrusted,
            activity_id: activity_id.clone(),
            joined_ms: ctx.now_ms,
            weight: 50,
            zone_id: ecs.zone_id.clone(),
            private_ip: ecs.private_ip.clone(),
            vswitch_id: ecs.vswitch_id.clone(),
        })?;
        ecs.scaling_group_id = Some(group.id.clone());
        tx.save(&ecs)?;
        ids.push(ecs.id);
    }
    begin_joining(
        ctx,
        tx,
        group,
        &activity_id,
        ActivityKind::Attach,
        ids,
        trigger,
    )?;
    Ok(activity_id)
}

#[allow(clippy::too_many_arguments)]
fn record_start(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    group: &mut ScalingGroup,
    activity_id: &str,
    kind: ActivityKind,
    description: String,
    instance_ids: Vec<String>,
    trigger: Trigger,
    duration_ms: Option<i64>,
) -> Result<()> {
    let mut activity = new_activity(ctx, group, kind, description, trigger);
    activity.id = activity_id.to_string();
    activity.total_capacity = group_instances(tx, &group.id)?.len() as i64;
    activity.instance_ids = instance_ids;
    tx.save(&activity)?;
    group.running_activity = Some(activity_id.to_string());
    tx.save(group)?;
    if let Some(d) = duration_ms {
        end_later(ctx, tx, activity_id, d)?;
    }
    Ok(())
}

/// Records an activity that is done at once (EnterStandby, ExitStandby).
pub fn record_immediate(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    group: &mut ScalingGroup,
    description: String,
    instance_ids: Vec<String>,
    trigger: Trigger,
) -> Result<String> {
    let (total, attached, auto) = capacities(tx, &group.id)?;
    let n = instance_ids.len();
    let mut activity = new_activity(ctx, group, ActivityKind::Standby, description, trigger);
    activity.end_ms = Some(ctx.now_ms);
    activity.progress = 100;
    activity.status = ActivityStatus::Successful;
    activity.status_message = format!("\"{n}\" ECS instance{} changed", plural(n));
    activity.total_capacity = total;
    activity.attached_capacity = attached;
    activity.auto_created_capacity = auto;
    activity.instance_ids = instance_ids;
    tx.save(&activity)?;
    Ok(activity.id)
}

/// Records an activity that only changed the desired capacity (ScaleWithAdjustment with
/// SyncActivity=false on a desired-capacity group); it is done at once.
pub fn record_capacity_change(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    group: &mut ScalingGroup,
    before: i64,
    after: i64,
    trigger: Trigger,
) -> Result<String> {
    let kind = if after > before {
        ActivityKind::ScaleOut
    } else {
        ActivityKind::ScaleIn
    };
    let id = record_immediate(
        ctx,
        tx,
        group,
        format!("Change the Desired Capacity from \"{before}\" to \"{after}\""),
        Vec::new(),
        trigger,
    )?;
    if let Some(mut a) = tx.load::<ScalingActivity>(&id)? {
        a.kind = kind;
        a.status_message = format!("The Desired Capacity is changed to \"{after}\"");
        tx.save(&a)?;
    }
    Ok(id)
}

/// Schedules the end of an activity.
pub fn end_later(ctx: &Ctx<'_>, tx: &mut dyn Tx, activity_id: &str, after_ms: i64) -> Result<()> {
    tx.enqueue(
        ctx.now_ms + after_ms,
        ACTIVITY_DONE,
        &json!({"activity": activity_id}).to_string(),
    )?;
    Ok(())
}

/// Records an activity that could not start (the service's own convergence hit a refusal).
fn record_failed(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    group: &ScalingGroup,
    description: String,
    trigger: Trigger,
    fault: &Fault,
) -> Result<()> {
    let (total, attached, auto) = capacities(tx, &group.id)?;
    let mut activity = new_activity(ctx, group, ActivityKind::ScaleOut, description, trigger);
    activity.end_ms = Some(ctx.now_ms);
    activity.progress = 100;
    activity.status = ActivityStatus::Failed;
    activity.status_message = fault.message.clone();
    activity.total_capacity = total;
    activity.attached_capacity = attached;
    activity.auto_created_capacity = auto;
    activity.error_code = Some(fault.code.to_string());
    activity.error_message = Some(fault.message.clone());
    tx.save(&activity)?;
    Ok(())
}

/// A new activity of `group`, InProgress, started now.
fn new_activity(
    ctx: &Ctx<'_>,
    group: &ScalingGroup,
    kind: ActivityKind,
    description: String,
    trigger: Trigger,
) -> ScalingActivity {
    ScalingActivity {
        id: ctx.id("asa"),
        region: group.region.clone(),
        group_id: group.id.clone(),
        kind,
        description,
        cause: trigger.cause,
        start_ms: ctx.now_ms,
        end_ms: None,
        progress: 0,
        status: ActivityStatus::InProgress,
        status_message: String::new(),
        total_capacity: 0,
        attached_capacity: 0,
        auto_created_capacity: 0,
        instance_ids: Vec::new(),
        trigger_source_type: trigger.source_type.to_string(),
        trigger_source_id: trigger.source_id,
        activity_metadata: trigger.metadata,
        error_code: None,
        error_message: None,
        detail: String::new(),
        replace: 0,
        remove_ips: true,
        lifecycle_hook_context: match trigger.hooks {
            Hooks::Context(c) => Some(c),
            _ => None,
        },
        skipped: Vec::new(),
        recycle: false,
    }
}

fn capacities(tx: &mut dyn Tx, group_id: &str) -> Result<(i64, i64, i64)> {
    let all = group_instances(tx, group_id)?;
    let attached = all
        .iter()
        .filter(|i| i.creation_type == CreationType::Attached)
        .count() as i64;
    let auto = all
        .iter()
        .filter(|i| i.creation_type == CreationType::AutoCreated)
        .count() as i64;
    Ok((all.len() as i64, attached, auto))
}

/// The job step that ends an activity, then lets the group converge.
pub fn finish(ctx: &Ctx<'_>, tx: &mut dyn Tx, activity_id: &str) -> Result<()> {
    let Some(mut activity) = tx.load::<ScalingActivity>(activity_id)? else {
        return Ok(());
    };
    if activity.status != ActivityStatus::InProgress {
        return Ok(());
    }
    let Some(mut group) = tx.load::<ScalingGroup>(&activity.group_id)? else {
        return Ok(());
    };
    let n = activity.instance_ids.len();
    match activity.kind {
        ActivityKind::ScaleOut | ActivityKind::Attach => {
            for id in &activity.instance_ids {
                if let Some(mut inst) = tx.load::<ScalingInstance>(id)? {
                    if inst.state == LifecycleState::Pending {
                        inst.state = LifecycleState::InService;
                        tx.save(&inst)?;
                    }
                }
                if let Some(mut ecs) = tx.load::<EcsInstance>(id)? {
                    if ecs.status == EcsStatus::Pending {
                        ecs.status = EcsStatus::Running;
                        tx.save(&ecs)?;
                    }
                }
            }
            activity.status_message = format!("\"{n}\" ECS instances are added");
        }
        ActivityKind::ScaleIn | ActivityKind::Detach => {
            for id in &activity.instance_ids {
                let Some(inst) = tx.load::<ScalingInstance>(id)? else {
                    continue;
                };
                tx.remove::<ScalingInstance>(id)?;
                let release = activity.kind == ActivityKind::ScaleIn
                    && (inst.creation_type == CreationType::AutoCreated || inst.entrusted);
                match tx.load::<EcsInstance>(id)? {
                    Some(ecs) if release && !activity.recycle => crate::ecs::delete_ecs(tx, &ecs)?,
                    Some(mut ecs) => {
                        // Recycled (Economical Mode): stopped and kept, out of the group.
                        if release {
                            ecs.status = EcsStatus::Stopped;
                        }
                        ecs.scaling_group_id = None;
                        tx.save(&ecs)?;
                    }
                    // Deleted behind the group's back: its address is free only now.
                    None => {
                        if let (Some(vsw), Some(ip)) = (&inst.vswitch_id, &inst.private_ip) {
                            membership::release_ip(tx, vsw, ip)?;
                        }
                    }
                }
            }
            activity.status_message = format!("\"{n}\" ECS instances are removed");
        }
        ActivityKind::Standby => {}
    }
    let (total, attached, auto) = capacities(tx, &group.id)?;
    activity.status = ActivityStatus::Successful;
    if !activity.skipped.is_empty() {
        // Partly done: the instances IgnoreInvalidInstance skipped are named in the message.
        activity.status = ActivityStatus::Warning;
        let k = activity.skipped.len();
        let why = activity
            .skipped
            .iter()
            .map(|s| format!("{}: {}", s.instance_id, s.code))
            .collect::<Vec<_>>()
            .join(", ");
        activity.status_message = format!(
            "{}; \"{k}\" invalid ECS instance{} ignored ({why})",
            activity.status_message,
            if k == 1 { " is" } else { "s are" }
        );
    }
    activity.progress = 100;
    activity.end_ms = Some(ctx.now_ms);
    activity.total_capacity = total;
    activity.attached_capacity = attached;
    activity.auto_created_capacity = auto;
    tx.save(&activity)?;
    group.running_activity = None;
    if group.deleting && total == 0 {
        delete_group_now(tx, &group.id)?;
        return Ok(());
    }
    tx.save(&group)?;
    if activity.replace > 0 && group.state == GroupState::Active {
        let n = activity.replace.min(group.max_size - total).max(0) as usize;
        if n > 0 {
            let trigger = Trigger {
                cause: format!(
                    "The unhealthy instances of scaling group \"{}\" are replaced, changing the Total Capacity from \"{total}\" to \"{}\".",
                    group.id,
                    total + n as i64
                ),
                source_type: "Ess",
                source_id: group.id.clone(),
                metadata: None,
                hooks: Hooks::Fire,
            };
            match preflight_scale_out(tx, &group, n) {
                Ok(()) => {
                    start_scale_out(ctx, tx, &mut group, n, trigger)?;
                }
                Err(crate::Error::Fault(f)) => record_failed(
                    ctx,
                    tx,
                    &group,
                    format!("Add \"{n}\" ECS instance{}", plural(n)),
                    trigger,
                    &f,
                )?,
                Err(e) => return Err(e),
            }
            return Ok(());
        }
    }
    converge(ctx, tx, &mut group)?;
    Ok(())
}

/// Removes a group and everything that belongs only to it (configurations, rules, activities).
pub fn delete_group_now(tx: &mut dyn Tx, group_id: &str) -> Result<()> {
    let by_group = Filter {
        parent: Some(group_id),
        ..Default::default()
    };
    for c in tx.list::<ScalingConfiguration>(&by_group)? {
        tx.remove::<ScalingConfiguration>(&c.id)?;
    }
    for r in tx.list::<esl_domain::model::ScalingRule>(&by_group)? {
        tx.remove::<esl_domain::model::ScalingRule>(&r.id)?;
    }
    for a in tx.list::<ScalingActivity>(&by_group)? {
        for action in tx.list::<esl_domain::model::LifecycleAction>(&Filter {
            parent: Some(&a.id),
            ..Default::default()
        })? {
            tx.remove::<esl_domain::model::LifecycleAction>(&action.id)?;
        }
        tx.remove::<ScalingActivity>(&a.id)?;
    }
    for h in tx.list::<esl_domain::model::LifecycleHook>(&by_group)? {
        tx.remove::<esl_domain::model::LifecycleHook>(&h.id)?;
    }
    tx.remove::<ScalingGroup>(group_id)?;
    Ok(())
}

/// Instances the service may remove on its own: InService ones (never Protected or Standby).
pub fn removal_candidates(tx: &mut dyn Tx, group: &ScalingGroup) -> Result<Vec<Candidate>> {
    let mut out = Vec::new();
    for inst in group_instances(tx, &group.id)? {
        if inst.state != LifecycleState::InService {
            continue;
        }
        let config_created_ms = match &inst.config_id {
            Some(c) => tx.load::<ScalingConfiguration>(c)?.map(|c| c.created_ms),
            None => None,
        };
        out.push(Candidate {
            instance_id: inst.id,
            joined_ms: inst.joined_ms,
            config_created_ms,
        });
    }
    Ok(out)
}

pub fn removal_policies(group: &ScalingGroup) -> Vec<RemovalPolicy> {
    group
        .removal_policies
        .iter()
        .filter_map(|p| RemovalPolicy::parse(p))
        .collect()
}

/// Brings an Active group with no activity running to [MinSize, MaxSize] and its desired capacity.
pub fn converge(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    group: &mut ScalingGroup,
) -> Result<Option<String>> {
    if group.state != GroupState::Active || group.running_activity.is_some() || group.deleting {
        return Ok(None);
    }
    let total = group_instances(tx, &group.id)?.len() as i64;
    let target = group
        .desired_capacity
        .unwrap_or(total)
        .clamp(group.min_size, group.max_size);
    let reason = if total < group.min_size {
        format!(
            "The current Total Capacity \"{total}\" is less than the MinSize \"{}\"",
            group.min_size
        )
    } else if total > group.max_size {
        format!(
            "The current Total Capacity \"{total}\" is greater than the MaxSize \"{}\"",
            group.max_size
        )
    } else {
        format!("The Desired Capacity is \"{target}\"")
    };
    let trigger = Trigger {
        cause: format!("{reason}, changing the Total Capacity from \"{total}\" to \"{target}\"."),
        source_type: "Ess",
        source_id: group.id.clone(),
        metadata: None,
        hooks: Hooks::Fire,
    };
    if target > total {
        let n = (target - total) as usize;
        if let Err(e) = preflight_scale_out(tx, group, n) {
            if let crate::Error::Fault(f) = &e {
                record_failed(
                    ctx,
                    tx,
                    group,
                    format!("Add \"{n}\" ECS instance{}", plural(n)),
                    trigger,
                    f,
                )?;
                return Ok(None);
            }
            return Err(e);
        }
        return start_scale_out(ctx, tx, group, n, trigger).map(Some);
    }
    if target < total {
        let n = (total - target) as usize;
        let chosen = scaling::choose_for_removal(
            removal_candidates(tx, group)?,
            &removal_policies(group),
            n,
        );
        if chosen.is_empty() {
            return Ok(None);
        }
        return start_scale_in(ctx, tx, group, chosen, trigger).map(Some);
    }
    Ok(None)
}

fn activity_json(a: &ScalingActivity) -> Value {
    json!({
        "ScalingActivityId": a.id, "ScalingGroupId": a.group_id, "Description": a.description, "Cause": a.cause,
        "StartTime": minute_time(a.start_ms), "EndTime": a.end_ms.map(minute_time), "Progress": a.progress,
        "StatusCode": a.status.as_str(), "StatusMessage": a.status_message,
        "TotalCapacity": a.total_capacity.to_string(), "AttachedCapacity": a.attached_capacity.to_string(),
        "AutoCreatedCapacity": a.auto_created_capacity.to_string(), "ScalingInstanceNumber": a.instance_ids.len(),
        "TriggerSourceType": a.trigger_source_type, "TriggerSourceId": a.trigger_source_id,
        "ActivityMetadata": a.activity_metadata, "ErrorCode": a.error_code, "ErrorMessage": a.error_message,
        "Detail": a.detail,
        "CreatedCapacity": if a.kind == ActivityKind::ScaleOut && a.status == ActivityStatus::Successful { a.instance_ids.len() } else { 0 },
        "DestroyedCapacity": if a.kind == ActivityKind::ScaleIn && a.status == ActivityStatus::Successful { a.instance_ids.len() } else { 0 },
        "CreatedInstances": if a.kind == ActivityKind::ScaleOut { a.instance_ids.clone() } else { vec![] },
        "DestroyedInstances": if a.kind == ActivityKind::ScaleIn { a.instance_ids.clone() } else { vec![] },
        "LifecycleHookContext": a.lifecycle_hook_context.as_ref().map(|c| json!({
            "DisableLifecycleHook": c.disable_lifecycle_hook,
            "IgnoredLifecycleHookIds": c.ignored_lifecycle_hook_ids,
        })),
    })
}

pub fn describe(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let group_id = ctx.params.str("ScalingGroupId");
    let ids = ctx.params.list("ScalingActivityIds");
    if group_id.is_none() && ids.is_empty() {
        return Err(fault::missing_parameter("ScalingGroupId").into());
    }
    let status = ctx.params.str("StatusCode");
    if let Some(s) = status {
        if ActivityStatus::parse(s).is_none() {
            return Err(fault::invalid_parameter("StatusCode").into());
        }
    }
    let (number, size) = paging(ctx.params, 10, 50)?;
    let mut all: Vec<ScalingActivity> = match group_id {
        Some(g) => {
            if tx.load::<ScalingGroup>(g)?.is_none() {
                return Err(fault::scaling_group_not_found().into());
            }
            tx.list::<ScalingActivity>(&Filter {
                parent: Some(g),
                ..Default::default()
            })?
        }
        None => {
            let mut v = Vec::new();
            for id in &ids {
                if let Some(a) = tx.load::<ScalingActivity>(id)? {
                    v.push(a);
                }
            }
            v
        }
    };
    all.retain(|a| ids.is_empty() || ids.contains(&a.id));
    all.retain(|a| status.is_none_or(|s| a.status.as_str() == s));
    // Newest first, as the console and API list them.
    all.reverse();
    let total = all.len();
    let items: Vec<Value> = page(all, number, size).iter().map(activity_json).collect();
    Ok(
        json!({"TotalCount": total, "PageNumber": number, "PageSize": size, "ScalingActivities": items}),
    )
}

/// A context for job steps, which have no request parameters.
pub fn job_ctx<'a>(cloud: &'a Cloud, params: &'a esl_wire::Params, now_ms: i64) -> Ctx<'a> {
    Ctx {
        cloud,
        product: esl_wire::Product::Ess2022,
        now_ms,
        params,
    }
}

pub fn describe_detail(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let id = ctx.params.required("ScalingActivityId")?;
    let a = tx
        .load::<ScalingActivity>(id)?
        .ok_or_else(|| fault::invalid_parameter("ScalingActivityId"))?;
    let detail = if a.detail.is_empty() {
        let ids = a
            .instance_ids
            .iter()
            .map(|i| format!("\"{i}\""))
            .collect::<Vec<_>>()
            .join(", ");
        match a.status {
            ActivityStatus::InProgress => format!("{}: in progress ({ids}).", a.description),
            _ => format!(
                "{}: {} ({ids}). {}",
                a.description,
                a.status.as_str(),
                a.status_message
            ),
        }
    } else {
        a.detail.clone()
    };
    Ok(json!({"ScalingActivityId": a.id, "Detail": detail}))
}
