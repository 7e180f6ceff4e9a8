//! The web console: static files embedded in the binary (plain HTML, CSS and ES modules under
//! `console/`), served at `/` and `/_ess-local/console/...`, and `POST /_ess-local/console/call`,
//! the one route through which the console reads and changes state. A call runs
//! `Cloud::dispatch` exactly as a signed SDK request does (same validation, handlers and shaping);
//! only the signature is skipped, as on the other local admin routes.

use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use esl_wire::render::{self, JSON_CONTENT_TYPE};
use esl_wire::{ApiError, Params, Product};
use serde_json::Value;

use crate::AppState;
use std::sync::Arc;

/// The console's files, by name under `/_ess-local/console/`.
const FILES: &[(&str, &str, &str)] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../console/index.html"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../console/style.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../console/app.js"),
    ),
    (
        "api.js",
        "text/javascript; charset=utf-8",
        include_str!("../console/api.js"),
    ),
    (
        "ui.js",
        "text/javascript; charset=utf-8",
        include_str!("../console/ui.js"),
    ),
    (
        "pages.js",
        "text/javascript; charset=utf-8",
        include_str!("../console/pages.js"),
    ),
    (
        "groups.js",
        "text/javascript; charset=utf-8",
        include_str!("../console/groups.js"),
    ),
    (
        "databases.js",
        "text/javascript; charset=utf-8",
        include_str!("../console/databases.js"),
    ),
];

fn file(name: &str) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, text)) => (
            [
                ("content-type", *content_type),
                ("cache-control", "no-cache"),
            ],
            *text,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// `GET /` (a request with no Action): the console's page.
pub fn index() -> Response {
    file("index.html")
}

pub async fn asset(Path(name): Path<String>) -> Response {
    file(&name)
}

/// `GET /_ess-local/console/info`: what the page needs to know of the server (the account id, for
/// the ARNs a person types, e.g. a hook's OOS template).
pub async fn info(axum::extract::State(state): axum::extract::State<Arc<AppState>>) -> Response {
    let body = serde_json::json!({
        "AccountId": state.cloud.account_id,
        "Version": env!("CARGO_PKG_VERSION"),
    });
    ([("content-type", JSON_CONTENT_TYPE)], body.to_string()).into_response()
}

/// The product a console call names: a `Version` (`2022-02-22`), or a short `Product` name.
fn product_of(v: &Value) -> Result<Product, ApiError> {
    if let Some(version) = v.get("Version").and_then(Value::as_str) {
        return Product::from_version(version).ok_or_else(|| ApiError::no_such_version(version));
    }
    let name = v
        .get("Product")
        .and_then(Value::as_str)
        .ok_or_else(ApiError::missing_version)?;
    let version = match name.to_ascii_lowercase().as_str() {
        "ess" | "ess2022" => "2022-02-22",
        "ess2014" => "2014-08-28",
        "ecs" => "2014-05-26",
        "vpc" => "2016-04-28",
        "rds" => "2014-08-15",
        "polardb" => "2017-08-01",
        "dds" | "mongodb" => "2015-12-01",
        "adb" => "2019-03-15",
        "gpdb" => "2016-05-03",
        "kvstore" | "r-kvstore" | "redis" => "2015-01-01",
        "oos" => "2019-06-01",
        _ => return Err(ApiError::no_such_version(name)),
    };
    Product::from_version(version).ok_or_else(|| ApiError::no_such_version(version))
}

/// Flattens JSON parameters the way the SDKs put them on the wire: a list becomes `Name.1`,
/// `Name.2`, an object `Name.Field`, a scalar its text. (A parameter the API takes as a JSON
/// string is passed as a string.)
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Null => {}
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        Value::Bool(b) => out.push((prefix.to_string(), b.to_string())),
        Value::Number(n) => out.push((prefix.to_string(), n.to_string())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(&format!("{prefix}.{}", i + 1), item, out);
            }
        }
        Value::Object(fields) => {
            for (k, item) in fields {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&name, item, out);
            }
        }
    }
}

