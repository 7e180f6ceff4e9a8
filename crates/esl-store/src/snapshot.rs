//! Versioned snapshots of a whole store (`ess-local state export` / `state import`), in the format
//! documented in docs/state-format.md: one JSON object holding every resource document in creation
//! order, the IP allocations, the pending jobs in enqueue order, and the metadata rows.
//!
//! Versioning: fields added to the format (or to a document) do not change `version`, and readers
//! ignore fields they do not know. A change an older reader could not ignore bumps `version`, and
//! comes with an upgrade step here from the previous version, so a snapshot written by any earlier
//! ess-local is brought up to this one's version before it is read. A snapshot with a version newer
//! than this binary knows is refused, never half-read.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::migrate::VERSION_KEY;
use crate::{Store, StoreError, StoredDoc, SCHEMA_VERSION};

/// The `format` of every snapshot.
pub const FORMAT: &str = "ess-local-state";
/// The snapshot format version this binary writes, and the newest it reads.
pub const VERSION: u32 = 1;

/// A whole store, as written to a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub format: String,
    pub version: u32,
    /// The store schema version of the ess-local that wrote it (information only: the snapshot
    /// format, not the schema, decides what a reader must understand).
    #[serde(default)]
    pub schema_version: u32,
    /// When it was written (RFC 3339, UTC).
    #[serde(default)]
    pub exported_at: String,
    /// The ess-local version that wrote it (information only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ess_local_version: Option<String>,
    /// The store's metadata rows but the schema version (the virtual clock, the start count).
    #[serde(default)]
    pub meta: BTreeMap<String, String>,
    #[serde(default)]
    pub resources: Vec<SnapshotResource>,
    #[serde(default)]
    pub ip_allocations: Vec<SnapshotIp>,
    #[serde(default)]
    pub jobs: Vec<SnapshotJob>,
}

/// One resource document with the columns it is found by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotResource {
    pub kind: String,
    pub id: String,
    pub region: String,
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// The document as a JSON value (an object for every kind ess-local stores).
    pub doc: Value,
}

/// One private IP held in a scope (a vSwitch id), dotted-quad.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotIp {
    pub scope: String,
    pub ip: String,
    pub holder: String,
}

/// One pending piece of work. `id` gives the enqueue order; an import enqueues the jobs in the
/// order listed (new ids, same order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotJob {
    pub id: i64,
    pub due_ms: i64,
    pub kind: String,
    pub payload: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("not an ess-local state snapshot: {0}")]
    NotASnapshot(String),
    #[error("the snapshot has format version {found}, newer than this ess-local reads ({supported}): import it with a newer ess-local")]
    TooNew { found: u32, supported: u32 },
    #[error("the snapshot has format version {0}, and no upgrade from it is known")]
    NoUpgrade(u32),
    #[error("upgrading the snapshot from format version {from}: {why}")]
    Upgrade { from: u32, why: String },
    #[error("the snapshot is invalid: {0}")]
    Invalid(String),
    #[error("the store is not empty ({resources} resources, {jobs} pending jobs, {ips} IP allocations): import into an empty store, or give --replace to remove what it holds first")]
    NotEmpty {
        resources: usize,
        jobs: usize,
        ips: usize,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One step of the format: turns a snapshot of version `from` into one of version `from + 1`.
pub struct Upgrade {
    pub from: u32,
    pub apply: fn(&mut Value) -> Result<(), String>,
}

/// Every upgrade step, in order. Version 1 is the first format, so there is none yet; version 2
/// will add `Upgrade { from: 1, apply: ... }` here, and so on. Never change a step that shipped.
pub const UPGRADES: &[Upgrade] = &[];

/// What an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub resources: usize,
    pub ip_allocations: usize,
    pub jobs: usize,
}

impl Snapshot {
    pub fn counts(&self) -> Counts {
        Counts {
            resources: self.resources.len(),
            ip_allocations: self.ip_allocations.len(),
            jobs: self.jobs.len(),
        }
    }
}

