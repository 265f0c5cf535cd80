//! The durable outbox: every fact of every call is written to a SQLite file in the engine's
//! data directory before the engine acts on it, and delivered to the CRM from there, in order.
//!
//! - **Written first.** The driver hands each batch of facts to one writer task, which commits
//!   everything waiting in one transaction (group commit: one `fsync` for many calls' facts)
//!   and only then lets the driver send the SIP messages and media commands that followed the
//!   facts. A `kill -9` therefore never loses a fact whose consequences anyone saw.
//! - **Delivered in order, never dropped.** The delivery task reads the oldest facts in small
//!   batches and sends each to the CRM, retrying with backoff while the CRM is unreachable
//!   (memory stays flat: the backlog is on disk). A fact the CRM refuses for good moves to the
//!   dead-letter list with the CRM's reason and the next one goes on.
//! - **Crashes leave no call without its record.** Each call in progress has a snapshot row
//!   (how far it got, what the IVR learned); its call record deletes it in the same
//!   transaction. At the next start every snapshot left over is closed: `interrupted`, or
//!   `answered` with the end reason `engine_restarted` if an operator had answered.
//!
//! SQLite runs in WAL mode with `synchronous = FULL`: a committed fact survives the process
//! being killed and the machine losing power.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use call_control::events::{CallFact, CallRecord, CallRef};
use common::Clock;
use common::call::{CallOutcome, CallStage, EndReason};
use common::phone::CallerNumber;
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tokio::sync::{Notify, mpsc, watch};
use tracing::{info, warn};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/outbox");

/// The outbox file's name in the data directory.
pub const OUTBOX_FILE: &str = "engine-outbox.db";

/// How often the writer notes that the engine is alive (for calls a crash interrupts).
const HEARTBEAT: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutboxError {
    #[error("{path}: cannot open the outbox: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },
    #[error("{path}: cannot migrate the outbox: {source}")]
    Migrate {
        path: PathBuf,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    #[error("outbox database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("outbox row {seq} holds an unreadable fact: {source}")]
    Corrupt {
        seq: i64,
        #[source]
        source: serde_json::Error,
    },
}

/// How far a call in progress got, as the outbox keeps it for a restart after a crash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct LiveCall {
    call: CallRef,
    sip_call_id: String,
    caller: CallerNumber,
    dialled: String,
    started_at_unix_ms: i64,
    stage: CallStage,
    ivr_data: Vec<(String, String)>,
    queue: Option<String>,
    queued_at_unix_ms: Option<i64>,
    offered_at_unix_ms: Option<i64>,
    answered_at_unix_ms: Option<i64>,
    agent_id: Option<String>,
}

impl LiveCall {
    /// Applies a fact to the snapshot; `None` for a fact that ends the call.
    fn apply(mut self, fact: &CallFact) -> Option<LiveCall> {
        match fact {
            CallFact::Arrived(_) | CallFact::Ended(_) => return None,
            CallFact::Progress {
                stage,
                ivr_data,
                queue,
                at_unix_ms,
                ..
            } => {
                if *stage >= CallStage::Queued && self.queued_at_unix_ms.is_none() {
                    self.queued_at_unix_ms = Some(*at_unix_ms);
                }
                self.stage = self.stage.max(*stage);
                self.ivr_data.clone_from(ivr_data);
                if queue.is_some() {
                    self.queue.clone_from(queue);
                }
            }
            CallFact::Offered(o) => {
                self.stage = self.stage.max(CallStage::Offered);
                self.offered_at_unix_ms.get_or_insert(o.offered_at_unix_ms);
                self.ivr_data.clone_from(&o.ivr_data);
                self.queue = Some(o.queue.clone());
            }
            CallFact::Answered {
                agent_id,
                at_unix_ms,
                ..
            } => {
                self.stage = CallStage::Talking;
                self.answered_at_unix_ms.get_or_insert(*at_unix_ms);
                self.agent_id.get_or_insert_with(|| agent_id.clone());
            }
        }
        Some(self)
    }

    /// The call record of a call the engine stopped in the middle of, as known at `alive_at`
    /// (the last moment the engine was known running).
    fn interrupted(self, alive_at_unix_ms: i64) -> CallRecord {
        let ended = alive_at_unix_ms.max(self.started_at_unix_ms);
        let answered = self.answered_at_unix_ms.is_some();
        let since = |t: i64| u64::try_from(ended.saturating_sub(t)).unwrap_or(0);
        CallRecord {
            call: self.call,
            sip_call_id: self.sip_call_id,
            caller: self.caller,
            dialled: self.dialled,
            ivr_data: self.ivr_data,
            queue: self.queue,
            outcome: if answered {
                CallOutcome::Answered
            } else {
                CallOutcome::Interrupted
            },
            end_reason: EndReason::EngineRestarted,
            stage: self.stage,
            started_at_unix_ms: self.started_at_unix_ms,
            offered_at_unix_ms: self.offered_at_unix_ms,
            answered_at_unix_ms: self.answered_at_unix_ms,
            ended_at_unix_ms: ended,
            waited_ms: self
                .queued_at_unix_ms
                .map(|q| since(q).saturating_sub(self.answered_at_unix_ms.map_or(0, since))),
            talk_ms: self.answered_at_unix_ms.map(since),
            agent_id: self.agent_id,
        }
    }
}

