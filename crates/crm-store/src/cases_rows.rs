//! A case and its history entries as rows of `cases`, `case_links` and `case_history`, both
//! ways. Plain functions: the SQL that moves the rows is in `cases_sql.rs`.

use common::Pii;
use service_request::{
    Actor, ActorId, CancelReason, Case, CaseId, Change, ChildLink, Communication, ContactReason,
    HistoryEntry, LinkKind, Lock, ParentLink, RejectReason, Rejection, Role, State, Status,
    Suspension,
};
use sqlx::types::Json;

use crate::StoreError;

/// The columns of `cases`, aliased `k_*` so that they sit beside the SR's in one row.
macro_rules! case_columns {
    () => {
        "k.sr_id AS k_sr_id, k.channel AS k_channel, k.caller_number AS k_caller_number, \
         k.customer AS k_customer, k.opened_at_unix_ms AS k_opened_at_unix_ms, \
         k.updated_at_unix_ms AS k_updated_at_unix_ms, k.revision AS k_revision, \
         k.state AS k_state, k.communication AS k_communication, \
         k.cancel_reason AS k_cancel_reason, k.reject_reason AS k_reject_reason, \
         k.reject_detail AS k_reject_detail, k.suspend_reason AS k_suspend_reason, \
         k.suspended_until_unix_ms AS k_suspended_until_unix_ms, k.queue AS k_queue, \
         k.first_level_queue AS k_first_level_queue, k.service AS k_service, \
         k.contact_reason AS k_contact_reason, k.owner AS k_owner, \
         k.responsible AS k_responsible, k.lock_holder AS k_lock_holder, \
         k.locked_since_unix_ms AS k_locked_since_unix_ms, k.satisfaction AS k_satisfaction"
    };
}
pub(crate) use case_columns;

/// One row of `cases`, as both databases return it.
#[derive(sqlx::FromRow)]
pub(crate) struct CaseRow {
    k_sr_id: i64,
    k_channel: String,
    k_caller_number: Option<String>,
    k_customer: Option<String>,
    k_opened_at_unix_ms: i64,
    k_updated_at_unix_ms: i64,
    k_revision: i64,
    k_state: String,
    k_communication: Option<String>,
    k_cancel_reason: Option<String>,
    k_reject_reason: Option<String>,
    k_reject_detail: Option<String>,
    k_suspend_reason: Option<String>,
    k_suspended_until_unix_ms: Option<i64>,
    k_queue: String,
    k_first_level_queue: String,
    k_service: Option<String>,
    k_contact_reason: Option<String>,
    k_owner: Option<String>,
    k_responsible: Option<String>,
    k_lock_holder: Option<String>,
    k_locked_since_unix_ms: Option<i64>,
    k_satisfaction: Option<i32>,
}

/// One row of `case_links`.
#[derive(sqlx::FromRow)]
pub(crate) struct LinkRow {
    pub(crate) child_id: i64,
    pub(crate) parent_id: i64,
    pub(crate) kind: String,
}

fn corrupt(column: &'static str, value: impl Into<String>) -> StoreError {
    StoreError::CorruptRow {
        column,
        value: value.into(),
    }
}

/// A stable name read back into its type.
fn named<T>(
    column: &'static str,
    name: &str,
    from_name: fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    from_name(name).ok_or_else(|| corrupt(column, name))
}

fn required<T>(column: &'static str, value: Option<T>) -> Result<T, StoreError> {
    value.ok_or_else(|| corrupt(column, "NULL"))
}

impl CaseRow {
    pub(crate) fn id(&self) -> i64 {
        self.k_sr_id
    }

    /// The case, with the links (of either side) that name it, parents' children in the
    /// order given.
    pub(crate) fn into_case(self, links: &[LinkRow]) -> Result<Case, StoreError> {
        let id = self.k_sr_id;
        let link_kind = |kind: &str| named("case_links.kind", kind, LinkKind::from_name);
        let mut parent = None;
        let mut children = Vec::new();
        for link in links {
            if link.child_id == id {
                parent = Some(ParentLink {
                    parent: CaseId(link.parent_id),
                    kind: link_kind(&link.kind)?,
                });
            } else if link.parent_id == id {
                children.push(ChildLink {
                    child: CaseId(link.child_id),
                    kind: link_kind(&link.kind)?,
                });
            }
        }
        let status = self.status()?;
        let lock = match (self.k_lock_holder, self.k_locked_since_unix_ms) {
            (Some(holder), Some(since_unix_ms)) => Some(Lock {
                holder: holder.into(),
                since_unix_ms,
            }),
            (None, None) => None,
            _ => return Err(corrupt("locked_since_unix_ms", "a lock without its holder")),
        };
        let satisfaction = self
            .k_satisfaction
            .map(|score| {
                u8::try_from(score).map_err(|_| corrupt("satisfaction", score.to_string()))
            })
            .transpose()?;
        Ok(Case {
            id: CaseId(id),
            channel: named(
                "channel",
                &self.k_channel,
                service_request::Channel::from_name,
            )?,
            caller_number: self.k_caller_number.map(Pii::new),
            customer: self.k_customer.map(Pii::new),
            opened_at_unix_ms: self.k_opened_at_unix_ms,
            updated_at_unix_ms: self.k_updated_at_unix_ms,
            revision: u64::try_from(self.k_revision)
                .map_err(|_| corrupt("revision", self.k_revision.to_string()))?,
            status,
            queue: self.k_queue.into(),
            first_level_queue: self.k_first_level_queue.into(),
            service: self.k_service.map(Into::into),
            contact_reason: self
                .k_contact_reason
                .map(|r| named("contact_reason", &r, ContactReason::from_name))
                .transpose()?,
            owner: self.k_owner.map(Into::into),
            responsible: self.k_responsible.map(Into::into),
            lock,
            parent,
            children,
            satisfaction,
        })
    }

