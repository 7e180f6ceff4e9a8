//! The task interpreter. `run` executes a template's tasks from where the execution stands until it
//! ends or must wait (ACS::Sleep, an ACS::WaitFor retry); the caller stores the `ExecState` and runs
//! it again when the wait is over. Tasks: ACS::ExecuteAPI (any spelling), ACS::CheckFor,
//! ACS::WaitFor, ACS::Sleep, ACS::Choice, ACS::Template, and cloud-product actions (templates named
//! like `ACS::ESS::ModifyPolarDBIPWhitelist`), with When, OnSuccess/OnError (a task name, ACS::NEXT,
//! ACS::END), Loop (Items, RateControl.MaxErrors, Outputs aggregation) and Outputs (jq selectors).
//! A task skipped by When counts as a success (its OnSuccess is followed). An execution in which a
//! task failed ends Failed, even when an OnError task ran.

use serde_json::{Map, Value};

use crate::expr::{self, Scope};
use crate::template::{self, Template};

/// What the interpreter needs from the world.
pub trait Host {
    /// Calls a cloud API (Service as the template spells it, e.g. `ECS`, `R-KVSTORE`) and returns its
    /// response body, or the error's `(Code, Message)`.
    fn call_api(
        &mut self,
        service: &str,
        api: &str,
        params: &Map<String, Value>,
    ) -> Result<Value, (String, String)>;
    /// The text of another template (ACS::Template, cloud-product actions).
    fn template(&mut self, name: &str) -> Option<String>;
    /// A task ran (or was skipped).
    fn record(&mut self, task: TaskRecord);
    /// The pseudo parameters (`ACS::RegionId`, `ACS::AccountId`, `ACS::ExecutionId`, ...).
    fn pseudo(&self, name: &str) -> Option<Value>;
    fn now_ms(&self) -> i64;
    /// A nested template (ACS::Template, a cloud-product action) starts; its tasks' records follow
    /// until `child_finished`.
    fn child_started(&mut self, _name: &str, _parameters: &Map<String, Value>) {}
    fn child_finished(&mut self, _success: bool, _message: &str, _outputs: &Map<String, Value>) {}
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    pub name: String,
    pub action: String,
    /// Success, Failed or Skipped.
    pub status: &'static str,
    pub message: String,
    pub properties: Value,
    pub outputs: Map<String, Value>,
    pub loop_item: Option<Value>,
    pub started_ms: i64,
}

/// Where an execution stands; serializable by the caller as JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecState {
    pub parameters: Map<String, Value>,
    /// Each finished task's outputs, by task name.
    pub outputs: Map<String, Value>,
    /// The index of the task to run next.
    pub next: usize,
    /// A Sleep or WaitFor of task `next` waits until this time.
    pub wake_ms: Option<i64>,
    /// WaitFor attempts made so far by task `next`.
    pub attempts: u32,
    pub failed: bool,
    pub message: String,
}

impl ExecState {
    pub fn new(parameters: Map<String, Value>) -> Self {
        ExecState {
            parameters,
            ..Default::default()
        }
    }

    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "parameters": self.parameters, "outputs": self.outputs, "next": self.next,
            "wake_ms": self.wake_ms, "attempts": self.attempts, "failed": self.failed, "message": self.message,
        })
    }

    pub fn from_json(v: &Value) -> Self {
        let map = |k: &str| {
            v.get(k)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        ExecState {
            parameters: map("parameters"),
            outputs: map("outputs"),
            next: v.get("next").and_then(Value::as_u64).unwrap_or(0) as usize,
            wake_ms: v.get("wake_ms").and_then(Value::as_i64),
            attempts: v.get("attempts").and_then(Value::as_u64).unwrap_or(0) as u32,
            failed: v.get("failed").and_then(Value::as_bool).unwrap_or(false),
            message: v
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Ended: Success or Failed, with the template's Outputs.
    Done {
        success: bool,
        message: String,
        outputs: Map<String, Value>,
    },
    /// Must wait until this time, then `run` again.
    Wait { until_ms: i64 },
}

struct Frame<'a> {
    state: &'a ExecState,
    host: &'a dyn Host,
    loop_item: Option<&'a Value>,
}

impl Scope for Frame<'_> {
    fn lookup(&self, name: &str) -> Option<Value> {
        if name == "ACS::TaskLoopItem" {
            return self.loop_item.cloned();
        }
        if name.starts_with("ACS::") {
            return self.host.pseudo(name);
        }
        if let Some(v) = self.state.parameters.lookup(name) {
            return Some(v);
        }
        let (task, output) = name.split_once('.')?;
        let outputs = self.state.outputs.lookup(task)?;
        outputs.as_object()?.lookup(output)
    }
}

