//! The access explainer, sans IO: can an ECS instance open a TCP connection to a database's port,
//! and which facts decide it. Two paths admit traffic and are evaluated independently: the
//! database's bound ECS security groups (Method 1) and its IP whitelist (Methods 2 and 3); both
//! need a network path (same VPC, or both classic) and the instance's own egress rules. A blocked
//! verdict lists every blocking fact and the changes that would open a path.
//!
//! Security-group semantics (db-oos-api.md §2.2): a normal group with InnerAccessPolicy Accept
//! lets its members reach each other on every port, whatever its rules say; otherwise the rules of
//! every group on the receiving side are merged, ordered by priority (1 first), drop winning a tie,
//! and the first match decides; no match denies inbound. Outbound is allowed by default from
//! normal groups and denied from enterprise ones. A database bound to a group receives as a member
//! of it; its address is its vSwitch CIDR (what an egress rule's destination is matched against).

use ipnet::Ipv4Net;

use crate::model::{SecurityGroup, SecurityGroupRule};
use crate::net::parse_ip;
use crate::whitelist::{IpGroup, LOCALHOST};

/// The database products the explainer knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    Rds,
    Polardb,
    MongoDb,
    AdbMysql,
    AdbPg,
    Redis,
}

impl Product {
    /// Whether ECS security groups can be bound to the database (AnalyticDB cannot).
    pub fn binds_security_groups(self) -> bool {
        !matches!(self, Product::AdbMysql | Product::AdbPg)
    }

    /// Whether a classic-network instance can be moved into a VPC (RDS and MongoDB emulate
    /// ModifyDBInstanceNetworkType).
    pub fn changes_network_type(self) -> bool {
        matches!(self, Product::Rds | Product::MongoDb)
    }
}

/// The instance side of the question.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    pub id: &'a str,
    /// The ECS status (`Running`, `Stopped`, ...).
    pub status: &'a str,
    pub vpc_id: Option<&'a str>,
    pub vswitch_id: Option<&'a str>,
    pub zone_id: &'a str,
    pub private_ip: Option<&'a str>,
    pub security_groups: Vec<&'a SecurityGroup>,
}

/// The database side.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub id: &'a str,
    pub product: Product,
    /// Whether the database accepts connections (Running; Redis calls it Normal).
    pub running: bool,
    /// The status as its product shows it.
    pub status: &'a str,
    /// `VPC` or `Classic`.
    pub network_type: &'a str,
    pub vpc_id: Option<&'a str>,
    /// The CIDR of the database's vSwitch (its address space), when known.
    pub address: Option<Ipv4Net>,
    pub port: u16,
    pub ip_groups: &'a [IpGroup],
    pub security_groups: Vec<&'a SecurityGroup>,
}

/// A path that admits the traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    SecurityGroup,
    Whitelist,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::SecurityGroup => "SecurityGroup",
            Method::Whitelist => "Whitelist",
        }
    }
}

/// One fact that decided the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub code: &'static str,
    pub message: String,
    pub resource_id: String,
    /// Whether the fact blocks the path it belongs to.
    pub blocks: bool,
}

/// A change that would open a path; rendered as an API call by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    StartInstance {
        instance_id: String,
    },
    /// Add the instance's IP to the database's `default` whitelist group.
    AddToWhitelist {
        db_id: String,
        ip: String,
    },
    /// Bind the security group to the database (keeping the ones bound already).
    BindSecurityGroup {
        db_id: String,
        security_group_id: String,
        bound: Vec<String>,
    },
    /// Move a classic-network database into the instance's VPC and vSwitch.
    MoveDatabaseToVpc {
        db_id: String,
        vpc_id: String,
        vswitch_id: String,
        zone_id: String,
    },
    /// Nothing to call: the scaling group (or instance) must be created in the database's VPC.
    UseDatabaseVpc {
        instance_id: String,
        vpc_id: Option<String>,
    },
    SetInnerAccessAccept {
        security_group_id: String,
    },
    RevokeRule {
        security_group_id: String,
        rule_id: String,
        direction: String,
    },
    AuthorizeIngress {
        security_group_id: String,
        source_cidr: String,
        port: u16,
    },
    AuthorizeEgress {
        security_group_id: String,
        dest_cidr: String,
        port: u16,
    },
    WaitForDatabase {
        db_id: String,
    },
    UsePort {
        db_id: String,
        port: u16,
    },
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    pub method: Option<Method>,
    pub facts: Vec<Fact>,
    pub fixes: Vec<Fix>,
}

