//! The pages the CRM serves itself: the login form (`/`), the operator's desktop (`/desk`, and
//! `/desk/sr/{number}` opened on one SR: the engine puts that link in the `Call-Info` of the
//! INVITE to the operator's phone, so the path is a contract), and the supervisor's
//! wallboard (`/wallboard`), and the administrators' pages (`/admin/prompts`, `/admin/ivr`:
//! 403 for anyone else).
//!
//! Plain HTML, CSS and JavaScript modules under `crates/crm/assets/`, embedded in the binary
//! (no build step, nothing from elsewhere), served under a Content-Security-Policy that allows
//! nothing but this origin's own files (no inline script or style). The pages hold no data:
//! their scripts read the API with the session cookie, and the API checks every role. The
//! page routes check the session too, so that a browser without one lands on the login form
//! and one without the role is told so there.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use crm_store::{StaffRole, UserStore};
use sha2::{Digest, Sha256};

use crate::auth::{Access, Principal, cookie};
use crate::http::ApiState;

/// An embedded file: its name under `/assets/`, content type and bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("../assets/", $name)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const SVG: &str = "image/svg+xml";

static ASSETS: &[Asset] = &[
    asset!("style.css", CSS),
    asset!("api.js", JS),
    asset!("format.js", JS),
    asset!("login.js", JS),
    asset!("desk.js", JS),
    asset!("desk-case.js", JS),
    asset!("desk-search.js", JS),
    asset!("desk-softphone.js", JS),
    asset!("wallboard.js", JS),
    asset!("chart.js", JS),
    asset!("favicon.svg", SVG),
    asset!("admin.js", JS),
    asset!("admin-prompts.js", JS),
    asset!("admin-ivr.js", JS),
    asset!("recorder.js", JS),
    asset!("recorder-worklet.js", JS),
];

const LOGIN_PAGE: &str = include_str!("../assets/login.html");
const DESK_PAGE: &str = include_str!("../assets/desk.html");
const WALLBOARD_PAGE: &str = include_str!("../assets/wallboard.html");
const ADMIN_PROMPTS_PAGE: &str = include_str!("../assets/admin-prompts.html");
const ADMIN_IVR_PAGE: &str = include_str!("../assets/admin-ivr.html");
const ADMIN_ONLY_PAGE: &str = include_str!("../assets/admin-only.html");

/// What every answer of the CRM's HTTP side carries (pages and API alike): only this origin's
/// files run, nothing frames a page, no type sniffing, no referrer leaves. Media may also come
/// from `blob:` URLs: a recording made in the page is played back before it is sent.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; \
     font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

pub(crate) fn routes<S: UserStore>() -> Router<ApiState<S>> {
    Router::new()
        .route("/", get(login_page::<S>))
        .route("/desk", get(desk_page::<S>))
        .route("/desk/sr/{number}", get(desk_on_sr::<S>))
        .route("/wallboard", get(wallboard_page::<S>))
        .route("/admin/prompts", get(admin_prompts_page::<S>))
        .route("/admin/ivr", get(admin_ivr_page::<S>))
        .route("/assets/{name}", get(asset))
}

/// Adds the security headers to every answer, and `Cache-Control: no-store` to those that
/// set none (API answers hold personal data; pages depend on the session).
pub(crate) async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name: &'static str, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(headers, "content-security-policy", CONTENT_SECURITY_POLICY);
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "x-frame-options", "DENY");
    set(headers, "referrer-policy", "no-referrer");
    set(headers, "cross-origin-opener-policy", "same-origin");
    if !headers.contains_key(CACHE_CONTROL) {
        set(headers, "cache-control", "no-store");
    }
    response
}

/// The live session of the request's cookie, if any (pages look at the cookie only: a
/// browser has no bearer token).
async fn page_session<S: UserStore>(state: &ApiState<S>, headers: &HeaderMap) -> Option<Principal> {
    let token = cookie::session_cookie(headers)?;
    state.auth.principal(token).await.ok().flatten()
}

/// Where a person lands after logging in: the wallboard for supervisors, the desk for the
/// other case roles, the prompts' administration for administrators.
pub fn landing(principal: &Principal) -> Option<&'static str> {
    if principal.has(StaffRole::Supervisor) {
        Some("/wallboard")
    } else if principal.may(Access::CaseWork) {
        Some("/desk")
    } else if principal.has(StaffRole::Administrator) {
        Some("/admin/prompts")
    } else {
        None
    }
}

fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(LOCATION, value)]).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

fn page(html: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(HTML)),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        html,
    )
        .into_response()
}

/// `/`: the login form, or the page of one already logged in.
async fn login_page<S: UserStore>(
    State(state): State<ApiState<S>>,
    headers: HeaderMap,
) -> Response {
    match page_session(&state, &headers)
        .await
        .as_ref()
        .and_then(landing)
    {
        Some(home) => see_other(home),
        None => page(LOGIN_PAGE),
    }
}

