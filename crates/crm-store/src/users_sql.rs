//! The SQL of [`crate::UserStore`], shared by both backends like `sql.rs` is for service
//! requests, and the one implementation of the trait that both instantiate.

use crate::StoreError;
use crate::users::{ManagedBy, PasswordHash, Roles, StaffRole, User};

macro_rules! user_select {
    () => {
        "SELECT u.login, u.name, u.password_hash, u.enabled, u.managed_by, \
         u.created_at_unix_ms, u.updated_at_unix_ms, r.role, r.group_code "
    };
}

pub(crate) const USER_BY_LOGIN: &str = concat!(
    user_select!(),
    "FROM users u LEFT JOIN user_roles r ON r.login = u.login \
     WHERE u.login = $1 ORDER BY r.role, r.group_code"
);

pub(crate) const USER_PAGE: &str = concat!(
    user_select!(),
    "FROM (SELECT * FROM users ORDER BY login LIMIT $1 OFFSET $2) u \
     LEFT JOIN user_roles r ON r.login = u.login \
     ORDER BY u.login, r.role, r.group_code"
);

/// Returns no row if the login is taken.
pub(crate) const INSERT_USER: &str = "INSERT INTO users (login, name, password_hash, enabled, \
     managed_by, created_at_unix_ms, updated_at_unix_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $6) \
     ON CONFLICT (login) DO NOTHING RETURNING login";

pub(crate) const INSERT_ROLE: &str =
    "INSERT INTO user_roles (login, role, group_code) VALUES ($1, $2, $3)";

pub(crate) const DELETE_ROLES: &str = "DELETE FROM user_roles WHERE login = $1";

/// Locks the user's row until the transaction ends (PostgreSQL; SQLite's write transaction
/// holds the whole database already) and says who manages it. Its change of
/// `updated_at_unix_ms` is rolled back if the change is refused.
pub(crate) const LOCK_USER: &str =
    "UPDATE users SET updated_at_unix_ms = $2 WHERE login = $1 RETURNING managed_by";

pub(crate) const UPDATE_USER: &str = "UPDATE users SET name = COALESCE($2, name), \
     enabled = COALESCE($3, enabled) WHERE login = $1";

pub(crate) const SET_PASSWORD: &str = "UPDATE users SET password_hash = $2 WHERE login = $1";

pub(crate) const APPLY_CONFIGURED: &str = "UPDATE users SET name = $2, password_hash = $3, \
     enabled = $4, managed_by = 'config', updated_at_unix_ms = $5 WHERE login = $1";

pub(crate) const CONFIG_MANAGED: &str = "SELECT login FROM users WHERE managed_by = 'config'";

pub(crate) const RELEASE_USER: &str = "UPDATE users SET enabled = $2, managed_by = 'api', \
     updated_at_unix_ms = $3 WHERE login = $1";

pub(crate) const USER_EXISTS: &str = "SELECT login FROM users WHERE login = $1";

pub(crate) const INSERT_SESSION: &str = "INSERT INTO sessions (token_hash, login, \
     created_at_unix_ms, expires_at_unix_ms, last_used_at_unix_ms) VALUES ($1, $2, $3, $4, $3)";

pub(crate) const DELETE_EXPIRED_SESSIONS: &str =
    "DELETE FROM sessions WHERE expires_at_unix_ms <= $1";

/// Keeps the newest `$2` sessions of user `$1`.
pub(crate) const TRIM_SESSIONS: &str = "DELETE FROM sessions WHERE login = $1 \
     AND token_hash NOT IN (SELECT token_hash FROM sessions WHERE login = $1 \
     ORDER BY created_at_unix_ms DESC, token_hash DESC LIMIT $2)";

pub(crate) const SESSION_BY_HASH: &str = "SELECT login, created_at_unix_ms, \
     expires_at_unix_ms, last_used_at_unix_ms FROM sessions \
     WHERE token_hash = $1 AND expires_at_unix_ms > $2";

/// Records a use if the last one is older than `$3`: one write a minute, not one a request.
pub(crate) const TOUCH_SESSION: &str = "UPDATE sessions SET last_used_at_unix_ms = $2 \
     WHERE token_hash = $1 AND last_used_at_unix_ms <= $3";

pub(crate) const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = $1";

pub(crate) const DELETE_SESSIONS_OF: &str = "DELETE FROM sessions WHERE login = $1";

/// How often a session's last use is written, at most.
pub(crate) const TOUCH_EVERY_MS: i64 = 60_000;

/// A user row joined with one of its roles, as both databases return it.
#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    login: String,
    name: String,
    password_hash: String,
    enabled: bool,
    managed_by: String,
    created_at_unix_ms: i64,
    updated_at_unix_ms: i64,
    role: Option<String>,
    group_code: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    pub(crate) login: String,
    pub(crate) created_at_unix_ms: i64,
    pub(crate) expires_at_unix_ms: i64,
    pub(crate) last_used_at_unix_ms: i64,
}

