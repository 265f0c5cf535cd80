//! Logging in and out: passwords checked off the async runtime, lockouts, session tokens.
//!
//! A token is 32 random bytes from the operating system's generator (through `rand`'s
//! thread-local CSPRNG), shown once as 64 hex digits; the store keeps only its SHA-256. The
//! randomness is not injected like elsewhere in centralino on purpose: a token must never be
//! predictable, not even in a test build.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Clock;
use crm_store::{NewSession, PasswordHash, Session, TokenHash, User, UserStore};
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use super::lockout::{Lockout, LockoutPolicy, Outcome};
use super::password::{self, HashCost, Password, PasswordError};
use super::principal::{Principal, ResolveSession, Sessions};
use crate::{CrmError, Unauthenticated};

/// How logins and sessions behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    /// How long a session lasts from its login (default 8 h: a shift).
    pub session_lifetime: Duration,
    pub lockout: LockoutPolicy,
    /// Password checks that may run at once (each takes a core and, by default, 19 MiB);
    /// more wait, up to [`VERIFICATION_QUEUE_WAIT`], then get 503.
    pub max_concurrent_verifications: usize,
    /// The cost of new hashes (passwords set over the API, clear-text demo passwords).
    pub hash_cost: HashCost,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            session_lifetime: Duration::from_secs(8 * 3600),
            lockout: LockoutPolicy::default(),
            max_concurrent_verifications: std::thread::available_parallelism()
                .map_or(2, std::num::NonZero::get),
            hash_cost: HashCost::default(),
        }
    }
}

/// How long a login waits for a free password check before the CRM answers 503.
pub const VERIFICATION_QUEUE_WAIT: Duration = Duration::from_secs(10);

/// Longest login accepted at the door, in bytes (longer ones cannot exist).
const MAX_LOGIN_LEN: usize = crm_store::users::user_limits::LOGIN_LEN;

/// A fresh session token: 64 hex digits (256 bits).
fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// What the store keeps of a token.
pub(crate) fn token_hash(token: &str) -> TokenHash {
    TokenHash::from_hex(&hex(&Sha256::digest(token.as_bytes())))
        .expect("a SHA-256 printed as hex is 64 lowercase hex digits")
}

/// Tokens this CRM hands out: anything else is refused without a look-up.
fn looks_like_a_token(token: &str) -> bool {
    token.len() == 64
        && token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A successful login.
#[derive(Debug)]
pub struct LoggedIn {
    /// Shown to the client once; never stored or logged.
    pub token: String,
    pub session: Session,
    pub user: User,
}

/// Checks passwords, keeps the lockouts, opens and resolves sessions.
pub struct Authenticator<S> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    settings: AuthSettings,
    lockout: Mutex<Lockout>,
    verifications: Arc<Semaphore>,
    /// What an unknown login's password is checked against, so that it takes as long as a
    /// known one's. Made from a random password nobody knows.
    dummy_hash: PasswordHash,
}