fn s<'a>(task: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    task.get(key).and_then(Value::as_str)
}

/// Where to go after a task: OnSuccess or OnError (a task name, ACS::NEXT, ACS::END).
fn goto(t: &Template, current: usize, target: Option<&str>) -> Result<Option<usize>, String> {
    match target {
        None | Some("ACS::NEXT") => Ok(Some(current + 1)),
        Some("ACS::END") => Ok(None),
        Some(name) => t
            .tasks
            .iter()
            .position(|task| s(task, "Name") == Some(name))
            .map(Some)
            .ok_or_else(|| format!("no task named {name}")),
    }
}

fn action_kind(action: &str) -> String {
    action.to_ascii_lowercase()
}

/// An ISO 8601 duration (`PT1M`, `PT30S`, `P1D`, `PT1H30M`) in milliseconds.
pub fn duration_ms(text: &str) -> Option<i64> {
    let rest = text.strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut ms = 0i64;
    if !days.is_empty() {
        ms += days.strip_suffix('D')?.parse::<i64>().ok()? * 86_400_000;
    }
    let mut num = String::new();
    for c in time.chars() {
        match c {
            '0'..='9' | '.' => num.push(c),
            'H' | 'M' | 'S' => {
                let n: f64 = num.parse().ok()?;
                num.clear();
                ms += (n * match c {
                    'H' => 3_600_000.0,
                    'M' => 60_000.0,
                    _ => 1000.0,
                }) as i64;
            }
            _ => return None,
        }
    }
    num.is_empty().then_some(ms)
}

/// Evaluates a task's Outputs (`name: {Type, ValueSelector}`) over an action's result.
fn task_outputs(
    task: &Map<String, Value>,
    result: &Value,
    frame: &Frame<'_>,
) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    let Some(Value::Object(specs)) = task.get("Outputs") else {
        return Ok(out);
    };
    for (name, spec) in specs {
        let selector = spec
            .get("ValueSelector")
            .map(|v| expr::resolve(v, frame))
            .transpose()?;
        let ty = spec.get("Type").and_then(Value::as_str).unwrap_or("String");
        let values = match selector {
            Some(sel) => crate::jq::run(&expr::text(&sel), result)?,
            None => vec![result.clone()],
        };
        let v = match ty {
            "List" => match values.as_slice() {
                [Value::Array(a)] => Value::Array(a.clone()),
                _ => Value::Array(values),
            },
            _ => {
                let first = values.into_iter().next().unwrap_or(Value::Null);
                template::coerce(name, ty, first.clone()).unwrap_or(first)
            }
        };
        out.insert(name.clone(), v);
    }
    Ok(out)
}

enum Step {
    Ok(Value),
    Failed(String),
    Wait(i64),
}

