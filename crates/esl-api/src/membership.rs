//! Method 2's rule, in one place: the private IPs of a scaling group's instances are kept in the
//! `default` whitelist group of every RDS instance the group is associated with (AttachMode
//! SecurityIp). Also private-IP allocation from a vSwitch.

use esl_domain::model::{AttachMode, DbAttachment, DbKind, DbStatus, RdsInstance, VSwitch};
use esl_domain::whitelist::{self, DEFAULT_GROUP, MAX_ENTRIES};
use esl_domain::{fault, net};
use esl_store::{Tx, TxExt};

use crate::Result;

/// Takes the next free private IP of a vSwitch (moving its cursor on) for `holder`.
pub fn allocate_ip(tx: &mut dyn Tx, vsw: &mut VSwitch, holder: &str) -> Result<String> {
    let network: ipnet::Ipv4Net = vsw.cidr.parse().map_err(|_| fault::invalid_cidr())?;
    let scope = vsw.id.clone();
    let mut held = |from: u32| {
        tx.held_ips(&scope, from, 256)
            .map_err(|_| fault::vswitch_no_free_ip())
    };
    let ip = net::next_free_ip(&network, vsw.ip_cursor, &mut held)?
        .ok_or_else(fault::vswitch_no_free_ip)?;
    tx.claim_ip(&vsw.id, ip, holder)?;
    vsw.ip_cursor = ip + 1;
    Ok(net::ip_to_string(ip))
}

pub fn release_ip(tx: &mut dyn Tx, vswitch_id: &str, ip: &str) -> Result<()> {
    if let Some(ip) = net::parse_ip(ip) {
        tx.release_ip(vswitch_id, ip)?;
    }
    Ok(())
}

fn ip_attachments(dbs: &[DbAttachment]) -> impl Iterator<Item = &DbAttachment> {
    dbs.iter()
        .filter(|d| d.mode == AttachMode::SecurityIp && d.kind == DbKind::Rds)
}

/// Adds `ips` to the default group of each associated RDS instance. Every database is checked
/// first (exists, Running, room under the 1,000-entry limit), so a refusal changes nothing.
pub fn add_ips(tx: &mut dyn Tx, dbs: &[DbAttachment], ips: &[String]) -> Result<()> {
    if ips.is_empty() {
        return Ok(());
    }
    let mut loaded = Vec::new();
    for a in ip_attachments(dbs) {
        let db = tx
            .load::<RdsInstance>(&a.db_id)?
            .ok_or_else(|| fault::ess_db_not_found(&a.db_id))?;
        if db.status != DbStatus::Running {
            return Err(fault::ess_db_status(&db.id).into());
        }
        let missing = whitelist::missing_from_group(&db.ip_groups, DEFAULT_GROUP, ips);
        if whitelist::total_entries(&db.ip_groups) + missing > MAX_ENTRIES {
            return Err(fault::ess_db_ip_quota(&db.id).into());
        }
        loaded.push(db);
    }
    for mut db in loaded {
        if whitelist::add_to_group(&mut db.ip_groups, DEFAULT_GROUP, ips) > 0 {
            tx.save(&db)?;
        }
    }
    Ok(())
}

/// Removes `ips` from the default group of each associated RDS instance that still exists; every
/// other entry stays.
pub fn remove_ips(tx: &mut dyn Tx, dbs: &[DbAttachment], ips: &[String]) -> Result<()> {
    if ips.is_empty() {
        return Ok(());
    }
    for a in ip_attachments(dbs) {
        if let Some(mut db) = tx.load::<RdsInstance>(&a.db_id)? {
            if whitelist::remove_from_group(&mut db.ip_groups, DEFAULT_GROUP, ips) > 0 {
                tx.save(&db)?;
            }
        }
    }
    Ok(())
}