fn reply(status: u16, request_id: &str, body: Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", JSON_CONTENT_TYPE)
        .header("x-acs-request-id", request_id)
        .body(Body::from(body.to_string()))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Whether a call is JSON: a cross-site form cannot send that without a CORS preflight, which is
/// never granted (and `guard` refuses a foreign Origin before any route runs).
fn json_request(headers: &HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"))
}

/// `POST /_ess-local/console/call` with `{"Version" | "Product", "Action", "Parameters": {...}}`:
/// runs the action through `Cloud::dispatch` and answers with the body an SDK would get, errors
/// with the service's status, Code and Message.
pub async fn call(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = state.cloud.ids.uuid();
    if !json_request(&headers) {
        let e = ApiError::new(
            403,
            "Forbidden.ConsoleOrigin",
            "console calls must be JSON from the console's own origin",
        );
        return reply(403, &request_id, render::error_body(&e, &request_id, None));
    }
    let req: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            let e = ApiError::new(
                400,
                "InvalidParameter",
                "the body must be a JSON object {Version|Product, Action, Parameters}",
            );
            return reply(400, &request_id, render::error_body(&e, &request_id, None));
        }
    };
    let product = match product_of(&req) {
        Ok(p) => p,
        Err(e) => {
            return reply(
                e.status,
                &request_id,
                render::error_body(&e, &request_id, None),
            )
        }
    };
    let Some(action) = req
        .get("Action")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        let e = ApiError::missing_action();
        return reply(
            e.status,
            &request_id,
            render::error_body(&e, &request_id, Some(product)),
        );
    };
    let mut pairs = Vec::new();
    if let Some(p) = req.get("Parameters") {
        flatten("", p, &mut pairs);
    }
    let params = Params::from_pairs(pairs);
    let cloud = state.cloud.clone();
    let act = action.clone();
    let result = tokio::task::spawn_blocking(move || cloud.dispatch(product, &act, &params)).await;
    state.engine.kick();
    match result {
        Ok(Ok(v)) => reply(200, &request_id, render::success_body(&request_id, v)),
        Ok(Err(e)) => reply(
            e.status,
            &request_id,
            render::error_body(&e, &request_id, Some(product)),
        ),
        Err(_) => {
            let e = ApiError::internal();
            reply(
                e.status,
                &request_id,
                render::error_body(&e, &request_id, Some(product)),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn flatten_like_the_wire() {
        let mut out = Vec::new();
        super::flatten(
            "",
            &json!({"RegionId": "cn-hangzhou", "MinSize": 0, "ForceAttach": true,
                     "DBInstances": [{"DBInstanceId": "rm-1", "Type": "RDS"}],
                     "VSwitchIds": ["vsw-1", "vsw-2"], "Skip": null}),
            &mut out,
        );
        out.sort();
        assert_eq!(
            out,
            vec![
                ("DBInstances.1.DBInstanceId".to_string(), "rm-1".to_string()),
                ("DBInstances.1.Type".into(), "RDS".into()),
                ("ForceAttach".into(), "true".into()),
                ("MinSize".into(), "0".into()),
                ("RegionId".into(), "cn-hangzhou".into()),
                ("VSwitchIds.1".into(), "vsw-1".into()),
                ("VSwitchIds.2".into(), "vsw-2".into()),
            ]
        );
    }

    #[test]
    fn products_by_name_or_version() {
        use esl_wire::Product;
        let p = |v| super::product_of(&v).ok();
        assert_eq!(p(json!({"Product": "rds"})), Some(Product::Rds));
        assert_eq!(p(json!({"Version": "2014-08-28"})), Some(Product::Ess2014));
        assert_eq!(p(json!({"Product": "nope"})), None);
        assert_eq!(p(json!({})), None);
    }
}
