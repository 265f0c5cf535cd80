//! Service requests, cases, their history and commands: between the store's and the life
//! cycle's types and the messages of `centralino.crm.v1`. Wire input that cannot be a command
//! (an unspecified enum, a missing field, an oversized code) is `INVALID_ARGUMENT` naming the
//! field, before anything is looked up.

use common::Pii;
use crm_store::{CallSummary, CaseKey, CaseView, ServiceRequest, SrSummary};
use cti_proto::crm::v1 as wire;
use cti_proto::crm::v1::{case_command, history_entry};
use service_request::{
    Actor, CaseId, Change, Command, GroupCode, HistoryEntry, Role, ServiceCode, Status,
};

use crate::CrmError;
use crate::cti::state_to_proto;

/// Between a life-cycle vocabulary and its wire enum: `to_wire` for answers, `from_wire` for
/// requests (`None` for UNSPECIFIED and numbers this build does not know).
macro_rules! vocabulary {
    ($module:ident: $domain:ty => $wire:ty { $($variant:ident),+ $(,)? }) => {
        pub(crate) mod $module {
            #[allow(unused_imports)]
            use super::*;

            pub(crate) fn to_wire(value: $domain) -> i32 {
                match value {
                    $(<$domain>::$variant => <$wire>::$variant as i32,)+
                    // The vocabularies are non-exhaustive: a value added there and not here
                    // is shown as unspecified rather than as a wrong one.
                    #[allow(unreachable_patterns)]
                    _ => 0,
                }
            }

            #[allow(dead_code)]
            pub(crate) fn from_wire(raw: i32) -> Option<$domain> {
                match <$wire>::try_from(raw).ok()? {
                    $(<$wire>::$variant => Some(<$domain>::$variant),)+
                    <$wire>::Unspecified => None,
                }
            }
        }
    };
}

vocabulary!(channel: service_request::Channel => wire::Channel {
    Phone, Email, WebForm, Fax, Voicemail,
});
vocabulary!(contact_reason: service_request::ContactReason => wire::ContactReason {
    Information, InformationAboutRequest, Complaint, Grievance, Report, Reminder, Notification,
    Booking,
});
vocabulary!(communication: service_request::Communication => wire::Communication {
    Communicated, NotCommunicated, ToCommunicate, NotCommunicable,
});
vocabulary!(note_kind: service_request::NoteKind => wire::NoteKind {
    InternalNote, CallMade, CallReceived, OutgoingMail,
});
vocabulary!(cancel_reason: service_request::CancelReason => wire::CancelReason {
    NotOurCompetence, ContactAbandoned, OpenedInError, WithdrawnByCitizen,
});
vocabulary!(reject_reason: service_request::RejectReason => wire::RejectReason {
    AmbiguousCompetence, MissingKnowledge, OperatorError,
});
vocabulary!(link_kind: service_request::LinkKind => wire::LinkKind {
    Reminder, Notification, Duplicate, InformationAbout,
});
vocabulary!(outcome: service_request::Outcome => wire::Outcome { Success, WithoutSuccess });

fn opt_outcome(value: Option<service_request::Outcome>) -> i32 {
    value.map_or(0, outcome::to_wire)
}

fn wire_enum<T>(value: Option<T>, to_wire: impl Fn(T) -> i32) -> i32 {
    value.map_or(0, to_wire)
}

/// Longest SR number accepted in a key (real ones are about 14 bytes).
const NUMBER_LEN: usize = 64;
/// Longest engine call ID (the CTI's limit).
const CALL_ID_LEN: usize = crm_store::limits::ID_LEN;

/// Which case a request names.
pub(crate) fn case_key(
    key: Option<wire::CaseKey>,
    field: &'static str,
) -> Result<CaseKey, CrmError> {
    match key.and_then(|k| k.key) {
        Some(wire::case_key::Key::Number(number))
            if !number.is_empty() && number.len() <= NUMBER_LEN =>
        {
            Ok(CaseKey::Number(number))
        }
        Some(wire::case_key::Key::Id(id)) => Ok(CaseKey::Id(CaseId(id))),
        _ => Err(CrmError::InvalidArgument(field)),
    }
}

