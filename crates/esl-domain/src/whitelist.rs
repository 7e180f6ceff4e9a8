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
}

impl IpGroup {
    pub fn new(name: &str, entries: Vec<String>) -> Self {
        IpGroup {
            name: name.to_string(),
            attribute: String::new(),
            entries,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModifyMode {
    Cover,
    Append,
    Delete,
}

impl ModifyMode {
    pub fn parse(text: Option<&str>) -> Result<Self, Fault> {
        match text {
            None => Ok(ModifyMode::Cover),
            Some(t) if t.eq_ignore_ascii_case("cover") => Ok(ModifyMode::Cover),
            Some(t) if t.eq_ignore_ascii_case("append") => Ok(ModifyMode::Append),
            Some(t) if t.eq_ignore_ascii_case("delete") => Ok(ModifyMode::Delete),
            Some(_) => Err(fault::invalid_parameter("ModifyMode")),
        }
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
    let bytes = name.as_bytes();
    (2..=32).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        && bytes[bytes.len() - 1] != b'_'
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
        ModifyMode::Append => {
            for e in entries {
                if !g.entries.contains(e) {
                    g.entries.push(e.clone());
                }
            }
        }
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
