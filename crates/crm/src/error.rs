//! The one place where CRM errors become gRPC statuses and HTTP responses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use crm_store::{CaseError, StoreError};
use thiserror::Error;

use crate::http::RequestError;

/// Why a CTI or HTTP request failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CrmError {
    /// The request is malformed (remote input).
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    #[error("service request not found")]
    NotFound,
    #[error("user not found")]
    UserNotFound,
    #[error("no such endpoint")]
    NoRoute,
    #[error("method not allowed on this endpoint")]
    MethodNotAllowed,
    #[error(transparent)]
    Unauthenticated(#[from] Unauthenticated),
    /// Logged in, but without a role the request needs.
    #[error("your roles do not allow this")]
    Forbidden,
    /// A change authenticated by the session cookie without the proof that it comes from the
    /// CRM's own pages.
    #[error(transparent)]
    Csrf(#[from] crate::auth::CsrfRefusal),
    /// The change contradicts the current state (and retrying it cannot help).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("too many failed logins: try again in {retry_after_secs} s")]
    LockedOut { retry_after_secs: u64 },
    #[error("the request body is larger than 64 KiB")]
    PayloadTooLarge,
    /// An upload larger than its route takes (a prompt, an archive, a script), saying which.
    #[error("{0}")]
    TooLarge(&'static str),
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// Every password check is busy: the client may retry shortly.
    #[error("too many logins at once")]
    Busy,
    /// The CRM is shutting down: no new streams.
    #[error("the crm is shutting down")]
    ShuttingDown,
    /// A command for the ACD cannot reach the engine (not connected, or no answer in time).
    #[error("{0}")]
    EngineUnavailable(&'static str),
    /// The ACD refused a command, with its reason.
    #[error("{0}")]
    CommandRefused(String),
    #[error(transparent)]
    Password(#[from] crate::auth::PasswordError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A command on a case was not stored: refused by the life cycle's rules, decided on a
    /// stale revision, or the case does not exist.
    #[error(transparent)]
    Case(#[from] CaseError),
    /// A change that needs `If-Match` came without it (RFC 6585, 3).
    #[error(
        "this change needs If-Match with the revision it was decided on, e.g. If-Match: \"7\" (the ETag of the case or customer read)"
    )]
    PreconditionRequired,
    /// A request body or header that is well-formed JSON but says something the route does
    /// not take; the error names the field.
    #[error(transparent)]
    Request(#[from] RequestError),
}

/// Why a request was not authenticated. The three answers say what the client should do
/// next, never whether a login exists.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unauthenticated {
    #[error(
        "authentication required: log in and send Authorization: Bearer <token> (or, from a page, the session cookie)"
    )]
    Missing,
    #[error("the session token is unknown or expired: log in again")]
    InvalidToken,
    #[error("wrong login or password")]
    BadCredentials,
}

/// What a client is told, in both protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    InvalidArgument,
    Unauthenticated,
    Forbidden,
    /// A cookie-authenticated change failed the CSRF check.
    CsrfRefused,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    Unavailable,
    Internal,
    /// The life cycle's rules refuse a command (RFC 9110, 15.5.21).
    Unprocessable,
    /// Decided on a revision that is no longer the current one (RFC 9110, 15.5.13).
    PreconditionFailed,
    /// `If-Match` missing where a change needs it (RFC 6585, 3).
    PreconditionRequired,
}