impl From<SessionRow> for crate::Session {
    fn from(row: SessionRow) -> Self {
        Self {
            login: row.login,
            created_at_unix_ms: row.created_at_unix_ms,
            expires_at_unix_ms: row.expires_at_unix_ms,
            last_used_at_unix_ms: row.last_used_at_unix_ms,
        }
    }
}

/// Folds rows ordered by login (one per role) into users.
pub(crate) fn users_from_rows(rows: Vec<UserRow>) -> Result<Vec<User>, StoreError> {
    let mut users = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while let Some(first) = rows.next() {
        let mut roles = Vec::new();
        let mut groups = Vec::new();
        let mut take = |role: Option<String>, group: Option<String>| -> Result<(), StoreError> {
            let Some(name) = role else { return Ok(()) };
            let role = StaffRole::from_name(&name).ok_or(StoreError::CorruptRow {
                column: "user_roles.role",
                value: name,
            })?;
            roles.push(role);
            if role == StaffRole::SecondLevel {
                groups.extend(group);
            }
            Ok(())
        };
        take(first.role, first.group_code)?;
        while let Some(row) = rows.next_if(|row| row.login == first.login) {
            take(row.role, row.group_code)?;
        }
        let corrupt = |column: &'static str| StoreError::CorruptRow {
            column,
            value: first.login.clone(),
        };
        let roles = Roles::new(roles, groups).map_err(|_| corrupt("user_roles"))?;
        let password_hash =
            PasswordHash::new(first.password_hash).map_err(|_| corrupt("users.password_hash"))?;
        let managed_by = ManagedBy::from_name(&first.managed_by).ok_or(StoreError::CorruptRow {
            column: "users.managed_by",
            value: first.managed_by.clone(),
        })?;
        users.push(User {
            login: first.login,
            name: first.name.into(),
            password_hash,
            roles,
            enabled: first.enabled,
            managed_by,
            created_at_unix_ms: first.created_at_unix_ms,
            updated_at_unix_ms: first.updated_at_unix_ms,
        });
    }
    Ok(users)
}

