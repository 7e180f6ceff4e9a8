//! The ECS health check of a scaling group: a member whose instance stopped, was deleted outside
//! ESS, or was marked Unhealthy is removed (AutoCreated and Entrusted ones released, its IP taken
//! out of every associated whitelist) and replaced. Protected and Standby members are not checked.

use esl_domain::model::{EcsInstance, EcsStatus, GroupState, LifecycleState, ScalingGroup};
use esl_store::{Tx, TxExt};
use serde_json::json;

use super::activity::{self, group_instances, Hooks, Removal, Trigger};
use crate::{Ctx, Result};

pub const HEALTH_CHECK: &str = "ess.health.check";

/// Asks for a health check of `group_id` once the check interval has passed.
pub fn schedule(ctx: &Ctx<'_>, tx: &mut dyn Tx, group_id: &str) -> Result<()> {
    tx.enqueue(
        ctx.now_ms + ctx.cloud.timing.health_check_ms,
        HEALTH_CHECK,
        &json!({"group": group_id}).to_string(),
    )?;
    Ok(())
}

/// Job: marks unhealthy members and starts their removal (and replacement).
pub fn check(ctx: &Ctx<'_>, tx: &mut dyn Tx, group_id: &str) -> Result<()> {
    let Some(mut group) = tx.load::<ScalingGroup>(group_id)? else {
        return Ok(());
    };
    if group.state != GroupState::Active || group.deleting {
        return Ok(());
    }
    if !group.health_check_types.iter().any(|t| t == "ECS") {
        return Ok(());
    }
    if group.running_activity.is_some() {
        // One activity at a time: look again when this one has had time to end.
        return schedule(ctx, tx, group_id);
    }
    let mut unhealthy = Vec::new();
    for mut member in group_instances(tx, group_id)? {
        if member.state != LifecycleState::InService {
            continue;
        }
        let running = tx
            .load::<EcsInstance>(&member.id)?
            .is_some_and(|e| e.status == EcsStatus::Running);
        if running && member.healthy {
            continue;
        }
        if member.healthy {
            member.healthy = false;
            tx.save(&member)?;
        }
        unhealthy.push(member.id);
    }
    if unhealthy.is_empty() {
        return Ok(());
    }
    let total = group_instances(tx, group_id)?.len();
    let n = unhealthy.len();
    let trigger = Trigger {
        cause: format!(
            "The ECS instance{} {} of scaling group \"{group_id}\" {} unhealthy, changing the Total Capacity from \"{total}\" to \"{}\".",
            if n == 1 { "" } else { "s" },
            unhealthy.iter().map(|i| format!("\"{i}\"")).collect::<Vec<_>>().join(", "),
            if n == 1 { "is" } else { "are" },
            total - n
        ),
        source_type: "Ess",
        source_id: group_id.to_string(),
        metadata: None,
        hooks: Hooks::Fire,
    };
    activity::start_removal(
        ctx,
        tx,
        &mut group,
        unhealthy,
        trigger,
        Removal {
            replace: n as i64,
            ..Removal::default()
        },
    )?;
    Ok(())
}
