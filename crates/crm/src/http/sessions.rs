//! `POST /api/v1/login`, `POST /api/v1/logout`, `GET /api/v1/me`.
//!
//! A program logs in for a bearer token. A page logs in with `"cookie": true`: the token
//! goes into the `HttpOnly` session cookie and never reaches the page's scripts, which get
//! the CSRF token instead (see [`crate::auth::cookie`]).

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use crm_store::{ServiceRequestStore, UserStore};
use serde::{Deserialize, Serialize};

use super::users::UserView;
use super::{ApiState, BodyShape, JsonBody};
use crate::auth::{Password, Principal, SessionToken, cookie};
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
    /// A page's login: the session in a cookie rather than in the answer.
    #[serde(default)]
    cookie: bool,
}

impl BodyShape for LoginRequest {
    const SHAPE: &'static str =
        r#"the body is {"login": text, "password": text, "cookie": true | false (optional)}"#;
}

/// The answer to a page's login (`"cookie": true`): the session is in the
/// `centralino_session` cookie; the page sends `csrf_token` as `X-CSRF-Token` with every
/// change.
#[derive(Debug, Serialize, Deserialize)]
pub struct CookieLoginAnswer {
    pub csrf_token: String,
    pub expires_at_unix_ms: i64,
    pub user: UserView,
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
    /// What a page sends as `X-CSRF-Token` (derived from the session; useless without it).
    pub csrf_token: String,
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
    headers: HeaderMap,
    JsonBody(request): JsonBody<LoginRequest>,
) -> Result<Response, CrmError> {
    // A page's login from another site would log the browser in as someone else (login
    // CSRF): its Origin, when the browser sends one, must be ours.
    if request.cookie {
        cookie::check_origin(&headers)?;
    }
    let logged_in = state
        .auth
        .login(&request.login, &request.password, source)
        .await?;
    let expires_at_unix_ms = logged_in.session.expires_at_unix_ms;
    let user = logged_in.user.into();
    if !request.cookie {
        return Ok(Json(LoginAnswer {
            token: logged_in.token,
            expires_at_unix_ms,
            user,
        })
        .into_response());
    }
    let max_age = state.auth.settings().session_lifetime.as_secs();
    let secure = cookie::secure(&headers, state.secure_cookies);
    Ok((
        [(
            SET_COOKIE,
            cookie::set_cookie(&logged_in.token, max_age, secure),
        )],
        Json(CookieLoginAnswer {
            csrf_token: cookie::csrf_token(&logged_in.token),
            expires_at_unix_ms,
            user,
        }),
    )
        .into_response())
}

/// Ends the session, and tells the browser to forget its cookie (whichever way the token
/// came: a forgotten cookie harms nobody).
async fn logout<S: UserStore>(
    principal: Principal,
    State(state): State<ApiState<S>>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, CrmError> {
    state.auth.logout(&principal).await?;
    let secure = cookie::secure(&headers, state.secure_cookies);
    Ok((
        [(SET_COOKIE, cookie::clear_cookie(secure))],
        StatusCode::NO_CONTENT,
    ))
}

async fn me<S: UserStore>(
    principal: Principal,
    token: SessionToken,
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
        csrf_token: token.csrf_token(),
    }))
}