/// An SR number or call ID within its limits.
pub(crate) fn check_lookup(value: &str, number: bool) -> Result<(), CrmError> {
    let (max, what) = if number {
        (NUMBER_LEN, "number is empty or longer than 64 bytes")
    } else {
        (CALL_ID_LEN, "call_id is empty or longer than 256 bytes")
    };
    if value.is_empty() || value.len() > max {
        return Err(CrmError::InvalidArgument(what));
    }
    Ok(())
}

/// The state filter of an SR list: `None` for UNSPECIFIED (any state).
pub(crate) fn state_filter(raw: i32) -> Result<Option<service_request::State>, CrmError> {
    use cti_proto::ServiceRequestState as W;
    use service_request::State;
    let state = match W::try_from(raw) {
        Ok(W::Unspecified) => return Ok(None),
        Ok(W::Open) => State::Open,
        Ok(W::ResolvedFirstLevel) => State::ResolvedFirstLevel,
        Ok(W::ResolvedSecondLevel) => State::ResolvedSecondLevel,
        Ok(W::Assigned) => State::Assigned,
        Ok(W::Transferred) => State::Transferred,
        Ok(W::AssignedResolved) => State::AssignedResolved,
        Ok(W::Cancelled) => State::Cancelled,
        Ok(W::NotResolvable) => State::NotResolvable,
        Ok(W::Rejected) => State::Rejected,
        Ok(W::Suspended) => State::Suspended,
        Err(_) => return Err(CrmError::InvalidArgument("state is unknown")),
    };
    Ok(Some(state))
}

/// A service request with its call record.
pub(crate) fn service_request(sr: ServiceRequest) -> wire::ServiceRequest {
    let has_call = !sr.call_id.is_empty();
    let c = sr.call;
    let call = has_call.then(|| wire::CallRecord {
        sip_call_id: c.sip_call_id,
        caller_number: c.caller_number.into_inner(),
        caller_number_e164: c.caller_number_e164.map(Pii::into_inner),
        dialled_number: c.dialled_number,
        customer_id: c.customer.map(Pii::into_inner),
        ivr_data: c
            .ivr_data
            .into_iter()
            .map(|(key, value)| cti_proto::IvrDatum { key, value })
            .collect(),
        queue: c.queue,
        agent_id: c.agent_id,
        offered_agent_id: c.offered_agent_id,
        outcome: wire_enum(c.outcome, |o| cti_proto::CallOutcome::from(o) as i32),
        end_reason: wire_enum(c.end_reason, |r| cti_proto::EndReason::from(r) as i32),
        stage: wire_enum(c.stage, |s| cti_proto::CallStage::from(s) as i32),
        started_at_unix_ms: c.started_at_unix_ms,
        offered_at_unix_ms: c.offered_at_unix_ms,
        answered_at_unix_ms: c.answered_at_unix_ms,
        ended_at_unix_ms: c.ended_at_unix_ms,
        waited_ms: c.waited_ms,
        talk_ms: c.talk_ms,
    });
    wire::ServiceRequest {
        id: sr.id,
        number: sr.number,
        state: state_to_proto(sr.state).into(),
        call_id: has_call.then_some(sr.call_id),
        channel: sr.channel,
        service_area: sr.service_area,
        category: sr.category,
        request_type: sr.request_type,
        created_at_unix_ms: sr.created_at_unix_ms,
        updated_at_unix_ms: sr.updated_at_unix_ms,
        call,
    }
}

