//! Who is asking: the logged-in user behind a request's bearer token or session cookie, what they may do, and
//! who they are on a case (`service_request::Actor`).
//!
//! Handlers take an extractor as their **first** argument, so that authentication and the
//! role check happen before anything else is looked at or looked up:
//!
//! ```
//! use axum::Json;
//! use axum::extract::{Path, State};
//! use crm::auth::Staff;
//! use crm::http::ApiState;
//! use crm::CrmError;
//! use crm_store::ServiceRequestStore;
//! use service_request::Role;
//!
//! async fn work<S: ServiceRequestStore>(
//!     Staff(principal): Staff,          // 401 without a live session, 403 without a staff role
//!     State(state): State<ApiState<S>>,
//!     Path(number): Path<String>,
//! ) -> Result<Json<String>, CrmError> {
//!     let actor = principal.actor_as(&Role::FirstLevel).ok_or(CrmError::Forbidden)?;
//!     let sr = state.store.get_by_number(&number).await?.ok_or(CrmError::NotFound)?;
//!     Ok(Json(format!("{actor} works {}", sr.number)))
//! }
//! ```
//!
//! The extractors work on any router state from which a [`Sessions`] can be taken
//! (`FromRef`), as [`crate::http::ApiState`] allows.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use common::Pii;
use crm_store::{Roles, StaffRole, TokenHash};
use service_request::{Actor, CommandKind, Role};

use super::cookie::{self, SessionToken, TokenSource};
use crate::{CrmError, Unauthenticated};

/// A logged-in user, as a request's handler sees them. Roles are read from the store at
/// every request: a change of roles applies at once, without logging in again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub login: String,
    /// Display name (personal data: redacted by `Debug`).
    pub name: Pii<String>,
    pub roles: Roles,
    pub session_expires_at_unix_ms: i64,
    /// Which session: what logging out ends.
    pub(crate) token_hash: TokenHash,
}

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Access {
    /// Any staff role: reading service requests and calls.
    Staff,
    /// Managing users.
    Administrator,
    /// Working cases, and reading customers: a case role (operator, second level,
    /// rejections, supervisor). Administration alone is none.
    CaseWork,
    /// Creating and changing customers: operators and supervisors.
    EditCustomers,
}

impl Principal {
    /// A principal without a session, for code that acts for a user it already knows (and
    /// for tests). Logging it out ends nothing; it never comes from a request.
    pub fn without_session(login: impl Into<String>, name: Pii<String>, roles: Roles) -> Self {
        Self {
            login: login.into(),
            name,
            roles,
            session_expires_at_unix_ms: 0,
            token_hash: TokenHash::from_hex(&"0".repeat(64))
                .expect("64 zeros are 64 lowercase hex digits"),
        }
    }

    pub fn has(&self, role: StaffRole) -> bool {
        self.roles.has(role)
    }

    /// Whether the principal may do what `access` names.
    pub fn may(&self, access: Access) -> bool {
        match access {
            Access::Staff => [
                StaffRole::Operator,
                StaffRole::SecondLevel,
                StaffRole::Rejections,
                StaffRole::Supervisor,
                StaffRole::Administrator,
            ]
            .into_iter()
            .any(|role| self.has(role)),
            Access::Administrator => self.has(StaffRole::Administrator),
            Access::CaseWork => !self.case_roles().is_empty(),
            Access::EditCustomers => {
                self.has(StaffRole::Operator) || self.has(StaffRole::Supervisor)
            }
        }
    }

    /// `Ok` if the principal may do what `access` names, [`CrmError::Forbidden`] otherwise.
    pub fn require(&self, access: Access) -> Result<(), CrmError> {
        if self.may(access) {
            Ok(())
        } else {
            Err(CrmError::Forbidden)
        }
    }

    /// Every role in which this person may act on a case: first level for an operator, one
    /// second-level role per group, rejections, supervisor. Administration is not a case
    /// role, so an administrator alone acts in none.
    pub fn case_roles(&self) -> Vec<Role> {
        case_roles(&self.roles)
    }

    /// Every actor this person may act as on a case (see [`Principal::case_roles`]).
    pub fn actors(&self) -> Vec<Actor> {
        self.case_roles()
            .into_iter()
            .map(|role| Actor::new(self.login.as_str(), role))
            .collect()
    }

    /// Of this person's actors, the one who works `command` on `case`: the role of the
    /// case's desk, or the supervisor where the command needs a supervisor's privilege (see
    /// `service_request::Case::acting`). Never taken from a request body. `None` for a
    /// person without a case role.
    pub fn actor_for(&self, case: &service_request::Case, command: CommandKind) -> Option<Actor> {
        case.acting(command, &self.actors()).cloned()
    }