/// Replaces the roles of `$login` inside the transaction `$tx`.
macro_rules! write_roles {
    ($tx:expr, $login:expr, $roles:expr) => {{
        sqlx::query($crate::users_sql::DELETE_ROLES)
            .bind($login)
            .execute(&mut *$tx)
            .await?;
        for (role, group) in $roles.rows() {
            sqlx::query($crate::users_sql::INSERT_ROLE)
                .bind($login)
                .bind(role)
                .bind(group)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

pub(crate) use write_roles;

/// The user `$login` as seen inside the transaction `$tx`.
macro_rules! user_in {
    ($tx:expr, $login:expr) => {{
        let rows: Vec<$crate::users_sql::UserRow> =
            sqlx::query_as($crate::users_sql::USER_BY_LOGIN)
                .bind($login)
                .fetch_all(&mut *$tx)
                .await?;
        $crate::users_sql::users_from_rows(rows)?.pop()
    }};
}

pub(crate) use user_in;

/// Implements [`crate::UserStore`] for a store type with fields `pool` and `clock` and a
/// method `begin_write()`, as `impl_service_request_store!` does for service requests.
macro_rules! impl_user_store {
    ($store:ty) => {
        impl $crate::UserStore for $store {
            async fn get_user(
                &self,
                login: &str,
            ) -> Result<Option<$crate::User>, $crate::StoreError> {
                let rows: Vec<$crate::users_sql::UserRow> =
                    sqlx::query_as($crate::users_sql::USER_BY_LOGIN)
                        .bind(login)
                        .fetch_all(&self.pool)
                        .await?;
                Ok($crate::users_sql::users_from_rows(rows)?.pop())
            }

            async fn list_users(
                &self,
                page: $crate::UserPage,
            ) -> Result<Vec<$crate::User>, $crate::StoreError> {
                let limit = page.limit.clamp(1, $crate::UserPage::MAX_LIMIT);
                let rows: Vec<$crate::users_sql::UserRow> =
                    sqlx::query_as($crate::users_sql::USER_PAGE)
                        .bind(i64::from(limit))
                        .bind(i64::from(page.offset))
                        .fetch_all(&self.pool)
                        .await?;
                $crate::users_sql::users_from_rows(rows)
            }

            async fn create_user(
                &self,
                user: $crate::NewUser,
            ) -> Result<$crate::User, $crate::StoreError> {
                use $crate::users_sql as sql;
                user.validate()?;
                let now = self.clock.now_unix_ms();
                let mut tx = self.begin_write().await?;
                let inserted: Option<String> = sqlx::query_scalar(sql::INSERT_USER)
                    .bind(&user.login)
                    .bind(user.name.expose())
                    .bind(user.password_hash.as_str())
                    .bind(user.enabled)
                    .bind($crate::ManagedBy::Api.as_str())
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                if inserted.is_none() {
                    return Err($crate::StoreError::Conflict(
                        "a user with this login exists",
                    ));
                }
                sql::write_roles!(tx, &user.login, user.roles);
                let created = sql::user_in!(tx, &user.login);
                tx.commit().await?;
                created.ok_or($crate::StoreError::Contention)
            }

            async fn update_user(
                &self,
                login: &str,
                change: $crate::UserChange,
            ) -> Result<Option<$crate::User>, $crate::StoreError> {
                use $crate::users_sql as sql;
                if let Some(name) = &change.name {
                    $crate::users::check_name(name.expose())?;
                }
                let now = self.clock.now_unix_ms();
                let mut tx = self.begin_write().await?;
                let managed_by: Option<String> = sqlx::query_scalar(sql::LOCK_USER)
                    .bind(login)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                match managed_by.as_deref() {
                    None => return Ok(None),
                    Some("api") => {}
                    Some(_) => {
                        return Err($crate::StoreError::Conflict(
                            "this user is managed by the configuration file: change it there",
                        ));
                    }
                }
                sqlx::query(sql::UPDATE_USER)
                    .bind(login)
                    .bind(change.name.as_ref().map(|n| n.expose().as_str()))
                    .bind(change.enabled)
                    .execute(&mut *tx)
                    .await?;
                if let Some(roles) = &change.roles {
                    sql::write_roles!(tx, login, roles);
                }
                if change.enabled == Some(false) {
                    sqlx::query(sql::DELETE_SESSIONS_OF)
                        .bind(login)
                        .execute(&mut *tx)
                        .await?;
                }
                let updated = sql::user_in!(tx, login);
                tx.commit().await?;
                Ok(updated)
            }

            async fn set_password(
                &self,
                login: &str,
                hash: $crate::PasswordHash,
            ) -> Result<Option<$crate::User>, $crate::StoreError> {
                use $crate::users_sql as sql;
                let now = self.clock.now_unix_ms();
                let mut tx = self.begin_write().await?;
                let managed_by: Option<String> = sqlx::query_scalar(sql::LOCK_USER)
                    .bind(login)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                match managed_by.as_deref() {
                    None => return Ok(None),
                    Some("api") => {}
                    Some(_) => {
                        return Err($crate::StoreError::Conflict(
                            "this user is managed by the configuration file: change it there",
                        ));
                    }
                }
                sqlx::query(sql::SET_PASSWORD)
                    .bind(login)
                    .bind(hash.as_str())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(sql::DELETE_SESSIONS_OF)
                    .bind(login)
                    .execute(&mut *tx)
                    .await?;
                let updated = sql::user_in!(tx, login);
                tx.commit().await?;
                Ok(updated)
            }

            async fn sync_configured_users(
                &self,
                users: Vec<$crate::NewUser>,
            ) -> Result<$crate::ConfiguredUsersSynced, $crate::StoreError> {
                use $crate::users_sql as sql;
                let mut seen = std::collections::BTreeSet::new();
                for user in &users {
                    user.validate()?;
                    if !seen.insert(user.login.as_str()) {
                        return Err($crate::StoreError::InvalidInput(
                            "the configuration lists a login twice",
                        ));
                    }
                }
                let now = self.clock.now_unix_ms();
                let mut synced = $crate::ConfiguredUsersSynced::default();
                let mut tx = self.begin_write().await?;
                for user in &users {
                    let existing = sql::user_in!(tx, &user.login);
                    let Some(existing) = existing else {
                        sqlx::query(sql::INSERT_USER)
                            .bind(&user.login)
                            .bind(user.name.expose())
                            .bind(user.password_hash.as_str())
                            .bind(user.enabled)
                            .bind($crate::ManagedBy::Config.as_str())
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                        sql::write_roles!(tx, &user.login, user.roles);
                        synced.created.push(user.login.clone());
                        continue;
                    };
                    let same = existing.name == user.name
                        && existing.password_hash == user.password_hash
                        && existing.roles == user.roles
                        && existing.enabled == user.enabled
                        && existing.managed_by == $crate::ManagedBy::Config;
                    if same {
                        continue;
                    }
                    sqlx::query(sql::APPLY_CONFIGURED)
                        .bind(&user.login)
                        .bind(user.name.expose())
                        .bind(user.password_hash.as_str())
                        .bind(user.enabled)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    sql::write_roles!(tx, &user.login, user.roles);
                    if existing.password_hash != user.password_hash || !user.enabled {
                        sqlx::query(sql::DELETE_SESSIONS_OF)
                            .bind(&user.login)
                            .execute(&mut *tx)
                            .await?;
                    }
                    synced.updated.push(user.login.clone());
                }
                let managed: Vec<String> = sqlx::query_scalar(sql::CONFIG_MANAGED)
                    .fetch_all(&mut *tx)
                    .await?;
                for login in managed.into_iter().filter(|l| !seen.contains(l.as_str())) {
                    sqlx::query(sql::RELEASE_USER)
                        .bind(&login)
                        .bind(false)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(sql::DELETE_SESSIONS_OF)
                        .bind(&login)
                        .execute(&mut *tx)
                        .await?;
                    synced.released.push(login);
                }
                tx.commit().await?;
                Ok(synced)
            }

            async fn create_session(
                &self,
                session: $crate::NewSession,
            ) -> Result<$crate::Session, $crate::StoreError> {
                use $crate::users_sql as sql;
                if session.lifetime_ms <= 0 {
                    return Err($crate::StoreError::InvalidInput(
                        "a session lasts a positive time",
                    ));
                }
                let now = self.clock.now_unix_ms();
                let expires = now.saturating_add(session.lifetime_ms);
                let mut tx = self.begin_write().await?;
                let exists: Option<String> = sqlx::query_scalar(sql::USER_EXISTS)
                    .bind(&session.login)
                    .fetch_optional(&mut *tx)
                    .await?;
                if exists.is_none() {
                    return Err($crate::StoreError::InvalidInput("no such user"));
                }
                sqlx::query(sql::DELETE_EXPIRED_SESSIONS)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(sql::INSERT_SESSION)
                    .bind(session.token_hash.as_str())
                    .bind(&session.login)
                    .bind(now)
                    .bind(expires)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(sql::TRIM_SESSIONS)
                    .bind(&session.login)
                    .bind($crate::users::user_limits::SESSIONS_PER_USER)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok($crate::Session {
                    login: session.login,
                    created_at_unix_ms: now,
                    expires_at_unix_ms: expires,
                    last_used_at_unix_ms: now,
                })
            }

            async fn session(
                &self,
                token_hash: &$crate::TokenHash,
            ) -> Result<Option<$crate::SessionUser>, $crate::StoreError> {
                use $crate::users_sql as sql;
                let now = self.clock.now_unix_ms();
                let row: Option<sql::SessionRow> = sqlx::query_as(sql::SESSION_BY_HASH)
                    .bind(token_hash.as_str())
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(row) = row else { return Ok(None) };
                let Some(user) = $crate::UserStore::get_user(self, &row.login).await? else {
                    return Ok(None);
                };
                if !user.enabled {
                    return Ok(None);
                }
                let mut session = $crate::Session::from(row);
                if session.last_used_at_unix_ms <= now - sql::TOUCH_EVERY_MS {
                    sqlx::query(sql::TOUCH_SESSION)
                        .bind(token_hash.as_str())
                        .bind(now)
                        .bind(now - sql::TOUCH_EVERY_MS)
                        .execute(&self.pool)
                        .await?;
                    session.last_used_at_unix_ms = now;
                }
                Ok(Some($crate::SessionUser { session, user }))
            }

            async fn delete_session(
                &self,
                token_hash: &$crate::TokenHash,
            ) -> Result<bool, $crate::StoreError> {
                let done = sqlx::query($crate::users_sql::DELETE_SESSION)
                    .bind(token_hash.as_str())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn record_admin_change(
                &self,
                change: $crate::AdminChange,
            ) -> Result<$crate::AdminChangeRecord, $crate::StoreError> {
                change.validate()?;
                let at_unix_ms = self.clock.now_unix_ms();
                let id: i64 = sqlx::query_scalar($crate::audit::INSERT_CHANGE)
                    .bind(at_unix_ms)
                    .bind(&change.login)
                    .bind(change.action.as_str())
                    .bind(&change.subject)
                    .bind(&change.detail)
                    .fetch_one(&self.pool)
                    .await?;
                Ok($crate::AdminChangeRecord {
                    id,
                    at_unix_ms,
                    login: change.login,
                    action: change.action,
                    subject: change.subject,
                    detail: change.detail,
                })
            }

            async fn admin_changes(
                &self,
                limit: u32,
                offset: u32,
            ) -> Result<Vec<$crate::AdminChangeRecord>, $crate::StoreError> {
                let limit = limit.clamp(1, $crate::audit::MAX_PAGE);
                let rows: Vec<$crate::audit::ChangeRow> =
                    sqlx::query_as($crate::audit::CHANGES_PAGE)
                        .bind(i64::from(limit))
                        .bind(i64::from(offset))
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter().map($crate::audit::from_row).collect()
            }
        }
    };
}

pub(crate) use impl_user_store;