/// The SR of a case view: a case carries a summary of its call (no SIP Call-ID, no offers).
fn summary_request(
    number: &str,
    state: service_request::State,
    sr: SrSummary,
    call: Option<CallSummary>,
) -> wire::ServiceRequest {
    wire::ServiceRequest {
        id: sr.id,
        number: number.to_owned(),
        state: state_to_proto(state).into(),
        call_id: sr.call_id,
        channel: sr.channel,
        service_area: sr.service_area,
        category: sr.category,
        request_type: sr.request_type,
        created_at_unix_ms: sr.created_at_unix_ms,
        updated_at_unix_ms: sr.updated_at_unix_ms,
        call: call.map(|c| wire::CallRecord {
            sip_call_id: None,
            caller_number: c.caller_number.into_inner(),
            caller_number_e164: c.caller_number_e164.map(Pii::into_inner),
            dialled_number: c.dialled_number,
            customer_id: c.customer.map(Pii::into_inner),
            ivr_data: c
                .ivr_data
                .into_iter()
                .map(|d| cti_proto::IvrDatum::new(d.key, d.value))
                .collect(),
            queue: c.queue,
            agent_id: c.agent_id,
            offered_agent_id: None,
            outcome: wire_enum(c.outcome, |o| cti_proto::CallOutcome::from(o) as i32),
            end_reason: wire_enum(c.end_reason, |r| cti_proto::EndReason::from(r) as i32),
            stage: wire_enum(c.stage, |s| cti_proto::CallStage::from(s) as i32),
            started_at_unix_ms: c.started_at_unix_ms,
            offered_at_unix_ms: None,
            answered_at_unix_ms: c.answered_at_unix_ms,
            ended_at_unix_ms: c.ended_at_unix_ms,
            waited_ms: c.waited_ms,
            talk_ms: c.talk_ms,
        }),
    }
}

pub(crate) fn status(status: &Status) -> wire::CaseStatus {
    let mut out = wire::CaseStatus {
        state: state_to_proto(status.state()).into(),
        communication: wire_enum(status.communication(), communication::to_wire),
        ..Default::default()
    };
    match status {
        Status::Cancelled { reason } => out.cancel_reason = cancel_reason::to_wire(*reason),
        Status::Rejected(rejection) => {
            out.reject_reason = reject_reason::to_wire(rejection.reason);
            out.detail = Some(rejection.detail.expose().clone());
        }
        Status::Suspended(suspension) => {
            out.detail = Some(suspension.reason.expose().clone());
            out.suspended_until_unix_ms = suspension.until_unix_ms;
        }
        _ => {}
    }
    out
}

pub(crate) fn case(view: CaseView) -> wire::Case {
    let c = view.case;
    wire::Case {
        id: c.id.0,
        number: view.number.clone(),
        revision: c.revision,
        status: Some(status(&c.status)),
        closed: view.closed,
        outcome: opt_outcome(view.outcome),
        channel: channel::to_wire(c.channel),
        queue: c.queue.0,
        first_level_queue: c.first_level_queue.0,
        service: c.service.map(|s| s.0),
        contact_reason: wire_enum(c.contact_reason, contact_reason::to_wire),
        owner: c.owner.map(|o| o.0),
        responsible: c.responsible.map(|r| r.0),
        lock: c.lock.map(|l| wire::CaseLock {
            holder: l.holder.0,
            since_unix_ms: l.since_unix_ms,
        }),
        parent: c.parent.map(|p| wire::CaseLink {
            case_id: p.parent.0,
            kind: link_kind::to_wire(p.kind),
        }),
        children: c
            .children
            .iter()
            .map(|child| wire::CaseLink {
                case_id: child.child.0,
                kind: link_kind::to_wire(child.kind),
            })
            .collect(),
        satisfaction: c.satisfaction.map(u32::from),
        caller_number: c.caller_number.map(Pii::into_inner),
        customer: c.customer.map(Pii::into_inner),
        opened_at_unix_ms: c.opened_at_unix_ms,
        updated_at_unix_ms: c.updated_at_unix_ms,
        service_request: Some(summary_request(
            &view.number,
            c.status.state(),
            view.service_request,
            view.call,
        )),
    }
}

