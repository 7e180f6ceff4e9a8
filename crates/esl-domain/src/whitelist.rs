//! The whitelist algebra every database engine shares: named groups of entries (IPv4 addresses and
//! CIDR blocks), the Cover / Append / Delete modes, entry validation, and the entry limit. An
//! engine's own rules (its limit's scope, its group-name pattern, strict Append) are parameters.

use serde::{Deserialize, Serialize};

use crate::fault::{self, Fault};

/// The group ESS and the OOS templates write, created with `127.0.0.1` (which admits nobody).
pub const DEFAULT_GROUP: &str = "default";
pub const LOCALHOST: &str = "127.0.0.1";
/// RDS and PolarDB: at most 1,000 entries per instance, over all groups.
pub const MAX_ENTRIES: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpGroup {
    pub name: String,
    #[serde(default)]
    pub attribute: String,
    pub entries: Vec<String>,
    /// RDS WhitelistNetworkType: `MIX` (both networks; the default), `Classic` or `VPC`.
    #[serde(default = "mix")]
    pub network_type: String,
}

fn mix() -> String {
    "MIX".to_string()
}

impl IpGroup {
    pub fn new(name: &str, entries: Vec<String>) -> Self {
        IpGroup {
            name: name.to_string(),
            attribute: String::new(),
            entries,
            network_type: mix(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModifyMode {
    /// Replace the group's entries.
    Cover,
    /// Add entries; strict (already-present entries refused) where the engine's rules say so.
    Append,
    /// Remove entries.
    Delete,
    /// MongoDB: add entries, merging those already present.
    Extend,
    /// Redis (undocumented, used by the public OOS template): add entries, tolerating duplicates.
    AppendDup,
}

/// The modes RDS and most engines accept.
pub const BASIC_MODES: &[ModifyMode] = &[ModifyMode::Cover, ModifyMode::Append, ModifyMode::Delete];

impl ModifyMode {
    const ALL: [ModifyMode; 5] = [
        ModifyMode::Cover,
        ModifyMode::Append,
        ModifyMode::Delete,
        ModifyMode::Extend,
        ModifyMode::AppendDup,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ModifyMode::Cover => "Cover",
            ModifyMode::Append => "Append",
            ModifyMode::Delete => "Delete",
            ModifyMode::Extend => "Extend",
            ModifyMode::AppendDup => "AppendDup",
        }
    }

    /// RDS's modes: Cover (the default), Append, Delete.
    pub fn parse(text: Option<&str>) -> Result<Self, Fault> {
        Self::parse_among(text, BASIC_MODES)
    }

    /// One of `supported` (case-insensitive); Cover when absent.
    pub fn parse_among(text: Option<&str>, supported: &[ModifyMode]) -> Result<Self, Fault> {
        let Some(t) = text else {
            return Ok(ModifyMode::Cover);
        };
        Self::ALL
            .into_iter()
            .find(|m| supported.contains(m) && m.name().eq_ignore_ascii_case(t))
            .ok_or_else(|| fault::invalid_parameter("ModifyMode"))
    }

    /// Whether the mode adds entries to the group.
    pub fn adds(self) -> bool {
        matches!(
            self,
            ModifyMode::Append | ModifyMode::Extend | ModifyMode::AppendDup
        )
    }
}

/// One entry: `a.b.c.d`, `a.b.c.d/n` (n in 1..=32; `0.0.0.0/0` means anyone), or `%`.
pub fn valid_entry(entry: &str) -> bool {
    if entry == "%" || entry == "0.0.0.0/0" {
        return true;
    }
    let (addr, mask) = match entry.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (entry, None),
    };
    let octets: Vec<&str> = addr.split('.').collect();
    let addr_ok = octets.len() == 4
        && octets.iter().all(|o| {
            !o.is_empty()
                && o.len() <= 3
                && o.bytes().all(|b| b.is_ascii_digit())
                && o.parse::<u16>().is_ok_and(|n| n <= 255)
        });
    let mask_ok = mask.is_none_or(|m| {
        m.bytes().all(|b| b.is_ascii_digit())
            && m.parse::<u8>().is_ok_and(|n| (1..=32).contains(&n))
    });
    addr_ok && mask_ok && !(addr == "0.0.0.0" && mask.is_none())
}

/// Parses a comma-separated list (no spaces), refusing malformed entries and duplicates.
pub fn parse_entries(text: &str) -> Result<Vec<String>, Fault> {
    let mut out: Vec<String> = Vec::new();
    for entry in text.split(',') {
        if !valid_entry(entry) {
            return Err(fault::security_ip_format());
        }
        if out.iter().any(|e| e == entry) {
            return Err(fault::security_ip_duplicate());
        }
        out.push(entry.to_string());
    }
    Ok(out)
}

/// Group names: 2 to 32 characters of lowercase letters, digits and `_`, starting with a lowercase
/// letter and ending with a letter or digit.
pub fn valid_group_name(name: &str) -> bool {
    RDS_GROUP_NAMES.accepts(name)
}

pub fn total_entries(groups: &[IpGroup]) -> usize {
    groups.iter().map(|g| g.entries.len()).sum()
}

/// Applies one modification to the named group (created when missing, except by Delete), keeping
/// the entries of every other group, and refusing a result with more than `limit` entries overall.
pub fn modify(
    groups: &mut Vec<IpGroup>,
    group: &str,
    attribute: Option<&str>,
    mode: ModifyMode,
    entries: &[String],
    limit: usize,
) -> Result<(), Fault> {
    let mut next = groups.clone();
    let pos = match next.iter().position(|g| g.name == group) {
        Some(p) => p,
        None if mode == ModifyMode::Delete => return Err(fault::ip_array_not_found()),
        None => {
            next.push(IpGroup::new(group, Vec::new()));
            next.len() - 1
        }
    };
    let g = &mut next[pos];
    match mode {
        ModifyMode::Cover => g.entries = entries.to_vec(),
        ModifyMode::Append | ModifyMode::Extend | ModifyMode::AppendDup => merge(g, entries),
        ModifyMode::Delete => g.entries.retain(|e| !entries.contains(e)),
    }
    if let Some(a) = attribute {
        g.attribute = a.to_string();
    }
    if g.entries.is_empty() && g.name != DEFAULT_GROUP {
        next.remove(pos);
    }
    if total_entries(&next) == 0 {
        return Err(fault::whitelist_last_ip());
    }
    if total_entries(&next) > limit {
        return Err(fault::security_ip_quota());
    }
    *groups = next;
    Ok(())
}

fn merge(g: &mut IpGroup, entries: &[String]) {
    for e in entries {
        if !g.entries.contains(e) {
            g.entries.push(e.clone());
        }
    }
}

// ---- Engine rules: what differs between database engines, as data ----

/// What the entry limit counts: all groups of an instance, or each group on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitScope {
    Instance,
    Group,
}

/// Group names: `min..=max` characters of lowercase letters and digits (and `_` where allowed),
/// starting with a lowercase letter and ending with a letter or digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupNameRule {
    pub min: usize,
    pub max: usize,
    pub underscore: bool,
}

