//! The SQL shared by both backends, and the one implementation of the store trait that both
//! instantiate.
//!
//! SQLite and PostgreSQL accept the same statements here: `$N` placeholders (sqlx maps them
//! by number on SQLite too), `INSERT .. ON CONFLICT .. DO NOTHING / DO UPDATE`, `RETURNING`.
//! Only the column types in the migrations and the way a write transaction begins differ.
//!
//! How facts merge into a call record, so that a retried, repeated or late fact never undoes a
//! later one and an absent field never writes a zero:
//! - identity (caller, dialled number, SIP Call-ID): the first non-empty value stays;
//! - offer facts update the queue, IVR data and waiting time only until the call is answered
//!   or ended;
//! - the answer sets the answering operator and time once;
//! - the call record at the end is applied once (`ended_at_unix_ms IS NULL`): the first one
//!   wins, so a forged or replayed record cannot rewrite a finished call.

use sqlx::types::Json;

use service_request::State;

use crate::{CallOutcome, CallRecord, CallStage, EndReason, ServiceRequest, StoreError};

/// The columns of an SR with its call record (`c`) and the state of its case (`k`).
macro_rules! sr_columns {
    () => {
        "sr.id, sr.number, sr.call_id, sr.channel, sr.service_area, sr.category, \
         sr.request_type, k.state AS state, sr.created_at_unix_ms, sr.updated_at_unix_ms, \
         c.sip_call_id, c.caller_number, c.caller_number_e164, c.dialled_number, c.customer, \
         c.ivr_data, c.queue, c.agent_id, c.offered_agent_id, c.outcome, c.end_reason, c.stage, \
         c.started_at_unix_ms, c.offered_at_unix_ms, c.answered_at_unix_ms, \
         c.ended_at_unix_ms, c.waited_ms, c.talk_ms"
    };
}
pub(crate) use sr_columns;

macro_rules! sr_select {
    () => {
        concat!(
            "SELECT ",
            sr_columns!(),
            " FROM service_requests sr LEFT JOIN cases k ON k.sr_id = sr.id \
             LEFT JOIN call_records c ON c.call_id = sr.call_id "
        )
    };
}

/// Takes the next `$2` numbers of `$1` (a year) and returns the last of them. The counter row
/// stays locked until the transaction ends, so the batch takes its numbers last, just before
/// it commits: a rolled-back batch gives its numbers back (no gaps), and concurrent batches
/// wait for each other only for that moment.
pub(crate) const TAKE_NUMBERS: &str = "INSERT INTO sr_number_counters (year, last_number) \
     VALUES ($1, $2) \
     ON CONFLICT (year) DO UPDATE SET last_number = sr_number_counters.last_number + $2 \
     RETURNING last_number";

/// What an SR opened in a transaction is numbered until the batch takes its numbers, just
/// before the commit; nobody outside the transaction ever sees it, and no SR number (`SR-…`)
/// starts like it. The call ID keeps it unique.
pub(crate) fn unnumbered(call_id: &str) -> String {
    format!("unnumbered:{call_id}")
}

/// Gives one SR opened in this transaction its number (see [`unnumbered`]).
pub(crate) const NUMBER_SR: &str = "UPDATE service_requests SET number = $2 WHERE id = $1";

pub(crate) const ENSURE_CALL: &str =
    "INSERT INTO call_records (call_id) VALUES ($1) ON CONFLICT (call_id) DO NOTHING";

/// What the apply statements return of the call: what a new SR's case opens with (see
/// `cases_sql::CallOfSr`), so that opening it needs no second look at the row.
macro_rules! returning_call {
    () => {
        " RETURNING queue, caller_number, caller_number_e164, customer"
    };
}

/// The arrival usually makes the call's row: one upsert rather than an insert and an update.
pub(crate) const APPLY_ARRIVED: &str = concat!(
    "INSERT INTO call_records (call_id, sip_call_id, caller_number, caller_number_e164, \
     dialled_number, started_at_unix_ms) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (call_id) DO UPDATE SET \
     sip_call_id = COALESCE(call_records.sip_call_id, excluded.sip_call_id), \
     caller_number = CASE WHEN call_records.caller_number = '' THEN excluded.caller_number \
                     ELSE call_records.caller_number END, \
     caller_number_e164 = COALESCE(call_records.caller_number_e164, excluded.caller_number_e164), \
     dialled_number = CASE WHEN call_records.dialled_number = '' THEN excluded.dialled_number \
                      ELSE call_records.dialled_number END, \
     started_at_unix_ms = COALESCE(call_records.started_at_unix_ms, excluded.started_at_unix_ms)",
    returning_call!()
);