fn fact(code: &'static str, resource_id: &str, message: String) -> Fact {
    Fact {
        code,
        message,
        resource_id: resource_id.to_string(),
        blocks: false,
    }
}

fn block(code: &'static str, resource_id: &str, message: String) -> Fact {
    Fact {
        blocks: true,
        ..fact(code, resource_id, message)
    }
}

/// Whether `cidr` (an address or `a.b.c.d/n`, `0.0.0.0/0`, `%`) holds `ip`.
pub fn entry_holds(entry: &str, ip: u32) -> bool {
    if entry == "%" {
        return true;
    }
    if let Some(one) = parse_ip(entry) {
        return one == ip;
    }
    entry
        .parse::<Ipv4Net>()
        .is_ok_and(|n| n.contains(&std::net::Ipv4Addr::from(ip)))
}

/// Whether an egress rule's destination `cidr` covers the database's whole address range.
fn cidr_covers(cidr: &str, address: Option<Ipv4Net>) -> bool {
    let Ok(net) = cidr.parse::<Ipv4Net>().or_else(|_| {
        parse_ip(cidr)
            .map(|ip| Ipv4Net::new(ip.into(), 32).expect("a /32 is valid"))
            .ok_or(())
    }) else {
        return false;
    };
    match address {
        None => net.prefix_len() == 0,
        Some(a) => net.contains(&a),
    }
}

/// Whether a rule admits private TCP traffic to `port` (a classic group's internet-NIC rules
/// govern public traffic only).
fn port_matches(rule: &SecurityGroupRule, port: u16) -> bool {
    if rule.nic_type.eq_ignore_ascii_case("internet") {
        return false;
    }
    match rule.ip_protocol.as_str() {
        "ALL" => true,
        "TCP" => rule
            .port_range
            .split_once('/')
            .and_then(|(a, b)| Some((a.parse::<u16>().ok()?, b.parse::<u16>().ok()?)))
            .is_some_and(|(a, b)| (a..=b).contains(&port)),
        _ => false,
    }
}

/// The deciding rule among `rules` (priority first, drop before accept at equal priority).
fn deciding<'r>(
    mut rules: Vec<(&'r SecurityGroup, &'r SecurityGroupRule)>,
) -> Option<(&'r SecurityGroup, &'r SecurityGroupRule)> {
    rules.sort_by_key(|(_, r)| (r.priority, r.policy != "Drop"));
    rules.into_iter().next()
}

fn describe_rule(sg: &SecurityGroup, r: &SecurityGroupRule) -> String {
    let peer = if r.direction == "egress" {
        if r.dest_group_id.is_empty() {
            format!("to {}", r.dest_cidr_ip)
        } else {
            format!("to group {}", r.dest_group_id)
        }
    } else if r.source_group_id.is_empty() {
        format!("from {}", r.source_cidr_ip)
    } else {
        format!("from group {}", r.source_group_id)
    };
    format!(
        "{} rule {} of {} ({} {} {}, priority {}, {})",
        r.direction, r.rule_id, sg.id, r.ip_protocol, r.port_range, peer, r.priority, r.policy
    )
}

fn ids(groups: &[&SecurityGroup]) -> Vec<String> {
    groups.iter().map(|g| g.id.clone()).collect()
}

