//! Operation Orchestration Service (2019-06-01): templates (the built-in public ACS ones and the
//! account's), executions run by the esl-oos interpreter as engine work (one job per run until the
//! execution ends or waits), and the bridge from ESS lifecycle hooks whose target is an OOS template.

mod host;

use esl_domain::fault;
use esl_domain::model::{
    ExecutionStatus, LifecycleAction, LifecycleHook, OosExecution, OosTaskExecution, OosTemplate,
};
use esl_store::{Filter, Tx, TxExt};
use serde_json::{json, Map, Value};

use crate::util::{second_time, strings};
use crate::{Cloud, Ctx, Family, Result};

pub const RUN: &str = "oos.execution.run";

/// The public templates ess-local ships (our own text, written from the documented behaviour).
pub const PUBLIC: &[(&str, &str)] = &[
    (
        "ACS-ESS-LifeCycleModifyPolarDBIPWhitelist",
        include_str!("public/ACS-ESS-LifeCycleModifyPolarDBIPWhitelist.yml"),
    ),
    (
        "ACS-ESS-LifeCycleModifyMongoDBIPWhitelist",
        include_str!("public/ACS-ESS-LifeCycleModifyMongoDBIPWhitelist.yml"),
    ),
    (
        "ACS-ESS-LifeCycleModifyAnalyticDBIPWhitelist",
        include_str!("public/ACS-ESS-LifeCycleModifyAnalyticDBIPWhitelist.yml"),
    ),
    (
        "ACS-ESS-LifeCycleModifyRedisIPWhitelist",
        include_str!("public/ACS-ESS-LifeCycleModifyRedisIPWhitelist.yml"),
    ),
    (
        "ACS::ESS::ModifyPolarDBIPWhitelist",
        include_str!("public/ACS__ESS__ModifyPolarDBIPWhitelist.yml"),
    ),
];

pub fn register(cloud: &mut Cloud) {
    let f = Family::Oos;
    cloud.add(f, "CreateTemplate", create_template);
    cloud.add(f, "GetTemplate", get_template);
    cloud.add(f, "ListTemplates", list_templates);
    cloud.add(f, "UpdateTemplate", update_template);
    cloud.add(f, "DeleteTemplate", delete_template);
    cloud.add(f, "StartExecution", start_execution);
    cloud.add(f, "ListExecutions", list_executions);
    cloud.add(f, "ListTaskExecutions", list_task_executions);
    cloud.add(f, "CancelExecution", cancel_execution);
}

fn e(status: u16, code: &'static str, message: impl Into<String>) -> esl_domain::Fault {
    esl_domain::Fault {
        status,
        code: code.into(),
        message: message.into(),
    }
}

fn template_not_found() -> esl_domain::Fault {
    e(
        404,
        "EntityNotExists.Template",
        "The specified template does not exist.",
    )
}

/// A template found by name: public, or the account's in the region.
pub struct Found {
    pub id: String,
    pub name: String,
    pub content: String,
    pub version: String,
    pub public: bool,
    pub stored: Option<OosTemplate>,
}

fn find_template(tx: &mut dyn Tx, region: &str, name: &str) -> Result<Option<Found>> {
    if let Some((n, content)) = PUBLIC.iter().find(|(n, _)| *n == name) {
        return Ok(Some(Found {
            id: format!("t-acs-{}", sha_short(n)),
            name: n.to_string(),
            content: content.to_string(),
            version: "v1".into(),
            public: true,
            stored: None,
        }));
    }
    Ok(tx
        .list::<OosTemplate>(&Filter {
            region: Some(region),
            name: Some(name),
            ..Default::default()
        })?
        .into_iter()
        .next()
        .map(|t| Found {
            id: t.id.clone(),
            name: t.name.clone(),
            content: t.content.clone(),
            version: format!("v{}", t.version),
            public: false,
            stored: Some(t),
        }))
}

fn sha_short(s: &str) -> String {
    esl_wire::sign::sha256_hex(s.as_bytes())[..16].to_string()
}

