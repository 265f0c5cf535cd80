//! `GET /api/v1/desk/events`: an operator's desk as Server-Sent Events, the same events as
//! gRPC's `WatchDesk` (see [`crate::desk`]). Each event's `event:` field is its type
//! (`offered`, `connected`, `ended`, `lagged`) and its `data:` one JSON object:
//!
//! * `offered`: `{"at_unix_ms", "call_id", "service_request": {...}, "waited_ms",
//!   "customer": {"customer", "recent_requests"} | null, "candidates": [...]}`
//! * `connected`, `ended`: `{"at_unix_ms", "call_id", "service_request": {...}}`
//! * `lagged`: `{"missed"}`
//! * `state`: the operator's state, as in the live view: `{"operator", "state", "reason",
//!   "in_state_ms", "idle_ms", "queues", "answered_today"}`; the current one first, when the
//!   board knows the operator
//!
//! `?operator=LOGIN` watches someone else's desk (supervisors only). A comment line every 15 s
//! keeps proxies from closing a quiet stream.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use crm_store::{Customer, CustomerPop, ServiceRequestStore, UserStore};
use serde::{Deserialize, Serialize};
use tokio_stream::Stream;

use super::{ApiState, BodyShape, JsonBody, ServiceRequestView};
use crate::CrmError;
use crate::auth::{SessionToken, Staff};
use crate::desk::{self, DeskEvent, DeskEventKind};
use crate::engine_link::ask;

pub(super) fn routes<S: ServiceRequestStore + UserStore>() -> Router<ApiState<S>> {
    Router::new()
        .route("/api/v1/desk/events", get(events::<S>))
        .route("/api/v1/desk/state", post(own_state::<S>))
        .route("/api/v1/supervisor/live", get(live::<S>))
        .route("/api/v1/supervisor/history", get(history::<S>))
        .route(
            "/api/v1/supervisor/operators/{operator}/state",
            post(force_state::<S>),
        )
        .route(
            "/api/v1/supervisor/queues/{queue}/open",
            post(open_queue::<S>),
        )
}

/// `POST /api/v1/desk/state`: `{"action": "log_in" | "log_out" | "ready" | "not_ready" |
/// "end_wrap_up", "reason": "break", "queues": ["technology"]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateRequest {
    pub action: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub queues: Vec<String>,
}

impl BodyShape for StateRequest {
    const SHAPE: &'static str = r#"the body is {"action": "log_in" | "log_out" | "ready" | "not_ready" | "end_wrap_up", "reason": text (for not_ready), "queues": [names] (for log_in, log_out)}"#;
}

/// `POST /api/v1/supervisor/queues/{queue}/open`: `{"open": true | false}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenRequest {
    pub open: bool,
}

impl BodyShape for OpenRequest {
    const SHAPE: &'static str = r#"the body is {"open": true | false}"#;
}

/// The operator's own state: answered once the engine applied it (204), or with the ACD's
/// refusal (422), or 503 when the engine cannot be reached.
async fn own_state<S: ServiceRequestStore + UserStore>(
    Staff(principal): Staff,
    State(state): State<ApiState<S>>,
    JsonBody(body): JsonBody<StateRequest>,
) -> Result<StatusCode, CrmError> {
    let action = ask::action(&body.action)?;
    let command = ask::operator_command(&principal, "", action, body.reason, body.queues)?;
    state.link.send(command).await?;
    tracing::info!(operator = %principal.login, action = %body.action, "operator state set");
    Ok(StatusCode::NO_CONTENT)
}

/// A supervisor forces an operator's state: `{"action": "ready" | "not_ready" | "log_out",
/// "reason": ...}`.
async fn force_state<S: ServiceRequestStore + UserStore>(
    Staff(principal): Staff,
    State(state): State<ApiState<S>>,
    Path(operator): Path<String>,
    JsonBody(body): JsonBody<StateRequest>,
) -> Result<StatusCode, CrmError> {
    if !principal.has(crm_store::StaffRole::Supervisor) {
        return Err(CrmError::Forbidden);
    }
    let action = ask::action(&body.action)?;
    if operator == principal.login {
        return Err(CrmError::InvalidArgument(
            "for your own state use POST /api/v1/desk/state",
        ));
    }
    let command = ask::operator_command(&principal, &operator, action, body.reason, body.queues)?;
    state.link.send(command).await?;
    tracing::info!(by = %principal.login, %operator, action = %body.action, "operator state forced");
    Ok(StatusCode::NO_CONTENT)
}

