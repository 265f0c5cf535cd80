//! Users from the configuration file (`[[crm.users]]`), applied to the store at start: the
//! configuration wins for its logins; users created over the API are kept.

use crm_store::{ConfiguredUsersSynced, NewUser, PasswordHash, Roles, StaffRole, UserStore};

use super::password::{HashCost, Password};
use super::sessions::{hash_blocking, verify_blocking};
use crate::CrmError;

/// How a configured user's password is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfiguredPassword {
    /// A PHC string (`centralino hash-password` makes one): what real installations use.
    Hash(PasswordHash),
    /// The password itself, hashed at start. For the demo only.
    Clear(Password),
}

/// A user as the configuration file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredUser {
    pub login: String,
    pub name: String,
    pub roles: Roles,
    pub enabled: bool,
    pub password: ConfiguredPassword,
}

/// Makes the store's users match `users`: creates and updates them, and disables the users
/// the configuration managed and no longer lists. A clear-text password keeps the stored hash
/// if that hash already matches it, so that restarting does not end everyone's sessions.
pub async fn apply_configured_users<S: UserStore>(
    store: &S,
    users: Vec<ConfiguredUser>,
    cost: HashCost,
) -> Result<ConfiguredUsersSynced, CrmError> {
    let in_clear: Vec<&str> = users
        .iter()
        .filter(|u| matches!(u.password, ConfiguredPassword::Clear(_)))
        .map(|u| u.login.as_str())
        .collect();
    if !in_clear.is_empty() {
        tracing::warn!(
            logins = ?in_clear,
            "passwords in clear in the configuration: for the demo only; use password_hash \
             (made by `centralino hash-password`)"
        );
    }
    let mut new_users = Vec::with_capacity(users.len());
    for user in users {
        let password_hash = match user.password {
            ConfiguredPassword::Hash(hash) => hash,
            ConfiguredPassword::Clear(password) => {
                let stored = store.get_user(&user.login).await?;
                match stored {
                    Some(stored)
                        if verify_blocking(password.clone(), stored.password_hash.clone())
                            .await =>
                    {
                        stored.password_hash
                    }
                    _ => hash_blocking(password, cost)
                        .await
                        .map_err(CrmError::Password)?,
                }
            }
        };
        new_users.push(NewUser {
            login: user.login,
            name: user.name.into(),
            password_hash,
            roles: user.roles,
            enabled: user.enabled,
        });
    }
    let administrators = new_users
        .iter()
        .filter(|u| u.enabled && u.roles.has(StaffRole::Administrator))
        .count();
    let synced = store.sync_configured_users(new_users).await?;
    tracing::info!(
        created = ?synced.created,
        updated = ?synced.updated,
        disabled = ?synced.released,
        "users of the configuration applied"
    );
    if !synced.released.is_empty() {
        tracing::warn!(
            logins = ?synced.released,
            "users no longer in the configuration are disabled (manage them over the API)"
        );
    }
    if administrators == 0 {
        tracing::warn!(
            "the configuration names no enabled administrator: users can be managed over \
             the API only by an administrator created there before"
        );
    }
    Ok(synced)
}
