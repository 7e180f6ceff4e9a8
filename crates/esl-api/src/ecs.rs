//! ECS (2014-05-26): security groups and instances. The VPC actions ECS also serves are in `vpc`.

use esl_domain::fault;
use esl_domain::model::{
    EcsInstance, EcsStatus, ScalingInstance, SecurityGroup, SecurityGroupRule, VSwitch, Vpc,
};
use esl_store::{Filter, Tx, TxExt};
use esl_wire::Params;
use serde_json::{json, Value};

use crate::membership;
use crate::util::{id_list, minute_time, page, paging, second_time, strings};
use crate::{Cloud, Ctx, Family, Result};

pub fn register(cloud: &mut Cloud) {
    let f = Family::Ecs;
    cloud.add(f, "CreateSecurityGroup", create_security_group);
    cloud.add(f, "DescribeSecurityGroups", describe_security_groups);
    cloud.add(
        f,
        "DescribeSecurityGroupAttribute",
        describe_security_group_attribute,
    );
    cloud.add(f, "AuthorizeSecurityGroup", authorize_security_group);
    cloud.add(
        f,
        "AuthorizeSecurityGroupEgress",
        authorize_security_group_egress,
    );
    cloud.add(f, "RevokeSecurityGroup", revoke_security_group);
    cloud.add(f, "RevokeSecurityGroupEgress", revoke_security_group_egress);
    cloud.add(f, "ModifySecurityGroupPolicy", modify_security_group_policy);
    cloud.add(f, "JoinSecurityGroup", join_security_group);
    cloud.add(f, "LeaveSecurityGroup", leave_security_group);
    cloud.add(f, "DeleteSecurityGroup", delete_security_group);
    cloud.add(f, "DescribeInstances", describe_instances);
    cloud.add(f, "DeleteInstance", delete_instance);
    cloud.add(f, "DeleteInstances", delete_instances);
    cloud.add(f, "RunInstances", run_instances);
    cloud.add(f, "StopInstance", stop_instance);
    cloud.add(f, "StartInstance", start_instance);
    cloud.add(f, "StopInstances", stop_instances);
    cloud.add(f, "StartInstances", start_instances);
}

fn valid_sg_name(name: &str) -> bool {
    let n = name.chars().count();
    (2..=128).contains(&n)
        && name.chars().next().is_some_and(|c| c.is_alphabetic())
        && !name.starts_with("http://")
        && !name.starts_with("https://")
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ':' | '_' | '.' | '-'))
}

fn create_security_group(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let vpc_id = match p.str("VpcId") {
        Some(v) => Some(tx.load::<Vpc>(v)?.ok_or_else(fault::vpc_not_found)?.id),
        None => None,
    };
    let name = p.str("SecurityGroupName").unwrap_or("").to_string();
    if !name.is_empty() && !valid_sg_name(&name) {
        return Err(fault::security_group_name_malformed().into());
    }
    let group_type = p.str("SecurityGroupType").unwrap_or("normal").to_string();
    if group_type != "normal" && group_type != "enterprise" {
        return Err(fault::invalid_parameter("SecurityGroupType").into());
    }
    let sg = SecurityGroup {
        id: ctx.id("sg"),
        region: ctx.region().to_string(),
        vpc_id,
        name,
        description: p.str("Description").unwrap_or("").to_string(),
        inner_access_policy: if group_type == "normal" {
            "Accept"
        } else {
            "Drop"
        }
        .to_string(),
        group_type,
        rules: Vec::new(),
        created_ms: ctx.now_ms,
    };
    tx.save(&sg)?;
    Ok(json!({"SecurityGroupId": sg.id}))
}

fn sg_members(tx: &mut dyn Tx, sg: &SecurityGroup) -> Result<usize> {
    Ok(tx
        .list::<EcsInstance>(&Filter {
            region: Some(&sg.region),
            ..Default::default()
        })?
        .iter()
        .filter(|i| i.security_group_ids.contains(&sg.id))
        .count())
}

fn describe_security_groups(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let region = ctx.region().to_string();
    let mut ids = id_list(p, "SecurityGroupIds")?;
    if let Some(one) = p.str("SecurityGroupId") {
        ids.push(one.to_string());
    }
    let name = p.str("SecurityGroupName");
    let sg_type = p.str("SecurityGroupType");
    let network = p.str("NetworkType");
    let (number, size) = paging(p, 10, 50)?;
    let all: Vec<SecurityGroup> = tx
        .list::<SecurityGroup>(&Filter {
            region: Some(&region),
            parent: p.str("VpcId"),
            ..Default::default()
        })?
        .into_iter()
        .filter(|s| ids.is_empty() || ids.contains(&s.id))
        .filter(|s| name.is_none_or(|n| s.name == n))
        .filter(|s| sg_type.is_none_or(|t| s.group_type == t))
        .filter(|s| network.is_none_or(|n| (n == "vpc") == s.vpc_id.is_some()))
        .collect();
    let total = all.len();
    let mut items = Vec::new();
    for s in page(all, number, size) {
        let count = sg_members(tx, &s)?;
        items.push(json!({
            "SecurityGroupId": s.id, "SecurityGroupName": s.name, "SecurityGroupType": s.group_type,
            "VpcId": s.vpc_id.clone().unwrap_or_default(), "Description": s.description, "CreationTime": second_time(s.created_ms),
            "EcsCount": count, "AvailableInstanceAmount": 2000usize.saturating_sub(count), "RuleCount": s.rules.len(),
            "ResourceGroupId": "", "ServiceManaged": false, "Tags": [],
        }));
    }
    Ok(
        json!({"RegionId": region, "TotalCount": total, "PageNumber": number, "PageSize": size, "SecurityGroups": items}),
    )
}