pub(crate) const APPLY_OFFERED: &str = concat!(
    "UPDATE call_records SET \
     caller_number = CASE WHEN caller_number = '' THEN $2 ELSE caller_number END, \
     caller_number_e164 = COALESCE(caller_number_e164, $3), \
     dialled_number = CASE WHEN dialled_number = '' THEN $4 ELSE dialled_number END, \
     customer = COALESCE(customer, $5), \
     ivr_data = CASE WHEN answered_at_unix_ms IS NULL AND ended_at_unix_ms IS NULL \
                THEN $6 ELSE ivr_data END, \
     queue = CASE WHEN answered_at_unix_ms IS NULL AND ended_at_unix_ms IS NULL \
             THEN $7 ELSE queue END, \
     waited_ms = CASE WHEN answered_at_unix_ms IS NULL AND ended_at_unix_ms IS NULL \
                 THEN $8 ELSE waited_ms END, \
     offered_agent_id = CASE WHEN answered_at_unix_ms IS NULL AND ended_at_unix_ms IS NULL \
                        THEN $9 ELSE offered_agent_id END, \
     offered_at_unix_ms = COALESCE(offered_at_unix_ms, $10) \
     WHERE call_id = $1",
    returning_call!()
);

pub(crate) const APPLY_ANSWERED: &str = concat!(
    "UPDATE call_records SET \
     agent_id = COALESCE(agent_id, $2), \
     answered_at_unix_ms = COALESCE(answered_at_unix_ms, $3) \
     WHERE call_id = $1 AND ended_at_unix_ms IS NULL",
    returning_call!()
);

pub(crate) const APPLY_ENDED: &str = concat!(
    "UPDATE call_records SET \
     sip_call_id = COALESCE(sip_call_id, $2), \
     caller_number = CASE WHEN caller_number = '' THEN $3 ELSE caller_number END, \
     caller_number_e164 = COALESCE(caller_number_e164, $4), \
     dialled_number = CASE WHEN dialled_number = '' THEN $5 ELSE dialled_number END, \
     customer = COALESCE(customer, $6), \
     ivr_data = CASE WHEN $8 THEN $7 ELSE ivr_data END, \
     queue = COALESCE($9, queue), \
     outcome = $10, end_reason = $11, stage = $12, \
     started_at_unix_ms = COALESCE(started_at_unix_ms, $13), \
     offered_at_unix_ms = COALESCE(offered_at_unix_ms, $14), \
     answered_at_unix_ms = COALESCE(answered_at_unix_ms, $15), \
     ended_at_unix_ms = $16, \
     waited_ms = COALESCE($17, waited_ms), \
     talk_ms = $18, \
     agent_id = COALESCE(agent_id, $19) \
     WHERE call_id = $1 AND ended_at_unix_ms IS NULL",
    returning_call!()
);

/// See [`returning_call`].
#[derive(sqlx::FromRow)]
pub(crate) struct CallColumns {
    pub(crate) queue: Option<String>,
    pub(crate) caller_number: Option<String>,
    pub(crate) caller_number_e164: Option<String>,
    pub(crate) customer: Option<String>,
}

pub(crate) const SR_ID_OF_CALL: &str = "SELECT id FROM service_requests WHERE call_id = $1";

/// Returns no row if the call already has an SR. Its case is opened in the same
/// transaction (`cases_sql::case_follows_call!`).
pub(crate) const INSERT_SR: &str = "INSERT INTO service_requests (number, call_id, channel, \
     created_at_unix_ms, updated_at_unix_ms) \
     VALUES ($1, $2, $3, $4, $4) \
     ON CONFLICT (call_id) DO NOTHING \
     RETURNING id";