/// Can `src` reach `dst` on `port` (the database's own port when None)?
pub fn explain(src: &Source<'_>, dst: &Target<'_>, port: Option<u16>) -> Verdict {
    let port = port.unwrap_or(dst.port);
    let mut facts = Vec::new();
    let mut fixes = Vec::new();

    // Both ends up, and the port the database listens on.
    if src.status == "Running" {
        facts.push(fact(
            "InstanceRunning",
            src.id,
            format!("ECS instance {} is Running.", src.id),
        ));
    } else {
        facts.push(block(
            "InstanceNotRunning",
            src.id,
            format!(
                "ECS instance {} is {}: only a Running instance opens connections.",
                src.id, src.status
            ),
        ));
        fixes.push(Fix::StartInstance {
            instance_id: src.id.to_string(),
        });
    }
    if dst.running {
        facts.push(fact(
            "DatabaseRunning",
            dst.id,
            format!("Database {} is {}.", dst.id, dst.status),
        ));
    } else {
        facts.push(block(
            "DatabaseNotRunning",
            dst.id,
            format!(
                "Database {} is {}: it accepts connections only when running.",
                dst.id, dst.status
            ),
        ));
        fixes.push(Fix::WaitForDatabase {
            db_id: dst.id.to_string(),
        });
    }
    if port != dst.port {
        facts.push(block(
            "PortClosed",
            dst.id,
            format!(
                "Database {} listens on port {}, not {port}.",
                dst.id, dst.port
            ),
        ));
        fixes.push(Fix::UsePort {
            db_id: dst.id.to_string(),
            port: dst.port,
        });
    }

    // The network path.
    let db_vpc = dst.network_type.eq_ignore_ascii_case("VPC");
    let network_ok = match (src.vpc_id, db_vpc) {
        (Some(v), true) if dst.vpc_id == Some(v) => {
            facts.push(fact(
                "SameVpc",
                v,
                format!(
                    "ECS instance {} and database {} are in the same VPC {v}.",
                    src.id, dst.id
                ),
            ));
            true
        }
        (Some(v), true) => {
            let other = dst.vpc_id.unwrap_or("");
            facts.push(block(
                "DifferentVpc",
                dst.id,
                format!("ECS instance {} is in VPC {v} but database {} is in VPC {other}: private traffic does not cross VPCs.", src.id, dst.id),
            ));
            fixes.push(Fix::UseDatabaseVpc {
                instance_id: src.id.to_string(),
                vpc_id: dst.vpc_id.map(str::to_string),
            });
            false
        }
        (Some(v), false) => {
            facts.push(block(
                "DatabaseClassicNetwork",
                dst.id,
                format!("Database {} is in the classic network and ECS instance {} in VPC {v}: change the database's network type to VPC first.", dst.id, src.id),
            ));
            if dst.product.changes_network_type() {
                fixes.push(Fix::MoveDatabaseToVpc {
                    db_id: dst.id.to_string(),
                    vpc_id: v.to_string(),
                    vswitch_id: src.vswitch_id.unwrap_or("").to_string(),
                    zone_id: src.zone_id.to_string(),
                });
            }
            false
        }
        (None, true) => {
            facts.push(block(
                "InstanceClassicNetwork",
                src.id,
                format!("ECS instance {} is in the classic network and database {} in VPC {}; a classic-network scaling group can never change its network type.", src.id, dst.id, dst.vpc_id.unwrap_or("")),
            ));
            fixes.push(Fix::UseDatabaseVpc {
                instance_id: src.id.to_string(),
                vpc_id: dst.vpc_id.map(str::to_string),
            });
            false
        }
        (None, false) => {
            facts.push(fact(
                "SameClassicNetwork",
                dst.id,
                format!(
                    "ECS instance {} and database {} are both in the classic network.",
                    src.id, dst.id
                ),
            ));
            true
        }
    };

    let ip_text = src.private_ip.unwrap_or("");
    let ip = parse_ip(ip_text);
    let shared: Vec<&SecurityGroup> = src
        .security_groups
        .iter()
        .copied()
        .filter(|g| dst.security_groups.iter().any(|d| d.id == g.id))
        .collect();
    let member_accept = shared
        .iter()
        .find(|g| g.group_type == "normal" && g.inner_access_policy.eq_ignore_ascii_case("Accept"))
        .copied();

    // The instance's egress.
    let egress_ok = network_ok && egress(src, dst, port, member_accept, &mut facts, &mut fixes);

    // Path 1: the database's security groups.
    let sg_ok = network_ok
        && egress_ok
        && security_group_path(
            src,
            dst,
            port,
            ip,
            &shared,
            member_accept,
            &mut facts,
            &mut fixes,
        );
    // Path 2: the whitelist.
    let wl_ok =
        network_ok && egress_ok && whitelist_path(src, dst, ip, ip_text, &mut facts, &mut fixes);

    const UP: [&str; 3] = ["InstanceNotRunning", "DatabaseNotRunning", "PortClosed"];
    let up = !facts.iter().any(|f| f.blocks && UP.contains(&f.code));
    let method = if sg_ok {
        Some(Method::SecurityGroup)
    } else if wl_ok {
        Some(Method::Whitelist)
    } else {
        None
    };
    let allowed = up && method.is_some();
    if method.is_some() {
        // The path that admits the traffic makes the other path's gaps irrelevant.
        facts.retain(|f| !f.blocks || UP.contains(&f.code));
        fixes.retain(|f| {
            matches!(
                f,
                Fix::StartInstance { .. } | Fix::WaitForDatabase { .. } | Fix::UsePort { .. }
            )
        });
    }
    Verdict {
        allowed,
        method: if up { method } else { None },
        facts,
        fixes,
    }
}