impl CrmError {
    fn kind(&self) -> Kind {
        use crate::auth::PasswordError;
        match self {
            CrmError::InvalidArgument(_)
            | CrmError::Request(_)
            | CrmError::Store(
                StoreError::InvalidInput(_)
                | StoreError::InvalidCustomer(_)
                | StoreError::InvalidCustomerInBatch { .. },
            )
            | CrmError::Case(CaseError::Store(
                StoreError::InvalidInput(_) | StoreError::InvalidCustomer(_),
            ))
            | CrmError::Password(
                PasswordError::TooShort
                | PasswordError::TooLong
                | PasswordError::NotArgon2
                | PasswordError::TooCostly
                | PasswordError::InvalidCost,
            ) => Kind::InvalidArgument,
            CrmError::Unauthenticated(_) => Kind::Unauthenticated,
            CrmError::Forbidden => Kind::Forbidden,
            CrmError::Csrf(_) => Kind::CsrfRefused,
            CrmError::NotFound
            | CrmError::UserNotFound
            | CrmError::NoRoute
            | CrmError::Store(StoreError::CustomerNotFound)
            | CrmError::Case(CaseError::NotFound) => Kind::NotFound,
            CrmError::Case(CaseError::Refused(_)) => Kind::Unprocessable,
            CrmError::Case(CaseError::StaleRevision { .. })
            | CrmError::Store(StoreError::RevisionConflict { .. }) => Kind::PreconditionFailed,
            CrmError::PreconditionRequired => Kind::PreconditionRequired,
            CrmError::MethodNotAllowed => Kind::MethodNotAllowed,
            CrmError::Conflict(_) | CrmError::Store(StoreError::Conflict(_)) => Kind::Conflict,
            CrmError::PayloadTooLarge | CrmError::TooLarge(_) => Kind::PayloadTooLarge,
            CrmError::UnsupportedMediaType => Kind::UnsupportedMediaType,
            CrmError::LockedOut { .. } => Kind::TooManyRequests,
            // Retrying later can succeed.
            CrmError::CommandRefused(_) => Kind::Unprocessable,
            CrmError::Busy
            | CrmError::ShuttingDown
            | CrmError::EngineUnavailable(_)
            | CrmError::Store(StoreError::Unavailable(_) | StoreError::Contention)
            | CrmError::Case(CaseError::Store(
                StoreError::Unavailable(_) | StoreError::Contention,
            )) => Kind::Unavailable,
            CrmError::Case(CaseError::Store(StoreError::Conflict(_))) => Kind::Conflict,
            // `ChildClosureRefused` breaks the life cycle's own promise; `PinHashing`,
            // corrupt rows and the rest are the server's.
            CrmError::Password(_) | CrmError::Store(_) | CrmError::Case(_) => Kind::Internal,
        }
    }

    /// The message for the client: the error itself when it is the client's to fix, a fixed
    /// text otherwise (database messages stay in the log).
    fn public_message(&self) -> String {
        match self.kind() {
            Kind::Unavailable => match self {
                CrmError::EngineUnavailable(why) => (*why).to_owned(),
                _ => "service temporarily unavailable".to_owned(),
            },
            Kind::Internal => "internal error".to_owned(),
            _ => self.to_string(),
        }
    }

    /// Logs server-side failures. Only `Display` texts are logged, never `Debug`: a
    /// database error's debug form may carry the failing row, personal data included.
    fn log(&self) {
        if matches!(self.kind(), Kind::Unavailable | Kind::Internal) {
            tracing::error!(error = %DisplayChain(self), "request failed");
        }
    }

    /// The stable code of the rule that refused a command on a case.
    fn rule(&self) -> Option<&'static str> {
        match self {
            CrmError::Case(CaseError::Refused(refusal)) => Some(refusal.rule.code()),
            _ => None,
        }
    }

    /// The revision a stale change should have been decided on: the current one.
    fn current_revision(&self) -> Option<i64> {
        match self {
            CrmError::Case(CaseError::StaleRevision { current, .. }) => {
                Some(i64::try_from(*current).unwrap_or(i64::MAX))
            }
            CrmError::Store(StoreError::RevisionConflict { current, .. }) => Some(*current),
            _ => None,
        }
    }

    /// Whether retrying the same request shortly may succeed: the database is busy with the
    /// same case (RFC 9110, 10.2.3).
    fn retry_soon(&self) -> bool {
        matches!(
            self,
            CrmError::Busy
                | CrmError::Store(StoreError::Contention)
                | CrmError::Case(CaseError::Store(StoreError::Contention))
        )
    }
}

impl From<CrmError> for tonic::Status {
    fn from(error: CrmError) -> Self {
        error.log();
        let message = error.public_message();
        match error.kind() {
            Kind::InvalidArgument | Kind::UnsupportedMediaType => {
                tonic::Status::invalid_argument(message)
            }
            Kind::Unauthenticated => tonic::Status::unauthenticated(message),
            Kind::Forbidden | Kind::CsrfRefused => tonic::Status::permission_denied(message),
            Kind::NotFound => tonic::Status::not_found(message),
            Kind::MethodNotAllowed => tonic::Status::unimplemented(message),
            Kind::Conflict | Kind::Unprocessable | Kind::PreconditionRequired => {
                tonic::Status::failed_precondition(message)
            }
            // A read-modify-write that lost a race: the client retries from a fresh read.
            Kind::PreconditionFailed => tonic::Status::aborted(message),
            Kind::PayloadTooLarge | Kind::TooManyRequests => {
                tonic::Status::resource_exhausted(message)
            }
            Kind::Unavailable => tonic::Status::unavailable(message),
            Kind::Internal => tonic::Status::internal(message),
        }
    }
}

