//! The administration of users: `/api/v1/users...`, for administrators only.
//!
//! Users are never deleted (a case's history names them): an account that must stop working
//! is disabled, which ends its sessions. Users from the configuration file are its to change:
//! the API refuses with 409.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use common::Pii;
use crm_store::{
    NewUser, Roles, ServiceRequestStore, StaffRole, User, UserChange, UserPage, UserStore,
};
use serde::{Deserialize, Serialize};

use super::{ApiState, BodyShape, JsonBody};
use crate::CrmError;
use crate::auth::{Administrator, Password, Principal};

pub(super) fn routes<S: ServiceRequestStore + UserStore>() -> Router<ApiState<S>> {
    Router::new()
        .route("/api/v1/users", get(list::<S>).post(create::<S>))
        .route("/api/v1/users/{login}", get(one::<S>).put(replace::<S>))
        .route("/api/v1/users/{login}/disable", post(disable::<S>))
        .route("/api/v1/users/{login}/enable", post(enable::<S>))
        .route("/api/v1/users/{login}/password", post(set_password::<S>))
}

/// A user as the API shows it (never the password hash).
#[derive(Debug, Serialize, Deserialize)]
pub struct UserView {
    pub login: String,
    /// Serialised in clear, redacted by `Debug`.
    pub name: Pii<String>,
    /// `operator`, `second_level`, `rejections`, `supervisor`, `administrator`.
    pub roles: Vec<String>,
    /// The second-level groups.
    pub groups: Vec<String>,
    pub enabled: bool,
    /// `config` (the configuration file decides) or `api`.
    pub managed_by: String,
    pub created_at_unix_ms: i64,
    pub updated_at_unix_ms: i64,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        Self {
            login: user.login,
            name: user.name,
            roles: user.roles.roles().map(|r| r.as_str().to_owned()).collect(),
            groups: user.roles.groups().map(str::to_owned).collect(),
            enabled: user.enabled,
            managed_by: user.managed_by.as_str().to_owned(),
            created_at_unix_ms: user.created_at_unix_ms,
            updated_at_unix_ms: user.updated_at_unix_ms,
        }
    }
}

