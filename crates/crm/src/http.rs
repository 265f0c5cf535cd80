//! The HTTP API: service requests as JSON for the operators' and supervisors' pages, the
//! work on cases (module `cases`) and the customer directory (module `customers`), logins,
//! and the administration of users.
//!
//! Every route but `POST /api/v1/login` needs a session: handlers take an extractor of
//! [`crate::auth`] ([`Staff`], [`crate::auth::Administrator`], [`crate::auth::Principal`]) as
//! their first argument, so that a request is authenticated and its roles checked before
//! anything is parsed or looked up, and a refusal never says whether the thing exists.
//!
//! The JSON shows the caller's number in clear: showing it to the operator is the CRM's job.
//! Logs never do.

mod admin;
mod body;
mod cases;
mod customers;
mod desk;
mod input;
mod sessions;
mod softphone;
mod users;

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, FromRef, Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use common::Pii;
use common::phone::NumberingPlan;
use crm_store::{
    CallOutcome, CallStage, CaseStore, CustomerStore, EndReason, ListFilter, ServiceRequest,
    ServiceRequestStore, UserStore,
};
use serde::{Deserialize, Serialize};

pub use admin::{
    ChangeList, ChangeView, Done, ProblemView, PromptList, PromptView, ScriptView, VersionList,
    VersionView,
};
pub use body::{BodyShape, JsonBody};
pub use cases::{CaseList, CatalogueView, HistoryList, ProfileView};
pub use customers::{CustomerList, RecentList};
pub use desk::{DeskCallView, ScreenPopView};
pub use input::{FieldName, IfMatch, RequestError, etag};
pub use sessions::{CookieLoginAnswer, LoginAnswer, MeAnswer};
pub use users::{UserList, UserView};

use crate::CrmError;
use crate::auth::{Authenticator, Sessions, Staff};

/// The largest request body any route reads (RFC 9110, 15.5.14: larger ones get 413).
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler can reach: the store, the authenticator that checks passwords and
/// resolves sessions, and the numbering plan that operators' numbers are read with. The auth
/// extractors find their [`Sessions`] in it (`FromRef`). The service catalogue is the
/// store's (`CaseStore::catalogue`): the one its cases are routed by.
pub struct ApiState<S> {
    pub store: Arc<S>,
    pub auth: Arc<Authenticator<S>>,
    /// How numbers typed by operators (and stored for customers) become E.164: the engine's
    /// plan, so that a caller's number and a customer's match.
    pub numbering_plan: Arc<NumberingPlan>,
    /// The operators' desks the CTI publishes on (`GET /api/v1/desk/events`).
    pub desks: Arc<crate::desk::Desks>,
    /// The ACD live, for supervisors (`GET /api/v1/supervisor/live`).
    pub board: Arc<crate::live::LiveBoard>,
    /// Commands for the engine's ACD (operators' and supervisors' state changes).
    pub link: Arc<crate::engine_link::EngineLink>,
    /// Whether the session cookie always gets `Secure` (the CRM is reached over https, e.g.
    /// behind a proxy that does not say so): `crm.secure_cookies`.
    pub secure_cookies: bool,
    sessions: Sessions,
}

impl<S: UserStore> ApiState<S> {
    /// With Italy's numbering plan.
    pub fn new(store: Arc<S>, auth: Arc<Authenticator<S>>) -> Self {
        let sessions = auth.sessions();
        Self {
            store,
            auth,
            numbering_plan: Arc::new(NumberingPlan::italy()),
            desks: crate::desk::Desks::new(),
            board: crate::live::LiveBoard::new(crate::desk::SESSION_CHECK),
            link: crate::engine_link::EngineLink::new(),
            secure_cookies: false,
            sessions,
        }
    }

    /// Marks the session cookie `Secure` on every answer.
    pub fn with_secure_cookies(mut self, secure: bool) -> Self {
        self.secure_cookies = secure;
        self
    }

    /// Sends ACD commands through this link (the one the engine follows).
    pub fn with_engine_link(mut self, link: Arc<crate::engine_link::EngineLink>) -> Self {
        self.link = link;
        self
    }

    /// Serves this live board (the one the CTI service feeds).
    pub fn with_live_board(mut self, board: Arc<crate::live::LiveBoard>) -> Self {
        self.board = board;
        self
    }

