//! Expressions: `{{ name }}` (a parameter, a task output `task.output`, or a pseudo parameter such
//! as `ACS::RegionId` or `ACS::TaskLoopItem`) and the `Fn::` functions. A string that is exactly one
//! `{{ x }}` takes x's typed value (a List stays a List); otherwise each `{{ x }}` is replaced by its
//! text. Names are looked up exactly first, then ignoring case (the public Redis template refers to
//! its `dbInstanceId` parameter as `{{ dBInstanceId }}`, and it works in production).

use serde_json::{Map, Value};

/// Where names are looked up.
pub trait Scope {
    fn lookup(&self, name: &str) -> Option<Value>;
}

impl Scope for Map<String, Value> {
    fn lookup(&self, name: &str) -> Option<Value> {
        self.get(name).cloned().or_else(|| {
            self.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        })
    }
}

/// The text of a value: a string as it is, anything else as JSON.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Equality as OOS templates use it: `true` equals `"true"`, `1` equals `"1"`.
pub fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y,
        (Value::String(_), _) | (_, Value::String(_)) => text(a) == text(b),
        _ => a == b,
    }
}

pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::Null => false,
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Resolves every expression and function in `v`.
pub fn resolve(v: &Value, scope: &dyn Scope) -> Result<Value, String> {
    match v {
        Value::String(s) => resolve_str(s, scope),
        Value::Array(items) => items
            .iter()
            .map(|i| resolve(i, scope))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Value::Object(map) => {
            if map.len() == 1 {
                let (k, args) = map.iter().next().expect("one entry");
                if let Some(name) = k.strip_prefix("Fn::") {
                    return call(name, args, scope);
                }
            }
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(k.clone(), resolve(v, scope)?);
            }
            Ok(Value::Object(out))
        }
        other => Ok(other.clone()),
    }
}

fn lookup(name: &str, scope: &dyn Scope) -> Result<Value, String> {
    scope
        .lookup(name)
        .ok_or_else(|| format!("{{{{ {name} }}}} refers to nothing"))
}

