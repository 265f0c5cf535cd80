//! The operator's browser softphone, from the desk page (docs/webrtc.md). The page's
//! WebRTC offer comes here, authenticated like every change of the desk (session cookie,
//! `X-CSRF-Token`, `Origin`), and goes to the engine over the command link; the engine's
//! WebRTC leg answers. Only the logged-in operator's own softphone: the operator is the
//! session's login, never a parameter.
//!
//! * `POST /api/v1/desk/softphone` `{"offer": SDP}` → `{"answer": SDP}`: opens the session
//!   (replacing the operator's previous one); 422 with the reason when the engine refuses
//!   the offer (video, no G.711, a call on the current session...).
//! * `POST /api/v1/desk/softphone/call` `{"action": "answer" | "reject" | "hang_up"}` → 204.
//! * `DELETE /api/v1/desk/softphone` → 204: the session ends.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use crm_store::{ServiceRequestStore, StaffRole, UserStore};
use cti_proto::v1 as proto;
use serde::{Deserialize, Serialize};

use super::{ApiState, BodyShape, JsonBody};
use crate::CrmError;
use crate::auth::{Principal, Staff};

/// Longest SDP offer accepted, in bytes (a browser's audio offer is 2 to 6 KiB).
pub const MAX_OFFER_LEN: usize = 32 * 1024;

pub(super) fn routes<S: ServiceRequestStore + UserStore>() -> Router<ApiState<S>> {
    Router::new()
        .route(
            "/api/v1/desk/softphone",
            post(offer::<S>).delete(close::<S>),
        )
        .route("/api/v1/desk/softphone/call", post(call::<S>))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferRequest {
    pub offer: String,
}

impl BodyShape for OfferRequest {
    const SHAPE: &'static str = r#"the body is {"offer": the page's SDP offer}"#;
}

#[derive(Debug, Serialize, Deserialize)]
pub struct OfferAnswer {
    pub answer: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallRequest {
    pub action: String,
}

impl BodyShape for CallRequest {
    const SHAPE: &'static str = r#"the body is {"action": "answer" | "reject" | "hang_up"}"#;
}

fn command(
    principal: &Principal,
    action: proto::SoftphoneAction,
    offer: String,
) -> Result<proto::engine_command::Command, CrmError> {
    if !principal.has(StaffRole::Operator) {
        return Err(CrmError::Forbidden);
    }
    Ok(proto::engine_command::Command::Softphone(
        proto::SoftphoneCommand {
            operator: principal.login.clone(),
            action: action.into(),
            offer,
        },
    ))
}

async fn offer<S: ServiceRequestStore + UserStore>(
    Staff(principal): Staff,
    State(state): State<ApiState<S>>,
    JsonBody(body): JsonBody<OfferRequest>,
) -> Result<Json<OfferAnswer>, CrmError> {
    if body.offer.is_empty() || body.offer.len() > MAX_OFFER_LEN {
        return Err(CrmError::InvalidArgument(
            "offer is an SDP offer of 1 to 32768 bytes",
        ));
    }
    let command = command(&principal, proto::SoftphoneAction::Offer, body.offer)?;
    let answer = state.link.send_for_answer(command).await?;
    tracing::info!(operator = %principal.login, "softphone session opened");
    Ok(Json(OfferAnswer { answer }))
}

async fn call<S: ServiceRequestStore + UserStore>(
    Staff(principal): Staff,
    State(state): State<ApiState<S>>,
    JsonBody(body): JsonBody<CallRequest>,
) -> Result<StatusCode, CrmError> {
    let action = match body.action.as_str() {
        "answer" => proto::SoftphoneAction::Answer,
        "reject" => proto::SoftphoneAction::Reject,
        "hang_up" => proto::SoftphoneAction::HangUp,
        _ => {
            return Err(CrmError::InvalidArgument(
                "action is answer, reject or hang_up",
            ));
        }
    };
    state
        .link
        .send(command(&principal, action, String::new())?)
        .await?;
    tracing::info!(operator = %principal.login, action = %body.action, "softphone call");
    Ok(StatusCode::NO_CONTENT)
}

async fn close<S: ServiceRequestStore + UserStore>(
    Staff(principal): Staff,
    State(state): State<ApiState<S>>,
) -> Result<StatusCode, CrmError> {
    state
        .link
        .send(command(
            &principal,
            proto::SoftphoneAction::Close,
            String::new(),
        )?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
