//! The storage conformance suite, run against every backend.

use serde::{Deserialize, Serialize};

use crate::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Thing {
    id: String,
    region: String,
    group: Option<String>,
    n: u32,
}

impl Resource for Thing {
    const KIND: &'static str = "thing";
    fn id(&self) -> &str {
        &self.id
    }
    fn region(&self) -> &str {
        &self.region
    }
    fn parent(&self) -> Option<&str> {
        self.group.as_deref()
    }
}

fn thing(id: &str, group: Option<&str>, n: u32) -> Thing {
    Thing {
        id: id.into(),
        region: "cn-hangzhou".into(),
        group: group.map(Into::into),
        n,
    }
}

/// A store under test; a PostgreSQL one lives in a schema of its own, dropped afterwards.
struct TestStore {
    store: Option<Store>,
    label: &'static str,
    pg: Option<(String, String)>,
}

impl std::ops::Deref for TestStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.store.as_ref().expect("open")
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        self.store.take();
        if let Some((url, schema)) = self.pg.take() {
            if let Ok(mut c) = ::postgres::Client::connect(&url, ::postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
            }
        }
    }
}

const PG_ENV: &str = "ESS_LOCAL_TEST_DATABASE_URL";

/// The PostgreSQL URL to test against, if given; says once (past the test harness's capture) when
/// the PostgreSQL half is skipped.
fn pg_url() -> Option<String> {
    static SAID: std::sync::Once = std::sync::Once::new();
    let url = std::env::var(PG_ENV).ok().filter(|u| !u.is_empty());
    if url.is_none() {
        SAID.call_once(|| {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "PostgreSQL storage tests skipped: set {PG_ENV} (e.g. postgres://postgres@127.0.0.1:5432/test)"
            );
        });
    }
    url
}

fn unique(prefix: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
        fastish() % 1_000_000_000
    )
}

/// A fresh PostgreSQL store in a new schema.
fn pg_store(url: &str) -> TestStore {
    let schema = unique("esl_store_test");
    let sep = if url.contains('?') { '&' } else { '?' };
    let store = Store::postgres(&format!("{url}{sep}schema={schema}"))
        .unwrap_or_else(|e| panic!("{PG_ENV}={url}: {e}"));
    TestStore {
        store: Some(store),
        label: "postgres",
        pg: Some((url.to_string(), schema)),
    }
}

/// Every backend: SQLite in memory and on disk, and PostgreSQL when a URL is given.
fn backends() -> Vec<TestStore> {
    let dir = std::env::temp_dir().join(unique("esl-store-test"));
    let mut v = vec![
        TestStore {
            store: Some(Store::memory().unwrap()),
            label: "sqlite memory",
            pg: None,
        },
        TestStore {
            store: Some(Store::new(SqliteBackend::open_dir(&dir).unwrap())),
            label: "sqlite file",
            pg: None,
        },
    ];
    if let Some(url) = pg_url() {
        v.push(pg_store(&url));
    }
    v
}

fn fastish() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[test]
fn postgres_backend_is_tested_or_skipped() {
    // Says which; the other tests include PostgreSQL whenever the URL is set.
    if let Some(url) = pg_url() {
        let s = pg_store(&url);
        assert_eq!(
            s.transact(|tx| tx.meta_get("schema_version")).unwrap(),
            Some(SCHEMA_VERSION.to_string())
        );
    }
}

#[test]
fn documents_round_trip_in_creation_order_and_filter() {
    for store in backends() {
        store
            .transact(|tx| -> Result<(), StoreError> {
                tx.save(&thing("b", Some("g1"), 1))?;
                tx.save(&thing("a", Some("g2"), 2))?;
                tx.save(&thing("c", Some("g1"), 3))?;
                tx.save(&thing("b", Some("g1"), 4))?; // update keeps its place
                Ok(())
            })
            .unwrap();
        let (all, g1, one, count) = store
            .transact(|tx| -> Result<_, StoreError> {
                Ok((
                    tx.list::<Thing>(&Filter::default())?,
                    tx.list::<Thing>(&Filter {
                        parent: Some("g1"),
                        ..Default::default()
                    })?,
                    tx.load::<Thing>("a")?,
                    tx.count::<Thing>(&Filter {
                        region: Some("cn-hangzhou"),
                        ..Default::default()
                    })?,
                ))
            })
            .unwrap();
        assert_eq!(
            all.iter().map(|t| (t.id.as_str(), t.n)).collect::<Vec<_>>(),
            vec![("b", 4), ("a", 2), ("c", 3)]
        );
        assert_eq!(
            g1.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
            vec!["b", "c"]
        );
        assert_eq!(one, Some(thing("a", Some("g2"), 2)));
        assert_eq!(count, 3);
    }
}

