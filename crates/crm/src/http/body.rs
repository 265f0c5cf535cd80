//! JSON request bodies whose refusals are the API's own errors.

use axum::Json;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::CrmError;

/// What a request body must look like, said in the 400 answer to one that does not.
pub trait BodyShape {
    /// e.g. `the body is {"login": text, "password": text}`.
    const SHAPE: &'static str;
}

/// A JSON body (at most [`super::BODY_LIMIT`] bytes, `Content-Type: application/json`).
/// Refusals are [`CrmError`]s: 413, 415, or 400 with the expected shape. The text of a
/// refused body is never echoed: it may hold a password.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<St, T> FromRequest<St> for JsonBody<T>
where
    St: Send + Sync,
    T: DeserializeOwned + BodyShape,
{
    type Rejection = CrmError;

    async fn from_request(request: Request, state: &St) -> Result<Self, CrmError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => CrmError::PayloadTooLarge,
                StatusCode::UNSUPPORTED_MEDIA_TYPE => CrmError::UnsupportedMediaType,
                _ => CrmError::InvalidArgument(T::SHAPE),
            }),
        }
    }
}
