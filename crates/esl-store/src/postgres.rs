//! The PostgreSQL backend, for several nodes sharing one database: a small pool of sync clients
//! (`postgres`, no TLS), every transaction SERIALIZABLE and re-run from the start when it loses a
//! serialization conflict or a deadlock (SQLSTATE 40001, 40P01), so a concurrent read-modify-write
//! of one document never loses an update. Due jobs are taken `FOR UPDATE SKIP LOCKED`: two nodes
//! never take the same job, and a node that dies mid-job has its transaction aborted by the server,
//! which releases the job to the others.
//!
//! The sync client runs a runtime of its own and must not be used from async code: callers run
//! store calls in blocking contexts (`spawn_blocking`). Dropping the backend is safe anywhere.

use std::str::FromStr;
use std::time::Duration;

use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls};
use r2d2_postgres::PostgresConnectionManager;

use crate::migrate::{self, VERSION_KEY};
use crate::{Backend, Filter, IpAllocation, Job, Record, StoreError, StoredDoc, Tx};

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;
type Conn = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

/// How many times a transaction is tried before `StoreError::Conflict`.
const MAX_ATTEMPTS: u32 = 30;
/// Connections per node.
const POOL_SIZE: u32 = 16;
/// Serializes schema migrations of nodes starting at once (any fixed key: "essl" in ASCII).
const MIGRATION_LOCK: i64 = 0x6573_736c;

pub struct PostgresBackend {
    /// Always `Some` until dropped (the drop hands it to a plain thread).
    pool: Option<Pool>,
    schema: Option<String>,
}

/// A schema name given by `schema=`: letters, digits and underscores, not starting with a digit.
fn valid_schema(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// Splits our own `schema=NAME` query parameter off a connection URL.
fn split_schema(url: &str) -> Result<(String, Option<String>), StoreError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), None));
    };
    let mut schema = None;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.strip_prefix("schema=") {
            Some(name) if valid_schema(name) => schema = Some(name.to_string()),
            Some(name) => {
                return Err(StoreError::BadUrl(format!(
                    "schema {name:?}: use letters, digits and underscores"
                )))
            }
            None => rest.push(pair),
        }
    }
    let url = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    Ok((url, schema))
}

/// The URL without its password, for the banner and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, host) = match rest.rsplit_once('@') {
        Some((auth, host)) => (Some(auth), host),
        None => (None, rest),
    };
    match auth {
        Some(a) => match a.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => format!("{scheme}://{a}@{host}"),
        },
        None => url.to_string(),
    }
}

fn is_retryable(e: &postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
    )
}

