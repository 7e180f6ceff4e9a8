//! The server: configuration, the axum app (the RPC endpoint every product shares, and the admin
//! routes under `/_ess-local/`), and the engine's background worker.

mod client;
mod console;
mod guard;
pub mod report;
pub mod state;

pub use client::{admin_get, admin_request};

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use esl_api::{Cloud, Jobs};
use esl_engine::{Clock, ClockMode, Engine, IdGen};
use esl_store::{SqliteBackend, Store};
use esl_wire::params::decode_form;
use esl_wire::render::{self, JSON_CONTENT_TYPE, XML_CONTENT_TYPE};
use esl_wire::sign::{self, SignedRequest, MAX_SKEW_SECONDS};
use esl_wire::{ApiError, Params, Product};

pub const DEFAULT_ACCOUNT_ID: &str = "1234567890123456";
pub const DEFAULT_ACCESS_KEY_ID: &str = "LTAI5tEssLocalDefaultKey";
pub const DEFAULT_ACCESS_KEY_SECRET: &str = "esslocal-default-secret-do-not-use-in-prod";

#[derive(Debug, Clone)]
pub struct Config {
    /// SQLite files under this directory (default: SQLite in memory).
    pub data_dir: Option<PathBuf>,
    /// A PostgreSQL URL instead of SQLite (`postgres://...`; see `esl_store::PostgresBackend`).
    pub database_url: Option<String>,
    pub virtual_clock: bool,
    pub seed: Option<u64>,
    pub account_id: String,
    pub access_key_id: String,
    pub access_key_secret: String,
    /// Overrides of the timing profile: `name=seconds` pairs separated by commas (see `timing`).
    pub timing: Option<String>,
    /// This node's name in its log lines and `GET /_ess-local/node` (default: `<host>-<pid>`).
    pub node_id: Option<String>,
}

/// Applies `instance-launch=2,instance-release=1,...` (seconds, fractions allowed) to a profile.
pub fn timing(spec: &str, t: &mut esl_api::Timing) -> anyhow::Result<()> {
    for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, secs) = pair
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("timing {pair:?}: expected name=seconds"))?;
        let ms = (secs
            .trim()
            .parse::<f64>()
            .map_err(|_| anyhow::anyhow!("timing {pair:?}: seconds must be a number"))?
            * 1000.0) as i64;
        if ms < 0 {
            anyhow::bail!("timing {pair:?}: seconds must not be negative");
        }
        let slot = match name.trim() {
            "instance-launch" => &mut t.instance_launch_ms,
            "instance-release" => &mut t.instance_release_ms,
            "instance-stop" => &mut t.instance_stop_ms,
            "instance-start" => &mut t.instance_start_ms,
            "db-create" => &mut t.db_create_ms,
            "db-delete" => &mut t.db_delete_ms,
            "health-check" => &mut t.health_check_ms,
            "oos-start" => &mut t.oos_start_ms,
            other => anyhow::bail!("timing: unknown step {other:?} (instance-launch, instance-release, instance-stop, instance-start, db-create, db-delete, health-check, oos-start)"),
        };
        *slot = ms;
    }
    Ok(())
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: None,
            database_url: None,
            virtual_clock: true,
            seed: None,
            account_id: DEFAULT_ACCOUNT_ID.into(),
            access_key_id: DEFAULT_ACCESS_KEY_ID.into(),
            access_key_secret: DEFAULT_ACCESS_KEY_SECRET.into(),
            timing: None,
            node_id: None,
        }
    }
}

struct AppState {
    cloud: Arc<Cloud>,
    engine: Arc<Engine>,
    credentials: HashMap<String, String>,
    nonces: Mutex<HashMap<String, i64>>,
}

/// A built server: the router plus the engine to run beside it.
pub struct App {
    state: Arc<AppState>,
}

impl Config {
    /// Where state lives, for the banner (no password).
    pub fn store_description(&self) -> String {
        match (&self.database_url, &self.data_dir) {
            (Some(url), _) => format!("postgres {}", esl_store::postgres::redact(url)),
            (None, Some(dir)) => format!("sqlite in {}", dir.display()),
            (None, None) => "sqlite in memory".into(),
        }
    }
}

/// The id generator's seed for this start. A store that outlives the process (--data-dir) counts
/// its starts, and every start after the first mixes the count into the seed: replaying the first
/// start's sequence would hand out ids that already name stored resources (and a save would then
/// overwrite them). A given seed and sequence of starts still gives the same ids.
fn boot_seed(store: &Store, seed: Option<u64>) -> anyhow::Result<Option<u64>> {
    let Some(seed) = seed else {
        return Ok(None);
    };
    let boots = store.transact(|tx| -> Result<u64, esl_store::StoreError> {
        let n = tx
            .meta_get("boots")?
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            + 1;
        tx.meta_set("boots", &n.to_string())?;
        Ok(n)
    })?;
    Ok(Some(if boots == 1 {
        seed
    } else {
        seed ^ boots.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }))
}