pub(crate) fn actor(actor: &Actor) -> wire::Actor {
    let (role, group) = match &actor.role {
        Role::FirstLevel => (wire::CaseRole::FirstLevel, None),
        Role::SecondLevel(group) => (wire::CaseRole::SecondLevel, Some(group.0.clone())),
        Role::Rejections => (wire::CaseRole::Rejections, None),
        Role::Supervisor => (wire::CaseRole::Supervisor, None),
        Role::System => (wire::CaseRole::System, None),
        #[allow(unreachable_patterns)]
        _ => (wire::CaseRole::Unspecified, None),
    };
    wire::Actor {
        login: actor.id.0.clone(),
        role: role.into(),
        group,
    }
}

/// The role an `ActAs` names; `None` when it names none.
pub(crate) fn act_as(act_as: Option<wire::ActAs>) -> Result<Option<Role>, CrmError> {
    let Some(act_as) = act_as else {
        return Ok(None);
    };
    let role = match (wire::CaseRole::try_from(act_as.role), act_as.group) {
        (Ok(wire::CaseRole::FirstLevel), None) => Role::FirstLevel,
        (Ok(wire::CaseRole::SecondLevel), Some(group)) => Role::SecondLevel(GroupCode(group)),
        (Ok(wire::CaseRole::Rejections), None) => Role::Rejections,
        (Ok(wire::CaseRole::Supervisor), None) => Role::Supervisor,
        _ => {
            return Err(CrmError::InvalidArgument(
                "act_as is a case role of a person, with a group for second level only",
            ));
        }
    };
    Ok(Some(role))
}

fn code_change<T: AsRef<str>>(from: &Option<T>, to: &Option<T>) -> history_entry::CodeChange {
    history_entry::CodeChange {
        from: from.as_ref().map(|v| v.as_ref().to_owned()),
        to: to.as_ref().map(|v| v.as_ref().to_owned()),
    }
}

pub(crate) fn history_entry(entry: HistoryEntry) -> wire::HistoryEntry {
    use history_entry::Change as W;
    let mut other_change = String::new();
    let change = match entry.change {
        Change::Opened {
            channel: ch,
            queue,
            caller_number,
            customer,
        } => Some(W::Opened(history_entry::Opened {
            channel: channel::to_wire(ch),
            queue: queue.0,
            caller_number: caller_number.map(Pii::into_inner),
            customer: customer.map(Pii::into_inner),
        })),
        Change::ServiceChanged { from, to } => Some(W::ServiceChanged(code_change(
            &from.map(|s| s.0),
            &to.map(|s| s.0),
        ))),
        Change::ContactReasonChanged { from, to } => Some(W::ContactReasonChanged(
            history_entry::ContactReasonChange {
                from: wire_enum(from, contact_reason::to_wire),
                to: wire_enum(to, contact_reason::to_wire),
            },
        )),
        Change::StatusChanged { from, to } => Some(W::StatusChanged(history_entry::StatusChange {
            from: Some(status(&from)),
            to: Some(status(&to)),
        })),
        Change::QueueChanged { from, to } => Some(W::QueueChanged(history_entry::CodeChange {
            from: Some(from.0),
            to: Some(to.0),
        })),
        Change::OwnerChanged { from, to } => Some(W::OwnerChanged(code_change(
            &from.map(|a| a.0),
            &to.map(|a| a.0),
        ))),
        Change::ResponsibleChanged { from, to } => Some(W::ResponsibleChanged(code_change(
            &from.map(|a| a.0),
            &to.map(|a| a.0),
        ))),
        Change::LockChanged { from, to } => Some(W::LockChanged(code_change(
            &from.map(|a| a.0),
            &to.map(|a| a.0),
        ))),
        Change::NoteAdded { kind, text } => Some(W::NoteAdded(history_entry::NoteAdded {
            kind: note_kind::to_wire(kind),
            text: text.into_inner(),
        })),
        Change::ParentLinked { parent, kind } => Some(W::ParentLinked(wire::CaseLink {
            case_id: parent.0,
            kind: link_kind::to_wire(kind),
        })),
        Change::ChildLinked { child, kind } => Some(W::ChildLinked(wire::CaseLink {
            case_id: child.0,
            kind: link_kind::to_wire(kind),
        })),
        Change::SatisfactionRecorded { score } => Some(W::SatisfactionRecorded(u32::from(score))),
        other => {
            other_change = other.name().to_owned();
            None
        }
    };
    wire::HistoryEntry {
        case_id: entry.case.0,
        seq: entry.seq,
        at_unix_ms: entry.at_unix_ms,
        actor: Some(actor(&entry.actor)),
        change,
        other_change,
    }
}