/// The backlog, for administrators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxStatus {
    /// Facts not yet delivered to the CRM.
    pub pending: u64,
    /// Age of the oldest of them, in milliseconds.
    pub oldest_pending_age_ms: Option<i64>,
    /// Facts the CRM refused for good.
    pub dead_letters: u64,
    /// Calls in progress (or interrupted and not yet closed).
    pub live_calls: u64,
    /// The last error of the oldest pending fact, if its delivery failed.
    pub last_error: Option<String>,
}

/// A fact the CRM refused for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetter {
    pub seq: i64,
    pub call_id: String,
    pub kind: String,
    pub created_at_unix_ms: i64,
    pub failed_at_unix_ms: i64,
    pub reason: String,
    /// The fact as JSON (it holds personal data: shown to administrators only).
    pub payload: String,
}

/// One fact waiting for delivery.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub seq: i64,
    pub fact: CallFact,
}

/// The outbox file. Cheap to clone (a connection pool).
#[derive(Clone)]
pub struct Outbox {
    pool: SqlitePool,
    clock: Arc<dyn Clock>,
    /// Woken after every commit: the delivery task waits on it when the outbox is empty.
    appended: Arc<Notify>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").finish_non_exhaustive()
    }
}

fn kind(fact: &CallFact) -> &'static str {
    match fact {
        CallFact::Arrived(_) => "arrived",
        CallFact::Progress { .. } => "progress",
        CallFact::Offered(_) => "offered",
        CallFact::Answered { .. } => "answered",
        CallFact::Ended(_) => "ended",
    }
}

impl Outbox {
    /// Opens (creating it if missing) the outbox file at `path`.
    pub async fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Outbox, OutboxError> {
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(|source| OutboxError::Open {
                path: path.to_owned(),
                source,
            })?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .map_err(|source| OutboxError::Open {
                path: path.to_owned(),
                source,
            })?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|source| OutboxError::Migrate {
                path: path.to_owned(),
                source,
            })?;
        Ok(Outbox {
            pool,
            clock,
            appended: Arc::new(Notify::new()),
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The epoch for this boot's call IDs: later than every earlier boot's, even if the clock
    /// went back.
    pub async fn next_boot_epoch(&self) -> Result<i64, OutboxError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let last: Option<i64> =
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'boot_epoch'")
                .fetch_optional(&mut *tx)
                .await?;
        let epoch = last.map_or(0, |l| l + 1).max(self.clock.now_unix_ms());
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ('boot_epoch', $1) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(epoch)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(epoch)
    }

    /// Closes every call a crash left in progress: its call record goes into the outbox (to
    /// the CRM) and its snapshot goes. Returns the calls closed.
    pub async fn recover_interrupted(&self) -> Result<Vec<CallRef>, OutboxError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let alive_at: Option<i64> =
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'alive_at'")
                .fetch_optional(&mut *tx)
                .await?;
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT call_id, snapshot, updated_at_unix_ms FROM live_calls")
                .fetch_all(&mut *tx)
                .await?;
        let mut closed = Vec::new();
        for (call_id, snapshot, updated_at) in rows {
            let live: LiveCall = match serde_json::from_str(&snapshot) {
                Ok(live) => live,
                Err(e) => {
                    // Never expected; a record is still owed, so keep the row for a human.
                    warn!(call = %call_id, error = %e, "unreadable snapshot of an interrupted call");
                    continue;
                }
            };
            let record = live.interrupted(alive_at.unwrap_or(updated_at).max(updated_at));
            info!(call = %record.call, stage = %record.stage, "closing a call the engine's stop interrupted");
            let fact = CallFact::Ended(record);
            insert_fact(&mut tx, &fact, self.clock.now_unix_ms()).await?;
            sqlx::query("DELETE FROM live_calls WHERE call_id = $1")
                .bind(&call_id)
                .execute(&mut *tx)
                .await?;
            closed.push(CallRef(call_id));
        }
        tx.commit().await?;
        if !closed.is_empty() {
            self.appended.notify_one();
        }
        Ok(closed)
    }

    /// Makes `facts` durable (see [`Outbox::append_all`]).
    pub async fn append(&self, facts: &[CallFact]) -> Result<(), OutboxError> {
        self.append_all(&Durable {
            facts: facts.to_vec(),
            ..Durable::default()
        })
        .await
    }

