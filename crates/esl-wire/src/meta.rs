//! Alibaba's official API metadata (vendored, trimmed, in `api-meta/`), loaded lazily per product:
//! which actions a product version has, each action's parameters (wire name, style, type, bounds,
//! required) and its 200 response schema. Requests are validated against it before a handler runs
//! (`validate`), and responses are shaped by it (`crate::shape`).

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::{ApiError, Params};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Product {
    Ess2014,
    Ess2022,
    Ecs,
    Vpc,
    Rds,
    Polardb,
    Dds,
    Adb,
    Gpdb,
    Kvstore,
    Oos,
}

pub const ALL_PRODUCTS: [Product; 11] = [
    Product::Ess2014,
    Product::Ess2022,
    Product::Ecs,
    Product::Vpc,
    Product::Rds,
    Product::Polardb,
    Product::Dds,
    Product::Adb,
    Product::Gpdb,
    Product::Kvstore,
    Product::Oos,
];

impl Product {
    /// Every product here has its own API version string, so the version alone routes a request
    /// (ECS 2014-05-26 and VPC 2016-04-28 both have CreateVpc).
    pub fn from_version(version: &str) -> Option<Product> {
        ALL_PRODUCTS
            .iter()
            .copied()
            .find(|p| p.version() == version)
    }

    pub fn version(self) -> &'static str {
        match self {
            Product::Ess2014 => "2014-08-28",
            Product::Ess2022 => "2022-02-22",
            Product::Ecs => "2014-05-26",
            Product::Vpc => "2016-04-28",
            Product::Rds => "2014-08-15",
            Product::Polardb => "2017-08-01",
            Product::Dds => "2015-12-01",
            Product::Adb => "2019-03-15",
            Product::Gpdb => "2016-05-03",
            Product::Kvstore => "2015-01-01",
            Product::Oos => "2019-06-01",
        }
    }

    /// The product code used in error `Recommend` links.
    pub fn code(self) -> &'static str {
        match self {
            Product::Ess2014 | Product::Ess2022 => "Ess",
            Product::Ecs => "Ecs",
            Product::Vpc => "Vpc",
            Product::Rds => "Rds",
            Product::Polardb => "polardb",
            Product::Dds => "Dds",
            Product::Adb => "adb",
            Product::Gpdb => "gpdb",
            Product::Kvstore => "R-kvstore",
            Product::Oos => "oos",
        }
    }

    /// The `HostId` of error bodies: the product's public endpoint.
    pub fn host_id(self) -> &'static str {
        match self {
            Product::Ess2014 | Product::Ess2022 => "ess.aliyuncs.com",
            Product::Ecs => "ecs.aliyuncs.com",
            Product::Vpc => "vpc.aliyuncs.com",
            Product::Rds => "rds.aliyuncs.com",
            Product::Polardb => "polardb.aliyuncs.com",
            Product::Dds => "mongodb.aliyuncs.com",
            Product::Adb => "adb.aliyuncs.com",
            Product::Gpdb => "gpdb.aliyuncs.com",
            Product::Kvstore => "r-kvstore.aliyuncs.com",
            Product::Oos => "oos.aliyuncs.com",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Product::Ess2014 => include_str!("../../../api-meta/ess-2014-08-28.json"),
            Product::Ess2022 => include_str!("../../../api-meta/ess-2022-02-22.json"),
            Product::Ecs => include_str!("../../../api-meta/ecs-2014-05-26.json"),
            Product::Vpc => include_str!("../../../api-meta/vpc-2016-04-28.json"),
            Product::Rds => include_str!("../../../api-meta/rds-2014-08-15.json"),
            Product::Polardb => include_str!("../../../api-meta/polardb-2017-08-01.json"),
            Product::Dds => include_str!("../../../api-meta/dds-2015-12-01.json"),
            Product::Adb => include_str!("../../../api-meta/adb-2019-03-15.json"),
            Product::Gpdb => include_str!("../../../api-meta/gpdb-2016-05-03.json"),
            Product::Kvstore => include_str!("../../../api-meta/r-kvstore-2015-01-01.json"),
            Product::Oos => include_str!("../../../api-meta/oos-2019-06-01.json"),
        }
    }

    fn index(self) -> usize {
        ALL_PRODUCTS
            .iter()
            .position(|p| *p == self)
            .expect("listed")
    }

    fn metadata(self) -> &'static ProductMeta {
        static CELLS: [OnceLock<ProductMeta>; 11] = [const { OnceLock::new() }; 11];
        CELLS[self.index()].get_or_init(|| {
            let raw: RawDoc =
                serde_json::from_str(self.source()).expect("vendored api-meta parses");
            ProductMeta {
                actions: raw
                    .apis
                    .into_iter()
                    .map(|(name, api)| {
                        let response = api
                            .responses
                            .get("200")
                            .map(|r| r.schema.clone())
                            .unwrap_or_default();
                        (
                            name,
                            ActionMeta {
                                parameters: api.parameters,
                                response,
                            },
                        )
                    })
                    .collect(),
            }
        })
    }

    /// The metadata of one action, if the real API has it.
    pub fn action(self, name: &str) -> Option<&'static ActionMeta> {
        self.metadata().actions.get(name)
    }

    /// Whether responses wrap arrays as `{"Plural":{"Singular":[...]}}` (every product here but ESS 2022 and OOS).
    pub fn wraps_lists(self) -> bool {
        !matches!(self, Product::Ess2022 | Product::Oos)
    }
}

struct ProductMeta {
    actions: HashMap<String, ActionMeta>,
}

#[derive(Deserialize)]
struct RawDoc {
    apis: HashMap<String, RawApi>,
}

