//! Scaling configurations: create and describe.

use esl_domain::fault;
use esl_domain::model::{ConfigState, ScalingConfiguration, ScalingGroup, SecurityGroup};
use esl_store::{Filter, Tx, TxExt};
use serde_json::{json, Map, Value};

use super::load_group;
use crate::util::{minute_time, page, paging, strings, valid_ess_name};
use crate::{Ctx, Result};

/// Scalar request fields kept and echoed back as they were sent (wire name -> response name).
const ECHO: &[(&str, &str)] = &[
    ("InstanceName", "InstanceName"),
    ("HostName", "HostName"),
    ("KeyPairName", "KeyPairName"),
    ("RamRoleName", "RamRoleName"),
    ("UserData", "UserData"),
    ("InternetChargeType", "InternetChargeType"),
    ("InternetMaxBandwidthIn", "InternetMaxBandwidthIn"),
    ("InternetMaxBandwidthOut", "InternetMaxBandwidthOut"),
    ("IoOptimized", "IoOptimized"),
    ("SystemDisk.Category", "SystemDiskCategory"),
    ("SystemDisk.Size", "SystemDiskSize"),
    ("SystemDisk.PerformanceLevel", "SystemDiskPerformanceLevel"),
    ("SpotStrategy", "SpotStrategy"),
    ("ZoneId", "ZoneId"),
    ("LoadBalancerWeight", "LoadBalancerWeight"),
    ("DeletionProtection", "DeletionProtection"),
    ("ImageName", "ImageName"),
    ("ImageFamily", "ImageFamily"),
    ("Description", "InstanceDescription"),
    ("PasswordInherit", "PasswordInherit"),
];

pub fn create(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let g: ScalingGroup = load_group(tx, p.required("ScalingGroupId")?)?;
    let image = p
        .str("ImageId")
        .or(p.str("ImageName"))
        .or(p.str("ImageFamily"));
    let image = image
        .ok_or_else(|| fault::missing_parameter("ImageId"))?
        .to_string();
    let instance_type = p.string("InstanceType");
    let instance_types = p.list("InstanceTypes");
    if instance_type.is_none() && instance_types.is_empty() && p.str("Cpu").is_none() {
        return Err(fault::missing_parameter("InstanceType").into());
    }
    let sg = p.string("SecurityGroupId");
    let sgs = p.list("SecurityGroupIds");
    if sg.is_some() && !sgs.is_empty() {
        return Err(fault::conflict("SecurityGroupId", "SecurityGroupIds").into());
    }
    for id in sg.iter().chain(sgs.iter()) {
        let group = tx
            .load::<SecurityGroup>(id)?
            .ok_or_else(fault::ess_security_group_not_found)?;
        if group.vpc_id != g.vpc_id {
            return Err(fault::ess_security_group_vpc_mismatch().into());
        }
    }
    let by_group = Filter {
        parent: Some(&g.id),
        ..Default::default()
    };
    let existing = tx.list::<ScalingConfiguration>(&by_group)?;
    if existing.len() as u64 >= ctx.cloud.quotas.configurations_per_group {
        return Err(fault::quota_scaling_configuration().into());
    }
    let id = ctx.id("asc");
    let name = p
        .string("ScalingConfigurationName")
        .unwrap_or_else(|| id.clone());
    if !valid_ess_name(&name) {
        return Err(fault::invalid_parameter("ScalingConfigurationName").into());
    }
    if existing.iter().any(|c| c.name == name) {
        return Err(fault::name_duplicate("ScalingConfigurationName").into());
    }
    let mut echo = Map::new();
    for (wire, out) in ECHO {
        if let Some(v) = p.str(wire) {
            echo.insert(out.to_string(), Value::String(v.to_string()));
        }
    }
    let mut config = ScalingConfiguration {
        id: id.clone(),
        region: g.region.clone(),
        group_id: g.id.clone(),
        name,
        image_id: image,
        instance_type,
        instance_types,
        security_group_id: sg,
        security_group_ids: sgs,
        state: ConfigState::Inactive,
        created_ms: ctx.now_ms,
        echo,
    };
    // The first configuration of a group that has none active becomes active.
    let mut g = g;
    if g.active_config_id.is_none() {
        config.state = ConfigState::Active;
        g.active_config_id = Some(id.clone());
        tx.save(&g)?;
    }
    tx.save(&config)?;
    Ok(json!({"ScalingConfigurationId": id}))
}

