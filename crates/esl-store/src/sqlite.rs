//! The SQLite backend: one connection behind a mutex (SQLite has one writer anyway), in memory by
//! default or in a WAL-mode file under `--data-dir`.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

use crate::migrate::{self, VERSION_KEY};
use crate::{Backend, Filter, IpAllocation, Job, Record, StoreError, StoredDoc, Tx};

pub struct SqliteBackend {
    conn: Mutex<Connection>,
}

impl SqliteBackend {
    /// The database file `open_dir` keeps in its directory.
    pub const FILE_NAME: &'static str = "ess-local.sqlite3";

    pub fn memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    /// A file-backed store in `dir` (created if missing), surviving restarts.
    pub fn open_dir(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)?;
        let conn = Connection::open(dir.join(Self::FILE_NAME))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Self::init(conn)
    }

    /// Brings the schema up to this binary's version (see `migrate`), in one transaction.
    fn init(mut conn: Connection) -> Result<Self, StoreError> {
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        )?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let found: Option<String> = tx
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [VERSION_KEY],
                |r| r.get(0),
            )
            .optional()?;
        for m in migrate::pending(found.as_deref())? {
            tx.execute_batch(m.sqlite)?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![VERSION_KEY, m.version.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(SqliteBackend {
            conn: Mutex::new(conn),
        })
    }
}

impl Backend for SqliteBackend {
    fn transact(
        &self,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut handle = SqliteTx { tx: &tx };
        let commit = f(&mut handle)?;
        if commit {
            tx.commit()?;
        } else {
            tx.rollback()?;
        }
        Ok(())
    }
}

struct SqliteTx<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

fn filter_sql(filter: &Filter<'_>) -> (String, Vec<String>) {
    let mut sql = String::from("kind = ?1");
    let mut args = Vec::new();
    for (col, val) in [
        ("region", filter.region),
        ("parent", filter.parent),
        ("name", filter.name),
    ] {
        if let Some(v) = val {
            args.push(v.to_string());
            sql.push_str(&format!(" AND {col} = ?{}", args.len() + 1));
        }
    }
    (sql, args)
}

