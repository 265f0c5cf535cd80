//! The staff who log in to the CRM's HTTP API: users, their roles, and their sessions.
//!
//! The store keeps what it is given: a password arrives here already hashed (a PHC string,
//! made by the `crm` crate with argon2), a session token only as its SHA-256. Hashing,
//! verifying, lockouts and the meaning of each role for the API live in `crm::auth`.
//!
//! Users come from two places: the configuration file (`managed_by = config`, re-applied at
//! every start by [`UserStore::sync_configured_users`], and refused by the API's changes) and
//! the administration API (`managed_by = api`, kept). Users are never deleted: an account
//! that must stop working is disabled, which also ends its sessions, so that a case's history
//! keeps pointing at a real login.

use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;

use common::Pii;

use crate::{AnyStore, StoreError};

/// Limits on users, checked before anything is stored.
pub mod user_limits {
    /// Logins: 1 to 64 bytes of `a-z`, `0-9`, `.`, `_`, `-`.
    pub const LOGIN_LEN: usize = 64;
    /// Display names, in bytes.
    pub const NAME_LEN: usize = 200;
    /// A PHC string, in bytes (an argon2id hash with default parameters is about 100).
    pub const PASSWORD_HASH_LEN: usize = 512;
    /// Second-level groups one person belongs to.
    pub const GROUPS: usize = 32;
    /// A group code, in bytes (the catalogue's own limit).
    pub const GROUP_LEN: usize = 64;
    /// Sessions one user may hold at once; logging in again ends the oldest beyond this.
    pub const SESSIONS_PER_USER: i64 = 16;
}

/// The login the platform itself acts under in a case's history: nobody may take it.
pub const RESERVED_LOGINS: [&str; 1] = ["system"];

/// Whether `login` is a well-formed login: 1 to 64 bytes of `a-z`, `0-9`, `.`, `_`, `-`, and
/// not reserved.
pub fn is_valid_login(login: &str) -> bool {
    !login.is_empty()
        && login.len() <= user_limits::LOGIN_LEN
        && login.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_' || b == b'-'
        })
        && !RESERVED_LOGINS.contains(&login)
}

/// Whether `code` is a well-formed group code: the catalogue's rule
/// (`service_request::is_valid_code`), 1 to 64 of `a-z`, `0-9`, `-`, `_`, starting with a
/// letter or a digit. Repeated here because the store sits below the catalogue's crate.
pub fn is_valid_group_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= user_limits::GROUP_LEN
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'_')
}

/// What a member of staff may be. A person may hold several roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum StaffRole {
    /// First-level operator [operatore di I livello]: reads and works the desk's cases.
    Operator,
    /// Member of one or more second-level groups [II livello]: the groups are in [`Roles`].
    SecondLevel,
    /// Member of the rejections group [Gestione Rigetti].
    Rejections,
    /// Supervisor [supervisore].
    Supervisor,
    /// Manages the users of the CRM.
    Administrator,
}

impl StaffRole {
    pub const ALL: [StaffRole; 5] = [
        StaffRole::Operator,
        StaffRole::SecondLevel,
        StaffRole::Rejections,
        StaffRole::Supervisor,
        StaffRole::Administrator,
    ];

    /// The name stored in the database, written in the configuration and shown by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Operator => "operator",
            StaffRole::SecondLevel => "second_level",
            StaffRole::Rejections => "rejections",
            StaffRole::Supervisor => "supervisor",
            StaffRole::Administrator => "administrator",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

impl fmt::Display for StaffRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The roles of one person, valid by construction: at least one role, and second-level
/// groups exactly when the person is a second-level member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles {
    roles: BTreeSet<StaffRole>,
    groups: BTreeSet<String>,
}

impl Roles {
    pub fn new(
        roles: impl IntoIterator<Item = StaffRole>,
        groups: impl IntoIterator<Item = String>,
    ) -> Result<Self, StoreError> {
        use StoreError::InvalidInput;
        let roles: BTreeSet<StaffRole> = roles.into_iter().collect();
        let mut set = BTreeSet::new();
        for group in groups {
            if !is_valid_group_code(&group) {
                return Err(InvalidInput(
                    "a group code is 1 to 64 of a-z, 0-9, '-', '_', starting with a letter or digit",
                ));
            }
            set.insert(group);
            if set.len() > user_limits::GROUPS {
                return Err(InvalidInput("a user belongs to at most 32 groups"));
            }
        }
        if roles.is_empty() {
            return Err(InvalidInput("a user needs at least one role"));
        }
        match (roles.contains(&StaffRole::SecondLevel), set.is_empty()) {
            (true, true) => Err(InvalidInput(
                "the second_level role needs the groups the user belongs to",
            )),
            (false, false) => Err(InvalidInput(
                "groups are for the second_level role, which the user does not have",
            )),
            _ => Ok(Self { roles, groups: set }),
        }
    }