fn describe_security_group_attribute(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let sg = tx
        .load::<SecurityGroup>(p.required("SecurityGroupId")?)?
        .ok_or_else(fault::security_group_not_found)?;
    let direction = p.str("Direction").unwrap_or("all");
    let nic_type = p.str("NicType");
    let mut rules = Vec::new();
    for r in sg
        .rules
        .iter()
        .filter(|r| direction == "all" || r.direction == direction)
        .filter(|r| nic_type.is_none_or(|n| r.nic_type == n))
    {
        let source_name = group_name(tx, &r.source_group_id)?;
        let dest_name = group_name(tx, &r.dest_group_id)?;
        rules.push(json!({
            "SecurityGroupRuleId": r.rule_id, "Direction": r.direction, "IpProtocol": r.ip_protocol, "PortRange": r.port_range,
            "SourcePortRange": "", "SourceCidrIp": r.source_cidr_ip, "Ipv6SourceCidrIp": "", "SourceGroupId": r.source_group_id,
            "SourceGroupName": source_name, "SourceGroupOwnerAccount": "", "SourcePrefixListId": "", "DestCidrIp": r.dest_cidr_ip,
            "DestGroupId": r.dest_group_id, "DestGroupName": dest_name, "Policy": r.policy, "Priority": r.priority.to_string(),
            "NicType": r.nic_type, "Description": r.description, "CreateTime": second_time(r.created_ms),
        }));
    }
    Ok(json!({
        "SecurityGroupId": sg.id, "SecurityGroupName": sg.name, "Description": sg.description,
        "VpcId": sg.vpc_id.unwrap_or_default(), "RegionId": sg.region, "InnerAccessPolicy": sg.inner_access_policy,
        "Permissions": rules,
    }))
}

/// The name of a security group a rule references ("" for none, or one deleted since).
fn group_name(tx: &mut dyn Tx, id: &str) -> Result<String> {
    if id.is_empty() {
        return Ok(String::new());
    }
    Ok(tx
        .load::<SecurityGroup>(id)?
        .map(|g| g.name)
        .unwrap_or_default())
}

/// Rules per security group, ingress and egress together.
const MAX_RULES: usize = 200;
/// Security groups a basic group's rules may reference.
const MAX_REFERENCED_GROUPS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    fn is_egress(self) -> bool {
        self == Direction::Egress
    }
}

/// The group a rule references: the source of an ingress rule, the destination of an egress one.
fn peer_group(rule: &SecurityGroupRule) -> &str {
    if rule.direction == Direction::Egress.as_str() {
        &rule.dest_group_id
    } else {
        &rule.source_group_id
    }
}

/// The deprecated top-level rule parameters (one rule per request), which cannot be mixed with
/// Permissions.N or SecurityGroupRuleId.N.
const LEGACY_RULE_FIELDS: &[&str] = &[
    "IpProtocol",
    "PortRange",
    "SourcePortRange",
    "SourceCidrIp",
    "Ipv6SourceCidrIp",
    "SourceGroupId",
    "SourceGroupOwnerAccount",
    "SourceGroupOwnerId",
    "SourcePrefixListId",
    "DestCidrIp",
    "Ipv6DestCidrIp",
    "DestGroupId",
    "DestGroupOwnerAccount",
    "DestGroupOwnerId",
    "DestPrefixListId",
    "Policy",
    "Priority",
    "NicType",
    "Description",
];

/// How a request names its rules.
enum RuleSpecs {
    /// SecurityGroupRuleId.N (Revoke only).
    Ids(Vec<String>),
    /// Permissions.N, or the legacy top-level parameters; each with the name errors give it.
    Fields(Vec<(String, Params)>),
}