/// RDS, MongoDB and AnalyticDB: 2 to 32 characters, `_` allowed.
pub const RDS_GROUP_NAMES: GroupNameRule = GroupNameRule {
    min: 2,
    max: 32,
    underscore: true,
};

impl GroupNameRule {
    pub fn accepts(&self, name: &str) -> bool {
        let bytes = name.as_bytes();
        (self.min..=self.max).contains(&bytes.len())
            && bytes[0].is_ascii_lowercase()
            && bytes.iter().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || (self.underscore && *b == b'_')
            })
            && bytes[bytes.len() - 1] != b'_'
    }
}

/// The engine's own error for each way a whitelist change can be refused.
#[derive(Debug, Clone, Copy)]
pub struct WhitelistFaults {
    /// A malformed entry.
    pub format: fn() -> Fault,
    /// The same entry twice in one request.
    pub duplicate: fn() -> Fault,
    /// Strict Append: an entry already in the group.
    pub already_present: fn() -> Fault,
    /// Strict Delete: an entry not in the group (also: Delete from a missing group).
    pub not_present: fn() -> Fault,
    /// More entries than the limit (in its scope), or than one call may carry.
    pub quota: fn() -> Fault,
    pub group_name: fn() -> Fault,
    /// Delete from a group that does not exist.
    pub group_not_found: fn() -> Fault,
    /// A new group beyond the maximum number of groups.
    pub group_quota: fn() -> Fault,
    /// A change that would leave no entry at all.
    pub last_entry: fn() -> Fault,
}

/// One engine's whitelist rules. Every engine runs the same algebra (`apply`); only this differs.
#[derive(Debug, Clone, Copy)]
pub struct WhitelistRules {
    pub limit: usize,
    pub scope: LimitScope,
    /// At most this many entries in one call.
    pub per_call: Option<usize>,
    pub max_groups: Option<usize>,
    pub names: GroupNameRule,
    pub modes: &'static [ModifyMode],
    /// Append refuses entries already in the group.
    pub strict_append: bool,
    /// Delete refuses entries not in the group.
    pub strict_delete: bool,
    pub faults: WhitelistFaults,
}