/// Whether a template of that name exists (public, or the account's in `region`).
pub fn template_exists(tx: &mut dyn Tx, region: &str, name: &str) -> Result<bool> {
    Ok(find_template(tx, region, name)?.is_some())
}

fn valid_template_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    (1..=200).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !["ALIYUN", "ACS", "ALIBABA", "ALICLOUD"]
            .iter()
            .any(|p| upper.starts_with(p))
}

fn parse_content(content: &str) -> Result<esl_oos::Template> {
    if content.len() > 64 * 1024 {
        return Err(e(400, "InvalidTemplate", "The template is larger than 64 KB.").into());
    }
    esl_oos::parse(content).map_err(|err| {
        e(
            400,
            "InvalidTemplate",
            format!("The template is invalid: {}", err.0),
        )
        .into()
    })
}

fn tags(ctx: &Ctx<'_>) -> Result<Map<String, Value>> {
    match ctx.params.str("Tags") {
        None => Ok(Map::new()),
        Some(t) => serde_json::from_str::<Value>(t)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .ok_or_else(|| fault::invalid_parameter("Tags").into()),
    }
}

fn template_json(ctx: &Ctx<'_>, f: &Found) -> Value {
    let parsed = esl_oos::parse(&f.content).ok();
    let (created, updated, tags, version_name) = match &f.stored {
        Some(t) => (
            second_time(t.created_ms),
            second_time(t.updated_ms),
            Value::Object(t.tags.clone()),
            t.version_name.clone(),
        ),
        None => (
            "2019-06-01T00:00:00Z".to_string(),
            "2019-06-01T00:00:00Z".to_string(),
            json!({}),
            None,
        ),
    };
    let owner = if f.public {
        "ACS".to_string()
    } else {
        ctx.cloud.account_id.clone()
    };
    json!({
        "TemplateId": f.id, "TemplateName": f.name, "TemplateVersion": f.version, "VersionName": version_name,
        "TemplateFormat": parsed.as_ref().map(|t| t.format.as_str()).unwrap_or("YAML"), "TemplateType": "Automation",
        "Description": parsed.as_ref().map(|t| t.description_text()).unwrap_or_default(),
        "Hash": esl_wire::sign::sha256_hex(f.content.as_bytes()), "ShareType": if f.public { "Public" } else { "Private" },
        "CreatedBy": owner, "UpdatedBy": owner, "CreatedDate": created, "UpdatedDate": updated,
        "HasTrigger": false, "Tags": tags, "ResourceGroupId": "", "Category": if f.public { "ElasticManage" } else { "" },
        "Popularity": 0, "TotalExecutionCount": 0, "IsFavorite": false, "Publisher": if f.public { "ACS" } else { "" },
    })
}

fn create_template(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let name = p.required("TemplateName")?;
    if !valid_template_name(name) {
        return Err(fault::invalid_parameter("TemplateName").into());
    }
    let content = p.required("Content")?;
    let parsed = parse_content(content)?;
    let region = ctx.region().to_string();
    if find_template(tx, &region, name)?.is_some() {
        return Err(e(
            400,
            "EntityAlreadyExists.Template",
            "The specified template already exists.",
        )
        .into());
    }
    let t = OosTemplate {
        id: format!("t-{}", &ctx.id("x")[6..]),
        region,
        name: name.to_string(),
        content: content.to_string(),
        format: parsed.format.as_str().to_string(),
        version: 1,
        version_name: p.string("VersionName"),
        description: parsed.description_text(),
        hash: esl_wire::sign::sha256_hex(content.as_bytes()),
        tags: tags(ctx)?,
        created_ms: ctx.now_ms,
        updated_ms: ctx.now_ms,
    };
    tx.save(&t)?;
    let found = find_template(tx, &t.region, &t.name)?.ok_or_else(template_not_found)?;
    Ok(json!({"TemplateType": "Automation", "Template": template_json(ctx, &found)}))
}

fn get_template(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let found = find_template(tx, ctx.region(), ctx.params.required("TemplateName")?)?
        .ok_or_else(template_not_found)?;
    Ok(json!({"Content": found.content, "Template": template_json(ctx, &found)}))
}

