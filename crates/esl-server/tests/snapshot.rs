//! `ess-local state export` / `state import` (docs/state-format.md): state built through the
//! actions moves to a fresh store of the other backend (SQLite file <-> PostgreSQL when
//! ESS_LOCAL_TEST_DATABASE_URL is set, each in a fresh schema) with every describe answering the
//! same and the pending work still running; the CLI end to end; a too-new snapshot refused; the
//! hand-written version 1 fixture (tests/fixtures/state-v1.json) still loads.

use std::path::{Path, PathBuf};

use esl_server::state::{export_to, import_from};
use esl_server::App;
use esl_wire::Product;
use serde_json::Value;

mod common;
use common::*;

const R: (&str, &str) = ("RegionId", "cn-hangzhou");

fn s(v: &Value, k: &str) -> String {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k} in {v}"))
        .to_string()
}

/// What the workload left, for the describes after the move.
struct Built {
    db_running: String,
    db_creating: String,
    group: String,
}

/// A VPC, vSwitch and security group; an RDS instance (Running) associated with a scaling group
/// whose scale-out of 2 instances is in progress (launch jobs pending); a second RDS instance still
/// Creating (its job pending).
async fn build_state(app: &App) -> Built {
    let cloud = app.cloud().clone();
    let vpc = s(
        &call(
            &cloud,
            Product::Vpc,
            "CreateVpc",
            &[R, ("CidrBlock", "10.0.0.0/16")],
        )
        .await,
        "VpcId",
    );
    let vsw = s(
        &call(
            &cloud,
            Product::Vpc,
            "CreateVSwitch",
            &[
                R,
                ("VpcId", &vpc),
                ("ZoneId", "cn-hangzhou-h"),
                ("CidrBlock", "10.0.1.0/24"),
            ],
        )
        .await,
        "VSwitchId",
    );
    let sg = s(
        &call(
            &cloud,
            Product::Ecs,
            "CreateSecurityGroup",
            &[R, ("VpcId", &vpc)],
        )
        .await,
        "SecurityGroupId",
    );
    let create_db = |vpc: String, vsw: String| {
        let cloud = cloud.clone();
        async move {
            s(
                &call(
                    &cloud,
                    Product::Rds,
                    "CreateDBInstance",
                    &[
                        R,
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
                .await,
                "DBInstanceId",
            )
        }
    };
    let db_running = create_db(vpc.clone(), vsw.clone()).await;
    app.engine().advance(10_000).await.unwrap();
    let dbs = serde_json::to_string(&[&db_running]).unwrap();
    let group = s(
        &call(
            &cloud,
            Product::Ess2022,
            "CreateScalingGroup",
            &[
                R,
                ("MinSize", "0"),
                ("MaxSize", "5"),
                ("VSwitchIds.1", &vsw),
                ("DBInstanceIds", &dbs),
            ],
        )
        .await,
        "ScalingGroupId",
    );
    call(
        &cloud,
        Product::Ess2022,
        "CreateScalingConfiguration",
        &[
            ("ScalingGroupId", &group),
            ("ImageId", "ubuntu_22_04_x64_20G_alibase_20240101.vhd"),
            ("InstanceType", "ecs.g7.large"),
            ("SecurityGroupId", &sg),
        ],
    )
    .await;
    call(
        &cloud,
        Product::Ess2022,
        "EnableScalingGroup",
        &[("ScalingGroupId", &group)],
    )
    .await;
    let rule = call(
        &cloud,
        Product::Ess2022,
        "CreateScalingRule",
        &[
            ("ScalingGroupId", &group),
            ("AdjustmentType", "QuantityChangeInCapacity"),
            ("AdjustmentValue", "2"),
        ],
    )
    .await;
    call(
        &cloud,
        Product::Ess2022,
        "ExecuteScalingRule",
        &[("ScalingRuleAri", &s(&rule, "ScalingRuleAri"))],
    )
    .await;
    let db_creating = create_db(vpc, vsw).await;
    Built {
        db_running,
        db_creating,
        group,
    }
}

/// Every describe the workload's state shows in.
async fn describes(app: &App, b: &Built) -> Vec<(String, Value)> {
    let cloud = app.cloud().clone();
    let g = ("ScalingGroupId", b.group.as_str());
    let mut out = Vec::new();
    for (product, action, params) in [
        (Product::Vpc, "DescribeVpcs", vec![R]),
        (Product::Vpc, "DescribeVSwitches", vec![R]),
        (Product::Ecs, "DescribeSecurityGroups", vec![R]),
        (Product::Ecs, "DescribeInstances", vec![R]),
        (Product::Rds, "DescribeDBInstances", vec![R]),
        (
            Product::Rds,
            "DescribeDBInstanceIPArrayList",
            vec![("DBInstanceId", b.db_running.as_str())],
        ),
        (
            Product::Ess2022,
            "DescribeScalingGroups",
            vec![R, ("ScalingGroupIds.1", b.group.as_str())],
        ),
        (Product::Ess2022, "DescribeScalingInstances", vec![R, g]),
        (Product::Ess2022, "DescribeScalingActivities", vec![R, g]),
        (
            Product::Ess2022,
            "DescribeScalingConfigurations",
            vec![R, g],
        ),
        (Product::Ess2022, "DescribeScalingRules", vec![R, g]),
    ] {
        out.push((
            action.to_string(),
            call(&cloud, product, action, &params).await,
        ));
    }
    out
}

async fn whitelist(app: &App, db: &str) -> Vec<String> {
    let v = call(
        app.cloud(),
        Product::Rds,
        "DescribeDBInstanceIPArrayList",
        &[("DBInstanceId", db)],
    )
    .await;
    s(&v["Items"]["DBInstanceIPArray"][0], "SecurityIPList")
        .split(',')
        .map(str::to_string)
        .collect()
}

async fn db_status(app: &App, db: &str) -> String {
    let v = call(
        app.cloud(),
        Product::Rds,
        "DescribeDBInstances",
        &[R, ("DBInstanceId", db)],
    )
    .await;
    s(&v["Items"]["DBInstance"][0], "DBInstanceStatus")
}

/// Builds the workload on `from`, exports it, imports it into `to`, and checks the describes and
/// the pending work there.
async fn moves(from: &Fresh, to: &Fresh) {
    let label = format!("{} -> {}", from.label, to.label);
    let app = open(&from.config()).await;
    let built = build_state(&app).await;
    let before = describes(&app, &built).await;
    let now = app.engine().now().await;
    let instances = before
        .iter()
        .find(|(a, _)| a == "DescribeScalingInstances")
        .unwrap()
        .1["ScalingInstances"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(instances.len(), 2, "{label}");
    assert!(
        instances.iter().all(|i| i["LifecycleState"] == "Pending"),
        "{label}: the launch is still pending at the export: {instances:?}"
    );
    let acts = &before
        .iter()
        .find(|(a, _)| a == "DescribeScalingActivities")
        .unwrap()
        .1["ScalingActivities"];
    assert_eq!(
        acts[0]["StatusCode"], "InProgress",
        "{label}: the activity is in progress at the export: {acts}"
    );
    close(app).await;

    let file = std::env::temp_dir().join(format!("{}.json", unique("ess-local-state")));
    let (opts, f) = (from.options(), file.clone());
    let exported = blocking(move || export_to(&opts, &f)).await.unwrap();
    assert!(exported.resources > 8, "{label}: {exported:?}");
    assert_eq!(exported.ip_allocations, 2, "{label}");
    assert!(exported.jobs >= 2, "{label}: {exported:?}");
    let (opts, f) = (to.options(), file.clone());
    let imported = blocking(move || import_from(&opts, &f, false))
        .await
        .unwrap();
    assert_eq!(imported, exported, "{label}");

    let app = open(&to.config()).await;
    assert_eq!(
        app.engine().now().await,
        now,
        "{label}: the virtual clock moved with the state"
    );
    let after = describes(&app, &built).await;
    for ((action, a), (_, b)) in before.iter().zip(after.iter()) {
        assert_eq!(a, b, "{label}: {action} answers the same after the move");
    }
    // The same state, exported again from the new store, is the same snapshot (jobs renumbered).
    close(app).await;
    let (opts, f) = (to.options(), file.with_extension("again.json"));
    blocking(move || export_to(&opts, &f)).await.unwrap();
    let first = esl_store::snapshot::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let again = esl_store::snapshot::parse(
        &std::fs::read_to_string(file.with_extension("again.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(first.resources, again.resources, "{label}");
    assert_eq!(first.ip_allocations, again.ip_allocations, "{label}");
    assert_eq!(first.meta, again.meta, "{label}");
    let jobs = |s: &esl_store::snapshot::Snapshot| {
        s.jobs
            .iter()
            .map(|j| (j.due_ms, j.kind.clone(), j.payload.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(jobs(&first), jobs(&again), "{label}");
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(file.with_extension("again.json"));

    // The pending work runs in the new store: the instances launch, the activity succeeds, the
    // whitelist holds their IPs, the second database finishes creating.
    let app = open(&to.config()).await;
    assert_eq!(
        db_status(&app, &built.db_creating).await,
        "Creating",
        "{label}"
    );
    app.engine().advance(10_000).await.unwrap();
    let cloud = app.cloud().clone();
    let inst = call(
        &cloud,
        Product::Ess2022,
        "DescribeScalingInstances",
        &[R, ("ScalingGroupId", &built.group)],
    )
    .await;
    let inst = inst["ScalingInstances"].as_array().unwrap();
    assert_eq!(inst.len(), 2, "{label}");
    assert!(
        inst.iter().all(|i| i["LifecycleState"] == "InService"),
        "{label}: {inst:?}"
    );
    let acts = call(
        &cloud,
        Product::Ess2022,
        "DescribeScalingActivities",
        &[R, ("ScalingGroupId", &built.group)],
    )
    .await;
    let acts = acts["ScalingActivities"].as_array().unwrap();
    assert!(!acts.is_empty(), "{label}");
    assert!(
        acts.iter().all(|a| a["StatusCode"] == "Successful"),
        "{label}: {acts:?}"
    );
    let ips = whitelist(&app, &built.db_running).await;
    for i in inst {
        let ecs = call(
            &cloud,
            Product::Ecs,
            "DescribeInstances",
            &[R, ("InstanceIds", &format!("[\"{}\"]", s(i, "InstanceId")))],
        )
        .await;
        let ip = ecs["Instances"]["Instance"][0]["VpcAttributes"]["PrivateIpAddress"]["IpAddress"]
            [0]
        .as_str()
        .unwrap_or_else(|| panic!("{ecs}"))
        .to_string();
        assert!(ips.contains(&ip), "{label}: {ip} in {ips:?}");
    }
    assert_eq!(
        db_status(&app, &built.db_creating).await,
        "Running",
        "{label}"
    );
    close(app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn state_moves_to_the_other_backend_and_its_pending_work_still_runs() {
    match pg_url() {
        Some(url) => {
            moves(&Fresh::sqlite(), &Fresh::postgres(&url)).await;
            moves(&Fresh::postgres(&url), &Fresh::sqlite()).await;
        }
        None => {
            say_pg_skipped("half of the snapshot test (SQLite <-> PostgreSQL)");
            moves(&Fresh::sqlite(), &Fresh::sqlite()).await;
        }
    }
}

fn cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ess-local"))
        .args(args)
        .env_remove("ESS_LOCAL_DATABASE_URL")
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap()
}

fn cli_ok(args: &[&str]) -> String {
    let out = cli(args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "ess-local {args:?}: {stderr}");
    stderr
}

fn cli_err(args: &[&str]) -> String {
    let out = cli(args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "ess-local {args:?} should fail");
    stderr
}

fn with<'a>(args: &[&'a str], store: &'a [String]) -> Vec<&'a str> {
    args.iter()
        .copied()
        .chain(store.iter().map(String::as_str))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_exports_and_imports_and_refuses_what_it_cannot_do() {
    let from = Fresh::sqlite();
    let app = open(&from.config()).await;
    let built = build_state(&app).await;
    let before = describes(&app, &built).await;
    close(app).await;
    let file = std::env::temp_dir().join(format!("{}.json", unique("ess-local-cli")));
    let f = file.display().to_string();

    let said = cli_ok(&with(&["state", "export", &f], &from.args()));
    assert!(
        said.contains("exported") && said.contains("pending jobs"),
        "{said}"
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(v["format"], "ess-local-state");
    assert_eq!(v["version"], esl_store::snapshot::VERSION);
    assert_eq!(v["schema_version"], esl_store::SCHEMA_VERSION);
    assert!(v["resources"][0]["doc"].is_object());

    // No store given: the in-memory default is refused.
    let e = cli_err(&["state", "export", &f]);
    assert!(e.contains("--data-dir DIR or --database-url URL"), "{e}");
    let e = cli_err(&["state", "import", &f]);
    assert!(e.contains("--data-dir DIR or --database-url URL"), "{e}");
    // A directory with no store in it is not exported (nor created).
    let empty = Fresh::sqlite();
    let e = cli_err(&with(&["state", "export", &f], &empty.args()));
    assert!(e.contains("no ess-local store in"), "{e}");
    assert!(!empty.dir.as_ref().unwrap().exists());

    let mut targets = vec![Fresh::sqlite()];
    match pg_url() {
        Some(url) => targets.push(Fresh::postgres(&url)),
        None => say_pg_skipped("CLI import"),
    }
    for to in &targets {
        let label = to.label;
        let said = cli_ok(&with(&["state", "import", &f], &to.args()));
        assert!(said.contains("imported"), "{label}: {said}");
        // Not into a store that holds state, unless --replace.
        let e = cli_err(&with(&["state", "import", &f], &to.args()));
        assert!(
            e.contains("is not empty") && e.contains("--replace"),
            "{label}: {e}"
        );
        cli_ok(&with(&["state", "import", "--replace", &f], &to.args()));
        let app = open(&to.config()).await;
        let after = describes(&app, &built).await;
        for ((action, a), (_, b)) in before.iter().zip(after.iter()) {
            assert_eq!(a, b, "{label}: {action}");
        }
        close(app).await;
        // Export to standard output gives the same state.
        let out = cli(&with(&["state", "export", "-"], &to.args()));
        assert!(out.status.success(), "{label}");
        let back = esl_store::snapshot::parse(&String::from_utf8_lossy(&out.stdout)).unwrap();
        assert_eq!(
            back.resources.len(),
            v["resources"].as_array().unwrap().len()
        );
    }

    // A snapshot of a newer format is refused with a clear message, and changes nothing.
    let mut newer = v.clone();
    newer["version"] = (esl_store::snapshot::VERSION + 1).into();
    let newer_file = file.with_extension("newer.json");
    std::fs::write(&newer_file, newer.to_string()).unwrap();
    let target = Fresh::sqlite();
    let e = cli_err(&with(
        &["state", "import", &newer_file.display().to_string()],
        &target.args(),
    ));
    assert!(
        e.contains("newer than this ess-local reads") && e.contains("a newer ess-local"),
        "{e}"
    );
    assert!(
        !target.dir.as_ref().unwrap().exists(),
        "nothing was created"
    );
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(&newer_file);
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_version_1_snapshot_written_by_hand_still_loads_and_runs() {
    // Never edit tests/fixtures/state-v1.json: it stands for every version 1 file users keep.
    // When the format moves to version 2, this test keeps passing through the upgrade step.
    let to = Fresh::sqlite();
    let (opts, f) = (to.options(), fixture("state-v1.json"));
    let counts = blocking(move || import_from(&opts, &f, false))
        .await
        .unwrap();
    assert_eq!(
        (counts.resources, counts.ip_allocations, counts.jobs),
        (3, 0, 1)
    );
    let app = open(&to.config()).await;
    assert_eq!(app.engine().now().await, 1_700_000_000_000);
    let cloud = app.cloud().clone();
    let vpcs = call(&cloud, Product::Vpc, "DescribeVpcs", &[R]).await;
    assert_eq!(vpcs["Vpcs"]["Vpc"][0]["VpcId"], "vpc-fixture0000000000001");
    assert_eq!(vpcs["Vpcs"]["Vpc"][0]["CidrBlock"], "10.0.0.0/16");
    let vsws = call(&cloud, Product::Vpc, "DescribeVSwitches", &[R]).await;
    assert_eq!(
        vsws["VSwitches"]["VSwitch"][0]["VSwitchId"],
        "vsw-fixture0000000000001"
    );
    assert_eq!(db_status(&app, "rm-fixture0000000000001").await, "Creating");
    app.engine().advance(5_000).await.unwrap();
    assert_eq!(db_status(&app, "rm-fixture0000000000001").await, "Running");
    close(app).await;
}