/// A page for those who `may`: the login form for a browser without a session (coming back
/// here after it), the login form saying why for one without the role.
async fn guarded<S: UserStore>(
    state: &ApiState<S>,
    headers: &HeaderMap,
    path: &str,
    may: impl Fn(&Principal) -> bool,
    html: &'static str,
) -> Response {
    match page_session(state, headers).await {
        None => see_other(&format!("/?next={path}")),
        Some(principal) if may(&principal) => page(html),
        Some(_) => see_other(&format!("/?denied={path}")),
    }
}

async fn desk_page<S: UserStore>(State(state): State<ApiState<S>>, headers: HeaderMap) -> Response {
    guarded(
        &state,
        &headers,
        "/desk",
        |p| p.may(Access::CaseWork),
        DESK_PAGE,
    )
    .await
}

/// The desk opened on one SR. An SR number is short and plain (`SR-2026-000042`); anything
/// else is no page.
async fn desk_on_sr<S: UserStore>(
    State(state): State<ApiState<S>>,
    Path(number): Path<String>,
    headers: HeaderMap,
) -> Response {
    let plain = !number.is_empty()
        && number.len() <= 64
        && number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !plain {
        return crate::CrmError::NoRoute.into_response();
    }
    let path = format!("/desk/sr/{number}");
    guarded(
        &state,
        &headers,
        &path,
        |p| p.may(Access::CaseWork),
        DESK_PAGE,
    )
    .await
}

async fn wallboard_page<S: UserStore>(
    State(state): State<ApiState<S>>,
    headers: HeaderMap,
) -> Response {
    guarded(
        &state,
        &headers,
        "/wallboard",
        |p| p.has(StaffRole::Supervisor),
        WALLBOARD_PAGE,
    )
    .await
}

/// An administration page: the login form for a browser without a session, 403 with a page
/// that says so for anyone logged in without the administrator role.
async fn admin_page<S: UserStore>(
    state: &ApiState<S>,
    headers: &HeaderMap,
    path: &str,
    html: &'static str,
) -> Response {
    match page_session(state, headers).await {
        None => see_other(&format!("/?next={path}")),
        Some(principal) if principal.has(StaffRole::Administrator) => page(html),
        Some(_) => {
            let mut response = page(ADMIN_ONLY_PAGE);
            *response.status_mut() = StatusCode::FORBIDDEN;
            response
        }
    }
}

async fn admin_prompts_page<S: UserStore>(
    State(state): State<ApiState<S>>,
    headers: HeaderMap,
) -> Response {
    admin_page(&state, &headers, "/admin/prompts", ADMIN_PROMPTS_PAGE).await
}

async fn admin_ivr_page<S: UserStore>(
    State(state): State<ApiState<S>>,
    headers: HeaderMap,
) -> Response {
    admin_page(&state, &headers, "/admin/ivr", ADMIN_IVR_PAGE).await
}

/// An embedded file, revalidated by its content's hash (`ETag`, `no-cache`): a new binary's
/// files are fetched at once, unchanged ones cost a 304.
async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return crate::CrmError::NoRoute.into_response();
    };
    let digest = Sha256::digest(asset.body);
    let tag = format!("\"{}\"", &crate::auth::hex(&digest)[..16]);
    let tag = HeaderValue::from_str(&tag).expect("quoted hex is a valid header value");
    let cache = (CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if headers.get(IF_NONE_MATCH) == Some(&tag) {
        return (StatusCode::NOT_MODIFIED, [(ETAG, tag), cache]).into_response();
    }
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
            (ETAG, tag),
            cache,
        ],
        asset.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_has_its_type_and_the_pages_load_only_assets() {
        for asset in ASSETS {
            let expected = match asset.name.rsplit('.').next() {
                Some("js") => JS,
                Some("css") => CSS,
                Some("svg") => SVG,
                other => panic!("no type for {other:?}"),
            };
            assert_eq!(asset.content_type, expected, "{}", asset.name);
        }
        for html in [
            LOGIN_PAGE,
            DESK_PAGE,
            WALLBOARD_PAGE,
            ADMIN_PROMPTS_PAGE,
            ADMIN_IVR_PAGE,
            ADMIN_ONLY_PAGE,
        ] {
            assert!(!html.contains("<script>"), "no inline script");
            assert!(!html.contains("style="), "no inline style");
            assert!(!html.contains("<style"), "no inline style");
            for reference in html.split("\"/assets/").skip(1) {
                let name = reference.split('"').next().expect("a quoted name");
                assert!(ASSETS.iter().any(|a| a.name == name), "{name} is embedded");
            }
        }
    }
}
