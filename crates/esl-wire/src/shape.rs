//! Response shaping: handlers build one canonical JSON per action (lists as plain arrays, the
//! 2022-02-22 style) and `conform` reshapes it to the requested version's official response schema:
//! arrays wrapped as `{"Plural":{"Singular":[...]}}` where the schema wraps them (ESS 2014-08-28,
//! ECS, VPC, RDS), and scalars given the schema's type (activity capacities are strings in ESS).

use serde_json::{Map, Value};

use crate::meta::Schema;

/// Reshapes `value` in place to `schema`. With `wraps_lists`, arrays the schema does not describe
/// are wrapped too, under the singular of their name, as the wrapped-list products do everywhere.
pub fn conform(value: &mut Value, schema: &Schema, wraps_lists: bool) {
    match schema.ty.as_deref() {
        Some("object") => {
            if value.is_array() {
                let mut props = schema.properties.iter();
                if let (Some((inner, inner_schema)), None) = (props.next(), props.next()) {
                    if inner_schema.ty.as_deref() == Some("array") {
                        let items = value.take();
                        let mut wrapper = Map::new();
                        wrapper.insert(inner.clone(), items);
                        *value = Value::Object(wrapper);
                    }
                }
            }
            if let Value::Object(map) = value {
                for (k, child) in map.iter_mut() {
                    match schema.properties.get(k) {
                        Some(s) => conform(child, s, wraps_lists),
                        None if wraps_lists => wrap_unknown(k, child),
                        None => {}
                    }
                }
            }
        }
        Some("array") => {
            if let (Value::Array(items), Some(item_schema)) = (&mut *value, schema.items.as_deref())
            {
                for item in items {
                    conform(item, item_schema, wraps_lists);
                }
            }
        }
        Some("string") => match value {
            Value::Number(n) => *value = Value::String(n.to_string()),
            Value::Bool(b) => *value = Value::String(b.to_string()),
            _ => {}
        },
        Some("integer") | Some("number") => {
            if let Value::String(s) = value {
                if let Ok(n) = s.parse::<i64>() {
                    *value = Value::from(n);
                }
            }
        }
        Some("boolean") => {
            if let Value::String(s) = value {
                if let Some(b) = crate::params::parse_bool(s) {
                    *value = Value::Bool(b);
                }
            }
        }
        _ => {
            if wraps_lists {
                if let Value::Object(map) = value {
                    for (k, child) in map.iter_mut() {
                        wrap_unknown(k, child);
                    }
                }
            }
        }
    }
}

fn singular(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = name.strip_suffix('s') {
        stem.to_string()
    } else {
        name.to_string()
    }
}

fn wrap_unknown(key: &str, value: &mut Value) {
    match value {
        Value::Array(items) => {
            for item in items.iter_mut() {
                if let Value::Object(map) = item {
                    for (k, child) in map.iter_mut() {
                        wrap_unknown(k, child);
                    }
                }
            }
            let items = value.take();
            let mut wrapper = Map::new();
            wrapper.insert(singular(key), items);
            *value = Value::Object(wrapper);
        }
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                wrap_unknown(k, child);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Product;
    use serde_json::json;

    fn shaped(product: Product, action: &str, mut v: Value) -> Value {
        let meta = product.action(action).unwrap();
        conform(&mut v, &meta.response, product.wraps_lists());
        v
    }

    #[test]
    fn ess_2014_wraps_lists_and_2022_does_not() {
        let canonical = json!({
            "RequestId": "R", "TotalCount": 1,
            "ScalingGroups": [{"ScalingGroupId": "asg-1", "DBInstanceIds": ["rm-1"], "VSwitchIds": ["vsw-1"],
              "RemovalPolicies": ["OldestScalingConfiguration", "OldestInstance"],
              "DBInstances": [{"DBInstanceId": "rm-1", "Type": "RDS", "SecurityGroupIds": []}]}]
        });
        let old = shaped(Product::Ess2014, "DescribeScalingGroups", canonical.clone());
        assert_eq!(
            old["ScalingGroups"]["ScalingGroup"][0]["DBInstanceIds"],
            json!({"DBInstanceId": ["rm-1"]})
        );
        assert_eq!(
            old["ScalingGroups"]["ScalingGroup"][0]["VSwitchIds"],
            json!({"VSwitchId": ["vsw-1"]})
        );
        assert_eq!(
            old["ScalingGroups"]["ScalingGroup"][0]["DBInstances"],
            json!({"DBInstance": [{"DBInstanceId": "rm-1", "Type": "RDS", "SecurityGroupIds": {"SecurityGroupId": []}}]})
        );
        let new = shaped(Product::Ess2022, "DescribeScalingGroups", canonical.clone());
        assert_eq!(new, canonical);
    }

    #[test]
    fn activity_capacities_become_strings() {
        let v = shaped(
            Product::Ess2022,
            "DescribeScalingActivities",
            json!({"ScalingActivities": [{"TotalCapacity": 2, "AttachedCapacity": 0, "Progress": 100}]}),
        );
        assert_eq!(
            v["ScalingActivities"][0],
            json!({"TotalCapacity": "2", "AttachedCapacity": "0", "Progress": 100})
        );
    }
}

/// Removes null fields everywhere: the real services omit a field that has no value.
pub fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            for v in map.values_mut() {
                drop_nulls(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

#[cfg(test)]
mod null_tests {
    #[test]
    fn nulls_are_omitted() {
        let mut v = serde_json::json!({"a": null, "b": [{"c": null, "d": 1}]});
        super::drop_nulls(&mut v);
        assert_eq!(v, serde_json::json!({"b": [{"d": 1}]}));
    }
}