fn update_template(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let found = find_template(tx, ctx.region(), p.required("TemplateName")?)?
        .ok_or_else(template_not_found)?;
    let Some(mut t) = found.stored else {
        return Err(e(
            403,
            "Forbidden.PublicTemplate",
            "A public template cannot be changed.",
        )
        .into());
    };
    if let Some(content) = p.str("Content") {
        let parsed = parse_content(content)?;
        t.content = content.to_string();
        t.format = parsed.format.as_str().to_string();
        t.description = parsed.description_text();
        t.hash = esl_wire::sign::sha256_hex(content.as_bytes());
        t.version += 1;
    }
    if let Some(v) = p.string("VersionName") {
        t.version_name = Some(v);
    }
    if p.str("Tags").is_some() {
        t.tags = tags(ctx)?;
    }
    t.updated_ms = ctx.now_ms;
    tx.save(&t)?;
    let found = find_template(tx, &t.region, &t.name)?.ok_or_else(template_not_found)?;
    Ok(json!({"Template": template_json(ctx, &found)}))
}

fn delete_template(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let found = find_template(tx, ctx.region(), ctx.params.required("TemplateName")?)?
        .ok_or_else(template_not_found)?;
    let Some(t) = found.stored else {
        return Err(e(
            403,
            "Forbidden.PublicTemplate",
            "A public template cannot be deleted.",
        )
        .into());
    };
    tx.remove::<OosTemplate>(&t.id)?;
    Ok(json!({}))
}

fn next_token(p: &esl_wire::Params) -> Result<(usize, usize)> {
    let max = p.int("MaxResults")?.unwrap_or(50);
    if !(1..=100).contains(&max) {
        return Err(fault::invalid_parameter("MaxResults").into());
    }
    let start = match p.str("NextToken") {
        None => 0,
        Some(t) => t
            .parse()
            .map_err(|_| fault::invalid_parameter("NextToken"))?,
    };
    Ok((start, max as usize))
}

fn list_templates(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let mut all = Vec::new();
    for (name, _) in PUBLIC {
        all.extend(find_template(tx, ctx.region(), name)?);
    }
    for t in tx.list::<OosTemplate>(&Filter {
        region: Some(ctx.region()),
        ..Default::default()
    })? {
        all.extend(find_template(tx, &t.region, &t.name)?);
    }
    let name = p.str("TemplateName");
    let share = p.str("ShareType");
    let by = p.str("CreatedBy");
    let all: Vec<Found> = all
        .into_iter()
        .filter(|f| name.is_none_or(|n| f.name.contains(n)))
        .filter(|f| share.is_none_or(|s| (s == "Public") == f.public))
        .filter(|f| by.is_none_or(|b| (b == "ACS") == f.public))
        .collect();
    let (start, max) = next_token(p)?;
    let items: Vec<Value> = all
        .iter()
        .skip(start)
        .take(max)
        .map(|f| template_json(ctx, f))
        .collect();
    let next = start + items.len();
    Ok(
        json!({"MaxResults": max, "NextToken": if next < all.len() { next.to_string() } else { String::new() }, "Templates": items}),
    )
}