    /// Makes everything in `durable` durable, in one transaction: deliverable facts join the
    /// outbox, the snapshots of the calls they belong to follow them, ACD journal entries are
    /// appended and registrations replaced.
    pub async fn append_all(&self, durable: &Durable) -> Result<(), OutboxError> {
        let now = self.clock.now_unix_ms();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        crate::durable_state::store(&mut tx, &durable.journal, &durable.registrations).await?;
        let facts = &durable.facts;
        for fact in facts {
            let call_id = &fact.call().0;
            match fact {
                CallFact::Arrived(a) => {
                    let live = LiveCall {
                        call: a.call.clone(),
                        sip_call_id: a.sip_call_id.clone(),
                        caller: a.caller.clone(),
                        dialled: a.dialled.clone(),
                        started_at_unix_ms: a.at_unix_ms,
                        stage: CallStage::Arrived,
                        ivr_data: Vec::new(),
                        queue: None,
                        queued_at_unix_ms: None,
                        offered_at_unix_ms: None,
                        answered_at_unix_ms: None,
                        agent_id: None,
                    };
                    store_snapshot(&mut tx, &live, now).await?;
                }
                CallFact::Ended(_) => {
                    sqlx::query("DELETE FROM live_calls WHERE call_id = $1")
                        .bind(call_id)
                        .execute(&mut *tx)
                        .await?;
                }
                _ => {
                    let snapshot: Option<String> =
                        sqlx::query_scalar("SELECT snapshot FROM live_calls WHERE call_id = $1")
                            .bind(call_id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    let updated = snapshot
                        .and_then(|s| serde_json::from_str::<LiveCall>(&s).ok())
                        .and_then(|live| live.apply(fact));
                    if let Some(live) = updated {
                        store_snapshot(&mut tx, &live, now).await?;
                    }
                }
            }
            if !matches!(fact, CallFact::Progress { .. }) {
                insert_fact(&mut tx, fact, now).await?;
            }
        }
        note_alive(&mut tx, now).await?;
        tx.commit().await?;
        self.appended.notify_one();
        Ok(())
    }

    /// Notes that the engine is alive now.
    pub async fn heartbeat(&self) -> Result<(), OutboxError> {
        let mut conn = self.pool.acquire().await?;
        note_alive(&mut conn, self.clock.now_unix_ms()).await?;
        Ok(())
    }

    pub async fn status(&self) -> Result<OutboxStatus, OutboxError> {
        let (pending, oldest): (i64, Option<i64>) =
            sqlx::query_as("SELECT COUNT(*), MIN(created_at_unix_ms) FROM outbox")
                .fetch_one(&self.pool)
                .await?;
        let dead: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM dead_letters")
            .fetch_one(&self.pool)
            .await?;
        let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM live_calls")
            .fetch_one(&self.pool)
            .await?;
        let last_error: Option<String> =
            sqlx::query_scalar("SELECT last_error FROM outbox ORDER BY seq LIMIT 1")
                .fetch_optional(&self.pool)
                .await?
                .flatten();
        let now = self.clock.now_unix_ms();
        Ok(OutboxStatus {
            pending: u64::try_from(pending).unwrap_or(0),
            oldest_pending_age_ms: oldest.map(|t| now.saturating_sub(t).max(0)),
            dead_letters: u64::try_from(dead).unwrap_or(0),
            live_calls: u64::try_from(live).unwrap_or(0),
            last_error,
        })
    }

    /// The most recent dead letters, newest first.
    pub async fn dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>, OutboxError> {
        let rows: Vec<(i64, String, String, i64, i64, String, String)> = sqlx::query_as(
            "SELECT seq, call_id, kind, created_at_unix_ms, failed_at_unix_ms, reason, payload \
             FROM dead_letters ORDER BY seq DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(seq, call_id, kind, created_at_unix_ms, failed_at_unix_ms, reason, payload)| {
                    DeadLetter {
                        seq,
                        call_id,
                        kind,
                        created_at_unix_ms,
                        failed_at_unix_ms,
                        reason,
                        payload,
                    }
                },
            )
            .collect())
    }

    /// Puts every dead letter back at the end of the outbox (after the CRM was fixed).
    /// Returns how many.
    pub async fn retry_dead_letters(&self) -> Result<u64, OutboxError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let moved = sqlx::query(
            "INSERT INTO outbox (call_id, kind, payload, created_at_unix_ms) \
             SELECT call_id, kind, payload, created_at_unix_ms FROM dead_letters ORDER BY seq",
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("DELETE FROM dead_letters")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.appended.notify_one();
        Ok(moved)
    }

    /// The oldest `limit` facts waiting for delivery.
    pub(crate) async fn next_batch(&self, limit: u32) -> Result<Vec<Pending>, OutboxError> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT seq, payload FROM outbox ORDER BY seq LIMIT $1")
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(seq, payload)| {
                serde_json::from_str(&payload)
                    .map(|fact| Pending { seq, fact })
                    .map_err(|source| OutboxError::Corrupt { seq, source })
            })
            .collect()
    }

    pub(crate) async fn delivered(&self, seq: i64) -> Result<(), OutboxError> {
        sqlx::query("DELETE FROM outbox WHERE seq = $1")
            .bind(seq)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn attempt_failed(&self, seq: i64, error: &str) -> Result<(), OutboxError> {
        sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE seq = $1")
            .bind(seq)
            .bind(error)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The CRM refused the fact for good: it moves to the dead letters with `reason`.
    pub(crate) async fn refused(&self, seq: i64, reason: &str) -> Result<(), OutboxError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "INSERT INTO dead_letters (seq, call_id, kind, payload, created_at_unix_ms, \
             failed_at_unix_ms, reason) \
             SELECT seq, call_id, kind, payload, created_at_unix_ms, $2, $3 FROM outbox \
             WHERE seq = $1",
        )
        .bind(seq)
        .bind(self.clock.now_unix_ms())
        .bind(reason)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM outbox WHERE seq = $1")
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Waits until something is appended (or a moment passes).
    pub(crate) async fn wait_for_more(&self, at_most: Duration) {
        let _ = tokio::time::timeout(at_most, self.appended.notified()).await;
    }
}