impl PostgresBackend {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/database`, libpq-style
    /// parameters allowed, e.g. `?options=-csearch_path%3Dmy_schema`) and migrates the schema.
    /// `schema=NAME` (ours) uses that schema, creating it if missing, so tests can each have one.
    /// Blocking: call it outside an async context.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let (url, schema) = split_schema(url)?;
        let mut config = postgres::Config::from_str(&url)
            .map_err(|e| StoreError::BadUrl(format!("{}: {e}", redact(&url))))?;
        if let Some(s) = &schema {
            let options = match config.get_options() {
                Some(o) if !o.is_empty() => format!("{o} -csearch_path={s}"),
                _ => format!("-csearch_path={s}"),
            };
            config.options(&options);
        }
        if config.get_application_name().is_none() {
            config.application_name("ess-local");
        }
        config.connect_timeout(Duration::from_secs(10));
        // One direct connection first: a wrong URL fails at once, with the server's reason.
        let mut first = config.connect(NoTls)?;
        migrate_pg(&mut first, schema.as_deref())?;
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(30))
            .build_unchecked(PostgresConnectionManager::new(config, NoTls));
        // The first connection is not handed to the pool (r2d2 makes its own); close it here.
        drop(first);
        Ok(PostgresBackend {
            pool: Some(pool),
            schema,
        })
    }

    /// The schema given by `schema=`, if any.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    fn conn(&self) -> Result<Conn, StoreError> {
        let pool = self
            .pool
            .as_ref()
            .ok_or_else(|| StoreError::Io(std::io::Error::other("the store is closed")))?;
        Ok(pool.get()?)
    }
}

impl Drop for PostgresBackend {
    /// The clients run runtimes of their own, which must not be dropped inside an async context:
    /// drop them on a plain thread.
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

/// Applies the pending migrations in one transaction, nodes starting at once taking turns.
fn migrate_pg(client: &mut Client, schema: Option<&str>) -> Result<(), StoreError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    if let Some(s) = schema {
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{s}\""))?;
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    )?;
    let found: Option<String> = tx
        .query_opt("SELECT value FROM meta WHERE key = $1", &[&VERSION_KEY])?
        .map(|r| r.try_get(0))
        .transpose()?;
    for m in migrate::pending(found.as_deref())? {
        tx.batch_execute(m.postgres)?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&VERSION_KEY, &m.version.to_string()],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// An open transaction on a pooled connection; rolled back if dropped while open (a panic).
struct Open {
    conn: Conn,
    open: bool,
}

impl Open {
    fn finish(&mut self, sql: &str) -> Result<(), postgres::Error> {
        self.open = false;
        self.conn.batch_execute(sql)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.batch_execute("ROLLBACK");
        }
    }
}

/// Waits a little longer after each conflict (no randomness: SERIALIZABLE guarantees one of the
/// conflicting transactions commits, so the others' retries make progress).
fn backoff(attempt: u32) {
    std::thread::sleep(Duration::from_millis(u64::from(attempt.min(10)) * 2));
}

impl Backend for PostgresBackend {
    fn transact(
        &self,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut open = Open {
                conn: self.conn()?,
                open: false,
            };
            if let Err(e) = open
                .conn
                .batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
            {
                // Nothing ran yet: a connection that broke while idle in the pool is retried.
                if open.conn.is_closed() && attempt < MAX_ATTEMPTS {
                    continue;
                }
                return Err(e.into());
            }
            open.open = true;
            let mut tx = PgTx {
                client: &mut open.conn,
                conflict: false,
            };
            let result = f(&mut tx);
            let conflict = tx.conflict;
            if conflict {
                // Whatever the closure made of it, a run that hit a conflict is void: run it again.
                let _ = open.finish("ROLLBACK");
                if attempt >= MAX_ATTEMPTS {
                    return Err(StoreError::Conflict { attempts: attempt });
                }
                backoff(attempt);
                continue;
            }
            match result {
                Ok(true) => match open.finish("COMMIT") {
                    Ok(()) => return Ok(()),
                    Err(e) if is_retryable(&e) && attempt < MAX_ATTEMPTS => {
                        backoff(attempt);
                        continue;
                    }
                    Err(e) if is_retryable(&e) => {
                        return Err(StoreError::Conflict { attempts: attempt })
                    }
                    Err(e) => return Err(e.into()),
                },
                Ok(false) => {
                    open.finish("ROLLBACK")?;
                    return Ok(());
                }
                Err(e) => {
                    let _ = open.finish("ROLLBACK");
                    return Err(e);
                }
            }
        }
    }
}

struct PgTx<'a> {
    client: &'a mut Client,
    /// Set by any statement that failed with a serialization failure or a deadlock.
    conflict: bool,
}

fn filter_sql<'f>(filter: &Filter<'f>) -> (String, Vec<&'f str>) {
    let mut sql = String::from("kind = $1");
    let mut args = Vec::new();
    for (col, val) in [
        ("region", filter.region),
        ("parent", filter.parent),
        ("name", filter.name),
    ] {
        if let Some(v) = val {
            args.push(v);
            sql.push_str(&format!(" AND {col} = ${}", args.len() + 1));
        }
    }
    (sql, args)
}

impl PgTx<'_> {
    fn note<T>(&mut self, r: Result<T, postgres::Error>) -> Result<T, StoreError> {
        r.map_err(|e| {
            if is_retryable(&e) {
                self.conflict = true;
            }
            StoreError::Postgres(e)
        })
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<Vec<postgres::Row>, StoreError> {
        let r = self.client.query_typed(sql, params);
        self.note(r)
    }

    fn execute(
        &mut self,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<u64, StoreError> {
        let r = self.client.execute_typed(sql, params);
        self.note(r)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        let r = self.client.batch_execute(sql);
        self.note(r)
    }

    fn filtered(
        &mut self,
        select: &str,
        kind: &str,
        filter: &Filter<'_>,
        tail: &str,
    ) -> Result<Vec<postgres::Row>, StoreError> {
        let (cond, args) = filter_sql(filter);
        let mut params: Vec<(&(dyn ToSql + Sync), Type)> = vec![(&kind, Type::TEXT)];
        for a in &args {
            params.push((a, Type::TEXT));
        }
        self.query(
            &format!("SELECT {select} FROM resources WHERE {cond}{tail}"),
            &params,
        )
    }
}

fn count(rows: &[postgres::Row]) -> Result<u64, StoreError> {
    Ok(match rows.first() {
        Some(r) => r.try_get::<_, i64>(0)? as u64,
        None => 0,
    })
}

fn savepoint_name(name: &str) -> String {
    name.replace('"', "")
}

impl Tx for PgTx<'_> {
    fn get_doc(&mut self, kind: &str, id: &str) -> Result<Option<String>, StoreError> {
        let rows = self.query(
            "SELECT doc FROM resources WHERE kind = $1 AND id = $2",
            &[(&kind, Type::TEXT), (&id, Type::TEXT)],
        )?;
        rows.first()
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(Into::into)
    }

    fn put_doc(&mut self, r: &Record) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO resources (kind, id, region, parent, name, doc) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (kind, id) DO UPDATE SET region = excluded.region, parent = excluded.parent,
             name = excluded.name, doc = excluded.doc",
            &[
                (&r.kind, Type::TEXT),
                (&r.id, Type::TEXT),
                (&r.region, Type::TEXT),
                (&r.parent, Type::TEXT),
                (&r.name, Type::TEXT),
                (&r.doc, Type::TEXT),
            ],
        )?;
        Ok(())
    }

    fn delete_doc(&mut self, kind: &str, id: &str) -> Result<bool, StoreError> {
        Ok(self.execute(
            "DELETE FROM resources WHERE kind = $1 AND id = $2",
            &[(&kind, Type::TEXT), (&id, Type::TEXT)],
        )? > 0)
    }

    fn list_docs(&mut self, kind: &str, filter: &Filter<'_>) -> Result<Vec<String>, StoreError> {
        let rows = self.filtered("doc", kind, filter, " ORDER BY seq")?;
        Ok(rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?)
    }

    fn count_docs(&mut self, kind: &str, filter: &Filter<'_>) -> Result<u64, StoreError> {
        let rows = self.filtered("COUNT(*)", kind, filter, "")?;
        count(&rows)
    }

    fn claim_ip(&mut self, scope: &str, ip: u32, holder: &str) -> Result<bool, StoreError> {
        Ok(self.execute(
            "INSERT INTO ip_allocations (scope, ip, holder) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[
                (&scope, Type::TEXT),
                (&i64::from(ip), Type::INT8),
                (&holder, Type::TEXT),
            ],
        )? > 0)
    }

    fn release_ip(&mut self, scope: &str, ip: u32) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM ip_allocations WHERE scope = $1 AND ip = $2",
            &[(&scope, Type::TEXT), (&i64::from(ip), Type::INT8)],
        )?;
        Ok(())
    }

    fn held_ips(&mut self, scope: &str, from: u32, limit: u32) -> Result<Vec<u32>, StoreError> {
        let rows = self.query(
            "SELECT ip FROM ip_allocations WHERE scope = $1 AND ip >= $2 ORDER BY ip LIMIT $3",
            &[
                (&scope, Type::TEXT),
                (&i64::from(from), Type::INT8),
                (&i64::from(limit), Type::INT8),
            ],
        )?;
        Ok(rows
            .iter()
            .map(|r| r.try_get::<_, i64>(0).map(|ip| ip as u32))
            .collect::<Result<_, _>>()?)
    }

    fn count_ips(&mut self, scope: &str) -> Result<u64, StoreError> {
        let rows = self.query(
            "SELECT COUNT(*) FROM ip_allocations WHERE scope = $1",
            &[(&scope, Type::TEXT)],
        )?;
        count(&rows)
    }

    fn enqueue(&mut self, due_ms: i64, kind: &str, payload: &str) -> Result<i64, StoreError> {
        let rows = self.query(
            "INSERT INTO jobs (due_ms, kind, payload) VALUES ($1, $2, $3) RETURNING id",
            &[
                (&due_ms, Type::INT8),
                (&kind, Type::TEXT),
                (&payload, Type::TEXT),
            ],
        )?;
        match rows.first() {
            Some(r) => Ok(r.try_get(0)?),
            None => Err(StoreError::Io(std::io::Error::other(
                "INSERT returned no job id",
            ))),
        }
    }

    fn next_due_job(&mut self, now_ms: i64) -> Result<Option<Job>, StoreError> {
        // SKIP LOCKED: a job another node's open transaction holds is that node's, not ours.
        let rows = self.query(
            "SELECT id, due_ms, kind, payload FROM jobs WHERE due_ms <= $1 ORDER BY due_ms, id
             LIMIT 1 FOR UPDATE SKIP LOCKED",
            &[(&now_ms, Type::INT8)],
        )?;
        let Some(r) = rows.first() else {
            return Ok(None);
        };
        Ok(Some(Job {
            id: r.try_get(0)?,
            due_ms: r.try_get(1)?,
            kind: r.try_get(2)?,
            payload: r.try_get(3)?,
        }))
    }

    fn next_due_time(&mut self) -> Result<Option<i64>, StoreError> {
        let rows = self.query("SELECT MIN(due_ms) FROM jobs", &[])?;
        Ok(match rows.first() {
            Some(r) => r.try_get::<_, Option<i64>>(0)?,
            None => None,
        })
    }

    fn next_due_time_after(&mut self, after_ms: i64) -> Result<Option<i64>, StoreError> {
        let rows = self.query(
            "SELECT MIN(due_ms) FROM jobs WHERE due_ms > $1",
            &[(&after_ms, Type::INT8)],
        )?;
        Ok(match rows.first() {
            Some(r) => r.try_get::<_, Option<i64>>(0)?,
            None => None,
        })
    }

    fn delete_job(&mut self, id: i64) -> Result<(), StoreError> {
        self.execute("DELETE FROM jobs WHERE id = $1", &[(&id, Type::INT8)])?;
        Ok(())
    }

    fn meta_get(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        let rows = self.query(
            "SELECT value FROM meta WHERE key = $1",
            &[(&key, Type::TEXT)],
        )?;
        rows.first()
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(Into::into)
    }

    fn meta_set(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[(&key, Type::TEXT), (&value, Type::TEXT)],
        )?;
        Ok(())
    }

    fn wipe(&mut self) -> Result<(), StoreError> {
        self.batch(
            "DELETE FROM resources; DELETE FROM ip_allocations; DELETE FROM jobs;
             DELETE FROM meta WHERE key NOT IN ('schema_version', 'boots');",
        )
    }

    fn all_docs(&mut self) -> Result<Vec<StoredDoc>, StoreError> {
        let rows = self.query(
            "SELECT kind, id, region, parent, name, doc FROM resources ORDER BY seq",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                Ok(StoredDoc {
                    kind: r.try_get(0)?,
                    id: r.try_get(1)?,
                    region: r.try_get(2)?,
                    parent: r.try_get(3)?,
                    name: r.try_get(4)?,
                    doc: r.try_get(5)?,
                })
            })
            .collect()
    }

    fn put_stored_doc(&mut self, r: &StoredDoc) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO resources (kind, id, region, parent, name, doc) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (kind, id) DO UPDATE SET region = excluded.region, parent = excluded.parent,
             name = excluded.name, doc = excluded.doc",
            &[
                (&r.kind, Type::TEXT),
                (&r.id, Type::TEXT),
                (&r.region, Type::TEXT),
                (&r.parent, Type::TEXT),
                (&r.name, Type::TEXT),
                (&r.doc, Type::TEXT),
            ],
        )?;
        Ok(())
    }

    fn all_ips(&mut self) -> Result<Vec<IpAllocation>, StoreError> {
        let rows = self.query(
            "SELECT scope, ip, holder FROM ip_allocations ORDER BY scope COLLATE \"C\", ip",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                Ok(IpAllocation {
                    scope: r.try_get(0)?,
                    ip: r.try_get::<_, i64>(1)? as u32,
                    holder: r.try_get(2)?,
                })
            })
            .collect()
    }

    fn all_jobs(&mut self) -> Result<Vec<Job>, StoreError> {
        let rows = self.query(
            "SELECT id, due_ms, kind, payload FROM jobs ORDER BY id",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                Ok(Job {
                    id: r.try_get(0)?,
                    due_ms: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    payload: r.try_get(3)?,
                })
            })
            .collect()
    }

    fn all_meta(&mut self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = self.query(
            "SELECT key, value FROM meta ORDER BY key COLLATE \"C\"",
            &[],
        )?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    fn holds_state(&mut self) -> Result<bool, StoreError> {
        let rows = self.query(
            "SELECT EXISTS (SELECT 1 FROM resources) OR EXISTS (SELECT 1 FROM ip_allocations)
             OR EXISTS (SELECT 1 FROM jobs)",
            &[],
        )?;
        match rows.first() {
            Some(r) => Ok(r.try_get(0)?),
            None => Ok(false),
        }
    }

    fn savepoint(&mut self, name: &str) -> Result<(), StoreError> {
        self.batch(&format!("SAVEPOINT \"{}\"", savepoint_name(name)))
    }

    fn release(&mut self, name: &str) -> Result<(), StoreError> {
        self.batch(&format!("RELEASE SAVEPOINT \"{}\"", savepoint_name(name)))
    }

    fn rollback_to(&mut self, name: &str) -> Result<(), StoreError> {
        let n = savepoint_name(name);
        self.batch(&format!(
            "ROLLBACK TO SAVEPOINT \"{n}\"; RELEASE SAVEPOINT \"{n}\""
        ))
    }
}

#[cfg(test)]
mod url_tests {
    use super::*;

    #[test]
    fn schema_is_split_off_and_passwords_are_redacted() {
        assert_eq!(
            split_schema("postgres://u@h/db?schema=s_1&connect_timeout=3").unwrap(),
            (
                "postgres://u@h/db?connect_timeout=3".to_string(),
                Some("s_1".to_string())
            )
        );
        assert_eq!(
            split_schema("postgres://u@h/db").unwrap(),
            ("postgres://u@h/db".to_string(), None)
        );
        assert!(split_schema("postgres://u@h/db?schema=a;drop").is_err());
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
