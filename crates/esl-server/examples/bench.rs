//! Benchmark (prints figures; asserts nothing): a 999-instance scale-out into a group associated
//! with 5 RDS instances on the virtual clock (999 because the `default` group's 127.0.0.1 takes one
//! of the 1,000 entries), then in-process dispatch throughput of DescribeScalingGroups.
//!
//!     cargo run --release -p esl-server --example bench

use std::time::Instant;

use esl_server::{build, App, Config};
use esl_wire::{Params, Product};
use serde_json::Value;

fn call(app: &App, product: Product, action: &str, params: &[(&str, &str)]) -> Value {
    let params = Params::from_pairs(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    app.cloud()
        .dispatch(product, action, &params)
        .unwrap_or_else(|e| panic!("{action}: {e}"))
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap().to_string()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let app = build(&Config {
        virtual_clock: true,
        seed: Some(1),
        ..Config::default()
    })
    .unwrap();
    let r = ("RegionId", "cn-hangzhou");
    let vpc = s(
        &call(
            &app,
            Product::Vpc,
            "CreateVpc",
            &[r, ("CidrBlock", "10.0.0.0/16")],
        ),
        "VpcId",
    );
    let vsw = s(
        &call(
            &app,
            Product::Vpc,
            "CreateVSwitch",
            &[
                r,
                ("VpcId", &vpc),
                ("ZoneId", "cn-hangzhou-h"),
                ("CidrBlock", "10.0.0.0/20"),
            ],
        ),
        "VSwitchId",
    );
    let sg = s(
        &call(
            &app,
            Product::Ecs,
            "CreateSecurityGroup",
            &[r, ("VpcId", &vpc)],
        ),
        "SecurityGroupId",
    );
    let mut dbs = Vec::new();
    for _ in 0..5 {
        let db = call(
            &app,
            Product::Rds,
            "CreateDBInstance",
            &[
                r,
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
        dbs.push(s(&db, "DBInstanceId"));
    }
    app.engine().advance(10_000).await.unwrap();
    let db_json = serde_json::to_string(&dbs).unwrap();
    let group = s(
        &call(
            &app,
            Product::Ess2022,
            "CreateScalingGroup",
            &[
                r,
                ("MinSize", "0"),
                ("MaxSize", "1000"),
                ("VSwitchIds.1", &vsw),
                ("DBInstanceIds", &db_json),
            ],
        ),
        "ScalingGroupId",
    );
    call(
        &app,
        Product::Ess2022,
        "CreateScalingConfiguration",
        &[
            ("ScalingGroupId", &group),
            ("ImageId", "img"),
            ("InstanceType", "ecs.g7.large"),
            ("SecurityGroupId", &sg),
        ],
    );
    call(
        &app,
        Product::Ess2022,
        "EnableScalingGroup",
        &[("ScalingGroupId", &group)],
    );
    let rule = call(
        &app,
        Product::Ess2022,
        "CreateScalingRule",
        &[
            ("ScalingGroupId", &group),
            ("AdjustmentType", "TotalCapacity"),
            ("AdjustmentValue", "999"),
        ],
    );

    let start = Instant::now();
    call(
        &app,
        Product::Ess2022,
        "ExecuteScalingRule",
        &[("ScalingRuleAri", &s(&rule, "ScalingRuleAri"))],
    );
    let called = start.elapsed();
    app.engine().advance(10_000).await.unwrap();
    let total = start.elapsed();
    let groups = call(
        &app,
        Product::Ess2022,
        "DescribeScalingGroups",
        &[r, ("ScalingGroupIds.1", &group)],
    );
    let in_service = groups["ScalingGroups"][0]["ActiveCapacity"]
        .as_i64()
        .unwrap();
    let mut whitelist_sizes = Vec::new();
    for db in &dbs {
        let l = call(
            &app,
            Product::Rds,
            "DescribeDBInstanceIPArrayList",
            &[("DBInstanceId", db)],
        );
        whitelist_sizes.push(
            l["Items"]["DBInstanceIPArray"][0]["SecurityIPList"]
                .as_str()
                .unwrap()
                .split(',')
                .count(),
        );
    }
    println!("scale-out of 999 instances into a group with 5 RDS whitelists (virtual clock):");
    println!(
        "  ExecuteScalingRule call (instances Pending, IPs whitelisted): {:.1} ms",
        called.as_secs_f64() * 1e3
    );
    println!(
        "  until every instance InService and the activity Successful:  {:.1} ms",
        total.as_secs_f64() * 1e3
    );
    println!("  InService: {in_service}; entries per whitelist: {whitelist_sizes:?}");

    let n = 20_000;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let cloud = app.cloud().clone();
        let group = group.clone();
        tasks.push(tokio::task::spawn_blocking(move || {
            let p = Params::from_pairs([
                ("RegionId", "cn-hangzhou"),
                ("ScalingGroupIds.1", group.as_str()),
                ("PageSize", "1"),
            ]);
            let p2 = Params::from_pairs([("RegionId", "cn-hangzhou"), ("DBInstanceId", "rm-none")]);
            for i in 0..n / 2 {
                if i % 2 == 0 {
                    cloud
                        .dispatch(Product::Ess2022, "DescribeScalingRules", &p)
                        .unwrap();
                } else {
                    let _ = cloud.dispatch(Product::Rds, "DescribeDBInstances", &p2);
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    println!("in-process dispatch (validate, transaction, shape), 2 threads: {n} calls in {:.2} s = {:.0} calls/s, {:.1} µs/call", secs, n as f64 / secs, secs * 1e6 / n as f64 * 2.0);

    let start = Instant::now();
    let describes = 200;
    for _ in 0..describes {
        call(
            &app,
            Product::Ess2022,
            "DescribeScalingGroups",
            &[r, ("ScalingGroupIds.1", &group)],
        );
    }
    println!(
        "DescribeScalingGroups of the 999-instance group: {:.2} ms per call",
        start.elapsed().as_secs_f64() * 1e3 / describes as f64
    );
}
