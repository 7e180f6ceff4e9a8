//! State and pending work survive a restart, with --data-dir and on PostgreSQL (when
//! ESS_LOCAL_TEST_DATABASE_URL is set, in a fresh schema): an RDS instance created before the
//! restart is still Creating after it, and becomes Running when its job comes due.

use esl_server::{build, App, Config};
use esl_wire::{Params, Product};
use serde_json::Value;

/// One action, on a blocking thread as the server runs it (PostgreSQL's client needs that).
async fn call(app: &App, product: Product, action: &str, params: &[(&str, &str)]) -> Value {
    let params = Params::from_pairs(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let cloud = app.cloud().clone();
    let act = action.to_string();
    tokio::task::spawn_blocking(move || cloud.dispatch(product, &act, &params))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{action}: {e}"))
}

async fn open(config: &Config) -> App {
    let config = config.clone();
    tokio::task::spawn_blocking(move || build(&config))
        .await
        .unwrap()
        .unwrap()
}

/// Stops a "process": its app and store go away (off the async threads).
async fn stop(app: App) {
    tokio::task::spawn_blocking(move || drop(app))
        .await
        .unwrap();
}

async fn status(app: &App, db: &str) -> String {
    let dbs = call(
        app,
        Product::Rds,
        "DescribeDBInstances",
        &[("RegionId", "cn-hangzhou"), ("DBInstanceId", db)],
    )
    .await;
    dbs["Items"]["DBInstance"][0]["DBInstanceStatus"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn state_and_due_work_survive_a_restart_on(config: Config, label: &str) {
    let (vpc, db, before) = {
        let app = open(&config).await;
        let vpc = call(
            &app,
            Product::Vpc,
            "CreateVpc",
            &[("RegionId", "cn-hangzhou"), ("CidrBlock", "10.0.0.0/16")],
        )
        .await;
        let vpc = vpc["VpcId"].as_str().unwrap().to_string();
        let vsw = call(
            &app,
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
        let db = call(
            &app,
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
                ("VPCId", &vpc),
                ("VSwitchId", &vsw),
            ],
        )
        .await;
        let before = app.engine().now().await;
        stop(app).await;
        (
            vpc,
            db["DBInstanceId"].as_str().unwrap().to_string(),
            before,
        )
    };

    let app = open(&config).await;
    assert_eq!(
        app.engine().now().await,
        before,
        "{label}: the virtual clock is remembered"
    );
    let vpcs = call(
        &app,
        Product::Vpc,
        "DescribeVpcs",
        &[("RegionId", "cn-hangzhou")],
    )
    .await;
    assert_eq!(
        vpcs["Vpcs"]["Vpc"][0]["VpcId"],
        Value::String(vpc),
        "{label}"
    );
    assert_eq!(status(&app, &db).await, "Creating", "{label}");
    app.engine().advance(2_999).await.unwrap();
    assert_eq!(status(&app, &db).await, "Creating", "{label}");
    app.engine().advance(1).await.unwrap();
    assert_eq!(status(&app, &db).await, "Running", "{label}");
    stop(app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn state_and_due_work_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("ess-local-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    state_and_due_work_survive_a_restart_on(
        Config {
            data_dir: Some(dir.clone()),
            virtual_clock: true,
            ..Config::default()
        },
        "sqlite file",
    )
    .await;
    std::fs::remove_dir_all(&dir).unwrap();

    match std::env::var("ESS_LOCAL_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        None => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "PostgreSQL restart test skipped: set ESS_LOCAL_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)"
            );
        }
        Some(url) => {
            let schema = format!(
                "esl_restart_test_{}_{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .subsec_nanos()
            );
            let sep = if url.contains('?') { '&' } else { '?' };
            let config = Config {
                database_url: Some(format!("{url}{sep}schema={schema}")),
                virtual_clock: true,
                ..Config::default()
            };
            state_and_due_work_survive_a_restart_on(config, "postgres").await;
            tokio::task::spawn_blocking(move || {
                let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .unwrap();
            })
            .await
            .unwrap();
        }
    }
}