/// The IVR's classification; what the IVR did not say keeps its value.
pub(crate) const CLASSIFY_SR: &str = "UPDATE service_requests SET \
     service_area = COALESCE($2, service_area), category = COALESCE($3, category), \
     request_type = COALESCE($4, request_type), updated_at_unix_ms = $5 \
     WHERE id = $1";

pub(crate) const TOUCH_SR: &str =
    "UPDATE service_requests SET updated_at_unix_ms = $2 WHERE id = $1";

pub(crate) const BY_ID: &str = concat!(sr_select!(), "WHERE sr.id = $1");
pub(crate) const BY_NUMBER: &str = concat!(sr_select!(), "WHERE sr.number = $1");
pub(crate) const BY_CALL_ID: &str = concat!(sr_select!(), "WHERE sr.call_id = $1");
pub(crate) const LIST: &str = concat!(
    sr_select!(),
    "WHERE ($1 IS NULL OR sr.call_id = $1) \
     AND ($2 IS NULL OR c.sip_call_id = $2) \
     AND ($3 IS NULL OR c.caller_number = $3 OR c.caller_number_e164 = $3) \
     AND ($4 IS NULL OR k.state = $4) \
     AND ($5 IS NULL OR c.queue = $5) \
     AND ($6 IS NULL OR c.agent_id = $6 OR c.offered_agent_id = $6) \
     AND ($7 IS NULL OR sr.created_at_unix_ms >= $7) \
     AND ($8 IS NULL OR sr.created_at_unix_ms < $8) \
     ORDER BY sr.id DESC LIMIT $9 OFFSET $10"
);

/// A service request row joined with its call record, as both databases return it.
#[derive(sqlx::FromRow)]
pub(crate) struct SrRow {
    id: i64,
    number: String,
    call_id: Option<String>,
    channel: String,
    service_area: Option<String>,
    category: Option<String>,
    request_type: Option<String>,
    /// The state of the SR's case; every SR has one (migration 0004, `record_call_fact`).
    state: Option<String>,
    created_at_unix_ms: i64,
    updated_at_unix_ms: i64,
    sip_call_id: Option<String>,
    caller_number: Option<String>,
    caller_number_e164: Option<String>,
    dialled_number: Option<String>,
    customer: Option<String>,
    ivr_data: Option<Json<Vec<(String, String)>>>,
    queue: Option<String>,
    agent_id: Option<String>,
    offered_agent_id: Option<String>,
    outcome: Option<String>,
    end_reason: Option<String>,
    stage: Option<String>,
    started_at_unix_ms: Option<i64>,
    offered_at_unix_ms: Option<i64>,
    answered_at_unix_ms: Option<i64>,
    ended_at_unix_ms: Option<i64>,
    waited_ms: Option<i64>,
    talk_ms: Option<i64>,
}

fn named<T>(
    value: Option<String>,
    column: &'static str,
    from_name: fn(&str) -> Option<T>,
) -> Result<Option<T>, StoreError> {
    value
        .map(|name| {
            from_name(&name).ok_or(StoreError::CorruptRow {
                column,
                value: name,
            })
        })
        .transpose()
}

impl TryFrom<SrRow> for ServiceRequest {
    type Error = StoreError;

    fn try_from(row: SrRow) -> Result<Self, StoreError> {
        let state = match &row.state {
            Some(name) => State::from_name(name).ok_or_else(|| StoreError::CorruptRow {
                column: "state",
                value: name.clone(),
            })?,
            None => {
                return Err(StoreError::CorruptRow {
                    column: "cases.sr_id",
                    value: format!("no case for service request {}", row.id),
                });
            }
        };
        let outcome = named(row.outcome, "outcome", CallOutcome::from_name)?;
        let end_reason = named(row.end_reason, "end_reason", EndReason::from_name)?;
        // Until the call record arrives, the stage follows from the facts so far.
        let stage = named(row.stage, "stage", CallStage::from_name)?.or_else(|| {
            row.call_id.as_ref()?;
            Some(if row.answered_at_unix_ms.is_some() {
                CallStage::Talking
            } else if row.offered_at_unix_ms.is_some() {
                CallStage::Offered
            } else {
                CallStage::Arrived
            })
        });
        Ok(ServiceRequest {
            id: row.id,
            number: row.number,
            call_id: row.call_id.unwrap_or_default(),
            channel: row.channel,
            service_area: row.service_area,
            category: row.category,
            request_type: row.request_type,
            state,
            created_at_unix_ms: row.created_at_unix_ms,
            updated_at_unix_ms: row.updated_at_unix_ms,
            call: CallRecord {
                sip_call_id: row.sip_call_id,
                caller_number: row.caller_number.unwrap_or_default().into(),
                caller_number_e164: row.caller_number_e164.map(Into::into),
                dialled_number: row.dialled_number.unwrap_or_default(),
                customer: row.customer.map(Into::into),
                ivr_data: row.ivr_data.map(|j| j.0).unwrap_or_default(),
                queue: row.queue,
                agent_id: row.agent_id,
                offered_agent_id: row.offered_agent_id,
                outcome,
                end_reason,
                stage,
                started_at_unix_ms: row.started_at_unix_ms,
                offered_at_unix_ms: row.offered_at_unix_ms,
                answered_at_unix_ms: row.answered_at_unix_ms,
                ended_at_unix_ms: row.ended_at_unix_ms,
                waited_ms: row.waited_ms,
                talk_ms: row.talk_ms,
            },
        })
    }
}