/// Reads everything in `store` in one transaction (a consistent point in time, even with a server
/// running on it). `exported_at` is recorded as given.
pub fn export(store: &Store, exported_at: &str) -> Result<Snapshot, SnapshotError> {
    let (docs, ips, jobs, meta) = store.transact(|tx| -> Result<_, StoreError> {
        Ok((
            tx.all_docs()?,
            tx.all_ips()?,
            tx.all_jobs()?,
            tx.all_meta()?,
        ))
    })?;
    let resources = docs
        .into_iter()
        .map(|d| {
            let doc = serde_json::from_str(&d.doc).map_err(|source| StoreError::Corrupt {
                kind: d.kind.clone(),
                id: d.id.clone(),
                source,
            })?;
            Ok(SnapshotResource {
                kind: d.kind,
                id: d.id,
                region: d.region,
                parent: d.parent,
                name: d.name,
                doc,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Snapshot {
        format: FORMAT.into(),
        version: VERSION,
        schema_version: SCHEMA_VERSION,
        exported_at: exported_at.into(),
        ess_local_version: Some(env!("CARGO_PKG_VERSION").into()),
        meta: meta.into_iter().filter(|(k, _)| k != VERSION_KEY).collect(),
        resources,
        ip_allocations: ips
            .into_iter()
            .map(|a| SnapshotIp {
                scope: a.scope,
                ip: Ipv4Addr::from(a.ip).to_string(),
                holder: a.holder,
            })
            .collect(),
        jobs: jobs
            .into_iter()
            .map(|j| SnapshotJob {
                id: j.id,
                due_ms: j.due_ms,
                kind: j.kind,
                payload: j.payload,
            })
            .collect(),
    })
}

/// Parses a snapshot file's text, upgrading an older format version to this one's.
pub fn parse(text: &str) -> Result<Snapshot, SnapshotError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| SnapshotError::NotASnapshot(e.to_string()))?;
    from_value(value)
}

/// `parse` for an already decoded JSON value.
pub fn from_value(value: Value) -> Result<Snapshot, SnapshotError> {
    let value = upgrade(value, VERSION, UPGRADES)?;
    serde_json::from_value(value).map_err(|e| SnapshotError::Invalid(e.to_string()))
}

/// Checks `format` and `version`, then applies `steps` until the value is at version `target`.
/// (`target` and `steps` are parameters so the mechanism can be tested with steps of its own.)
pub fn upgrade(mut value: Value, target: u32, steps: &[Upgrade]) -> Result<Value, SnapshotError> {
    match value.get("format").and_then(Value::as_str) {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(SnapshotError::NotASnapshot(format!(
                "format is {other:?}, not {FORMAT:?}"
            )))
        }
        None => {
            return Err(SnapshotError::NotASnapshot(format!(
                "no \"format\": {FORMAT:?} field"
            )))
        }
    }
    let mut version = value
        .get("version")
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| {
            SnapshotError::NotASnapshot("no \"version\" (a whole number) field".into())
        })?;
    if version > target {
        return Err(SnapshotError::TooNew {
            found: version,
            supported: target,
        });
    }
    while version < target {
        let step = steps
            .iter()
            .find(|s| s.from == version)
            .ok_or(SnapshotError::NoUpgrade(version))?;
        (step.apply)(&mut value).map_err(|why| SnapshotError::Upgrade { from: version, why })?;
        version += 1;
        value["version"] = version.into();
    }
    Ok(value)
}