fn egress(
    src: &Source<'_>,
    dst: &Target<'_>,
    port: u16,
    member_accept: Option<&SecurityGroup>,
    facts: &mut Vec<Fact>,
    fixes: &mut Vec<Fix>,
) -> bool {
    if let Some(g) = member_accept {
        facts.push(fact(
            "EgressInnerAccess",
            &g.id,
            format!("Traffic between members of {} is accepted (InnerAccessPolicy Accept), outbound included.", g.id),
        ));
        return true;
    }
    let dest_groups = ids(&dst.security_groups);
    let rules: Vec<_> = src
        .security_groups
        .iter()
        .flat_map(|g| g.rules.iter().map(move |r| (*g, r)))
        .filter(|(_, r)| r.direction == "egress" && port_matches(r, port))
        .filter(|(_, r)| {
            if r.dest_group_id.is_empty() {
                cidr_covers(&r.dest_cidr_ip, dst.address)
            } else {
                dest_groups.contains(&r.dest_group_id)
            }
        })
        .collect();
    match deciding(rules) {
        Some((g, r)) if r.policy == "Drop" => {
            facts.push(block(
                "EgressDropped",
                &g.id,
                format!(
                    "Outbound traffic to port {port} is dropped by {}.",
                    describe_rule(g, r)
                ),
            ));
            fixes.push(Fix::RevokeRule {
                security_group_id: g.id.clone(),
                rule_id: r.rule_id.clone(),
                direction: "egress".into(),
            });
            false
        }
        Some((g, r)) => {
            facts.push(fact(
                "EgressAccepted",
                &g.id,
                format!(
                    "Outbound traffic to port {port} is accepted by {}.",
                    describe_rule(g, r)
                ),
            ));
            true
        }
        None => match src
            .security_groups
            .iter()
            .find(|g| g.group_type == "enterprise")
        {
            Some(g) => {
                facts.push(block(
                    "EgressDeniedByDefault",
                    &g.id,
                    format!("{} is an enterprise security group: it denies outbound traffic that no egress rule accepts.", g.id),
                ));
                fixes.push(Fix::AuthorizeEgress {
                    security_group_id: g.id.clone(),
                    dest_cidr: dst
                        .address
                        .map(|a| a.to_string())
                        .unwrap_or_else(|| "0.0.0.0/0".into()),
                    port,
                });
                false
            }
            None => {
                if let Some(g) = src.security_groups.first() {
                    facts.push(fact(
                        "EgressAllowedByDefault",
                        &g.id,
                        format!(
                            "Basic security group {} allows outbound traffic by default.",
                            g.id
                        ),
                    ));
                }
                true
            }
        },
    }
}