/// Runs one action once (no loop). `top` says whether it may wait (Sleep, WaitFor retries).
fn act(
    t_state: &mut ExecState,
    task: &Map<String, Value>,
    frame_item: Option<&Value>,
    host: &mut dyn Host,
    top: bool,
    depth: u32,
) -> Step {
    let action = s(task, "Action").unwrap_or_default().to_string();
    let props = {
        let frame = Frame {
            state: t_state,
            host: &*host,
            loop_item: frame_item,
        };
        match task
            .get("Properties")
            .map(|p| expr::resolve(p, &frame))
            .transpose()
        {
            Ok(p) => p.unwrap_or(Value::Object(Map::new())),
            Err(e) => return Step::Failed(e),
        }
    };
    let prop = |k: &str| props.get(k).cloned();
    match action_kind(&action).as_str() {
        "acs::executeapi" | "acs::checkfor" | "acs::waitfor" => {
            let service = prop("Service").map(|v| expr::text(&v)).unwrap_or_default();
            let api = prop("API").map(|v| expr::text(&v)).unwrap_or_default();
            let params = prop("Parameters")
                .and_then(|p| p.as_object().cloned())
                .unwrap_or_default();
            let result = match host.call_api(&service, &api, &params) {
                Ok(r) => r,
                Err((code, message)) => return Step::Failed(format!("{code}: {message}")),
            };
            if action_kind(&action) == "acs::executeapi" {
                return Step::Ok(result);
            }
            let selector = prop("PropertySelector")
                .map(|v| expr::text(&v))
                .unwrap_or_else(|| ".".into());
            let got = match crate::jq::run(&selector, &result) {
                Ok(v) => v.into_iter().next().unwrap_or(Value::Null),
                Err(e) => return Step::Failed(e),
            };
            let list = |k: &str| {
                prop(k)
                    .and_then(|v| v.as_array().cloned())
                    .unwrap_or_default()
            };
            if list("DesiredValues")
                .iter()
                .any(|d| expr::loose_eq(d, &got))
            {
                return Step::Ok(result);
            }
            if action_kind(&action) == "acs::checkfor" {
                return Step::Failed(format!("the value {got} is not one of the desired values"));
            }
            if list("StopRetryValues")
                .iter()
                .any(|d| expr::loose_eq(d, &got))
            {
                return Step::Failed(format!("the value {got} stops the retries"));
            }
            let retries = prop("Retries")
                .and_then(|v| expr::text(&v).parse::<u32>().ok())
                .unwrap_or(10);
            let interval = prop("RetryInterval")
                .and_then(|v| {
                    duration_ms(&expr::text(&v))
                        .or_else(|| expr::text(&v).parse::<i64>().ok().map(|s| s * 1000))
                })
                .unwrap_or(30_000);
            if t_state.attempts + 1 >= retries.max(1) || !top {
                return Step::Failed(format!(
                    "the value {got} did not reach the desired values after {} attempts",
                    t_state.attempts + 1
                ));
            }
            t_state.attempts += 1;
            Step::Wait(host.now_ms() + interval)
        }
        "acs::sleep" => {
            let d = prop("Duration")
                .map(|v| expr::text(&v))
                .and_then(|d| duration_ms(&d))
                .unwrap_or(0);
            if !top || d == 0 {
                return Step::Ok(Value::Object(Map::new()));
            }
            match t_state.wake_ms {
                Some(w) if host.now_ms() >= w => Step::Ok(Value::Object(Map::new())),
                Some(w) => Step::Wait(w),
                None => Step::Wait(host.now_ms() + d),
            }
        }
        "acs::template" => {
            let name = prop("TemplateName")
                .map(|v| expr::text(&v))
                .unwrap_or_default();
            let params = prop("Parameters")
                .and_then(|p| p.as_object().cloned())
                .unwrap_or_default();
            child(&name, params, host, depth)
        }
        other if other.starts_with("acs::") && other.matches("::").count() == 2 => {
            let params = props.as_object().cloned().unwrap_or_default();
            child(&action, params, host, depth)
        }
        _ => Step::Failed(format!("the action {action} is not supported by ess-local")),
    }
}

/// Runs a nested template to its end (it may not wait).
fn child(name: &str, given: Map<String, Value>, host: &mut dyn Host, depth: u32) -> Step {
    if depth > 5 {
        return Step::Failed("templates nest too deep".into());
    }
    let Some(text) = host.template(name) else {
        return Step::Failed(format!("the template {name} does not exist"));
    };
    let t = match template::parse(&text) {
        Ok(t) => t,
        Err(e) => return Step::Failed(e.0),
    };
    let params = match template::resolve_parameters(&t, &given) {
        Ok(p) => p,
        Err(e) => return Step::Failed(e.0),
    };
    host.child_started(name, &params);
    let mut state = ExecState::new(params);
    let outcome = run_at(&t, &mut state, host, false, depth + 1);
    match outcome {
        Outcome::Done {
            success: true,
            outputs,
            ..
        } => {
            host.child_finished(true, "", &outputs);
            Step::Ok(Value::Object(outputs))
        }
        Outcome::Done {
            message, outputs, ..
        } => {
            host.child_finished(false, &message, &outputs);
            Step::Failed(message)
        }
        Outcome::Wait { .. } => {
            host.child_finished(false, "a nested template cannot wait", &Map::new());
            Step::Failed("a nested template cannot wait".into())
        }
    }
}

/// Runs the execution from where it stands until it ends or must wait.
pub fn run(t: &Template, state: &mut ExecState, host: &mut dyn Host) -> Outcome {
    run_at(t, state, host, true, 0)
}

