//! The narrow storage interface of ess-local and its two backends: SQLite (embedded, the default)
//! and PostgreSQL (shared by several nodes).
//!
//! State is a set of resource documents (JSON, one row per resource, indexed by kind, region, parent
//! and name), the private-IP allocations of each vSwitch, the durable queue of due work (jobs), and
//! a small key/value table of metadata (the virtual clock, the schema version). Every change happens
//! inside `Store::transact`: one transaction that commits when the closure returns `Ok` and rolls
//! back otherwise, so a handler's state change and the work it schedules land together or not at all.
//! A backend may run the closure more than once (PostgreSQL retries a transaction that lost a
//! serialization conflict), so closures must be re-runnable: only the last run's effects count.

mod migrate;
pub mod postgres;
pub mod snapshot;
mod sqlite;

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use migrate::SCHEMA_VERSION;
pub use postgres::PostgresBackend;
pub use sqlite::SqliteBackend;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("corrupt document {kind}/{id}: {source}")]
    Corrupt {
        kind: String,
        id: String,
        source: serde_json::Error,
    },
    #[error("encode: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] ::postgres::Error),
    #[error("postgres connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("database url: {0}")]
    BadUrl(String),
    #[error("the store has schema version {found}, newer than this ess-local knows ({supported}): use a newer ess-local, or another store")]
    SchemaTooNew { found: u32, supported: u32 },
    #[error("the store's schema version {0:?} is not a number")]
    BadSchemaVersion(String),
    #[error("the transaction kept conflicting with concurrent ones ({attempts} attempts)")]
    Conflict { attempts: u32 },
}

/// One stored resource document and the columns it is found by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub kind: &'static str,
    pub id: String,
    pub region: String,
    pub parent: Option<String>,
    pub name: Option<String>,
    pub doc: String,
}

/// A stored document with its kind owned: what `state export` reads and `state import` writes
/// back, whatever the kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDoc {
    pub kind: String,
    pub id: String,
    pub region: String,
    pub parent: Option<String>,
    pub name: Option<String>,
    pub doc: String,
}

/// One held private IP of a scope (a vSwitch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpAllocation {
    pub scope: String,
    pub ip: u32,
    pub holder: String,
}

/// How to select documents of one kind; every field given must match.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    pub region: Option<&'a str>,
    pub parent: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// A due piece of work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub due_ms: i64,
    pub kind: String,
    pub payload: String,
}

