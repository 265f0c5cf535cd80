//! `GET /api/v1/desk/events`: an operator's desk as Server-Sent Events, the same events as
//! gRPC's `WatchDesk` (see [`crate::desk`]). Each event's `event:` field is its type
//! (`offered`, `connected`, `ended`, `lagged`) and its `data:` one JSON object:
//!
//! * `offered`: `{"at_unix_ms", "call_id", "service_request": {...}, "waited_ms",
//!   "customer": {"customer", "recent_requests"} | null, "candidates": [...]}`
//! * `connected`, `ended`: `{"at_unix_ms", "call_id", "service_request": {...}}`
//! * `lagged`: `{"missed"}`
//! * `state`: the operator's state, as in the live view: `{"operator", "state", "reason",
//!   "in_state_ms", "idle_ms", "queues", "answered_today"}`
//!
//! `?operator=LOGIN` watches someone else's desk (supervisors only). A comment line every 15 s
//! keeps proxies from closing a quiet stream.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use crm_store::{Customer, CustomerPop, ServiceRequestStore, UserStore};
use serde::{Deserialize, Serialize};
use tokio_stream::Stream;

use super::{ApiState, ServiceRequestView};
use crate::CrmError;
use crate::auth::Staff;
use crate::desk::{self, DeskEvent, DeskEventKind};

pub(super) fn routes<S: ServiceRequestStore + UserStore>() -> Router<ApiState<S>> {
    Router::new()
        .route("/api/v1/desk/events", get(events::<S>))
        .route("/api/v1/supervisor/live", get(live::<S>))
}

/// `GET /api/v1/supervisor/live`: the ACD live for supervisors, as SSE: one `live` event with
/// `{"view": <the live view>, "stale": bool}` at once and at every new view (about one a
/// second, four at most).
async fn live<S: ServiceRequestStore + UserStore>(
    Staff(principal): Staff,
    State(state): State<ApiState<S>>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, CrmError> {
    if !principal.has(crm_store::StaffRole::Supervisor) {
        return Err(CrmError::Forbidden);
    }
    let token = bearer(&headers).ok_or(CrmError::Unauthenticated(
        crate::Unauthenticated::InvalidToken,
    ))?;
    let updates = state
        .board
        .follow(state.auth.clone(), token)
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
    State(state): State<ApiState<S>>,
    headers: HeaderMap,
    params: Result<Query<WatchParams>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, CrmError> {
    let Query(params) = params.map_err(|_| {
        CrmError::InvalidArgument("bad query: the only parameter is operator (a login)")
    })?;
    let operator = desk::desk_to_watch(&principal, params.operator.as_deref().unwrap_or(""))?;
    let token = bearer(&headers).ok_or(CrmError::Unauthenticated(
        crate::Unauthenticated::InvalidToken,
    ))?;
    let events = desk::follow(&state.desks, &operator, state.auth.clone(), token)
        .ok_or(CrmError::ShuttingDown)?;
    let stream = tokio_stream::StreamExt::map(
        tokio_stream::wrappers::ReceiverStream::new(events),
        |event| Ok(sse_event(&event)),
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// The session token the `Staff` extractor accepted (it read the same header).
fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
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