/// Body of every HTTP error: `{"error": {"code": "not_found", "message": "..."}}`.
#[derive(serde::Serialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(serde::Serialize)]
struct ErrorDetail {
    code: &'static str,
    message: String,
    /// For a refused command on a case: the stable code of the rule
    /// (`service_request::Rule::code`).
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'static str>,
    /// For a change decided on a stale revision: the current one, to reload.
    #[serde(skip_serializing_if = "Option::is_none")]
    current_revision: Option<i64>,
}

impl IntoResponse for CrmError {
    fn into_response(self) -> Response {
        self.log();
        let (status, code) = match self.kind() {
            Kind::InvalidArgument => (StatusCode::BAD_REQUEST, "invalid_argument"),
            Kind::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Kind::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            Kind::CsrfRefused => (StatusCode::FORBIDDEN, "csrf_refused"),
            Kind::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Kind::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Kind::Conflict => (StatusCode::CONFLICT, "conflict"),
            Kind::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Kind::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Kind::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            Kind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Kind::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            Kind::Unprocessable => (StatusCode::UNPROCESSABLE_ENTITY, "refused"),
            Kind::PreconditionFailed => (StatusCode::PRECONDITION_FAILED, "precondition_failed"),
            Kind::PreconditionRequired => {
                (StatusCode::PRECONDITION_REQUIRED, "precondition_required")
            }
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.public_message(),
                rule: self.rule(),
                current_revision: self.current_revision(),
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        match &self {
            // RFC 6750, 3: a 401 names the scheme; 3.1: and says when a token was refused.
            CrmError::Unauthenticated(Unauthenticated::InvalidToken) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Bearer error="invalid_token""#),
                );
            }
            CrmError::Unauthenticated(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            // RFC 9110, 10.2.3.
            CrmError::LockedOut { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            _ if self.retry_soon() => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(1u64));
            }
            _ => {}
        }
        // RFC 9110, 8.8.3: the current entity tag, for the client to reload and retry with.
        if let Some(current) = self.current_revision() {
            headers.insert(header::ETAG, crate::http::etag(current));
        }
        response
    }
}

/// An error and its sources, by `Display`, separated by ": ".
struct DisplayChain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for DisplayChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(error) = source {
            write!(f, ": {error}")?;
            source = error.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corrupt() -> CrmError {
        CrmError::Store(StoreError::CorruptRow {
            column: "state",
            value: "secret".into(),
        })
    }