#[test]
fn a_failed_transaction_changes_nothing() {
    for store in backends() {
        let r: Result<(), StoreError> = store.transact(|tx| {
            tx.save(&thing("x", None, 1))?;
            tx.enqueue(5, "k", "p")?;
            tx.claim_ip("vsw", 7, "i-1")?;
            Err(StoreError::Io(std::io::Error::other("boom")))
        });
        assert!(r.is_err());
        let (doc, job, ips) = store
            .transact(|tx| -> Result<_, StoreError> {
                Ok((
                    tx.load::<Thing>("x")?,
                    tx.next_due_time()?,
                    tx.count_ips("vsw")?,
                ))
            })
            .unwrap();
        assert_eq!((doc, job, ips), (None, None, 0));
    }
}

#[test]
fn ips_are_held_once_and_jobs_come_due_in_order() {
    for store in backends() {
        store
            .transact(|tx| -> Result<(), StoreError> {
                assert!(tx.claim_ip("vsw-1", 10, "i-1")?);
                assert!(!tx.claim_ip("vsw-1", 10, "i-2")?);
                assert!(tx.claim_ip("vsw-1", 12, "i-2")?);
                assert!(tx.claim_ip("vsw-2", 10, "i-3")?);
                assert_eq!(tx.held_ips("vsw-1", 11, 10)?, vec![12]);
                tx.release_ip("vsw-1", 10)?;
                assert_eq!(tx.held_ips("vsw-1", 0, 10)?, vec![12]);
                let late = tx.enqueue(200, "b", "2")?;
                let early = tx.enqueue(100, "a", "1")?;
                let tie = tx.enqueue(100, "c", "3")?;
                assert_eq!(tx.next_due_time()?, Some(100));
                assert_eq!(tx.next_due_time_after(100)?, Some(200));
                assert_eq!(tx.next_due_time_after(200)?, None);
                assert_eq!(tx.next_due_job(99)?, None);
                assert_eq!(tx.next_due_job(150)?.map(|j| j.id), Some(early));
                tx.delete_job(early)?;
                assert_eq!(tx.next_due_job(150)?.map(|j| j.id), Some(tie));
                tx.delete_job(tie)?;
                assert_eq!(tx.next_due_job(150)?, None);
                assert_eq!(
                    tx.next_due_job(200)?.map(|j| (j.id, j.kind)),
                    Some((late, "b".to_string()))
                );
                tx.meta_set("k", "v1")?;
                tx.meta_set("k", "v2")?;
                assert_eq!(tx.meta_get("k")?, Some("v2".into()));
                Ok(())
            })
            .unwrap();
    }
}

#[test]
fn a_data_dir_survives_reopening() {
    let dir = std::env::temp_dir().join(format!(
        "esl-store-reopen-{}-{}",
        std::process::id(),
        fastish()
    ));
    {
        let store = Store::new(SqliteBackend::open_dir(&dir).unwrap());
        store
            .transact(|tx| -> Result<(), StoreError> { tx.save(&thing("kept", None, 9)) })
            .unwrap();
    }
    let store = Store::new(SqliteBackend::open_dir(&dir).unwrap());
    let got = store
        .transact(|tx| -> Result<_, StoreError> { tx.load::<Thing>("kept") })
        .unwrap();
    assert_eq!(got, Some(thing("kept", None, 9)));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn savepoints_nest_inside_a_transaction() {
    for store in backends() {
        store
            .transact(|tx| -> Result<(), StoreError> {
                tx.save(&thing("kept", None, 1))?;
                tx.savepoint("inner")?;
                tx.save(&thing("undone", None, 2))?;
                tx.rollback_to("inner")?;
                tx.savepoint("inner")?;
                tx.save(&thing("released", None, 3))?;
                tx.release("inner")?;
                Ok(())
            })
            .unwrap();
        let ids: Vec<String> = store
            .transact(|tx| tx.list::<Thing>(&Filter::default()))
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(ids, vec!["kept", "released"]);
    }
}

#[test]
fn two_threads_updating_one_document_lose_no_update() {
    const EACH: u32 = 40;
    for store in backends() {
        store
            .transact(|tx| tx.save(&thing("counter", None, 0)))
            .unwrap();
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    for _ in 0..EACH {
                        store
                            .transact(|tx| -> Result<(), StoreError> {
                                let mut t = tx.load::<Thing>("counter")?.expect("saved");
                                // Give the other thread time to read the same value.
                                std::thread::sleep(std::time::Duration::from_micros(200));
                                t.n += 1;
                                tx.save(&t)
                            })
                            .unwrap();
                    }
                });
            }
        });
        let n = store
            .transact(|tx| tx.load::<Thing>("counter"))
            .unwrap()
            .map(|t| t.n);
        assert_eq!(n, Some(2 * EACH), "{}", store.label);
    }
}

