//! The engine: the clock (real, or virtual so tests never sleep), id generation, and the runner of
//! durable due work. Work is a row in the store's job queue, written in the same transaction as the
//! change that caused it; the runner takes each due job and runs it in a transaction of its own
//! that also deletes it, so a crash neither loses nor doubles a step.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use esl_store::{Job, Store, StoreError, Tx};

const VIRTUAL_NOW_KEY: &str = "virtual_now_ms";
/// Where the virtual clock first started (what a reset goes back to, on whichever node).
const VIRTUAL_START_KEY: &str = "virtual_start_ms";
/// How long `advance` waits for a due job that another node holds before going on without it.
const HELD_JOB_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    Real,
    Virtual,
}

/// Emulated time. In `Real` mode it is the system clock; in `Virtual` mode it moves only when
/// advanced. A virtual clock made by `Clock::shared` lives in the store (the `virtual_now_ms` meta
/// row), so every node on one database reads the same time: `now_in` reads it inside the caller's
/// transaction, `now_ms` in a transaction of its own (blocking: not on an async worker thread).
/// `wall_secs` is always the system clock: signatures are checked against real time.
pub struct Clock {
    mode: ClockMode,
    start_ms: i64,
    virtual_ms: AtomicI64,
    shared: Option<Store>,
}