    /// Serves these desks (the ones the CTI service publishes on).
    pub fn with_desks(mut self, desks: Arc<crate::desk::Desks>) -> Self {
        self.desks = desks;
        self
    }

    pub fn with_numbering_plan(mut self, plan: NumberingPlan) -> Self {
        self.numbering_plan = Arc::new(plan);
        self
    }
}

impl<S> Clone for ApiState<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            auth: self.auth.clone(),
            numbering_plan: self.numbering_plan.clone(),
            desks: self.desks.clone(),
            board: self.board.clone(),
            link: self.link.clone(),
            secure_cookies: self.secure_cookies,
            sessions: self.sessions.clone(),
        }
    }
}

impl<S> FromRef<ApiState<S>> for Sessions {
    fn from_ref(state: &ApiState<S>) -> Sessions {
        state.sessions.clone()
    }
}

/// The routes of the HTTP API. Serve them with
/// `into_make_service_with_connect_info::<SocketAddr>()`: the lockout after failed logins
/// counts per source address.
///
/// The same router serves the pages ([`crate::pages`]), and every answer carries the
/// security headers of [`crate::pages::security_headers`].
pub fn router<S: ServiceRequestStore + UserStore + CaseStore + CustomerStore>(
    state: ApiState<S>,
) -> Router {
    Router::new()
        .route("/api/v1/service-requests", get(list::<S>))
        .route("/api/v1/service-requests/{number}", get(by_number::<S>))
        .route(
            "/api/v1/calls/{call_id}/service-request",
            get(by_call_id::<S>),
        )
        .merge(sessions::routes::<S>())
        .merge(users::routes::<S>())
        .merge(cases::routes::<S>())
        .merge(customers::routes::<S>())
        .merge(desk::routes::<S>())
        .merge(softphone::routes::<S>())
        .merge(admin::routes::<S>())
        .merge(crate::pages::routes::<S>())
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(no_route)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::map_response(
            crate::pages::security_headers,
        ))
        .with_state(state)
}

/// A service request as the API shows it, with its call record.
#[derive(Debug, Serialize, Deserialize)]
pub struct ServiceRequestView {
    pub id: i64,
    pub number: String,
    /// The engine's call ID; empty for an SR without a call.
    pub call_id: String,
    /// The state of the SR's case.
    pub state: service_request::State,
    pub channel: String,
    pub service_area: Option<String>,
    pub category: Option<String>,
    pub request_type: Option<String>,
    pub created_at_unix_ms: i64,
    pub updated_at_unix_ms: i64,
    /// `None` for an SR without a call.
    pub call: Option<CallView>,
}

