//! Request parameters: the query and the form body merged into one sorted map, with typed access.
//!
//! Lists arrive flattened (`Name.1=a&Name.2=b`, `Name.1.Field=v`), and the two ESS versions spell
//! list names differently (`DBInstance.N` in 2014-08-28, `DBInstances.N` in 2022-02-22;
//! `RemovalPolicy.N` / `RemovalPolicies.N`). Every list accessor accepts both spellings, so one
//! handler serves both versions. Booleans are `True`/`False` from the Python SDKs and are parsed
//! case-insensitively. An empty value counts as absent for the typed accessors.

use std::collections::BTreeMap;

use crate::ApiError;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    map: BTreeMap<String, String>,
}

/// The other spelling of a list name: singular <-> plural (`Tag`/`Tags`, `RemovalPolicy`/`RemovalPolicies`).
pub fn alternate_list_name(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = name.strip_suffix('s') {
        stem.to_string()
    } else if let Some(stem) = name.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{name}s")
    }
}

impl Params {
    /// Builds the map from pairs; a later pair wins over an earlier one with the same name
    /// (callers pass the query first, then the form body).
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Params {
            map: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.map.insert(name.into(), value.into());
    }

    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.map.remove(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The raw value, empty or not.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// A non-empty value.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.raw(name).filter(|v| !v.is_empty())
    }