/// What differs between the backends in applying a batch of facts.
pub(crate) trait SrBatchDialect {
    type Db: sqlx::Database;
    /// Transactions one batch is spread over. PostgreSQL runs them at once on separate
    /// connections (they meet only at the number counter, for two round trips each);
    /// SQLite has one writer at a time anyway.
    const WRITERS: usize;
    /// Gives the SRs opened unnumbered in `tx` their numbers: `(id, number)`.
    async fn number_srs(
        tx: &mut sqlx::Transaction<'static, Self::Db>,
        numbered: Vec<(i64, String)>,
    ) -> Result<(), sqlx::Error>;
    /// The SRs of `ids` that exist, by id.
    async fn get_many(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, ServiceRequest>, StoreError>;
}

/// The SRs whose ids are in the array `$1` (PostgreSQL).
pub(crate) const BY_IDS_ARRAY: &str = concat!(sr_select!(), "WHERE sr.id = ANY($1)");

/// Which of `writers` transactions applies the facts of `call_id`: always the same one, so a
/// call's facts keep their order.
pub(crate) fn share_of(call_id: &str, writers: usize) -> usize {
    // FNV-1a: stable across runs and platforms, and spreads engine call IDs evenly.
    let hash = call_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (hash % writers.max(1) as u64) as usize
}

pub(crate) use futures_util::future::join_all;

/// How often applying a fact retries when a concurrent fact of the same call opened its SR
/// first. SRs are never deleted, so one retry is already more than the invariant needs.
pub(crate) const OPEN_ATTEMPTS: usize = 3;

/// Applies one fact's own change to its call's row in `$tx` (making the row if it is the
/// call's first fact): the row's [`CallColumns`] after it, or `None` when the fact changed
/// nothing (a late fact of an ended call).
macro_rules! apply_fact {
    ($tx:expr, $fact:expr) => {{
        use $crate::model::FactKind;
        let fact = $fact;
        let e164 = |c: &$crate::Caller| c.e164.as_ref().map(|e| e.expose().clone());
        if !matches!(fact.kind, FactKind::Arrived(_)) {
            sqlx::query($crate::sql::ENSURE_CALL)
                .bind(&fact.call_id)
                .execute(&mut *$tx)
                .await?;
        }
        let call: Option<$crate::sql::CallColumns> = match &fact.kind {
            FactKind::Arrived(a) => {
                sqlx::query_as($crate::sql::APPLY_ARRIVED)
                    .bind(&fact.call_id)
                    .bind(Some(&a.sip_call_id).filter(|s| !s.is_empty()))
                    .bind(a.caller.raw.expose())
                    .bind(e164(&a.caller))
                    .bind(&a.dialled_number)
                    .bind(fact.at_unix_ms)
                    .fetch_optional(&mut *$tx)
                    .await?
            }
            FactKind::Offered(o) => {
                sqlx::query_as($crate::sql::APPLY_OFFERED)
                    .bind(&fact.call_id)
                    .bind(o.caller.raw.expose())
                    .bind(e164(&o.caller))
                    .bind(&o.dialled_number)
                    .bind(o.customer.as_ref().map(|c| c.expose().clone()))
                    .bind(sqlx::types::Json(&o.ivr_data))
                    .bind(Some(&o.queue).filter(|q| !q.is_empty()))
                    .bind(o.waited_ms)
                    .bind(Some(&o.agent_id).filter(|a| !a.is_empty()))
                    .bind(fact.at_unix_ms)
                    .fetch_optional(&mut *$tx)
                    .await?
            }
            FactKind::Answered { agent_id } => {
                sqlx::query_as($crate::sql::APPLY_ANSWERED)
                    .bind(&fact.call_id)
                    .bind(agent_id)
                    .bind(fact.at_unix_ms)
                    .fetch_optional(&mut *$tx)
                    .await?
            }
            FactKind::Ended(e) => {
                sqlx::query_as($crate::sql::APPLY_ENDED)
                    .bind(&fact.call_id)
                    .bind(Some(&e.sip_call_id).filter(|s| !s.is_empty()))
                    .bind(e.caller.raw.expose())
                    .bind(e164(&e.caller))
                    .bind(&e.dialled_number)
                    .bind(e.customer.as_ref().map(|c| c.expose().clone()))
                    .bind(sqlx::types::Json(&e.ivr_data))
                    .bind(!e.ivr_data.is_empty())
                    .bind(&e.queue)
                    .bind(e.outcome.as_str())
                    .bind(e.end_reason.as_str())
                    .bind(e.stage.as_str())
                    .bind(e.started_at_unix_ms)
                    .bind(e.offered_at_unix_ms)
                    .bind(e.answered_at_unix_ms)
                    .bind(fact.at_unix_ms)
                    .bind(e.waited_ms)
                    .bind(e.talk_ms)
                    .bind(&e.agent_id)
                    .fetch_optional(&mut *$tx)
                    .await?
            }
        };
        call
    }};
}

pub(crate) use apply_fact;

/// Implements [`crate::ServiceRequestStore`] for a store type with fields `pool` (an sqlx pool)
/// and `clock` (`Arc<dyn Clock>`), a method `begin_write()` that starts a transaction that
/// may write, and the backend's own [`SrBatchDialect`]. Both backends share this one body so
/// that they cannot drift apart.
///
/// A batch of facts is spread over [`SrBatchDialect::WRITERS`] transactions by call, so that
/// one call's facts stay in order in one of them; each applies its facts, opens the SRs of new
/// calls unnumbered, and takes their numbers in one statement just before it commits.
macro_rules! impl_service_request_store {
    ($store:ty) => {
        impl $store {
            /// Applies the facts `indices` of `facts` in one transaction: the opened SRs by
            /// index, or the error that rolled the whole transaction back.
            async fn apply_share(
                &self,
                facts: &[$crate::CallFact],
                indices: &[usize],
            ) -> Result<Vec<(usize, $crate::Opened)>, $crate::StoreError> {
                use $crate::model::FactKind;
                use $crate::sql;

                'attempt: for _ in 0..sql::OPEN_ATTEMPTS {
                    let now = self.clock.now_unix_ms();
                    let mut tx = self.begin_write().await?;
                    let mut opened = Vec::with_capacity(indices.len());
                    let mut unnumbered = Vec::new();
                    // New SRs' cases, inserted together before the commit; and their calls.
                    let mut new_cases = Vec::new();
                    let mut calls_with_new_cases = std::collections::HashSet::new();
                    for &index in indices {
                        let fact = &facts[index];
                        if calls_with_new_cases.contains(fact.call_id.as_str()) {
                            // A later fact of a call whose case is not written yet: write
                            // the waiting cases first, so that this fact finds its case.
                            $crate::cases_sql::insert_new_cases!(
                                tx,
                                <Self as $crate::sql::SrBatchDialect>::Db,
                                &mut new_cases
                            );
                            calls_with_new_cases.clear();
                        }
                        let channel = match &fact.kind {
                            FactKind::Arrived(a) => a.channel.as_str(),
                            FactKind::Offered(o) => o.channel.as_str(),
                            FactKind::Ended(e) => e.channel.as_str(),
                            FactKind::Answered { .. } => "",
                        };
                        let channel = if channel.is_empty() {
                            $crate::CHANNEL_PHONE
                        } else {
                            channel
                        };
                        let ivr_data = match &fact.kind {
                            FactKind::Offered(o) => Some(&o.ivr_data),
                            FactKind::Ended(e) => Some(&e.ivr_data),
                            _ => None,
                        };
                        let call = sql::apply_fact!(tx, fact);
                        // A call's first fact is nearly always its arrival: it tries to open
                        // the SR at once; the other facts look for it first.
                        let arrival = matches!(fact.kind, FactKind::Arrived(_));
                        let existing: Option<i64> = if arrival {
                            None
                        } else {
                            sqlx::query_scalar(sql::SR_ID_OF_CALL)
                                .bind(&fact.call_id)
                                .fetch_optional(&mut *tx)
                                .await?
                        };
                        let (id, created) = match existing {
                            Some(id) => (id, false),
                            None => {
                                let inserted: Option<i64> = sqlx::query_scalar(sql::INSERT_SR)
                                    .bind(sql::unnumbered(&fact.call_id))
                                    .bind(&fact.call_id)
                                    .bind(channel)
                                    .bind(now)
                                    .fetch_optional(&mut *tx)
                                    .await?;
                                let found: Option<i64> = match inserted {
                                    Some(_) => None,
                                    // A repeated arrival: the SR is there.
                                    None if arrival => {
                                        sqlx::query_scalar(sql::SR_ID_OF_CALL)
                                            .bind(&fact.call_id)
                                            .fetch_optional(&mut *tx)
                                            .await?
                                    }
                                    None => None,
                                };
                                match (inserted, found) {
                                    (Some(id), _) => {
                                        unnumbered.push(id);
                                        (id, true)
                                    }
                                    (None, Some(id)) => (id, false),
                                    (None, None) => {
                                        // A concurrent writer (another CRM on the same
                                        // database) opened it after our look-up; the next
                                        // round finds it.
                                        tx.rollback().await?;
                                        continue 'attempt;
                                    }
                                }
                            }
                        };
                        match ivr_data {
                            Some(data) => {
                                sqlx::query(sql::CLASSIFY_SR)
                                    .bind(id)
                                    .bind($crate::ivr_value(data, $crate::ivr_keys::SERVICE_AREA))
                                    .bind($crate::ivr_value(data, $crate::ivr_keys::CATEGORY))
                                    .bind($crate::ivr_value(data, $crate::ivr_keys::REQUEST_TYPE))
                                    .bind(now)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                            None if !created => {
                                sqlx::query(sql::TOUCH_SR)
                                    .bind(id)
                                    .bind(now)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                            None => {}
                        }
                        // Every SR is a case from its first fact; offers and the call record
                        // may tell where the call went.
                        let may_route =
                            matches!(fact.kind, FactKind::Offered(_) | FactKind::Ended(_));
                        if created || may_route {
                            // A new SR's row is what this fact just wrote.
                            let known = call.filter(|_| created).map(|call| {
                                let area = ivr_data.and_then(|data| {
                                    $crate::ivr_value(data, $crate::ivr_keys::SERVICE_AREA)
                                });
                                $crate::cases_sql::CallOfSr::of_new_sr(channel, area, call)
                            });
                            $crate::cases_sql::case_follows_call!(
                                self,
                                tx,
                                id,
                                known,
                                may_route,
                                now,
                                &mut new_cases
                            );
                            if created {
                                calls_with_new_cases.insert(fact.call_id.as_str());
                            }
                        }
                        opened.push((index, id, created));
                    }
                    $crate::cases_sql::insert_new_cases!(
                        tx,
                        <Self as $crate::sql::SrBatchDialect>::Db,
                        &mut new_cases
                    );
                    if !unnumbered.is_empty() {
                        // The counter row is locked from here to the commit: two round trips.
                        let year = $crate::number::utc_year(now);
                        let count = i64::try_from(unnumbered.len())
                            .map_err(|_| $crate::StoreError::Contention)?;
                        let last: i64 = sqlx::query_scalar(sql::TAKE_NUMBERS)
                            .bind(year)
                            .bind(count)
                            .fetch_one(&mut *tx)
                            .await?;
                        let numbered: Vec<(i64, String)> = (last - count + 1..=last)
                            .zip(&unnumbered)
                            .map(|(sequence, &id)| {
                                (id, $crate::number::format_sr_number(year, sequence))
                            })
                            .collect();
                        <Self as $crate::sql::SrBatchDialect>::number_srs(&mut tx, numbered)
                            .await?;
                    }
                    tx.commit().await?;
                    let ids: Vec<i64> = opened.iter().map(|&(_, id, _)| id).collect();
                    let requests =
                        <Self as $crate::sql::SrBatchDialect>::get_many(self, &ids).await?;
                    let mut answers = Vec::with_capacity(opened.len());
                    for (index, id, created) in opened {
                        // A call with two facts in the batch answers both with its SR.
                        let request = requests
                            .get(&id)
                            .cloned()
                            .ok_or($crate::StoreError::Contention)?;
                        answers.push((index, $crate::Opened { request, created }));
                    }
                    return Ok(answers);
                }
                Err($crate::StoreError::Contention)
            }
        }

        impl $crate::ServiceRequestStore for $store {
            async fn record_call_facts(
                &self,
                facts: Vec<$crate::CallFact>,
            ) -> Result<Vec<Result<$crate::Opened, $crate::StoreError>>, $crate::StoreError> {
                // Invalid facts are answered alone; the valid ones are shared out by call.
                let writers = <Self as $crate::sql::SrBatchDialect>::WRITERS.max(1);
                let mut answers: Vec<Option<Result<$crate::Opened, $crate::StoreError>>> =
                    Vec::with_capacity(facts.len());
                let mut shares: Vec<Vec<usize>> = vec![Vec::new(); writers];
                for (index, fact) in facts.iter().enumerate() {
                    match fact.validate() {
                        Ok(()) => {
                            answers.push(None);
                            shares[$crate::sql::share_of(&fact.call_id, writers)].push(index);
                        }
                        Err(e) => answers.push(Some(Err(e))),
                    }
                }
                let applied = $crate::sql::join_all(
                    shares
                        .iter()
                        .filter(|share| !share.is_empty())
                        .map(|share| self.apply_share(&facts, share)),
                )
                .await;
                for share in applied {
                    for (index, opened) in share? {
                        answers[index] = Some(Ok(opened));
                    }
                }
                Ok(answers
                    .into_iter()
                    .map(|a| a.unwrap_or(Err($crate::StoreError::Contention)))
                    .collect())
            }

            async fn get(
                &self,
                id: i64,
            ) -> Result<Option<$crate::ServiceRequest>, $crate::StoreError> {
                let row: Option<$crate::sql::SrRow> = sqlx::query_as($crate::sql::BY_ID)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn get_by_number(
                &self,
                number: &str,
            ) -> Result<Option<$crate::ServiceRequest>, $crate::StoreError> {
                let row: Option<$crate::sql::SrRow> = sqlx::query_as($crate::sql::BY_NUMBER)
                    .bind(number)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn get_by_call_id(
                &self,
                call_id: &str,
            ) -> Result<Option<$crate::ServiceRequest>, $crate::StoreError> {
                let row: Option<$crate::sql::SrRow> = sqlx::query_as($crate::sql::BY_CALL_ID)
                    .bind(call_id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn list(
                &self,
                filter: $crate::ListFilter,
            ) -> Result<Vec<$crate::ServiceRequest>, $crate::StoreError> {
                if filter.offset > $crate::ListFilter::MAX_OFFSET {
                    return Err($crate::StoreError::InvalidInput(
                        "offset is beyond 100000: narrow the filter instead",
                    ));
                }
                let limit = filter.limit.clamp(1, $crate::ListFilter::MAX_LIMIT);
                let rows: Vec<$crate::sql::SrRow> = sqlx::query_as($crate::sql::LIST)
                    .bind(filter.call_id)
                    .bind(filter.sip_call_id)
                    .bind(filter.caller_number)
                    .bind(filter.state.map(service_request::State::as_str))
                    .bind(filter.queue)
                    .bind(filter.agent_id)
                    .bind(filter.created_from_unix_ms)
                    .bind(filter.created_until_unix_ms)
                    .bind(i64::from(limit))
                    .bind(i64::from(filter.offset))
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }
        }
    };
}

pub(crate) use impl_service_request_store;