    fn status(&self) -> Result<Status, StoreError> {
        let communication = || {
            let name = required("communication", self.k_communication.as_deref())?;
            named("communication", name, Communication::from_name)
        };
        let state = named("state", &self.k_state, State::from_name)?;
        Ok(match state {
            State::Open => Status::Open,
            State::ResolvedFirstLevel => Status::ResolvedFirstLevel {
                communication: communication()?,
            },
            State::ResolvedSecondLevel => Status::ResolvedSecondLevel {
                communication: communication()?,
            },
            State::Assigned => Status::Assigned,
            State::Transferred => Status::Transferred,
            State::AssignedResolved => Status::AssignedResolved,
            State::Cancelled => Status::Cancelled {
                reason: named(
                    "cancel_reason",
                    required("cancel_reason", self.k_cancel_reason.as_deref())?,
                    CancelReason::from_name,
                )?,
            },
            State::NotResolvable => Status::NotResolvable,
            State::Rejected => Status::Rejected(Rejection {
                reason: named(
                    "reject_reason",
                    required("reject_reason", self.k_reject_reason.as_deref())?,
                    RejectReason::from_name,
                )?,
                detail: Pii::new(required("reject_detail", self.k_reject_detail.clone())?),
            }),
            State::Suspended => Status::Suspended(Suspension {
                reason: Pii::new(required("suspend_reason", self.k_suspend_reason.clone())?),
                until_unix_ms: self.k_suspended_until_unix_ms,
            }),
            // A state this store version cannot hold: the CHECK constraint keeps it out.
            other => return Err(corrupt("state", other.as_str())),
        })
    }
}

/// The values of a `cases` row, in the order of the `$1..$24` of `INSERT_CASE` and
/// `UPDATE_CASE` (see `cases_sql.rs`).
pub(crate) struct CaseColumns {
    pub(crate) sr_id: i64,
    pub(crate) channel: &'static str,
    pub(crate) caller_number: Option<String>,
    pub(crate) customer: Option<String>,
    pub(crate) opened_at_unix_ms: i64,
    pub(crate) updated_at_unix_ms: i64,
    pub(crate) revision: i64,
    pub(crate) state: &'static str,
    pub(crate) communication: Option<&'static str>,
    pub(crate) cancel_reason: Option<&'static str>,
    pub(crate) reject_reason: Option<&'static str>,
    pub(crate) reject_detail: Option<String>,
    pub(crate) suspend_reason: Option<String>,
    pub(crate) suspended_until_unix_ms: Option<i64>,
    pub(crate) outcome: Option<&'static str>,
    pub(crate) queue: String,
    pub(crate) first_level_queue: String,
    pub(crate) service: Option<String>,
    pub(crate) contact_reason: Option<&'static str>,
    pub(crate) owner: Option<String>,
    pub(crate) responsible: Option<String>,
    pub(crate) lock_holder: Option<String>,
    pub(crate) locked_since_unix_ms: Option<i64>,
    pub(crate) satisfaction: Option<i32>,
}

/// Revisions and sequence numbers are `u64` in the crate and `BIGINT` in the databases; a
/// case would need 2^63 changes to tell the difference.
pub(crate) fn to_i64(value: u64, what: &'static str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| corrupt(what, value.to_string()))
}

impl CaseColumns {
    pub(crate) fn of(case: &Case) -> Result<Self, StoreError> {
        let (mut cancel_reason, mut reject_reason, mut reject_detail) = (None, None, None);
        let (mut suspend_reason, mut suspended_until_unix_ms) = (None, None);
        match &case.status {
            Status::Cancelled { reason } => cancel_reason = Some(reason.as_str()),
            Status::Rejected(rejection) => {
                reject_reason = Some(rejection.reason.as_str());
                reject_detail = Some(rejection.detail.expose().clone());
            }
            Status::Suspended(suspension) => {
                suspend_reason = Some(suspension.reason.expose().clone());
                suspended_until_unix_ms = suspension.until_unix_ms;
            }
            _ => {}
        }
        let text = |value: &Option<Pii<String>>| value.as_ref().map(|v| v.expose().clone());
        let login = |value: &Option<ActorId>| value.as_ref().map(|v| v.0.clone());
        Ok(Self {
            sr_id: case.id.0,
            channel: case.channel.as_str(),
            caller_number: text(&case.caller_number),
            customer: text(&case.customer),
            opened_at_unix_ms: case.opened_at_unix_ms,
            updated_at_unix_ms: case.updated_at_unix_ms,
            revision: to_i64(case.revision, "revision")?,
            state: case.status.state().as_str(),
            communication: case.status.communication().map(Communication::as_str),
            cancel_reason,
            reject_reason,
            reject_detail,
            suspend_reason,
            suspended_until_unix_ms,
            outcome: case.status.outcome().map(|o| o.as_str()),
            queue: case.queue.0.clone(),
            first_level_queue: case.first_level_queue.0.clone(),
            service: case.service.as_ref().map(|s| s.0.clone()),
            contact_reason: case.contact_reason.map(ContactReason::as_str),
            owner: login(&case.owner),
            responsible: login(&case.responsible),
            lock_holder: case.lock.as_ref().map(|l| l.holder.0.clone()),
            locked_since_unix_ms: case.lock.as_ref().map(|l| l.since_unix_ms),
            satisfaction: case.satisfaction.map(i32::from),
        })
    }
}

