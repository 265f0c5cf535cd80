//! The administration of the engine's prompts and IVR script, for administrators only: what
//! the pages `/admin/prompts` and `/admin/ivr` use. Every change goes to the engine as a
//! command over its link ([`crate::engine_link::EngineLink::administer`]): the engine owns
//! its files, validates, writes atomically and activates, and answers what it did or why
//! not. Each change done is recorded in the audit ([`crm_store::audit`]) with who made it.
//!
//! * `GET /api/v1/admin/prompts`: `{"prompts": [{"name", "duration_ms", "in_use", "problem"}]}`
//! * `GET /api/v1/admin/prompts/{name}/audio`: the prompt as played, an 8 kHz WAV
//! * `PUT /api/v1/admin/prompts/{name}`: the body is a recording (WAV of any rate, channels
//!   and sample format, MP3, Ogg Vorbis, FLAC; at most 16 MiB); adds or replaces the prompt
//! * `DELETE /api/v1/admin/prompts/{name}`: refused (422) while the active script or the
//!   engine plays it
//! * `GET /api/v1/admin/prompts-backup`: every prompt as one tar archive
//! * `POST /api/v1/admin/prompts-restore`: the body is such an archive (at most 32 MiB);
//!   checked whole, then installed; prompts it does not hold are kept
//! * `GET /api/v1/admin/ivr`: `{"script", "file"}`, the active script
//! * `POST /api/v1/admin/ivr/check`, `POST /api/v1/admin/ivr/activate`: the body is the
//!   script's text (UTF-8, at most 256 KiB)
//! * `GET /api/v1/admin/ivr/versions`: `{"versions": [{"id", "activated_unix_ms", "lines",
//!   "active"}]}`, newest first
//! * `POST /api/v1/admin/ivr/versions/{id}/restore`
//! * `GET /api/v1/admin/audit?limit=&offset=`: `{"changes": [{"id", "at_unix_ms", "login",
//!   "action", "subject", "detail"}]}`, newest first
//!
//! A change answers `{"summary"}`; a refusal 422 with the error body of every route and, for a
//! script, `"problems": [{"line", "text"}]` (line 0: no line).

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use crm_store::{AdminAction, AdminChange, UserStore};
use cti_proto::v1::{self as proto, admin_command::Action};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ApiState;
use crate::CrmError;
use crate::auth::{Administrator, Principal};
use crate::engine_link::AdminRefusal;

/// Longest script text the pages send (the engine's own limit).
pub const MAX_SCRIPT_BYTES: usize = 256 * 1024;

pub(super) fn routes<S: UserStore>() -> Router<ApiState<S>> {
    Router::new()
        .route("/api/v1/admin/prompts", get(prompts::<S>))
        .route(
            "/api/v1/admin/prompts/{name}",
            put(put_prompt::<S>)
                .delete(delete_prompt::<S>)
                .layer(DefaultBodyLimit::max(cti_proto::MAX_UPLOAD_BYTES)),
        )
        .route("/api/v1/admin/prompts/{name}/audio", get(prompt_audio::<S>))
        .route("/api/v1/admin/prompts-backup", get(backup::<S>))
        .route(
            "/api/v1/admin/prompts-restore",
            post(restore::<S>).layer(DefaultBodyLimit::max(cti_proto::MAX_ARCHIVE_BYTES)),
        )
        .route("/api/v1/admin/ivr", get(script::<S>))
        .route(
            "/api/v1/admin/ivr/check",
            post(check::<S>).layer(DefaultBodyLimit::max(MAX_SCRIPT_BYTES)),
        )
        .route(
            "/api/v1/admin/ivr/activate",
            post(activate::<S>).layer(DefaultBodyLimit::max(MAX_SCRIPT_BYTES)),
        )
        .route("/api/v1/admin/ivr/versions", get(versions::<S>))
        .route(
            "/api/v1/admin/ivr/versions/{id}/restore",
            post(restore_version::<S>),
        )
        .route("/api/v1/admin/audit", get(audit::<S>))
}

/// What the engine refused, as the API says it: 422 with the reason (and a script's problems).
#[derive(Debug, Serialize)]
struct RefusalBody {
    error: RefusalDetail,
    problems: Vec<ProblemView>,
}

#[derive(Debug, Serialize)]
struct RefusalDetail {
    code: &'static str,
    message: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProblemView {
    /// 1-based; 0 for a problem without a line.
    pub line: u32,
    pub text: String,
}

impl IntoResponse for AdminRefusal {
    fn into_response(self) -> Response {
        let body = RefusalBody {
            error: RefusalDetail {
                code: "refused",
                message: self.reason,
            },
            problems: self
                .answer
                .problems
                .into_iter()
                .map(|p| ProblemView {
                    line: p.line,
                    text: p.text,
                })
                .collect(),
        };
        (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
    }
}

/// The engine's answer, or the response that says why there is none.
async fn ask<S: UserStore>(
    state: &ApiState<S>,
    action: Action,
) -> Result<proto::AdminAnswer, Response> {
    match state.link.administer(action).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(refusal)) => Err(refusal.into_response()),
        Err(e) => Err(e.into_response()),
    }
}

