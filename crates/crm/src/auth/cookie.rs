//! Browser sessions: the same session token as `Authorization: Bearer`, carried by the
//! `centralino_session` cookie, and the cross-site request forgery (CSRF) check that a
//! cookie needs and a bearer token does not.
//!
//! A browser sends a cookie with every request to the CRM, whoever made the page that asks;
//! so a request that changes something (any method but GET and HEAD, RFC 9110, 9.2.1) and was
//! authenticated by the cookie must also prove that it comes from the CRM's own pages:
//!
//! * `X-CSRF-Token` equal to [`csrf_token`] of the session token. It is derived (SHA-256 of a
//!   fixed label and the token), so nothing more is stored; it is handed to the page by the
//!   login answer and by `GET /api/v1/me`, and another site can neither read it nor compute it
//!   without the token, which the `HttpOnly` cookie keeps from scripts.
//! * an `Origin` header, when the browser sends one, naming this site (scheme `http` or
//!   `https` and the request's own `Host`).
//!
//! The cookie is `HttpOnly; SameSite=Strict; Path=/`, and `Secure` when the CRM is configured
//! so (`crm.secure_cookies`) or the request came over https through a proxy that says so
//! (`X-Forwarded-Proto: https` or `Forwarded: proto=https`): the flag only ever narrows where
//! the browser sends the cookie, so trusting the header for it is safe.

use std::fmt;

use axum::http::header::{COOKIE, HOST, ORIGIN};
use axum::http::{HeaderMap, HeaderValue, Method};
use sha2::{Digest, Sha256};

/// The cookie that carries the session token.
pub const COOKIE_NAME: &str = "centralino_session";

/// The header a cookie-authenticated change carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What the CSRF token is derived with, besides the session token.
const CSRF_LABEL: &[u8] = b"centralino csrf token v1\0";

/// The CSRF token of a session: 64 hex digits, SHA-256 of a fixed label and the session
/// token. Deterministic, so the CRM checks it without storing anything.
pub fn csrf_token(session_token: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(CSRF_LABEL);
    digest.update(session_token.as_bytes());
    super::sessions::hex(&digest.finalize())
}

/// How a request's session token came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// `Authorization: Bearer`: a program's request; no CSRF check.
    Bearer,
    /// The `centralino_session` cookie: a browser's; changes need the CSRF token.
    Cookie,
}

/// The session token a request was authenticated with, and how it came. The extractors of
/// [`super::Principal`] leave it in the request's extensions; handlers that follow the session
/// (the SSE streams) or hand out its CSRF token (`GET /api/v1/me`) take it from there.
#[derive(Clone)]
pub struct SessionToken {
    pub(crate) token: String,
    pub source: TokenSource,
}

impl SessionToken {
    /// The token itself: never log it.
    pub fn expose(&self) -> &str {
        &self.token
    }

    /// The CSRF token that goes with it.
    pub fn csrf_token(&self) -> String {
        csrf_token(&self.token)
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionToken")
            .field("token", &"<redacted>")
            .field("source", &self.source)
            .finish()
    }
}

/// Why a cookie-authenticated change was refused (403).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsrfRefusal {
    #[error(
        "a change authenticated by the session cookie needs the X-CSRF-Token header (the csrf_token of the login answer or of GET /api/v1/me)"
    )]
    MissingToken,
    #[error("the X-CSRF-Token header does not belong to this session: reload the page")]
    WrongToken,
    #[error(
        "the Origin header names another site: changes authenticated by the session cookie come from the CRM's own pages"
    )]
    CrossOrigin,
}

/// The value of the session cookie, if the request has one (RFC 6265, 5.4: `Cookie: a=b; c=d`,
/// possibly over several headers).
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE_NAME).then_some(value.trim().trim_matches('"'))
        })
        .filter(|value| !value.is_empty())
}

/// Whether the method may change something (RFC 9110, 9.2.1: GET and HEAD are safe; OPTIONS
/// and TRACE are too, but no route here serves them).
pub fn changes_something(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD)
}

/// The CSRF check of a cookie-authenticated change: the token, then the origin.
pub fn check_csrf(headers: &HeaderMap, session_token: &str) -> Result<(), CsrfRefusal> {
    let sent = headers
        .get(CSRF_HEADER)
        .ok_or(CsrfRefusal::MissingToken)?
        .to_str()
        .map_err(|_| CsrfRefusal::WrongToken)?;
    if !constant_time_eq(sent.trim().as_bytes(), csrf_token(session_token).as_bytes()) {
        return Err(CsrfRefusal::WrongToken);
    }
    check_origin(headers)
}

