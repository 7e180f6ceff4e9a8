//! The ApsaraDB databases other than RDS (PolarDB, MongoDB, AnalyticDB MySQL/PostgreSQL, Redis):
//! one stored model and each engine's whitelist rules as data.

use esl_store::Resource;
use serde::{Deserialize, Serialize};

use crate::fault::{self, Fault};
use crate::model::DbStatus;
use crate::whitelist::{
    GroupNameRule, IpGroup, LimitScope, ModifyMode, WhitelistFaults, WhitelistRules, BASIC_MODES,
    DEFAULT_GROUP, MAX_ENTRIES, RDS_GROUP_NAMES,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Engine {
    Polardb,
    MongoDb,
    AdbMysql,
    AdbPg,
    Redis,
}

/// At most this many ECS security groups bound to one instance (RDS, MongoDB, Redis, PolarDB).
pub const MAX_SECURITY_GROUPS: usize = 10;

/// PolarDB: 1,000 entries per cluster over all groups, at most 50 groups, names of 2 to 120
/// lowercase letters and digits; Append merges.
pub const POLARDB_RULES: WhitelistRules = WhitelistRules {
    limit: MAX_ENTRIES,
    scope: LimitScope::Instance,
    per_call: None,
    max_groups: Some(50),
    names: GroupNameRule {
        min: 2,
        max: 120,
        underscore: false,
    },
    modes: BASIC_MODES,
    strict_append: false,
    strict_delete: false,
    faults: WhitelistFaults {
        format: fault::security_ip_list_format,
        duplicate: fault::security_ip_list_duplicate,
        already_present: fault::polardb_security_ip_exists,
        not_present: fault::whitelist_last_ip,
        quota: fault::security_ip_quota,
        group_name: fault::cluster_ip_array_name,
        group_not_found: fault::cluster_ip_array_name,
        group_quota: fault::whitelist_group_quota,
        last_entry: fault::whitelist_last_ip,
    },
};

/// MongoDB: 1,000 entries per group; Append is strict (Extend is the merging append); Delete of
/// an address not there is refused.
pub const MONGODB_RULES: WhitelistRules = WhitelistRules {
    limit: MAX_ENTRIES,
    scope: LimitScope::Group,
    per_call: None,
    max_groups: None,
    names: RDS_GROUP_NAMES,
    modes: &[
        ModifyMode::Cover,
        ModifyMode::Append,
        ModifyMode::Extend,
        ModifyMode::Delete,
    ],
    strict_append: true,
    strict_delete: true,
    faults: WhitelistFaults {
        format: fault::dds_security_ips_malformed,
        duplicate: fault::dds_security_ip_duplicate,
        already_present: fault::dds_security_ip_duplicate,
        not_present: fault::dds_security_ip_not_found,
        quota: fault::dds_security_ip_quota,
        group_name: fault::group_name_format,
        group_not_found: fault::dds_security_ip_not_found,
        group_quota: fault::whitelist_group_quota,
        last_entry: fault::dds_security_ip_not_found,
    },
};

/// AnalyticDB for MySQL: 1,000 entries per group, at most 500 in one call, at most 50 groups.
pub const ADB_MYSQL_RULES: WhitelistRules = WhitelistRules {
    limit: MAX_ENTRIES,
    scope: LimitScope::Group,
    per_call: Some(500),
    max_groups: Some(50),
    names: RDS_GROUP_NAMES,
    modes: BASIC_MODES,
    strict_append: false,
    strict_delete: false,
    faults: WhitelistFaults {
        format: fault::adb_security_ip_malformed,
        duplicate: fault::security_ip_list_duplicate,
        already_present: fault::adb_security_ip_exists,
        not_present: fault::whitelist_last_ip,
        quota: fault::security_ip_quota,
        group_name: fault::cluster_ip_array_name,
        group_not_found: fault::cluster_ip_array_name,
        group_quota: fault::whitelist_group_quota,
        last_entry: fault::whitelist_last_ip,
    },
};

/// AnalyticDB for PostgreSQL: RDS's rules and errors (1,000 entries per instance), at most 50
/// groups.
pub const ADB_PG_RULES: WhitelistRules = WhitelistRules {
    limit: MAX_ENTRIES,
    scope: LimitScope::Instance,
    per_call: None,
    max_groups: Some(50),
    names: RDS_GROUP_NAMES,
    modes: BASIC_MODES,
    strict_append: false,
    strict_delete: false,
    faults: WhitelistFaults {
        format: fault::security_ip_format,
        duplicate: fault::security_ip_duplicate,
        already_present: fault::security_ip_duplicate,
        not_present: fault::whitelist_last_ip,
        quota: fault::security_ip_quota,
        group_name: fault::ip_array_name_format,
        group_not_found: fault::ip_array_not_found,
        group_quota: fault::whitelist_group_quota,
        last_entry: fault::whitelist_last_ip,
    },
};

/// Redis: 1,000 entries per group; Append is strict (the undocumented AppendDup tolerates
/// duplicates); Delete of an address not there is refused.
pub const REDIS_RULES: WhitelistRules = WhitelistRules {
    limit: MAX_ENTRIES,
    scope: LimitScope::Group,
    per_call: None,
    max_groups: None,
    names: RDS_GROUP_NAMES,
    modes: &[
        ModifyMode::Cover,
        ModifyMode::Append,
        ModifyMode::Delete,
        ModifyMode::AppendDup,
    ],
    strict_append: true,
    strict_delete: true,
    faults: WhitelistFaults {
        format: fault::security_ip_list_format,
        duplicate: fault::security_ip_list_duplicate,
        already_present: fault::kvstore_security_ip_exists,
        not_present: fault::kvstore_security_ip_not_found,
        quota: fault::security_ip_quota,
        group_name: fault::group_name_format,
        group_not_found: fault::kvstore_security_ip_not_found,
        group_quota: fault::whitelist_group_quota,
        last_entry: fault::kvstore_security_ip_not_found,
    },
};

impl Engine {
    pub fn rules(self) -> &'static WhitelistRules {
        match self {
            Engine::Polardb => &POLARDB_RULES,
            Engine::MongoDb => &MONGODB_RULES,
            Engine::AdbMysql => &ADB_MYSQL_RULES,
            Engine::AdbPg => &ADB_PG_RULES,
            Engine::Redis => &REDIS_RULES,
        }
    }

    /// The engine's error for an id it does not know (or an instance of another engine).
    pub fn not_found(self) -> Fault {
        match self {
            Engine::Polardb => fault::polardb_cluster_not_found(),
            Engine::MongoDb => fault::dds_instance_not_found(),
            Engine::AdbMysql => fault::adb_cluster_not_found(),
            Engine::AdbPg => fault::db_instance_not_found(),
            Engine::Redis => fault::kvstore_instance_not_found(),
        }
    }

    /// The engine's error for an operation its current status does not allow.
    pub fn status_denied(self) -> Fault {
        match self {
            Engine::Polardb => fault::polardb_cluster_status(),
            Engine::MongoDb => fault::dds_instance_status(),
            Engine::AdbMysql => fault::adb_cluster_status(),
            Engine::AdbPg | Engine::Redis => fault::db_instance_state(),
        }
    }

    /// The error for deleting an instance that is not Running.
    pub fn delete_denied(self) -> Fault {
        match self {
            Engine::Polardb => fault::polardb_release_status(),
            other => other.status_denied(),
        }
    }

    /// The error for more than `MAX_SECURITY_GROUPS` security groups.
    pub fn security_group_quota(self) -> Fault {
        match self {
            Engine::MongoDb | Engine::Redis => fault::dds_security_group_quota(),
            _ => fault::polardb_security_group_count(),
        }
    }

    /// The error for binding security groups to an instance that is not Running.
    pub fn security_group_status(self) -> Fault {
        match self {
            Engine::MongoDb => fault::dds_security_group_status(),
            other => other.status_denied(),
        }
    }
}

