//! The HTTP API: service requests as JSON for the operators' and supervisors' pages.
//!
//! The JSON shows the caller's number in clear: showing it to the operator is the CRM's job.
//! Logs never do.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use common::Pii;
use crm_store::{CallOutcome, ListFilter, ServiceRequest, ServiceRequestStore, SrState};
use serde::{Deserialize, Serialize};

use crate::CrmError;

/// The routes of the HTTP API, on a shared store.
pub fn router<S: ServiceRequestStore>(store: Arc<S>) -> Router {
    Router::new()
        .route("/api/v1/service-requests", get(list::<S>))
        .route("/api/v1/service-requests/{number}", get(by_number::<S>))
        .route(
            "/api/v1/calls/{call_id}/service-request",
            get(by_call_id::<S>),
        )
        .fallback(no_route)
        .with_state(store)
}

/// A service request as the API shows it.
#[derive(Debug, Serialize, Deserialize)]
pub struct ServiceRequestView {
    pub id: i64,
    pub number: String,
    pub call_id: String,
    pub state: SrState,
    pub channel: String,
    pub service_area: Option<String>,
    pub category: Option<String>,
    pub request_type: Option<String>,
    /// Serialised in clear (`Pii` is transparent to serde), redacted by `Debug`.
    pub caller_number: Pii<String>,
    pub dialled_number: String,
    pub customer: Option<Pii<String>>,
    pub ivr_data: Vec<IvrEntry>,
    pub queue: Option<String>,
    pub agent_id: Option<String>,
    pub call_outcome: Option<CallOutcome>,
    pub call_started_at_unix_ms: Option<i64>,
    pub call_answered_at_unix_ms: Option<i64>,
    pub call_ended_at_unix_ms: Option<i64>,
    pub waited_ms: Option<i64>,
    pub talk_ms: Option<i64>,
    pub created_at_unix_ms: i64,
    pub updated_at_unix_ms: i64,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct IvrEntry {
    pub key: String,
    pub value: String,
}

impl From<ServiceRequest> for ServiceRequestView {
    fn from(sr: ServiceRequest) -> Self {
        Self {
            id: sr.id,
            number: sr.number,
            call_id: sr.call_id,
            state: sr.state,
            channel: sr.channel,
            service_area: sr.service_area,
            category: sr.category,
            request_type: sr.request_type,
            caller_number: sr.caller_number,
            dialled_number: sr.dialled_number,
            customer: sr.customer,
            ivr_data: sr
                .ivr_data
                .into_iter()
                .map(|(key, value)| IvrEntry { key, value })
                .collect(),
            queue: sr.queue,
            agent_id: sr.agent_id,
            call_outcome: sr.call_outcome,
            call_started_at_unix_ms: sr.call_started_at_unix_ms,
            call_answered_at_unix_ms: sr.call_answered_at_unix_ms,
            call_ended_at_unix_ms: sr.call_ended_at_unix_ms,
            waited_ms: sr.waited_ms,
            talk_ms: sr.talk_ms,
            created_at_unix_ms: sr.created_at_unix_ms,
            updated_at_unix_ms: sr.updated_at_unix_ms,
        }
    }
}

/// `GET /api/v1/service-requests` answers `{"service_requests": [...]}`, oldest first.
#[derive(Debug, Serialize, Deserialize)]
pub struct ServiceRequestList {
    pub service_requests: Vec<ServiceRequestView>,
}

#[derive(Debug, Deserialize)]
struct ListParams {
    call_id: Option<String>,
    state: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

async fn list<S: ServiceRequestStore>(
    State(store): State<Arc<S>>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ServiceRequestList>, CrmError> {
    let Query(params) = params.map_err(|_| {
        CrmError::InvalidArgument("bad query: call_id, state are text; limit, offset are numbers")
    })?;
    let state = params
        .state
        .map(|name| SrState::from_name(&name).ok_or(CrmError::InvalidArgument("unknown state")))
        .transpose()?;
    let filter = ListFilter {
        call_id: params.call_id,
        state,
        limit: params.limit.unwrap_or(ListFilter::DEFAULT_LIMIT),
        offset: params.offset.unwrap_or(0),
    };
    let service_requests = store
        .list(filter)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(ServiceRequestList { service_requests }))
}

async fn by_number<S: ServiceRequestStore>(
    State(store): State<Arc<S>>,
    Path(number): Path<String>,
) -> Result<Json<ServiceRequestView>, CrmError> {
    let sr = store
        .get_by_number(&number)
        .await?
        .ok_or(CrmError::NotFound)?;
    Ok(Json(sr.into()))
}

async fn by_call_id<S: ServiceRequestStore>(
    State(store): State<Arc<S>>,
    Path(call_id): Path<String>,
) -> Result<Json<ServiceRequestView>, CrmError> {
    let sr = store
        .get_by_call_id(&call_id)
        .await?
        .ok_or(CrmError::NotFound)?;
    Ok(Json(sr.into()))
}

async fn no_route() -> CrmError {
    CrmError::NoRoute
}
