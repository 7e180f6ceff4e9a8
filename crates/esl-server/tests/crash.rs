//! What a client that lost an answer (a crash, a dropped connection) relies on: a call retried with
//! the same ClientToken answers what the first call answered and changes nothing, also across a
//! restart; and a seeded id generator does not hand out the ids of stored resources again after a
//! restart on the same data.

use esl_server::{build, Config};
use esl_wire::{Params, Product};
use serde_json::Value;

fn call(app: &esl_server::App, product: Product, action: &str, params: &[(&str, &str)]) -> Value {
    let params = Params::from_pairs(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    app.cloud()
        .dispatch(product, action, &params)
        .unwrap_or_else(|e| panic!("{action}: {e}"))
}

fn vpc_ids(app: &esl_server::App) -> Vec<String> {
    let v = call(
        app,
        Product::Vpc,
        "DescribeVpcs",
        &[("RegionId", "cn-hangzhou")],
    );
    v["Vpcs"]["Vpc"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["VpcId"].as_str().unwrap().to_string())
        .collect()
}

fn create_vpc(app: &esl_server::App, cidr: &str, token: Option<&str>) -> String {
    let mut p = vec![("RegionId", "cn-hangzhou"), ("CidrBlock", cidr)];
    if let Some(t) = token {
        p.push(("ClientToken", t));
    }
    call(app, Product::Vpc, "CreateVpc", &p)["VpcId"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_with_the_same_client_token_changes_nothing_even_after_a_restart() {
    let dir = std::env::temp_dir().join(format!("ess-local-token-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = Config {
        data_dir: Some(dir.clone()),
        ..Config::default()
    };
    let first = {
        let app = build(&config).unwrap();
        let first = create_vpc(&app, "10.0.0.0/16", Some("tok-1"));
        assert_eq!(create_vpc(&app, "10.0.0.0/16", Some("tok-1")), first);
        first
    };
    let app = build(&config).unwrap();
    assert_eq!(create_vpc(&app, "10.0.0.0/16", Some("tok-1")), first);
    assert_eq!(vpc_ids(&app), vec![first.clone()]);
    // Another token (or none) is another call.
    let second = create_vpc(&app, "10.1.0.0/16", Some("tok-2"));
    let third = create_vpc(&app, "10.2.0.0/16", None);
    assert_eq!(
        vpc_ids(&app),
        vec![first.clone(), second.clone(), third.clone()]
    );
    // The same token with other parameters is refused and changes nothing.
    let params = Params::from_pairs([
        ("RegionId", "cn-hangzhou"),
        ("CidrBlock", "10.3.0.0/16"),
        ("ClientToken", "tok-1"),
    ]);
    let e = app
        .cloud()
        .dispatch(Product::Vpc, "CreateVpc", &params)
        .unwrap_err();
    assert_eq!(
        (e.status, e.code.as_ref()),
        (400, "IdempotentParameterMismatch")
    );
    assert_eq!(vpc_ids(&app), vec![first, second, third]);
    drop(app);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_seeded_restart_does_not_reuse_the_ids_of_stored_resources() {
    let dir = std::env::temp_dir().join(format!("ess-local-seed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = Config {
        data_dir: Some(dir.clone()),
        seed: Some(7),
        ..Config::default()
    };
    let first = {
        let app = build(&config).unwrap();
        create_vpc(&app, "10.0.0.0/16", None)
    };
    let app = build(&config).unwrap();
    let second = create_vpc(&app, "10.1.0.0/16", None);
    assert_ne!(
        first, second,
        "the restarted generator replayed the first start's ids"
    );
    assert_eq!(vpc_ids(&app), vec![first.clone(), second]);
    drop(app);
    // The first start of a seed still gives the same ids (reproducible runs).
    std::fs::remove_dir_all(&dir).unwrap();
    let app = build(&config).unwrap();
    assert_eq!(create_vpc(&app, "10.0.0.0/16", None), first);
    drop(app);
    std::fs::remove_dir_all(&dir).unwrap();
}
