//! The SQL shared by both backends, and the one implementation of the store trait that both
//! instantiate.
//!
//! SQLite and PostgreSQL accept the same statements here: `$N` placeholders (sqlx maps them
//! by number on SQLite too), `INSERT .. ON CONFLICT .. DO NOTHING / DO UPDATE`, `RETURNING`.
//! Only the column types in the migrations and the way a write transaction begins differ.

use sqlx::types::Json;

use crate::{CallOutcome, ServiceRequest, SrState, StoreError};

macro_rules! sr_columns {
    () => {
        "id, number, call_id, channel, service_area, category, request_type, caller_number, \
         dialled_number, customer, ivr_data, queue, agent_id, call_outcome, \
         call_started_at_unix_ms, call_answered_at_unix_ms, call_ended_at_unix_ms, waited_ms, \
         talk_ms, state, created_at_unix_ms, updated_at_unix_ms"
    };
}

/// Takes the next number of `$1` (a year). The counter row stays locked until the
/// transaction ends, which serialises concurrent opens (cheap at a few calls a second).
pub(crate) const NEXT_NUMBER: &str = "INSERT INTO sr_number_counters (year, last_number) \
     VALUES ($1, 1) \
     ON CONFLICT (year) DO UPDATE SET last_number = sr_number_counters.last_number + 1 \
     RETURNING last_number";

/// Returns no row if the call already has an SR.
pub(crate) const INSERT: &str = concat!(
    "INSERT INTO service_requests (number, call_id, channel, service_area, category, \
     request_type, caller_number, dialled_number, customer, ivr_data, queue, agent_id, \
     waited_ms, state, created_at_unix_ms, updated_at_unix_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) \
     ON CONFLICT (call_id) DO NOTHING \
     RETURNING ",
    sr_columns!()
);

/// Stores the call record's facts; what the record does not know keeps its offered value.
pub(crate) const RECORD_CALL_END: &str = concat!(
    "UPDATE service_requests SET \
     call_outcome = $1, call_started_at_unix_ms = $2, call_answered_at_unix_ms = $3, \
     call_ended_at_unix_ms = $4, waited_ms = COALESCE($5, waited_ms), talk_ms = $6, \
     agent_id = COALESCE($7, agent_id), queue = COALESCE($8, queue), updated_at_unix_ms = $9 \
     WHERE id = $10 \
     RETURNING ",
    sr_columns!()
);

pub(crate) const BY_ID: &str = concat!(
    "SELECT ",
    sr_columns!(),
    " FROM service_requests WHERE id = $1"
);
pub(crate) const BY_NUMBER: &str = concat!(
    "SELECT ",
    sr_columns!(),
    " FROM service_requests WHERE number = $1"
);
pub(crate) const BY_CALL_ID: &str = concat!(
    "SELECT ",
    sr_columns!(),
    " FROM service_requests WHERE call_id = $1"
);
pub(crate) const LIST: &str = concat!(
    "SELECT ",
    sr_columns!(),
    " FROM service_requests \
     WHERE ($1 IS NULL OR call_id = $1) AND ($2 IS NULL OR state = $2) \
     ORDER BY id LIMIT $3 OFFSET $4"
);

/// A `service_requests` row as both databases return it.
#[derive(sqlx::FromRow)]
pub(crate) struct SrRow {
    id: i64,
    number: String,
    call_id: String,
    channel: String,
    service_area: Option<String>,
    category: Option<String>,
    request_type: Option<String>,
    caller_number: String,
    dialled_number: String,
    customer: Option<String>,
    ivr_data: Json<Vec<(String, String)>>,
    queue: Option<String>,
    agent_id: Option<String>,
    call_outcome: Option<String>,
    call_started_at_unix_ms: Option<i64>,
    call_answered_at_unix_ms: Option<i64>,
    call_ended_at_unix_ms: Option<i64>,
    waited_ms: Option<i64>,
    talk_ms: Option<i64>,
    state: String,
    created_at_unix_ms: i64,
    updated_at_unix_ms: i64,
}

impl TryFrom<SrRow> for ServiceRequest {
    type Error = StoreError;

    fn try_from(row: SrRow) -> Result<Self, StoreError> {
        let state = SrState::from_name(&row.state).ok_or_else(|| StoreError::CorruptRow {
            column: "state",
            value: row.state.clone(),
        })?;
        let call_outcome = row
            .call_outcome
            .map(|name| {
                CallOutcome::from_name(&name).ok_or(StoreError::CorruptRow {
                    column: "call_outcome",
                    value: name,
                })
            })
            .transpose()?;
        Ok(ServiceRequest {
            id: row.id,
            number: row.number,
            call_id: row.call_id,
            channel: row.channel,
            service_area: row.service_area,
            category: row.category,
            request_type: row.request_type,
            caller_number: row.caller_number.into(),
            dialled_number: row.dialled_number,
            customer: row.customer.map(Into::into),
            ivr_data: row.ivr_data.0,
            queue: row.queue,
            agent_id: row.agent_id,
            call_outcome,
            call_started_at_unix_ms: row.call_started_at_unix_ms,
            call_answered_at_unix_ms: row.call_answered_at_unix_ms,
            call_ended_at_unix_ms: row.call_ended_at_unix_ms,
            waited_ms: row.waited_ms,
            talk_ms: row.talk_ms,
            state,
            created_at_unix_ms: row.created_at_unix_ms,
            updated_at_unix_ms: row.updated_at_unix_ms,
        })
    }
}