fn rule_specs(p: &Params, with_ids: bool) -> Result<RuleSpecs> {
    let permissions = p.objects("Permissions");
    let legacy = LEGACY_RULE_FIELDS.iter().any(|f| p.str(f).is_some());
    let ids = if with_ids {
        p.list("SecurityGroupRuleId")
    } else {
        Vec::new()
    };
    let styles = [!permissions.is_empty(), legacy, !ids.is_empty()]
        .iter()
        .filter(|b| **b)
        .count();
    if styles > 1 {
        return Err(fault::permissions_conflict().into());
    }
    if !ids.is_empty() {
        return Ok(RuleSpecs::Ids(ids));
    }
    if permissions.is_empty() {
        return Ok(RuleSpecs::Fields(vec![("the request".into(), p.clone())]));
    }
    Ok(RuleSpecs::Fields(
        permissions
            .into_iter()
            .enumerate()
            .map(|(n, r)| (format!("Permissions.{}", n + 1), r))
            .collect(),
    ))
}

fn cidr_ok(cidr: &str) -> bool {
    cidr != "%" && esl_domain::whitelist::valid_entry(cidr)
}

/// One rule of `sg` as a request spells it, validated on its own (no other group is looked at).
fn rule_from(
    ctx: &Ctx<'_>,
    sg: &SecurityGroup,
    r: &Params,
    dir: Direction,
    at: &str,
) -> Result<SecurityGroupRule> {
    let protocol = r
        .str("IpProtocol")
        .ok_or_else(|| fault::missing_parameter("IpProtocol"))?
        .to_ascii_uppercase();
    if !["TCP", "UDP", "ICMP", "ICMPV6", "GRE", "ALL"].contains(&protocol.as_str()) {
        return Err(fault::ip_protocol_malformed().into());
    }
    let port_range = r
        .str("PortRange")
        .unwrap_or(if matches!(protocol.as_str(), "TCP" | "UDP") {
            ""
        } else {
            "-1/-1"
        })
        .to_string();
    let ports: Vec<&str> = port_range.split('/').collect();
    let port_ok = match protocol.as_str() {
        "TCP" | "UDP" => {
            ports.len() == 2
                && ports
                    .iter()
                    .all(|x| x.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n)))
                && ports[0].parse::<u32>().ok() <= ports[1].parse::<u32>().ok()
        }
        _ => port_range == "-1/-1",
    };
    if !port_ok {
        return Err(fault::port_range_malformed().into());
    }
    let source_cidr = r.str("SourceCidrIp").unwrap_or("").to_string();
    let dest_cidr = r.str("DestCidrIp").unwrap_or("").to_string();
    // The peer of the rule: a CIDR block wins over a group when both are given.
    let (source_group, dest_group) = match dir {
        Direction::Ingress => {
            let group = r.str("SourceGroupId").unwrap_or("");
            if source_cidr.is_empty()
                && group.is_empty()
                && r.str("SourcePrefixListId").is_none()
                && r.str("Ipv6SourceCidrIp").is_none()
            {
                return Err(fault::missing_source(at).into());
            }
            let group = if source_cidr.is_empty() { group } else { "" };
            (group.to_string(), String::new())
        }
        Direction::Egress => {
            let group = r.str("DestGroupId").unwrap_or("");
            if dest_cidr.is_empty()
                && group.is_empty()
                && r.str("DestPrefixListId").is_none()
                && r.str("Ipv6DestCidrIp").is_none()
            {
                return Err(fault::missing_dest(at).into());
            }
            let group = if dest_cidr.is_empty() { group } else { "" };
            (String::new(), group.to_string())
        }
    };
    if !source_cidr.is_empty() && !cidr_ok(&source_cidr) {
        return Err(fault::source_cidr_malformed().into());
    }
    if !dest_cidr.is_empty() && !cidr_ok(&dest_cidr) {
        return Err(fault::dest_cidr_malformed().into());
    }
    if !source_cidr.is_empty() && source_cidr == dest_cidr {
        return Err(fault::source_equals_dest_cidr().into());
    }
    let policy = match r
        .str("Policy")
        .unwrap_or("accept")
        .to_ascii_lowercase()
        .as_str()
    {
        "accept" => "Accept",
        "drop" => "Drop",
        _ => return Err(fault::policy_malformed().into()),
    };
    let priority = match r.str("Priority") {
        None => 1,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(fault::priority_malformed)?,
    };
    let nic = match r.str("NicType").map(str::to_ascii_lowercase) {
        Some(n) if n != "internet" && n != "intranet" => {
            return Err(fault::nic_type_not_supported().into())
        }
        n => n,
    };
    let references_group = !source_group.is_empty() || !dest_group.is_empty();
    // A VPC group's rules are always intranet; a classic group's default to internet, and those
    // that reference a group must say intranet.
    let nic_type = if sg.vpc_id.is_some() {
        "intranet".to_string()
    } else {
        nic.unwrap_or_else(|| "internet".into())
    };
    if references_group && nic_type != "intranet" {
        return Err(fault::group_rule_nic_type(dir.is_egress()).into());
    }
    // Enterprise groups accept only Accept rules on addresses (the metadata's text: "Policy,
    // SourceGroupId, DestGroupId ... are not allowed to be set").
    if sg.group_type == "enterprise" && (references_group || policy == "Drop") {
        return Err(fault::enterprise_rule_denied().into());
    }
    Ok(SecurityGroupRule {
        rule_id: ctx.id("sgr"),
        direction: dir.as_str().into(),
        ip_protocol: protocol,
        port_range,
        source_cidr_ip: source_cidr,
        source_group_id: source_group,
        dest_cidr_ip: dest_cidr,
        dest_group_id: dest_group,
        policy: policy.into(),
        priority,
        nic_type,
        description: r.str("Description").unwrap_or("").to_string(),
        created_ms: ctx.now_ms,
    })
}

