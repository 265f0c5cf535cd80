//! The history of a case: who changed what, when, from what to what.
//!
//! A case is exactly the fold of its history. Commands never edit a case directly: they
//! record [`Change`]s through one function, `Case::fold`, which [`Case::replay`] uses too. So
//! the history cannot miss a change, and a store can rebuild (or check) any case from its
//! history rows.

use common::Pii;
use serde::{Deserialize, Serialize};

use crate::case::{Case, ChildLink, Lock, ParentLink};
use crate::ids::{Actor, ActorId, CaseId, GroupCode, Role, ServiceCode};
use crate::states::{Desk, Status};
use crate::vocab::{Channel, ContactReason, LinkKind, NoteKind};

/// One change of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub case: CaseId,
    /// Position in the case's history, from 0; equals the case's revision before the change.
    pub seq: u64,
    pub at_unix_ms: i64,
    pub actor: Actor,
    pub change: Change,
}

/// What changed, old value to new.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Change {
    /// The case was created, in `queue` (a first-level queue).
    Opened {
        channel: Channel,
        queue: GroupCode,
        caller_number: Option<Pii<String>>,
        customer: Option<Pii<String>>,
    },
    ServiceChanged {
        from: Option<ServiceCode>,
        to: Option<ServiceCode>,
    },
    ContactReasonChanged {
        from: Option<ContactReason>,
        to: Option<ContactReason>,
    },
    StatusChanged {
        from: Status,
        to: Status,
    },
    QueueChanged {
        from: GroupCode,
        to: GroupCode,
    },
    OwnerChanged {
        from: Option<ActorId>,
        to: Option<ActorId>,
    },
    ResponsibleChanged {
        from: Option<ActorId>,
        to: Option<ActorId>,
    },
    /// Locked (`to` is the holder), released (`to` is `None`).
    LockChanged {
        from: Option<ActorId>,
        to: Option<ActorId>,
    },
    NoteAdded {
        kind: NoteKind,
        text: Pii<String>,
    },
    /// This case was attached to a parent.
    ParentLinked {
        parent: CaseId,
        kind: LinkKind,
    },
    /// A child was attached to this case.
    ChildLinked {
        child: CaseId,
        kind: LinkKind,
    },
    SatisfactionRecorded {
        score: u8,
    },
}

impl Change {
    /// The stable name of the change, for a `kind` column.
    pub fn name(&self) -> &'static str {
        match self {
            Change::Opened { .. } => "opened",
            Change::ServiceChanged { .. } => "service_changed",
            Change::ContactReasonChanged { .. } => "contact_reason_changed",
            Change::StatusChanged { .. } => "status_changed",
            Change::QueueChanged { .. } => "queue_changed",
            Change::OwnerChanged { .. } => "owner_changed",
            Change::ResponsibleChanged { .. } => "responsible_changed",
            Change::LockChanged { .. } => "lock_changed",
            Change::NoteAdded { .. } => "note_added",
            Change::ParentLinked { .. } => "parent_linked",
            Change::ChildLinked { .. } => "child_linked",
            Change::SatisfactionRecorded { .. } => "satisfaction_recorded",
        }
    }
}

/// Why a history does not rebuild a case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    #[error("the history is empty")]
    Empty,
    #[error("a history starts with the opening of the case")]
    NotOpenedFirst,
    #[error("entry {seq} opens the case again")]
    OpenedTwice { seq: u64 },
    #[error("entry {seq} belongs to {found}, not {expected}")]
    OtherCase {
        seq: u64,
        expected: CaseId,
        found: CaseId,
    },
    #[error("entry {found} comes where entry {expected} should")]
    OutOfOrder { expected: u64, found: u64 },
    #[error("entry {seq} changes {what} from a value the case did not have")]
    Mismatch { seq: u64, what: &'static str },
}

impl Case {
    /// Rebuilds a case from its whole history, checking that every change starts from the
    /// value the case had.
    pub fn replay(history: &[HistoryEntry]) -> Result<Case, ReplayError> {
        let (first, rest) = history.split_first().ok_or(ReplayError::Empty)?;
        let Change::Opened {
            channel,
            queue,
            caller_number,
            customer,
        } = &first.change
        else {
            return Err(ReplayError::NotOpenedFirst);
        };
        if first.seq != 0 {
            return Err(ReplayError::OutOfOrder {
                expected: 0,
                found: first.seq,
            });
        }
        let mut case = Case::blank(
            first.case,
            *channel,
            queue.clone(),
            caller_number.clone(),
            customer.clone(),
            first.at_unix_ms,
        );
        for entry in rest {
            if entry.case != case.id {
                return Err(ReplayError::OtherCase {
                    seq: entry.seq,
                    expected: case.id,
                    found: entry.case,
                });
            }
            if entry.seq != case.revision {
                return Err(ReplayError::OutOfOrder {
                    expected: case.revision,
                    found: entry.seq,
                });
            }
            case.check_starts_from(entry)?;
            case.fold(&entry.change, entry.at_unix_ms);
        }
        Ok(case)
    }

