//! Who may talk to the CRM.
//!
//! * The engine, on the CTI link: its service credential ([`ServiceCredential`]).
//! * Staff, on the HTTP API: a login and password give a session token
//!   ([`Authenticator::login`]), sent as `Authorization: Bearer <token>`; the extractors
//!   [`Principal`], [`Staff`] and [`Administrator`] turn it into the logged-in user and
//!   check their roles before a handler looks at anything else. Browsers carry the same
//!   token in the `centralino_session` cookie, and their changes a CSRF token ([`cookie`]). [`Principal::actors`] and
//!   [`Principal::actor_as`] say who the user is on a case (`service_request::Actor`).
//!
//! Passwords are argon2id hashes ([`password`]); failed logins lock the login and the source
//! address for a while ([`LockoutPolicy`]); users can come from the configuration file
//! ([`apply_configured_users`]).

mod configured;
pub mod cookie;
mod credential;
mod lockout;
pub mod password;
mod principal;
mod sessions;

pub use configured::{ConfiguredPassword, ConfiguredUser, apply_configured_users};
pub use cookie::{COOKIE_NAME, CSRF_HEADER, CsrfRefusal, SessionToken, TokenSource, csrf_token};
pub use credential::{CredentialError, MIN_TOKEN_LEN, ServiceCredential};
pub use lockout::LockoutPolicy;
pub use password::{
    HashCost, Password, PasswordError, check_password_hash, hash_password, parse_password_hash,
};
pub use principal::{
    Access, Administrator, CaseWorker, CustomerEditor, Principal, ResolveSession, Sessions, Staff,
    case_roles,
};
pub(crate) use sessions::hex;
pub use sessions::{AuthSettings, Authenticator, LoggedIn, VERIFICATION_QUEUE_WAIT};