/// The checks on the group a rule references: not the group itself, exists, same network type,
/// same VPC, and not an enterprise group.
fn check_peer_group(tx: &mut dyn Tx, sg: &SecurityGroup, rule: &SecurityGroupRule) -> Result<()> {
    let id = peer_group(rule);
    if id.is_empty() {
        return Ok(());
    }
    let egress = rule.direction == Direction::Egress.as_str();
    if id == sg.id {
        return Err(if egress {
            fault::dest_group_is_self()
        } else {
            fault::source_group_is_self()
        }
        .into());
    }
    let peer = tx.load::<SecurityGroup>(id)?.ok_or_else(if egress {
        fault::dest_group_not_found
    } else {
        fault::source_group_not_found
    })?;
    if peer.vpc_id.is_some() != sg.vpc_id.is_some() {
        return Err(fault::group_network_type_mismatch(egress).into());
    }
    if peer.vpc_id != sg.vpc_id {
        return Err(if egress {
            fault::dest_group_vpc_mismatch()
        } else {
            fault::source_group_vpc_mismatch()
        }
        .into());
    }
    if peer.group_type == "enterprise" {
        return Err(fault::enterprise_group_reference().into());
    }
    Ok(())
}

/// The fields that make two rules the same rule (all but id, priority, description and time).
fn same_rule(a: &SecurityGroupRule, b: &SecurityGroupRule) -> bool {
    a.direction == b.direction
        && a.ip_protocol == b.ip_protocol
        && a.port_range == b.port_range
        && a.source_cidr_ip == b.source_cidr_ip
        && a.source_group_id == b.source_group_id
        && a.dest_cidr_ip == b.dest_cidr_ip
        && a.dest_group_id == b.dest_group_id
        && a.policy == b.policy
        && a.nic_type == b.nic_type
}

fn authorize_security_group(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    authorize(ctx, tx, Direction::Ingress)
}

fn authorize_security_group_egress(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    authorize(ctx, tx, Direction::Egress)
}

fn authorize(ctx: &Ctx<'_>, tx: &mut dyn Tx, dir: Direction) -> Result<Value> {
    let p = ctx.params;
    let mut sg = tx
        .load::<SecurityGroup>(p.required("SecurityGroupId")?)?
        .ok_or_else(fault::security_group_not_found)?;
    let RuleSpecs::Fields(specs) = rule_specs(p, false)? else {
        return Err(fault::permissions_conflict().into());
    };
    let mut requested: Vec<SecurityGroupRule> = Vec::new();
    let mut added: Vec<SecurityGroupRule> = Vec::new();
    for (at, spec) in &specs {
        let rule = rule_from(ctx, &sg, spec, dir, at)?;
        check_peer_group(tx, &sg, &rule)?;
        let same = |r: &SecurityGroupRule| same_rule(r, &rule) && r.priority == rule.priority;
        if requested.iter().any(same) {
            return Err(fault::duplicate_permissions().into());
        }
        requested.push(rule.clone());
        // A rule that is already there: success, nothing added.
        if !sg.rules.iter().any(same) {
            added.push(rule);
        }
    }
    if sg.rules.len() + added.len() > MAX_RULES {
        return Err(fault::authorization_limit().into());
    }
    let mut peers: Vec<&str> = sg
        .rules
        .iter()
        .chain(added.iter())
        .map(peer_group)
        .filter(|g| !g.is_empty())
        .collect();
    peers.sort_unstable();
    peers.dedup();
    if peers.len() > MAX_REFERENCED_GROUPS {
        return Err(fault::group_rule_limit().into());
    }
    sg.rules.extend(added);
    tx.save(&sg)?;
    Ok(json!({}))
}

fn revoke_security_group(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    revoke(ctx, tx, Direction::Ingress)
}

fn revoke_security_group_egress(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    revoke(ctx, tx, Direction::Egress)
}