#[test]
fn two_threads_taking_due_jobs_run_each_exactly_once() {
    const JOBS: usize = 60;
    for store in backends() {
        let ids: Vec<i64> = store
            .transact(|tx| -> Result<_, StoreError> {
                (0..JOBS)
                    .map(|i| tx.enqueue(100 + (i % 7) as i64, "k", &i.to_string()))
                    .collect()
            })
            .unwrap();
        let taken = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| loop {
                    // The engine's step: take a due job and delete it in one transaction.
                    let mut got = None;
                    store
                        .transact(|tx| -> Result<bool, StoreError> {
                            got = None;
                            let Some(job) = tx.next_due_job(1_000)? else {
                                return Ok(false);
                            };
                            tx.delete_job(job.id)?;
                            std::thread::sleep(std::time::Duration::from_micros(300));
                            got = Some(job.id);
                            Ok(true)
                        })
                        .unwrap();
                    match got {
                        Some(id) => taken.lock().unwrap().push(id),
                        None => break,
                    }
                });
            }
        });
        let mut taken = taken.into_inner().unwrap();
        taken.sort();
        let mut want = ids.clone();
        want.sort();
        assert_eq!(taken, want, "{}: each job exactly once", store.label);
        assert_eq!(
            store.transact(|tx| tx.next_due_time()).unwrap(),
            None,
            "{}",
            store.label
        );
    }
}

#[test]
fn wipe_leaves_only_the_schema_version_and_the_start_count() {
    for store in backends() {
        store
            .transact(|tx| -> Result<(), StoreError> {
                tx.save(&thing("a", None, 1))?;
                tx.claim_ip("vsw", 1, "i-1")?;
                tx.enqueue(1, "k", "")?;
                tx.meta_set("virtual_now_ms", "5")?;
                tx.meta_set("boots", "3")?;
                Ok(())
            })
            .unwrap();
        let after = store
            .transact(|tx| -> Result<_, StoreError> {
                tx.wipe()?;
                Ok((
                    tx.count::<Thing>(&Filter::default())?,
                    tx.count_ips("vsw")?,
                    tx.next_due_time()?,
                    tx.meta_get("virtual_now_ms")?,
                    tx.meta_get("schema_version")?,
                    tx.meta_get("boots")?,
                ))
            })
            .unwrap();
        assert_eq!(
            after,
            (
                0,
                0,
                None,
                None,
                Some(SCHEMA_VERSION.to_string()),
                Some("3".to_string())
            ),
            "{}",
            store.label
        );
        // Still usable: documents come back in creation order after a wipe too.
        store
            .transact(|tx| -> Result<(), StoreError> {
                tx.save(&thing("z", None, 1))?;
                tx.save(&thing("y", None, 2))
            })
            .unwrap();
        let ids: Vec<String> = store
            .transact(|tx| tx.list::<Thing>(&Filter::default()))
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(ids, vec!["z", "y"], "{}", store.label);
    }
}

