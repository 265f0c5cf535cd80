//! The work on cases: `/api/v1/cases...` and `/api/v1/catalogue`.
//!
//! Reading is for any staff (like service requests); changing a case needs a case role
//! ([`CaseWorker`]). A command never says who acts: the actor is the logged-in user, in
//! their role that works the case ([`crate::auth::Principal::actor_for`]); a body that tries
//! to name one is refused. State changes need `If-Match` with the revision they were decided
//! on (428 without it, 412 when it is stale); handling (lock, release, owner, responsible,
//! notes, satisfaction) may leave it out and applies to the case as it is now.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use crm_store::{
    Attached, CaseError, CaseFilter, CaseKey, CaseStore, CaseUpdate, CaseView, HistoryPage,
    ServiceRequestStore, UserStore,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use service_request::{
    ActorId, CancelReason, Command, CommandKind, Communication, ContactReason, Entity, Group,
    HistoryEntry, NoteKind, Profile, RejectReason, Service, Unit, is_valid_code,
};

use super::input::{FieldName, IfMatch, RequestError, etag_headers, revision_i64};
use super::{ApiState, BodyShape, JsonBody};
use crate::CrmError;
use crate::auth::{CaseWorker, Principal, Staff};

pub(super) fn routes<S: ServiceRequestStore + UserStore + CaseStore>() -> Router<ApiState<S>> {
    Router::new()
        .route("/api/v1/cases", get(list::<S>))
        .route("/api/v1/cases/{number}", get(one::<S>))
        .route("/api/v1/cases/{number}/history", get(history::<S>))
        .route("/api/v1/cases/{number}/commands", post(command::<S>))
        .route("/api/v1/cases/{number}/parent", post(attach::<S>))
        .route("/api/v1/catalogue", get(catalogue::<S>))
}

/// `GET /api/v1/cases`: `{"cases": [...]}`, newest first.
#[derive(Debug, Serialize, Deserialize)]
pub struct CaseList {
    pub cases: Vec<CaseView>,
}

/// `GET /api/v1/cases/{number}/history`: `{"entries": [...]}`, oldest first.
#[derive(Debug, Serialize, Deserialize)]
pub struct HistoryList {
    pub entries: Vec<HistoryEntry>,
}