/// `{"summary"}`: what was done.
#[derive(Debug, Serialize, Deserialize)]
pub struct Done {
    pub summary: String,
}

/// Records a change done; a failure to record it is logged and said in the answer (the change
/// itself is made: the engine did it).
async fn record<S: UserStore>(
    state: &ApiState<S>,
    who: &Principal,
    action: AdminAction,
    subject: &str,
    summary: String,
) -> Json<Done> {
    let mut detail = summary.clone();
    if detail.len() > crm_store::audit::DETAIL_LEN {
        let mut end = crm_store::audit::DETAIL_LEN;
        while !detail.is_char_boundary(end) {
            end -= 1;
        }
        detail.truncate(end);
    }
    let change = AdminChange {
        login: who.login.clone(),
        action,
        subject: subject
            .chars()
            .take(crm_store::audit::SUBJECT_LEN / 4)
            .collect(),
        detail,
    };
    tracing::info!(by = %who.login, %action, subject, "administrator's change");
    match state.store.record_admin_change(change).await {
        Ok(_) => Json(Done { summary }),
        Err(e) => {
            tracing::error!(error = %e, %action, "an administrator's change is not in the audit");
            Json(Done {
                summary: format!("{summary} (but it could not be recorded in the audit)"),
            })
        }
    }
}

fn upload(body: Result<Bytes, BytesRejection>, too_large: &'static str) -> Result<Bytes, CrmError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            CrmError::TooLarge(too_large)
        } else {
            CrmError::InvalidArgument("the upload could not be read")
        }
    })
}

/// A name as the engine checks it, said early for a clearer answer: 1 to 64 of a-z, 0-9,
/// `_`, `-`.
fn prompt_name(name: &str) -> Result<&str, CrmError> {
    prompts_name_ok(name)
        .then_some(name)
        .ok_or(CrmError::InvalidArgument(
            "a prompt's name is 1 to 64 of a-z, 0-9, '_' and '-'",
        ))
}

