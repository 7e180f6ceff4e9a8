//! Templates: JSON or YAML text, `FormatVersion`, `Parameters` (Type, Default, AllowedValues,
//! AllowedPattern, lengths; required when there is no Default), `Tasks`, `Outputs`.

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, TemplateError> {
    Err(TemplateError(msg.into()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::Yaml => "YAML",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub format: Format,
    pub format_version: String,
    pub description: Value,
    /// Declared parameters in their order, each with its spec.
    pub parameters: Vec<(String, Map<String, Value>)>,
    pub tasks: Vec<Map<String, Value>>,
    pub outputs: Map<String, Value>,
    pub ram_role: Option<String>,
}

impl Template {
    /// The English description (a string, or the `en` entry of an i18n map).
    pub fn description_text(&self) -> String {
        match &self.description {
            Value::String(s) => s.clone(),
            Value::Object(m) => m
                .get("en")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            _ => String::new(),
        }
    }

    pub fn parameter(&self, name: &str) -> Option<&Map<String, Value>> {
        self.parameters
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s)
    }
}

fn valid_task_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Parses and checks a template; JSON when the text starts with `{`, YAML otherwise.
pub fn parse(content: &str) -> Result<Template, TemplateError> {
    let trimmed = content.trim_start();
    let (format, doc): (Format, Value) = if trimmed.starts_with('{') {
        (
            Format::Json,
            serde_json::from_str(content)
                .map_err(|e| TemplateError(format!("invalid JSON: {e}")))?,
        )
    } else {
        (
            Format::Yaml,
            serde_yaml_ng::from_str(content)
                .map_err(|e| TemplateError(format!("invalid YAML: {e}")))?,
        )
    };
    let Value::Object(doc) = doc else {
        return err("a template is a map");
    };
    let format_version = doc
        .get("FormatVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if !format_version.starts_with("OOS-2019-06-01") {
        return err("FormatVersion must be OOS-2019-06-01");
    }
    let mut parameters = Vec::new();
    if let Some(p) = doc.get("Parameters") {
        let Value::Object(p) = p else {
            return err("Parameters must be a map");
        };
        for (name, spec) in p {
            let Value::Object(spec) = spec else {
                return err(format!("parameter {name} must be a map"));
            };
            parameters.push((name.clone(), spec.clone()));
        }
    }
    let Some(Value::Array(raw_tasks)) = doc.get("Tasks") else {
        return err("Tasks must be a non-empty list");
    };
    if raw_tasks.is_empty() {
        return err("Tasks must be a non-empty list");
    }
    let mut tasks = Vec::new();
    for t in raw_tasks {
        let Value::Object(t) = t else {
            return err("a task must be a map");
        };
        let name = t.get("Name").and_then(Value::as_str).unwrap_or_default();
        if !valid_task_name(name) {
            return err(format!("invalid task name {name:?}"));
        }
        if t.get("Action")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return err(format!("task {name} has no Action"));
        }
        if tasks
            .iter()
            .any(|o: &Map<String, Value>| o.get("Name").and_then(Value::as_str) == Some(name))
        {
            return err(format!("duplicate task name {name}"));
        }
        tasks.push(t.clone());
    }
    let outputs = match doc.get("Outputs") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(_) => return err("Outputs must be a map"),
    };
    Ok(Template {
        format,
        format_version,
        description: doc.get("Description").cloned().unwrap_or(Value::Null),
        parameters,
        tasks,
        outputs,
        ram_role: doc
            .get("RamRole")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

fn type_of(spec: &Map<String, Value>) -> &str {
    spec.get("Type").and_then(Value::as_str).unwrap_or("String")
}

/// Coerces a value to a parameter's Type.
pub fn coerce(name: &str, ty: &str, v: Value) -> Result<Value, TemplateError> {
    let bad = || TemplateError(format!("parameter {name} must be of type {ty}"));
    match (ty, v) {
        ("String", Value::String(s)) => Ok(Value::String(s)),
        ("String", v @ (Value::Number(_) | Value::Bool(_))) => Ok(Value::String(v.to_string())),
        ("Number", Value::Number(n)) => Ok(Value::Number(n)),
        ("Number", Value::String(s)) => s
            .trim()
            .parse::<serde_json::Number>()
            .map(Value::Number)
            .map_err(|_| bad()),
        ("Boolean", Value::Bool(b)) => Ok(Value::Bool(b)),
        ("Boolean", Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
        ("Boolean", Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
        ("List", Value::Array(a)) => Ok(Value::Array(a)),
        ("List", Value::String(s)) if s.trim_start().starts_with('[') => {
            serde_json::from_str::<Value>(&s)
                .ok()
                .filter(Value::is_array)
                .ok_or_else(bad)
        }
        ("List", Value::String(s)) => Ok(Value::Array(vec![Value::String(s)])),
        ("Json", Value::String(s)) => Ok(serde_json::from_str(&s).unwrap_or(Value::String(s))),
        ("Json", v) => Ok(v),
        (_, _) => Err(bad()),
    }
}

/// The values of every declared parameter: the given value, else the Default; each coerced to its
/// Type and checked against AllowedValues, AllowedPattern and the lengths.
pub fn resolve_parameters(
    t: &Template,
    given: &Map<String, Value>,
) -> Result<Map<String, Value>, TemplateError> {
    for name in given.keys() {
        if t.parameter(name).is_none() {
            return err(format!("parameter {name} is not defined in the template"));
        }
    }
    let mut out = Map::new();
    for (name, spec) in &t.parameters {
        let raw = match given.get(name).or_else(|| spec.get("Default")) {
            Some(v) => v.clone(),
            None => return err(format!("parameter {name} is required")),
        };
        let v = coerce(name, type_of(spec), raw)?;
        if let Some(Value::Array(allowed)) = spec.get("AllowedValues") {
            if !allowed.iter().any(|a| crate::expr::loose_eq(a, &v)) {
                return err(format!(
                    "parameter {name} must be one of {}",
                    Value::Array(allowed.clone())
                ));
            }
        }
        if let (Some(Value::String(pattern)), Value::String(s)) = (spec.get("AllowedPattern"), &v) {
            let re = regex_lite::Regex::new(&format!("^(?:{pattern})$"))
                .map_err(|e| TemplateError(format!("AllowedPattern of {name}: {e}")))?;
            if !re.is_match(s) {
                return err(format!("parameter {name} does not match {pattern}"));
            }
        }
        if let Value::String(s) = &v {
            let n = s.chars().count() as u64;
            if spec
                .get("MinLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| n < m)
                || spec
                    .get("MaxLength")
                    .and_then(Value::as_u64)
                    .is_some_and(|m| n > m)
            {
                return err(format!("the length of parameter {name} is out of range"));
            }
        }
        out.insert(name.clone(), v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const YAML: &str = "FormatVersion: OOS-2019-06-01\nDescription:\n  en: Adds IPs\nParameters:\n  regionId:\n    Type: String\n    Default: '{{ ACS::RegionId }}'\n  modifyMode:\n    Type: String\n    AllowedValues: [Append, Delete]\n  instanceIds:\n    Type: List\n    Default: ['${instanceIds}']\n  count:\n    Type: Number\n    Default: 1\nTasks:\n- Name: one\n  Action: ACS::Sleep\n  Properties: {Duration: PT1S}\n";

    #[test]
    fn yaml_and_parameters() {
        let t = parse(YAML).unwrap();
        assert_eq!(t.format, Format::Yaml);
        assert_eq!(t.description_text(), "Adds IPs");
        assert_eq!(
            t.parameters
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>(),
            vec!["regionId", "modifyMode", "instanceIds", "count"]
        );
        let given = json!({"modifyMode": "Append", "count": "3"})
            .as_object()
            .unwrap()
            .clone();
        let p = resolve_parameters(&t, &given).unwrap();
        assert_eq!(p["count"], json!(3));
        assert_eq!(p["instanceIds"], json!(["${instanceIds}"]));
        let bad = json!({"modifyMode": "Cover"}).as_object().unwrap().clone();
        assert_eq!(
            resolve_parameters(&t, &bad).unwrap_err().0,
            "parameter modifyMode must be one of [\"Append\",\"Delete\"]"
        );
        assert_eq!(
            resolve_parameters(&t, &Map::new()).unwrap_err().0,
            "parameter modifyMode is required"
        );
        let extra = json!({"modifyMode": "Append", "nope": 1})
            .as_object()
            .unwrap()
            .clone();
        assert!(resolve_parameters(&t, &extra).is_err());
    }

    #[test]
    fn structure_is_checked() {
        assert!(parse("{\"FormatVersion\": \"OOS-2019-06-01\", \"Tasks\": []}").is_err());
        assert!(parse(
            "FormatVersion: OOS-2019-06-01\nTasks:\n- Name: a b\n  Action: ACS::Sleep\n"
        )
        .is_err());
        assert!(parse("Tasks:\n- Name: a\n  Action: ACS::Sleep\n").is_err());
        assert!(parse("{\"FormatVersion\": \"OOS-2019-06-01\", \"Tasks\": [{\"Name\": \"a\", \"Action\": \"ACS::Sleep\"}]}").is_ok());
    }
}
