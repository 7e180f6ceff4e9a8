//! State and pending work survive a restart, with --data-dir and on PostgreSQL (when
//! ESS_LOCAL_TEST_DATABASE_URL is set, in a fresh schema): an RDS instance created before the
//! restart is still Creating after it, and becomes Running when its job comes due.

use esl_server::{App, Config};
use esl_wire::Product;
use serde_json::Value;

mod common;
use common::*;

async fn status(app: &App, db: &str) -> String {
    let dbs = call(
        app.cloud(),
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
        let (vpc, vsw) = network(app.cloud()).await;
        let db = create_rds(app.cloud(), &vpc, &vsw).await;
        let before = app.engine().now().await;
        close(app).await;
        (vpc, db, before)
    };

    let app = open(&config).await;
    assert_eq!(
        app.engine().now().await,
        before,
        "{label}: the virtual clock is remembered"
    );
    let vpcs = call(
        app.cloud(),
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
    close(app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn state_and_due_work_survive_a_restart() {
    let fresh = Fresh::sqlite();
    state_and_due_work_survive_a_restart_on(fresh.config(), "sqlite file").await;
    match pg_url() {
        None => say_pg_skipped("restart test"),
        Some(url) => {
            let fresh = Fresh::postgres(&url);
            state_and_due_work_survive_a_restart_on(fresh.config(), "postgres").await;
        }
    }
}