#[allow(clippy::too_many_arguments)]
fn security_group_path(
    src: &Source<'_>,
    dst: &Target<'_>,
    port: u16,
    ip: Option<u32>,
    shared: &[&SecurityGroup],
    member_accept: Option<&SecurityGroup>,
    facts: &mut Vec<Fact>,
    fixes: &mut Vec<Fix>,
) -> bool {
    if !dst.product.binds_security_groups() {
        return false;
    }
    if dst.security_groups.is_empty() {
        facts.push(block(
            "NoSecurityGroupBound",
            dst.id,
            format!("No ECS security group is bound to database {}.", dst.id),
        ));
        if let Some(g) = src.security_groups.first() {
            fixes.push(Fix::BindSecurityGroup {
                db_id: dst.id.to_string(),
                security_group_id: g.id.clone(),
                bound: Vec::new(),
            });
        }
        return false;
    }
    if let Some(g) = member_accept {
        facts.push(fact(
            "SharedSecurityGroup",
            &g.id,
            format!(
                "ECS instance {} and database {} are both in security group {}.",
                src.id, dst.id, g.id
            ),
        ));
        facts.push(fact(
            "InnerAccessAccept",
            &g.id,
            format!("{} is a basic security group whose InnerAccessPolicy Accept admits traffic between its members on every port.", g.id),
        ));
        return true;
    }
    let src_groups = ids(&src.security_groups);
    let rules: Vec<_> = dst
        .security_groups
        .iter()
        .flat_map(|g| g.rules.iter().map(move |r| (*g, r)))
        .filter(|(_, r)| r.direction == "ingress" && port_matches(r, port))
        .filter(|(_, r)| {
            if r.source_group_id.is_empty() {
                ip.is_some_and(|ip| entry_holds(&r.source_cidr_ip, ip))
            } else {
                src_groups.contains(&r.source_group_id)
            }
        })
        .collect();
    match deciding(rules) {
        Some((g, r)) if r.policy == "Drop" => {
            facts.push(block(
                "IngressDropped",
                &g.id,
                format!("Inbound traffic to database {} on port {port} is dropped by {}, which comes first.", dst.id, describe_rule(g, r)),
            ));
            fixes.push(Fix::RevokeRule {
                security_group_id: g.id.clone(),
                rule_id: r.rule_id.clone(),
                direction: "ingress".into(),
            });
            false
        }
        Some((g, r)) => {
            facts.push(fact(
                "IngressAccepted",
                &g.id,
                format!(
                    "Inbound traffic to database {} on port {port} is accepted by {}.",
                    dst.id,
                    describe_rule(g, r)
                ),
            ));
            true
        }
        None => {
            match shared.first() {
                Some(g) if g.group_type == "enterprise" => {
                    facts.push(block(
                        "EnterpriseGroupIsolation",
                        &g.id,
                        format!("ECS instance {} and database {} share enterprise security group {}, whose members are isolated from each other unless a rule admits the traffic.", src.id, dst.id, g.id),
                    ));
                    fixes.push(Fix::AuthorizeIngress {
                        security_group_id: g.id.clone(),
                        source_cidr: src.private_ip.unwrap_or("").to_string(),
                        port,
                    });
                }
                Some(g) => {
                    facts.push(block(
                        "InnerAccessDrop",
                        &g.id,
                        format!("ECS instance {} and database {} share security group {}, but its InnerAccessPolicy is Drop and no rule admits the traffic.", src.id, dst.id, g.id),
                    ));
                    fixes.push(Fix::SetInnerAccessAccept {
                        security_group_id: g.id.clone(),
                    });
                }
                None => {
                    let bound = ids(&dst.security_groups);
                    facts.push(block(
                        "NoSharedSecurityGroup",
                        dst.id,
                        format!("Database {} is bound to security group(s) {} and ECS instance {} is in {}: they share none and no rule admits the instance.", dst.id, bound.join(","), src.id, src_groups.join(",")),
                    ));
                    if let Some(g) = src.security_groups.first() {
                        fixes.push(Fix::BindSecurityGroup {
                            db_id: dst.id.to_string(),
                            security_group_id: g.id.clone(),
                            bound,
                        });
                    }
                }
            }
            false
        }
    }
}