impl<S> std::fmt::Debug for Authenticator<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<S: UserStore> Authenticator<S> {
    pub async fn new(
        store: Arc<S>,
        settings: AuthSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, PasswordError> {
        let dummy = Password::new(new_token());
        let dummy_hash = hash_blocking(dummy, settings.hash_cost).await?;
        Ok(Self {
            store,
            clock,
            lockout: Mutex::new(Lockout::new(settings.lockout)),
            verifications: Arc::new(Semaphore::new(settings.max_concurrent_verifications.max(1))),
            settings,
            dummy_hash,
        })
    }

    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    pub fn store(&self) -> &Arc<S> {
        &self.store
    }

    /// The handle the extractors resolve tokens with.
    pub fn sessions(self: &Arc<Self>) -> Sessions {
        Sessions::new(self.clone())
    }

    /// Checks a login and password from `source`; opens a session if they match an enabled
    /// user. Unknown logins, wrong passwords and disabled users get the same answer after the
    /// same work; every failure counts towards the lockouts.
    pub async fn login(
        &self,
        login: &str,
        password: &Password,
        source: IpAddr,
    ) -> Result<LoggedIn, CrmError> {
        if login.is_empty() || login.len() > MAX_LOGIN_LEN {
            return Err(CrmError::InvalidArgument("login is 1 to 64 bytes"));
        }
        if password.expose().is_empty() || password.expose().len() > password::MAX_PASSWORD_LEN {
            return Err(CrmError::InvalidArgument("password is 1 to 1024 bytes"));
        }
        // Logins are lowercase: "Anna.Rossi" is anna.rossi.
        let login = login.to_ascii_lowercase();
        let attempt = Attempt::begin(self, &login, source)?;
        let user = self.store.get_user(&login).await?;
        let hash = user
            .as_ref()
            .map_or_else(|| self.dummy_hash.clone(), |u| u.password_hash.clone());
        let matches = self.verify(password, hash).await?;
        let user = match user {
            Some(user) if matches && user.enabled => user,
            other => {
                let reason = match &other {
                    None => "unknown login",
                    Some(u) if !u.enabled => "account disabled",
                    Some(_) => "wrong password",
                };
                let locks = attempt.finish(Outcome::Failed);
                // The login is written only when it is an account's: a made-up one may be a
                // password typed in the wrong field.
                let account = other.as_ref().map_or("-", |u| u.login.as_str());
                tracing::info!(
                    login = account,
                    %source,
                    reason,
                    login_locked = locks.login,
                    address_locked = locks.address,
                    "login refused"
                );
                return Err(Unauthenticated::BadCredentials.into());
            }
        };
        attempt.finish(Outcome::Succeeded);
        let token = new_token();
        let session = self
            .store
            .create_session(NewSession {
                token_hash: token_hash(&token),
                login: user.login.clone(),
                lifetime_ms: i64::try_from(self.settings.session_lifetime.as_millis())
                    .unwrap_or(i64::MAX),
            })
            .await?;
        tracing::info!(login = %user.login, %source, "logged in");
        Ok(LoggedIn {
            token,
            session,
            user,
        })
    }

    /// Ends the principal's session.
    pub async fn logout(&self, principal: &Principal) -> Result<(), CrmError> {
        self.store.delete_session(&principal.token_hash).await?;
        tracing::info!(login = %principal.login, "logged out");
        Ok(())
    }

    /// The principal of a bearer token, if it names a live session of an enabled user.
    pub async fn principal(&self, token: &str) -> Result<Option<Principal>, CrmError> {
        if !looks_like_a_token(token) {
            return Ok(None);
        }
        let token_hash = token_hash(token);
        let Some(found) = self.store.session(&token_hash).await? else {
            return Ok(None);
        };
        Ok(Some(Principal {
            login: found.user.login,
            name: found.user.name,
            roles: found.user.roles,
            session_expires_at_unix_ms: found.session.expires_at_unix_ms,
            token_hash,
        }))
    }

    /// Hashes a new password, off the runtime and within the bound on concurrent hashing.
    pub async fn hash_new_password(&self, password: Password) -> Result<PasswordHash, CrmError> {
        password.check_new().map_err(CrmError::Password)?;
        let _permit = self.permit().await?;
        hash_blocking(password, self.settings.hash_cost)
            .await
            .map_err(CrmError::Password)
    }

    async fn permit(&self) -> Result<tokio::sync::OwnedSemaphorePermit, CrmError> {
        tokio::time::timeout(
            VERIFICATION_QUEUE_WAIT,
            self.verifications.clone().acquire_owned(),
        )
        .await
        .map_err(|_| CrmError::Busy)?
        .map_err(|_| CrmError::Busy)
    }

    async fn verify(&self, password: &Password, hash: PasswordHash) -> Result<bool, CrmError> {
        let permit = self.permit().await?;
        let password = password.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            password::verify_password(&password, &hash)
        })
        .await
        .map_err(|_| CrmError::Password(PasswordError::Hashing))
    }
}

impl<S: UserStore> ResolveSession for Authenticator<S> {
    fn resolve<'a>(
        &'a self,
        token: &'a str,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Option<Principal>, CrmError>> + Send + 'a>,
    > {
        Box::pin(self.principal(token))
    }
}

/// Hashes on the blocking pool.
pub(crate) async fn hash_blocking(
    password: Password,
    cost: HashCost,
) -> Result<PasswordHash, PasswordError> {
    tokio::task::spawn_blocking(move || password::hash_password(&password, cost))
        .await
        .map_err(|_| PasswordError::Hashing)?
}

/// Verifies on the blocking pool.
pub(crate) async fn verify_blocking(password: Password, hash: PasswordHash) -> bool {
    tokio::task::spawn_blocking(move || password::verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

/// One login attempt in the lockout table: finished explicitly, or abandoned when dropped
/// (the store failed, the client went away), so that it never stays counted as in flight.
struct Attempt<'a> {
    lockout: &'a Mutex<Lockout>,
    clock: &'a dyn Clock,
    login: &'a str,
    source: IpAddr,
    finished: bool,
}

impl<'a> Attempt<'a> {
    fn begin<S>(
        auth: &'a Authenticator<S>,
        login: &'a str,
        source: IpAddr,
    ) -> Result<Self, CrmError> {
        let now = auth.clock.now_unix_ms();
        let begun = lock(&auth.lockout).begin(login, source, now);
        if let Err(locked) = begun {
            tracing::info!(%source, "login refused: locked out after repeated failures");
            let secs = u64::try_from(locked.retry_after_ms.max(0)).unwrap_or(0);
            return Err(CrmError::LockedOut {
                retry_after_secs: secs.div_ceil(1000).max(1),
            });
        }
        Ok(Self {
            lockout: &auth.lockout,
            clock: auth.clock.as_ref(),
            login,
            source,
            finished: false,
        })
    }

    fn finish(mut self, outcome: Outcome) -> super::lockout::NewLocks {
        self.finished = true;
        let now = self.clock.now_unix_ms();
        lock(self.lockout).finish(self.login, self.source, now, outcome)
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.finished {
            let now = self.clock.now_unix_ms();
            lock(self.lockout).finish(self.login, self.source, now, Outcome::Abandoned);
        }
    }
}

fn lock(lockout: &Mutex<Lockout>) -> std::sync::MutexGuard<'_, Lockout> {
    // The table is consistent after every call (no method panics half-way), so a poisoned
    // lock still holds a usable table.
    lockout
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_hex_and_stored_hashed() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(looks_like_a_token(&a), "{a}");
        assert_ne!(token_hash(&a).as_str(), a);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert!(!looks_like_a_token(&a.to_uppercase()));
        assert!(!looks_like_a_token("abc"));
    }

    #[test]
    fn sha256_is_sha256() {
        assert_eq!(
            token_hash("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