/// Takes `DIR/ess-local.lock` for as long as the returned file lives: one `--data-dir` serves one
/// process (SQLite's WAL would let a second open it, and two engines on one queue of due work,
/// each with its own virtual clock, would run it twice). `state import` takes it too.
pub fn lock_data_dir(dir: &std::path::Path) -> anyhow::Result<std::fs::File> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("ess-local.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another ess-local is using {} (it holds {}); stop it first",
            dir.display(),
            path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => Err(anyhow::anyhow!("{}: {e}", path.display())),
    }
}

/// Opens the configured store, migrating its schema. Blocking (see `build`).
pub fn open_store(config: &Config) -> anyhow::Result<Store> {
    Ok(match (&config.database_url, &config.data_dir) {
        (Some(_), Some(_)) => anyhow::bail!("give --database-url or --data-dir, not both"),
        (Some(url), None) => Store::postgres(url)
            .map_err(|e| anyhow::anyhow!("{}: {e}", esl_store::postgres::redact(url)))?,
        (None, Some(dir)) => Store::new(SqliteBackend::open_dir(dir)?),
        (None, None) => Store::memory()?,
    })
}

/// Opens the store (migrating its schema) and wires the cloud, the engine and the router
/// together. Blocking (it may connect to PostgreSQL): call it outside an async context, e.g. in
/// `tokio::task::spawn_blocking`.
pub fn build(config: &Config) -> anyhow::Result<App> {
    let store = open_store(config)?;
    let shared = config.database_url.is_some();
    let clock = match (config.virtual_clock, shared) {
        // Several nodes may share a PostgreSQL store: the virtual time is the stored one.
        (true, true) => Arc::new(Clock::shared(
            store.clone(),
            esl_engine::virtual_start(&store)?,
        )),
        (true, false) => Arc::new(Clock::new(
            ClockMode::Virtual,
            esl_engine::virtual_start(&store)?,
        )),
        (false, _) => Arc::new(Clock::new(ClockMode::Real, 0)),
    };
    let ids = Arc::new(IdGen::new(boot_seed(&store, config.seed)?));
    let mut cloud = Cloud::new(store.clone(), clock.clone(), ids, config.account_id.clone());
    if let Some(spec) = &config.timing {
        timing(spec, &mut cloud.timing)?;
    }
    let cloud = Arc::new(cloud);
    let node_id = config.node_id.clone().unwrap_or_else(default_node_id);
    // Alone on its store a node learns of all new work by a kick; sharing one, it must also look
    // for work other nodes enqueued, or left behind when they died.
    let poll = std::time::Duration::from_millis(if shared { 250 } else { 60_000 });
    let engine = Arc::new(
        Engine::new(
            store,
            clock,
            Arc::new(Jobs {
                cloud: cloud.clone(),
            }),
        )
        .with_node(node_id, poll),
    );
    let credentials = HashMap::from([(
        config.access_key_id.clone(),
        config.access_key_secret.clone(),
    )]);
    Ok(App {
        state: Arc::new(AppState {
            cloud,
            engine,
            credentials,
            nonces: Mutex::new(HashMap::new()),
        }),
    })
}

/// `<hostname>-<pid>`: unique among the nodes of one machine, readable in logs.
fn default_node_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into());
    format!("{host}-{}", std::process::id())
}

impl App {
    pub fn cloud(&self) -> &Arc<Cloud> {
        &self.state.cloud
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.state.engine
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/_ess-local/health", get(health))
            .route("/_ess-local/node", get(node))
            .route("/_ess-local/clock", get(clock_now))
            .route("/_ess-local/clock/advance", post(clock_advance))
            .route("/_ess-local/access", get(access))
            .route("/_ess-local/console/call", post(console::call))
            .route("/_ess-local/console/info", get(console::info))
            .route("/_ess-local/console/{name}", get(console::asset))
            .route("/_ess-local/reset", post(reset))
            .fallback(rpc)
            .with_state(self.state.clone())
            .layer(axum::middleware::from_fn(guard::browser_guard))
    }

    /// Serves on `listener` with the engine's worker beside it, until `shutdown` resolves.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(self.state.engine.clone().work(stop_rx));
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await?;
        let _ = stop_tx.send(true);
        let _ = worker.await;
        Ok(())
    }
}