fn config_json(c: &ScalingConfiguration) -> Value {
    let mut v = json!({
        "ScalingConfigurationId": c.id, "ScalingConfigurationName": c.name, "ScalingGroupId": c.group_id,
        "LifecycleState": c.state.as_str(), "CreationTime": minute_time(c.created_ms), "ImageId": c.image_id,
        "InstanceType": c.instance_type, "InstanceTypes": strings(&c.instance_types),
        "SecurityGroupId": c.security_group_id, "SecurityGroupIds": strings(&c.security_group_ids),
        "DataDisks": [], "Tags": [], "SpotPriceLimits": [], "SystemDiskCategories": [], "WeightedCapacities": [],
        "InstancePatternInfos": [], "NetworkInterfaces": [], "CustomPriorities": [],
    });
    if let Value::Object(map) = &mut v {
        for (k, val) in &c.echo {
            map.insert(k.clone(), val.clone());
        }
    }
    v
}

pub fn describe(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let ids = p.list("ScalingConfigurationIds");
    let names = p.list("ScalingConfigurationNames");
    let (number, size) = paging(p, 10, 50)?;
    let all: Vec<ScalingConfiguration> =
        super::list_for_group_or_region::<ScalingConfiguration>(ctx, tx)?
            .into_iter()
            .filter(|c| ids.is_empty() || ids.contains(&c.id))
            .filter(|c| names.is_empty() || names.contains(&c.name))
            .collect();
    let total = all.len();
    let items: Vec<Value> = page(all, number, size).iter().map(config_json).collect();
    Ok(
        json!({"TotalCount": total, "PageNumber": number, "PageSize": size, "ScalingConfigurations": items}),
    )
}

fn load_config(tx: &mut dyn Tx, id: &str) -> Result<ScalingConfiguration> {
    Ok(tx
        .load::<ScalingConfiguration>(id)?
        .ok_or_else(fault::scaling_config_not_found)?)
}

pub fn modify(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let mut c = load_config(tx, p.required("ScalingConfigurationId")?)?;
    let g = load_group(tx, &c.group_id)?;
    if let Some(name) = p.str("ScalingConfigurationName") {
        if !valid_ess_name(name) {
            return Err(fault::invalid_parameter("ScalingConfigurationName").into());
        }
        let siblings = tx.list::<ScalingConfiguration>(&Filter {
            parent: Some(&g.id),
            ..Default::default()
        })?;
        if siblings.iter().any(|o| o.id != c.id && o.name == name) {
            return Err(fault::name_duplicate("ScalingConfigurationName").into());
        }
        c.name = name.to_string();
    }
    if let Some(image) = p
        .str("ImageId")
        .or(p.str("ImageName"))
        .or(p.str("ImageFamily"))
    {
        c.image_id = image.to_string();
    }
    let types = p.list("InstanceTypes");
    if !types.is_empty() {
        c.instance_type = None;
        c.instance_types = types;
    }
    let sg = p.string("SecurityGroupId");
    let sgs = p.list("SecurityGroupIds");
    if sg.is_some() && !sgs.is_empty() {
        return Err(fault::conflict("SecurityGroupId", "SecurityGroupIds").into());
    }
    for id in sg.iter().chain(sgs.iter()) {
        let group = tx
            .load::<SecurityGroup>(id)?
            .ok_or_else(fault::ess_security_group_not_found)?;
        if group.vpc_id != g.vpc_id {
            return Err(fault::ess_security_group_vpc_mismatch().into());
        }
    }
    if sg.is_some() || !sgs.is_empty() {
        c.security_group_id = sg;
        c.security_group_ids = sgs;
    }
    for (wire, out) in ECHO {
        if let Some(v) = p.str(wire) {
            c.echo.insert(out.to_string(), Value::String(v.to_string()));
        }
    }
    tx.save(&c)?;
    Ok(json!({}))
}

pub fn delete(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let c = load_config(tx, ctx.params.required("ScalingConfigurationId")?)?;
    if c.state == ConfigState::Active {
        return Err(fault::scaling_config_state().into());
    }
    let in_use = super::activity::group_instances(tx, &c.group_id)?
        .iter()
        .any(|m| m.config_id.as_deref() == Some(c.id.as_str()));
    if in_use {
        return Err(fault::instance_in_use().into());
    }
    tx.remove::<ScalingConfiguration>(&c.id)?;
    Ok(json!({}))
}