/// `GET /api/v1/users`: `{"users": [...]}`, by login.
#[derive(Debug, Serialize, Deserialize)]
pub struct UserList {
    pub users: Vec<UserView>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    limit: Option<u32>,
    offset: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    login: String,
    name: String,
    roles: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    password: Password,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

impl BodyShape for CreateRequest {
    const SHAPE: &'static str = r#"the body is {"login": text, "name": text, "roles": [text], "groups": [text] (optional), "password": text, "enabled": true|false (optional)}"#;
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplaceRequest {
    name: String,
    roles: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    enabled: Option<bool>,
}

impl BodyShape for ReplaceRequest {
    const SHAPE: &'static str = r#"the body is {"name": text, "roles": [text], "groups": [text] (optional), "enabled": true|false (optional)}"#;
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordRequest {
    password: Password,
}

impl BodyShape for PasswordRequest {
    const SHAPE: &'static str = r#"the body is {"password": text}"#;
}

/// Most roles one request may name (there are five).
const MAX_ROLE_NAMES: usize = 16;

fn roles(names: &[String], groups: Vec<String>) -> Result<Roles, CrmError> {
    if names.len() > MAX_ROLE_NAMES {
        return Err(CrmError::InvalidArgument("too many roles"));
    }
    let roles = names
        .iter()
        .map(|name| {
            StaffRole::from_name(name).ok_or(CrmError::InvalidArgument(
                "unknown role: the roles are operator, second_level, rejections, supervisor, \
                 administrator",
            ))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Roles::new(roles, groups)?)
}

/// A path's login, if it can be anyone's (otherwise nobody has it).
fn path_login(login: &str) -> Result<&str, CrmError> {
    if crm_store::is_valid_login(login) {
        Ok(login)
    } else {
        Err(CrmError::UserNotFound)
    }
}

/// An administrator may not lock themselves out.
fn refuse_self_lockout(
    admin: &Principal,
    login: &str,
    change: &UserChange,
) -> Result<(), CrmError> {
    let loses_admin = change
        .roles
        .as_ref()
        .is_some_and(|roles| !roles.has(StaffRole::Administrator));
    if admin.login == login && (change.enabled == Some(false) || loses_admin) {
        return Err(CrmError::Conflict(
            "you cannot disable yourself or drop your own administrator role",
        ));
    }
    Ok(())
}

async fn list<S: UserStore>(
    _: Administrator,
    State(state): State<ApiState<S>>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<UserList>, CrmError> {
    let Query(params) = params.map_err(|_| {
        CrmError::InvalidArgument("bad query: the parameters are limit and offset (numbers)")
    })?;
    let limit = params.limit.unwrap_or(UserPage::DEFAULT_LIMIT);
    if limit == 0 || limit > UserPage::MAX_LIMIT {
        return Err(CrmError::InvalidArgument("limit must be between 1 and 500"));
    }
    let users = state
        .store
        .list_users(UserPage {
            limit,
            offset: params.offset.unwrap_or(0),
        })
        .await?;
    Ok(Json(UserList {
        users: users.into_iter().map(Into::into).collect(),
    }))
}

async fn create<S: UserStore>(
    Administrator(admin): Administrator,
    State(state): State<ApiState<S>>,
    JsonBody(request): JsonBody<CreateRequest>,
) -> Result<(StatusCode, Json<UserView>), CrmError> {
    // Everything cheap is checked before the slow hash.
    crm_store::users::check_login(&request.login)?;
    crm_store::users::check_name(&request.name)?;
    let roles = roles(&request.roles, request.groups)?;
    let password_hash = state.auth.hash_new_password(request.password).await?;
    let user = state
        .store
        .create_user(NewUser {
            login: request.login,
            name: request.name.into(),
            password_hash,
            roles,
            enabled: request.enabled,
        })
        .await?;
    tracing::info!(by = %admin.login, login = %user.login, "user created");
    Ok((StatusCode::CREATED, Json(user.into())))
}

async fn one<S: UserStore>(
    _: Administrator,
    State(state): State<ApiState<S>>,
    Path(login): Path<String>,
) -> Result<Json<UserView>, CrmError> {
    let user = state
        .store
        .get_user(path_login(&login)?)
        .await?
        .ok_or(CrmError::UserNotFound)?;
    Ok(Json(user.into()))
}

async fn replace<S: UserStore>(
    Administrator(admin): Administrator,
    State(state): State<ApiState<S>>,
    Path(login): Path<String>,
    JsonBody(request): JsonBody<ReplaceRequest>,
) -> Result<Json<UserView>, CrmError> {
    let login = path_login(&login)?;
    let change = UserChange {
        name: Some(request.name.into()),
        roles: Some(roles(&request.roles, request.groups)?),
        enabled: request.enabled,
    };
    change_user(&state, &admin, login, change, "user changed").await
}

async fn disable<S: UserStore>(
    Administrator(admin): Administrator,
    State(state): State<ApiState<S>>,
    Path(login): Path<String>,
) -> Result<Json<UserView>, CrmError> {
    let change = UserChange {
        enabled: Some(false),
        ..UserChange::default()
    };
    change_user(&state, &admin, path_login(&login)?, change, "user disabled").await
}

async fn enable<S: UserStore>(
    Administrator(admin): Administrator,
    State(state): State<ApiState<S>>,
    Path(login): Path<String>,
) -> Result<Json<UserView>, CrmError> {
    let change = UserChange {
        enabled: Some(true),
        ..UserChange::default()
    };
    change_user(&state, &admin, path_login(&login)?, change, "user enabled").await
}

async fn change_user<S: UserStore>(
    state: &ApiState<S>,
    admin: &Principal,
    login: &str,
    change: UserChange,
    what: &'static str,
) -> Result<Json<UserView>, CrmError> {
    refuse_self_lockout(admin, login, &change)?;
    let user = state
        .store
        .update_user(login, change)
        .await?
        .ok_or(CrmError::UserNotFound)?;
    tracing::info!(by = %admin.login, login = %user.login, "{what}");
    Ok(Json(user.into()))
}

async fn set_password<S: UserStore>(
    Administrator(admin): Administrator,
    State(state): State<ApiState<S>>,
    Path(login): Path<String>,
    JsonBody(request): JsonBody<PasswordRequest>,
) -> Result<Json<UserView>, CrmError> {
    let login = path_login(&login)?;
    // Cheap look-ups first: no slow hash for a user that does not exist or is not the API's.
    let existing = state
        .store
        .get_user(login)
        .await?
        .ok_or(CrmError::UserNotFound)?;
    if existing.managed_by != crm_store::ManagedBy::Api {
        return Err(CrmError::Conflict(
            "this user is managed by the configuration file: change it there",
        ));
    }
    let hash = state.auth.hash_new_password(request.password).await?;
    let user = state
        .store
        .set_password(login, hash)
        .await?
        .ok_or(CrmError::UserNotFound)?;
    tracing::info!(by = %admin.login, login = %user.login, "password reset; sessions ended");
    Ok(Json(user.into()))
}