/// How often opening retries when a concurrent open wins the race and then its SR cannot be
/// read back. Rows are never deleted, so one retry is already more than the invariant needs.
pub(crate) const OPEN_ATTEMPTS: usize = 3;

/// Implements [`crate::ServiceRequestStore`] for a store type with fields `pool` (an sqlx pool)
/// and `clock` (`Arc<dyn Clock>`) and a method `begin_write()` that starts a transaction that
/// may write. Both backends share this one body so that they cannot drift apart.
macro_rules! impl_service_request_store {
    ($store:ty) => {
        impl $crate::ServiceRequestStore for $store {
            async fn open_for_call(
                &self,
                request: $crate::NewServiceRequest,
            ) -> Result<$crate::Opened, $crate::StoreError> {
                use $crate::sql::{self, SrRow};

                request.validate()?;
                for _ in 0..sql::OPEN_ATTEMPTS {
                    // The common case (a re-offer, the call record of an answered call) needs
                    // no write at all.
                    if let Some(existing) = self.get_by_call_id(&request.call_id).await? {
                        return Ok($crate::Opened {
                            request: existing,
                            created: false,
                        });
                    }
                    let now = self.clock.now_unix_ms();
                    let year = $crate::number::utc_year(now);
                    let mut tx = self.begin_write().await?;
                    let sequence: i64 = sqlx::query_scalar(sql::NEXT_NUMBER)
                        .bind(year)
                        .fetch_one(&mut *tx)
                        .await?;
                    let inserted: Option<SrRow> = sqlx::query_as(sql::INSERT)
                        .bind($crate::number::format_sr_number(year, sequence))
                        .bind(&request.call_id)
                        .bind(request.channel_or_default())
                        .bind(request.ivr_value($crate::ivr_keys::SERVICE_AREA))
                        .bind(request.ivr_value($crate::ivr_keys::CATEGORY))
                        .bind(request.ivr_value($crate::ivr_keys::REQUEST_TYPE))
                        .bind(request.caller_number.expose())
                        .bind(&request.dialled_number)
                        .bind(request.customer.as_ref().map(|customer| customer.expose()))
                        .bind(sqlx::types::Json(&request.ivr_data))
                        .bind(&request.queue)
                        .bind(&request.agent_id)
                        .bind(request.waited_ms)
                        .bind($crate::SrState::Open.as_str())
                        .bind(now)
                        .fetch_optional(&mut *tx)
                        .await?;
                    match inserted {
                        Some(row) => {
                            tx.commit().await?;
                            return Ok($crate::Opened {
                                request: row.try_into()?,
                                created: true,
                            });
                        }
                        // Another open of the same call committed after our look-up. Rolling
                        // back gives the number back, so the sequence keeps no gaps; the next
                        // round finds the winner's SR.
                        None => tx.rollback().await?,
                    }
                }
                Err($crate::StoreError::Contention)
            }

            async fn record_call_end(
                &self,
                record: $crate::CallRecord,
            ) -> Result<$crate::Opened, $crate::StoreError> {
                record.validate()?;
                let opened = self.open_for_call(record.call.clone()).await?;
                let row: $crate::sql::SrRow = sqlx::query_as($crate::sql::RECORD_CALL_END)
                    .bind(record.outcome.as_str())
                    .bind(record.started_at_unix_ms)
                    .bind(record.answered_at_unix_ms)
                    .bind(record.ended_at_unix_ms)
                    .bind(record.call.waited_ms)
                    .bind(record.talk_ms)
                    .bind(&record.call.agent_id)
                    .bind(&record.call.queue)
                    .bind(self.clock.now_unix_ms())
                    .bind(opened.request.id)
                    .fetch_one(&self.pool)
                    .await?;
                Ok($crate::Opened {
                    request: row.try_into()?,
                    created: opened.created,
                })
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
                let limit = filter.limit.min($crate::ListFilter::MAX_LIMIT);
                let rows: Vec<$crate::sql::SrRow> = sqlx::query_as($crate::sql::LIST)
                    .bind(filter.call_id)
                    .bind(filter.state.map($crate::SrState::as_str))
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