/// Creates an execution of `found` with `given` parameters and queues its first run. A template
/// whose parameters do not resolve fails the call (`fail_call`) or makes a Failed execution.
fn start(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    found: &Found,
    given: Map<String, Value>,
    description: String,
    fail_call: bool,
) -> Result<OosExecution> {
    let t = parse_content(&found.content)?;
    let resolved = esl_oos::template::resolve_parameters(&t, &given);
    let (status, message, parameters) = match resolved {
        Ok(p) => (ExecutionStatus::Running, String::new(), p),
        Err(err) if fail_call => {
            return Err(e(
                400,
                "InvalidParameter",
                format!("The parameters are invalid: {}", err.0),
            )
            .into())
        }
        Err(err) => (ExecutionStatus::Failed, err.0, given),
    };
    let ended = (status == ExecutionStatus::Failed).then_some(ctx.now_ms);
    let exec = OosExecution {
        id: format!("exec-{}", &ctx.id("x")[6..]),
        region: ctx.region().to_string(),
        template_name: found.name.clone(),
        template_id: found.id.clone(),
        template_version: found.version.clone(),
        content: found.content.clone(),
        state: esl_oos::ExecState::new(parameters.clone()).to_json(),
        parameters,
        mode: ctx.params.str("Mode").unwrap_or("Automatic").to_string(),
        status,
        status_message: message,
        outputs: Map::new(),
        parent_id: None,
        description,
        tags: Map::new(),
        started_ms: ctx.now_ms,
        ended_ms: ended,
        updated_ms: ctx.now_ms,
        current_task: None,
    };
    tx.save(&exec)?;
    if exec.status == ExecutionStatus::Running {
        tx.enqueue(
            ctx.now_ms + ctx.cloud.timing.oos_start_ms,
            RUN,
            &json!({"execution": exec.id}).to_string(),
        )?;
    }
    Ok(exec)
}

fn execution_json(x: &OosExecution, parameters_as_string: bool) -> Value {
    let params = Value::Object(x.parameters.clone());
    json!({
        "ExecutionId": x.id, "TemplateName": x.template_name, "TemplateId": x.template_id, "TemplateVersion": x.template_version,
        "Mode": x.mode, "LoopMode": "Automatic", "SafetyCheck": "Skip", "Status": x.status.as_str(), "StatusMessage": x.status_message,
        "Parameters": if parameters_as_string { Value::String(params.to_string()) } else { params },
        "Outputs": Value::Object(x.outputs.clone()).to_string(), "StartDate": second_time(x.started_ms),
        "CreateDate": second_time(x.started_ms), "EndDate": x.ended_ms.map(second_time), "UpdateDate": second_time(x.updated_ms),
        "ExecutedBy": "ess-local", "IsParent": false, "ParentExecutionId": x.parent_id, "RamRole": "OOSServiceRole",
        "Counters": {}, "CurrentTasks": x.current_task.iter().map(|(n, a)| json!({"TaskName": n, "TaskAction": a, "TaskExecutionId": ""})).collect::<Vec<_>>(),
        "Description": x.description, "Tags": x.tags, "ResourceGroupId": "", "Category": "Other",
    })
}

fn start_execution(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let found = match (p.str("TemplateName"), p.str("TemplateContent")) {
        (Some(name), _) => find_template(tx, ctx.region(), name)?.ok_or_else(template_not_found)?,
        (None, Some(content)) => {
            parse_content(content)?;
            Found {
                id: String::new(),
                name: String::new(),
                content: content.to_string(),
                version: "v1".into(),
                public: false,
                stored: None,
            }
        }
        (None, None) => return Err(fault::missing_parameter("TemplateName").into()),
    };
    let given = match p.str("Parameters") {
        None => Map::new(),
        Some(t) => serde_json::from_str::<Value>(t)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .ok_or_else(|| fault::invalid_parameter("Parameters"))?,
    };
    let exec = start(
        ctx,
        tx,
        &found,
        given,
        p.str("Description").unwrap_or("").to_string(),
        true,
    )?;
    Ok(json!({"Execution": execution_json(&exec, true)}))
}

fn execution_not_found() -> esl_domain::Fault {
    e(
        404,
        "EntityNotExists.Execution",
        "The specified execution does not exist.",
    )
}

