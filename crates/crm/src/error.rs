//! The one place where CRM errors become gRPC statuses and HTTP responses.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use crm_store::StoreError;
use thiserror::Error;

/// Why a CTI or HTTP request failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CrmError {
    /// The request is malformed (remote input).
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    #[error("service request not found")]
    NotFound,
    #[error("no such endpoint")]
    NoRoute,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a client is told, in both protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    InvalidArgument,
    NotFound,
    Unavailable,
    Internal,
}

impl CrmError {
    fn kind(&self) -> Kind {
        match self {
            CrmError::InvalidArgument(_) | CrmError::Store(StoreError::InvalidInput(_)) => {
                Kind::InvalidArgument
            }
            CrmError::NotFound | CrmError::NoRoute => Kind::NotFound,
            // Retrying later can succeed.
            CrmError::Store(StoreError::Unavailable(_) | StoreError::Contention) => {
                Kind::Unavailable
            }
            CrmError::Store(_) => Kind::Internal,
        }
    }

    /// The message for the client: the error itself when it is the client's to fix, a fixed
    /// text otherwise (database messages stay in the log).
    fn public_message(&self) -> String {
        match self.kind() {
            Kind::InvalidArgument | Kind::NotFound => self.to_string(),
            Kind::Unavailable => "service temporarily unavailable".to_owned(),
            Kind::Internal => "internal error".to_owned(),
        }
    }

    /// Logs server-side failures. Only `Display` texts are logged, never `Debug`: a
    /// database error's debug form may carry the failing row, personal data included.
    fn log(&self) {
        if matches!(self.kind(), Kind::Unavailable | Kind::Internal) {
            tracing::error!(error = %DisplayChain(self), "request failed");
        }
    }
}

impl From<CrmError> for tonic::Status {
    fn from(error: CrmError) -> Self {
        error.log();
        let message = error.public_message();
        match error.kind() {
            Kind::InvalidArgument => tonic::Status::invalid_argument(message),
            Kind::NotFound => tonic::Status::not_found(message),
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
}

impl IntoResponse for CrmError {
    fn into_response(self) -> Response {
        self.log();
        let (status, code) = match self.kind() {
            Kind::InvalidArgument => (StatusCode::BAD_REQUEST, "invalid_argument"),
            Kind::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Kind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Kind::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.public_message(),
            },
        };
        (status, axum::Json(body)).into_response()
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
        let cases: [Case; 6] = [
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
        ];
        for (error, code, status) in cases {
            let text = error().to_string();
            assert_eq!(tonic::Status::from(error()).code(), code, "{text}");
            assert_eq!(error().into_response().status(), status, "{text}");
        }
    }

    #[test]
    fn internal_details_stay_in_the_log() {
        assert_eq!(corrupt().public_message(), "internal error");
        let status = tonic::Status::from(corrupt());
        assert!(!status.message().contains("secret"));
    }
}