/// Writes `snapshot` into `store` in one transaction. The store must hold no resource, IP
/// allocation or job, unless `replace`, which first removes everything (as a reset does). Resources
/// are written in the order listed, so they list in the same creation order as where they came
/// from; jobs are enqueued in the order listed; metadata rows are set (the schema version stays
/// the store's own).
pub fn import(store: &Store, snapshot: &Snapshot, replace: bool) -> Result<Counts, SnapshotError> {
    if snapshot.format != FORMAT {
        return Err(SnapshotError::NotASnapshot(format!(
            "format is {:?}, not {FORMAT:?}",
            snapshot.format
        )));
    }
    if snapshot.version > VERSION {
        return Err(SnapshotError::TooNew {
            found: snapshot.version,
            supported: VERSION,
        });
    }
    // Checked before the transaction, so a bad file changes nothing and says what is wrong.
    let mut docs = Vec::with_capacity(snapshot.resources.len());
    for r in &snapshot.resources {
        if r.kind.is_empty() || r.id.is_empty() {
            return Err(SnapshotError::Invalid(format!(
                "a resource with an empty kind or id ({:?}/{:?})",
                r.kind, r.id
            )));
        }
        docs.push(StoredDoc {
            kind: r.kind.clone(),
            id: r.id.clone(),
            region: r.region.clone(),
            parent: r.parent.clone(),
            name: r.name.clone(),
            doc: serde_json::to_string(&r.doc).map_err(StoreError::from)?,
        });
    }
    let mut ips = Vec::with_capacity(snapshot.ip_allocations.len());
    for a in &snapshot.ip_allocations {
        let ip: Ipv4Addr = a.ip.parse().map_err(|_| {
            SnapshotError::Invalid(format!("ip_allocations: {:?} is not an IPv4 address", a.ip))
        })?;
        ips.push((a.scope.as_str(), u32::from(ip), a.holder.as_str()));
    }
    store.transact(|tx| -> Result<(), SnapshotError> {
        if replace {
            tx.wipe()?;
        } else if tx.holds_state()? {
            return Err(SnapshotError::NotEmpty {
                resources: tx.all_docs()?.len(),
                jobs: tx.all_jobs()?.len(),
                ips: tx.all_ips()?.len(),
            });
        }
        for d in &docs {
            tx.put_stored_doc(d)?;
        }
        for (scope, ip, holder) in &ips {
            if !tx.claim_ip(scope, *ip, holder)? {
                return Err(SnapshotError::Invalid(format!(
                    "ip_allocations: {} is listed twice in {scope}",
                    Ipv4Addr::from(*ip)
                )));
            }
        }
        for j in &snapshot.jobs {
            tx.enqueue(j.due_ms, &j.kind, &j.payload)?;
        }
        for (k, v) in &snapshot.meta {
            if k != VERSION_KEY {
                tx.meta_set(k, v)?;
            }
        }
        Ok(())
    })?;
    Ok(snapshot.counts())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rename_things(v: &mut Value) -> Result<(), String> {
        // A made-up step 1 -> 2: resources' `doc` renamed `document`.
        for r in v["resources"].as_array_mut().ok_or("no resources")? {
            let doc = r.as_object_mut().ok_or("a resource is not an object")?;
            let d = doc.remove("doc").ok_or("a resource has no doc")?;
            doc.insert("document".into(), d);
        }
        Ok(())
    }

    fn add_field(v: &mut Value) -> Result<(), String> {
        v["added_in_3"] = true.into();
        Ok(())
    }

    const STEPS: &[Upgrade] = &[
        Upgrade {
            from: 1,
            apply: rename_things,
        },
        Upgrade {
            from: 2,
            apply: add_field,
        },
    ];

    #[test]
    fn an_old_version_goes_through_every_upgrade_step_in_order() {
        let v1 = json!({"format": FORMAT, "version": 1, "resources": [{"kind": "k", "id": "a", "doc": {"x": 1}}]});
        let v3 = upgrade(v1, 3, STEPS).unwrap();
        assert_eq!(v3["version"], 3);
        assert_eq!(v3["added_in_3"], true);
        assert_eq!(v3["resources"][0]["document"], json!({"x": 1}));
        assert!(v3["resources"][0].get("doc").is_none());
        // Already current: untouched.
        let v2 = json!({"format": FORMAT, "version": 2, "resources": []});
        assert_eq!(
            upgrade(v2.clone(), 2, STEPS).unwrap(),
            v2,
            "a current snapshot is not changed"
        );
    }

    #[test]
    fn newer_unknown_and_foreign_snapshots_are_refused() {
        let too_new = json!({"format": FORMAT, "version": VERSION + 1});
        match from_value(too_new) {
            Err(SnapshotError::TooNew { found, supported }) => {
                assert_eq!((found, supported), (VERSION + 1, VERSION))
            }
            other => panic!("{other:?}"),
        }
        // Version 0 never existed: there is no step from it.
        assert!(matches!(
            from_value(json!({"format": FORMAT, "version": 0})),
            Err(SnapshotError::NoUpgrade(0))
        ));
        assert!(matches!(
            parse(r#"{"format": "localstack", "version": 1}"#),
            Err(SnapshotError::NotASnapshot(_))
        ));
        assert!(matches!(parse("[]"), Err(SnapshotError::NotASnapshot(_))));
        assert!(matches!(
            parse("not json"),
            Err(SnapshotError::NotASnapshot(_))
        ));
        let e = from_value(json!({"format": FORMAT, "version": VERSION + 1}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("newer than this ess-local reads"), "{e}");
    }

    #[test]
    fn a_failing_step_says_which_version_it_came_from() {
        let steps: &[Upgrade] = &[Upgrade {
            from: 1,
            apply: rename_things,
        }];
        let bad = json!({"format": FORMAT, "version": 1, "resources": [{"kind": "k"}]});
        match upgrade(bad, 2, steps) {
            Err(SnapshotError::Upgrade { from: 1, why }) => assert!(why.contains("no doc")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_fields_are_ignored_and_missing_optional_ones_default() {
        let s = from_value(json!({
            "format": FORMAT, "version": 1, "from_the_future": {"a": 1},
            "resources": [{"kind": "vpc", "id": "vpc-1", "region": "r", "doc": {"Id": "vpc-1"}, "extra": 2}]
        }))
        .unwrap();
        assert_eq!(s.resources[0].parent, None);
        assert!(s.jobs.is_empty() && s.meta.is_empty() && s.ip_allocations.is_empty());
    }

    #[test]
    fn export_then_import_restores_order_allocations_jobs_and_meta() {
        let from = Store::memory().unwrap();
        from.transact(|tx| -> Result<(), StoreError> {
            for (id, parent) in [("b", None), ("a", Some("b")), ("c", Some("b"))] {
                tx.put_stored_doc(&StoredDoc {
                    kind: "thing".into(),
                    id: id.into(),
                    region: "cn-hangzhou".into(),
                    parent: parent.map(Into::into),
                    name: None,
                    doc: json!({"id": id, "n": 1.5, "big": u64::MAX}).to_string(),
                })?;
            }
            tx.claim_ip("vsw-1", u32::from(Ipv4Addr::new(10, 0, 1, 2)), "i-1")?;
            tx.enqueue(20, "later", "{\"x\":1}")?;
            tx.enqueue(10, "sooner", "")?;
            tx.meta_set("virtual_now_ms", "5")?;
            Ok(())
        })
        .unwrap();
        let snap = export(&from, "2024-01-01T00:00:00Z").unwrap();
        assert_eq!(snap.ip_allocations[0].ip, "10.0.1.2");
        assert!(!snap.meta.contains_key(VERSION_KEY));
        let text = serde_json::to_string_pretty(&snap).unwrap();
        let back = parse(&text).unwrap();
        assert_eq!(back, snap);

        let to = Store::memory().unwrap();
        assert_eq!(
            import(&to, &back, false).unwrap(),
            Counts {
                resources: 3,
                ip_allocations: 1,
                jobs: 2
            }
        );
        let again = export(&to, "2024-01-01T00:00:00Z").unwrap();
        assert_eq!(again.resources, snap.resources);
        assert_eq!(again.ip_allocations, snap.ip_allocations);
        assert_eq!(again.meta, snap.meta);
        let jobs = |s: &Snapshot| {
            s.jobs
                .iter()
                .map(|j| (j.due_ms, j.kind.clone(), j.payload.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(jobs(&again), jobs(&snap));

        // Not into a store that holds something, unless replacing.
        match import(&to, &back, false) {
            Err(SnapshotError::NotEmpty {
                resources: 3,
                jobs: 2,
                ips: 1,
            }) => {}
            other => panic!("{other:?}"),
        }
        import(&to, &back, true).unwrap();
        assert_eq!(
            export(&to, "x").unwrap().resources.len(),
            3,
            "replace leaves the snapshot's state only"
        );
    }
}