/// The call record [cartellino telefonico] as the API shows it.
#[derive(Debug, Serialize, Deserialize)]
pub struct CallView {
    pub sip_call_id: Option<String>,
    /// Serialised in clear (`Pii` is transparent to serde), redacted by `Debug`.
    pub caller_number: Pii<String>,
    pub caller_number_e164: Option<Pii<String>>,
    pub dialled_number: String,
    pub customer: Option<Pii<String>>,
    pub ivr_data: Vec<IvrEntry>,
    pub queue: Option<String>,
    /// The operator who answered.
    pub agent_id: Option<String>,
    /// The last operator the call was offered to.
    pub offered_agent_id: Option<String>,
    pub outcome: Option<CallOutcome>,
    pub end_reason: Option<EndReason>,
    pub stage: Option<CallStage>,
    pub started_at_unix_ms: Option<i64>,
    pub offered_at_unix_ms: Option<i64>,
    pub answered_at_unix_ms: Option<i64>,
    pub ended_at_unix_ms: Option<i64>,
    pub waited_ms: Option<i64>,
    pub talk_ms: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct IvrEntry {
    pub key: String,
    pub value: String,
}

impl From<ServiceRequest> for ServiceRequestView {
    fn from(sr: ServiceRequest) -> Self {
        let has_call = !sr.call_id.is_empty();
        let c = sr.call;
        Self {
            id: sr.id,
            number: sr.number,
            call_id: sr.call_id,
            state: sr.state,
            channel: sr.channel,
            service_area: sr.service_area,
            category: sr.category,
            request_type: sr.request_type,
            created_at_unix_ms: sr.created_at_unix_ms,
            updated_at_unix_ms: sr.updated_at_unix_ms,
            call: has_call.then(|| CallView {
                sip_call_id: c.sip_call_id,
                caller_number: c.caller_number,
                caller_number_e164: c.caller_number_e164,
                dialled_number: c.dialled_number,
                customer: c.customer,
                ivr_data: c
                    .ivr_data
                    .into_iter()
                    .map(|(key, value)| IvrEntry { key, value })
                    .collect(),
                queue: c.queue,
                agent_id: c.agent_id,
                offered_agent_id: c.offered_agent_id,
                outcome: c.outcome,
                end_reason: c.end_reason,
                stage: c.stage,
                started_at_unix_ms: c.started_at_unix_ms,
                offered_at_unix_ms: c.offered_at_unix_ms,
                answered_at_unix_ms: c.answered_at_unix_ms,
                ended_at_unix_ms: c.ended_at_unix_ms,
                waited_ms: c.waited_ms,
                talk_ms: c.talk_ms,
            }),
        }
    }
}

/// `GET /api/v1/service-requests` answers `{"service_requests": [...]}`, newest first, one
/// page.
#[derive(Debug, Serialize, Deserialize)]
pub struct ServiceRequestList {
    pub service_requests: Vec<ServiceRequestView>,
}

/// The filters of the list. An unknown parameter is an error, not silently ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    call_id: Option<String>,
    sip_call_id: Option<String>,
    caller_number: Option<String>,
    state: Option<String>,
    queue: Option<String>,
    agent_id: Option<String>,
    from_unix_ms: Option<i64>,
    until_unix_ms: Option<i64>,
    limit: Option<u32>,
    offset: Option<u32>,
}

async fn list<S: ServiceRequestStore>(
    _: Staff,
    State(state): State<ApiState<S>>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ServiceRequestList>, CrmError> {
    let Query(params) = params.map_err(|_| {
        CrmError::InvalidArgument(
            "bad query: the filters are call_id, sip_call_id, caller_number, state, queue, \
             agent_id (text), from_unix_ms, until_unix_ms, limit, offset (numbers)",
        )
    })?;
    let sr_state = params
        .state
        .map(|name| {
            service_request::State::from_name(&name)
                .ok_or(CrmError::InvalidArgument("unknown state"))
        })
        .transpose()?;
    let limit = params.limit.unwrap_or(ListFilter::DEFAULT_LIMIT);
    if limit == 0 || limit > ListFilter::MAX_LIMIT {
        return Err(CrmError::InvalidArgument("limit must be between 1 and 200"));
    }
    let filter = ListFilter {
        call_id: params.call_id,
        sip_call_id: params.sip_call_id,
        caller_number: params.caller_number,
        state: sr_state,
        queue: params.queue,
        agent_id: params.agent_id,
        created_from_unix_ms: params.from_unix_ms,
        created_until_unix_ms: params.until_unix_ms,
        limit,
        offset: params.offset.unwrap_or(0),
    };
    let service_requests = state
        .store
        .list(filter)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(ServiceRequestList { service_requests }))
}

async fn by_number<S: ServiceRequestStore>(
    _: Staff,
    State(state): State<ApiState<S>>,
    Path(number): Path<String>,
) -> Result<Json<ServiceRequestView>, CrmError> {
    let sr = state
        .store
        .get_by_number(&number)
        .await?
        .ok_or(CrmError::NotFound)?;
    Ok(Json(sr.into()))
}

async fn by_call_id<S: ServiceRequestStore>(
    _: Staff,
    State(state): State<ApiState<S>>,
    Path(call_id): Path<String>,
) -> Result<Json<ServiceRequestView>, CrmError> {
    let sr = state
        .store
        .get_by_call_id(&call_id)
        .await?
        .ok_or(CrmError::NotFound)?;
    Ok(Json(sr.into()))
}

async fn no_route() -> CrmError {
    CrmError::NoRoute
}

/// A known path with a method it does not serve: 405 with the JSON body of every error (the
/// `Allow` header is axum's).
async fn method_not_allowed() -> CrmError {
    CrmError::MethodNotAllowed
}
