//! The engine's service credential on the CTI link.
//!
//! The engine sends `authorization: Bearer <token>` with every CTI call; the token comes from
//! a file or the environment on both sides (docs/configuration.md), or is generated per run
//! when engine and CRM share one process. A missing or wrong token is refused with
//! `UNAUTHENTICATED` before any handler runs, and the answer never says which it was.

use std::fmt;
use std::sync::Arc;

use tonic::{Request, Status};

/// Shortest service credential accepted: guessing one must be hopeless.
pub const MIN_TOKEN_LEN: usize = 16;

/// The engine's service credential, as the CRM checks it.
#[derive(Clone)]
pub struct ServiceCredential {
    expected: Arc<[u8]>,
}

/// A credential too weak to protect the CRM.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    #[error("the service credential must be at least 16 characters")]
    TooShort,
    #[error("the service credential must be visible ascii without spaces")]
    NotAscii,
}

impl ServiceCredential {
    pub fn new(token: &str) -> Result<Self, CredentialError> {
        if token.len() < MIN_TOKEN_LEN {
            return Err(CredentialError::TooShort);
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(CredentialError::NotAscii);
        }
        Ok(Self {
            expected: token.as_bytes().into(),
        })
    }

    /// Whether `authorization` (a header value) carries this credential. Compares in time
    /// independent of where the bytes differ.
    pub fn accepts(&self, authorization: Option<&str>) -> bool {
        let Some(token) = authorization.and_then(|v| v.strip_prefix("Bearer ")) else {
            return false;
        };
        constant_time_eq(token.as_bytes(), &self.expected)
    }
}

impl fmt::Debug for ServiceCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServiceCredential(<redacted>)")
    }
}

impl tonic::service::Interceptor for ServiceCredential {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let header = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        if self.accepts(header) {
            Ok(request)
        } else {
            tracing::info!("cti call refused: missing or wrong service credential");
            Err(Status::unauthenticated(
                "a valid service credential is required",
            ))
        }
    }
}

/// Equal length and equal bytes, looking at every byte whatever the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_is_accepted() {
        let credential = ServiceCredential::new("0123456789abcdef-engine").unwrap();
        assert!(credential.accepts(Some("Bearer 0123456789abcdef-engine")));
        assert!(!credential.accepts(None));
        assert!(!credential.accepts(Some("0123456789abcdef-engine")));
        assert!(!credential.accepts(Some("Bearer 0123456789abcdef-engin")));
        assert!(!credential.accepts(Some("Bearer 0123456789abcdef-enginE")));
        assert!(!credential.accepts(Some("Basic 0123456789abcdef-engine")));
    }

    #[test]
    fn weak_credentials_are_refused() {
        assert!(matches!(
            ServiceCredential::new("short"),
            Err(CredentialError::TooShort)
        ));
        assert!(matches!(
            ServiceCredential::new("long enough but spaced"),
            Err(CredentialError::NotAscii)
        ));
        assert!(
            !format!("{:?}", ServiceCredential::new("0123456789abcdef").unwrap()).contains("0123")
        );
    }
}