fn list_executions(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let all: Vec<OosExecution> = match p.str("ExecutionId") {
        Some(id) => tx.load::<OosExecution>(id)?.into_iter().collect(),
        None => tx.list::<OosExecution>(&Filter {
            region: Some(ctx.region()),
            ..Default::default()
        })?,
    };
    let name = p.str("TemplateName");
    let status = p.str("Status");
    let parent = p.str("ParentExecutionId");
    let include_children = p.bool("IncludeChildExecution")?.unwrap_or(false);
    let mut all: Vec<OosExecution> = all
        .into_iter()
        .filter(|x| name.is_none_or(|n| x.template_name.contains(n)))
        .filter(|x| status.is_none_or(|s| x.status.as_str() == s))
        .filter(|x| match parent {
            Some(pid) => x.parent_id.as_deref() == Some(pid),
            None => include_children || x.parent_id.is_none() || p.str("ExecutionId").is_some(),
        })
        .collect();
    // Newest first (SortField StartDate, SortOrder Descending).
    all.reverse();
    let (start, max) = next_token(p)?;
    let items: Vec<Value> = all
        .iter()
        .skip(start)
        .take(max)
        .map(|x| execution_json(x, false))
        .collect();
    let next = start + items.len();
    Ok(
        json!({"MaxResults": max, "TotalCount": all.len(), "NextToken": if next < all.len() { next.to_string() } else { String::new() }, "Executions": items}),
    )
}

fn list_task_executions(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let p = ctx.params;
    let exec_id = p.str("ExecutionId");
    let all: Vec<OosTaskExecution> = match exec_id {
        Some(id) => {
            tx.load::<OosExecution>(id)?
                .ok_or_else(execution_not_found)?;
            tx.list::<OosTaskExecution>(&Filter {
                parent: Some(id),
                ..Default::default()
            })?
        }
        None => tx.list::<OosTaskExecution>(&Filter {
            region: Some(ctx.region()),
            ..Default::default()
        })?,
    };
    let name = p.str("TaskName");
    let status = p.str("Status");
    let action = p.str("TaskAction");
    let id = p.str("TaskExecutionId");
    let all: Vec<OosTaskExecution> = all
        .into_iter()
        .filter(|t| name.is_none_or(|n| t.name == n))
        .filter(|t| status.is_none_or(|s| t.status == s))
        .filter(|t| action.is_none_or(|a| t.action == a))
        .filter(|t| id.is_none_or(|i| t.id == i))
        .collect();
    let (start, max) = next_token(p)?;
    let items: Vec<Value> = all
        .iter()
        .skip(start)
        .take(max)
        .map(|t| {
            json!({
                "TaskExecutionId": t.id, "ExecutionId": t.execution_id, "TaskName": t.name, "TaskAction": t.action,
                "Status": t.status, "StatusMessage": t.message, "Properties": t.properties.to_string(),
                "Outputs": Value::Object(t.outputs.clone()).to_string(), "LoopItem": t.loop_item.as_ref().map(crate::oos::text),
                "ChildExecutionId": t.child_execution_id, "CreateDate": second_time(t.started_ms), "StartDate": second_time(t.started_ms),
                "EndDate": second_time(t.ended_ms), "UpdateDate": second_time(t.ended_ms), "ExtraData": {}, "Loop": {},
            })
        })
        .collect();
    let next = start + items.len();
    Ok(
        json!({"MaxResults": max, "NextToken": if next < all.len() { next.to_string() } else { String::new() }, "TaskExecutions": items}),
    )
}

pub fn text(v: &Value) -> String {
    esl_oos::expr::text(v)
}

fn cancel_execution(ctx: &Ctx<'_>, tx: &mut dyn Tx) -> Result<Value> {
    let mut x = tx
        .load::<OosExecution>(ctx.params.required("ExecutionId")?)?
        .ok_or_else(execution_not_found)?;
    if matches!(
        x.status,
        ExecutionStatus::Running | ExecutionStatus::Waiting | ExecutionStatus::Started
    ) {
        x.status = ExecutionStatus::Cancelled;
        x.ended_ms = Some(ctx.now_ms);
        x.updated_ms = ctx.now_ms;
        x.current_task = None;
        tx.save(&x)?;
    }
    Ok(json!({}))
}

/// Job: runs an execution until it ends or waits.
pub fn run(ctx: &Ctx<'_>, tx: &mut dyn Tx, execution_id: &str) -> Result<()> {
    host::run(ctx, tx, execution_id)
}

