//! Parents and children (seed 004, sections 2 and 4.1; seed 000, sections 6 and 8).
//!
//! A reminder, a notification or a duplicate report of a known fault is a *follower*: it
//! attaches to a case being worked at the second level, takes that case's group and the
//! assigned state, refuses state changes of its own, and closes when the parent closes, with
//! the parent's final status. Information about a request attaches to it too, but is
//! answered at first level at once and does not follow. Links are one level deep.

use crate::case::{Applied, Case};
use crate::catalogue::Catalogue;
use crate::command::CommandKind;
use crate::history::{Change, Tx};
use crate::ids::{Actor, CaseId, Role};
use crate::refusal::{Refusal, Rule};
use crate::states::Status;
use crate::vocab::LinkKind;

/// Both sides of a new link: store them together.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "both cases and their history entries must be stored"]
pub struct Linked {
    pub parent: Applied,
    pub child: Applied,
}

impl Case {
    /// Attaches this open, classified case to `parent`. The link kind comes from the contact
    /// reason: reminder, notification, report (a duplicate) or information about a request.
    ///
    /// The child's rules are those of [`Case::apply`] (closure, lock, desk). The parent only
    /// gains a history entry and, for followers, a child to close with it; it may be locked
    /// by the second-level member working it, since a citizen's reminder must not wait.
    pub fn attach_to(
        &self,
        parent: &Case,
        actor: &Actor,
        catalogue: &Catalogue,
        now_unix_ms: i64,
    ) -> Result<Linked, Refusal> {
        let refuse = |rule| Refusal {
            command: CommandKind::AttachToParent,
            state: Some(self.status.state()),
            rule,
        };
        let kind = self.check_link(parent, actor, catalogue).map_err(refuse)?;

        let mut child = Tx::new(self, actor, now_unix_ms);
        child.record(Change::ParentLinked {
            parent: parent.id,
            kind,
        });
        if kind.follows_parent() {
            // "The second level receives a case in state assigned, which follows the state of
            // the parent" (seed 004, section 4.1).
            child.set_status(Status::Assigned);
            child.set_queue(&parent.queue);
            child.hand_over();
        }
        let mut adopter = Tx::new(parent, actor, now_unix_ms);
        adopter.record(Change::ChildLinked {
            child: self.id,
            kind,
        });
        Ok(Linked {
            child: child.finish(self).map_err(refuse)?,
            parent: adopter.finish(parent).map_err(refuse)?,
        })
    }

    fn check_link(
        &self,
        parent: &Case,
        actor: &Actor,
        catalogue: &Catalogue,
    ) -> Result<LinkKind, Rule> {
        if self.status.is_terminal() {
            return Err(Rule::Closed);
        }
        if let Some(lock) = &self.lock
            && lock.holder != actor.id
        {
            return Err(Rule::LockedBy {
                holder: lock.holder.clone(),
            });
        }
        self.works_here(actor)?;
        if self.status != Status::Open {
            return Err(Rule::WrongState {
                command: CommandKind::AttachToParent,
            });
        }
        if let Some(link) = &self.parent {
            return Err(Rule::AlreadyAttached {
                parent: link.parent,
            });
        }
        if parent.id == self.id {
            return Err(Rule::OwnParent);
        }
        if parent.parent.is_some() {
            return Err(Rule::ParentIsAChild { parent: parent.id });
        }
        if !matches!(
            parent.status,
            Status::Assigned | Status::Transferred | Status::Suspended(_)
        ) {
            return Err(Rule::ParentNotAtSecondLevel {
                parent: parent.id,
                state: parent.status.state(),
            });
        }
        let (_, reason) = self.classification(catalogue)?;
        let kind = LinkKind::for_reason(reason).ok_or(Rule::NotLinkable { reason })?;
        if parent.service != self.service {
            return Err(Rule::ParentServiceDiffers { parent: parent.id });
        }
        Ok(kind)
    }
}

/// A follower closes because its parent did; only the system applies it.
pub(crate) fn close_with_parent(
    tx: &mut Tx<'_>,
    parent: CaseId,
    status: Status,
) -> Result<(), Rule> {
    if tx.actor_role() != &Role::System {
        return Err(Rule::ChildClosureIsSystems);
    }
    match &tx.case.parent {
        Some(link) if link.parent == parent && link.kind.follows_parent() => {}
        _ => return Err(Rule::NotChildOf { parent }),
    }
    if !status.is_terminal() {
        return Err(Rule::ParentNotClosed);
    }
    tx.set_status(status);
    Ok(())
}
