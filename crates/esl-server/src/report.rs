//! The access explainer's answers as text for a person (`ess-local access`).

use std::fmt::Write;

use serde_json::Value;

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn verdict_word(v: &Value) -> String {
    if v["Allowed"] == Value::Bool(true) {
        format!("ALLOWED (via {})", s(v, "Method"))
    } else {
        "BLOCKED".to_string()
    }
}

/// One verdict: the question, the answer, every fact, and the fixes with their API calls.
pub fn verdict(v: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}) -> {} port {}: {}",
        s(v, "InstanceId"),
        v["PrivateIpAddress"].as_str().unwrap_or("no private IP"),
        s(v, "DatabaseId"),
        v["Port"],
        verdict_word(v)
    );
    for e in arr(&v["Explanations"]) {
        let _ = writeln!(
            out,
            "  {} [{}] {}",
            s(e, "Code"),
            s(e, "ResourceId"),
            s(e, "Message")
        );
    }
    let fixes = arr(&v["Fixes"]);
    if !fixes.is_empty() {
        let _ = writeln!(out, "To open a path:");
    }
    for f in fixes {
        let _ = writeln!(out, "  - {}", s(f, "Message"));
        for c in arr(&f["Calls"]) {
            let params: Vec<String> = c["Parameters"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| match v {
                            Value::String(t) => format!("{k}={t}"),
                            other => format!("{k}={other}"),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "      {} {} {} {}",
                s(c, "Product"),
                s(c, "Version"),
                s(c, "Action"),
                params.join(" ")
            );
        }
    }
    out
}

/// A group's matrix: one row per instance, one column per database, and the deciding fact.
pub fn matrix(v: &Value) -> String {
    let mut out = String::new();
    let dbs: Vec<&str> = arr(&v["DatabaseIds"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let _ = writeln!(out, "scaling group {}", s(v, "ScalingGroupId"));
    if dbs.is_empty() {
        let _ = writeln!(out, "  no associated databases (give --to)");
        return out;
    }
    let rows = arr(&v["Rows"]);
    if rows.is_empty() {
        let _ = writeln!(out, "  no instances");
        return out;
    }
    for r in rows {
        let _ = writeln!(out, "{} {}", s(r, "InstanceId"), s(r, "LifecycleState"));
        for c in arr(&r["Cells"]) {
            let facts = arr(&c["Explanations"]);
            let decisive = if c["Allowed"] == Value::Bool(true) {
                facts.iter().rev().find(|e| {
                    matches!(
                        s(e, "Code"),
                        "InnerAccessAccept" | "IngressAccepted" | "WhitelistEntry"
                    )
                })
            } else {
                facts.iter().find(|e| e["Blocking"] == Value::Bool(true))
            }
            .map(|e| s(e, "Code"))
            .unwrap_or("");
            let why = if c["Allowed"] == Value::Bool(true) {
                decisive.to_string()
            } else {
                arr(&c["Fixes"])
                    .first()
                    .map(|f| format!("{decisive}; fix: {}", s(f, "Message")))
                    .unwrap_or_else(|| decisive.to_string())
            };
            let _ = writeln!(
                out,
                "  -> {:<24} {:<26} {}",
                s(c, "DatabaseId"),
                verdict_word(c),
                why
            );
        }
    }
    out
}