    fn check_starts_from(&self, entry: &HistoryEntry) -> Result<(), ReplayError> {
        let mismatch = |what| ReplayError::Mismatch {
            seq: entry.seq,
            what,
        };
        let holder = self.lock.as_ref().map(|l| &l.holder);
        let ok = match &entry.change {
            Change::Opened { .. } => return Err(ReplayError::OpenedTwice { seq: entry.seq }),
            Change::ServiceChanged { from, .. } => {
                (from.as_ref() == self.service.as_ref(), "the service")
            }
            Change::ContactReasonChanged { from, .. } => {
                (*from == self.contact_reason, "the contact reason")
            }
            Change::StatusChanged { from, .. } => (*from == self.status, "the status"),
            Change::QueueChanged { from, .. } => (*from == self.queue, "the queue"),
            Change::OwnerChanged { from, .. } => {
                (from.as_ref() == self.owner.as_ref(), "the owner")
            }
            Change::ResponsibleChanged { from, .. } => (
                from.as_ref() == self.responsible.as_ref(),
                "the responsible",
            ),
            Change::LockChanged { from, .. } => (from.as_ref() == holder, "the lock"),
            Change::ParentLinked { .. } => (self.parent.is_none(), "the parent"),
            Change::SatisfactionRecorded { .. } => {
                (self.satisfaction.is_none(), "the satisfaction")
            }
            Change::NoteAdded { .. } | Change::ChildLinked { .. } => (true, ""),
        };
        if ok.0 { Ok(()) } else { Err(mismatch(ok.1)) }
    }

    /// Applies one change. The only place a case's fields change after opening.
    pub(crate) fn fold(&mut self, change: &Change, at_unix_ms: i64) {
        match change {
            // Never recorded after the first entry; `replay` refuses it there.
            Change::Opened { .. } => {}
            Change::ServiceChanged { to, .. } => self.service = to.clone(),
            Change::ContactReasonChanged { to, .. } => self.contact_reason = *to,
            Change::StatusChanged { to, .. } => self.status = to.clone(),
            Change::QueueChanged { to, .. } => {
                self.queue = to.clone();
                // Remember the last first-level queue: contact back returns the case there.
                // Status changes are recorded before queue changes, so the desk is the new one.
                if self.status.desk() == Desk::FirstLevel {
                    self.first_level_queue = to.clone();
                }
            }
            Change::OwnerChanged { to, .. } => self.owner = to.clone(),
            Change::ResponsibleChanged { to, .. } => self.responsible = to.clone(),
            Change::LockChanged { to, .. } => {
                self.lock = to.as_ref().map(|holder| Lock {
                    holder: holder.clone(),
                    since_unix_ms: at_unix_ms,
                });
            }
            Change::NoteAdded { .. } => {}
            Change::ParentLinked { parent, kind } => {
                self.parent = Some(ParentLink {
                    parent: *parent,
                    kind: *kind,
                });
            }
            Change::ChildLinked { child, kind } => self.children.push(ChildLink {
                child: *child,
                kind: *kind,
            }),
            Change::SatisfactionRecorded { score } => self.satisfaction = Some(*score),
        }
        self.revision = self.revision.saturating_add(1);
        self.updated_at_unix_ms = at_unix_ms;
    }
}

/// A change in progress: the new case and the entries recorded so far.
pub(crate) struct Tx<'a> {
    pub(crate) case: Case,
    pub(crate) entries: Vec<HistoryEntry>,
    actor: &'a Actor,
    now: i64,
}

impl<'a> Tx<'a> {
    pub(crate) fn new(case: &Case, actor: &'a Actor, now: i64) -> Self {
        Self {
            case: case.clone(),
            entries: Vec::new(),
            actor,
            now,
        }
    }

    /// Starts the history of a new case with its `Opened` entry.
    pub(crate) fn opening(case: Case, actor: &'a Actor, now: i64) -> Self {
        let change = Change::Opened {
            channel: case.channel,
            queue: case.queue.clone(),
            caller_number: case.caller_number.clone(),
            customer: case.customer.clone(),
        };
        let entry = HistoryEntry {
            case: case.id,
            seq: 0,
            at_unix_ms: now,
            actor: actor.clone(),
            change,
        };
        Self {
            case,
            entries: vec![entry],
            actor,
            now,
        }
    }

