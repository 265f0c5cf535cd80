//! Who is calling the `centralino.crm.v1.Crm` service.
//!
//! Every handler's first statement asks the [`Gate`] for the caller it needs ([`Gate::staff`],
//! [`Gate::case_worker`], [`Gate::engine`]), before it reads its message or looks anything
//! up: a refusal (`UNAUTHENTICATED`, `PERMISSION_DENIED`) never says whether the thing exists.
//!
//! Why not a tonic interceptor, as the CTI service has: interceptors are synchronous, and a
//! staff token is a session in the store (an async read that also tells the roles, read
//! afresh at every call). A tower layer could resolve it before the handler, but it would
//! have to know each RPC's rule by its path, apart from the handler that knows it anyway; the
//! call in the handler is the gRPC twin of the HTTP API's extractors, which are the first
//! argument of every handler. tonic has already decoded the message by then, within the
//! 64 KiB request limit.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use crm_store::UserStore;
use tonic::Request;
use tonic::metadata::MetadataMap;

use crate::auth::{Access, Authenticator, Principal, ServiceCredential};
use crate::{CrmError, Unauthenticated};

/// Checks the bearer token of a gRPC request: a staff session, or the engine's credential.
pub(crate) struct Gate<S> {
    auth: Arc<Authenticator<S>>,
    credential: ServiceCredential,
}

impl<S: UserStore> Gate<S> {
    pub(crate) fn new(auth: Arc<Authenticator<S>>, credential: ServiceCredential) -> Self {
        Self { auth, credential }
    }

    pub(crate) fn authenticator(&self) -> &Authenticator<S> {
        &self.auth
    }

    pub(crate) fn shared_authenticator(&self) -> Arc<Authenticator<S>> {
        Arc::clone(&self.auth)
    }

    /// The request's bearer token, for a stream that re-checks its session as it goes.
    pub(crate) fn token<T>(request: &Request<T>) -> Result<String, CrmError> {
        Ok(bearer_token(request.metadata())?.to_owned())
    }

    /// The logged-in user behind the request's token, whatever their roles.
    pub(crate) async fn principal<T>(&self, request: &Request<T>) -> Result<Principal, CrmError> {
        let token = bearer_token(request.metadata())?;
        self.auth
            .principal(token)
            .await?
            .ok_or(CrmError::Unauthenticated(Unauthenticated::InvalidToken))
    }

    /// A logged-in user with a staff role: reading SRs, cases and customers.
    pub(crate) async fn staff<T>(&self, request: &Request<T>) -> Result<Principal, CrmError> {
        let principal = self.principal(request).await?;
        principal.require(Access::Staff)?;
        Ok(principal)
    }

    /// A logged-in user who works cases in at least one role (administration alone is none).
    pub(crate) async fn case_worker<T>(&self, request: &Request<T>) -> Result<Principal, CrmError> {
        let principal = self.staff(request).await?;
        if principal.case_roles().is_empty() {
            return Err(CrmError::Forbidden);
        }
        Ok(principal)
    }

    /// The engine, by its service credential. A staff member's valid session is the wrong
    /// role (`PERMISSION_DENIED`); anything else is no authentication.
    pub(crate) async fn engine<T>(&self, request: &Request<T>) -> Result<(), CrmError> {
        let header = request
            .metadata()
            .get("authorization")
            .and_then(|value| value.to_str().ok());
        if self.credential.accepts(header) {
            return Ok(());
        }
        self.principal(request).await?;
        Err(CrmError::Forbidden)
    }
}

/// The token of `authorization: Bearer <token>` (RFC 6750, 2.1; the scheme is
/// case-insensitive, RFC 9110, 11.1).
fn bearer_token(metadata: &MetadataMap) -> Result<&str, Unauthenticated> {
    let value = metadata
        .get("authorization")
        .ok_or(Unauthenticated::Missing)?
        .to_str()
        .map_err(|_| Unauthenticated::InvalidToken)?;
    let (scheme, token) = value.split_once(' ').ok_or(Unauthenticated::InvalidToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Unauthenticated::InvalidToken);
    }
    Ok(token.trim())
}

/// Where a login comes from, for the lockouts. A connection without a peer address (not
/// TCP) counts as the unspecified address: all such logins share one lockout.
pub(crate) fn source_address<T>(request: &Request<T>) -> IpAddr {
    request
        .remote_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |addr| addr.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> MetadataMap {
        let mut metadata = MetadataMap::new();
        metadata.insert("authorization", value.parse().expect("ascii"));
        metadata
    }

    #[test]
    fn only_bearer_tokens_are_read() {
        assert_eq!(bearer_token(&with("Bearer abc")), Ok("abc"));
        assert_eq!(bearer_token(&with("bearer abc ")), Ok("abc"));
        assert_eq!(
            bearer_token(&with("Basic abc")),
            Err(Unauthenticated::InvalidToken)
        );
        assert_eq!(
            bearer_token(&with("Bearer")),
            Err(Unauthenticated::InvalidToken)
        );
        assert_eq!(
            bearer_token(&MetadataMap::new()),
            Err(Unauthenticated::Missing)
        );
    }
}
