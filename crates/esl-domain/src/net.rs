//! Network math: CIDR rules for VPCs and vSwitches, and private-IP allocation inside a vSwitch.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::fault::{self, Fault};

/// The CIDR block of a VPC when none is given.
pub const DEFAULT_VPC_CIDR: &str = "172.16.0.0/12";

const FORBIDDEN: [&str; 4] = [
    "100.64.0.0/10",
    "224.0.0.0/4",
    "127.0.0.0/8",
    "169.254.0.0/16",
];

/// Parses a CIDR that must be given in its network form (`10.0.0.0/16`, not `10.0.0.1/16`).
pub fn parse_cidr(text: &str) -> Result<Ipv4Net, Fault> {
    let net: Ipv4Net = text.trim().parse().map_err(|_| fault::invalid_cidr())?;
    if net.network() != net.addr() {
        return Err(fault::invalid_cidr());
    }
    Ok(net)
}

fn forbidden(net: &Ipv4Net) -> bool {
    FORBIDDEN.iter().any(|f| {
        let f: Ipv4Net = f.parse().expect("constant");
        f.contains(net) || net.contains(&f)
    })
}

/// A VPC's block: mask 8 to 28, outside the reserved ranges.
pub fn validate_vpc_cidr(text: &str) -> Result<Ipv4Net, Fault> {
    let net = parse_cidr(text)?;
    if !(8..=28).contains(&net.prefix_len()) || forbidden(&net) {
        return Err(fault::invalid_cidr());
    }
    Ok(net)
}

/// A vSwitch's block: mask 16 to 29, inside its VPC, overlapping none of the VPC's other vSwitches.
pub fn validate_vswitch_cidr(
    text: &str,
    vpc: &Ipv4Net,
    siblings: &[Ipv4Net],
) -> Result<Ipv4Net, Fault> {
    let net = parse_cidr(text)?;
    if !(16..=29).contains(&net.prefix_len()) {
        return Err(fault::vswitch_mask());
    }
    if !vpc.contains(&net) {
        return Err(fault::vswitch_cidr_not_in_vpc());
    }
    if siblings.iter().any(|s| s.contains(&net) || net.contains(s)) {
        return Err(fault::vswitch_cidr_overlap());
    }
    Ok(net)
}

/// The addresses instances may get: all but the network address and the last three.
pub fn usable_range(net: &Ipv4Net) -> (u32, u32) {
    let first = u32::from(net.network()) + 1;
    let last = u32::from(net.broadcast()) - 3;
    (first, last)
}

pub fn usable_count(net: &Ipv4Net) -> u64 {
    let (first, last) = usable_range(net);
    if last < first {
        0
    } else {
        (last - first + 1) as u64
    }
}

/// Picks the next free address at or after `cursor` (wrapping around once) given a way to list the
/// held addresses from a point upward, ascending. Returns None when the vSwitch is full.
pub fn next_free_ip(
    net: &Ipv4Net,
    cursor: u32,
    held_from: &mut dyn FnMut(u32) -> Result<Vec<u32>, crate::fault::Fault>,
) -> Result<Option<u32>, Fault> {
    let (first, last) = usable_range(net);
    if last < first {
        return Ok(None);
    }
    let start = cursor.clamp(first, last);
    for (lo, hi) in [(start, last), (first, start.saturating_sub(1))] {
        let mut candidate = lo;
        while candidate <= hi && hi >= lo {
            let mut next = candidate;
            for h in held_from(candidate)? {
                if h == next {
                    next += 1;
                } else if h > next {
                    break;
                }
            }
            if next == candidate {
                return Ok(Some(candidate));
            }
            candidate = next;
        }
    }
    Ok(None)
}

pub fn ip_to_string(ip: u32) -> String {
    Ipv4Addr::from(ip).to_string()
}

pub fn parse_ip(text: &str) -> Option<u32> {
    text.parse::<Ipv4Addr>().ok().map(u32::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alloc(net: &str, cursor: u32, held: &[u32]) -> Option<String> {
        let net: Ipv4Net = net.parse().unwrap();
        let held = held.to_vec();
        next_free_ip(&net, cursor, &mut |from| {
            Ok(held
                .iter()
                .copied()
                .filter(|h| *h >= from)
                .take(3)
                .collect())
        })
        .unwrap()
        .map(ip_to_string)
    }

    #[test]
    fn allocation_skips_reserved_and_held_addresses_and_wraps() {
        let ip = |s: &str| parse_ip(s).unwrap();
        assert_eq!(alloc("10.0.1.0/24", 0, &[]), Some("10.0.1.1".into()));
        assert_eq!(
            alloc(
                "10.0.1.0/24",
                ip("10.0.1.1"),
                &[
                    ip("10.0.1.1"),
                    ip("10.0.1.2"),
                    ip("10.0.1.3"),
                    ip("10.0.1.4")
                ]
            ),
            Some("10.0.1.5".into())
        );
        assert_eq!(
            alloc("10.0.1.0/24", ip("10.0.1.252"), &[ip("10.0.1.252")]),
            Some("10.0.1.1".into())
        );
        // /29: .0 network, .5 .6 .7 reserved: usable .1-.4
        let all: Vec<u32> = (1..=4).map(|i| ip(&format!("10.0.2.{i}"))).collect();
        assert_eq!(alloc("10.0.2.0/29", ip("10.0.2.3"), &all), None);
        assert_eq!(
            alloc("10.0.2.0/29", ip("10.0.2.3"), &all[..3]),
            Some("10.0.2.4".into())
        );
        assert_eq!(usable_count(&"10.0.2.0/29".parse().unwrap()), 4);
    }

    #[test]
    fn vswitch_rules() {
        let vpc: Ipv4Net = "10.0.0.0/16".parse().unwrap();
        let sib: Ipv4Net = "10.0.1.0/24".parse().unwrap();
        assert!(validate_vswitch_cidr("10.0.2.0/24", &vpc, &[sib]).is_ok());
        assert_eq!(
            validate_vswitch_cidr("10.0.1.128/25", &vpc, &[sib])
                .unwrap_err()
                .code,
            "InvalidCidrBlock.Overlapped"
        );
        assert_eq!(
            validate_vswitch_cidr("10.1.0.0/24", &vpc, &[])
                .unwrap_err()
                .code,
            "InvalidCidrBlock.Malformed"
        );
        assert_eq!(
            validate_vswitch_cidr("10.0.0.0/30", &vpc, &[])
                .unwrap_err()
                .code,
            "InvalidCidrBlock.Malformed"
        );
        assert_eq!(
            validate_vswitch_cidr("10.0.0.1/24", &vpc, &[])
                .unwrap_err()
                .code,
            "InvalidCidrBlock.Malformed"
        );
        assert!(validate_vpc_cidr("127.0.0.0/16").is_err());
        assert!(validate_vpc_cidr("192.168.0.0/16").is_ok());
    }
}
