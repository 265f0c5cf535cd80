//! The `[crm]` keys about staff: `[[crm.users]]`, `session_lifetime_minutes` and
//! `[crm.login]` (docs/configuration.md, "Users and logins").

use std::collections::HashSet;
use std::time::Duration;

use crm::AuthSettings;
use crm::auth::{ConfiguredPassword, ConfiguredUser, LockoutPolicy, Password};
use crm_store::{Roles, StaffRole};
use serde::Deserialize;

/// One `[[crm.users]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserEntry {
    login: String,
    name: String,
    roles: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    /// A PHC string from `centralino hash-password`.
    #[serde(default)]
    password_hash: Option<String>,
    /// The password in clear: for the demo only. `Password`'s `Debug` hides it.
    #[serde(default)]
    password: Option<Password>,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

/// `[crm.login]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct LoginSection {
    max_failures: u32,
    max_failures_per_address: u32,
    lockout_seconds: u64,
    failure_window_seconds: u64,
}

impl Default for LoginSection {
    fn default() -> Self {
        let policy = LockoutPolicy::default();
        Self {
            max_failures: policy.max_failures_per_login,
            max_failures_per_address: policy.max_failures_per_address,
            lockout_seconds: policy.lockout.as_secs(),
            failure_window_seconds: policy.window.as_secs(),
        }
    }
}

pub(crate) fn default_session_lifetime_minutes() -> u64 {
    8 * 60
}

/// The checked users, or what is wrong, naming the entry.
pub(crate) fn users(entries: Vec<UserEntry>) -> Result<Vec<ConfiguredUser>, String> {
    let mut seen = HashSet::new();
    let mut users = Vec::with_capacity(entries.len());
    for entry in entries {
        let login = entry.login;
        let at = |what: &str| format!("crm.users {login:?}: {what}");
        if !crm_store::is_valid_login(&login) {
            return Err(at(
                "a login is 1 to 64 of a-z, 0-9, '.', '_', '-' (and not \"system\")",
            ));
        }
        if !seen.insert(login.clone()) {
            return Err(at("listed twice"));
        }
        crm_store::users::check_name(&entry.name).map_err(|e| at(&e.to_string()))?;
        let roles = entry
            .roles
            .iter()
            .map(|name| {
                StaffRole::from_name(name).ok_or_else(|| {
                    at(&format!(
                        "unknown role {name:?}: the roles are operator, second_level, \
                         rejections, supervisor, administrator"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let roles = Roles::new(roles, entry.groups).map_err(|e| at(&e.to_string()))?;
        let password = match (entry.password_hash, entry.password) {
            (Some(phc), None) => ConfiguredPassword::Hash(
                crm::auth::parse_password_hash(&phc)
                    .map_err(|e| at(&format!("password_hash: {e}")))?,
            ),
            (None, Some(clear)) => {
                clear
                    .check_new()
                    .map_err(|e| at(&format!("password: {e}")))?;
                ConfiguredPassword::Clear(clear)
            }
            _ => return Err(at("give either password_hash or (demo only) password")),
        };
        users.push(ConfiguredUser {
            login,
            name: entry.name,
            roles,
            enabled: entry.enabled,
            password,
        });
    }
    Ok(users)
}

/// The login settings, or what is out of range.
pub(crate) fn auth_settings(
    session_lifetime_minutes: u64,
    login: LoginSection,
) -> Result<AuthSettings, String> {
    if !(5..=7 * 24 * 60).contains(&session_lifetime_minutes) {
        return Err("crm.session_lifetime_minutes must be between 5 and 10080 (a week)".into());
    }
    if !(1..=24 * 3600).contains(&login.lockout_seconds) {
        return Err("crm.login.lockout_seconds must be between 1 and 86400".into());
    }
    if !(1..=24 * 3600).contains(&login.failure_window_seconds) {
        return Err("crm.login.failure_window_seconds must be between 1 and 86400".into());
    }
    if login.max_failures > 1000 || login.max_failures_per_address > 1000 {
        return Err(
            "crm.login.max_failures and max_failures_per_address are at most 1000 (0: off)".into(),
        );
    }
    Ok(AuthSettings {
        session_lifetime: Duration::from_secs(session_lifetime_minutes * 60),
        lockout: LockoutPolicy {
            max_failures_per_login: login.max_failures,
            max_failures_per_address: login.max_failures_per_address,
            lockout: Duration::from_secs(login.lockout_seconds),
            window: Duration::from_secs(login.failure_window_seconds),
        },
        ..AuthSettings::default()
    })
}
