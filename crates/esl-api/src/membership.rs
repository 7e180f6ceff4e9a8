//! Method 2's rule, in one place: the private IPs of a scaling group's instances are kept in the
//! `default` whitelist group of every RDS instance the group is associated with (AttachMode
//! SecurityIp); with AttachMode SecurityGroup the security groups of the group's active
//! configuration are bound to the database (RDS, Redis, MongoDB). Also private-IP allocation from
//! a vSwitch.

use esl_domain::database::{join_security_groups, leave_security_groups, ApsaraDatabase, Engine};
use esl_domain::model::{
    AttachMode, DbAttachment, DbKind, DbStatus, RdsInstance, ScalingConfiguration, ScalingGroup,
    VSwitch,
};
use esl_domain::whitelist::{self, DEFAULT_GROUP, MAX_ENTRIES};
use esl_domain::{fault, net, Fault};
use esl_store::{Filter, Tx, TxExt};

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

/// A database a scaling group can be associated with, loaded by its `Type`.
pub enum AssociatedDb {
    Rds(RdsInstance),
    Apsara(ApsaraDatabase),
}

impl AssociatedDb {
    pub fn region(&self) -> &str {
        match self {
            AssociatedDb::Rds(d) => &d.region,
            AssociatedDb::Apsara(d) => &d.region,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            AssociatedDb::Rds(d) => &d.id,
            AssociatedDb::Apsara(d) => &d.id,
        }
    }

    pub fn status(&self) -> DbStatus {
        match self {
            AssociatedDb::Rds(d) => d.status,
            AssociatedDb::Apsara(d) => d.status,
        }
    }

    fn security_groups(&self) -> &[String] {
        match self {
            AssociatedDb::Rds(d) => &d.security_group_ids,
            AssociatedDb::Apsara(d) => &d.security_group_ids,
        }
    }

    fn set_security_groups(&mut self, ids: Vec<String>) {
        match self {
            AssociatedDb::Rds(d) => d.security_group_ids = ids,
            AssociatedDb::Apsara(d) => d.security_group_ids = ids,
        }
    }

    /// The product's error for more than 10 bound security groups.
    fn quota_fault(&self) -> Fault {
        match self {
            AssociatedDb::Rds(_) => fault::rds_security_group_quota(),
            AssociatedDb::Apsara(d) => d.engine.security_group_quota(),
        }
    }

    fn save(&self, tx: &mut dyn Tx) -> Result<()> {
        match self {
            AssociatedDb::Rds(d) => tx.save(d)?,
            AssociatedDb::Apsara(d) => tx.save(d)?,
        }
        Ok(())
    }
}

/// The database of this `Type` with this id (a Redis id named as MongoDB is not found).
pub fn load_db(tx: &mut dyn Tx, kind: DbKind, id: &str) -> Result<Option<AssociatedDb>> {
    let engine = match kind {
        DbKind::Rds => return Ok(tx.load::<RdsInstance>(id)?.map(AssociatedDb::Rds)),
        DbKind::Redis => Engine::Redis,
        DbKind::MongoDb => Engine::MongoDb,
    };
    Ok(tx
        .load::<ApsaraDatabase>(id)?
        .filter(|d| d.engine == engine)
        .map(AssociatedDb::Apsara))
}

/// A deleted database leaves every scaling group of `region` that was associated with it.
pub fn detach_everywhere(tx: &mut dyn Tx, region: &str, db_id: &str) -> Result<()> {
    for mut g in tx.list::<ScalingGroup>(&Filter {
        region: Some(region),
        ..Default::default()
    })? {
        let before = g.db_instances.len();
        g.db_instances.retain(|a| a.db_id != db_id);
        if g.db_instances.len() != before {
            tx.save(&g)?;
        }
    }
    Ok(())
}

/// The security groups of the group's active configuration (SecurityGroupId, then
/// SecurityGroupIds), or None when it has no active configuration.
pub fn config_security_groups(tx: &mut dyn Tx, g: &ScalingGroup) -> Result<Option<Vec<String>>> {
    let Some(id) = g.active_config_id.as_deref() else {
        return Ok(None);
    };
    let Some(c) = tx.load::<ScalingConfiguration>(id)? else {
        return Ok(None);
    };
    let mut out: Vec<String> = Vec::new();
    for sg in c
        .security_group_id
        .iter()
        .chain(c.security_group_ids.iter())
    {
        if !out.contains(sg) {
            out.push(sg.clone());
        }
    }
    Ok(Some(out))
}

/// AttachMode=SecurityGroup: joins `sgs` to the bound security groups of each database of
/// `attachments` in that mode (its other groups stay) and records them on the attachment. Every
/// database is checked first (exists, Running, at most 10 groups after the join), so a refusal
/// changes nothing.
pub fn bind_security_groups(
    tx: &mut dyn Tx,
    attachments: &mut [&mut DbAttachment],
    sgs: &[String],
) -> Result<()> {
    let mut changed = Vec::new();
    for a in attachments.iter() {
        if a.mode != AttachMode::SecurityGroup {
            continue;
        }
        let mut db =
            load_db(tx, a.kind, &a.db_id)?.ok_or_else(|| fault::ess_db_not_found(&a.db_id))?;
        if db.status() != DbStatus::Running {
            return Err(fault::ess_db_status(db.id()).into());
        }
        let joined =
            join_security_groups(db.security_groups(), sgs).ok_or_else(|| db.quota_fault())?;
        if joined.as_slice() != db.security_groups() {
            db.set_security_groups(joined);
            changed.push(db);
        }
    }
    for db in changed {
        db.save(tx)?;
    }
    for a in attachments.iter_mut() {
        if a.mode == AttachMode::SecurityGroup {
            for sg in sgs {
                if !a.security_group_ids.contains(sg) {
                    a.security_group_ids.push(sg.clone());
                }
            }
        }
    }
    Ok(())
}

/// DetachDBInstances RemoveSecurityGroup=true: the security groups ESS bound leave each database
/// that still exists (the others stay).
pub fn unbind_security_groups(tx: &mut dyn Tx, attachments: &[DbAttachment]) -> Result<()> {
    for a in attachments {
        if a.mode != AttachMode::SecurityGroup || a.security_group_ids.is_empty() {
            continue;
        }
        if let Some(mut db) = load_db(tx, a.kind, &a.db_id)? {
            let left = leave_security_groups(db.security_groups(), &a.security_group_ids);
            if left.as_slice() != db.security_groups() {
                db.set_security_groups(left);
                db.save(tx)?;
            }
        }
    }
    Ok(())
}