    pub fn string(&self, name: &str) -> Option<String> {
        self.str(name).map(str::to_string)
    }

    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.str(name)
            .ok_or_else(|| ApiError::missing_parameter(name))
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.str(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ApiError::invalid_parameter(name)),
        }
    }

    pub fn float(&self, name: &str) -> Result<Option<f64>, ApiError> {
        match self.str(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<f64>()
                .map(Some)
                .map_err(|_| ApiError::invalid_parameter(name)),
        }
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.str(name) {
            None => Ok(None),
            Some(v) => parse_bool(v)
                .map(Some)
                .ok_or_else(|| ApiError::invalid_parameter(name)),
        }
    }

    /// The elements of a repeat list `Name.N` (or its other spelling), ordered by N.
    pub fn list(&self, name: &str) -> Vec<String> {
        for candidate in [name.to_string(), alternate_list_name(name)] {
            let prefix = format!("{candidate}.");
            let mut items: Vec<(u32, &str)> = self
                .map
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .filter_map(|(k, v)| {
                    k[prefix.len()..]
                        .parse::<u32>()
                        .ok()
                        .map(|n| (n, v.as_str()))
                })
                .collect();
            if !items.is_empty() {
                items.sort_by_key(|(n, _)| *n);
                return items
                    .into_iter()
                    .map(|(_, v)| v.to_string())
                    .filter(|v| !v.is_empty())
                    .collect();
            }
        }
        Vec::new()
    }

    /// The elements of a list of objects `Name.N.Field` (or its other spelling), ordered by N; each
    /// element is a `Params` of its fields (nested lists keep working on it).
    pub fn objects(&self, name: &str) -> Vec<Params> {
        for candidate in [name.to_string(), alternate_list_name(name)] {
            let prefix = format!("{candidate}.");
            let mut items: BTreeMap<u32, Params> = BTreeMap::new();
            for (k, v) in self
                .map
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
            {
                let rest = &k[prefix.len()..];
                if let Some((n, field)) = rest.split_once('.') {
                    if let Ok(n) = n.parse::<u32>() {
                        items.entry(n).or_default().insert(field, v.clone());
                    }
                }
            }
            if !items.is_empty() {
                return items.into_values().collect();
            }
        }
        Vec::new()
    }

    /// An object `Name.Field` (style `flat`), as the `Params` of its fields.
    pub fn object(&self, name: &str) -> Params {
        let prefix = format!("{name}.");
        Params::from_pairs(
            self.map
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(k, v)| (k[prefix.len()..].to_string(), v.clone())),
        )
    }

    /// A JSON array of strings sent as one parameter (`DBInstanceIds=["rm-1","rm-2"]`).
    pub fn json_string_list(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.str(name) {
            None => Ok(None),
            Some(v) => match serde_json::from_str::<Vec<serde_json::Value>>(v) {
                Ok(items) => items
                    .into_iter()
                    .map(|i| match i {
                        serde_json::Value::String(s) => Ok(s),
                        _ => Err(ApiError::invalid_parameter(name)),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
                Err(_) => Err(ApiError::invalid_parameter(name)),
            },
        }
    }

    /// Whether any parameter of a list (either spelling) or object is present.
    pub fn has_prefix(&self, name: &str) -> bool {
        [name.to_string(), alternate_list_name(name)]
            .iter()
            .any(|candidate| {
                let prefix = format!("{candidate}.");
                self.map
                    .range(prefix.clone()..)
                    .next()
                    .is_some_and(|(k, _)| k.starts_with(&prefix))
            })
    }
}

pub fn parse_bool(v: &str) -> Option<bool> {
    if v.eq_ignore_ascii_case("true") {
        Some(true)
    } else if v.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Decodes `application/x-www-form-urlencoded` text (a query string or a form body): `+` is a space.
pub fn decode_form(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn lists_accept_both_spellings_in_numeric_order() {
        let params = p(&[
            ("DBInstance.2", "rm-b"),
            ("DBInstance.10", "rm-c"),
            ("DBInstance.1", "rm-a"),
        ]);
        assert_eq!(params.list("DBInstances"), vec!["rm-a", "rm-b", "rm-c"]);
        assert_eq!(params.list("DBInstance"), vec!["rm-a", "rm-b", "rm-c"]);
        let params = p(&[("RemovalPolicies.1", "OldestInstance")]);
        assert_eq!(params.list("RemovalPolicy"), vec!["OldestInstance"]);
        assert_eq!(alternate_list_name("RemovalPolicies"), "RemovalPolicy");
        assert_eq!(alternate_list_name("InstanceId"), "InstanceIds");
    }

    #[test]
    fn objects_group_fields_by_index() {
        let params = p(&[
            ("DBInstances.1.DBInstanceId", "rm-1"),
            ("DBInstances.1.Type", "RDS"),
            ("DBInstances.2.DBInstanceId", "rm-2"),
        ]);
        let objs = params.objects("DBInstance");
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[0].str("DBInstanceId"), Some("rm-1"));
        assert_eq!(objs[0].str("Type"), Some("RDS"));
        assert_eq!(objs[1].str("Type"), None);
    }

    #[test]
    fn scalars_and_lists_of_the_same_name_coexist() {
        let params = p(&[("ScalingGroupName", "a"), ("ScalingGroupName.1", "b")]);
        assert_eq!(params.str("ScalingGroupName"), Some("a"));
        assert_eq!(params.list("ScalingGroupName"), vec!["b"]);
    }

    #[test]
    fn typed_values() {
        let params = p(&[
            ("A", "True"),
            ("B", "false"),
            ("C", "12"),
            ("D", "x"),
            ("E", ""),
        ]);
        assert_eq!(params.bool("A"), Ok(Some(true)));
        assert_eq!(params.bool("B"), Ok(Some(false)));
        assert_eq!(params.int("C"), Ok(Some(12)));
        assert_eq!(params.int("D").unwrap_err().code, "InvalidParameter");
        assert_eq!(params.int("E"), Ok(None));
        assert_eq!(params.required("E").unwrap_err().code, "MissingParameter");
    }

    #[test]
    fn json_lists() {
        let params = p(&[("DBInstanceIds", "[\"rm-1\",\"rm-2\"]"), ("Bad", "[1]")]);
        assert_eq!(
            params.json_string_list("DBInstanceIds"),
            Ok(Some(vec!["rm-1".into(), "rm-2".into()]))
        );
        assert_eq!(
            params.json_string_list("Bad").unwrap_err().code,
            "InvalidParameter"
        );
    }

    #[test]
    fn form_decoding_turns_plus_into_space() {
        assert_eq!(
            decode_form("a=b+c&d=%2B"),
            vec![("a".into(), "b c".into()), ("d".into(), "+".into())]
        );
    }
}