/// Revoke by SecurityGroupRuleId.N (an id that is not one of this group's rules of this
/// direction: InvalidSecurityGroupRuleId.NotFound, nothing revoked), or by fields. The metadata
/// says of the fields style: "if the matching rule does not exist, the call succeeds but deletes
/// nothing", so a rule that is not there is not an error; InvalidGroupAuthItem.NotFound, which the
/// metadata also lists, is never answered. A Priority, when given, must match too; Policy defaults
/// to accept as on Authorize.
fn revoke(ctx: &Ctx<'_>, tx: &mut dyn Tx, dir: Direction) -> Result<Value> {
    let p = ctx.params;
    let mut sg = tx
        .load::<SecurityGroup>(p.required("SecurityGroupId")?)?
        .ok_or_else(fault::security_group_not_found)?;
    match rule_specs(p, true)? {
        RuleSpecs::Ids(ids) => {
            for (n, id) in ids.iter().enumerate() {
                if ids[..n].contains(id) {
                    return Err(fault::rule_id_repeated().into());
                }
                if !sg
                    .rules
                    .iter()
                    .any(|r| &r.rule_id == id && r.direction == dir.as_str())
                {
                    return Err(fault::rule_id_not_found().into());
                }
            }
            sg.rules.retain(|r| !ids.contains(&r.rule_id));
        }
        RuleSpecs::Fields(specs) => {
            let mut targets = Vec::new();
            for (at, spec) in &specs {
                let rule = rule_from(ctx, &sg, spec, dir, at)?;
                check_peer_group(tx, &sg, &rule)?;
                targets.push((rule, spec.str("Priority").is_some()));
            }
            sg.rules.retain(|r| {
                !targets.iter().any(|(t, by_priority)| {
                    same_rule(r, t) && (!by_priority || r.priority == t.priority)
                })
            });
        }
    }
    tx.save(&sg)?;
    Ok(json!({}))
}

fn modify_security_group_policy(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let mut sg = tx
        .load::<SecurityGroup>(p.required("SecurityGroupId")?)?
        .ok_or_else(fault::security_group_not_found)?;
    let policy = match p
        .required("InnerAccessPolicy")?
        .to_ascii_lowercase()
        .as_str()
    {
        "accept" => "Accept",
        "drop" => "Drop",
        _ => return Err(fault::inner_access_policy_malformed().into()),
    };
    if sg.group_type == "enterprise" {
        return Err(fault::enterprise_inner_access_policy().into());
    }
    sg.inner_access_policy = policy.into();
    tx.save(&sg)?;
    Ok(json!({}))
}

/// Security groups per instance (the default quota; the real one can be raised to 16 by ticket).
const MAX_GROUPS_PER_INSTANCE: usize = 5;

/// Join and Leave: the instance and the group. ess-local has no elastic network interfaces, so a
/// NetworkInterfaceId names none.
fn membership_target(
    tx: &mut dyn Tx,
    p: &Params,
    joining: bool,
) -> Result<(EcsInstance, SecurityGroup)> {
    let instance_id = match (p.str("InstanceId"), p.str("NetworkInterfaceId")) {
        (Some(_), Some(_)) => return Err(fault::eni_and_instance_conflict().into()),
        (None, Some(_)) => return Err(fault::eni_not_found().into()),
        (None, None) => return Err(fault::missing_parameter("InstanceId").into()),
        (Some(id), None) => id,
    };
    let sg_id = p.required("SecurityGroupId")?;
    let ecs = load_instance(tx, instance_id)?;
    let sg = tx
        .load::<SecurityGroup>(sg_id)?
        .ok_or_else(fault::security_group_not_found)?;
    // Only a Running or Stopped instance may join or leave a group. Join has its own answer for
    // an instance still being created; Leave's metadata lists none, so it says
    // IncorrectInstanceStatus.
    if joining && ecs.status == EcsStatus::Pending {
        return Err(fault::instance_being_created().into());
    }
    if !matches!(ecs.status, EcsStatus::Running | EcsStatus::Stopped) {
        return Err(fault::incorrect_instance_status().into());
    }
    Ok((ecs, sg))
}

fn join_security_group(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let (mut ecs, sg) = membership_target(tx, ctx.params, true)?;
    if ecs.security_group_ids.contains(&sg.id) {
        return Err(fault::instance_already_in_group().into());
    }
    // Classic with classic; a VPC instance only with a group of its own VPC.
    if ecs.vpc_id != sg.vpc_id {
        return Err(fault::instance_sg_vpc_mismatch().into());
    }
    for id in &ecs.security_group_ids {
        let kind = tx.load::<SecurityGroup>(id)?.map(|g| g.group_type);
        if kind.is_some_and(|k| k != sg.group_type) {
            return Err(fault::instance_group_types_mixed().into());
        }
    }
    if ecs.security_group_ids.len() >= MAX_GROUPS_PER_INSTANCE {
        return Err(fault::instance_group_limit().into());
    }
    let capacity = if sg.group_type == "enterprise" {
        65536
    } else {
        2000
    };
    if sg_members(tx, &sg)? >= capacity {
        return Err(fault::group_instance_limit().into());
    }
    ecs.security_group_ids.push(sg.id);
    tx.save(&ecs)?;
    Ok(json!({}))
}

