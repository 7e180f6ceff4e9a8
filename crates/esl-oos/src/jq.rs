//! jq selectors (`ValueSelector`, `PropertySelector`, `Fn::Jq`) evaluated by jaq.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{data, unwrap_valr, Compiler, Ctx, Vars};
use jaq_json::Val;
use serde_json::Value;

/// Runs `program` on `input`, returning every output (an error names the first failure).
pub fn run(program: &str, input: &Value) -> Result<Vec<Value>, String> {
    let text = serde_json::to_string(input).map_err(|e| e.to_string())?;
    let input = jaq_json::read::parse_single(text.as_bytes()).map_err(|e| format!("{e:?}"))?;
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs());
    let funs = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs());
    let loader = Loader::new(defs);
    let arena = Arena::default();
    let modules = loader
        .load(
            &arena,
            File {
                code: program,
                path: (),
            },
        )
        .map_err(|errs| format!("jq: cannot parse {program:?}: {errs:?}"))?;
    let filter = Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .map_err(|errs| format!("jq: cannot compile {program:?}: {errs:?}"))?;
    let ctx = Ctx::<data::JustLut<Val>>::new(&filter.lut, Vars::new([]));
    let mut out = Vec::new();
    for v in filter.id.run((ctx, input)).map(unwrap_valr) {
        let v = v.map_err(|e| format!("jq: {e}"))?;
        out.push(serde_json::from_str(&v.to_string()).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn the_public_templates_selectors() {
        let instances = json!({"Instances": {"Instance": [
            {"VpcAttributes": {"PrivateIpAddress": {"IpAddress": ["10.0.1.1"]}}, "InnerIpAddress": {"IpAddress": []}},
            {"VpcAttributes": {"PrivateIpAddress": {"IpAddress": []}}, "InnerIpAddress": {"IpAddress": ["10.80.0.1"]}}
        ]}});
        let ips = super::run(".Instances.Instance[]|.VpcAttributes.PrivateIpAddress.IpAddress+.InnerIpAddress.IpAddress|.[]", &instances).unwrap();
        assert_eq!(ips, vec![json!("10.0.1.1"), json!("10.80.0.1")]);
        let polar = json!({"Items": {"DBClusterIPArray": [{"DBClusterIPArrayName": "default", "SecurityIps": "127.0.0.1,10.0.1.10"}]}});
        let has = super::run(".Items.DBClusterIPArray[] | select(.DBClusterIPArrayName == \"default\") | .SecurityIps | test(\"10.0.1.1\")", &polar).unwrap();
        assert_eq!(
            has,
            vec![json!(true)],
            "a regex test: 10.0.1.1 also matches 10.0.1.10, as in production"
        );
        assert!(super::run(".[", &json!(1)).is_err());
    }
}
