//! Runs an OOS execution: the esl-oos interpreter with a host that calls the emulated services as
//! the account (inside the job's transaction, each call under its own savepoint) and records every
//! task execution and nested (child) execution.

use esl_domain::model::{ExecutionStatus, OosExecution, OosTaskExecution};
use esl_oos::{ExecState, Host, Outcome, TaskRecord};
use esl_store::{Tx, TxExt};
use esl_wire::{Params, Product};
use serde_json::{json, Map, Value};

use super::{find_template, text, RUN};
use crate::{Ctx, Result};

/// The product a template's `Service` names.
fn product(service: &str) -> Option<Product> {
    Some(match service.to_ascii_uppercase().as_str() {
        "ECS" => Product::Ecs,
        "ESS" => Product::Ess2014,
        "VPC" => Product::Vpc,
        "RDS" => Product::Rds,
        "POLARDB" => Product::Polardb,
        "DDS" => Product::Dds,
        "ADB" => Product::Adb,
        "GPDB" => Product::Gpdb,
        "R-KVSTORE" | "KVSTORE" => Product::Kvstore,
        "OOS" => Product::Oos,
        _ => return None,
    })
}

/// Puts template values on the wire as the action's metadata says: a list for a `repeatList`
/// parameter becomes `Name.N` (objects `Name.N.Field`), any other list or object one JSON string.
fn wire_params(product: Product, api: &str, given: &Map<String, Value>) -> Params {
    let meta = product.action(api);
    let mut out = Params::default();
    for (k, v) in given {
        let style = meta
            .and_then(|m| m.parameters.iter().find(|p| p.name == *k))
            .and_then(|p| p.style.clone());
        match (style.as_deref(), v) {
            (Some("repeatList"), Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::Object(fields) => {
                            for (f, fv) in fields {
                                out.insert(format!("{k}.{}.{f}", i + 1), text(fv));
                            }
                        }
                        other => out.insert(format!("{k}.{}", i + 1), text(other)),
                    }
                }
            }
            (_, Value::Array(_) | Value::Object(_)) => out.insert(k.clone(), v.to_string()),
            (_, Value::Null) => {}
            (_, other) => out.insert(k.clone(), text(other)),
        }
    }
    out
}

struct ApiHost<'a, 'b> {
    ctx: &'a Ctx<'b>,
    tx: &'a mut dyn Tx,
    execution_id: String,
    region: String,
    /// Child executions in progress (innermost last); task records go to the innermost.
    children: Vec<OosExecution>,
    records: Vec<OosTaskExecution>,
    error: Option<crate::Error>,
}

impl ApiHost<'_, '_> {
    fn current_execution(&self) -> String {
        self.children
            .last()
            .map(|c| c.id.clone())
            .unwrap_or_else(|| self.execution_id.clone())
    }
}

impl Host for ApiHost<'_, '_> {
    fn call_api(
        &mut self,
        service: &str,
        api: &str,
        params: &Map<String, Value>,
    ) -> Result<Value, (String, String)> {
        let Some(product) = product(service) else {
            return Err((
                "InvalidService".into(),
                format!("The service {service} is not emulated by ess-local."),
            ));
        };
        let mut wire = wire_params(product, api, params);
        if wire.str("RegionId").is_none() {
            wire.insert("RegionId", self.region.clone());
        }
        self.ctx
            .cloud
            .dispatch_in(self.tx, self.ctx.now_ms, product, api, &wire)
            .map_err(|e| (e.code.to_string(), e.message))
    }