    pub(crate) fn actor_role(&self) -> &Role {
        &self.actor.role
    }

    pub(crate) fn record(&mut self, change: Change) {
        let entry = HistoryEntry {
            case: self.case.id,
            seq: self.case.revision,
            at_unix_ms: self.now,
            actor: self.actor.clone(),
            change,
        };
        self.case.fold(&entry.change, self.now);
        self.entries.push(entry);
    }

    pub(crate) fn set_status(&mut self, to: Status) {
        if self.case.status != to {
            let from = self.case.status.clone();
            self.record(Change::StatusChanged { from, to });
        }
    }

    pub(crate) fn set_queue(&mut self, to: &GroupCode) {
        if self.case.queue != *to {
            let from = self.case.queue.clone();
            self.record(Change::QueueChanged {
                from,
                to: to.clone(),
            });
        }
    }

    pub(crate) fn set_service(&mut self, to: &ServiceCode) {
        if self.case.service.as_ref() != Some(to) {
            let from = self.case.service.clone();
            self.record(Change::ServiceChanged {
                from,
                to: Some(to.clone()),
            });
        }
    }

    pub(crate) fn set_contact_reason(&mut self, to: ContactReason) {
        if self.case.contact_reason != Some(to) {
            let from = self.case.contact_reason;
            self.record(Change::ContactReasonChanged { from, to: Some(to) });
        }
    }

    pub(crate) fn set_owner(&mut self, to: Option<&ActorId>) {
        if self.case.owner.as_ref() != to {
            let from = self.case.owner.clone();
            self.record(Change::OwnerChanged {
                from,
                to: to.cloned(),
            });
        }
    }

    pub(crate) fn set_responsible(&mut self, to: Option<&ActorId>) {
        if self.case.responsible.as_ref() != to {
            let from = self.case.responsible.clone();
            self.record(Change::ResponsibleChanged {
                from,
                to: to.cloned(),
            });
        }
    }

    pub(crate) fn set_lock(&mut self, to: Option<&ActorId>) {
        let from = self.case.lock.as_ref().map(|l| l.holder.clone());
        if from.as_ref() != to {
            self.record(Change::LockChanged {
                from,
                to: to.cloned(),
            });
        }
    }

    /// The case leaves the hands that held it: for another level's inbox, or another queue.
    pub(crate) fn hand_over(&mut self) {
        self.set_lock(None);
        self.set_owner(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Actor;

    fn opened() -> (Case, Vec<HistoryEntry>) {
        let anna = Actor::first_level("anna");
        let case = Case::blank(
            CaseId(1),
            Channel::Phone,
            "technology".into(),
            Some(Pii::new("+39055123".into())),
            None,
            10,
        );
        let mut tx = Tx::opening(case, &anna, 10);
        tx.set_owner(Some(&anna.id));
        tx.set_lock(Some(&anna.id));
        (tx.case, tx.entries)
    }

    #[test]
    fn a_case_is_the_fold_of_its_history() {
        let (case, history) = opened();
        assert_eq!(case.revision, 3);
        assert_eq!(Case::replay(&history), Ok(case));
    }

    #[test]
    fn a_broken_history_is_refused() {
        let (_, history) = opened();
        assert_eq!(Case::replay(&[]), Err(ReplayError::Empty));
        assert_eq!(
            Case::replay(&history[1..]),
            Err(ReplayError::NotOpenedFirst)
        );
        let mut swapped = history.clone();
        swapped.swap(1, 2);
        assert_eq!(
            Case::replay(&swapped),
            Err(ReplayError::OutOfOrder {
                expected: 1,
                found: 2
            })
        );
        let mut wrong_from = history.clone();
        wrong_from[2].change = Change::LockChanged {
            from: Some("bruno".into()),
            to: Some("anna".into()),
        };
        assert_eq!(
            Case::replay(&wrong_from),
            Err(ReplayError::Mismatch {
                seq: 2,
                what: "the lock"
            })
        );
        let mut twice = history.clone();
        twice.push(HistoryEntry {
            seq: 3,
            ..history[0].clone()
        });
        assert_eq!(
            Case::replay(&twice),
            Err(ReplayError::OpenedTwice { seq: 3 })
        );
    }

    #[test]
    fn the_record_holds_no_readable_personal_data() {
        let (_, history) = opened();
        let printed = format!("{history:?}");
        assert!(!printed.contains("+39055123"), "{printed}");
    }
}