    /// This person acting as `role`, if they hold it: what a case command is applied with.
    /// `Role::System` is never a person's.
    pub fn actor_as(&self, role: &Role) -> Option<Actor> {
        self.case_roles()
            .contains(role)
            .then(|| Actor::new(self.login.as_str(), role.clone()))
    }
}

/// The case roles ([`service_request::Role`]) that staff roles give, in a fixed order.
pub fn case_roles(roles: &Roles) -> Vec<Role> {
    let mut out = Vec::new();
    for role in roles.roles() {
        match role {
            StaffRole::Operator => out.push(Role::FirstLevel),
            StaffRole::SecondLevel => {
                out.extend(roles.groups().map(|g| Role::SecondLevel(g.into())));
            }
            StaffRole::Rejections => out.push(Role::Rejections),
            StaffRole::Supervisor => out.push(Role::Supervisor),
            // Managing users is not working cases.
            StaffRole::Administrator => {}
            // A role added later gives no case role until it is mapped here.
            _ => {}
        }
    }
    out
}

type Resolved<'a> = Pin<Box<dyn Future<Output = Result<Option<Principal>, CrmError>> + Send + 'a>>;

/// Turns a bearer token into the principal of its live session.
pub trait ResolveSession: Send + Sync + 'static {
    /// `None` for a token that names no live session of an enabled user.
    fn resolve<'a>(&'a self, token: &'a str) -> Resolved<'a>;
}

/// The handle the extractors use to find sessions; take it from the router's state with
/// `FromRef`.
#[derive(Clone)]
pub struct Sessions(Arc<dyn ResolveSession>);

impl Sessions {
    pub fn new(resolver: Arc<dyn ResolveSession>) -> Self {
        Self(resolver)
    }
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sessions")
    }
}

/// The token of `Authorization: Bearer <token>` (RFC 6750, 2.1; the scheme is
/// case-insensitive, RFC 9110, 11.1).
fn bearer_token(parts: &Parts) -> Result<&str, Unauthenticated> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or(Unauthenticated::Missing)?;
    let value = header.to_str().map_err(|_| Unauthenticated::InvalidToken)?;
    let (scheme, token) = value.split_once(' ').ok_or(Unauthenticated::InvalidToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Unauthenticated::InvalidToken);
    }
    Ok(token.trim())
}

impl<St> FromRequestParts<St> for Principal
where
    St: Send + Sync,
    Sessions: FromRef<St>,
{
    type Rejection = CrmError;

    /// The bearer token if the request has `Authorization`, else the session cookie. A
    /// cookie-authenticated change must pass the CSRF check ([`super::cookie`]); the check
    /// comes after the session is found, so that a stale cookie gets 401 (log in again),
    /// and before the handler looks at anything.
    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, CrmError> {
        // A second extractor in the same request asks no second time.
        if let Some(principal) = parts.extensions.get::<Principal>() {
            return Ok(principal.clone());
        }
        let (token, source) = match bearer_token(parts) {
            Ok(token) => (token.to_owned(), TokenSource::Bearer),
            Err(Unauthenticated::Missing) => {
                let token =
                    cookie::session_cookie(&parts.headers).ok_or(Unauthenticated::Missing)?;
                (token.to_owned(), TokenSource::Cookie)
            }
            Err(refused) => return Err(refused.into()),
        };
        let Sessions(resolver) = Sessions::from_ref(state);
        let principal = resolver
            .resolve(&token)
            .await?
            .ok_or(Unauthenticated::InvalidToken)?;
        if source == TokenSource::Cookie && cookie::changes_something(&parts.method) {
            cookie::check_csrf(&parts.headers, &token).inspect_err(|refusal| {
                tracing::info!(login = %principal.login, %refusal, "cookie-authenticated change refused");
            })?;
        }
        parts.extensions.insert(principal.clone());
        parts.extensions.insert(SessionToken { token, source });
        Ok(principal)
    }
}

impl<St> FromRequestParts<St> for SessionToken
where
    St: Send + Sync,
    Sessions: FromRef<St>,
{
    type Rejection = CrmError;

    /// The token the request was authenticated with (authenticating it first if no other
    /// extractor did).
    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, CrmError> {
        Principal::from_request_parts(parts, state).await?;
        parts
            .extensions
            .get::<SessionToken>()
            .cloned()
            .ok_or(CrmError::Unauthenticated(Unauthenticated::InvalidToken))
    }
}