fn leave_security_group(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let (mut ecs, sg) = membership_target(tx, ctx.params, false)?;
    if !ecs.security_group_ids.contains(&sg.id) {
        return Err(fault::instance_not_in_group().into());
    }
    if ecs.security_group_ids.len() == 1 {
        return Err(fault::instance_last_group().into());
    }
    ecs.security_group_ids.retain(|g| g != &sg.id);
    tx.save(&ecs)?;
    Ok(json!({}))
}

fn delete_security_group(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let sg = tx
        .load::<SecurityGroup>(ctx.params.required("SecurityGroupId")?)?
        .ok_or_else(fault::security_group_not_found)?;
    if sg_members(tx, &sg)? > 0 {
        return Err(fault::security_group_in_use().into());
    }
    // "No other security group may have rules that authorize this one" (the metadata's text).
    let referenced = tx
        .list::<SecurityGroup>(&Filter {
            region: Some(&sg.region),
            ..Default::default()
        })?
        .iter()
        .any(|g| g.id != sg.id && g.rules.iter().any(|r| peer_group(r) == sg.id));
    if referenced {
        return Err(fault::security_group_referenced().into());
    }
    tx.remove::<SecurityGroup>(&sg.id)?;
    Ok(json!({}))
}

fn instance_json(ctx: &Ctx<'_>, i: &EcsInstance) -> Value {
    let ip: Vec<String> = i.private_ip.iter().cloned().collect();
    let (vpc_ips, inner_ips) = if i.vpc_id.is_some() {
        (ip, vec![])
    } else {
        (vec![], ip)
    };
    json!({
        "InstanceId": i.id, "InstanceName": i.name, "HostName": i.host_name, "Description": "",
        "Status": i.status.as_str(), "InstanceType": i.instance_type, "ImageId": i.image_id, "RegionId": i.region,
        "ZoneId": i.zone_id, "InstanceNetworkType": if i.vpc_id.is_some() { "vpc" } else { "classic" },
        "CreationTime": minute_time(i.created_ms),
        "VpcAttributes": {"VpcId": i.vpc_id.clone().unwrap_or_default(), "VSwitchId": if i.vpc_id.is_some() { i.vswitch_id.clone().unwrap_or_default() } else { String::new() },
                          "NatIpAddress": "", "PrivateIpAddress": {"IpAddress": vpc_ips}},
        "InnerIpAddress": {"IpAddress": inner_ips}, "PublicIpAddress": {"IpAddress": []},
        "EipAddress": {"AllocationId": "", "IpAddress": "", "Bandwidth": 0, "InternetChargeType": ""},
        "SecurityGroupIds": {"SecurityGroupId": strings(&i.security_group_ids)},
        "InstanceChargeType": "PostPaid", "InternetChargeType": "PayByTraffic", "OSType": "linux",
        "Tags": {"Tag": instance_tags(i)},
        "OwnerId": ctx.cloud.account_id,
    })
}

/// An instance's tags as DescribeInstances lists them, with the scaling group's system tag.
fn instance_tags(i: &EcsInstance) -> Vec<Value> {
    let mut out: Vec<Value> = i
        .tags
        .iter()
        .map(|(k, v)| json!({"TagKey": k, "TagValue": v}))
        .collect();
    if let Some(g) = &i.scaling_group_id {
        out.push(json!({"TagKey": "acs:autoscaling:scalingGroupId", "TagValue": g}));
    }
    out
}

fn describe_instances(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let region = ctx.region().to_string();
    let ids = id_list(p, "InstanceIds")?;
    if ids.len() > 100 {
        return Err(fault::invalid_parameter("InstanceIds").into());
    }
    let private_ips = id_list(p, "PrivateIpAddresses")?;
    let inner_ips = id_list(p, "InnerIpAddresses")?;
    let (vpc, zone, sg, status, net) = (
        p.str("VpcId"),
        p.str("ZoneId"),
        p.str("SecurityGroupId"),
        p.str("Status"),
        p.str("InstanceNetworkType"),
    );
    let (number, size) = paging(p, 10, 100)?;
    let all: Vec<EcsInstance> = tx
        .list::<EcsInstance>(&Filter {
            region: Some(&region),
            parent: p.str("VSwitchId"),
            ..Default::default()
        })?
        .into_iter()
        .filter(|i| ids.is_empty() || ids.contains(&i.id))
        .filter(|i| vpc.is_none_or(|v| i.vpc_id.as_deref() == Some(v)))
        .filter(|i| zone.is_none_or(|z| i.zone_id == z))
        .filter(|i| sg.is_none_or(|s| i.security_group_ids.iter().any(|x| x == s)))
        .filter(|i| status.is_none_or(|s| i.status.as_str() == s))
        .filter(|i| net.is_none_or(|n| (n == "vpc") == i.vpc_id.is_some()))
        .filter(|i| {
            private_ips.is_empty()
                || (i.vpc_id.is_some()
                    && i.private_ip
                        .as_ref()
                        .is_some_and(|ip| private_ips.contains(ip)))
        })
        .filter(|i| {
            inner_ips.is_empty()
                || (i.vpc_id.is_none()
                    && i.private_ip
                        .as_ref()
                        .is_some_and(|ip| inner_ips.contains(ip)))
        })
        .collect();
    let total = all.len();
    let items: Vec<Value> = page(all, number, size)
        .iter()
        .map(|i| instance_json(ctx, i))
        .collect();
    Ok(
        json!({"TotalCount": total, "PageNumber": number, "PageSize": size, "NextToken": "", "Instances": items}),
    )
}