    #[test]
    fn each_error_maps_to_one_grpc_code_and_one_http_status() {
        type Case = (fn() -> CrmError, tonic::Code, StatusCode);
        let cases: [Case; 16] = [
            (
                || CrmError::InvalidArgument("call id is empty"),
                tonic::Code::InvalidArgument,
                StatusCode::BAD_REQUEST,
            ),
            (
                || StoreError::InvalidInput("x").into(),
                tonic::Code::InvalidArgument,
                StatusCode::BAD_REQUEST,
            ),
            (
                || CrmError::NotFound,
                tonic::Code::NotFound,
                StatusCode::NOT_FOUND,
            ),
            (
                || CrmError::NoRoute,
                tonic::Code::NotFound,
                StatusCode::NOT_FOUND,
            ),
            (
                || StoreError::Contention.into(),
                tonic::Code::Unavailable,
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                corrupt,
                tonic::Code::Internal,
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
            (
                || Unauthenticated::Missing.into(),
                tonic::Code::Unauthenticated,
                StatusCode::UNAUTHORIZED,
            ),
            (
                || CrmError::Forbidden,
                tonic::Code::PermissionDenied,
                StatusCode::FORBIDDEN,
            ),
            (
                || crate::auth::CsrfRefusal::MissingToken.into(),
                tonic::Code::PermissionDenied,
                StatusCode::FORBIDDEN,
            ),
            (
                || CrmError::MethodNotAllowed,
                tonic::Code::Unimplemented,
                StatusCode::METHOD_NOT_ALLOWED,
            ),
            (
                || StoreError::Conflict("taken").into(),
                tonic::Code::FailedPrecondition,
                StatusCode::CONFLICT,
            ),
            (
                || CrmError::PayloadTooLarge,
                tonic::Code::ResourceExhausted,
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
            (
                || CrmError::UnsupportedMediaType,
                tonic::Code::InvalidArgument,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                || CrmError::LockedOut {
                    retry_after_secs: 300,
                },
                tonic::Code::ResourceExhausted,
                StatusCode::TOO_MANY_REQUESTS,
            ),
            (
                || crate::auth::PasswordError::TooShort.into(),
                tonic::Code::InvalidArgument,
                StatusCode::BAD_REQUEST,
            ),
            (
                || crate::auth::PasswordError::Hashing.into(),
                tonic::Code::Internal,
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
        ];
        for (error, code, status) in cases {
            let text = error().to_string();
            assert_eq!(tonic::Status::from(error()).code(), code, "{text}");
            assert_eq!(error().into_response().status(), status, "{text}");
        }
    }

    #[test]
    fn refusals_tell_the_client_what_to_do_next() {
        let locked = CrmError::LockedOut {
            retry_after_secs: 42,
        }
        .into_response();
        assert_eq!(locked.headers()[header::RETRY_AFTER], "42");
        let missing = CrmError::from(Unauthenticated::Missing).into_response();
        assert_eq!(missing.headers()[header::WWW_AUTHENTICATE], "Bearer");
        let expired = CrmError::from(Unauthenticated::InvalidToken).into_response();
        assert_eq!(
            expired.headers()[header::WWW_AUTHENTICATE],
            r#"Bearer error="invalid_token""#
        );
        assert_eq!(
            CrmError::from(Unauthenticated::BadCredentials).public_message(),
            "wrong login or password"
        );
    }

    #[test]
    fn case_and_customer_errors_say_what_to_do_next() {
        use service_request::{CommandKind, Refusal, Rule, State};
        let refused = || {
            CrmError::from(CaseError::Refused(Refusal {
                command: CommandKind::Assign,
                state: Some(State::Open),
                rule: Rule::BasicHasNoSecondLevel,
            }))
        };
        type Case = (fn() -> CrmError, tonic::Code, StatusCode);
        let cases: [Case; 9] = [
            (
                refused,
                tonic::Code::FailedPrecondition,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                || {
                    CaseError::StaleRevision {
                        expected: 3,
                        current: 5,
                    }
                    .into()
                },
                tonic::Code::Aborted,
                StatusCode::PRECONDITION_FAILED,
            ),
            (
                || CaseError::NotFound.into(),
                tonic::Code::NotFound,
                StatusCode::NOT_FOUND,
            ),
            (
                || CaseError::Store(StoreError::Contention).into(),
                tonic::Code::Unavailable,
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                || CrmError::PreconditionRequired,
                tonic::Code::FailedPrecondition,
                StatusCode::PRECONDITION_REQUIRED,
            ),
            (
                || StoreError::CustomerNotFound.into(),
                tonic::Code::NotFound,
                StatusCode::NOT_FOUND,
            ),
            (
                || {
                    StoreError::RevisionConflict {
                        expected: 1,
                        current: 2,
                    }
                    .into()
                },
                tonic::Code::Aborted,
                StatusCode::PRECONDITION_FAILED,
            ),
            (
                || {
                    StoreError::InvalidCustomer(crm_store::CustomerInputError::Empty {
                        field: crm_store::CustomerField::DisplayName,
                    })
                    .into()
                },
                tonic::Code::InvalidArgument,
                StatusCode::BAD_REQUEST,
            ),
            (
                || StoreError::PinHashing.into(),
                tonic::Code::Internal,
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
        ];
        for (error, code, status) in cases {
            let text = error().to_string();
            assert_eq!(tonic::Status::from(error()).code(), code, "{text}");
            assert_eq!(error().into_response().status(), status, "{text}");
        }
        assert_eq!(refused().rule(), Some("basic_has_no_second_level"));
        assert!(refused().public_message().contains("basic-profile service"));
        let stale = CrmError::from(CaseError::StaleRevision {
            expected: 3,
            current: 5,
        });
        assert_eq!(stale.current_revision(), Some(5));
        assert_eq!(stale.into_response().headers()[header::ETAG], "\"5\"");
        let busy = CrmError::from(CaseError::Store(StoreError::Contention)).into_response();
        assert_eq!(busy.headers()[header::RETRY_AFTER], "1");
        let invalid = CrmError::from(StoreError::InvalidCustomer(
            crm_store::CustomerInputError::Empty {
                field: crm_store::CustomerField::DisplayName,
            },
        ));
        assert!(invalid.public_message().contains("display_name"));
    }

    #[test]
    fn internal_details_stay_in_the_log() {
        assert_eq!(corrupt().public_message(), "internal error");
        let status = tonic::Status::from(corrupt());
        assert!(!status.message().contains("secret"));
    }
}