    fn template(&mut self, name: &str) -> Option<String> {
        match find_template(self.tx, &self.region, name) {
            Ok(found) => found.map(|f| f.content),
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    fn record(&mut self, task: TaskRecord) {
        let execution_id = self.current_execution();
        self.records.push(OosTaskExecution {
            id: format!("exec-task-{}", &self.ctx.id("x")[6..]),
            region: self.region.clone(),
            execution_id,
            name: task.name,
            action: task.action,
            status: task.status.to_string(),
            message: task.message,
            properties: task.properties,
            outputs: task.outputs,
            loop_item: task.loop_item,
            child_execution_id: None,
            started_ms: task.started_ms,
            ended_ms: self.ctx.now_ms,
        });
    }

    fn pseudo(&self, name: &str) -> Option<Value> {
        Some(match name {
            "ACS::RegionId" => json!(self.region),
            "ACS::AccountId" => json!(self.ctx.cloud.account_id),
            "ACS::ExecutionId" => json!(self.current_execution()),
            "ACS::ExecuteUser" => json!(self.ctx.cloud.account_id),
            "ACS::CurrentUTCTime" => json!(crate::util::second_time(self.ctx.now_ms)),
            "ACS::CurrentDate" => {
                json!(crate::util::second_time(self.ctx.now_ms)[..10].to_string())
            }
            _ => return None,
        })
    }

    fn now_ms(&self) -> i64 {
        self.ctx.now_ms
    }

    fn child_started(&mut self, name: &str, parameters: &Map<String, Value>) {
        let parent = self.current_execution();
        let content = match find_template(self.tx, &self.region, name) {
            Ok(Some(f)) => f,
            _ => return,
        };
        self.children.push(OosExecution {
            id: format!("exec-{}", &self.ctx.id("x")[6..]),
            region: self.region.clone(),
            template_name: content.name,
            template_id: content.id,
            template_version: content.version,
            content: String::new(),
            parameters: parameters.clone(),
            mode: "Automatic".into(),
            status: ExecutionStatus::Running,
            status_message: String::new(),
            outputs: Map::new(),
            parent_id: Some(parent),
            description: String::new(),
            tags: Map::new(),
            started_ms: self.ctx.now_ms,
            ended_ms: None,
            updated_ms: self.ctx.now_ms,
            state: Value::Null,
            current_task: None,
        });
    }

    fn child_finished(&mut self, success: bool, message: &str, outputs: &Map<String, Value>) {
        let Some(mut child) = self.children.pop() else {
            return;
        };
        child.status = if success {
            ExecutionStatus::Success
        } else {
            ExecutionStatus::Failed
        };
        child.status_message = message.to_string();
        child.outputs = outputs.clone();
        child.ended_ms = Some(self.ctx.now_ms);
        if let Err(e) = self.tx.save(&child) {
            self.error = Some(e.into());
        }
    }
}

pub fn run(ctx: &Ctx<'_>, tx: &mut dyn Tx, execution_id: &str) -> Result<()> {
    let Some(mut exec) = tx.load::<OosExecution>(execution_id)? else {
        return Ok(());
    };
    if !matches!(
        exec.status,
        ExecutionStatus::Running | ExecutionStatus::Waiting
    ) {
        return Ok(());
    }
    let template = match esl_oos::parse(&exec.content) {
        Ok(t) => t,
        Err(e) => {
            exec.status = ExecutionStatus::Failed;
            exec.status_message = e.0;
            exec.ended_ms = Some(ctx.now_ms);
            tx.save(&exec)?;
            return Ok(());
        }
    };
    let mut state = ExecState::from_json(&exec.state);
    let region = exec.region.clone();
    let (outcome, records, children_done) = {
        let mut host = ApiHost {
            ctx,
            tx,
            execution_id: exec.id.clone(),
            region,
            children: Vec::new(),
            records: Vec::new(),
            error: None,
        };
        let outcome = esl_oos::run(&template, &mut state, &mut host);
        if let Some(e) = host.error.take() {
            return Err(e);
        }
        (
            outcome,
            std::mem::take(&mut host.records),
            host.children.is_empty(),
        )
    };
    let _ = children_done;
    for r in &records {
        tx.save(r)?;
    }
    exec.state = state.to_json();
    exec.updated_ms = ctx.now_ms;
    match outcome {
        Outcome::Wait { until_ms } => {
            exec.status = ExecutionStatus::Waiting;
            exec.current_task = template.tasks.get(state.next).map(|t| {
                (
                    text(t.get("Name").unwrap_or(&Value::Null)),
                    text(t.get("Action").unwrap_or(&Value::Null)),
                )
            });
            tx.enqueue(until_ms, RUN, &json!({"execution": exec.id}).to_string())?;
        }
        Outcome::Done {
            success,
            message,
            outputs,
        } => {
            exec.status = if success {
                ExecutionStatus::Success
            } else {
                ExecutionStatus::Failed
            };
            exec.status_message = message;
            exec.outputs = outputs;
            exec.ended_ms = Some(ctx.now_ms);
            exec.current_task = None;
        }
    }
    if exec.status == ExecutionStatus::Waiting {
        // Runs again when its wait is over; Running again from then.
        exec.status = ExecutionStatus::Waiting;
    }
    tx.save(&exec)?;
    Ok(())
}
