//! Schema versions: one numbered list of migrations, each written for both backends, applied in
//! order on start inside one transaction, the version recorded in `meta` (key `schema_version`).
//! A store whose version is newer than this binary knows is refused, never touched.

use crate::StoreError;

/// One step of the schema. Its SQL may hold several statements.
pub(crate) struct Migration {
    pub version: u32,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// The meta key the applied version is recorded under.
pub(crate) const VERSION_KEY: &str = "schema_version";

/// Every migration, in order; version N is at index N-1. Never edit one that has shipped: add the
/// next. Migration 1 is the schema the first SQLite stores were created with (`IF NOT EXISTS`
/// throughout), so a `--data-dir` store from before versioning opens unchanged.
pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    sqlite: r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resources (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    region TEXT NOT NULL,
    parent TEXT,
    name TEXT,
    doc TEXT NOT NULL,
    UNIQUE (kind, id)
);
CREATE INDEX IF NOT EXISTS resources_region ON resources (kind, region, seq);
CREATE INDEX IF NOT EXISTS resources_parent ON resources (kind, parent, seq);
CREATE INDEX IF NOT EXISTS resources_name ON resources (kind, name);
CREATE TABLE IF NOT EXISTS ip_allocations (
    scope TEXT NOT NULL,
    ip INTEGER NOT NULL,
    holder TEXT NOT NULL,
    PRIMARY KEY (scope, ip)
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    due_ms INTEGER NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (due_ms, id);
"#,
    postgres: r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resources (
    seq BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    region TEXT NOT NULL,
    parent TEXT,
    name TEXT,
    doc TEXT NOT NULL,
    UNIQUE (kind, id)
);
CREATE INDEX IF NOT EXISTS resources_region ON resources (kind, region, seq);
CREATE INDEX IF NOT EXISTS resources_parent ON resources (kind, parent, seq);
CREATE INDEX IF NOT EXISTS resources_name ON resources (kind, name);
CREATE TABLE IF NOT EXISTS ip_allocations (
    scope TEXT NOT NULL,
    ip BIGINT NOT NULL,
    holder TEXT NOT NULL,
    PRIMARY KEY (scope, ip)
);
CREATE TABLE IF NOT EXISTS jobs (
    id BIGSERIAL PRIMARY KEY,
    due_ms BIGINT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (due_ms, id);
"#,
}];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The migrations still to apply to a store at `found` (None: a new store), or the refusal of a
/// store newer than this binary.
pub(crate) fn pending(found: Option<&str>) -> Result<&'static [Migration], StoreError> {
    let found = match found {
        None => 0,
        Some(v) => v
            .trim()
            .parse::<u32>()
            .map_err(|_| StoreError::BadSchemaVersion(v.to_string()))?,
    };
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    debug_assert!(MIGRATIONS
        .iter()
        .enumerate()
        .all(|(i, m)| m.version as usize == i + 1));
    Ok(&MIGRATIONS[found as usize..])
}
