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

/// Takes the next number of `$1` (a year). The counter row stays locked until the
/// transaction ends, which serialises concurrent opens.
pub(crate) const NEXT_NUMBER: &str = "INSERT INTO sr_number_counters (year, last_number) \
     VALUES ($1, 1) \
     ON CONFLICT (year) DO UPDATE SET last_number = sr_number_counters.last_number + 1 \
     RETURNING last_number";

pub(crate) const ENSURE_CALL: &str =
    "INSERT INTO call_records (call_id) VALUES ($1) ON CONFLICT (call_id) DO NOTHING";

pub(crate) const APPLY_ARRIVED: &str = "UPDATE call_records SET \
     sip_call_id = COALESCE(sip_call_id, $2), \
     caller_number = CASE WHEN caller_number = '' THEN $3 ELSE caller_number END, \
     caller_number_e164 = COALESCE(caller_number_e164, $4), \
     dialled_number = CASE WHEN dialled_number = '' THEN $5 ELSE dialled_number END, \
     started_at_unix_ms = COALESCE(started_at_unix_ms, $6) \
     WHERE call_id = $1";

pub(crate) const APPLY_OFFERED: &str = "UPDATE call_records SET \
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
     WHERE call_id = $1";

pub(crate) const APPLY_ANSWERED: &str = "UPDATE call_records SET \
     agent_id = COALESCE(agent_id, $2), \
     answered_at_unix_ms = COALESCE(answered_at_unix_ms, $3) \
     WHERE call_id = $1 AND ended_at_unix_ms IS NULL";

pub(crate) const APPLY_ENDED: &str = "UPDATE call_records SET \
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
     WHERE call_id = $1 AND ended_at_unix_ms IS NULL";

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

/// How often applying a fact retries when a concurrent fact of the same call opened its SR
/// first. SRs are never deleted, so one retry is already more than the invariant needs.
pub(crate) const OPEN_ATTEMPTS: usize = 3;

/// Binds one fact's own update onto `$tx`.
macro_rules! apply_fact {
    ($tx:expr, $fact:expr) => {{
        use $crate::model::FactKind;
        let fact = $fact;
        let e164 = |c: &$crate::Caller| c.e164.as_ref().map(|e| e.expose().clone());
        match &fact.kind {
            FactKind::Arrived(a) => {
                sqlx::query($crate::sql::APPLY_ARRIVED)
                    .bind(&fact.call_id)
                    .bind(Some(&a.sip_call_id).filter(|s| !s.is_empty()))
                    .bind(a.caller.raw.expose())
                    .bind(e164(&a.caller))
                    .bind(&a.dialled_number)
                    .bind(fact.at_unix_ms)
                    .execute(&mut *$tx)
                    .await?;
            }
            FactKind::Offered(o) => {
                sqlx::query($crate::sql::APPLY_OFFERED)
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
                    .execute(&mut *$tx)
                    .await?;
            }
            FactKind::Answered { agent_id } => {
                sqlx::query($crate::sql::APPLY_ANSWERED)
                    .bind(&fact.call_id)
                    .bind(agent_id)
                    .bind(fact.at_unix_ms)
                    .execute(&mut *$tx)
                    .await?;
            }
            FactKind::Ended(e) => {
                sqlx::query($crate::sql::APPLY_ENDED)
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
                    .execute(&mut *$tx)
                    .await?;
            }
        }
    }};
}

pub(crate) use apply_fact;

/// Implements [`crate::ServiceRequestStore`] for a store type with fields `pool` (an sqlx pool)
/// and `clock` (`Arc<dyn Clock>`) and a method `begin_write()` that starts a transaction that
/// may write. Both backends share this one body so that they cannot drift apart.
macro_rules! impl_service_request_store {
    ($store:ty) => {
        impl $crate::ServiceRequestStore for $store {
            async fn record_call_facts(
                &self,
                facts: Vec<$crate::CallFact>,
            ) -> Result<Vec<Result<$crate::Opened, $crate::StoreError>>, $crate::StoreError> {
                use $crate::model::FactKind;
                use $crate::sql;

                // Invalid facts are answered alone; the valid ones share one transaction.
                let mut answers: Vec<Option<Result<$crate::Opened, $crate::StoreError>>> =
                    Vec::with_capacity(facts.len());
                let mut valid = Vec::with_capacity(facts.len());
                for (index, fact) in facts.iter().enumerate() {
                    match fact.validate() {
                        Ok(()) => {
                            answers.push(None);
                            valid.push(index);
                        }
                        Err(e) => answers.push(Some(Err(e))),
                    }
                }
                'attempt: for _ in 0..sql::OPEN_ATTEMPTS {
                    let now = self.clock.now_unix_ms();
                    let mut tx = self.begin_write().await?;
                    let mut opened = Vec::with_capacity(valid.len());
                    for &index in &valid {
                        let fact = &facts[index];
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
                        sqlx::query(sql::ENSURE_CALL)
                            .bind(&fact.call_id)
                            .execute(&mut *tx)
                            .await?;
                        sql::apply_fact!(tx, fact);
                        let existing: Option<i64> = sqlx::query_scalar(sql::SR_ID_OF_CALL)
                            .bind(&fact.call_id)
                            .fetch_optional(&mut *tx)
                            .await?;
                        let (id, created) = match existing {
                            Some(id) => (id, false),
                            None => {
                                let year = $crate::number::utc_year(now);
                                let sequence: i64 = sqlx::query_scalar(sql::NEXT_NUMBER)
                                    .bind(year)
                                    .fetch_one(&mut *tx)
                                    .await?;
                                let inserted: Option<i64> = sqlx::query_scalar(sql::INSERT_SR)
                                    .bind($crate::number::format_sr_number(year, sequence))
                                    .bind(&fact.call_id)
                                    .bind(channel)
                                    .bind(now)
                                    .fetch_optional(&mut *tx)
                                    .await?;
                                match inserted {
                                    Some(id) => (id, true),
                                    None => {
                                        // A concurrent writer opened it after our look-up.
                                        // Rolling back gives the numbers back, so the
                                        // sequence keeps no gaps; the next round finds it.
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
                            $crate::cases_sql::case_follows_call!(self, tx, id, may_route, now);
                        }
                        opened.push((index, id, created));
                    }
                    tx.commit().await?;
                    for (index, id, created) in opened {
                        let request = self.get(id).await?.ok_or($crate::StoreError::Contention)?;
                        answers[index] = Some(Ok($crate::Opened { request, created }));
                    }
                    return Ok(answers
                        .into_iter()
                        .map(|a| a.unwrap_or(Err($crate::StoreError::Contention)))
                        .collect());
                }
                Err($crate::StoreError::Contention)
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