fn prompts_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PromptView {
    pub name: String,
    pub duration_ms: u64,
    pub in_use: bool,
    /// Why the engine cannot play the file; empty when it can.
    pub problem: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PromptList {
    pub prompts: Vec<PromptView>,
}

async fn prompts<S: UserStore>(
    _: Administrator,
    State(state): State<ApiState<S>>,
) -> Result<Json<PromptList>, Response> {
    let answer = ask(&state, Action::ListPrompts(proto::Empty {})).await?;
    Ok(Json(PromptList {
        prompts: answer
            .prompts
            .into_iter()
            .map(|p| PromptView {
                name: p.name,
                duration_ms: p.duration_ms,
                in_use: p.in_use,
                problem: p.problem,
            })
            .collect(),
    }))
}

async fn prompt_audio<S: UserStore>(
    _: Administrator,
    State(state): State<ApiState<S>>,
    Path(name): Path<String>,
) -> Result<Response, Response> {
    let name = prompt_name(&name).map_err(IntoResponse::into_response)?;
    let answer = ask(&state, Action::FetchPrompt(name.to_owned())).await?;
    Ok(([(CONTENT_TYPE, "audio/wav")], answer.data).into_response())
}

async fn put_prompt<S: UserStore>(
    Administrator(who): Administrator,
    State(state): State<ApiState<S>>,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Done>, Response> {
    let name = prompt_name(&name).map_err(IntoResponse::into_response)?;
    let audio = upload(
        body,
        "the recording is larger than 16 MiB: send a compressed one (mp3, ogg, flac) or a shorter one",
    )
    .map_err(IntoResponse::into_response)?;
    if audio.is_empty() {
        return Err(CrmError::InvalidArgument("the recording is empty").into_response());
    }
    let answer = ask(
        &state,
        Action::PutPrompt(proto::PutPrompt {
            name: name.to_owned(),
            audio: audio.to_vec(),
        }),
    )
    .await?;
    let action = if answer.summary.starts_with(&format!("{name} replaced")) {
        AdminAction::PromptReplaced
    } else {
        AdminAction::PromptAdded
    };
    Ok(record(&state, &who, action, name, answer.summary).await)
}

async fn delete_prompt<S: UserStore>(
    Administrator(who): Administrator,
    State(state): State<ApiState<S>>,
    Path(name): Path<String>,
) -> Result<Json<Done>, Response> {
    let name = prompt_name(&name).map_err(IntoResponse::into_response)?;
    let answer = ask(&state, Action::DeletePrompt(name.to_owned())).await?;
    Ok(record(
        &state,
        &who,
        AdminAction::PromptDeleted,
        name,
        answer.summary,
    )
    .await)
}

async fn backup<S: UserStore>(
    _: Administrator,
    State(state): State<ApiState<S>>,
) -> Result<Response, Response> {
    let answer = ask(&state, Action::BackupPrompts(proto::Empty {})).await?;
    let at = common::Clock::now_unix_ms(&common::SystemClock);
    let disposition = format!("attachment; filename=\"prompts-{at}.tar\"");
    Ok((
        [
            (CONTENT_TYPE, "application/x-tar".to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        answer.data,
    )
        .into_response())
}

async fn restore<S: UserStore>(
    Administrator(who): Administrator,
    State(state): State<ApiState<S>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Done>, Response> {
    let archive =
        upload(body, "the archive is larger than 32 MiB").map_err(IntoResponse::into_response)?;
    let answer = ask(&state, Action::RestorePrompts(archive.to_vec())).await?;
    Ok(record(
        &state,
        &who,
        AdminAction::PromptsRestored,
        "prompts",
        answer.summary,
    )
    .await)
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ScriptView {
    pub script: String,
    pub file: String,
}

async fn script<S: UserStore>(
    _: Administrator,
    State(state): State<ApiState<S>>,
) -> Result<Json<ScriptView>, Response> {
    let answer = ask(&state, Action::GetScript(proto::Empty {})).await?;
    Ok(Json(ScriptView {
        script: answer.script,
        file: answer.script_file,
    }))
}

fn script_text(body: Result<Bytes, BytesRejection>) -> Result<String, CrmError> {
    let bytes = upload(body, "the script is larger than 256 KiB")?;
    String::from_utf8(bytes.to_vec())
        .map_err(|_| CrmError::InvalidArgument("the script is not UTF-8 text"))
}

async fn check<S: UserStore>(
    _: Administrator,
    State(state): State<ApiState<S>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Done>, Response> {
    let text = script_text(body).map_err(IntoResponse::into_response)?;
    let answer = ask(&state, Action::CheckScript(text)).await?;
    Ok(Json(Done {
        summary: answer.summary,
    }))
}

async fn activate<S: UserStore>(
    Administrator(who): Administrator,
    State(state): State<ApiState<S>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Done>, Response> {
    let text = script_text(body).map_err(IntoResponse::into_response)?;
    let digest = crate::auth::hex(&Sha256::digest(text.as_bytes()));
    let lines = text.lines().count();
    let answer = ask(&state, Action::ActivateScript(text)).await?;
    let summary = format!(
        "{} ({lines} lines, sha256 {})",
        answer.summary,
        &digest[..12]
    );
    Ok(record(
        &state,
        &who,
        AdminAction::ScriptActivated,
        "ivr script",
        summary,
    )
    .await)
}

#[derive(Debug, Serialize, Deserialize)]
pub struct VersionView {
    pub id: String,
    pub activated_unix_ms: i64,
    pub lines: u32,
    pub active: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct VersionList {
    pub versions: Vec<VersionView>,
}

async fn versions<S: UserStore>(
    _: Administrator,
    State(state): State<ApiState<S>>,
) -> Result<Json<VersionList>, Response> {
    let answer = ask(&state, Action::ListVersions(proto::Empty {})).await?;
    Ok(Json(VersionList {
        versions: answer
            .versions
            .into_iter()
            .map(|v| VersionView {
                id: v.id,
                activated_unix_ms: v.activated_unix_ms,
                lines: v.lines,
                active: v.active,
            })
            .collect(),
    }))
}

async fn restore_version<S: UserStore>(
    Administrator(who): Administrator,
    State(state): State<ApiState<S>>,
    Path(id): Path<String>,
) -> Result<Json<Done>, Response> {
    let plain = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-:.".contains(&b));
    if !plain {
        return Err(
            CrmError::InvalidArgument("a version's id is like 2026-03-02T10:00:00.000Z")
                .into_response(),
        );
    }
    let answer = ask(&state, Action::RestoreVersion(id.clone())).await?;
    Ok(record(
        &state,
        &who,
        AdminAction::ScriptRestored,
        &id,
        answer.summary,
    )
    .await)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditParams {
    limit: Option<u32>,
    offset: Option<u32>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ChangeView {
    pub id: i64,
    pub at_unix_ms: i64,
    pub login: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ChangeList {
    pub changes: Vec<ChangeView>,
}

async fn audit<S: UserStore>(
    _: Administrator,
    State(state): State<ApiState<S>>,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Json<ChangeList>, CrmError> {
    let Query(params) = params
        .map_err(|_| CrmError::InvalidArgument("bad query: the parameters are limit, offset"))?;
    let limit = params.limit.unwrap_or(50);
    if limit == 0 || limit > crm_store::audit::MAX_PAGE {
        return Err(CrmError::InvalidArgument("limit must be between 1 and 200"));
    }
    let changes = state
        .store
        .admin_changes(limit, params.offset.unwrap_or(0))
        .await?
        .into_iter()
        .map(|c| ChangeView {
            id: c.id,
            at_unix_ms: c.at_unix_ms,
            login: c.login,
            action: c.action.as_str().to_owned(),
            subject: c.subject,
            detail: c.detail,
        })
        .collect();
    Ok(Json(ChangeList { changes }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_names_follow_the_engines_rules() {
        for good in ["welcome", "menu_2", "a-b", "x"] {
            assert!(prompts_name_ok(good), "{good}");
        }
        for bad in ["", "Welcome", "../x", "a.wav", "a b", &"x".repeat(65)] {
            assert!(!prompts_name_ok(bad), "{bad}");
        }
    }
}