/// An `Origin` header, if present, must name this site: `http://` or `https://` and the
/// request's `Host`. `Origin: null` (a sandboxed frame, a redirect across sites) is refused.
pub fn check_origin(headers: &HeaderMap) -> Result<(), CsrfRefusal> {
    let Some(origin) = headers.get(ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().map_err(|_| CsrfRefusal::CrossOrigin)?;
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .ok_or(CsrfRefusal::CrossOrigin)?;
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or(CsrfRefusal::CrossOrigin)?;
    if authority.eq_ignore_ascii_case(host) {
        Ok(())
    } else {
        Err(CsrfRefusal::CrossOrigin)
    }
}

/// Whether the cookie gets `Secure`: configured so, or the request came over https through a
/// proxy that says so.
pub fn secure(headers: &HeaderMap, configured: bool) -> bool {
    if configured {
        return true;
    }
    let forwarded_https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    let rfc7239_https = headers
        .get("forwarded")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split([';', ',']).any(|pair| {
                pair.trim().split_once('=').is_some_and(|(k, v)| {
                    k.eq_ignore_ascii_case("proto")
                        && v.trim_matches('"').eq_ignore_ascii_case("https")
                })
            })
        });
    forwarded_https || rfc7239_https
}

/// `Set-Cookie` for a new session of `max_age_secs`.
pub fn set_cookie(session_token: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    cookie_header(session_token, max_age_secs, secure)
}

/// `Set-Cookie` that makes the browser forget the session cookie.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    cookie_header("", 0, secure)
}

fn cookie_header(value: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict{secure}"
    ))
    .expect("a cookie of hex digits and fixed attributes is a valid header value")
}

/// Equal length and equal bytes, looking at every byte whatever the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn the_csrf_token_is_derived_from_the_session_and_differs_from_it() {
        let token = "ab".repeat(32);
        assert_eq!(csrf_token(&token), csrf_token(&token));
        assert_ne!(csrf_token(&token), token);
        assert_ne!(csrf_token(&token), csrf_token(&"cd".repeat(32)));
        assert_eq!(csrf_token(&token).len(), 64);
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let h = headers(&[("cookie", "a=1; centralino_session=abc ; b=2")]);
        assert_eq!(session_cookie(&h), Some("abc"));
        let h = headers(&[("cookie", "a=1"), ("cookie", "centralino_session=def")]);
        assert_eq!(session_cookie(&h), Some("def"));
        assert_eq!(
            session_cookie(&headers(&[("cookie", "centralino_session=")])),
            None
        );
        assert_eq!(
            session_cookie(&headers(&[("cookie", "xcentralino_session=1")])),
            None
        );
    }

    #[test]
    fn changes_need_the_token_and_this_origin() {
        let token = "ab".repeat(32);
        let csrf = csrf_token(&token);
        let host = ("host", "127.0.0.1:8080");
        assert_eq!(
            check_csrf(&headers(&[host]), &token),
            Err(CsrfRefusal::MissingToken)
        );
        assert_eq!(
            check_csrf(&headers(&[host, ("x-csrf-token", &"0".repeat(64))]), &token),
            Err(CsrfRefusal::WrongToken)
        );
        assert_eq!(
            check_csrf(&headers(&[host, ("x-csrf-token", &csrf)]), &token),
            Ok(())
        );
        let with_origin = |origin: &str| {
            check_csrf(
                &headers(&[host, ("x-csrf-token", &csrf), ("origin", origin)]),
                &token,
            )
        };
        assert_eq!(with_origin("http://127.0.0.1:8080"), Ok(()));
        assert_eq!(with_origin("https://127.0.0.1:8080"), Ok(()));
        assert_eq!(
            with_origin("http://evil.example"),
            Err(CsrfRefusal::CrossOrigin)
        );
        assert_eq!(
            with_origin("http://127.0.0.1:8081"),
            Err(CsrfRefusal::CrossOrigin)
        );
        assert_eq!(with_origin("null"), Err(CsrfRefusal::CrossOrigin));
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_when_asked() {
        let plain = set_cookie("abc", 60, false);
        let plain = plain.to_str().unwrap();
        assert!(plain.starts_with("centralino_session=abc;"), "{plain}");
        for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=60"] {
            assert!(plain.contains(part), "{plain}");
        }
        assert!(!plain.contains("Secure"));
        assert!(
            set_cookie("abc", 60, true)
                .to_str()
                .unwrap()
                .ends_with("; Secure")
        );
        assert!(clear_cookie(false).to_str().unwrap().contains("Max-Age=0"));
        assert!(secure(&headers(&[("x-forwarded-proto", "https")]), false));
        assert!(secure(
            &headers(&[("forwarded", "for=1.2.3.4;proto=https")]),
            false
        ));
        assert!(!secure(&headers(&[("x-forwarded-proto", "http")]), false));
        assert!(secure(&HeaderMap::new(), true));
    }
}