async fn health() -> impl IntoResponse {
    ([("content-type", JSON_CONTENT_TYPE)], "{\"Status\":\"ok\"}")
}

/// `GET /_ess-local/node`: which node answered and what its job runner has done since it
/// started (several nodes may share one store; each counts only the jobs it committed).
async fn node(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let stats = state.engine.stats();
    let v = serde_json::json!({
        "NodeId": state.engine.node_id(),
        "Pid": std::process::id(),
        "JobsRun": stats.jobs_run,
        "JobsFailed": stats.jobs_failed,
        "JobsByKind": stats.by_kind,
    });
    ([("content-type", JSON_CONTENT_TYPE)], v.to_string())
}

fn time_json(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms / 1000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let now = t
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    serde_json::json!({"Now": now, "NowMs": ms}).to_string()
}

async fn clock_now(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let mode = if state.engine.clock.mode() == ClockMode::Virtual {
        "virtual"
    } else {
        "real"
    };
    let mut v: serde_json::Value =
        serde_json::from_str(&time_json(state.engine.now().await)).unwrap_or_default();
    v["Mode"] = mode.into();
    ([("content-type", JSON_CONTENT_TYPE)], v.to_string())
}

async fn clock_advance(
    State(state): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let seconds = q
        .get("seconds")
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s >= 0.0);
    let Some(seconds) = seconds else {
        return (
            StatusCode::BAD_REQUEST,
            [("content-type", JSON_CONTENT_TYPE)],
            "{\"Code\":\"InvalidParameter\",\"Message\":\"seconds must be a non-negative number\"}",
        )
            .into_response();
    };
    match state.engine.advance((seconds * 1000.0) as i64).await {
        Ok(now) => ([("content-type", JSON_CONTENT_TYPE)], time_json(now)).into_response(),
        Err(e) => {
            let status = match e {
                esl_engine::EngineError::NotVirtual => StatusCode::BAD_REQUEST,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (
                status,
                [("content-type", JSON_CONTENT_TYPE)],
                serde_json::json!({"Code": "ClockNotVirtual", "Message": e.to_string()})
                    .to_string(),
            )
                .into_response()
        }
    }
}

/// `POST /_ess-local/reset`: start clean (see `Engine::reset`).
async fn reset(State(state): State<Arc<AppState>>) -> Response {
    match state.engine.reset().await {
        Ok(now) => {
            let mut v: serde_json::Value =
                serde_json::from_str(&time_json(now)).unwrap_or_default();
            v["Status"] = "reset".into();
            ([("content-type", JSON_CONTENT_TYPE)], v.to_string()).into_response()
        }
        Err(e) => admin_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            &e.to_string(),
        ),
    }
}

fn admin_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        [("content-type", JSON_CONTENT_TYPE)],
        serde_json::json!({"Code": code, "Message": message}).to_string(),
    )
        .into_response()
}

/// `GET /_ess-local/access?from=<instance>&to=<database>[&port=N]`: can the instance reach the
/// database, and why. With `group=<scaling group>` instead of `from` (and `to` optional, a comma
/// list), the matrix of the group's instances against its associated databases.
async fn access(
    State(state): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let port = match q.get("port").map(|p| p.parse::<u16>()) {
        None => None,
        Some(Ok(p)) => Some(p),
        Some(Err(_)) => {
            return admin_error(
                StatusCode::BAD_REQUEST,
                "InvalidParameter",
                "port must be a number from 0 to 65535",
            )
        }
    };
    let to: Vec<String> = q
        .get("to")
        .map(|t| {
            t.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let cloud = state.cloud.clone();
    // Store calls run on a blocking thread (the PostgreSQL client must not block async code).
    let result = match (q.get("from").cloned(), q.get("group").cloned()) {
        (Some(from), None) if to.len() == 1 => {
            tokio::task::spawn_blocking(move || {
                esl_api::access::explain(&cloud, &from, &to[0], port)
            })
            .await
        }
        (None, Some(group)) => {
            tokio::task::spawn_blocking(move || esl_api::access::matrix(&cloud, &group, &to, port))
                .await
        }
        _ => {
            return admin_error(
                StatusCode::BAD_REQUEST,
                "MissingParameter",
                "give from=<instance id>&to=<database id>, or group=<scaling group id>",
            )
        }
    };
    let Ok(result) = result else {
        return admin_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "the access check did not finish",
        );
    };
    match result {
        Ok(v) => ([("content-type", JSON_CONTENT_TYPE)], v.to_string()).into_response(),
        Err(e) => admin_error(
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            &e.code,
            &e.message,
        ),
    }
}

fn header_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect()
}