impl WhitelistRules {
    /// A comma-separated list (no spaces): malformed entries, duplicates and more than one call
    /// may carry are refused with the engine's errors.
    pub fn parse_entries(&self, text: &str) -> Result<Vec<String>, Fault> {
        let mut out: Vec<String> = Vec::new();
        for entry in text.split(',') {
            if !valid_entry(entry) {
                return Err((self.faults.format)());
            }
            if out.iter().any(|e| e == entry) {
                return Err((self.faults.duplicate)());
            }
            out.push(entry.to_string());
        }
        if self.per_call.is_some_and(|max| out.len() > max) {
            return Err((self.faults.quota)());
        }
        Ok(out)
    }

    /// The group a request names: `default` when absent (any spelling of "default" is the default
    /// group), otherwise a name the engine's pattern accepts.
    pub fn group_name(&self, name: Option<&str>) -> Result<String, Fault> {
        match name {
            None => Ok(DEFAULT_GROUP.to_string()),
            Some(n) if n.eq_ignore_ascii_case(DEFAULT_GROUP) => Ok(DEFAULT_GROUP.to_string()),
            Some(n) if self.names.accepts(n) => Ok(n.to_string()),
            Some(_) => Err((self.faults.group_name)()),
        }
    }

    pub fn mode(&self, text: Option<&str>) -> Result<ModifyMode, Fault> {
        ModifyMode::parse_among(text, self.modes)
    }

    /// The groups of a new instance: `default` holding `entries` (or `127.0.0.1` when none).
    pub fn initial(&self, entries: Vec<String>) -> Result<Vec<IpGroup>, Fault> {
        let entries = if entries.is_empty() {
            vec![LOCALHOST.to_string()]
        } else {
            entries
        };
        if entries.len() > self.limit {
            return Err((self.faults.quota)());
        }
        Ok(vec![IpGroup::new(DEFAULT_GROUP, entries)])
    }

    /// Applies one modification to the named group (created when missing, except by Delete),
    /// keeping every other group. A refused change leaves `groups` as it was.
    pub fn apply(
        &self,
        groups: &mut Vec<IpGroup>,
        group: &str,
        attribute: Option<&str>,
        mode: ModifyMode,
        entries: &[String],
    ) -> Result<(), Fault> {
        if !self.modes.contains(&mode) {
            return Err(fault::invalid_parameter("ModifyMode"));
        }
        let mut next = groups.clone();
        let pos = match next.iter().position(|g| g.name == group) {
            Some(p) => p,
            None if mode == ModifyMode::Delete => {
                return Err(if self.strict_delete {
                    (self.faults.not_present)()
                } else {
                    (self.faults.group_not_found)()
                })
            }
            None => {
                if self.max_groups.is_some_and(|max| next.len() >= max) {
                    return Err((self.faults.group_quota)());
                }
                next.push(IpGroup::new(group, Vec::new()));
                next.len() - 1
            }
        };
        let g = &mut next[pos];
        match mode {
            ModifyMode::Cover => g.entries = entries.to_vec(),
            ModifyMode::Append if self.strict_append => {
                if entries.iter().any(|e| g.entries.contains(e)) {
                    return Err((self.faults.already_present)());
                }
                merge(g, entries);
            }
            ModifyMode::Append | ModifyMode::Extend | ModifyMode::AppendDup => merge(g, entries),
            ModifyMode::Delete => {
                if self.strict_delete && entries.iter().any(|e| !g.entries.contains(e)) {
                    return Err((self.faults.not_present)());
                }
                g.entries.retain(|e| !entries.contains(e));
            }
        }
        if let Some(a) = attribute {
            g.attribute = a.to_string();
        }
        let over = match self.scope {
            LimitScope::Instance => total_entries(&next) > self.limit,
            LimitScope::Group => next[pos].entries.len() > self.limit,
        };
        if next[pos].entries.is_empty() && next[pos].name != DEFAULT_GROUP {
            next.remove(pos);
        }
        if total_entries(&next) == 0 {
            return Err((self.faults.last_entry)());
        }
        if over {
            return Err((self.faults.quota)());
        }
        *groups = next;
        Ok(())
    }
}

/// Adds addresses to a group (created if missing), skipping those already there; returns how many
/// were added. The caller checks the limit first with `room_for`.
pub fn add_to_group(groups: &mut Vec<IpGroup>, group: &str, ips: &[String]) -> usize {
    let pos = match groups.iter().position(|g| g.name == group) {
        Some(p) => p,
        None => {
            groups.push(IpGroup::new(group, Vec::new()));
            groups.len() - 1
        }
    };
    let g = &mut groups[pos];
    let mut added = 0;
    for ip in ips {
        if !g.entries.contains(ip) {
            g.entries.push(ip.clone());
            added += 1;
        }
    }
    added
}