fn load_instance(tx: &mut dyn Tx, id: &str) -> Result<EcsInstance> {
    Ok(tx
        .load::<EcsInstance>(id)?
        .ok_or_else(fault::instance_not_found)?)
}

fn run_instances(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let region = ctx.region().to_string();
    let image = p
        .str("ImageId")
        .or(p.str("ImageFamily"))
        .ok_or_else(|| fault::missing_parameter("ImageId"))?
        .to_string();
    let instance_type = p.required("InstanceType")?.to_string();
    let amount = p.int("Amount")?.unwrap_or(1);
    if !(1..=100).contains(&amount) {
        return Err(fault::invalid_parameter("Amount").into());
    }
    let mut sgs = p.list("SecurityGroupIds");
    if let Some(sg) = p.str("SecurityGroupId") {
        sgs.insert(0, sg.to_string());
    }
    if sgs.is_empty() {
        return Err(fault::missing_parameter("SecurityGroupId").into());
    }
    let mut vsw = match p.str("VSwitchId") {
        Some(id) => Some(
            tx.load::<VSwitch>(id)?
                .ok_or_else(fault::vswitch_not_found)?,
        ),
        None => None,
    };
    for id in &sgs {
        let sg = tx
            .load::<SecurityGroup>(id)?
            .ok_or_else(fault::security_group_not_found)?;
        if sg.vpc_id != vsw.as_ref().map(|v| v.vpc_id.clone()) {
            return Err(fault::security_group_network_mismatch().into());
        }
    }
    let zone = match (&vsw, p.str("ZoneId")) {
        (Some(v), Some(z)) if v.zone_id != z => return Err(fault::invalid_zone(z).into()),
        (Some(v), _) => v.zone_id.clone(),
        (None, Some(z)) => z.to_string(),
        (None, None) => format!("{region}-b"),
    };
    let mut ids = Vec::new();
    for _ in 0..amount {
        let id = ctx.id("i");
        let (vswitch_id, ip) = match vsw.as_mut() {
            Some(v) => (v.id.clone(), membership::allocate_ip(tx, v, &id)?),
            None => {
                let mut classic = crate::ess::activity::classic_vswitch(tx, &region)?;
                let ip = membership::allocate_ip(tx, &mut classic, &id)?;
                crate::ess::activity::save_vswitch(tx, &classic)?;
                (classic.id, ip)
            }
        };
        let name = p
            .str("InstanceName")
            .map(str::to_string)
            .unwrap_or_else(|| id.clone());
        tx.save(&EcsInstance {
            id: id.clone(),
            region: region.clone(),
            zone_id: zone.clone(),
            vpc_id: vsw.as_ref().map(|v| v.vpc_id.clone()),
            vswitch_id: Some(vswitch_id),
            private_ip: Some(ip),
            status: EcsStatus::Pending,
            instance_type: instance_type.clone(),
            image_id: image.clone(),
            security_group_ids: sgs.clone(),
            host_name: p
                .str("HostName")
                .map(str::to_string)
                .unwrap_or_else(|| name.clone()),
            name,
            created_ms: ctx.now_ms,
            scaling_group_id: None,
            tags: p
                .objects("Tag")
                .iter()
                .filter_map(|t| {
                    t.string("Key")
                        .map(|k| (k, t.string("Value").unwrap_or_default()))
                })
                .collect(),
        })?;
        settle_later(ctx, tx, &id, ctx.cloud.timing.instance_launch_ms)?;
        ids.push(id);
    }
    if let Some(v) = &vsw {
        tx.save(v)?;
    }
    Ok(json!({"OrderId": ctx.cloud.ids.digits(15), "TradePrice": 0.0, "InstanceIdSets": ids}))
}

/// The job that ends a transitional ECS status (Pending, Stopping, Starting).
pub const SETTLE: &str = "ecs.instance.settle";

fn settle_later(ctx: &Ctx<'_>, tx: &mut dyn Tx, id: &str, after_ms: i64) -> Result<()> {
    tx.enqueue(
        ctx.now_ms + after_ms,
        SETTLE,
        &json!({"instance": id}).to_string(),
    )?;
    Ok(())
}