fn run_at(
    t: &Template,
    state: &mut ExecState,
    host: &mut dyn Host,
    top: bool,
    depth: u32,
) -> Outcome {
    loop {
        let Some(task) = t.tasks.get(state.next).cloned() else {
            return finish(t, state, &*host);
        };
        let name = s(&task, "Name").unwrap_or_default().to_string();
        let action = s(&task, "Action").unwrap_or_default().to_string();
        let started = host.now_ms();
        let record = |host: &mut dyn Host,
                      status: &'static str,
                      message: String,
                      outputs: Map<String, Value>,
                      item: Option<Value>| {
            host.record(TaskRecord {
                name: name.clone(),
                action: action.clone(),
                status,
                message,
                properties: task.get("Properties").cloned().unwrap_or(Value::Null),
                outputs,
                loop_item: item,
                started_ms: started,
            })
        };
        if let Some(when) = task.get("When") {
            let frame = Frame {
                state,
                host: &*host,
                loop_item: None,
            };
            match expr::resolve(when, &frame) {
                Ok(v) if !expr::truthy(&v) => {
                    record(host, "Skipped", String::new(), Map::new(), None);
                    match goto(t, state.next, s(&task, "OnSuccess")) {
                        Ok(Some(n)) => state.next = n,
                        Ok(None) => return finish(t, state, &*host),
                        Err(e) => return fail(state, e),
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => return fail(state, e),
            }
        }
        if action_kind(&action) == "acs::choice" {
            let frame = Frame {
                state,
                host: &*host,
                loop_item: None,
            };
            let props = task.get("Properties").cloned().unwrap_or(Value::Null);
            let mut target = props
                .get("DefaultTask")
                .and_then(Value::as_str)
                .map(str::to_string);
            for choice in props
                .get("Choices")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
            {
                match choice.get("When").map(|w| expr::resolve(w, &frame)) {
                    Some(Ok(v)) if expr::truthy(&v) => {
                        target = choice
                            .get("NextTask")
                            .and_then(Value::as_str)
                            .map(str::to_string);
                        break;
                    }
                    Some(Err(e)) => return fail(state, e),
                    _ => {}
                }
            }
            record(host, "Success", String::new(), Map::new(), None);
            match goto(t, state.next, target.as_deref()) {
                Ok(Some(n)) => state.next = n,
                Ok(None) => return finish(t, state, &*host),
                Err(e) => return fail(state, e),
            }
            continue;
        }
        let result = match task.get("Loop") {
            None => match act(state, &task, None, host, top, depth) {
                Step::Wait(until) => {
                    state.wake_ms = Some(until);
                    return Outcome::Wait { until_ms: until };
                }
                Step::Failed(e) => Err(e),
                Step::Ok(result) => {
                    let frame = Frame {
                        state,
                        host: &*host,
                        loop_item: None,
                    };
                    task_outputs(&task, &result, &frame)
                }
            },
            Some(spec) => run_loop(state, &task, spec, host, depth),
        };
        state.wake_ms = None;
        state.attempts = 0;
        match result {
            Ok(outputs) => {
                record(host, "Success", String::new(), outputs.clone(), None);
                state.outputs.insert(name.clone(), Value::Object(outputs));
                match goto(t, state.next, s(&task, "OnSuccess")) {
                    Ok(Some(n)) => state.next = n,
                    Ok(None) => return finish(t, state, &*host),
                    Err(e) => return fail(state, e),
                }
            }
            Err(message) => {
                record(host, "Failed", message.clone(), Map::new(), None);
                state.failed = true;
                state.message = format!("Task {name} failed: {message}");
                match s(&task, "OnError") {
                    None => return finish(t, state, &*host),
                    Some(target) => match goto(t, state.next, Some(target)) {
                        Ok(Some(n)) => state.next = n,
                        Ok(None) => return finish(t, state, &*host),
                        Err(e) => return fail(state, e),
                    },
                }
            }
        }
    }
}

fn run_loop(
    state: &mut ExecState,
    task: &Map<String, Value>,
    spec: &Value,
    host: &mut dyn Host,
    depth: u32,
) -> Result<Map<String, Value>, String> {
    let items = {
        let frame = Frame {
            state,
            host: &*host,
            loop_item: None,
        };
        match spec
            .get("Items")
            .map(|i| expr::resolve(i, &frame))
            .transpose()?
        {
            Some(Value::Array(a)) => a,
            Some(Value::Null) | None => vec![],
            Some(other) => vec![other],
        }
    };
    if items.len() > 1000 {
        return Err("a loop takes at most 1000 items".into());
    }
    let max_errors = spec
        .get("RateControl")
        .and_then(|r| r.get("MaxErrors"))
        .map(|m| max_errors(&expr::text(m), items.len()))
        .unwrap_or(0);
    let mut per_item: Vec<Map<String, Value>> = Vec::new();
    let mut errors = Vec::new();
    for item in &items {
        match act(state, task, Some(item), host, false, depth) {
            Step::Ok(result) => {
                let frame = Frame {
                    state,
                    host: &*host,
                    loop_item: Some(item),
                };
                per_item.push(task_outputs(task, &result, &frame)?);
            }
            Step::Failed(e) => errors.push(e),
            Step::Wait(_) => errors.push("a loop item cannot wait".into()),
        }
    }
    if errors.len() > max_errors {
        return Err(format!(
            "{} of {} loop items failed; first: {}",
            errors.len(),
            items.len(),
            errors[0]
        ));
    }
    let mut out = Map::new();
    if let Some(Value::Object(specs)) = spec.get("Outputs") {
        for (name, agg) in specs {
            let field = agg
                .get("AggregateField")
                .and_then(Value::as_str)
                .unwrap_or(name);
            let values: Vec<Value> = per_item
                .iter()
                .filter_map(|o| o.get(field).cloned())
                .collect();
            let v = match agg
                .get("AggregateType")
                .and_then(Value::as_str)
                .unwrap_or("Fn::ListJoin")
            {
                "Fn::Sum" => Value::from(
                    values
                        .iter()
                        .filter_map(|v| expr::text(v).parse::<f64>().ok())
                        .sum::<f64>(),
                ),
                _ => Value::Array(values),
            };
            out.insert(name.clone(), v);
        }
    }
    Ok(out)
}

/// How many loop items may fail: `MaxErrors` is a count (`"2"`, `2`) or a percentage of the
/// items (`"50%"`, rounded down); anything else allows none (the default, 0).
pub fn max_errors(text: &str, items: usize) -> usize {
    let text = text.trim();
    match text.strip_suffix('%') {
        Some(pct) => pct
            .trim()
            .parse::<usize>()
            .map(|p| items * p.min(100) / 100)
            .unwrap_or(0),
        None => text.parse::<usize>().unwrap_or(0),
    }
}

fn fail(state: &mut ExecState, message: String) -> Outcome {
    state.failed = true;
    state.message = message.clone();
    Outcome::Done {
        success: false,
        message,
        outputs: Map::new(),
    }
}

fn finish(t: &Template, state: &mut ExecState, host: &dyn Host) -> Outcome {
    state.next = t.tasks.len();
    let mut outputs = Map::new();
    let frame = Frame {
        state,
        host,
        loop_item: None,
    };
    for (name, spec) in &t.outputs {
        let v = spec
            .get("Value")
            .map(|v| expr::resolve(v, &frame))
            .transpose();
        match v {
            Ok(Some(v)) => {
                let ty = spec.get("Type").and_then(Value::as_str).unwrap_or("String");
                outputs.insert(
                    name.clone(),
                    template::coerce(name, ty, v.clone()).unwrap_or(v),
                );
            }
            Ok(None) => {}
            Err(_) if state.failed => {}
            Err(e) => return fail(state, e),
        }
    }
    Outcome::Done {
        success: !state.failed,
        message: state.message.clone(),
        outputs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Default)]
    struct FakeHost {
        now: i64,
        calls: Vec<(String, String, Map<String, Value>)>,
        records: Vec<(String, &'static str)>,
        whitelist: Vec<String>,
    }

    impl Host for FakeHost {
        fn call_api(
            &mut self,
            service: &str,
            api: &str,
            params: &Map<String, Value>,
        ) -> Result<Value, (String, String)> {
            self.calls
                .push((service.into(), api.into(), params.clone()));
            match api {
                "DescribeInstances" => Ok(json!({"Instances": {"Instance": [
                    {"VpcAttributes": {"PrivateIpAddress": {"IpAddress": ["10.0.0.1"]}}, "InnerIpAddress": {"IpAddress": []}},
                    {"VpcAttributes": {"PrivateIpAddress": {"IpAddress": ["10.0.0.2"]}}, "InnerIpAddress": {"IpAddress": []}}]}})),
                "DescribeWhitelist" => Ok(json!({"ips": self.whitelist.join(",")})),
                "ModifyWhitelist" => {
                    let ip = params["ip"].as_str().unwrap().to_string();
                    if ip == "bad" {
                        return Err(("Invalid".into(), "bad ip".into()));
                    }
                    self.whitelist.push(ip);
                    Ok(json!({}))
                }
                "Fail" => Err(("Boom".into(), "it failed".into())),
                _ => Ok(json!({"Status": "Running"})),
            }
        }
        fn template(&mut self, name: &str) -> Option<String> {
            (name == "ACS::TEST::AddIp").then(|| {
                "FormatVersion: OOS-2019-06-01\nParameters:\n  ip: {Type: String}\nTasks:\n- Name: check\n  Action: ACS::ExecuteAPI\n  Properties: {Service: DB, API: DescribeWhitelist, Parameters: {}}\n  Outputs: {has: {Type: Boolean, ValueSelector: '.ips | test(\"{{ ip }}\")'}}\n- Name: add\n  Action: ACS::ExecuteAPI\n  When: {'Fn::Equals': ['{{ check.has }}', false]}\n  OnSuccess: ACS::END\n  Properties: {Service: DB, API: ModifyWhitelist, Parameters: {ip: '{{ ip }}'}}\n".to_string()
            })
        }
        fn record(&mut self, task: TaskRecord) {
            self.records.push((task.name, task.status));
        }
        fn pseudo(&self, name: &str) -> Option<Value> {
            (name == "ACS::RegionId").then(|| json!("cn-hangzhou"))
        }
        fn now_ms(&self) -> i64 {
            self.now
        }
    }

    const TEMPLATE: &str = "FormatVersion: OOS-2019-06-01\nParameters:\n  regionId: {Type: String, Default: '{{ ACS::RegionId }}'}\n  dbInstanceId: {Type: String}\nTasks:\n- Name: getIps\n  Action: ACS::ExecuteApi\n  OnError: abandon\n  Properties: {Service: ECS, API: DescribeInstances, Parameters: {RegionId: '{{ regionId }}'}}\n  Outputs:\n    Ips: {Type: List, ValueSelector: '.Instances.Instance[]|.VpcAttributes.PrivateIpAddress.IpAddress+.InnerIpAddress.IpAddress|.[]'}\n- Name: addAll\n  Action: ACS::TEST::AddIp\n  OnError: abandon\n  OnSuccess: pause\n  Properties: {ip: '{{ ACS::TaskLoopItem }}'}\n  Loop: {Items: '{{ getIps.Ips }}'}\n- Name: pause\n  Action: ACS::Sleep\n  Properties: {Duration: PT1M}\n- Name: done\n  Action: ACS::ExecuteAPI\n  OnSuccess: ACS::END\n  Properties: {Service: ESS, API: Complete, Parameters: {Id: '{{ dBInstanceId }}', Joined: {'Fn::Join': [',', '{{ getIps.Ips }}']}}}\n- Name: abandon\n  Action: ACS::ExecuteAPI\n  Properties: {Service: ESS, API: Complete, Parameters: {Result: ABANDON}}\nOutputs:\n  ipAddresses: {Type: List, Value: '{{ getIps.Ips }}'}\n";

    #[test]
    fn a_template_runs_waits_and_ends() {
        let t = template::parse(TEMPLATE).unwrap();
        let defaults =
            template::resolve_parameters(&t, json!({"dbInstanceId": "r-1"}).as_object().unwrap())
                .unwrap();
        assert_eq!(
            defaults["regionId"],
            json!("{{ ACS::RegionId }}"),
            "defaults are taken as written"
        );
        let params = template::resolve_parameters(
            &t,
            json!({"dbInstanceId": "r-1", "regionId": "cn-hangzhou"})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        let mut state = ExecState::new(params);
        let mut host = FakeHost::default();
        assert_eq!(
            run(&t, &mut state, &mut host),
            Outcome::Wait { until_ms: 60_000 }
        );
        assert_eq!(host.whitelist, vec!["10.0.0.1", "10.0.0.2"]);
        // The state survives a round trip through JSON, as the caller stores it.
        let mut state = ExecState::from_json(&state.to_json());
        host.now = 60_000;
        let out = run(&t, &mut state, &mut host);
        assert_eq!(
            out,
            Outcome::Done {
                success: true,
                message: String::new(),
                outputs: json!({"ipAddresses": ["10.0.0.1", "10.0.0.2"]})
                    .as_object()
                    .unwrap()
                    .clone()
            }
        );
        let last = host.calls.last().unwrap();
        assert_eq!(
            last.2,
            *json!({"Id": "r-1", "Joined": "10.0.0.1,10.0.0.2"})
                .as_object()
                .unwrap(),
            "case-insensitive parameter lookup"
        );
        assert_eq!(
            host.records
                .iter()
                .map(|(n, s)| format!("{n}:{s}"))
                .collect::<Vec<_>>(),
            vec![
                "getIps:Success",
                // the cloud-product action's own tasks, once per loop item
                "check:Success",
                "add:Success",
                "check:Success",
                "add:Success",
                "addAll:Success",
                "pause:Success",
                "done:Success"
            ]
        );
        // Run again on a whitelist that has the IPs: the When skips the Append.
        let mut state = ExecState::new(
            template::resolve_parameters(
                &t,
                json!({"dbInstanceId": "r-1", "regionId": "x"})
                    .as_object()
                    .unwrap(),
            )
            .unwrap(),
        );
        host.now = 100_000;
        host.records.clear();
        assert_eq!(
            run(&t, &mut state, &mut host),
            Outcome::Wait { until_ms: 160_000 }
        );
        assert_eq!(host.whitelist.len(), 2);
    }

    #[test]
    fn a_failure_takes_the_error_path_and_fails_the_execution() {
        let text = TEMPLATE.replace("API: DescribeInstances", "API: Fail");
        let t = template::parse(&text).unwrap();
        let mut state = ExecState::new(
            template::resolve_parameters(&t, json!({"dbInstanceId": "r-1"}).as_object().unwrap())
                .unwrap(),
        );
        let mut host = FakeHost::default();
        match run(&t, &mut state, &mut host) {
            Outcome::Done {
                success, message, ..
            } => {
                assert!(!success);
                assert_eq!(message, "Task getIps failed: Boom: it failed");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            host.calls.last().unwrap().2,
            *json!({"Result": "ABANDON"}).as_object().unwrap()
        );
        assert_eq!(
            host.records
                .iter()
                .map(|(n, s)| format!("{n}:{s}"))
                .collect::<Vec<_>>(),
            vec!["getIps:Failed", "abandon:Success"]
        );
    }

    #[test]
    fn max_errors_is_a_count_or_a_percentage_of_the_items() {
        assert_eq!(max_errors("2", 10), 2);
        assert_eq!(max_errors("0", 10), 0);
        assert_eq!(max_errors("50%", 4), 2);
        assert_eq!(max_errors("50%", 3), 1, "rounded down");
        assert_eq!(max_errors("25%", 3), 0);
        assert_eq!(max_errors("100%", 7), 7);
        assert_eq!(max_errors("200%", 7), 7);
        assert_eq!(max_errors("x", 7), 0);
    }

    #[test]
    fn a_loop_fails_past_max_errors_percent() {
        // Four items, two fail ("bad"): 50% allows them, 25% (one item) does not.
        let text = |max: &str| {
            format!(
                "FormatVersion: OOS-2019-06-01\nTasks:\n- Name: add\n  Action: ACS::ExecuteAPI\n  Properties: {{Service: DB, API: ModifyWhitelist, Parameters: {{ip: '{{{{ ACS::TaskLoopItem }}}}'}}}}\n  Loop:\n    Items: [a, bad, b, bad]\n    RateControl: {{Mode: Concurrency, Concurrency: 2, MaxErrors: '{max}'}}\n"
            )
        };
        for (max, ok) in [("50%", true), ("2", true), ("25%", false), ("1", false)] {
            let t = template::parse(&text(max)).unwrap();
            let mut state = ExecState::new(Map::new());
            let mut host = FakeHost::default();
            match run(&t, &mut state, &mut host) {
                Outcome::Done {
                    success, message, ..
                } => {
                    assert_eq!(success, ok, "{max}: {message}");
                    if !ok {
                        assert_eq!(
                            message,
                            "Task add failed: 2 of 4 loop items failed; first: Invalid: bad ip"
                        );
                    }
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(host.whitelist, vec!["a", "b"], "{max}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(duration_ms("PT1M"), Some(60_000));
        assert_eq!(duration_ms("PT1H30M"), Some(5_400_000));
        assert_eq!(duration_ms("P1DT1S"), Some(86_401_000));
        assert_eq!(duration_ms("1M"), None);
    }
}
