//! What the server's integration tests share: actions, building and dropping an app on blocking
//! threads, as the server runs them (PostgreSQL's client must not run on an async thread).
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use esl_api::Cloud;
use esl_server::state::StoreOptions;
use esl_server::{build, App, Config};
use esl_wire::{Params, Product};
use serde_json::Value;

/// Runs `f` on a blocking thread.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// One action through `Cloud::dispatch`; a refusal fails the test.
pub async fn call(
    cloud: &Arc<Cloud>,
    product: Product,
    action: &str,
    params: &[(&str, &str)],
) -> Value {
    let params = Params::from_pairs(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let cloud = cloud.clone();
    let act = action.to_string();
    blocking(move || cloud.dispatch(product, &act, &params))
        .await
        .unwrap_or_else(|e| panic!("{action}: {e}"))
}

/// Opens the store and builds the app ("starts a process").
pub async fn open(config: &Config) -> App {
    let config = config.clone();
    blocking(move || build(&config)).await.unwrap()
}

/// Drops the app and its store ("stops a process").
pub async fn close(app: App) {
    blocking(move || drop(app)).await;
}

/// A VPC 10.0.0.0/16 with a vSwitch 10.0.1.0/24: (vpc id, vswitch id).
pub async fn network(cloud: &Arc<Cloud>) -> (String, String) {
    let vpc = call(
        cloud,
        Product::Vpc,
        "CreateVpc",
        &[("RegionId", "cn-hangzhou"), ("CidrBlock", "10.0.0.0/16")],
    )
    .await;
    let vpc = vpc["VpcId"].as_str().unwrap().to_string();
    let vsw = call(
        cloud,
        Product::Vpc,
        "CreateVSwitch",
        &[
            ("RegionId", "cn-hangzhou"),
            ("VpcId", &vpc),
            ("ZoneId", "cn-hangzhou-h"),
            ("CidrBlock", "10.0.1.0/24"),
        ],
    )
    .await;
    let vsw = vsw["VSwitchId"].as_str().unwrap().to_string();
    (vpc, vsw)
}

/// CreateDBInstance of a MySQL instance in `vpc` / `vsw`: its id (Creating until its job runs).
pub async fn create_rds(cloud: &Arc<Cloud>, vpc: &str, vsw: &str) -> String {
    let db = call(
        cloud,
        Product::Rds,
        "CreateDBInstance",
        &[
            ("RegionId", "cn-hangzhou"),
            ("Engine", "MySQL"),
            ("EngineVersion", "8.0"),
            ("DBInstanceClass", "mysql.n2.medium.1"),
            ("DBInstanceStorage", "20"),
            ("DBInstanceNetType", "Intranet"),
            ("PayType", "Postpaid"),
            ("SecurityIPList", "127.0.0.1"),
            ("InstanceNetworkType", "VPC"),
            ("VPCId", vpc),
            ("VSwitchId", vsw),
        ],
    )
    .await;
    db["DBInstanceId"].as_str().unwrap().to_string()
}

pub fn unique(prefix: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    )
}

pub fn pg_url() -> Option<String> {
    std::env::var("ESS_LOCAL_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

pub fn say_pg_skipped(what: &str) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "PostgreSQL {what} skipped: set ESS_LOCAL_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)"
    );
}

/// A fresh store: a SQLite directory or a PostgreSQL schema, removed when dropped.
pub struct Fresh {
    pub label: &'static str,
    pub dir: Option<PathBuf>,
    pg: Option<(String, String)>,
}

impl Fresh {
    pub fn sqlite() -> Fresh {
        let dir = std::env::temp_dir().join(unique("ess-local-snapshot"));
        let _ = std::fs::remove_dir_all(&dir);
        Fresh {
            label: "sqlite",
            dir: Some(dir),
            pg: None,
        }
    }

    pub fn postgres(url: &str) -> Fresh {
        Fresh {
            label: "postgres",
            dir: None,
            pg: Some((url.to_string(), unique("esl_snapshot_test"))),
        }
    }

    pub fn database_url(&self) -> Option<String> {
        self.pg.as_ref().map(|(url, schema)| {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}schema={schema}")
        })
    }

    pub fn options(&self) -> StoreOptions {
        StoreOptions {
            data_dir: self.dir.clone(),
            database_url: self.database_url(),
        }
    }

    pub fn config(&self) -> Config {
        Config {
            data_dir: self.dir.clone(),
            database_url: self.database_url(),
            virtual_clock: true,
            ..Config::default()
        }
    }

    /// The CLI's store arguments.
    pub fn args(&self) -> Vec<String> {
        match (&self.dir, self.database_url()) {
            (Some(dir), _) => vec!["--data-dir".into(), dir.display().to_string()],
            (None, Some(url)) => vec!["--database-url".into(), url],
            (None, None) => vec![],
        }
    }
}

impl Drop for Fresh {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((url, schema)) = self.pg.take() {
            // The sync client must not run on an async thread.
            let _ = std::thread::spawn(move || {
                if let Ok(mut c) = postgres::Client::connect(&url, postgres::NoTls) {
                    let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
                }
            })
            .join();
        }
    }
}