/// Job: Pending and Starting become Running, Stopping becomes Stopped.
pub fn settle(tx: &mut dyn Tx, id: &str) -> Result<()> {
    if let Some(mut ecs) = tx.load::<EcsInstance>(id)? {
        let next = match ecs.status {
            EcsStatus::Pending | EcsStatus::Starting => EcsStatus::Running,
            EcsStatus::Stopping => EcsStatus::Stopped,
            other => other,
        };
        if next != ecs.status {
            ecs.status = next;
            tx.save(&ecs)?;
        }
    }
    Ok(())
}

fn stop_one(ctx: &Ctx<'_>, tx: &mut dyn Tx, id: &str) -> Result<(String, String)> {
    let mut ecs = load_instance(tx, id)?;
    let previous = ecs.status.as_str().to_string();
    if ecs.status != EcsStatus::Running {
        return Err(fault::incorrect_instance_status().into());
    }
    ecs.status = EcsStatus::Stopping;
    tx.save(&ecs)?;
    settle_later(ctx, tx, id, ctx.cloud.timing.instance_stop_ms)?;
    if let Some(group) = &ecs.scaling_group_id {
        crate::ess::health::schedule(ctx, tx, group)?;
    }
    Ok((previous, ecs.status.as_str().to_string()))
}

fn start_one(ctx: &Ctx<'_>, tx: &mut dyn Tx, id: &str) -> Result<(String, String)> {
    let mut ecs = load_instance(tx, id)?;
    let previous = ecs.status.as_str().to_string();
    if ecs.status != EcsStatus::Stopped {
        return Err(fault::incorrect_instance_status().into());
    }
    ecs.status = EcsStatus::Starting;
    tx.save(&ecs)?;
    settle_later(ctx, tx, id, ctx.cloud.timing.instance_start_ms)?;
    Ok((previous, ecs.status.as_str().to_string()))
}

/// A status change of one instance: (previous status, current status).
type StatusChange = fn(&Ctx<'_>, &mut dyn Tx, &str) -> Result<(String, String)>;

fn stop_instance(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    stop_one(ctx, tx, ctx.params.required("InstanceId")?)?;
    Ok(json!({}))
}

fn start_instance(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    start_one(ctx, tx, ctx.params.required("InstanceId")?)?;
    Ok(json!({}))
}

fn batch(ctx: &Ctx<'_>, tx: &mut dyn Tx, one: StatusChange) -> Result<Value> {
    let ids = ctx.params.list("InstanceId");
    if ids.len() > 100 {
        return Err(fault::invalid_parameter("InstanceId").into());
    }
    // All or nothing, as the default (BatchOptimization=AllTogether) does.
    let mut out = Vec::new();
    for id in &ids {
        let (previous, current) = one(ctx, tx, id)?;
        out.push(json!({"InstanceId": id, "Code": "200", "Message": "success", "PreviousStatus": previous, "CurrentStatus": current}));
    }
    Ok(json!({"InstanceResponses": out}))
}

fn stop_instances(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    batch(ctx, tx, stop_one)
}

fn start_instances(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    batch(ctx, tx, start_one)
}

fn delete_one(ctx: &Ctx<'_>, tx: &mut dyn Tx, id: &str, force: bool) -> Result<()> {
    let ecs = load_instance(tx, id)?;
    if ecs.status != EcsStatus::Stopped && !force {
        return Err(fault::incorrect_instance_status().into());
    }
    match &ecs.scaling_group_id {
        // Released behind its group's back: it is gone from ECS now; the group's health check
        // takes it out of the group and its whitelists, and replaces it.
        Some(group) if tx.load::<ScalingInstance>(&ecs.id)?.is_some() => {
            tx.remove::<EcsInstance>(&ecs.id)?;
            crate::ess::health::schedule(ctx, tx, group)?;
        }
        _ => delete_ecs(tx, &ecs)?,
    }
    Ok(())
}

fn delete_instance(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let force = ctx.params.bool("Force")?.unwrap_or(false);
    delete_one(ctx, tx, ctx.params.required("InstanceId")?, force)?;
    Ok(json!({}))
}

fn delete_instances(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let force = ctx.params.bool("Force")?.unwrap_or(false);
    for id in ctx.params.list("InstanceId") {
        delete_one(ctx, tx, &id, force)?;
    }
    Ok(json!({}))
}

/// Deletes an ECS instance and frees its private IP.
pub fn delete_ecs(tx: &mut dyn Tx, ecs: &EcsInstance) -> Result<()> {
    if let (Some(vsw), Some(ip)) = (&ecs.vswitch_id, &ecs.private_ip) {
        membership::release_ip(tx, vsw, ip)?;
    }
    tx.remove::<EcsInstance>(&ecs.id)?;
    Ok(())
}