pub(crate) fn case_update(update: crm_store::CaseUpdate) -> wire::CaseUpdate {
    wire::CaseUpdate {
        case: Some(case(update.case)),
        appended: update.appended.into_iter().map(history_entry).collect(),
        closed: opt_outcome(update.closed),
        closed_children: update.closed_children.iter().map(|id| id.0).collect(),
    }
}

/// A catalogue code of a command (group, service, queue): the life cycle refuses unknown
/// ones; here only its size is bounded.
fn code(value: String, what: &'static str) -> Result<String, CrmError> {
    if value.is_empty() || value.len() > service_request::MAX_CODE_LEN {
        return Err(CrmError::InvalidArgument(what));
    }
    Ok(value)
}

fn group(value: String) -> Result<GroupCode, CrmError> {
    code(value, "group is empty or longer than 64 bytes").map(GroupCode)
}

/// A login named by a command (owner, responsible).
fn login(value: Option<String>) -> Result<Option<service_request::ActorId>, CrmError> {
    value
        .map(|v| code(v, "a login is empty or longer than 64 bytes").map(service_request::ActorId))
        .transpose()
}

fn text(value: String, what: &'static str) -> Result<Pii<String>, CrmError> {
    // The life cycle refuses empty text with its rule; the bound keeps the message sane.
    if value.len() > service_request::MAX_TEXT_LEN {
        return Err(CrmError::InvalidArgument(what));
    }
    Ok(Pii::new(value))
}

fn known<T>(value: Option<T>, what: &'static str) -> Result<T, CrmError> {
    value.ok_or(CrmError::InvalidArgument(what))
}

/// A note command.
pub(crate) fn note(kind: i32, note_text: String) -> Result<Command, CrmError> {
    Ok(Command::AddNote {
        kind: known(
            note_kind::from_wire(kind),
            "note kind is unspecified or unknown",
        )?,
        text: text(note_text, "note text is longer than 8192 bytes")?,
    })
}

