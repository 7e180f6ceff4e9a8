//! The engine: the clock (real, or virtual so tests never sleep), id generation, and the runner of
//! durable due work. Work is a row in the store's job queue, written in the same transaction as the
//! change that caused it; the runner takes each due job and runs it in a transaction of its own
//! that also deletes it, so a crash neither loses nor doubles a step.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use esl_store::{Job, Store, StoreError, Tx};

const VIRTUAL_NOW_KEY: &str = "virtual_now_ms";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    Real,
    Virtual,
}

/// Emulated time. In `Real` mode it is the system clock; in `Virtual` mode it moves only when
/// advanced. `wall_secs` is always the system clock: signatures are checked against real time.
pub struct Clock {
    mode: ClockMode,
    start_ms: i64,
    virtual_ms: AtomicI64,
}

fn system_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Clock {
    pub fn new(mode: ClockMode, start_ms: i64) -> Self {
        Clock {
            mode,
            start_ms,
            virtual_ms: AtomicI64::new(start_ms),
        }
    }

    pub fn mode(&self) -> ClockMode {
        self.mode
    }

    pub fn now_ms(&self) -> i64 {
        match self.mode {
            ClockMode::Real => system_ms(),
            ClockMode::Virtual => self.virtual_ms.load(Ordering::SeqCst),
        }
    }

    pub fn wall_secs(&self) -> i64 {
        system_ms() / 1000
    }

    fn set_virtual(&self, ms: i64) {
        self.virtual_ms.fetch_max(ms, Ordering::SeqCst);
    }

    /// The virtual time this clock started at.
    pub fn start_ms(&self) -> i64 {
        self.start_ms
    }

    /// Back to the start (virtual mode; the only way the clock moves backwards).
    fn rewind(&self) {
        self.virtual_ms.store(self.start_ms, Ordering::SeqCst);
    }
}

/// Ids and request ids. Seeded from the OS by default, or from a given seed for reproducible runs.
pub struct IdGen {
    rng: Mutex<fastrand::Rng>,
}

const ID_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

impl IdGen {
    pub fn new(seed: Option<u64>) -> Self {
        IdGen {
            rng: Mutex::new(seed.map(fastrand::Rng::with_seed).unwrap_or_default()),
        }
    }

    fn rng(&self) -> std::sync::MutexGuard<'_, fastrand::Rng> {
        self.rng.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `<prefix>-bp1` and 17 lowercase alphanumerics, the shape of real Alibaba Cloud ids.
    pub fn id(&self, prefix: &str) -> String {
        let mut rng = self.rng();
        let tail: String = (0..17)
            .map(|_| ID_CHARS[rng.usize(..ID_CHARS.len())] as char)
            .collect();
        format!("{prefix}-bp1{tail}")
    }