    /// One role and no group (any role but second level).
    pub fn only(role: StaffRole) -> Result<Self, StoreError> {
        Self::new([role], [])
    }

    pub fn has(&self, role: StaffRole) -> bool {
        self.roles.contains(&role)
    }

    /// In a fixed order (that of [`StaffRole::ALL`]).
    pub fn roles(&self) -> impl Iterator<Item = StaffRole> + '_ {
        self.roles.iter().copied()
    }

    /// The second-level groups, sorted; empty unless the user is a second-level member.
    pub fn groups(&self) -> impl Iterator<Item = &str> + '_ {
        self.groups.iter().map(String::as_str)
    }

    /// `(role, group_code)` rows as stored: one per group for second level, `""` otherwise.
    pub(crate) fn rows(&self) -> Vec<(&'static str, &str)> {
        let mut rows = Vec::new();
        for role in self.roles() {
            if role == StaffRole::SecondLevel {
                rows.extend(self.groups().map(|g| (role.as_str(), g)));
            } else {
                rows.push((role.as_str(), ""));
            }
        }
        rows
    }
}

/// A password hash as stored: a PHC string (`$argon2id$v=19$m=...`). Not the password, but
/// still nobody's business: `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Checks the shape only (a `$`-separated PHC string within the length limit); whether it
    /// is a hash the CRM can verify is `crm::auth`'s to check.
    pub fn new(phc: impl Into<String>) -> Result<Self, StoreError> {
        let phc = phc.into();
        if !phc.starts_with('$')
            || phc.len() > user_limits::PASSWORD_HASH_LEN
            || !phc.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(StoreError::InvalidInput(
                "password_hash must be a PHC string ($argon2id$...) of at most 512 bytes",
            ));
        }
        Ok(Self(phc))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// Who decides about a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ManagedBy {
    /// The configuration file: re-applied at every start; the API may not change it.
    Config,
    /// The administration API.
    Api,
}

impl ManagedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            ManagedBy::Config => "config",
            ManagedBy::Api => "api",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "config" => Some(ManagedBy::Config),
            "api" => Some(ManagedBy::Api),
            _ => None,
        }
    }
}

/// A member of staff as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub login: String,
    /// Display name: personal data, redacted by `Debug`.
    pub name: Pii<String>,
    pub password_hash: PasswordHash,
    pub roles: Roles,
    pub enabled: bool,
    pub managed_by: ManagedBy,
    pub created_at_unix_ms: i64,
    pub updated_at_unix_ms: i64,
}

/// A user to create (over the API) or to apply (from the configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub login: String,
    pub name: Pii<String>,
    pub password_hash: PasswordHash,
    pub roles: Roles,
    pub enabled: bool,
}

impl NewUser {
    pub(crate) fn validate(&self) -> Result<(), StoreError> {
        check_login(&self.login)?;
        check_name(self.name.expose())
    }
}

/// A change to a user made over the API; `None` keeps the value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserChange {
    pub name: Option<Pii<String>>,
    pub roles: Option<Roles>,
    pub enabled: Option<bool>,
}

pub fn check_login(login: &str) -> Result<(), StoreError> {
    if is_valid_login(login) {
        Ok(())
    } else {
        Err(StoreError::InvalidInput(
            "a login is 1 to 64 of a-z, 0-9, '.', '_', '-' (and not \"system\")",
        ))
    }
}

pub fn check_name(name: &str) -> Result<(), StoreError> {
    if name.trim().is_empty() || name.len() > user_limits::NAME_LEN {
        return Err(StoreError::InvalidInput(
            "a user's name is 1 to 200 bytes of text",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(StoreError::InvalidInput(
            "a user's name may not hold control characters",
        ));
    }
    Ok(())
}

/// One page of users, by login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserPage {
    pub limit: u32,
    pub offset: u32,
}

impl UserPage {
    pub const DEFAULT_LIMIT: u32 = 100;
    pub const MAX_LIMIT: u32 = 500;
}

impl Default for UserPage {
    fn default() -> Self {
        Self {
            limit: Self::DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// What applying the configuration's users did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfiguredUsersSynced {
    /// Logins created.
    pub created: Vec<String>,
    /// Logins that existed and were changed to match the configuration.
    pub updated: Vec<String>,
    /// Logins that came from the configuration and are no longer in it: now disabled, and
    /// managed over the API from here on.
    pub released: Vec<String>,
}

/// The SHA-256 of a session token, in lowercase hex: how the store knows a session without
/// knowing its token.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    /// From 64 lowercase hex digits.
    pub fn from_hex(hex: &str) -> Result<Self, StoreError> {
        if hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(hex.to_owned()))
        } else {
            Err(StoreError::InvalidInput(
                "a token hash is 64 lowercase hex digits",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(<redacted>)")
    }
}

/// A session to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub token_hash: TokenHash,
    pub login: String,
    /// How long it lasts from now (the store's clock), in milliseconds.
    pub lifetime_ms: i64,
}

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub login: String,
    pub created_at_unix_ms: i64,
    pub expires_at_unix_ms: i64,
    pub last_used_at_unix_ms: i64,
}

/// A live session and its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub session: Session,
    pub user: User,
}

