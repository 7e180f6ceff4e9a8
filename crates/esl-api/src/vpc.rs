//! VPCs and vSwitches, served under VPC 2016-04-28 and under ECS 2014-05-26 alike.

use esl_domain::model::{EcsInstance, ScalingGroup, SecurityGroup, VSwitch, Vpc};
use esl_domain::{fault, net};
use esl_store::{Filter, Tx, TxExt};
use serde_json::{json, Value};

use crate::util::{id_list, page, paging, second_time, strings};
use crate::{Cloud, Ctx, Family, Result};

pub fn register(cloud: &mut Cloud) {
    for family in [Family::Vpc, Family::Ecs] {
        cloud.add(family, "CreateVpc", create_vpc);
        cloud.add(family, "DescribeVpcs", describe_vpcs);
        cloud.add(family, "DeleteVpc", delete_vpc);
        cloud.add(family, "CreateVSwitch", create_vswitch);
        cloud.add(family, "DescribeVSwitches", describe_vswitches);
        cloud.add(family, "DeleteVSwitch", delete_vswitch);
    }
}

fn check_text(ctx: &Ctx<'_>, name: &str, max: usize) -> Result<String> {
    let v = ctx.params.str(name).unwrap_or("").to_string();
    if v.chars().count() > max || v.starts_with("http://") || v.starts_with("https://") {
        return Err(fault::invalid_parameter(name).into());
    }
    Ok(v)
}

fn create_vpc(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let cidr = ctx.params.str("CidrBlock").unwrap_or(net::DEFAULT_VPC_CIDR);
    let net = net::validate_vpc_cidr(cidr)?;
    let vpc = Vpc {
        id: ctx.id("vpc"),
        region: ctx.region().to_string(),
        name: check_text(ctx, "VpcName", 128)?,
        description: check_text(ctx, "Description", 256)?,
        cidr: net.to_string(),
        vrouter_id: ctx.id("vrt"),
        route_table_id: ctx.id("vtb"),
        created_ms: ctx.now_ms,
    };
    tx.save(&vpc)?;
    Ok(
        json!({"VpcId": vpc.id, "VRouterId": vpc.vrouter_id, "RouteTableId": vpc.route_table_id, "ResourceGroupId": ""}),
    )
}

fn vpc_json(ctx: &Ctx<'_>, tx: &mut dyn Tx, v: &Vpc) -> Result<Value> {
    let vswitches: Vec<String> = tx
        .list::<VSwitch>(&Filter {
            parent: Some(&v.id),
            ..Default::default()
        })?
        .into_iter()
        .map(|s| s.id)
        .collect();
    Ok(json!({
        "VpcId": v.id, "RegionId": v.region, "Status": "Available", "VpcName": v.name,
        "CreationTime": second_time(v.created_ms), "CidrBlock": v.cidr, "VRouterId": v.vrouter_id,
        "Description": v.description, "IsDefault": false, "VSwitchIds": strings(&vswitches),
        "RouterTableIds": [v.route_table_id], "UserCidrs": [], "NatGatewayIds": [], "SecondaryCidrBlocks": [],
        "ResourceGroupId": "", "OwnerId": ctx.cloud.account_id.parse::<i64>().unwrap_or(0), "Tags": [],
        "EnabledIpv6": false, "Ipv6CidrBlock": "", "CenStatus": "Detached", "DhcpOptionsSetId": "", "DhcpOptionsSetStatus": "",
    }))
}

fn describe_vpcs(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let region = ctx.region().to_string();
    let ids = id_list(ctx.params, "VpcId")?;
    let name = ctx.params.str("VpcName");
    let (number, size) = paging(ctx.params, 10, 50)?;
    let all: Vec<Vpc> = tx
        .list::<Vpc>(&Filter {
            region: Some(&region),
            ..Default::default()
        })?
        .into_iter()
        .filter(|v| ids.is_empty() || ids.contains(&v.id))
        .filter(|v| name.is_none_or(|n| v.name == n))
        .filter(|_| ctx.params.bool("IsDefault").ok().flatten() != Some(true))
        .collect();
    let total = all.len();
    let mut out = Vec::new();
    for v in page(all, number, size) {
        out.push(vpc_json(ctx, tx, &v)?);
    }
    Ok(json!({"TotalCount": total, "PageNumber": number, "PageSize": size, "Vpcs": out}))
}

fn delete_vpc(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let id = ctx.params.required("VpcId")?;
    tx.load::<Vpc>(id)?.ok_or_else(fault::vpc_not_found)?;
    let by_parent = Filter {
        parent: Some(id),
        ..Default::default()
    };
    if tx.count::<VSwitch>(&by_parent)? > 0 {
        return Err(fault::vpc_has_vswitches().into());
    }
    if tx.count::<SecurityGroup>(&by_parent)? > 0 {
        return Err(fault::vpc_has_security_groups().into());
    }
    tx.remove::<Vpc>(id)?;
    Ok(json!({}))
}