/// One row of `case_history`, as both databases return it.
#[derive(sqlx::FromRow)]
pub(crate) struct HistoryRow {
    pub(crate) sr_id: i64,
    pub(crate) seq: i64,
    pub(crate) at_unix_ms: i64,
    pub(crate) actor_id: String,
    pub(crate) actor_role: String,
    pub(crate) actor_group: Option<String>,
    pub(crate) change: Json<Change>,
}

impl TryFrom<HistoryRow> for HistoryEntry {
    type Error = StoreError;

    fn try_from(row: HistoryRow) -> Result<Self, StoreError> {
        let role = Role::from_parts(&row.actor_role, row.actor_group.map(Into::into))
            .ok_or_else(|| corrupt("actor_role", row.actor_role.clone()))?;
        Ok(HistoryEntry {
            case: CaseId(row.sr_id),
            seq: u64::try_from(row.seq).map_err(|_| corrupt("seq", row.seq.to_string()))?,
            at_unix_ms: row.at_unix_ms,
            actor: Actor::new(row.actor_id, role),
            change: row.change.0,
        })
    }
}

/// The old and the new value of a change in words, for the `old_value` and `new_value`
/// columns. Free text (notes, reasons, details, the caller) stays in the JSON only.
pub(crate) fn old_and_new(change: &Change) -> (Option<String>, Option<String>) {
    fn code<T: std::fmt::Display>(value: &Option<T>) -> Option<String> {
        value.as_ref().map(ToString::to_string)
    }
    match change {
        Change::Opened { queue, .. } => (None, Some(queue.0.clone())),
        Change::ServiceChanged { from, to } => (code(from), code(to)),
        Change::ContactReasonChanged { from, to } => (code(from), code(to)),
        Change::StatusChanged { from, to } => (
            Some(from.state().as_str().to_owned()),
            Some(to.state().as_str().to_owned()),
        ),
        Change::QueueChanged { from, to } => (Some(from.0.clone()), Some(to.0.clone())),
        Change::OwnerChanged { from, to }
        | Change::ResponsibleChanged { from, to }
        | Change::LockChanged { from, to } => (code(from), code(to)),
        Change::NoteAdded { kind, .. } => (None, Some(kind.as_str().to_owned())),
        Change::ParentLinked { parent, .. } => (None, Some(parent.0.to_string())),
        Change::ChildLinked { child, .. } => (None, Some(child.0.to_string())),
        Change::SatisfactionRecorded { score } => (None, Some(score.to_string())),
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use service_request::{NoteKind, Outcome};

    #[test]
    fn notes_and_reasons_stay_out_of_the_searchable_columns() {
        let note = Change::NoteAdded {
            kind: NoteKind::CallMade,
            text: Pii::new("rang Mrs Rossi at 0551234567".into()),
        };
        assert_eq!(old_and_new(&note), (None, Some("call_made".into())));
        let suspended = Change::StatusChanged {
            from: Status::Assigned,
            to: Status::Suspended(Suspension {
                reason: Pii::new("waiting for Mrs Rossi".into()),
                until_unix_ms: None,
            }),
        };
        assert_eq!(
            old_and_new(&suspended),
            (Some("assigned".into()), Some("suspended".into()))
        );
    }

    #[test]
    fn every_status_has_its_columns() {
        let mut case = Case::replay(&[HistoryEntry {
            case: CaseId(7),
            seq: 0,
            at_unix_ms: 5,
            actor: Actor::system(),
            change: Change::Opened {
                channel: service_request::Channel::Email,
                queue: "intake".into(),
                caller_number: None,
                customer: None,
            },
        }])
        .expect("an opening replays");
        case.status = Status::ResolvedSecondLevel {
            communication: Communication::NotCommunicable,
        };
        let columns = CaseColumns::of(&case).expect("columns");
        assert_eq!(columns.state, "resolved_second_level");
        assert_eq!(columns.communication, Some("not_communicable"));
        assert_eq!(columns.outcome, Some(Outcome::WithoutSuccess.as_str()));
        assert_eq!(columns.cancel_reason, None);
    }
}