async fn open_queue<S: ServiceRequestStore + UserStore>(
    Staff(principal): Staff,
    State(state): State<ApiState<S>>,
    Path(queue): Path<String>,
    JsonBody(body): JsonBody<OpenRequest>,
) -> Result<StatusCode, CrmError> {
    let command = ask::queue_command(&principal, &queue, body.open)?;
    state.link.send(command).await?;
    tracing::info!(by = %principal.login, %queue, open = body.open, "queue opened or closed");
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/supervisor/live`: the ACD live for supervisors, as SSE: one `live` event with
/// `{"view": <the live view>, "stale": bool}` at once and at every new view (about one a
/// second, four at most).
async fn live<S: ServiceRequestStore + UserStore>(
    Staff(principal): Staff,
    token: SessionToken,
    State(state): State<ApiState<S>>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, CrmError> {
    if !principal.has(crm_store::StaffRole::Supervisor) {
        return Err(CrmError::Forbidden);
    }
    let updates = state
        .board
        .follow(state.auth.clone(), token.expose().to_owned())
        .ok_or(CrmError::ShuttingDown)?;
    let stream = tokio_stream::StreamExt::map(
        tokio_stream::wrappers::ReceiverStream::new(updates),
        |update| {
            let data = serde_json::to_string(&serde_json::json!({
                "view": &*update.view,
                "stale": update.stale,
            }))
            .unwrap_or_else(|_| "{}".to_owned());
            Ok(Event::default().event("live").data(data))
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryParams {
    minutes: Option<usize>,
}

/// `GET /api/v1/supervisor/history`: the board's last hours for the wallboard's chart.
#[derive(Debug, Serialize)]
pub struct HistoryAnswer {
    /// A sample a minute.
    pub every_ms: i64,
    /// DOMAIN.md's thresholds, for the page to draw and highlight by.
    pub targets: crate::live::ServiceTargets,
    /// Oldest first; minutes without a view have none.
    pub samples: Vec<crate::live::history::Sample>,
}

/// Supervisors only. `?minutes=` (1 to 720, default 720).
async fn history<S: ServiceRequestStore + UserStore>(
    Staff(principal): Staff,
    State(state): State<ApiState<S>>,
    params: Result<Query<HistoryParams>, QueryRejection>,
) -> Result<axum::Json<HistoryAnswer>, CrmError> {
    if !principal.has(crm_store::StaffRole::Supervisor) {
        return Err(CrmError::Forbidden);
    }
    let Query(params) = params
        .map_err(|_| CrmError::InvalidArgument("bad query: the only parameter is minutes"))?;
    let minutes = params.minutes.unwrap_or(crate::live::history::SAMPLES);
    if minutes == 0 || minutes > crate::live::history::SAMPLES {
        return Err(CrmError::InvalidArgument(
            "minutes must be between 1 and 720",
        ));
    }
    Ok(axum::Json(HistoryAnswer {
        every_ms: crate::live::history::SAMPLE_EVERY_MS,
        targets: crate::live::DOMAIN_TARGETS,
        samples: state.board.history(minutes),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WatchParams {
    operator: Option<String>,
}

/// The `data:` of an `offered` event.
#[derive(Debug, Serialize, Deserialize)]
pub struct ScreenPopView {
    pub at_unix_ms: i64,
    pub call_id: String,
    pub service_request: ServiceRequestView,
    pub waited_ms: Option<u64>,
    pub customer: Option<CustomerPop>,
    pub candidates: Vec<Customer>,
}

/// The `data:` of a `connected` or `ended` event.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeskCallView {
    pub at_unix_ms: i64,
    pub call_id: String,
    pub service_request: ServiceRequestView,
}

async fn events<S: ServiceRequestStore + UserStore>(
    Staff(principal): Staff,
    token: SessionToken,
    State(state): State<ApiState<S>>,
    params: Result<Query<WatchParams>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, CrmError> {
    let Query(params) = params.map_err(|_| {
        CrmError::InvalidArgument("bad query: the only parameter is operator (a login)")
    })?;
    let operator = desk::desk_to_watch(&principal, params.operator.as_deref().unwrap_or(""))?;
    let events = desk::follow(
        &state.desks,
        &operator,
        state.auth.clone(),
        token.expose().to_owned(),
    )
    .ok_or(CrmError::ShuttingDown)?;
    // The operator's state as the board knows it now, so that a desk opened (or reloaded)
    // between two changes shows it at once.
    let now = state.board.latest().and_then(|latest| {
        let op = latest
            .view
            .operators
            .iter()
            .find(|o| o.operator == operator)?
            .clone();
        Some(DeskEvent {
            at_unix_ms: latest.view.at_unix_ms,
            kind: DeskEventKind::StateChanged(op),
        })
    });
    let stream = tokio_stream::StreamExt::chain(
        tokio_stream::iter(now.map(|event| Ok(sse_event(&event)))),
        tokio_stream::StreamExt::map(
            tokio_stream::wrappers::ReceiverStream::new(events),
            |event| Ok(sse_event(&event)),
        ),
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

fn sse_event(event: &DeskEvent) -> Event {
    let call = |c: &desk::DeskCall| DeskCallView {
        at_unix_ms: event.at_unix_ms,
        call_id: c.call_id.clone(),
        service_request: c.service_request.clone().into(),
    };
    let (name, data) = match &event.kind {
        DeskEventKind::Offered(pop) => (
            "offered",
            serde_json::to_string(&ScreenPopView {
                at_unix_ms: event.at_unix_ms,
                call_id: pop.call_id.clone(),
                service_request: pop.service_request.clone().into(),
                waited_ms: pop.waited_ms,
                customer: pop.customer.clone(),
                candidates: pop.candidates.clone(),
            }),
        ),
        DeskEventKind::Connected(c) => ("connected", serde_json::to_string(&call(c))),
        DeskEventKind::Ended(c) => ("ended", serde_json::to_string(&call(c))),
        DeskEventKind::Lagged { missed } => (
            "lagged",
            serde_json::to_string(&serde_json::json!({ "missed": missed })),
        ),
        DeskEventKind::StateChanged(state) => ("state", serde_json::to_string(state)),
    };
    // Our own types always serialise; an empty object would still tell the client something
    // happened.
    Event::default()
        .event(name)
        .data(data.unwrap_or_else(|_| "{}".to_owned()))
}