/// What a transaction can do. Documents come back in creation order.
pub trait Tx {
    fn get_doc(&mut self, kind: &str, id: &str) -> Result<Option<String>, StoreError>;
    fn put_doc(&mut self, record: &Record) -> Result<(), StoreError>;
    fn delete_doc(&mut self, kind: &str, id: &str) -> Result<bool, StoreError>;
    fn list_docs(&mut self, kind: &str, filter: &Filter<'_>) -> Result<Vec<String>, StoreError>;
    fn count_docs(&mut self, kind: &str, filter: &Filter<'_>) -> Result<u64, StoreError>;

    /// Claims `ip` in `scope` (a vSwitch) for `holder`; false when it is already held.
    fn claim_ip(&mut self, scope: &str, ip: u32, holder: &str) -> Result<bool, StoreError>;
    fn release_ip(&mut self, scope: &str, ip: u32) -> Result<(), StoreError>;
    /// The held addresses of `scope` at or above `from`, ascending, at most `limit`.
    fn held_ips(&mut self, scope: &str, from: u32, limit: u32) -> Result<Vec<u32>, StoreError>;
    fn count_ips(&mut self, scope: &str) -> Result<u64, StoreError>;

    fn enqueue(&mut self, due_ms: i64, kind: &str, payload: &str) -> Result<i64, StoreError>;
    /// The earliest job due at or before `now_ms` (ties by enqueue order).
    fn next_due_job(&mut self, now_ms: i64) -> Result<Option<Job>, StoreError>;
    fn next_due_time(&mut self) -> Result<Option<i64>, StoreError>;
    /// The earliest due time later than `after_ms`.
    fn next_due_time_after(&mut self, after_ms: i64) -> Result<Option<i64>, StoreError>;
    fn delete_job(&mut self, id: i64) -> Result<(), StoreError>;

    fn meta_get(&mut self, key: &str) -> Result<Option<String>, StoreError>;
    fn meta_set(&mut self, key: &str, value: &str) -> Result<(), StoreError>;

    /// Removes every document, IP allocation, job and metadata row except the schema version and
    /// the start count (a seeded restart after a reset must not replay ids handed out before it).
    fn wipe(&mut self) -> Result<(), StoreError>;

    /// Every document of every kind, in creation order (`state export`).
    fn all_docs(&mut self) -> Result<Vec<StoredDoc>, StoreError>;
    /// Writes a document of any kind (`state import`): appended, or replaced in place when its
    /// kind and id are already stored.
    fn put_stored_doc(&mut self, doc: &StoredDoc) -> Result<(), StoreError>;
    /// Every IP allocation, by scope then address.
    fn all_ips(&mut self) -> Result<Vec<IpAllocation>, StoreError>;
    /// Every job, due or not, in enqueue order.
    fn all_jobs(&mut self) -> Result<Vec<Job>, StoreError>;
    /// Every metadata row (the schema version included), by key.
    fn all_meta(&mut self) -> Result<Vec<(String, String)>, StoreError>;
    /// Whether any document, IP allocation or job is stored (metadata aside).
    fn holds_state(&mut self) -> Result<bool, StoreError>;

    /// A nested transaction: `savepoint` then `release` keeps its changes, `rollback_to` undoes them.
    fn savepoint(&mut self, name: &str) -> Result<(), StoreError>;
    fn release(&mut self, name: &str) -> Result<(), StoreError>;
    fn rollback_to(&mut self, name: &str) -> Result<(), StoreError>;
}

/// A storage engine: runs a closure inside one transaction, committing when it returns `Ok(true)`.
/// It may run the closure again (after a serialization conflict); the last run is the one that counts.
pub trait Backend: Send + Sync {
    fn transact(
        &self,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError>;
}

/// A resource stored as a document.
pub trait Resource: Serialize + DeserializeOwned {
    const KIND: &'static str;
    fn id(&self) -> &str;
    fn region(&self) -> &str;
    fn parent(&self) -> Option<&str> {
        None
    }
    fn name(&self) -> Option<&str> {
        None
    }
}

/// Typed access over any `Tx`.
pub trait TxExt: Tx {
    fn load<T: Resource>(&mut self, id: &str) -> Result<Option<T>, StoreError> {
        match self.get_doc(T::KIND, id)? {
            None => Ok(None),
            Some(doc) => {
                serde_json::from_str(&doc)
                    .map(Some)
                    .map_err(|source| StoreError::Corrupt {
                        kind: T::KIND.into(),
                        id: id.into(),
                        source,
                    })
            }
        }
    }

    fn save<T: Resource>(&mut self, value: &T) -> Result<(), StoreError> {
        self.put_doc(&Record {
            kind: T::KIND,
            id: value.id().to_string(),
            region: value.region().to_string(),
            parent: value.parent().map(str::to_string),
            name: value.name().map(str::to_string),
            doc: serde_json::to_string(value)?,
        })
    }

    fn remove<T: Resource>(&mut self, id: &str) -> Result<bool, StoreError> {
        self.delete_doc(T::KIND, id)
    }

    fn list<T: Resource>(&mut self, filter: &Filter<'_>) -> Result<Vec<T>, StoreError> {
        self.list_docs(T::KIND, filter)?
            .iter()
            .map(|doc| {
                serde_json::from_str(doc).map_err(|source| StoreError::Corrupt {
                    kind: T::KIND.into(),
                    id: String::new(),
                    source,
                })
            })
            .collect()
    }

    fn count<T: Resource>(&mut self, filter: &Filter<'_>) -> Result<u64, StoreError> {
        self.count_docs(T::KIND, filter)
    }
}

impl<T: Tx + ?Sized> TxExt for T {}

/// The store: a backend behind a cheap handle.
#[derive(Clone)]
pub struct Store {
    backend: std::sync::Arc<dyn Backend>,
}

impl Store {
    pub fn new(backend: impl Backend + 'static) -> Self {
        Store {
            backend: std::sync::Arc::new(backend),
        }
    }

    /// An in-memory SQLite store.
    pub fn memory() -> Result<Self, StoreError> {
        Ok(Store::new(SqliteBackend::memory()?))
    }

    /// A PostgreSQL store (see `PostgresBackend::open` for the URL). Blocking: call it outside an
    /// async context.
    pub fn postgres(url: &str) -> Result<Self, StoreError> {
        Ok(Store::new(PostgresBackend::open(url)?))
    }

    /// Runs `f` in one transaction: committed when it returns `Ok`, rolled back on `Err`.
    pub fn transact<R, E: From<StoreError>>(
        &self,
        mut f: impl FnMut(&mut dyn Tx) -> Result<R, E>,
    ) -> Result<R, E> {
        let mut out: Option<Result<R, E>> = None;
        self.backend.transact(&mut |tx| {
            let r = f(tx);
            let commit = r.is_ok();
            out = Some(r);
            Ok(commit)
        })?;
        out.unwrap_or_else(|| {
            Err(E::from(StoreError::Io(std::io::Error::other(
                "the backend committed without running the transaction",
            ))))
        })
    }
}

#[cfg(test)]
mod tests;