/// A wire command as a life-cycle command. `CloseWithParent` is the platform's and has no
/// wire form.
pub(crate) fn command(command: Option<wire::CaseCommand>) -> Result<Command, CrmError> {
    use case_command::Command as W;
    let communication_of = |raw| {
        known(
            communication::from_wire(raw),
            "communication is unspecified or unknown",
        )
    };
    let Some(command) = command.and_then(|c| c.command) else {
        return Err(CrmError::InvalidArgument("command is missing"));
    };
    Ok(match command {
        W::Classify(c) => Command::Classify {
            service: ServiceCode(code(c.service, "service is empty or longer than 64 bytes")?),
            reason: known(
                contact_reason::from_wire(c.reason),
                "contact reason is unspecified or unknown",
            )?,
        },
        W::ResolveFirstLevel(c) => Command::ResolveFirstLevel {
            communication: communication_of(c.communication)?,
        },
        W::TransferLive(c) => Command::TransferLive {
            group: group(c.group)?,
        },
        W::Assign(c) => Command::Assign {
            group: group(c.group)?,
        },
        W::ReportForInformation(c) => Command::ReportForInformation {
            group: group(c.group)?,
        },
        W::RecordNotResolvable(c) => Command::RecordNotResolvable {
            report_to: group(c.report_to)?,
        },
        W::ResolveSecondLevel(c) => Command::ResolveSecondLevel {
            communication: communication_of(c.communication)?,
        },
        W::RecordCommunication(c) => Command::RecordCommunication {
            communication: communication_of(c.communication)?,
        },
        W::Suspend(c) => Command::Suspend {
            reason: text(c.reason, "suspension reason is longer than 8192 bytes")?,
            until_unix_ms: c.until_unix_ms,
        },
        W::Resume(_) => Command::Resume,
        W::Reject(c) => Command::Reject {
            reason: known(
                reject_reason::from_wire(c.reason),
                "reject reason is unspecified or unknown",
            )?,
            detail: text(c.detail, "reject detail is longer than 8192 bytes")?,
        },
        W::Reassign(c) => Command::Reassign {
            group: group(c.group)?,
            service: c
                .service
                .map(|s| code(s, "service is empty or longer than 64 bytes").map(ServiceCode))
                .transpose()?,
        },
        W::Cancel(c) => Command::Cancel {
            reason: known(
                cancel_reason::from_wire(c.reason),
                "cancel reason is unspecified or unknown",
            )?,
        },
        W::Lock(_) => Command::Lock,
        W::Release(_) => Command::Release,
        W::SetOwner(c) => Command::SetOwner {
            owner: login(c.owner)?,
        },
        W::SetResponsible(c) => Command::SetResponsible {
            responsible: login(c.responsible)?,
        },
        W::Move(c) => Command::Move {
            queue: group(c.queue)?,
        },
        W::AddNote(c) => note(c.kind, c.text)?,
        W::RecordSatisfaction(c) => Command::RecordSatisfaction {
            // Out of u8's range is out of 1..=5 too: the life cycle names the rule.
            score: u8::try_from(c.score).unwrap_or(u8::MAX),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vocabulary_value_has_a_wire_value_and_back() {
        for value in service_request::ContactReason::ALL {
            assert_eq!(
                contact_reason::from_wire(contact_reason::to_wire(*value)),
                Some(*value)
            );
        }
        for value in service_request::Communication::ALL {
            assert_eq!(
                communication::from_wire(communication::to_wire(*value)),
                Some(*value)
            );
        }
        for value in service_request::NoteKind::ALL {
            assert_eq!(
                note_kind::from_wire(note_kind::to_wire(*value)),
                Some(*value)
            );
        }
        for value in service_request::CancelReason::ALL {
            assert_eq!(
                cancel_reason::from_wire(cancel_reason::to_wire(*value)),
                Some(*value)
            );
        }
        for value in service_request::RejectReason::ALL {
            assert_eq!(
                reject_reason::from_wire(reject_reason::to_wire(*value)),
                Some(*value)
            );
        }
        for value in service_request::Channel::ALL {
            assert_ne!(channel::to_wire(*value), 0);
        }
        for value in service_request::LinkKind::ALL {
            assert_ne!(link_kind::to_wire(*value), 0);
        }
        assert_eq!(contact_reason::from_wire(0), None);
        assert_eq!(contact_reason::from_wire(99), None);
    }

    #[test]
    fn commands_need_their_fields() {
        let lock = wire::CaseCommand {
            command: Some(case_command::Command::Lock(case_command::Lock {})),
        };
        assert_eq!(command(Some(lock)).unwrap(), Command::Lock);
        assert!(command(None).is_err());
        let unclassified = wire::CaseCommand {
            command: Some(case_command::Command::Classify(case_command::Classify {
                service: "competitions".into(),
                reason: 0,
            })),
        };
        assert!(matches!(
            command(Some(unclassified)),
            Err(CrmError::InvalidArgument(_))
        ));
        let long_group = wire::CaseCommand {
            command: Some(case_command::Command::Assign(case_command::Assign {
                group: "g".repeat(65),
            })),
        };
        assert!(command(Some(long_group)).is_err());
        assert!(note(1, "x".repeat(8193)).is_err());
        assert!(case_key(None, "case is missing").is_err());
        assert_eq!(
            act_as(Some(wire::ActAs {
                role: wire::CaseRole::SecondLevel.into(),
                group: Some("it-desk".into()),
            }))
            .unwrap(),
            Some(Role::SecondLevel("it-desk".into()))
        );
        assert!(
            act_as(Some(wire::ActAs {
                role: wire::CaseRole::System.into(),
                group: None
            }))
            .is_err()
        );
    }
}