/// How many of `ips` are not yet in `group`.
pub fn missing_from_group(groups: &[IpGroup], group: &str, ips: &[String]) -> usize {
    let existing = groups
        .iter()
        .find(|g| g.name == group)
        .map(|g| g.entries.as_slice())
        .unwrap_or(&[]);
    let mut seen: Vec<&String> = Vec::new();
    ips.iter()
        .filter(|ip| {
            let new = !existing.contains(ip) && !seen.contains(ip);
            seen.push(ip);
            new
        })
        .count()
}

/// Removes addresses from a group; the group itself stays. Returns how many were removed.
pub fn remove_from_group(groups: &mut [IpGroup], group: &str, ips: &[String]) -> usize {
    match groups.iter_mut().find(|g| g.name == group) {
        None => 0,
        Some(g) => {
            let before = g.entries.len();
            g.entries.retain(|e| !ips.contains(e));
            before - g.entries.len()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn entries() {
        assert!(valid_entry("10.23.12.24"));
        assert!(valid_entry("10.23.12.0/24"));
        assert!(valid_entry("0.0.0.0/0"));
        assert!(valid_entry("%"));
        assert!(!valid_entry("0.0.0.0"));
        assert!(!valid_entry("10.0.0.256"));
        assert!(!valid_entry("10.0.0.1/33"));
        assert!(!valid_entry(" 10.0.0.1"));
        assert!(!valid_entry(""));
        assert_eq!(
            parse_entries("1.1.1.1,2.2.2.2").unwrap(),
            s(&["1.1.1.1", "2.2.2.2"])
        );
        assert_eq!(
            parse_entries("1.1.1.1,1.1.1.1").unwrap_err().code,
            "InvalidSecurityIPList.Duplicate"
        );
        assert_eq!(
            parse_entries("1.1.1.1, 2.2.2.2").unwrap_err().code,
            "SecurityIPList.Format"
        );
    }

    #[test]
    fn modes() {
        let mut groups = vec![IpGroup::new(DEFAULT_GROUP, s(&[LOCALHOST]))];
        modify(
            &mut groups,
            "default",
            None,
            ModifyMode::Append,
            &s(&["10.0.0.1", LOCALHOST]),
            1000,
        )
        .unwrap();
        assert_eq!(groups[0].entries, s(&[LOCALHOST, "10.0.0.1"]));
        modify(
            &mut groups,
            "app",
            None,
            ModifyMode::Cover,
            &s(&["10.0.0.2"]),
            1000,
        )
        .unwrap();
        assert_eq!(groups[1], IpGroup::new("app", s(&["10.0.0.2"])));
        modify(
            &mut groups,
            "app",
            None,
            ModifyMode::Delete,
            &s(&["10.0.0.2"]),
            1000,
        )
        .unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(
            modify(
                &mut groups,
                "nope",
                None,
                ModifyMode::Delete,
                &s(&["1.1.1.1"]),
                1000
            )
            .unwrap_err()
            .code,
            "InvalidDBInstanceIPArrayName.NotFound"
        );
        let err = modify(
            &mut groups,
            "big",
            None,
            ModifyMode::Cover,
            &s(&["1.1.1.1", "1.1.1.2"]),
            3,
        )
        .unwrap_err();
        assert_eq!(err.code, "InvalidSecurityIPList.QuotaExceeded");
        assert_eq!(groups.len(), 1, "a refused change changes nothing");
        assert_eq!(
            missing_from_group(
                &groups,
                "default",
                &s(&["10.0.0.1", "10.0.0.9", "10.0.0.9"])
            ),
            1
        );
        assert_eq!(
            add_to_group(&mut groups, "default", &s(&["10.0.0.1", "10.0.0.9"])),
            1
        );
        assert_eq!(
            remove_from_group(&mut groups, "default", &s(&["10.0.0.9", "10.0.0.1"])),
            2
        );
        assert_eq!(groups[0].entries, s(&[LOCALHOST]));
    }

    #[test]
    fn group_names() {
        assert!(valid_group_name("default"));
        assert!(valid_group_name("app_1"));
        assert!(!valid_group_name("App"));
        assert!(!valid_group_name("a"));
        assert!(!valid_group_name("1abc"));
        assert!(!valid_group_name("abc_"));
    }
}
