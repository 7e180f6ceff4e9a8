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

fn backends() -> Vec<Store> {
    let dir = std::env::temp_dir().join(format!(
        "esl-store-test-{}-{}",
        std::process::id(),
        fastish()
    ));
    vec![
        Store::memory().unwrap(),
        Store::new(SqliteBackend::open_dir(&dir).unwrap()),
    ]
}

fn fastish() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
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