/// A principal with a staff role ([`Access::Staff`]): 401 without a session, 403 without the
/// role.
#[derive(Debug, Clone)]
pub struct Staff(pub Principal);

/// A principal with the administrator role ([`Access::Administrator`]).
#[derive(Debug, Clone)]
pub struct Administrator(pub Principal);

/// A principal with a case role ([`Access::CaseWork`]): works cases, reads customers.
#[derive(Debug, Clone)]
pub struct CaseWorker(pub Principal);

/// An operator or a supervisor ([`Access::EditCustomers`]).
#[derive(Debug, Clone)]
pub struct CustomerEditor(pub Principal);

macro_rules! requiring {
    ($extractor:ident, $access:expr) => {
        impl<St> FromRequestParts<St> for $extractor
        where
            St: Send + Sync,
            Sessions: FromRef<St>,
        {
            type Rejection = CrmError;

            async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, CrmError> {
                let principal = Principal::from_request_parts(parts, state).await?;
                principal.require($access)?;
                Ok(Self(principal))
            }
        }
    };
}

requiring!(Staff, Access::Staff);
requiring!(Administrator, Access::Administrator);
requiring!(CaseWorker, Access::CaseWork);
requiring!(CustomerEditor, Access::EditCustomers);

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(roles: Roles) -> Principal {
        Principal::without_session("mario", "Mario Bianchi".to_string().into(), roles)
    }

    #[test]
    fn staff_roles_become_case_actors() {
        let mario = principal(
            Roles::new(
                [
                    StaffRole::Administrator,
                    StaffRole::SecondLevel,
                    StaffRole::Operator,
                ],
                ["it-desk".to_string(), "hr-payroll".to_string()],
            )
            .unwrap(),
        );
        assert_eq!(
            mario.actors(),
            [
                Actor::first_level("mario"),
                Actor::second_level("mario", "hr-payroll"),
                Actor::second_level("mario", "it-desk"),
            ]
        );
        assert_eq!(
            mario.actor_as(&Role::SecondLevel("it-desk".into())),
            Some(Actor::second_level("mario", "it-desk"))
        );
        assert_eq!(mario.actor_as(&Role::SecondLevel("other".into())), None);
        assert_eq!(mario.actor_as(&Role::Supervisor), None);
        assert_eq!(mario.actor_as(&Role::System), None);

        let boss =
            principal(Roles::new([StaffRole::Supervisor, StaffRole::Rejections], []).unwrap());
        assert_eq!(
            boss.actors(),
            [Actor::rejections("mario"), Actor::supervisor("mario")]
        );
        let admin = principal(Roles::only(StaffRole::Administrator).unwrap());
        assert!(admin.actors().is_empty(), "administration is not case work");
    }

    #[test]
    fn every_role_is_staff_and_only_administrators_administer() {
        for role in [
            StaffRole::Operator,
            StaffRole::Rejections,
            StaffRole::Supervisor,
            StaffRole::Administrator,
        ] {
            let p = principal(Roles::only(role).unwrap());
            assert!(p.may(Access::Staff), "{role}");
            assert_eq!(
                p.may(Access::Administrator),
                role == StaffRole::Administrator
            );
        }
        let second = principal(Roles::new([StaffRole::SecondLevel], ["g".to_string()]).unwrap());
        assert!(second.may(Access::Staff));
        assert!(second.may(Access::CaseWork));
        assert!(!second.may(Access::EditCustomers));
        assert!(matches!(
            second.require(Access::Administrator),
            Err(CrmError::Forbidden)
        ));
    }

    #[test]
    fn customers_are_for_case_workers_and_edited_at_first_level() {
        let may =
            |role: StaffRole, access: Access| principal(Roles::only(role).unwrap()).may(access);
        for role in [
            StaffRole::Operator,
            StaffRole::Rejections,
            StaffRole::Supervisor,
        ] {
            assert!(may(role, Access::CaseWork), "{role}");
        }
        assert!(!may(StaffRole::Administrator, Access::CaseWork));
        assert!(may(StaffRole::Operator, Access::EditCustomers));
        assert!(may(StaffRole::Supervisor, Access::EditCustomers));
        assert!(!may(StaffRole::Rejections, Access::EditCustomers));
        assert!(!may(StaffRole::Administrator, Access::EditCustomers));
    }

    #[test]
    fn debug_hides_the_name() {
        let text = format!("{:?}", principal(Roles::only(StaffRole::Operator).unwrap()));
        assert!(text.contains("mario"));
        assert!(!text.contains("Bianchi"));
    }
}