/// Replaces `${name}` placeholders with the lifecycle action's values; a string that is exactly
/// `${instanceIds}` inside a list is spread into the instance ids.
fn substitute(v: &Value, vars: &Map<String, Value>) -> Value {
    match v {
        Value::String(s) => {
            let t = s.trim();
            if let Some(name) = t.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
                if let Some(val) = vars.get(name) {
                    return val.clone();
                }
            }
            let mut out = s.clone();
            for (k, val) in vars {
                out = out.replace(&format!("${{{k}}}"), &text(val));
            }
            Value::String(out)
        }
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                match substitute(item, vars) {
                    Value::Array(inner)
                        if item.as_str().is_some_and(|s| s.trim().starts_with("${")) =>
                    {
                        out.extend(inner)
                    }
                    other => out.push(other),
                }
            }
            Value::Array(out)
        }
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), substitute(v, vars)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Starts the execution a hook's OOS target asks for (`acs:oos:{region}:{account}:template/{name}`),
/// with NotificationMetadata's parameters and the `${regionId}`, `${instanceIds}`,
/// `${lifecycleHookId}`, `${lifecycleActionToken}`, `${scalingGroupId}` values filled in. None for
/// other targets.
pub fn start_for_hook(
    ctx: &Ctx<'_>,
    tx: &mut dyn Tx,
    hook: &LifecycleHook,
    action: &LifecycleAction,
) -> Result<Option<String>> {
    let Some(arn) = &hook.notification_arn else {
        return Ok(None);
    };
    let parts: Vec<&str> = arn.splitn(5, ':').collect();
    if parts.len() != 5 || parts[1] != "oos" {
        return Ok(None);
    }
    let Some(name) = parts[4].strip_prefix("template/") else {
        return Ok(None);
    };
    let Some(found) = find_template(tx, &hook.region, name)? else {
        return Ok(None);
    };
    let vars: Map<String, Value> = json!({
        "regionId": hook.region, "instanceIds": strings(&action.instance_ids), "lifecycleHookId": hook.id,
        "lifecycleActionToken": action.id, "scalingGroupId": hook.group_id,
    })
    .as_object()
    .cloned()
    .unwrap_or_default();
    let metadata: Map<String, Value> = hook
        .notification_metadata
        .as_deref()
        .and_then(|m| serde_json::from_str::<Value>(m).ok())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    let mut given: Map<String, Value> = metadata
        .iter()
        .map(|(k, v)| (k.clone(), substitute(v, &vars)))
        .collect();
    if let Ok(t) = esl_oos::parse(&found.content) {
        for (pname, spec) in &t.parameters {
            if given.contains_key(pname) {
                continue;
            }
            if let Some(default) = spec.get("Default").filter(|d| d.to_string().contains("${")) {
                given.insert(pname.clone(), substitute(default, &vars));
            }
        }
    }
    let exec = start(
        &Ctx {
            cloud: ctx.cloud,
            product: esl_wire::Product::Oos,
            now_ms: ctx.now_ms,
            params: &esl_wire::Params::from_pairs([("RegionId", hook.region.as_str())]),
        },
        tx,
        &found,
        given,
        format!(
            "Lifecycle hook {} of scaling group {}",
            hook.id, hook.group_id
        ),
        false,
    )?;
    Ok(Some(exec.id))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_public_templates_parse() {
        for (name, content) in super::PUBLIC {
            let t = esl_oos::parse(content).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                t.parameters.iter().any(|(p, _)| p == "modifyMode"),
                "{name}"
            );
        }
    }

    #[test]
    fn placeholders_are_filled_in_and_lists_spread() {
        let vars = serde_json::json!({"instanceIds": ["i-1", "i-2"], "regionId": "cn-hangzhou"})
            .as_object()
            .unwrap()
            .clone();
        assert_eq!(
            super::substitute(&serde_json::json!(["${instanceIds}"]), &vars),
            serde_json::json!(["i-1", "i-2"])
        );
        assert_eq!(
            super::substitute(&serde_json::json!("${regionId}"), &vars),
            serde_json::json!("cn-hangzhou")
        );
        assert_eq!(
            super::substitute(&serde_json::json!("r=${regionId}"), &vars),
            serde_json::json!("r=cn-hangzhou")
        );
    }
}