/// Where users and their sessions live.
pub trait UserStore: Send + Sync + 'static {
    fn get_user(
        &self,
        login: &str,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// One page of users, by login.
    fn list_users(
        &self,
        page: UserPage,
    ) -> impl Future<Output = Result<Vec<User>, StoreError>> + Send;

    /// Creates a user managed over the API; [`StoreError::Conflict`] if the login is taken.
    fn create_user(&self, user: NewUser) -> impl Future<Output = Result<User, StoreError>> + Send;

    /// Changes a user managed over the API: `None` if there is no such user,
    /// [`StoreError::Conflict`] if the configuration manages it. Disabling ends its sessions.
    fn update_user(
        &self,
        login: &str,
        change: UserChange,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// Sets the password of a user managed over the API and ends its sessions; `None` and
    /// [`StoreError::Conflict`] as for [`UserStore::update_user`].
    fn set_password(
        &self,
        login: &str,
        hash: PasswordHash,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// Makes the stored users match the configuration's, in one transaction: creates the
    /// missing, updates the others (the configuration wins, and a user the API had made
    /// becomes the configuration's), and disables the users the configuration managed and no
    /// longer lists (handing them to the API). A changed password or a disabled user ends the
    /// user's sessions.
    fn sync_configured_users(
        &self,
        users: Vec<NewUser>,
    ) -> impl Future<Output = Result<ConfiguredUsersSynced, StoreError>> + Send;

    /// Opens a session for an existing user, forgets expired sessions, and ends this user's
    /// oldest sessions beyond [`user_limits::SESSIONS_PER_USER`].
    fn create_session(
        &self,
        session: NewSession,
    ) -> impl Future<Output = Result<Session, StoreError>> + Send;

    /// The session of a token hash with its user, if it has not expired and the user is
    /// enabled; records its use (at most once a minute).
    fn session(
        &self,
        token_hash: &TokenHash,
    ) -> impl Future<Output = Result<Option<SessionUser>, StoreError>> + Send;

    /// Ends a session; whether there was one.
    fn delete_session(
        &self,
        token_hash: &TokenHash,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Records an administrator's change to the engine ([`crate::audit`]), at the store's
    /// clock's time.
    fn record_admin_change(
        &self,
        change: crate::AdminChange,
    ) -> impl Future<Output = Result<crate::AdminChangeRecord, StoreError>> + Send;

    /// One page of the recorded changes, newest first (`limit` at most
    /// [`crate::audit::MAX_PAGE`]).
    fn admin_changes(
        &self,
        limit: u32,
        offset: u32,
    ) -> impl Future<Output = Result<Vec<crate::AdminChangeRecord>, StoreError>> + Send;
}

impl<S: UserStore> UserStore for std::sync::Arc<S> {
    fn get_user(
        &self,
        login: &str,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send {
        S::get_user(self, login)
    }

    fn list_users(
        &self,
        page: UserPage,
    ) -> impl Future<Output = Result<Vec<User>, StoreError>> + Send {
        S::list_users(self, page)
    }

    fn create_user(&self, user: NewUser) -> impl Future<Output = Result<User, StoreError>> + Send {
        S::create_user(self, user)
    }

    fn update_user(
        &self,
        login: &str,
        change: UserChange,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send {
        S::update_user(self, login, change)
    }

    fn set_password(
        &self,
        login: &str,
        hash: PasswordHash,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send {
        S::set_password(self, login, hash)
    }

    fn sync_configured_users(
        &self,
        users: Vec<NewUser>,
    ) -> impl Future<Output = Result<ConfiguredUsersSynced, StoreError>> + Send {
        S::sync_configured_users(self, users)
    }

    fn create_session(
        &self,
        session: NewSession,
    ) -> impl Future<Output = Result<Session, StoreError>> + Send {
        S::create_session(self, session)
    }

    fn session(
        &self,
        token_hash: &TokenHash,
    ) -> impl Future<Output = Result<Option<SessionUser>, StoreError>> + Send {
        S::session(self, token_hash)
    }

    fn delete_session(
        &self,
        token_hash: &TokenHash,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        S::delete_session(self, token_hash)
    }

    fn record_admin_change(
        &self,
        change: crate::AdminChange,
    ) -> impl Future<Output = Result<crate::AdminChangeRecord, StoreError>> + Send {
        S::record_admin_change(self, change)
    }

    fn admin_changes(
        &self,
        limit: u32,
        offset: u32,
    ) -> impl Future<Output = Result<Vec<crate::AdminChangeRecord>, StoreError>> + Send {
        S::admin_changes(self, limit, offset)
    }
}

macro_rules! either {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($store) => $call.await,
            AnyStore::Postgres($store) => $call.await,
        }
    };
}

impl UserStore for AnyStore {
    async fn get_user(&self, login: &str) -> Result<Option<User>, StoreError> {
        either!(self, store => store.get_user(login))
    }

    async fn list_users(&self, page: UserPage) -> Result<Vec<User>, StoreError> {
        either!(self, store => store.list_users(page))
    }

    async fn create_user(&self, user: NewUser) -> Result<User, StoreError> {
        either!(self, store => store.create_user(user))
    }

    async fn update_user(
        &self,
        login: &str,
        change: UserChange,
    ) -> Result<Option<User>, StoreError> {
        either!(self, store => store.update_user(login, change))
    }

    async fn set_password(
        &self,
        login: &str,
        hash: PasswordHash,
    ) -> Result<Option<User>, StoreError> {
        either!(self, store => store.set_password(login, hash))
    }

    async fn sync_configured_users(
        &self,
        users: Vec<NewUser>,
    ) -> Result<ConfiguredUsersSynced, StoreError> {
        either!(self, store => store.sync_configured_users(users))
    }

    async fn create_session(&self, session: NewSession) -> Result<Session, StoreError> {
        either!(self, store => store.create_session(session))
    }

    async fn session(&self, token_hash: &TokenHash) -> Result<Option<SessionUser>, StoreError> {
        either!(self, store => store.session(token_hash))
    }

    async fn delete_session(&self, token_hash: &TokenHash) -> Result<bool, StoreError> {
        either!(self, store => store.delete_session(token_hash))
    }

    async fn record_admin_change(
        &self,
        change: crate::AdminChange,
    ) -> Result<crate::AdminChangeRecord, StoreError> {
        either!(self, store => store.record_admin_change(change))
    }

    async fn admin_changes(
        &self,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<crate::AdminChangeRecord>, StoreError> {
        either!(self, store => store.admin_changes(limit, offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_short_lowercase_words() {
        for good in ["1001", "anna.rossi", "op_7", "back-office", "a"] {
            assert!(is_valid_login(good), "{good}");
        }
        let long = "x".repeat(65);
        for bad in [
            "",
            "Anna",
            "anna rossi",
            "anna@pa.it",
            "città",
            "system",
            &long,
        ] {
            assert!(!is_valid_login(bad), "{bad}");
        }
        assert!(is_valid_login(&"x".repeat(64)));
    }

    #[test]
    fn roles_need_groups_exactly_for_second_level() {
        let second = Roles::new([StaffRole::SecondLevel], ["hr-payroll".to_string()]).unwrap();
        assert_eq!(second.rows(), [("second_level", "hr-payroll")]);
        assert!(Roles::new([StaffRole::SecondLevel], []).is_err());
        assert!(Roles::new([StaffRole::Operator], ["hr-payroll".to_string()]).is_err());
        assert!(Roles::new([], []).is_err());
        assert!(Roles::new([StaffRole::SecondLevel], ["Bad Group".to_string()]).is_err());
        let many = (0..33).map(|n| format!("g{n}"));
        assert!(Roles::new([StaffRole::SecondLevel], many).is_err());
        let both = Roles::new(
            [
                StaffRole::Supervisor,
                StaffRole::Operator,
                StaffRole::Operator,
            ],
            [],
        )
        .unwrap();
        assert_eq!(
            both.roles().collect::<Vec<_>>(),
            [StaffRole::Operator, StaffRole::Supervisor]
        );
    }

    #[test]
    fn role_names_round_trip() {
        for role in StaffRole::ALL {
            assert_eq!(StaffRole::from_name(role.as_str()), Some(role));
        }
        assert_eq!(StaffRole::from_name("root"), None);
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA").unwrap();
        assert!(!format!("{hash:?}").contains("argon2"));
        let token = TokenHash::from_hex(&"ab".repeat(32)).unwrap();
        assert!(!format!("{token:?}").contains("abab"));
        assert!(TokenHash::from_hex("AB").is_err());
        assert!(PasswordHash::new("plain text").is_err());
    }

    #[test]
    fn names_are_short_printable_text() {
        assert!(check_name("Anna Rossi").is_ok());
        assert!(check_name("  ").is_err());
        assert!(check_name("a\nb").is_err());
        assert!(check_name(&"x".repeat(201)).is_err());
    }
}