fn create_vswitch(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let vpc_id = ctx.params.required("VpcId")?;
    let zone = ctx.params.required("ZoneId")?;
    let cidr = ctx.params.required("CidrBlock")?;
    let vpc = tx.load::<Vpc>(vpc_id)?.ok_or_else(fault::vpc_not_found)?;
    let region = ctx.params.str("RegionId").unwrap_or(&vpc.region);
    if !valid_zone(region, zone) || vpc.region != region {
        return Err(fault::invalid_zone(zone).into());
    }
    let siblings: Vec<ipnet::Ipv4Net> = tx
        .list::<VSwitch>(&Filter {
            parent: Some(vpc_id),
            ..Default::default()
        })?
        .iter()
        .filter_map(|s| s.cidr.parse().ok())
        .collect();
    let vpc_net: ipnet::Ipv4Net = vpc.cidr.parse().map_err(|_| fault::invalid_cidr())?;
    let net = net::validate_vswitch_cidr(cidr, &vpc_net, &siblings)?;
    let vsw = VSwitch {
        id: ctx.id("vsw"),
        region: vpc.region.clone(),
        vpc_id: vpc.id.clone(),
        zone_id: zone.to_string(),
        cidr: net.to_string(),
        name: check_text(ctx, "VSwitchName", 128)?,
        description: check_text(ctx, "Description", 256)?,
        created_ms: ctx.now_ms,
        ip_cursor: 0,
    };
    tx.save(&vsw)?;
    Ok(json!({"VSwitchId": vsw.id}))
}

/// A zone of a region is the region's name and a letter: `cn-hangzhou-h`.
pub fn valid_zone(region: &str, zone: &str) -> bool {
    zone.strip_prefix(region)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|letter| letter.len() == 1 && letter.bytes().all(|b| b.is_ascii_lowercase()))
}

fn describe_vswitches(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let region = ctx.region().to_string();
    let ids = id_list(ctx.params, "VSwitchId")?;
    let vpc = ctx.params.str("VpcId");
    let zone = ctx.params.str("ZoneId");
    let name = ctx.params.str("VSwitchName");
    let (number, size) = paging(ctx.params, 10, 50)?;
    let all: Vec<VSwitch> = tx
        .list::<VSwitch>(&Filter {
            region: Some(&region),
            parent: vpc,
            ..Default::default()
        })?
        .into_iter()
        .filter(|v| ids.is_empty() || ids.contains(&v.id))
        .filter(|v| zone.is_none_or(|z| v.zone_id == z))
        .filter(|v| name.is_none_or(|n| v.name == n))
        .collect();
    let total = all.len();
    let mut out = Vec::new();
    for v in page(all, number, size) {
        let net: ipnet::Ipv4Net = v.cidr.parse().map_err(|_| fault::invalid_cidr())?;
        let free = net::usable_count(&net).saturating_sub(tx.count_ips(&v.id)?);
        out.push(json!({
            "VSwitchId": v.id, "VpcId": v.vpc_id, "Status": "Available", "CidrBlock": v.cidr, "ZoneId": v.zone_id,
            "AvailableIpAddressCount": free, "Description": v.description, "VSwitchName": v.name,
            "CreationTime": second_time(v.created_ms), "IsDefault": false, "ResourceGroupId": "",
            "OwnerId": ctx.cloud.account_id.parse::<i64>().unwrap_or(0), "ShareType": "", "NetworkAclId": "",
            "RouteTable": {"RouteTableId": "", "RouteTableType": "System"}, "Tags": [], "EnabledIpv6": false, "Ipv6CidrBlock": "",
        }));
    }
    Ok(json!({"TotalCount": total, "PageNumber": number, "PageSize": size, "VSwitches": out}))
}

fn delete_vswitch(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let id = ctx.params.required("VSwitchId")?;
    tx.load::<VSwitch>(id)?
        .ok_or_else(fault::vswitch_not_found)?;
    let in_use = tx.count::<EcsInstance>(&Filter {
        parent: Some(id),
        ..Default::default()
    })? > 0
        || tx
            .list::<ScalingGroup>(&Filter {
                region: Some(ctx.region()),
                ..Default::default()
            })?
            .iter()
            .any(|g| g.vswitch_ids.iter().any(|v| v == id));
    if in_use {
        return Err(fault::vswitch_has_dependents().into());
    }
    tx.remove::<VSwitch>(id)?;
    Ok(json!({}))
}