impl Tx for SqliteTx<'_> {
    fn get_doc(&mut self, kind: &str, id: &str) -> Result<Option<String>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT doc FROM resources WHERE kind = ?1 AND id = ?2")?;
        Ok(stmt.query_row(params![kind, id], |r| r.get(0)).optional()?)
    }

    fn put_doc(&mut self, r: &Record) -> Result<(), StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO resources (kind, id, region, parent, name, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (kind, id) DO UPDATE SET region = excluded.region, parent = excluded.parent,
             name = excluded.name, doc = excluded.doc",
        )?;
        stmt.execute(params![r.kind, r.id, r.region, r.parent, r.name, r.doc])?;
        Ok(())
    }

    fn delete_doc(&mut self, kind: &str, id: &str) -> Result<bool, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("DELETE FROM resources WHERE kind = ?1 AND id = ?2")?;
        Ok(stmt.execute(params![kind, id])? > 0)
    }

    fn list_docs(&mut self, kind: &str, filter: &Filter<'_>) -> Result<Vec<String>, StoreError> {
        let (cond, args) = filter_sql(filter);
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT doc FROM resources WHERE {cond} ORDER BY seq"
        ))?;
        let mut all: Vec<&dyn rusqlite::ToSql> = vec![&kind];
        all.extend(args.iter().map(|a| a as &dyn rusqlite::ToSql));
        let rows = stmt.query_map(all.as_slice(), |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn count_docs(&mut self, kind: &str, filter: &Filter<'_>) -> Result<u64, StoreError> {
        let (cond, args) = filter_sql(filter);
        let mut stmt = self
            .tx
            .prepare_cached(&format!("SELECT COUNT(*) FROM resources WHERE {cond}"))?;
        let mut all: Vec<&dyn rusqlite::ToSql> = vec![&kind];
        all.extend(args.iter().map(|a| a as &dyn rusqlite::ToSql));
        Ok(stmt.query_row(all.as_slice(), |r| r.get::<_, i64>(0))? as u64)
    }

    fn claim_ip(&mut self, scope: &str, ip: u32, holder: &str) -> Result<bool, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT OR IGNORE INTO ip_allocations (scope, ip, holder) VALUES (?1, ?2, ?3)",
        )?;
        Ok(stmt.execute(params![scope, ip as i64, holder])? > 0)
    }

    fn release_ip(&mut self, scope: &str, ip: u32) -> Result<(), StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("DELETE FROM ip_allocations WHERE scope = ?1 AND ip = ?2")?;
        stmt.execute(params![scope, ip as i64])?;
        Ok(())
    }

    fn held_ips(&mut self, scope: &str, from: u32, limit: u32) -> Result<Vec<u32>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT ip FROM ip_allocations WHERE scope = ?1 AND ip >= ?2 ORDER BY ip LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![scope, from as i64, limit as i64], |r| {
            r.get::<_, i64>(0)
        })?;
        Ok(rows
            .map(|r| r.map(|ip| ip as u32))
            .collect::<Result<Vec<_>, _>>()?)
    }

    fn count_ips(&mut self, scope: &str) -> Result<u64, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT COUNT(*) FROM ip_allocations WHERE scope = ?1")?;
        Ok(stmt.query_row([scope], |r| r.get::<_, i64>(0))? as u64)
    }

    fn enqueue(&mut self, due_ms: i64, kind: &str, payload: &str) -> Result<i64, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("INSERT INTO jobs (due_ms, kind, payload) VALUES (?1, ?2, ?3)")?;
        stmt.execute(params![due_ms, kind, payload])?;
        Ok(self.tx.last_insert_rowid())
    }

    fn next_due_job(&mut self, now_ms: i64) -> Result<Option<Job>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, due_ms, kind, payload FROM jobs WHERE due_ms <= ?1 ORDER BY due_ms, id LIMIT 1",
        )?;
        Ok(stmt
            .query_row([now_ms], |r| {
                Ok(Job {
                    id: r.get(0)?,
                    due_ms: r.get(1)?,
                    kind: r.get(2)?,
                    payload: r.get(3)?,
                })
            })
            .optional()?)
    }

    fn next_due_time(&mut self) -> Result<Option<i64>, StoreError> {
        let mut stmt = self.tx.prepare_cached("SELECT MIN(due_ms) FROM jobs")?;
        Ok(stmt.query_row([], |r| r.get::<_, Option<i64>>(0))?)
    }

    fn next_due_time_after(&mut self, after_ms: i64) -> Result<Option<i64>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT MIN(due_ms) FROM jobs WHERE due_ms > ?1")?;
        Ok(stmt.query_row([after_ms], |r| r.get::<_, Option<i64>>(0))?)
    }

    fn delete_job(&mut self, id: i64) -> Result<(), StoreError> {
        let mut stmt = self.tx.prepare_cached("DELETE FROM jobs WHERE id = ?1")?;
        stmt.execute([id])?;
        Ok(())
    }

    fn meta_get(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?;
        Ok(stmt.query_row([key], |r| r.get(0)).optional()?)
    }

    fn savepoint(&mut self, name: &str) -> Result<(), StoreError> {
        self.tx
            .execute_batch(&format!("SAVEPOINT \"{}\"", name.replace('"', "")))?;
        Ok(())
    }

    fn release(&mut self, name: &str) -> Result<(), StoreError> {
        self.tx
            .execute_batch(&format!("RELEASE SAVEPOINT \"{}\"", name.replace('"', "")))?;
        Ok(())
    }

    fn rollback_to(&mut self, name: &str) -> Result<(), StoreError> {
        let n = name.replace('"', "");
        self.tx.execute_batch(&format!(
            "ROLLBACK TO SAVEPOINT \"{n}\"; RELEASE SAVEPOINT \"{n}\""
        ))?;
        Ok(())
    }

    fn meta_set(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?;
        stmt.execute(params![key, value])?;
        Ok(())
    }

    fn all_docs(&mut self) -> Result<Vec<StoredDoc>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT kind, id, region, parent, name, doc FROM resources ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(StoredDoc {
                kind: r.get(0)?,
                id: r.get(1)?,
                region: r.get(2)?,
                parent: r.get(3)?,
                name: r.get(4)?,
                doc: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn put_stored_doc(&mut self, r: &StoredDoc) -> Result<(), StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO resources (kind, id, region, parent, name, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (kind, id) DO UPDATE SET region = excluded.region, parent = excluded.parent,
             name = excluded.name, doc = excluded.doc",
        )?;
        stmt.execute(params![r.kind, r.id, r.region, r.parent, r.name, r.doc])?;
        Ok(())
    }

    fn all_ips(&mut self) -> Result<Vec<IpAllocation>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT scope, ip, holder FROM ip_allocations ORDER BY scope, ip")?;
        let rows = stmt.query_map([], |r| {
            Ok(IpAllocation {
                scope: r.get(0)?,
                ip: r.get::<_, i64>(1)? as u32,
                holder: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn all_jobs(&mut self) -> Result<Vec<Job>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT id, due_ms, kind, payload FROM jobs ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(Job {
                id: r.get(0)?,
                due_ms: r.get(1)?,
                kind: r.get(2)?,
                payload: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn all_meta(&mut self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT key, value FROM meta ORDER BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn holds_state(&mut self) -> Result<bool, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM resources) OR EXISTS (SELECT 1 FROM ip_allocations)
             OR EXISTS (SELECT 1 FROM jobs)",
        )?;
        Ok(stmt.query_row([], |r| r.get::<_, bool>(0))?)
    }

    fn wipe(&mut self) -> Result<(), StoreError> {
        self.tx.execute_batch(
            "DELETE FROM resources; DELETE FROM ip_allocations; DELETE FROM jobs;
             DELETE FROM meta WHERE key NOT IN ('schema_version', 'boots');",
        )?;
        Ok(())
    }
}