/// Verifies the signature and remembers the nonce (only of a request that verified).
fn authenticate(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
    query: &[(String, String)],
    form: &[(String, String)],
) -> Result<(), ApiError> {
    let header = |name: &str| header_values(headers, name);
    let signed = SignedRequest {
        method: method.as_str(),
        path: uri.path(),
        query,
        form,
        header: &header,
        body,
    };
    let now = state.engine.clock.wall_secs();
    let mut nonces = state.nonces.lock().unwrap_or_else(|p| p.into_inner());
    let verified = sign::verify(
        &signed,
        &|ak| state.credentials.get(ak).cloned(),
        now,
        &|nonce| nonces.get(nonce).is_some_and(|exp| *exp > now),
    )?;
    if nonces.len() > 100_000 {
        nonces.retain(|_, exp| *exp > now);
    }
    nonces.insert(verified.nonce, now + 2 * MAX_SKEW_SECONDS);
    Ok(())
}

struct Outcome {
    status: u16,
    body: String,
    xml: bool,
}

async fn rpc(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if is_console_page(&method, &uri, &headers) {
        return console::index();
    }
    let request_id = state.cloud.ids.uuid();
    let outcome = handle(&state, &request_id, &method, &uri, &headers, &body).await;
    let content_type = if outcome.xml {
        XML_CONTENT_TYPE
    } else {
        JSON_CONTENT_TYPE
    };
    Response::builder()
        .status(outcome.status)
        .header("content-type", content_type)
        .header("x-acs-request-id", request_id)
        .body(Body::from(outcome.body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// `GET /` with no Action (in the query or the V3 `x-acs-action` header) and no signature is a
/// person opening the console, not an SDK call.
fn is_console_page(method: &Method, uri: &Uri, headers: &HeaderMap) -> bool {
    method == Method::GET
        && uri.path() == "/"
        && !decode_form(uri.query().unwrap_or(""))
            .iter()
            .any(|(k, _)| k == "Action" || k == "Signature")
        && !headers.contains_key("x-acs-action")
        && !headers.contains_key("authorization")
}

async fn handle(
    state: &Arc<AppState>,
    request_id: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Outcome {
    let query = decode_form(uri.query().unwrap_or(""));
    let is_form = header_values(headers, "content-type")
        .iter()
        .any(|c| c.starts_with("application/x-www-form-urlencoded"));
    let form = if is_form {
        decode_form(&String::from_utf8_lossy(body))
    } else {
        Vec::new()
    };
    let params = Params::from_pairs(query.iter().chain(form.iter()).cloned());
    let xml = params
        .str("Format")
        .is_some_and(|f| f.eq_ignore_ascii_case("xml"));
    let action = params
        .string("Action")
        .or_else(|| header_values(headers, "x-acs-action").into_iter().next());
    let version = params
        .string("Version")
        .or_else(|| header_values(headers, "x-acs-version").into_iter().next());
    let product = version.as_deref().and_then(Product::from_version);
    let fail = |e: ApiError| {
        let v = render::error_body(&e, request_id, product);
        Outcome {
            status: e.status,
            body: if xml {
                render::xml("Error", &v)
            } else {
                v.to_string()
            },
            xml,
        }
    };
    // The signature first: nothing is looked at on behalf of an unauthenticated caller.
    if let Err(e) = authenticate(state, method, uri, headers, body, &query, &form) {
        return fail(e);
    }
    let Some(action) = action else {
        return fail(ApiError::missing_action());
    };
    let Some(version) = version else {
        return fail(ApiError::missing_version());
    };
    let Some(product) = product else {
        return fail(ApiError::no_such_version(&version));
    };
    let cloud = state.cloud.clone();
    let act = action.clone();
    let result = tokio::task::spawn_blocking(move || cloud.dispatch(product, &act, &params)).await;
    state.engine.kick();
    match result {
        Ok(Ok(v)) => {
            let body = render::success_body(request_id, v);
            Outcome {
                status: 200,
                body: if xml {
                    render::xml(&format!("{action}Response"), &body)
                } else {
                    body.to_string()
                },
                xml,
            }
        }
        Ok(Err(e)) => fail(e),
        Err(_) => fail(ApiError::internal()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn timing_overrides() {
        let mut t = esl_api::Timing::default();
        super::timing("instance-launch=30, db-create=0.5", &mut t).unwrap();
        assert_eq!(
            (t.instance_launch_ms, t.db_create_ms, t.instance_release_ms),
            (30_000, 500, 1_000)
        );
        assert!(super::timing("warp=1", &mut t).is_err());
        assert!(super::timing("db-create=-1", &mut t).is_err());
    }
}