    /// An uppercase UUID (version 4 layout), as RequestId and LifecycleActionToken are.
    pub fn uuid(&self) -> String {
        let mut rng = self.rng();
        let mut b: [u8; 16] = std::array::from_fn(|_| rng.u8(..));
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h: String = b.iter().map(|x| format!("{x:02X}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }

    pub fn digits(&self, n: usize) -> String {
        let mut rng = self.rng();
        (0..n).map(|_| char::from(b'0' + rng.u8(0..10))).collect()
    }
}

/// What runs a job: the product code, handed the transaction the job was taken in.
pub trait JobRunner: Send + Sync {
    fn run(&self, tx: &mut dyn Tx, job: &Job, now_ms: i64) -> Result<(), String>;
}

pub struct Engine {
    pub store: Store,
    pub clock: Arc<Clock>,
    runner: Arc<dyn JobRunner>,
    wake: tokio::sync::Notify,
    advancing: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
pub enum EngineError {
    NotVirtual,
    Store(StoreError),
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineError::NotVirtual => write!(
                f,
                "the clock is real; start with --clock virtual to advance it"
            ),
            EngineError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for EngineError {}

impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> Self {
        EngineError::Store(e)
    }
}

/// The virtual clock's start: what the store remembers, else now on the system clock (whole seconds).
pub fn virtual_start(store: &Store) -> Result<i64, StoreError> {
    store.transact(|tx| -> Result<i64, StoreError> {
        match tx.meta_get(VIRTUAL_NOW_KEY)?.and_then(|v| v.parse().ok()) {
            Some(ms) => Ok(ms),
            None => {
                let ms = system_ms() / 1000 * 1000;
                tx.meta_set(VIRTUAL_NOW_KEY, &ms.to_string())?;
                Ok(ms)
            }
        }
    })
}

impl Engine {
    pub fn new(store: Store, clock: Arc<Clock>, runner: Arc<dyn JobRunner>) -> Self {
        Engine {
            store,
            clock,
            runner,
            wake: tokio::sync::Notify::new(),
            advancing: tokio::sync::Mutex::new(()),
        }
    }

    /// Tells the worker that new work may be due.
    pub fn kick(&self) {
        self.wake.notify_one();
    }

    /// Runs every job due at or before `now_ms`, each in its own transaction, including jobs that
    /// those jobs schedule for no later than `now_ms`. Returns how many ran.
    pub fn run_due(&self, now_ms: i64) -> Result<usize, StoreError> {
        /// Why a step did not commit.
        enum Stop {
            Store(StoreError),
            /// The step failed: its changes are rolled back, and the job is dropped (below) so the
            /// queue moves on instead of retrying it forever.
            Failed(i64, String),
        }
        impl From<StoreError> for Stop {
            fn from(e: StoreError) -> Self {
                Stop::Store(e)
            }
        }
        let mut ran = 0;
        loop {
            let step = self.store.transact(|tx| -> Result<bool, Stop> {
                let Some(job) = tx.next_due_job(now_ms)? else {
                    return Ok(false);
                };
                tx.delete_job(job.id)?;
                self.runner
                    .run(tx, &job, now_ms.max(job.due_ms))
                    .map_err(|e| {
                        Stop::Failed(job.id, format!("job {} ({}) failed: {e}", job.id, job.kind))
                    })?;
                Ok(true)
            });
            match step {
                Ok(false) => return Ok(ran),
                Ok(true) => ran += 1,
                Err(Stop::Failed(id, why)) => {
                    tracing::error!("{why}");
                    self.store.transact(|tx| tx.delete_job(id))?;
                    ran += 1;
                }
                Err(Stop::Store(e)) => return Err(e),
            }
        }
    }

    /// Moves the virtual clock forward by `ms`, stopping at each due job's time to run it, and
    /// returns once everything due by the new time has run. Returns the new time.
    pub async fn advance(self: &Arc<Self>, ms: i64) -> Result<i64, EngineError> {
        if self.clock.mode() != ClockMode::Virtual {
            return Err(EngineError::NotVirtual);
        }
        let _one_at_a_time = self.advancing.lock().await;
        let target = self.clock.now_ms() + ms.max(0);
        let this = self.clone();
        tokio::task::spawn_blocking(move || -> Result<i64, EngineError> {
            // Each new time is stored before anyone can see it, so a crash in the middle of an
            // advance never restarts the clock earlier than work that already ran (or requests
            // already answered) at a later time.
            let step_to = |t: i64| -> Result<(), StoreError> {
                this.store
                    .transact(|tx| tx.meta_set(VIRTUAL_NOW_KEY, &t.to_string()))?;
                this.clock.set_virtual(t);
                Ok(())
            };
            loop {
                let now = this.clock.now_ms();
                this.run_due(now)?;
                let next = this.store.transact(|tx| tx.next_due_time())?;
                match next {
                    Some(t) if t <= target => {
                        if t > now {
                            step_to(t)?;
                        }
                    }
                    _ => break,
                }
            }
            step_to(target)?;
            this.run_due(target)?;
            Ok(target)
        })
        .await
        .map_err(|e| EngineError::Store(StoreError::Io(std::io::Error::other(e.to_string()))))?
    }

    /// Starts clean: every document, IP allocation, job and metadata row is removed in one
    /// transaction (only the schema version stays), and a virtual clock goes back to the time it
    /// started at (recorded again, as a first start records it). Waits for a running advance.
    pub async fn reset(self: &Arc<Self>) -> Result<i64, EngineError> {
        let _one_at_a_time = self.advancing.lock().await;
        let this = self.clone();
        tokio::task::spawn_blocking(move || -> Result<i64, EngineError> {
            let virtual_clock = this.clock.mode() == ClockMode::Virtual;
            let start = this.clock.start_ms();
            this.store.transact(|tx| -> Result<(), StoreError> {
                tx.wipe()?;
                if virtual_clock {
                    tx.meta_set(VIRTUAL_NOW_KEY, &start.to_string())?;
                }
                Ok(())
            })?;
            if virtual_clock {
                this.clock.rewind();
            }
            Ok(this.clock.now_ms())
        })
        .await
        .map_err(|e| EngineError::Store(StoreError::Io(std::io::Error::other(e.to_string()))))?
    }

    /// The background worker: runs what is due now, then waits for the next due time (real
    /// clock), a kick, or shutdown.
    pub async fn work(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            let this = self.clone();
            let next = tokio::task::spawn_blocking(move || -> Result<Option<i64>, StoreError> {
                this.run_due(this.clock.now_ms())?;
                this.store.transact(|tx| tx.next_due_time())
            })
            .await;
            let wait = match next {
                Ok(Ok(Some(t))) if self.clock.mode() == ClockMode::Real => {
                    Duration::from_millis((t - self.clock.now_ms()).clamp(1, 60_000) as u64)
                }
                Ok(Err(e)) => {
                    tracing::error!("engine: {e}");
                    Duration::from_secs(1)
                }
                _ => Duration::from_secs(60),
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.wake.notified() => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_real_shape_and_a_seed_repeats_them() {
        let a = IdGen::new(Some(7));
        let b = IdGen::new(Some(7));
        let id = a.id("asg");
        assert_eq!(id, b.id("asg"));
        assert!(id.starts_with("asg-bp1") && id.len() == 24, "{id}");
        let u = a.uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_eq!(u, u.to_uppercase());
    }

    struct Recorder(Mutex<Vec<(String, i64)>>);
    impl JobRunner for Recorder {
        fn run(&self, tx: &mut dyn Tx, job: &Job, now_ms: i64) -> Result<(), String> {
            self.0.lock().unwrap().push((job.kind.clone(), now_ms));
            if job.kind == "chain" {
                tx.enqueue(now_ms + 500, "chained", "")
                    .map_err(|e| e.to_string())?;
            }
            if job.kind == "bad" {
                return Err("no".into());
            }
            Ok(())
        }
    }

    /// Records the stored virtual time each job sees.
    struct StoredClock(Mutex<Vec<(i64, Option<String>)>>);
    impl JobRunner for StoredClock {
        fn run(&self, tx: &mut dyn Tx, _job: &Job, now_ms: i64) -> Result<(), String> {
            let stored = tx.meta_get(VIRTUAL_NOW_KEY).map_err(|e| e.to_string())?;
            self.0.lock().unwrap().push((now_ms, stored));
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_clock_is_stored_before_the_work_of_each_time_runs() {
        // A crash in the middle of an advance must not restart the clock before work that ran.
        let store = Store::memory().unwrap();
        let rec = Arc::new(StoredClock(Mutex::new(Vec::new())));
        let engine = Arc::new(Engine::new(
            store.clone(),
            Arc::new(Clock::new(ClockMode::Virtual, 10_000)),
            rec.clone(),
        ));
        store
            .transact(|tx| -> Result<(), StoreError> {
                tx.enqueue(11_000, "a", "")?;
                tx.enqueue(12_500, "b", "")?;
                Ok(())
            })
            .unwrap();
        engine.advance(5_000).await.unwrap();
        assert_eq!(
            *rec.0.lock().unwrap(),
            vec![
                (11_000, Some("11000".to_string())),
                (12_500, Some("12500".to_string()))
            ]
        );
        assert_eq!(virtual_start(&store).unwrap(), 15_000);
    }

    #[tokio::test]
    async fn advance_runs_each_job_at_its_own_time_including_chained_ones() {
        let store = Store::memory().unwrap();
        let rec = Arc::new(Recorder(Mutex::new(Vec::new())));
        let engine = Arc::new(Engine::new(
            store.clone(),
            Arc::new(Clock::new(ClockMode::Virtual, 10_000)),
            rec.clone(),
        ));
        store
            .transact(|tx| -> Result<(), StoreError> {
                tx.enqueue(12_000, "chain", "")?;
                tx.enqueue(11_000, "bad", "")?;
                tx.enqueue(99_000, "later", "")?;
                Ok(())
            })
            .unwrap();
        let now = engine.advance(3_000).await.unwrap();
        assert_eq!(now, 13_000);
        assert_eq!(
            *rec.0.lock().unwrap(),
            vec![
                ("bad".to_string(), 11_000),
                ("chain".to_string(), 12_000),
                ("chained".to_string(), 12_500)
            ]
        );
        assert_eq!(
            store.transact(|tx| tx.next_due_time()).unwrap(),
            Some(99_000)
        );
        assert_eq!(virtual_start(&store).unwrap(), 13_000);
    }
}