#[derive(Deserialize)]
struct RawApi {
    #[serde(default)]
    parameters: Vec<ParamMeta>,
    #[serde(default)]
    responses: HashMap<String, RawResponse>,
}

#[derive(Deserialize)]
struct RawResponse {
    #[serde(default)]
    schema: Schema,
}

#[derive(Debug)]
pub struct ActionMeta {
    pub parameters: Vec<ParamMeta>,
    pub response: Schema,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ParamMeta {
    pub name: String,
    #[serde(default)]
    pub style: Option<String>,
    #[serde(default)]
    pub schema: Schema,
}

/// The subset of the metadata's schema dialect that validation and shaping use.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Schema {
    #[serde(rename = "type", default)]
    pub ty: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(rename = "enum", default)]
    pub enum_values: Vec<serde_json::Value>,
    #[serde(default)]
    pub minimum: Option<serde_json::Value>,
    #[serde(default)]
    pub maximum: Option<serde_json::Value>,
    #[serde(rename = "maxLength", default)]
    pub max_length: Option<usize>,
    #[serde(rename = "maxItems", default)]
    pub max_items: Option<usize>,
    #[serde(default)]
    pub items: Option<Box<Schema>>,
    #[serde(default)]
    pub properties: BTreeMap<String, Schema>,
}

fn number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl ActionMeta {
    /// Checks presence, type, enum and bounds of every parameter the action declares. Parameters it
    /// does not declare are ignored, as the real gateway ignores them.
    pub fn validate(&self, params: &Params) -> Result<(), ApiError> {
        for p in &self.parameters {
            let s = &p.schema;
            match p.style.as_deref() {
                Some("repeatList") => {
                    let is_object = s
                        .items
                        .as_ref()
                        .is_some_and(|i| i.ty.as_deref() == Some("object"));
                    let count = if is_object {
                        params.objects(&p.name).len()
                    } else {
                        params.list(&p.name).len()
                    };
                    if s.required && count == 0 {
                        return Err(ApiError::missing_parameter(&p.name));
                    }
                    if let Some(max) = s.max_items {
                        if count > max {
                            return Err(ApiError::invalid_parameter(&p.name));
                        }
                    }
                    if !is_object {
                        if let Some(item) = &s.items {
                            for v in params.list(&p.name) {
                                check_scalar(&p.name, &v, item)?;
                            }
                        }
                    }
                }
                Some("flat") => {
                    if s.required && !params.has_prefix(&p.name) {
                        return Err(ApiError::missing_parameter(&p.name));
                    }
                }
                _ => match params.str(&p.name) {
                    None if s.required => return Err(ApiError::missing_parameter(&p.name)),
                    None => {}
                    Some(v) => check_scalar(&p.name, v, s)?,
                },
            }
        }
        Ok(())
    }
}

fn check_scalar(name: &str, v: &str, s: &Schema) -> Result<(), ApiError> {
    let invalid = || ApiError::invalid_parameter(name);
    match s.ty.as_deref() {
        Some("integer") | Some("number") => {
            let n: f64 = v.trim().parse().map_err(|_| invalid())?;
            if s.ty.as_deref() == Some("integer") && v.trim().parse::<i64>().is_err() {
                return Err(invalid());
            }
            if s.minimum
                .as_ref()
                .and_then(number)
                .is_some_and(|min| n < min)
            {
                return Err(invalid());
            }
            if s.maximum
                .as_ref()
                .and_then(number)
                .is_some_and(|max| n > max)
            {
                return Err(invalid());
            }
        }
        Some("boolean") => {
            crate::params::parse_bool(v).ok_or_else(invalid)?;
        }
        _ => {}
    }
    if !s.enum_values.is_empty()
        && !s.enum_values.iter().any(|e| match e {
            serde_json::Value::String(e) => e == v,
            other => v.parse::<serde_json::Value>().ok().as_ref() == Some(other),
        })
    {
        return Err(invalid());
    }
    if s.max_length.is_some_and(|max| v.chars().count() > max) {
        return Err(invalid());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_route_to_products() {
        assert_eq!(Product::from_version("2014-05-26"), Some(Product::Ecs));
        assert_eq!(Product::from_version("2016-04-28"), Some(Product::Vpc));
        assert_eq!(Product::from_version("1999-01-01"), None);
        assert!(Product::Ecs.action("CreateVpc").is_some());
        assert!(Product::Vpc.action("CreateVpc").is_some());
        assert!(Product::Ess2022.action("NoSuchThing").is_none());
    }

    #[test]
    fn validation_follows_the_metadata() {
        let meta = Product::Ess2022.action("AttachDBInstances").unwrap();
        let mut p = Params::default();
        p.insert("ScalingGroupId", "asg-1");
        assert_eq!(meta.validate(&p).unwrap_err().message, "The input parameter \"DBInstances\" that is mandatory for processing this request is not supplied.");
        // The 2014 spelling satisfies the 2022 name too.
        p.insert("DBInstance.1", "rm-1");
        assert!(meta.validate(&p).is_ok());
        for i in 2..=6 {
            p.insert(format!("DBInstance.{i}"), format!("rm-{i}"));
        }
        assert_eq!(meta.validate(&p).unwrap_err().code, "InvalidParameter");
        let meta = Product::Ess2022.action("CreateScalingGroup").unwrap();
        let p = Params::from_pairs([
            ("RegionId", "cn-hangzhou"),
            ("MinSize", "x"),
            ("MaxSize", "1"),
        ]);
        assert_eq!(
            meta.validate(&p).unwrap_err(),
            ApiError::invalid_parameter("MinSize")
        );
    }
}