fn resolve_str(s: &str, scope: &dyn Scope) -> Result<Value, String> {
    let t = s.trim();
    if let Some(inner) = t.strip_prefix("{{").and_then(|r| r.strip_suffix("}}")) {
        if !inner.contains("{{") && !inner.contains("}}") {
            return lookup(inner.trim(), scope);
        }
    }
    if !s.contains("{{") {
        return Ok(Value::String(s.to_string()));
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        out.push_str(&text(&lookup(after[..end].trim(), scope)?));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(Value::String(out))
}

fn args_list(name: &str, args: &Value, scope: &dyn Scope) -> Result<Vec<Value>, String> {
    match resolve(args, scope)? {
        Value::Array(a) => Ok(a),
        other => Err(format!("Fn::{name} takes a list, not {other}")),
    }
}

fn call(name: &str, args: &Value, scope: &dyn Scope) -> Result<Value, String> {
    let want = |n: usize, a: &[Value]| {
        if a.len() == n {
            Ok(())
        } else {
            Err(format!("Fn::{name} takes {n} arguments"))
        }
    };
    match name {
        "Join" => {
            let a = args_list(name, args, scope)?;
            want(2, &a)?;
            let items = match &a[1] {
                Value::Array(items) => items.iter().map(text).collect::<Vec<_>>(),
                other => vec![text(other)],
            };
            Ok(Value::String(items.join(&text(&a[0]))))
        }
        "Split" => {
            let a = args_list(name, args, scope)?;
            want(2, &a)?;
            let sep = text(&a[0]);
            let s = text(&a[1]);
            Ok(Value::Array(if s.is_empty() {
                vec![]
            } else {
                s.split(sep.as_str())
                    .map(|x| Value::String(x.to_string()))
                    .collect()
            }))
        }
        "Equals" => {
            let a = args_list(name, args, scope)?;
            want(2, &a)?;
            Ok(Value::Bool(loose_eq(&a[0], &a[1])))
        }
        "Not" => {
            let v = resolve(args, scope)?;
            let v = match v {
                Value::Array(mut a) if a.len() == 1 => a.remove(0),
                v => v,
            };
            Ok(Value::Bool(!truthy(&v)))
        }
        "And" => Ok(Value::Bool(
            args_list(name, args, scope)?.iter().all(truthy),
        )),
        "Or" => Ok(Value::Bool(
            args_list(name, args, scope)?.iter().any(truthy),
        )),
        "If" => {
            let a = args_list(name, args, scope)?;
            want(3, &a)?;
            Ok(if truthy(&a[0]) {
                a[1].clone()
            } else {
                a[2].clone()
            })
        }
        "Select" => {
            let a = args_list(name, args, scope)?;
            want(2, &a)?;
            match (&a[0], &a[1]) {
                (idx, Value::Array(items)) => {
                    let i: usize = text(idx)
                        .parse()
                        .map_err(|_| "Fn::Select needs an index into a list".to_string())?;
                    items
                        .get(i)
                        .cloned()
                        .ok_or_else(|| format!("Fn::Select: no item {i}"))
                }
                (key, Value::Object(map)) => map
                    .get(&text(key))
                    .cloned()
                    .ok_or_else(|| format!("Fn::Select: no key {}", text(key))),
                _ => Err("Fn::Select takes an index and a list, or a key and a map".into()),
            }
        }
        "MergeList" => {
            let mut out = Vec::new();
            for item in args_list(name, args, scope)? {
                match item {
                    Value::Array(a) => out.extend(a),
                    other => out.push(other),
                }
            }
            Ok(Value::Array(out))
        }
        "ListJoin" => Ok(Value::Array(args_list(name, args, scope)?)),
        "MergeMap" => {
            let mut out = Map::new();
            for item in args_list(name, args, scope)? {
                if let Value::Object(m) = item {
                    out.extend(m);
                }
            }
            Ok(Value::Object(out))
        }
        "Jq" => {
            let a = args_list(name, args, scope)?;
            want(3, &a)?;
            let input = match &a[2] {
                Value::String(s) => serde_json::from_str(s).unwrap_or(Value::String(s.clone())),
                other => other.clone(),
            };
            let out = crate::jq::run(&text(&a[1]), &input)?;
            match text(&a[0]).as_str() {
                "First" => Ok(out.into_iter().next().unwrap_or(Value::Null)),
                "All" => Ok(Value::Array(out)),
                other => Err(format!("Fn::Jq: unknown mode {other}")),
            }
        }
        "Replace" => {
            let a = args_list(name, args, scope)?;
            want(2, &a)?;
            let Value::Object(pairs) = &a[0] else {
                return Err("Fn::Replace takes a map of replacements".into());
            };
            let mut s = text(&a[1]);
            for (from, to) in pairs {
                s = s.replace(from.as_str(), &text(to));
            }
            Ok(Value::String(s))
        }
        "ContainsSubString" => {
            let a = args_list(name, args, scope)?;
            want(2, &a)?;
            Ok(Value::Bool(text(&a[0]).contains(&text(&a[1]))))
        }
        "First" | "Last" | "Min" | "Max" | "Sum" => {
            let a = match resolve(args, scope)? {
                Value::Array(a) if a.len() == 1 && a[0].is_array() => {
                    a[0].as_array().cloned().unwrap_or_default()
                }
                Value::Array(a) => a,
                other => vec![other],
            };
            let nums = || a.iter().filter_map(|v| text(v).parse::<f64>().ok());
            Ok(match name {
                "First" => a.first().cloned().unwrap_or(Value::Null),
                "Last" => a.last().cloned().unwrap_or(Value::Null),
                "Min" => nums().reduce(f64::min).map(number).unwrap_or(Value::Null),
                "Max" => nums().reduce(f64::max).map(number).unwrap_or(Value::Null),
                _ => number(nums().sum()),
            })
        }
        other => Err(format!("Fn::{other} is not supported by ess-local")),
    }
}

fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9e15 {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope() -> Map<String, Value> {
        json!({"dbInstanceId": "r-1", "ips": ["10.0.0.1", "10.0.0.2"], "getIps.Ips": ["10.0.0.3"], "flag": "true"})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn expressions() {
        let s = scope();
        assert_eq!(
            resolve(&json!("{{ ips }}"), &s).unwrap(),
            json!(["10.0.0.1", "10.0.0.2"])
        );
        assert_eq!(
            resolve(&json!("{{dBInstanceId}}"), &s).unwrap(),
            json!("r-1"),
            "case-insensitive fallback"
        );
        assert_eq!(
            resolve(&json!("id={{ dbInstanceId }}!"), &s).unwrap(),
            json!("id=r-1!")
        );
        assert_eq!(
            resolve(&json!({"Fn::Join": [",", "{{ getIps.Ips }}"]}), &s).unwrap(),
            json!("10.0.0.3")
        );
        assert_eq!(
            resolve(&json!({"Fn::Equals": [true, "{{ flag }}"]}), &s).unwrap(),
            json!(true)
        );
        assert_eq!(
            resolve(
                &json!({"Fn::If": [{"Fn::Not": ["{{ flag }}"]}, "a", "b"]}),
                &s
            )
            .unwrap(),
            json!("b")
        );
        assert_eq!(
            resolve(&json!({"Fn::Select": ["1", "{{ ips }}"]}), &s).unwrap(),
            json!("10.0.0.2")
        );
        assert_eq!(
            resolve(&json!({"Fn::Split": [",", "a,b"]}), &s).unwrap(),
            json!(["a", "b"])
        );
        assert_eq!(
            resolve(&json!({"Fn::MergeList": ["{{ ips }}", ["x"]]}), &s).unwrap(),
            json!(["10.0.0.1", "10.0.0.2", "x"])
        );
        assert_eq!(
            resolve(
                &json!({"Fn::Jq": ["All", ".[]|.a", [{"a": 1}, {"a": 2}]]}),
                &s
            )
            .unwrap(),
            json!([1, 2])
        );
        assert_eq!(
            resolve(&json!({"Fn::And": [true, "{{ flag }}"]}), &s).unwrap(),
            json!(true)
        );
        assert_eq!(
            resolve(&json!({"Fn::Or": [false, "false"]}), &s).unwrap(),
            json!(false)
        );
        assert!(resolve(&json!("{{ missing }}"), &s).is_err());
        assert!(resolve(&json!({"Fn::Nope": []}), &s).is_err());
    }
}