fn system_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Clock {
    /// A clock of this process alone (a virtual one starts at `start_ms` and lives in memory).
    pub fn new(mode: ClockMode, start_ms: i64) -> Self {
        Clock {
            mode,
            start_ms,
            virtual_ms: AtomicI64::new(start_ms),
            shared: None,
        }
    }

    /// A virtual clock kept in `store`, shared by every node on it; `start_ms` is what
    /// `virtual_start` returned.
    pub fn shared(store: Store, start_ms: i64) -> Self {
        Clock {
            mode: ClockMode::Virtual,
            start_ms,
            virtual_ms: AtomicI64::new(start_ms),
            shared: Some(store),
        }
    }

    pub fn mode(&self) -> ClockMode {
        self.mode
    }

    /// Now, read inside the caller's transaction (a shared virtual clock reads its row there, so
    /// an action and a concurrent advance on another node serialize).
    pub fn now_in(&self, tx: &mut dyn Tx) -> Result<i64, StoreError> {
        match (self.mode, &self.shared) {
            (ClockMode::Real, _) => Ok(system_ms()),
            (ClockMode::Virtual, None) => Ok(self.virtual_ms.load(Ordering::SeqCst)),
            (ClockMode::Virtual, Some(_)) => {
                let ms = stored_now(tx)?.unwrap_or(self.start_ms);
                self.virtual_ms.store(ms, Ordering::SeqCst);
                Ok(ms)
            }
        }
    }

    /// Now. Blocking for a shared virtual clock (it reads the store): call it where store calls
    /// may run. If the store cannot be read, the last time this node saw.
    pub fn now_ms(&self) -> i64 {
        match (self.mode, &self.shared) {
            (ClockMode::Real, _) => system_ms(),
            (ClockMode::Virtual, None) => self.virtual_ms.load(Ordering::SeqCst),
            (ClockMode::Virtual, Some(store)) => {
                store.transact(|tx| self.now_in(tx)).unwrap_or_else(|e| {
                    tracing::error!("clock: {e}");
                    self.virtual_ms.load(Ordering::SeqCst)
                })
            }
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

    /// Back to `ms` (virtual mode; the only way the clock moves backwards).
    fn rewind(&self, ms: i64) {
        self.virtual_ms.store(ms, Ordering::SeqCst);
    }
}

fn stored_now(tx: &mut dyn Tx) -> Result<Option<i64>, StoreError> {
    Ok(tx.meta_get(VIRTUAL_NOW_KEY)?.and_then(|v| v.parse().ok()))
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

/// What this node's runner has done since it started (jobs whose transaction committed here).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeStats {
    pub jobs_run: u64,
    pub jobs_failed: u64,
    pub by_kind: BTreeMap<String, u64>,
}

pub struct Engine {
    pub store: Store,
    pub clock: Arc<Clock>,
    runner: Arc<dyn JobRunner>,
    wake: tokio::sync::Notify,
    advancing: tokio::sync::Mutex<()>,
    node_id: String,
    /// The longest the idle worker sleeps before looking at the queue again: other nodes may
    /// enqueue work (or die holding it) without waking this one.
    poll: Duration,
    stats: Mutex<NodeStats>,
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

/// The virtual clock's start: what the store remembers, else now on the system clock (whole
/// seconds), recorded as both the current time and the start a reset goes back to.
pub fn virtual_start(store: &Store) -> Result<i64, StoreError> {
    store.transact(|tx| -> Result<i64, StoreError> {
        match stored_now(tx)? {
            Some(ms) => Ok(ms),
            None => {
                let ms = system_ms() / 1000 * 1000;
                tx.meta_set(VIRTUAL_NOW_KEY, &ms.to_string())?;
                tx.meta_set(VIRTUAL_START_KEY, &ms.to_string())?;
                Ok(ms)
            }
        }
    })
}

fn join_error(e: tokio::task::JoinError) -> EngineError {
    EngineError::Store(StoreError::Io(std::io::Error::other(e.to_string())))
}

impl Engine {
    pub fn new(store: Store, clock: Arc<Clock>, runner: Arc<dyn JobRunner>) -> Self {
        Engine {
            store,
            clock,
            runner,
            wake: tokio::sync::Notify::new(),
            advancing: tokio::sync::Mutex::new(()),
            node_id: "local".into(),
            poll: Duration::from_secs(60),
            stats: Mutex::new(NodeStats::default()),
        }
    }

    /// Names this node (in its log lines and stats) and sets how often its idle worker looks
    /// at the queue (a store shared by several nodes wants a short `poll`).
    pub fn with_node(mut self, node_id: impl Into<String>, poll: Duration) -> Self {
        self.node_id = node_id.into();
        self.poll = poll;
        self
    }

    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    pub fn stats(&self) -> NodeStats {
        self.stats.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn record(&self, job: &Job, failed: bool) {
        let mut s = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        s.jobs_run += 1;
        if failed {
            s.jobs_failed += 1;
        }
        *s.by_kind.entry(job.kind.clone()).or_default() += 1;
        drop(s);
        tracing::info!(
            node = %self.node_id,
            job = job.id,
            kind = %job.kind,
            due_ms = job.due_ms,
            failed,
            "job ran"
        );
    }

    /// Now, on a blocking thread (a shared virtual clock reads the store).
    pub async fn now(self: &Arc<Self>) -> i64 {
        let this = self.clone();
        match tokio::task::spawn_blocking(move || this.clock.now_ms()).await {
            Ok(ms) => ms,
            // The blocking pool is gone (shutting down): the last time this node saw.
            Err(_) => match self.clock.mode() {
                ClockMode::Real => system_ms(),
                ClockMode::Virtual => self.clock.virtual_ms.load(Ordering::SeqCst),
            },
        }
    }

    /// Tells the worker that new work may be due.
    pub fn kick(&self) {
        self.wake.notify_one();
    }

    /// Runs every job due at or before `now_ms` that no other node holds, each in its own
    /// transaction, including jobs that those jobs schedule for no later than `now_ms`. Returns
    /// how many ran here.
    pub fn run_due(&self, now_ms: i64) -> Result<usize, StoreError> {
        /// Why a step did not commit.
        enum Stop {
            Store(StoreError),
            /// The step failed: its changes are rolled back, and the job is dropped (below) so the
            /// queue moves on instead of retrying it forever.
            Failed(Job, String),
        }
        impl From<StoreError> for Stop {
            fn from(e: StoreError) -> Self {
                Stop::Store(e)
            }
        }
        let mut ran = 0;
        loop {
            // The job is taken, deleted and run in one transaction: a node that dies mid-job
            // leaves nothing behind, and the job (its row lock released) goes to another node.
            let step = self.store.transact(|tx| -> Result<Option<Job>, Stop> {
                let Some(job) = tx.next_due_job(now_ms)? else {
                    return Ok(None);
                };
                tx.delete_job(job.id)?;
                self.runner
                    .run(tx, &job, now_ms.max(job.due_ms))
                    .map_err(|e| {
                        let why = format!("job {} ({}) failed: {e}", job.id, job.kind);
                        Stop::Failed(job.clone(), why)
                    })?;
                Ok(Some(job))
            });
            match step {
                Ok(None) => return Ok(ran),
                Ok(Some(job)) => {
                    self.record(&job, false);
                    ran += 1;
                }
                Err(Stop::Failed(job, why)) => {
                    tracing::error!(node = %self.node_id, "{why}");
                    self.store.transact(|tx| tx.delete_job(job.id))?;
                    self.record(&job, true);
                    ran += 1;
                }
                Err(Stop::Store(e)) => return Err(e),
            }
        }
    }

    /// Moves the virtual clock forward by `ms`, stopping at each due job's time to run it, and
    /// returns once everything due by the new time has run. Returns the new time.
    ///
    /// On a shared store the time is the stored one, so the advance starts from wherever any
    /// node left the clock, and each step only ever moves the stored time forward. A due job
    /// another node is running (its row locked, so `run_due` skips it) is waited for, up to
    /// `HELD_JOB_WAIT`, since it may schedule more work before the target; then the advance goes on.
    pub async fn advance(self: &Arc<Self>, ms: i64) -> Result<i64, EngineError> {
        if self.clock.mode() != ClockMode::Virtual {
            return Err(EngineError::NotVirtual);
        }
        let _one_at_a_time = self.advancing.lock().await;
        let this = self.clone();
        tokio::task::spawn_blocking(move || -> Result<i64, EngineError> {
            let target = this.clock.now_ms() + ms.max(0);
            // Each new time is stored before anyone can see it, so a crash in the middle of an
            // advance never restarts the clock earlier than work that already ran (or requests
            // already answered) at a later time.
            let step_to = |t: i64| -> Result<i64, StoreError> {
                let now = this.store.transact(|tx| -> Result<i64, StoreError> {
                    let now = stored_now(tx)?.unwrap_or(t).max(t);
                    tx.meta_set(VIRTUAL_NOW_KEY, &now.to_string())?;
                    Ok(now)
                })?;
                this.clock.set_virtual(now);
                Ok(now)
            };
            let mut held_since: Option<std::time::Instant> = None;
            loop {
                let now = this.clock.now_ms();
                this.run_due(now)?;
                let next = this.store.transact(|tx| tx.next_due_time())?;
                match next {
                    Some(t) if t <= now => {
                        // Due but not taken: another node holds it.
                        let since = *held_since.get_or_insert_with(std::time::Instant::now);
                        if since.elapsed() < HELD_JOB_WAIT {
                            std::thread::sleep(Duration::from_millis(10));
                            continue;
                        }
                        tracing::warn!(
                            node = %this.node_id,
                            "advance: a job due at {t} is still held by another node; going on"
                        );
                        match this.store.transact(|tx| tx.next_due_time_after(now))? {
                            Some(t) if t <= target => {
                                step_to(t)?;
                            }
                            _ => break,
                        }
                    }
                    Some(t) if t <= target => {
                        held_since = None;
                        step_to(t)?;
                    }
                    _ => break,
                }
            }
            let now = step_to(target)?;
            this.run_due(now)?;
            Ok(now)
        })
        .await
        .map_err(join_error)?
    }

    /// Starts clean: every document, IP allocation, job and metadata row is removed in one
    /// transaction (only the schema version stays), and a virtual clock goes back to the time it
    /// first started at (recorded again, as a first start records it). Waits for a running
    /// advance of this node.
    pub async fn reset(self: &Arc<Self>) -> Result<i64, EngineError> {
        let _one_at_a_time = self.advancing.lock().await;
        let this = self.clone();
        tokio::task::spawn_blocking(move || -> Result<i64, EngineError> {
            let virtual_clock = this.clock.mode() == ClockMode::Virtual;
            let start = this.store.transact(|tx| -> Result<i64, StoreError> {
                let start = tx
                    .meta_get(VIRTUAL_START_KEY)?
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(this.clock.start_ms());
                tx.wipe()?;
                if virtual_clock {
                    tx.meta_set(VIRTUAL_NOW_KEY, &start.to_string())?;
                    tx.meta_set(VIRTUAL_START_KEY, &start.to_string())?;
                }
                Ok(start)
            })?;
            if virtual_clock {
                this.clock.rewind(start);
            }
            Ok(this.clock.now_ms())
        })
        .await
        .map_err(join_error)?
    }

    /// The background worker: runs what is due now, then waits for the next due time (real
    /// clock), a kick, the poll interval (work other nodes enqueued or dropped), or shutdown.
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
                    match t - self.clock.now_ms() {
                        // Due but not taken: another node is running it; look again shortly.
                        d if d <= 0 => Duration::from_millis(20),
                        d => Duration::from_millis(d.min(60_000) as u64),
                    }
                }
                Ok(Err(e)) => {
                    tracing::error!(node = %self.node_id, "engine: {e}");
                    Duration::from_secs(1)
                }
                _ => Duration::from_secs(60),
            }
            .min(self.poll);
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
    async fn a_shared_virtual_clock_moves_for_every_node_on_the_store() {
        let store = Store::memory().unwrap();
        let rec = Arc::new(Recorder(Mutex::new(Vec::new())));
        let start = virtual_start(&store).unwrap();
        let node = |id: &str| {
            Arc::new(
                Engine::new(
                    store.clone(),
                    Arc::new(Clock::shared(store.clone(), start)),
                    rec.clone(),
                )
                .with_node(id, Duration::from_millis(250)),
            )
        };
        let (a, b) = (node("a"), node("b"));
        store
            .transact(|tx| tx.enqueue(start + 1_000, "x", ""))
            .unwrap();
        assert_eq!(b.advance(2_000).await.unwrap(), start + 2_000);
        assert_eq!(a.now().await, start + 2_000, "A sees B's advance");
        assert_eq!(a.advance(1_000).await.unwrap(), start + 3_000);
        assert_eq!(b.now().await, start + 3_000);
        assert_eq!((a.stats().jobs_run, b.stats().jobs_run), (0, 1));
        assert_eq!(
            a.reset().await.unwrap(),
            start,
            "a reset goes back to the first start"
        );
        assert_eq!(b.now().await, start);
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
