//! POST /_ess-local/reset starts clean on every backend: documents, IP allocations, pending jobs
//! and metadata are gone (the schema version stays) and the virtual clock is back at its start.
//! PostgreSQL is included when ESS_LOCAL_TEST_DATABASE_URL is set (in a schema of its own).

use std::sync::Arc;

use esl_api::Cloud;
use esl_server::{admin_request, Config};
use esl_wire::Product;
use serde_json::Value;

mod common;
use common::*;

async fn vpc_count(cloud: &Arc<Cloud>) -> usize {
    let v = call(
        cloud,
        Product::Vpc,
        "DescribeVpcs",
        &[("RegionId", "cn-hangzhou")],
    )
    .await;
    v["Vpcs"]["Vpc"].as_array().map(Vec::len).unwrap_or(0)
}

async fn reset_starts_clean_on(config: Config, label: &str) {
    let app = open(&config).await;
    let cloud = app.cloud().clone();
    let engine = app.engine().clone();
    let start = engine.clock.start_ms();
    let (vpc, vsw) = network(&cloud).await;
    engine.advance(5_000).await.unwrap();
    // An RDS instance whose Creating -> Running job is still pending at the reset.
    create_rds(&cloud, &vpc, &vsw).await;
    assert_eq!(vpc_count(&cloud).await, 1, "{label}");
    assert_eq!(engine.now().await, start + 5_000, "{label}");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async {
        let _ = stopped.await;
    }));
    let (status, body) = admin_request(
        axum::http::Method::POST,
        &endpoint,
        "/_ess-local/reset",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{label}: {body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["Status"], "reset", "{label}");
    assert_eq!(
        v["NowMs"], start,
        "{label}: the virtual clock is back at its start"
    );

    assert_eq!(engine.now().await, start, "{label}");
    assert_eq!(vpc_count(&cloud).await, 0, "{label}: documents gone");
    let (jobs, version, ips) = {
        let store = engine.store.clone();
        tokio::task::spawn_blocking(move || {
            store.transact(|tx| -> Result<_, esl_store::StoreError> {
                Ok((
                    tx.next_due_time()?,
                    tx.meta_get("schema_version")?,
                    tx.count_ips(&vsw)?,
                ))
            })
        })
        .await
        .unwrap()
        .unwrap()
    };
    assert_eq!(jobs, None, "{label}: pending work gone");
    assert_eq!(ips, 0, "{label}: IP allocations gone");
    assert_eq!(
        version,
        Some(esl_store::SCHEMA_VERSION.to_string()),
        "{label}"
    );
    // Nothing is left to come due, and the cloud works as new.
    engine.advance(60_000).await.unwrap();
    let dbs = call(
        &cloud,
        Product::Rds,
        "DescribeDBInstances",
        &[("RegionId", "cn-hangzhou")],
    )
    .await;
    assert_eq!(
        dbs["Items"]["DBInstance"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0),
        0,
        "{label}"
    );
    call(
        &cloud,
        Product::Vpc,
        "CreateVpc",
        &[("RegionId", "cn-hangzhou"), ("CidrBlock", "10.0.0.0/16")],
    )
    .await;
    assert_eq!(vpc_count(&cloud).await, 1, "{label}");

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_starts_clean_on_every_backend() {
    reset_starts_clean_on(Config::default(), "sqlite memory").await;
    let fresh = Fresh::sqlite();
    reset_starts_clean_on(fresh.config(), "sqlite file").await;
    match pg_url() {
        None => say_pg_skipped("reset test"),
        Some(url) => {
            let fresh = Fresh::postgres(&url);
            reset_starts_clean_on(fresh.config(), "postgres").await;
        }
    }
}
