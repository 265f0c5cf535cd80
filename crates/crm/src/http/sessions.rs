//! `POST /api/v1/login`, `POST /api/v1/logout`, `GET /api/v1/me`.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use crm_store::{ServiceRequestStore, UserStore};
use serde::{Deserialize, Serialize};

use super::users::UserView;
use super::{ApiState, BodyShape, JsonBody};
use crate::auth::{Password, Principal};
use crate::{CrmError, Unauthenticated};

pub(super) fn routes<S: ServiceRequestStore + UserStore>() -> Router<ApiState<S>> {
    Router::new()
        .route("/api/v1/login", post(login::<S>))
        .route("/api/v1/logout", post(logout::<S>))
        .route("/api/v1/me", get(me::<S>))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    login: String,
    password: Password,
}

impl BodyShape for LoginRequest {
    const SHAPE: &'static str = r#"the body is {"login": text, "password": text}"#;
}

/// The answer to a login: the token to send as `Authorization: Bearer <token>`.
#[derive(Debug, Serialize, Deserialize)]
pub struct LoginAnswer {
    pub token: String,
    pub expires_at_unix_ms: i64,
    pub user: UserView,
}

/// `GET /api/v1/me`: who is logged in, until when.
#[derive(Debug, Serialize, Deserialize)]
pub struct MeAnswer {
    pub expires_at_unix_ms: i64,
    pub user: UserView,
}

/// The client's address, as the listener saw it (unspecified when the router is served
/// without connect info).
struct SourceAddress(IpAddr);

impl<St: Send + Sync> FromRequestParts<St> for SourceAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &St) -> Result<Self, Infallible> {
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
        Ok(Self(address))
    }
}

async fn login<S: UserStore>(
    State(state): State<ApiState<S>>,
    SourceAddress(source): SourceAddress,
    JsonBody(request): JsonBody<LoginRequest>,
) -> Result<Json<LoginAnswer>, CrmError> {
    let logged_in = state
        .auth
        .login(&request.login, &request.password, source)
        .await?;
    Ok(Json(LoginAnswer {
        token: logged_in.token,
        expires_at_unix_ms: logged_in.session.expires_at_unix_ms,
        user: logged_in.user.into(),
    }))
}

async fn logout<S: UserStore>(
    principal: Principal,
    State(state): State<ApiState<S>>,
) -> Result<StatusCode, CrmError> {
    state.auth.logout(&principal).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me<S: UserStore>(
    principal: Principal,
    State(state): State<ApiState<S>>,
) -> Result<Json<MeAnswer>, CrmError> {
    // Disabled between the session check and here: as good as logged out.
    let user = state
        .store
        .get_user(&principal.login)
        .await?
        .ok_or(Unauthenticated::InvalidToken)?;
    Ok(Json(MeAnswer {
        expires_at_unix_ms: principal.session_expires_at_unix_ms,
        user: user.into(),
    }))
}
