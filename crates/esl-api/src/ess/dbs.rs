//! Associating a scaling group with databases: AttachDBInstances and DetachDBInstances.

use esl_domain::fault;
use esl_domain::model::{AttachMode, DbAttachment, DbKind, DbStatus, LifecycleState};
use esl_store::{Tx, TxExt};
use serde_json::{json, Value};

use super::activity::group_instances;
use super::groups::check_databases;
use super::load_group;
use crate::membership;
use crate::{Ctx, Result};

/// The private IPs of a group's instances that belong in its whitelists (all but those leaving).
fn member_ips(tx: &mut dyn Tx, group_id: &str) -> Result<Vec<String>> {
    Ok(group_instances(tx, group_id)?
        .into_iter()
        .filter(|i| {
            !matches!(
                i.state,
                LifecycleState::Removing | LifecycleState::RemovingWait
            )
        })
        .filter_map(|i| i.private_ip)
        .collect())
}

fn kind_and_mode(ctx: &Ctx<'_>) -> Result<(DbKind, AttachMode)> {
    let kind = match ctx.params.str("Type") {
        None => DbKind::Rds,
        Some(t) => DbKind::parse(t).ok_or_else(|| fault::invalid_parameter("Type"))?,
    };
    let mode = match ctx.params.str("AttachMode") {
        None => AttachMode::SecurityIp,
        Some(m) => AttachMode::parse(m).ok_or_else(|| fault::invalid_parameter("AttachMode"))?,
    };
    Ok((kind, mode))
}

pub fn attach(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let mut g = load_group(tx, ctx.params.required("ScalingGroupId")?)?;
    let ids = ctx.params.list("DBInstances");
    let (kind, mode) = kind_and_mode(ctx)?;
    // AttachMode=SecurityIp (the IP whitelist) is RDS's only: spec ess-api §5.4 says Redis and
    // MongoDB support only SecurityGroup, so Type=Redis/MongoDB with SecurityIp is refused
    // (InvalidParameter; the live error text is not documented).
    if kind != DbKind::Rds && mode == AttachMode::SecurityIp {
        return Err(fault::ess_db_type_unsupported(kind.as_str()).into());
    }
    let force = ctx.params.bool("ForceAttach")?.unwrap_or(false);
    let mut attaching = Vec::new();
    for id in &ids {
        let db =
            membership::load_db(tx, kind, id)?.ok_or_else(|| fault::ess_db_not_found_attach(id))?;
        if db.status() != DbStatus::Running {
            return Err(fault::ess_db_status(id).into());
        }
        if !attaching.iter().any(|a: &DbAttachment| a.db_id == *id) {
            attaching.push(DbAttachment {
                db_id: id.clone(),
                kind,
                mode,
                security_group_ids: Vec::new(),
            });
        }
    }
    // Re-attaching an attached database refreshes it in the mode it was attached with (to
    // change the mode, detach it first): the whitelist keeps following one rule per database.
    let mut all = g.db_instances.clone();
    let mut re_attached = Vec::new();
    for a in &attaching {
        match all.iter().find(|e| e.db_id == a.db_id) {
            Some(existing) => re_attached.push(existing.clone()),
            None => all.push(a.clone()),
        }
    }
    check_databases(tx, &all, &g.region, ctx.cloud.quotas.db_instances_per_group)?;
    // AttachMode=SecurityGroup binds the active configuration's security groups now (re-attaching
    // binds them again); a group with no active configuration yet binds them when it is enabled.
    if let Some(sgs) = membership::config_security_groups(tx, &g)? {
        let mut bound: Vec<&mut DbAttachment> =
            all.iter_mut().filter(|e| ids.contains(&e.db_id)).collect();
        membership::bind_security_groups(tx, &mut bound, &sgs)?;
    }
    // ForceAttach adds the current instances' IPs; re-attaching an attached database re-adds
    // whatever is missing.
    let ips = member_ips(tx, &g.id)?;
    let mut to_fill: Vec<DbAttachment> = re_attached;
    if force {
        to_fill.extend(
            attaching
                .iter()
                .filter(|a| !to_fill.iter().any(|r| r.db_id == a.db_id))
                .cloned()
                .collect::<Vec<_>>(),
        );
    }
    to_fill.dedup_by(|a, b| a.db_id == b.db_id);
    membership::add_ips(tx, &to_fill, &ips)?;
    g.db_instances = all;
    g.modified_ms = ctx.now_ms;
    tx.save(&g)?;
    Ok(json!({}))
}

pub fn detach(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let mut g = load_group(tx, ctx.params.required("ScalingGroupId")?)?;
    let ids = ctx.params.list("DBInstances");
    let force = ctx.params.bool("ForceDetach")?.unwrap_or(false);
    let mut leaving = Vec::new();
    for id in &ids {
        let a = g
            .db_instances
            .iter()
            .find(|a| a.db_id == *id)
            .ok_or_else(|| fault::ess_db_not_attached(id))?;
        leaving.push(a.clone());
    }
    if force {
        let ips = member_ips(tx, &g.id)?;
        membership::remove_ips(tx, &leaving, &ips)?;
    }
    // Without RemoveSecurityGroup the security groups ESS bound stay on the database.
    if ctx.params.bool("RemoveSecurityGroup")? == Some(true) {
        membership::unbind_security_groups(tx, &leaving)?;
    }
    g.db_instances.retain(|a| !ids.contains(&a.db_id));
    g.modified_ms = ctx.now_ms;
    tx.save(&g)?;
    Ok(json!({}))
}