async fn store_snapshot(
    conn: &mut sqlx::SqliteConnection,
    live: &LiveCall,
    now: i64,
) -> Result<(), OutboxError> {
    let json = serde_json::to_string(live).expect("a snapshot always serialises");
    sqlx::query(
        "INSERT INTO live_calls (call_id, snapshot, updated_at_unix_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (call_id) DO UPDATE SET snapshot = excluded.snapshot, \
         updated_at_unix_ms = excluded.updated_at_unix_ms",
    )
    .bind(&live.call.0)
    .bind(json)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn insert_fact(
    conn: &mut sqlx::SqliteConnection,
    fact: &CallFact,
    now: i64,
) -> Result<(), OutboxError> {
    let json = serde_json::to_string(fact).expect("a fact always serialises");
    sqlx::query(
        "INSERT INTO outbox (call_id, kind, payload, created_at_unix_ms) VALUES ($1, $2, $3, $4)",
    )
    .bind(&fact.call().0)
    .bind(kind(fact))
    .bind(json)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn note_alive(conn: &mut sqlx::SqliteConnection, now: i64) -> Result<(), OutboxError> {
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('alive_at', $1) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What the driver hands the writer in one batch.
#[derive(Debug, Clone, Default)]
pub struct Durable {
    pub facts: Vec<CallFact>,
    pub journal: Vec<crate::durable_state::StoredJournalEntry>,
    pub registrations: Vec<(String, Vec<call_control::StoredBinding>)>,
}

impl Durable {
    pub fn is_empty(&self) -> bool {
        self.facts.is_empty() && self.journal.is_empty() && self.registrations.is_empty()
    }

    fn extend(&mut self, other: Durable) {
        self.facts.extend(other.facts);
        self.journal.extend(other.journal);
        self.registrations.extend(other.registrations);
    }
}

/// A batch handed to the writer, and the number the driver gave it.
pub(crate) type Batch = (u64, Durable);

/// The writer task: commits every batch waiting in one transaction, then reports the highest
/// batch number committed. A failed commit is retried (the disk may be full for a while): a
/// fact is never dropped, and the driver holds back what depends on it meanwhile.
pub(crate) async fn write(
    outbox: Outbox,
    mut batches: mpsc::Receiver<Batch>,
    committed: watch::Sender<u64>,
) {
    let mut waiting: Vec<Batch> = Vec::new();
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            n = batches.recv_many(&mut waiting, 1024) => {
                if n == 0 {
                    return;
                }
            }
            _ = heartbeat.tick() => {
                if let Err(e) = outbox.heartbeat().await {
                    warn!(error = %e, "outbox heartbeat failed");
                }
                continue;
            }
        }
        let highest = waiting.iter().map(|(n, _)| *n).max().unwrap_or(0);
        let mut all = Durable::default();
        for (_, durable) in waiting.drain(..) {
            all.extend(durable);
        }
        let mut backoff = Duration::from_millis(50);
        while let Err(e) = outbox.append_all(&all).await {
            warn!(error = %e, retry_in = ?backoff, facts = all.facts.len(), "cannot write the outbox: calls wait");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
        let _ = committed.send(highest);
    }
}

#[cfg(test)]
mod tests;