/// `GET /api/v1/catalogue`: the catalogue the CRM works cases by, and the vocabularies a
/// page offers in its forms.
#[derive(Debug, Serialize, Deserialize)]
pub struct CatalogueView {
    pub entities: Vec<Entity>,
    pub units: Vec<Unit>,
    pub groups: Vec<Group>,
    pub services: Vec<Service>,
    /// Each profile with the contact reasons its services allow.
    pub profiles: Vec<ProfileView>,
    pub contact_reasons: Vec<ContactReason>,
    pub communications: Vec<Communication>,
    pub note_kinds: Vec<NoteKind>,
    pub cancel_reasons: Vec<CancelReason>,
    pub reject_reasons: Vec<RejectReason>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ProfileView {
    pub profile: Profile,
    pub contact_reasons: Vec<ContactReason>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    queue: Option<String>,
    state: Option<String>,
    owner: Option<String>,
    service: Option<String>,
    closed: Option<bool>,
    limit: Option<u32>,
    offset: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryParams {
    after_seq: Option<u64>,
    limit: Option<u32>,
}

/// A command as it arrives: any JSON object, checked field by field ([`parse_command`]).
#[derive(Deserialize)]
#[serde(transparent)]
struct RawCommand(Map<String, Value>);

impl BodyShape for RawCommand {
    const SHAPE: &'static str =
        r#"the body is a command: {"command": name, ...its fields} (see docs/api.md, Cases)"#;
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParentRequest {
    parent: String,
}

impl BodyShape for ParentRequest {
    const SHAPE: &'static str = r#"the body is {"parent": "SR-<year>-<number>"}"#;
}

/// The commands a person may send, for the error that lists them.
pub(crate) const COMMAND_NAMES: &str = "classify, resolve_first_level, transfer_live, assign, \
     report_for_information, record_not_resolvable, resolve_second_level, \
     record_communication, suspend, resume, reject, reassign, cancel, lock, release, \
     set_owner, set_responsible, move, add_note, record_satisfaction";

/// Body keys that would name who acts: never taken from a request.
const ACTOR_KEYS: [&str; 6] = ["actor", "actor_id", "author", "by", "login", "role"];

/// What each command looks like, for the error of a command whose fields are wrong.
fn shape(kind: CommandKind) -> &'static str {
    use CommandKind as K;
    match kind {
        K::Classify => r#"{"command": "classify", "service": code, "reason": contact reason}"#,
        K::ResolveFirstLevel => {
            r#"{"command": "resolve_first_level", "communication": "communicated" | "not_communicated" | "not_communicable"}"#
        }
        K::TransferLive => r#"{"command": "transfer_live", "group": code}"#,
        K::Assign => r#"{"command": "assign", "group": code}"#,
        K::ReportForInformation => r#"{"command": "report_for_information", "group": code}"#,
        K::RecordNotResolvable => r#"{"command": "record_not_resolvable", "report_to": code}"#,
        K::ResolveSecondLevel => {
            r#"{"command": "resolve_second_level", "communication": "communicated" | "not_communicated" | "to_communicate" | "not_communicable"}"#
        }
        K::RecordCommunication => {
            r#"{"command": "record_communication", "communication": "communicated" | "not_communicated" | "to_communicate" | "not_communicable"}"#
        }
        K::Suspend => {
            r#"{"command": "suspend", "reason": text, "until_unix_ms": number (optional)}"#
        }
        K::Resume => r#"{"command": "resume"}"#,
        K::Reject => {
            r#"{"command": "reject", "reason": "ambiguous_competence" | "missing_knowledge" | "operator_error", "detail": text}"#
        }
        K::Reassign => r#"{"command": "reassign", "group": code, "service": code (optional)}"#,
        K::Cancel => {
            r#"{"command": "cancel", "reason": "not_our_competence" | "contact_abandoned" | "opened_in_error" | "withdrawn_by_citizen"}"#
        }
        K::Lock => r#"{"command": "lock"}"#,
        K::Release => r#"{"command": "release"}"#,
        K::SetOwner => r#"{"command": "set_owner", "owner": login | null}"#,
        K::SetResponsible => r#"{"command": "set_responsible", "responsible": login | null}"#,
        K::Move => r#"{"command": "move", "queue": code}"#,
        K::AddNote => {
            r#"{"command": "add_note", "kind": "internal_note" | "call_made" | "call_received" | "outgoing_mail", "text": text}"#
        }
        K::RecordSatisfaction => r#"{"command": "record_satisfaction", "score": 1 to 5}"#,
        K::CloseWithParent => "the platform's own: it closes a child with its parent",
        _ => "not a command a person sends",
    }
}

/// A command from a request body: a known name, its fields and no others, no actor.
fn parse_command(body: Map<String, Value>) -> Result<Command, RequestError> {
    if body.keys().any(|key| ACTOR_KEYS.contains(&key.as_str())) {
        return Err(RequestError::NamesActor);
    }
    let kind = body
        .get("command")
        .and_then(Value::as_str)
        .and_then(CommandKind::from_name)
        .filter(|kind| !matches!(kind, CommandKind::Open | CommandKind::AttachToParent))
        .ok_or(RequestError::UnknownCommand)?;
    let wrong_fields = || RequestError::CommandFields {
        command: kind.as_str(),
        shape: shape(kind),
    };
    let value = Value::Object(body);
    let command = Command::deserialize(&value).map_err(|_| wrong_fields())?;
    // Serde skips fields a variant does not have: a field the command does not print back
    // is one it does not take (a typo, or something the client thinks is taken into account).
    let printed = serde_json::to_value(&command).map_err(|_| wrong_fields())?;
    let (Value::Object(given), Value::Object(printed)) = (&value, &printed) else {
        return Err(wrong_fields());
    };
    if let Some(field) = given.keys().find(|key| !printed.contains_key(*key)) {
        return Err(RequestError::UnknownField {
            command: kind.as_str(),
            field: FieldName::new(field),
            shape: shape(kind),
        });
    }
    check_codes(&command)?;
    Ok(command)
}

/// Catalogue codes are short and plain: anything else is refused here, before the rules
/// would quote it back.
fn check_codes(command: &Command) -> Result<(), RequestError> {
    let code = |field: &'static str, value: &str| {
        if is_valid_code(value) {
            Ok(())
        } else {
            Err(RequestError::NotACode { field })
        }
    };
    match command {
        Command::Classify { service, .. } => code("service", service.as_str()),
        Command::TransferLive { group }
        | Command::Assign { group }
        | Command::ReportForInformation { group } => code("group", group.as_str()),
        Command::RecordNotResolvable { report_to } => code("report_to", report_to.as_str()),
        Command::Reassign { group, service } => {
            code("group", group.as_str())?;
            service
                .as_ref()
                .map_or(Ok(()), |s| code("service", s.as_str()))
        }
        Command::Move { queue } => code("queue", queue.as_str()),
        _ => Ok(()),
    }
}

/// The person a case is handed to, or named responsible, must be a user.
async fn check_people<S: UserStore>(
    state: &ApiState<S>,
    command: &Command,
) -> Result<(), CrmError> {
    let (field, login): (&'static str, &ActorId) = match command {
        Command::SetOwner { owner: Some(login) } => ("owner", login),
        Command::SetResponsible {
            responsible: Some(login),
        } => ("responsible", login),
        _ => return Ok(()),
    };
    let known = crm_store::is_valid_login(login.as_str())
        && state.store.get_user(login.as_str()).await?.is_some();
    if known {
        Ok(())
    } else {
        Err(RequestError::NoSuchUser { field }.into())
    }
}

/// A path's SR number, if it can be one (otherwise no case has it).
fn case_key(number: &str) -> Result<CaseKey, CrmError> {
    let plausible = !number.is_empty()
        && number.len() <= 32
        && number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if plausible {
        Ok(CaseKey::Number(number.to_owned()))
    } else {
        Err(CaseError::NotFound.into())
    }
}

async fn load<S: CaseStore>(state: &ApiState<S>, number: &str) -> Result<CaseView, CrmError> {
    state
        .store
        .get_case(case_key(number)?)
        .await?
        .ok_or_else(|| CaseError::NotFound.into())
}

async fn list<S: CaseStore>(
    _: Staff,
    State(state): State<ApiState<S>>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<CaseList>, CrmError> {
    let Query(params) = params.map_err(|_| {
        CrmError::InvalidArgument(
            "bad query: the parameters are queue, state, owner, service, closed (true or false), limit and offset (numbers)",
        )
    })?;
    let code = |value: Option<String>, field: &'static str| {
        value
            .map(|v| {
                if is_valid_code(&v) {
                    Ok(v)
                } else {
                    Err(RequestError::NotACode { field })
                }
            })
            .transpose()
    };
    let state_filter = params
        .state
        .map(|name| {
            service_request::State::from_name(&name).ok_or(CrmError::InvalidArgument(
                "unknown state: the states are open, resolved_first_level, \
                 resolved_second_level, assigned, transferred, assigned_resolved, cancelled, \
                 not_resolvable, rejected, suspended",
            ))
        })
        .transpose()?;
    let owner = params
        .owner
        .map(|login| {
            if crm_store::is_valid_login(&login) {
                Ok(ActorId::from(login))
            } else {
                Err(RequestError::Invalid {
                    field: "owner",
                    reason: "not a login",
                })
            }
        })
        .transpose()?;
    let limit = params.limit.unwrap_or(CaseFilter::DEFAULT_LIMIT);
    if limit == 0 || limit > CaseFilter::MAX_LIMIT {
        return Err(CrmError::InvalidArgument("limit must be between 1 and 200"));
    }
    let offset = params.offset.unwrap_or(0);
    if offset > CaseFilter::MAX_OFFSET {
        return Err(CrmError::InvalidArgument(
            "offset is beyond 100000: narrow the filter instead",
        ));
    }
    let filter = CaseFilter {
        queue: code(params.queue, "queue")?.map(Into::into),
        state: state_filter,
        owner,
        service: code(params.service, "service")?.map(Into::into),
        closed: params.closed,
        limit,
        offset,
    };
    let cases = state.store.list_cases(filter).await?;
    Ok(Json(CaseList { cases }))
}

async fn one<S: CaseStore>(
    _: Staff,
    State(state): State<ApiState<S>>,
    Path(number): Path<String>,
) -> Result<(HeaderMap, Json<CaseView>), CrmError> {
    let view = load(&state, &number).await?;
    Ok((etag_headers(revision_i64(view.case.revision)), Json(view)))
}

async fn history<S: CaseStore>(
    _: Staff,
    State(state): State<ApiState<S>>,
    Path(number): Path<String>,
    params: Result<Query<HistoryParams>, QueryRejection>,
) -> Result<Json<HistoryList>, CrmError> {
    let Query(params) = params.map_err(|_| {
        CrmError::InvalidArgument("bad query: the parameters are after_seq and limit (numbers)")
    })?;
    let limit = params.limit.unwrap_or(HistoryPage::DEFAULT_LIMIT);
    if limit == 0 || limit > HistoryPage::MAX_LIMIT {
        return Err(CrmError::InvalidArgument("limit must be between 1 and 500"));
    }
    if params
        .after_seq
        .is_some_and(|seq| i64::try_from(seq).is_err())
    {
        return Err(CrmError::InvalidArgument("after_seq is too large"));
    }
    let page = HistoryPage {
        after_seq: params.after_seq,
        limit,
    };
    let entries = state.store.history(case_key(&number)?, page).await?;
    Ok(Json(HistoryList { entries }))
}

async fn command<S: CaseStore + UserStore>(
    CaseWorker(principal): CaseWorker,
    State(state): State<ApiState<S>>,
    Path(number): Path<String>,
    if_match: IfMatch,
    JsonBody(RawCommand(body)): JsonBody<RawCommand>,
) -> Result<(HeaderMap, Json<CaseUpdate>), CrmError> {
    let command = parse_command(body)?;
    let kind = command.kind();
    let expected = if command.changes_state() {
        Some(if_match.required()?)
    } else {
        if_match.0
    };
    check_people(&state, &command).await?;
    let view = load(&state, &number).await?;
    let actor = acting(&principal, &view, kind)?;
    let catalogue = state.store.catalogue();
    let result = state
        .store
        .apply(
            CaseKey::Id(view.case.id),
            command,
            &actor,
            expected,
            &catalogue,
        )
        .await;
    let update = logged(result, &view.number, kind, &actor)?;
    let revision = revision_i64(update.case.case.revision);
    Ok((etag_headers(revision), Json(update)))
}

async fn attach<S: CaseStore>(
    CaseWorker(principal): CaseWorker,
    State(state): State<ApiState<S>>,
    Path(number): Path<String>,
    if_match: IfMatch,
    JsonBody(request): JsonBody<ParentRequest>,
) -> Result<(HeaderMap, Json<Attached>), CrmError> {
    // Attaching changes the child's state (a follower becomes assigned): it needs If-Match.
    let expected = if_match.required()?;
    let child = load(&state, &number).await?;
    let parent = match case_key(&request.parent) {
        Ok(key) => state.store.get_case(key).await?,
        // Not even shaped like an SR number: no case has it.
        Err(_) => None,
    }
    .ok_or(RequestError::NoSuchParent)?;
    let kind = CommandKind::AttachToParent;
    let actor = acting(&principal, &child, kind)?;
    let catalogue = state.store.catalogue();
    let result = state
        .store
        .attach_to_parent(
            CaseKey::Id(child.case.id),
            CaseKey::Id(parent.case.id),
            &actor,
            Some(expected),
            &catalogue,
        )
        .await;
    let attached = logged(result, &child.number, kind, &actor)?;
    let revision = revision_i64(attached.child.case.revision);
    Ok((etag_headers(revision), Json(attached)))
}

/// Who the person acts as on this case. [`CaseWorker`] has a case role, so there is one.
fn acting(
    principal: &Principal,
    view: &CaseView,
    kind: CommandKind,
) -> Result<service_request::Actor, CrmError> {
    principal
        .actor_for(&view.case, kind)
        .ok_or(CrmError::Forbidden)
}

/// Logs what happened to a command (codes and logins only: no personal data).
fn logged<T>(
    result: Result<T, CaseError>,
    number: &str,
    kind: CommandKind,
    actor: &service_request::Actor,
) -> Result<T, CrmError> {
    match &result {
        Ok(_) => tracing::info!(
            sr = number,
            command = kind.as_str(),
            login = %actor.id,
            role = %actor.role,
            "case command applied"
        ),
        Err(CaseError::Refused(refusal)) => tracing::info!(
            sr = number,
            command = kind.as_str(),
            login = %actor.id,
            role = %actor.role,
            rule = refusal.rule.code(),
            "case command refused"
        ),
        Err(CaseError::StaleRevision { expected, current }) => tracing::info!(
            sr = number,
            command = kind.as_str(),
            login = %actor.id,
            expected,
            current,
            "case command on a stale revision"
        ),
        Err(_) => {}
    }
    Ok(result?)
}

async fn catalogue<S: CaseStore>(
    _: Staff,
    State(state): State<ApiState<S>>,
) -> Json<CatalogueView> {
    let catalogue = state.store.catalogue();
    let profiles = Profile::ALL
        .iter()
        .map(|profile| ProfileView {
            profile: *profile,
            contact_reasons: ContactReason::ALL
                .iter()
                .copied()
                .filter(|reason| profile.allows(*reason))
                .collect(),
        })
        .collect();
    Json(CatalogueView {
        entities: catalogue.entities().to_vec(),
        units: catalogue.units().to_vec(),
        groups: catalogue.groups().to_vec(),
        services: catalogue.services().to_vec(),
        profiles,
        contact_reasons: ContactReason::ALL.to_vec(),
        communications: Communication::ALL.to_vec(),
        note_kinds: NoteKind::ALL.to_vec(),
        cancel_reasons: CancelReason::ALL.to_vec(),
        reject_reasons: RejectReason::ALL.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<Command, RequestError> {
        let Value::Object(map) = value else {
            panic!("an object")
        };
        parse_command(map)
    }

    #[test]
    fn commands_are_read_with_their_fields_and_nothing_else() {
        assert_eq!(
            parse(json!({"command": "assign", "group": "it-desk"})).unwrap(),
            Command::Assign {
                group: "it-desk".into()
            }
        );
        assert_eq!(parse(json!({"command": "lock"})).unwrap(), Command::Lock);
        assert!(matches!(
            parse(json!({"command": "suspend", "reason": "waiting"})).unwrap(),
            Command::Suspend {
                until_unix_ms: None,
                ..
            }
        ));
        for (body, expected) in [
            (
                json!({"command": "lock", "actor": "sara"}),
                "never names who acts",
            ),
            (
                json!({"command": "lock", "role": {"role": "supervisor"}}),
                "never names who acts",
            ),
            (
                json!({"command": "lock", "colour": "red"}),
                "no field \"colour\"",
            ),
            (json!({"command": "fly"}), "unknown command"),
            (json!({"command": "open"}), "unknown command"),
            (json!({"group": "x"}), "unknown command"),
            (json!({"command": "assign"}), "the fields of assign"),
            (
                json!({"command": "assign", "group": "Not A Code"}),
                "group is not a catalogue code",
            ),
            (
                json!({"command": "add_note", "kind": "gossip", "text": "x"}),
                "the fields of add_note",
            ),
        ] {
            let error = parse(body.clone()).expect_err("refused").to_string();
            assert!(error.contains(expected), "{body}: {error}");
        }
    }

    #[test]
    fn every_command_a_person_sends_has_a_shape_and_is_listed() {
        for kind in CommandKind::ALL {
            if matches!(kind, CommandKind::Open | CommandKind::AttachToParent) {
                continue;
            }
            let text = shape(*kind);
            if *kind != CommandKind::CloseWithParent {
                assert!(text.contains(&format!("\"{}\"", kind.as_str())), "{text}");
                assert!(COMMAND_NAMES.contains(kind.as_str()), "{kind}");
            }
        }
    }
}