#[test]
fn a_store_newer_than_the_binary_is_refused() {
    let dir = std::env::temp_dir().join(unique("esl-store-newer"));
    {
        let store = Store::new(SqliteBackend::open_dir(&dir).unwrap());
        store
            .transact(|tx| tx.meta_set("schema_version", "999"))
            .unwrap();
    }
    let err = SqliteBackend::open_dir(&dir).err().expect("refused");
    assert!(
        matches!(err, StoreError::SchemaTooNew { found: 999, supported } if supported == SCHEMA_VERSION),
        "{err}"
    );
    assert!(
        err.to_string().contains("newer than this ess-local"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();

    if let Some(url) = pg_url() {
        let s = pg_store(&url);
        s.transact(|tx| tx.meta_set("schema_version", "999"))
            .unwrap();
        let (base, schema) = s.pg.clone().unwrap();
        let err = PostgresBackend::open(&format!("{base}?schema={schema}"))
            .err()
            .expect("refused");
        assert!(
            matches!(err, StoreError::SchemaTooNew { found: 999, .. }),
            "{err}"
        );
    }
}

#[test]
fn a_version_1_store_from_before_migrations_opens_unchanged() {
    // The first SQLite stores wrote the schema and schema_version '1' themselves.
    let dir = std::env::temp_dir().join(unique("esl-store-v1"));
    std::fs::create_dir_all(&dir).unwrap();
    {
        let conn = rusqlite::Connection::open(dir.join("ess-local.sqlite3")).unwrap();
        conn.execute_batch(crate::migrate::MIGRATIONS[0].sqlite)
            .unwrap();
        conn.execute_batch(
            "INSERT INTO meta (key, value) VALUES ('schema_version', '1');
             INSERT INTO resources (kind, id, region, doc)
             VALUES ('thing', 'old', 'cn-hangzhou', '{\"id\":\"old\",\"region\":\"cn-hangzhou\",\"group\":null,\"n\":7}');",
        )
        .unwrap();
    }
    let store = Store::new(SqliteBackend::open_dir(&dir).unwrap());
    let (old, version) = store
        .transact(|tx| -> Result<_, StoreError> {
            Ok((tx.load::<Thing>("old")?, tx.meta_get("schema_version")?))
        })
        .unwrap();
    assert_eq!(old, Some(thing("old", None, 7)));
    assert_eq!(version, Some(SCHEMA_VERSION.to_string()));
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failed_statement_inside_a_savepoint_is_undone_and_the_transaction_goes_on() {
    // PostgreSQL aborts a transaction at a failed statement unless a savepoint is rolled back to.
    for store in backends() {
        store
            .transact(|tx| -> Result<(), StoreError> {
                tx.save(&thing("before", None, 1))?;
                tx.savepoint("sp")?;
                tx.save(&thing("inside", None, 2))?;
                assert!(tx.release("no_such_savepoint").is_err());
                tx.rollback_to("sp")?;
                tx.save(&thing("after", None, 3))
            })
            .unwrap();
        let ids: Vec<String> = store
            .transact(|tx| tx.list::<Thing>(&Filter::default()))
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(ids, vec!["before", "after"], "{}", store.label);
    }
}

#[test]
fn a_snapshot_moves_everything_between_backends_in_order() {
    use crate::snapshot::{export, import};
    let stores = backends();
    for from in &stores {
        from.transact(|tx| -> Result<(), StoreError> {
            tx.save(&thing("z", None, 1))?;
            tx.save(&thing("y", Some("z"), 2))?;
            tx.save(&thing("x", Some("z"), 3))?;
            tx.claim_ip("vsw-b", 9, "y")?;
            tx.claim_ip("vsw-a", 7, "x")?;
            tx.enqueue(50, "late", "{\"id\":\"y\"}")?;
            tx.enqueue(40, "early", "")?;
            tx.meta_set("virtual_now_ms", "1000")?;
            Ok(())
        })
        .unwrap();
        let snap = export(from, "t").unwrap();
        assert_eq!(
            snap.resources
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>(),
            vec!["z", "y", "x"],
            "{}",
            from.label
        );
        assert_eq!(snap.ip_allocations[0].scope, "vsw-a", "{}", from.label);
        for to in backends() {
            import(&to, &snap, false).unwrap();
            let (things, ips, jobs, now) = to
                .transact(|tx| -> Result<_, StoreError> {
                    Ok((
                        tx.list::<Thing>(&Filter {
                            parent: Some("z"),
                            ..Default::default()
                        })?,
                        (tx.count_ips("vsw-a")?, tx.count_ips("vsw-b")?),
                        tx.all_jobs()?,
                        tx.meta_get("virtual_now_ms")?,
                    ))
                })
                .unwrap();
            let label = format!("{} -> {}", from.label, to.label);
            assert_eq!(
                things.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
                vec!["y", "x"],
                "{label}"
            );
            assert_eq!(ips, (1, 1), "{label}");
            assert_eq!(
                jobs.iter().map(|j| j.kind.as_str()).collect::<Vec<_>>(),
                vec!["late", "early"],
                "{label}"
            );
            assert_eq!(now.as_deref(), Some("1000"), "{label}");
            assert!(!to.transact(|tx| tx.claim_ip("vsw-b", 9, "other")).unwrap());
            assert_eq!(
                to.transact(|tx| tx.meta_get("schema_version")).unwrap(),
                Some(SCHEMA_VERSION.to_string()),
                "{label}"
            );
        }
    }
}

#[test]
fn a_transaction_that_keeps_conflicting_ends_in_conflict_not_a_hang() {
    // A trigger that fails every write to `meta` as a serialization failure (SQLSTATE 40001)
    // drives the backend through all of its retries.
    let Some(url) = pg_url() else { return };
    let store = pg_store(&url);
    let schema = store.pg.as_ref().unwrap().1.clone();
    let mut c = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
    c.batch_execute(&format!(
        "CREATE FUNCTION \"{schema}\".always_conflict() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'forced conflict' USING ERRCODE = 'serialization_failure'; END $$;
         CREATE TRIGGER always_conflict BEFORE INSERT OR UPDATE ON \"{schema}\".meta
         FOR EACH ROW EXECUTE FUNCTION \"{schema}\".always_conflict();"
    ))
    .unwrap();
    let mut runs = 0;
    let r = store.transact(|tx| {
        runs += 1;
        // Even a closure that swallows the failure is re-run, and ends in Conflict.
        let _ = tx.meta_set("k", "v");
        Ok::<_, StoreError>(())
    });
    match r {
        Err(StoreError::Conflict { attempts }) => assert_eq!(attempts, runs),
        other => panic!("{other:?}"),
    }
    assert!(runs > 1);
}
