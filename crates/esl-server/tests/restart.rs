//! With --data-dir, state and pending work survive a restart: an RDS instance created before the
//! restart is still Creating after it, and becomes Running when its job comes due.

use esl_server::{build, Config};
use esl_wire::{Params, Product};
use serde_json::Value;

fn call(app: &esl_server::App, product: Product, action: &str, params: &[(&str, &str)]) -> Value {
    let params = Params::from_pairs(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    app.cloud()
        .dispatch(product, action, &params)
        .unwrap_or_else(|e| panic!("{action}: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn state_and_due_work_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("ess-local-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = Config {
        data_dir: Some(dir.clone()),
        virtual_clock: true,
        ..Config::default()
    };

    let (vpc, db, before) = {
        let app = build(&config).unwrap();
        let vpc = call(
            &app,
            Product::Vpc,
            "CreateVpc",
            &[("RegionId", "cn-hangzhou"), ("CidrBlock", "10.0.0.0/16")],
        );
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
        );
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
        );
        (
            vpc,
            db["DBInstanceId"].as_str().unwrap().to_string(),
            app.engine().clock.now_ms(),
        )
    };

    let app = build(&config).unwrap();
    assert_eq!(
        app.engine().clock.now_ms(),
        before,
        "the virtual clock is remembered"
    );
    let vpcs = call(
        &app,
        Product::Vpc,
        "DescribeVpcs",
        &[("RegionId", "cn-hangzhou")],
    );
    assert_eq!(vpcs["Vpcs"]["Vpc"][0]["VpcId"], Value::String(vpc));
    let status = |app: &esl_server::App| {
        let dbs = call(
            app,
            Product::Rds,
            "DescribeDBInstances",
            &[("RegionId", "cn-hangzhou"), ("DBInstanceId", &db)],
        );
        dbs["Items"]["DBInstance"][0]["DBInstanceStatus"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(status(&app), "Creating");
    app.engine().advance(2_999).await.unwrap();
    assert_eq!(status(&app), "Creating");
    app.engine().advance(1).await.unwrap();
    assert_eq!(status(&app), "Running");
    drop(app);
    std::fs::remove_dir_all(&dir).unwrap();
}