fn whitelist_path(
    src: &Source<'_>,
    dst: &Target<'_>,
    ip: Option<u32>,
    ip_text: &str,
    facts: &mut Vec<Fact>,
    fixes: &mut Vec<Fix>,
) -> bool {
    let Some(ip) = ip else {
        facts.push(block(
            "NoPrivateIp",
            src.id,
            format!("ECS instance {} has no private IP address.", src.id),
        ));
        return false;
    };
    let network = if src.vpc_id.is_some() {
        "VPC"
    } else {
        "Classic"
    };
    let mut wrong_network = None;
    for g in dst.ip_groups {
        for e in &g.entries {
            if e == LOCALHOST || !entry_holds(e, ip) {
                continue;
            }
            if g.network_type.eq_ignore_ascii_case("MIX")
                || g.network_type.eq_ignore_ascii_case(network)
            {
                facts.push(fact(
                    "WhitelistEntry",
                    dst.id,
                    format!("Whitelist group \"{}\" of database {} holds entry {e}, which covers the instance's private IP {ip_text}.", g.name, dst.id),
                ));
                return true;
            }
            wrong_network.get_or_insert((g.name.clone(), e.clone(), g.network_type.clone()));
        }
    }
    match wrong_network {
        Some((group, e, kind)) => facts.push(block(
            "WhitelistNetworkTypeMismatch",
            dst.id,
            format!("Whitelist group \"{group}\" of database {} holds {e}, but it applies to the {kind} network and the instance is in the {network} network.", dst.id),
        )),
        None => facts.push(block(
            "NotInWhitelist",
            dst.id,
            format!("No whitelist group of database {} holds the instance's private IP {ip_text}.", dst.id),
        )),
    }
    fixes.push(Fix::AddToWhitelist {
        db_id: dst.id.to_string(),
        ip: ip_text.to_string(),
    });
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sg(id: &str, kind: &str, policy: &str, rules: Vec<SecurityGroupRule>) -> SecurityGroup {
        SecurityGroup {
            id: id.into(),
            region: "cn-hangzhou".into(),
            vpc_id: Some("vpc-1".into()),
            name: String::new(),
            description: String::new(),
            group_type: kind.into(),
            inner_access_policy: policy.into(),
            rules,
            created_ms: 0,
        }
    }

    fn rule(dir: &str, cidr: &str, ports: &str, policy: &str, priority: i64) -> SecurityGroupRule {
        SecurityGroupRule {
            rule_id: format!("sgr-{policy}-{priority}"),
            direction: dir.into(),
            ip_protocol: "TCP".into(),
            port_range: ports.into(),
            source_cidr_ip: if dir == "ingress" {
                cidr.into()
            } else {
                String::new()
            },
            source_group_id: String::new(),
            dest_cidr_ip: if dir == "egress" {
                cidr.into()
            } else {
                String::new()
            },
            dest_group_id: String::new(),
            policy: policy.into(),
            priority,
            nic_type: "intranet".into(),
            description: String::new(),
            created_ms: 0,
        }
    }

    fn source<'a>(groups: Vec<&'a SecurityGroup>) -> Source<'a> {
        Source {
            id: "i-1",
            status: "Running",
            vpc_id: Some("vpc-1"),
            vswitch_id: Some("vsw-1"),
            zone_id: "cn-hangzhou-h",
            private_ip: Some("192.168.0.7"),
            security_groups: groups,
        }
    }

    fn target<'a>(groups: Vec<&'a SecurityGroup>, wl: &'a [IpGroup]) -> Target<'a> {
        Target {
            id: "rm-1",
            product: Product::Rds,
            running: true,
            status: "Running",
            network_type: "VPC",
            vpc_id: Some("vpc-1"),
            address: "192.168.1.0/24".parse().ok(),
            port: 3306,
            ip_groups: wl,
            security_groups: groups,
        }
    }

    fn codes(v: &Verdict) -> Vec<&'static str> {
        v.facts.iter().map(|f| f.code).collect()
    }

    #[test]
    fn shared_basic_group_admits_despite_a_drop_rule() {
        let g = sg(
            "sg-1",
            "normal",
            "Accept",
            vec![rule("ingress", "0.0.0.0/0", "1/65535", "Drop", 1)],
        );
        let v = explain(&source(vec![&g]), &target(vec![&g], &[]), None);
        assert!(v.allowed);
        assert_eq!(v.method, Some(Method::SecurityGroup));
        assert_eq!(
            codes(&v),
            [
                "InstanceRunning",
                "DatabaseRunning",
                "SameVpc",
                "EgressInnerAccess",
                "SharedSecurityGroup",
                "InnerAccessAccept"
            ]
        );
    }

    #[test]
    fn drop_wins_a_priority_tie_and_the_fix_revokes_it() {
        let db = sg(
            "sg-db",
            "normal",
            "Accept",
            vec![
                rule("ingress", "192.168.0.0/24", "3306/3306", "Accept", 5),
                rule("ingress", "192.168.0.7", "3306/3306", "Drop", 5),
            ],
        );
        let mine = sg("sg-2", "normal", "Accept", vec![]);
        let v = explain(&source(vec![&mine]), &target(vec![&db], &[]), None);
        assert!(!v.allowed);
        assert!(codes(&v).contains(&"IngressDropped"));
        assert!(v.fixes.contains(&Fix::RevokeRule {
            security_group_id: "sg-db".into(),
            rule_id: "sgr-Drop-5".into(),
            direction: "ingress".into()
        }));
    }

    #[test]
    fn whitelist_entry_cidr_admits_and_network_type_must_match() {
        let mine = sg("sg-2", "normal", "Accept", vec![]);
        let mut wl = vec![IpGroup::new(
            "default",
            vec!["127.0.0.1".into(), "192.168.0.0/24".into()],
        )];
        let v = explain(&source(vec![&mine]), &target(vec![], &wl), None);
        assert_eq!((v.allowed, v.method), (true, Some(Method::Whitelist)));
        assert_eq!(codes(&v).last(), Some(&"WhitelistEntry"));
        wl[0].network_type = "Classic".into();
        let v = explain(&source(vec![&mine]), &target(vec![], &wl), None);
        assert!(!v.allowed);
        assert!(codes(&v).contains(&"WhitelistNetworkTypeMismatch"));
    }

    #[test]
    fn enterprise_egress_needs_a_rule() {
        let mine = sg("sg-e", "enterprise", "Drop", vec![]);
        let wl = vec![IpGroup::new("default", vec!["192.168.0.7".into()])];
        let v = explain(&source(vec![&mine]), &target(vec![], &wl), None);
        assert!(!v.allowed);
        assert_eq!(
            v.fixes,
            [Fix::AuthorizeEgress {
                security_group_id: "sg-e".into(),
                dest_cidr: "192.168.1.0/24".into(),
                port: 3306
            }]
        );
        let mine = sg(
            "sg-e",
            "enterprise",
            "Drop",
            vec![rule("egress", "192.168.1.0/24", "3306/3306", "Accept", 1)],
        );
        let v = explain(&source(vec![&mine]), &target(vec![], &wl), None);
        assert!(v.allowed);
    }

    #[test]
    fn stopped_instance_and_wrong_port_block_even_with_a_path() {
        let g = sg("sg-1", "normal", "Accept", vec![]);
        let mut s = source(vec![&g]);
        s.status = "Stopped";
        let v = explain(&s, &target(vec![&g], &[]), Some(5432));
        assert!(!v.allowed);
        assert_eq!(v.method, None);
        assert!(codes(&v).contains(&"InstanceNotRunning"));
        assert!(codes(&v).contains(&"PortClosed"));
    }
}