/// A ModifySecurityGroupConfiguration list: comma separated ids, each kept once in order; the
/// literal `Empty` (what Terraform sends) or an empty string clears.
pub fn parse_security_group_ids(text: &str) -> Vec<String> {
    let text = text.trim();
    if text.is_empty() || text == "Empty" {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for id in text.split(',').map(str::trim).filter(|x| !x.is_empty()) {
        if !out.iter().any(|o| o == id) {
            out.push(id.to_string());
        }
    }
    out
}

/// `current` with `add` joined (the ones already there stay where they are), or None when that
/// would pass `MAX_SECURITY_GROUPS`.
pub fn join_security_groups(current: &[String], add: &[String]) -> Option<Vec<String>> {
    let mut out = current.to_vec();
    for id in add {
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    (out.len() <= MAX_SECURITY_GROUPS).then_some(out)
}

/// `current` without `remove`.
pub fn leave_security_groups(current: &[String], remove: &[String]) -> Vec<String> {
    current
        .iter()
        .filter(|id| !remove.contains(id))
        .cloned()
        .collect()
}

/// One PolarDB cluster, MongoDB instance, AnalyticDB cluster/instance or Redis instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApsaraDatabase {
    pub id: String,
    pub region: String,
    pub engine: Engine,
    pub status: DbStatus,
    pub zone_id: String,
    /// `VPC` or `Classic`.
    pub network_type: String,
    pub vpc_id: Option<String>,
    pub vswitch_id: Option<String>,
    pub description: String,
    pub pay_type: String,
    /// PolarDB DBVersion, otherwise EngineVersion (ADB MySQL: DBClusterVersion).
    pub engine_version: String,
    /// PolarDB DBNodeClass, MongoDB/GPDB DBInstanceClass, ADB DBClusterClass, Redis InstanceClass.
    pub class: String,
    /// Storage in GB (Redis: capacity in MB); 0 when the engine has none.
    #[serde(default)]
    pub storage_gb: i64,
    /// PolarDB DBType (MySQL, PostgreSQL, Oracle); Redis InstanceType; empty otherwise.
    #[serde(default)]
    pub db_type: String,
    /// ADB MySQL DBClusterCategory, GPDB DBInstanceCategory, PolarDB CreationCategory, Redis
    /// NodeType, MongoDB StorageEngine.
    #[serde(default)]
    pub category: String,
    /// ADB MySQL Mode, GPDB DBInstanceMode, MongoDB ReplicationFactor.
    #[serde(default)]
    pub mode: String,
    /// PolarDB's nodes (writer first).
    #[serde(default)]
    pub node_ids: Vec<String>,
    pub port: u16,
    pub created_ms: i64,
    pub ip_groups: Vec<IpGroup>,
    /// ECS security groups in the whitelist (PolarDB WhiteListType=SecurityGroup).
    #[serde(default)]
    pub security_group_ids: Vec<String>,
}

impl Resource for ApsaraDatabase {
    const KIND: &'static str = "apsara_db";
    fn id(&self) -> &str {
        &self.id
    }
    fn region(&self) -> &str {
        &self.region
    }
}

impl ApsaraDatabase {
    pub fn rules(&self) -> &'static WhitelistRules {
        self.engine.rules()
    }

    pub fn group(&self, name: &str) -> Option<&IpGroup> {
        self.ip_groups.iter().find(|g| g.name == name)
    }

    /// The `default` group's entries as one comma list.
    pub fn default_entries(&self) -> String {
        self.group(DEFAULT_GROUP)
            .map(|g| g.entries.join(","))
            .unwrap_or_default()
    }

    /// Every group's entries, each once, as one comma list.
    pub fn all_entries(&self) -> String {
        let mut all: Vec<&str> = Vec::new();
        for g in &self.ip_groups {
            for e in &g.entries {
                if !all.contains(&e.as_str()) {
                    all.push(e);
                }
            }
        }
        all.join(",")
    }

    /// Applies one whitelist modification under the engine's rules (the instance must be Running).
    pub fn modify_whitelist(
        &mut self,
        group: &str,
        attribute: Option<&str>,
        mode: ModifyMode,
        entries: &[String],
    ) -> Result<(), Fault> {
        if self.status != DbStatus::Running {
            return Err(self.engine.status_denied());
        }
        self.engine
            .rules()
            .apply(&mut self.ip_groups, group, attribute, mode, entries)
    }

    /// Replaces the ECS security groups bound to the instance (overwrite; at most
    /// `MAX_SECURITY_GROUPS`; the instance must be Running).
    pub fn set_security_groups(&mut self, ids: Vec<String>) -> Result<(), Fault> {
        if self.status != DbStatus::Running {
            return Err(self.engine.security_group_status());
        }
        if ids.len() > MAX_SECURITY_GROUPS {
            return Err(self.engine.security_group_quota());
        }
        self.security_group_ids = ids;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whitelist::LOCALHOST;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn db(engine: Engine) -> ApsaraDatabase {
        ApsaraDatabase {
            id: "x-1".into(),
            region: "cn-hangzhou".into(),
            engine,
            status: DbStatus::Running,
            zone_id: "cn-hangzhou-h".into(),
            network_type: "VPC".into(),
            vpc_id: None,
            vswitch_id: None,
            description: String::new(),
            pay_type: "Postpaid".into(),
            engine_version: "1".into(),
            class: "c".into(),
            storage_gb: 0,
            db_type: String::new(),
            category: String::new(),
            mode: String::new(),
            node_ids: Vec::new(),
            port: 1,
            created_ms: 0,
            ip_groups: engine.rules().initial(Vec::new()).unwrap(),
            security_group_ids: Vec::new(),
        }
    }

    fn ips(n: usize, base: u8) -> Vec<String> {
        (0..n)
            .map(|i| format!("10.{base}.{}.{}", i / 250, i % 250 + 1))
            .collect()
    }

    #[test]
    fn mongodb_append_is_strict_and_extend_merges() {
        let mut d = db(Engine::MongoDb);
        d.modify_whitelist("default", None, ModifyMode::Append, &s(&["10.0.0.1"]))
            .unwrap();
        let err = d
            .modify_whitelist(
                "default",
                None,
                ModifyMode::Append,
                &s(&["10.0.0.2", "10.0.0.1"]),
            )
            .unwrap_err();
        assert_eq!(err.code, "InvalidInstanceIp.Duplicate");
        assert_eq!(
            d.default_entries(),
            "127.0.0.1,10.0.0.1",
            "refused: no change"
        );
        d.modify_whitelist(
            "default",
            None,
            ModifyMode::Extend,
            &s(&["10.0.0.2", "10.0.0.1"]),
        )
        .unwrap();
        assert_eq!(d.default_entries(), "127.0.0.1,10.0.0.1,10.0.0.2");
        // Delete of an address that is not there is refused; so is emptying the whitelist.
        let err = d
            .modify_whitelist("default", None, ModifyMode::Delete, &s(&["10.9.9.9"]))
            .unwrap_err();
        assert_eq!(
            (err.status, err.code.as_ref()),
            (404, "InvalidSecurityIPs.NotFound")
        );
        let err = d
            .modify_whitelist(
                "default",
                None,
                ModifyMode::Delete,
                &s(&[LOCALHOST, "10.0.0.1", "10.0.0.2"]),
            )
            .unwrap_err();
        assert_eq!(err.code, "InvalidSecurityIPs.NotFound");
        // AppendDup is Redis's, not MongoDB's.
        assert_eq!(
            MONGODB_RULES.mode(Some("AppendDup")).unwrap_err().code,
            "InvalidParameter"
        );
        assert_eq!(
            MONGODB_RULES.mode(Some("extend")).unwrap(),
            ModifyMode::Extend
        );
    }

    #[test]
    fn redis_append_dup_tolerates_duplicates() {
        let mut d = db(Engine::Redis);
        d.modify_whitelist("default", None, ModifyMode::Append, &s(&["10.0.0.1"]))
            .unwrap();
        let err = d
            .modify_whitelist("default", None, ModifyMode::Append, &s(&["10.0.0.1"]))
            .unwrap_err();
        assert_eq!(
            (err.status, err.code.as_ref()),
            (409, "SecurityIPList.Duplicate")
        );
        d.modify_whitelist(
            "default",
            None,
            ModifyMode::AppendDup,
            &s(&["10.0.0.1", "10.0.0.3"]),
        )
        .unwrap();
        assert_eq!(d.default_entries(), "127.0.0.1,10.0.0.1,10.0.0.3");
        assert_eq!(
            REDIS_RULES.mode(Some("Extend")).unwrap_err().code,
            "InvalidParameter"
        );
        let err = d
            .modify_whitelist("nope", None, ModifyMode::Delete, &s(&["10.0.0.1"]))
            .unwrap_err();
        assert_eq!(err.code, "InvalidSecurityIPList.NotFound");
    }

    #[test]
    fn polardb_and_adb_append_merge() {
        for engine in [Engine::Polardb, Engine::AdbMysql, Engine::AdbPg] {
            let mut d = db(engine);
            d.modify_whitelist(
                "default",
                None,
                ModifyMode::Append,
                &s(&[LOCALHOST, "1.1.1.1"]),
            )
            .unwrap();
            assert_eq!(d.default_entries(), "127.0.0.1,1.1.1.1", "{engine:?}");
            // Delete of an address that is not there is harmless.
            d.modify_whitelist(
                "default",
                None,
                ModifyMode::Delete,
                &s(&["9.9.9.9", LOCALHOST]),
            )
            .unwrap();
            assert_eq!(d.default_entries(), "1.1.1.1", "{engine:?}");
        }
    }

    #[test]
    fn limit_per_instance_vs_per_group() {
        // PolarDB and AnalyticDB for PostgreSQL count all groups together.
        for engine in [Engine::Polardb, Engine::AdbPg] {
            let mut d = db(engine);
            d.modify_whitelist("default", None, ModifyMode::Cover, &ips(600, 1))
                .unwrap();
            let err = d
                .modify_whitelist("other", None, ModifyMode::Cover, &ips(401, 2))
                .unwrap_err();
            assert_eq!(
                err.code, "InvalidSecurityIPList.QuotaExceeded",
                "{engine:?}"
            );
            d.modify_whitelist("other", None, ModifyMode::Cover, &ips(400, 2))
                .unwrap();
            assert_eq!(d.ip_groups.len(), 2);
        }
        // MongoDB and Redis count each group on its own.
        for (engine, merging, code) in [
            (
                Engine::MongoDb,
                ModifyMode::Extend,
                "InvalidSecurityIPListLength.Malformed",
            ),
            (
                Engine::Redis,
                ModifyMode::AppendDup,
                "InvalidSecurityIPList.QuotaExceeded",
            ),
        ] {
            let mut d = db(engine);
            d.modify_whitelist("default", None, ModifyMode::Cover, &ips(1000, 1))
                .unwrap();
            d.modify_whitelist("other", None, ModifyMode::Cover, &ips(1000, 2))
                .unwrap();
            let err = d
                .modify_whitelist("other", None, merging, &ips(1, 3))
                .unwrap_err();
            assert_eq!(err.code, code, "{engine:?}");
            assert_eq!(d.group("other").unwrap().entries.len(), 1000);
        }
    }

    #[test]
    fn adb_per_call_limit() {
        let text = ips(501, 1).join(",");
        assert_eq!(
            ADB_MYSQL_RULES.parse_entries(&text).unwrap_err().code,
            "InvalidSecurityIPList.QuotaExceeded"
        );
        assert_eq!(
            ADB_MYSQL_RULES
                .parse_entries(&ips(500, 1).join(","))
                .unwrap()
                .len(),
            500
        );
        assert_eq!(POLARDB_RULES.parse_entries(&text).unwrap().len(), 501);
        assert_eq!(
            ADB_MYSQL_RULES
                .parse_entries("1.1.1.1,1.1.1.1")
                .unwrap_err()
                .code,
            "InvalidSecurityIPList.Duplicate"
        );
        assert_eq!(
            ADB_MYSQL_RULES.parse_entries("1.1.1.1 ").unwrap_err().code,
            "InvalidSecurityIPList.Malformed"
        );
        assert_eq!(
            MONGODB_RULES.parse_entries("300.1.1.1").unwrap_err().code,
            "InvalidSecurityIps.MalFormed"
        );
    }

    #[test]
    fn group_names_and_counts() {
        let long = format!("a{}", "b".repeat(119));
        assert_eq!(POLARDB_RULES.group_name(Some(&long)).unwrap(), long);
        assert!(POLARDB_RULES.group_name(Some(&format!("{long}c"))).is_err());
        assert!(
            POLARDB_RULES.group_name(Some("app_1")).is_err(),
            "no _ in PolarDB"
        );
        assert_eq!(
            POLARDB_RULES.group_name(Some("Default")).unwrap(),
            "default"
        );
        assert_eq!(POLARDB_RULES.group_name(None).unwrap(), "default");
        assert_eq!(MONGODB_RULES.group_name(Some("app_1")).unwrap(), "app_1");
        assert_eq!(
            MONGODB_RULES.group_name(Some(&long)).unwrap_err().code,
            "InvalidGroupName.Format"
        );
        assert_eq!(
            ADB_MYSQL_RULES.group_name(Some("1abc")).unwrap_err().code,
            "InvalidParameter"
        );
        assert_eq!(
            ADB_PG_RULES.group_name(Some("Abc")).unwrap_err().code,
            "InvalidDBInstanceIPArrayName.Format"
        );
        let mut d = db(Engine::Polardb);
        for i in 1..50 {
            d.modify_whitelist(&format!("g{i}"), None, ModifyMode::Cover, &ips(1, i as u8))
                .unwrap();
        }
        let err = d
            .modify_whitelist("g50", None, ModifyMode::Cover, &ips(1, 50))
            .unwrap_err();
        assert_eq!(err.code, "QuotaExceeded.WhitelistGroup");
        // An existing group can still change.
        d.modify_whitelist("g49", Some("hidden"), ModifyMode::Append, &ips(2, 60))
            .unwrap();
        assert_eq!(d.group("g49").unwrap().attribute, "hidden");
    }

    #[test]
    fn status_and_security_groups() {
        let mut d = db(Engine::Polardb);
        d.status = DbStatus::Creating;
        assert_eq!(
            d.modify_whitelist("default", None, ModifyMode::Cover, &s(&["1.1.1.1"]))
                .unwrap_err()
                .code,
            "OperationDenied.DBClusterStatus"
        );
        assert_eq!(
            d.set_security_groups(s(&["sg-1"])).unwrap_err().code,
            "OperationDenied.DBClusterStatus"
        );
        d.status = DbStatus::Running;
        let many: Vec<String> = (0..11).map(|i| format!("sg-{i}")).collect();
        assert_eq!(
            d.set_security_groups(many).unwrap_err().code,
            "NumberExceed.securityGroupIds"
        );
        d.set_security_groups(s(&["sg-1", "sg-2"])).unwrap();
        d.set_security_groups(s(&["sg-3"])).unwrap();
        assert_eq!(d.security_group_ids, s(&["sg-3"]), "overwrite");
        for (engine, code) in [
            (Engine::MongoDb, "OperationDenied.DBInstanceStatus"),
            (Engine::AdbMysql, "IncorrectDBInstanceState"),
            (Engine::AdbPg, "IncorrectDBInstanceState"),
            (Engine::Redis, "IncorrectDBInstanceState"),
        ] {
            let mut d = db(engine);
            d.status = DbStatus::Deleting;
            let err = d
                .modify_whitelist("default", None, ModifyMode::Cover, &s(&["1.1.1.1"]))
                .unwrap_err();
            assert_eq!(err.code, code);
        }
    }

    #[test]
    fn security_group_lists() {
        assert_eq!(parse_security_group_ids("Empty"), Vec::<String>::new());
        assert_eq!(parse_security_group_ids(""), Vec::<String>::new());
        assert_eq!(
            parse_security_group_ids("sg-1,sg-2,sg-1"),
            s(&["sg-1", "sg-2"])
        );
        let ten: Vec<String> = (0..10).map(|i| format!("sg-{i}")).collect();
        assert_eq!(
            join_security_groups(&ten[..9], &s(&["sg-9", "sg-0"])),
            Some(ten.clone())
        );
        assert_eq!(join_security_groups(&ten, &s(&["sg-x"])), None);
        assert_eq!(
            leave_security_groups(&s(&["sg-1", "sg-2", "sg-3"]), &s(&["sg-2", "sg-9"])),
            s(&["sg-1", "sg-3"])
        );
        let mut d = db(Engine::MongoDb);
        d.status = DbStatus::Creating;
        assert_eq!(
            d.set_security_groups(s(&["sg-1"])).unwrap_err().code,
            "InstanceStatusInvalid"
        );
        d.status = DbStatus::Running;
        let many: Vec<String> = (0..11).map(|i| format!("sg-{i}")).collect();
        assert_eq!(
            d.set_security_groups(many).unwrap_err().code,
            "AssociatedEcsSecurityGroupId.QuotaExceed"
        );
    }

    #[test]
    fn initial_group() {
        let groups = REDIS_RULES.initial(Vec::new()).unwrap();
        assert_eq!(groups, vec![IpGroup::new(DEFAULT_GROUP, s(&[LOCALHOST]))]);
        assert_eq!(
            MONGODB_RULES.initial(ips(1001, 1)).unwrap_err().code,
            "InvalidSecurityIPListLength.Malformed"
        );
    }
}
