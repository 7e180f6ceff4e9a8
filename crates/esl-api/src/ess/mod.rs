//! Auto Scaling (ESS), both 2014-08-28 and 2022-02-22: one handler per action serves both
//! versions (parameter spellings are unified by `Params`, response shapes by the metadata).
//! `activity` holds the scaling-activity machinery every action shares.

pub mod activity;
mod configs;
mod dbs;
mod groups;
pub mod health;
pub mod hooks;
mod instances;
mod rules;
pub mod scheduled;

use esl_domain::fault;
use esl_domain::model::ScalingGroup;
use esl_store::{Filter, Resource, Tx, TxExt};

use crate::{Cloud, Ctx, Family, Result};

pub fn register(cloud: &mut Cloud) {
    let f = Family::Ess;
    cloud.add(f, "CreateScalingGroup", groups::create);
    cloud.add(f, "DescribeScalingGroups", groups::describe);
    cloud.add(f, "ModifyScalingGroup", groups::modify);
    cloud.add(f, "DeleteScalingGroup", groups::delete);
    cloud.add(f, "EnableScalingGroup", groups::enable);
    cloud.add(f, "DisableScalingGroup", groups::disable);
    cloud.add(f, "CreateScalingConfiguration", configs::create);
    cloud.add(f, "DescribeScalingConfigurations", configs::describe);
    cloud.add(f, "CreateScalingRule", rules::create);
    cloud.add(f, "DescribeScalingRules", rules::describe);
    cloud.add(f, "ExecuteScalingRule", rules::execute);
    cloud.add(f, "RemoveInstances", instances::remove);
    cloud.add(f, "DescribeScalingInstances", instances::describe);
    cloud.add(f, "DescribeScalingActivities", activity::describe);
    cloud.add(f, "AttachDBInstances", dbs::attach);
    cloud.add(f, "ModifyScalingConfiguration", configs::modify);
    cloud.add(f, "DeleteScalingConfiguration", configs::delete);
    cloud.add(f, "ModifyScalingRule", rules::modify);
    cloud.add(f, "DeleteScalingRule", rules::delete);
    cloud.add(f, "ScaleWithAdjustment", rules::scale_with_adjustment);
    cloud.add(f, "AttachInstances", instances::attach);
    cloud.add(f, "DetachInstances", instances::detach);
    cloud.add(f, "SetInstancesProtection", instances::set_protection);
    cloud.add(f, "EnterStandby", instances::enter_standby);
    cloud.add(f, "ExitStandby", instances::exit_standby);
    cloud.add(f, "SetInstanceHealth", instances::set_health);
    cloud.add(
        f,
        "SetGroupDeletionProtection",
        groups::set_deletion_protection,
    );
    cloud.add(f, "DescribeLimitation", groups::describe_limitation);
    cloud.add(
        f,
        "DescribeScalingActivityDetail",
        activity::describe_detail,
    );
    cloud.add(f, "CreateLifecycleHook", hooks::create);
    cloud.add(f, "ModifyLifecycleHook", hooks::modify);
    cloud.add(f, "DescribeLifecycleHooks", hooks::describe);
    cloud.add(f, "DeleteLifecycleHook", hooks::delete);
    cloud.add(f, "CompleteLifecycleAction", hooks::complete_action);
    cloud.add(f, "RecordLifecycleActionHeartbeat", hooks::record_heartbeat);
    cloud.add(f, "DescribeLifecycleActions", hooks::describe_actions);
    cloud.add(f, "CreateScheduledTask", scheduled::create);
    cloud.add(f, "ModifyScheduledTask", scheduled::modify);
    cloud.add(f, "DescribeScheduledTasks", scheduled::describe);
    cloud.add(f, "DeleteScheduledTask", scheduled::delete);
    cloud.add(f, "DetachDBInstances", dbs::detach);
}

/// What a Describe lists: the resources of the group named by `ScalingGroupId` (which must exist),
/// or of the request's region.
pub fn list_for_group_or_region<T: Resource>(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Vec<T>> {
    Ok(match ctx.params.str("ScalingGroupId") {
        Some(g) => {
            load_group(tx, g)?;
            tx.list::<T>(&Filter {
                parent: Some(g),
                ..Default::default()
            })?
        }
        None => tx.list::<T>(&Filter {
            region: Some(ctx.region()),
            ..Default::default()
        })?,
    })
}

pub fn load_group(tx: &mut dyn Tx, id: &str) -> Result<ScalingGroup> {
    Ok(tx
        .load::<ScalingGroup>(id)?
        .ok_or_else(fault::scaling_group_not_found)?)
}
