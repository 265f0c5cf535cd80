//! How a case is handled, beside its state (seed 002, section 4.4): lock and release, owner
//! and responsible, moves between queues, notes, customer satisfaction.

use common::Pii;

use crate::case::check_text;
use crate::catalogue::Catalogue;
use crate::command::CommandKind as K;
use crate::history::{Change, Tx};
use crate::ids::{Actor, ActorId, GroupCode, Role};
use crate::refusal::Rule;
use crate::states::Desk;
use crate::vocab::{GroupLevel, NoteKind};

/// Taking the case in hand \[blocca\]: the locker becomes its owner, and others are refused
/// until release.
pub(crate) fn lock(tx: &mut Tx<'_>, actor: &Actor) -> Result<(), Rule> {
    if tx.case.lock.as_ref().is_some_and(|l| l.holder == actor.id) {
        return Err(Rule::AlreadyLockedByYou);
    }
    tx.set_lock(Some(&actor.id));
    tx.set_owner(Some(&actor.id));
    Ok(())
}

/// Letting others work it \[rilascia\]: the holder, or a supervisor breaking the lock. The
/// owner stays, for the responsible to hand it on.
pub(crate) fn release(tx: &mut Tx<'_>, actor: &Actor) -> Result<(), Rule> {
    let Some(lock) = &tx.case.lock else {
        return Err(Rule::NotLocked);
    };
    if lock.holder != actor.id && actor.role != Role::Supervisor {
        // `Case::apply` refuses other actors earlier; kept so the rule stands on its own.
        return Err(Rule::LockedBy {
            holder: lock.holder.clone(),
        });
    }
    tx.set_lock(None);
    Ok(())
}

/// Handing the case to another operator [riassegnazione a operatore]: the owner, the
/// responsible or a supervisor. The new owner takes the lock's place: a lock held by someone
/// else is released.
pub(crate) fn set_owner(
    tx: &mut Tx<'_>,
    actor: &Actor,
    owner: Option<ActorId>,
) -> Result<(), Rule> {
    let entitled = actor.role == Role::Supervisor
        || tx.case.owner.as_ref() == Some(&actor.id)
        || tx.case.responsible.as_ref() == Some(&actor.id);
    if !entitled {
        return Err(Rule::NotYoursToHandOver);
    }
    if tx.case.owner == owner {
        return Err(Rule::NoChange);
    }
    if tx
        .case
        .lock
        .as_ref()
        .is_some_and(|l| Some(&l.holder) != owner.as_ref())
    {
        tx.set_lock(None);
    }
    tx.set_owner(owner.as_ref());
    Ok(())
}

/// The responsible oversees the case \[responsabile\]; supervisors name them.
pub(crate) fn set_responsible(
    tx: &mut Tx<'_>,
    actor: &Actor,
    responsible: Option<ActorId>,
) -> Result<(), Rule> {
    if actor.role != Role::Supervisor {
        return Err(Rule::ResponsibleIsNamedBySupervisor);
    }
    tx.set_responsible(responsible.as_ref());
    Ok(())
}

/// To another queue of the same level \[sposta\]. At first level, any operator re-routes a case
/// to the right area (seed 000, section 6). At second level only a supervisor moves a case
/// between the service's groups: a group that got the wrong case rejects it. The case goes
/// to the new queue's inbox: lock and owner are cleared.
pub(crate) fn move_to(
    tx: &mut Tx<'_>,
    actor: &Actor,
    catalogue: &Catalogue,
    queue: GroupCode,
) -> Result<(), Rule> {
    let level = catalogue
        .level_of(&queue)
        .ok_or_else(|| Rule::UnknownGroup {
            group: queue.clone(),
        })?;
    match tx.case.status.desk() {
        Desk::FirstLevel => {
            if level != GroupLevel::First {
                return Err(Rule::MoveStaysOnLevel {
                    queue,
                    level: GroupLevel::First,
                });
            }
        }
        Desk::SecondLevel => {
            if actor.role != Role::Supervisor {
                return Err(Rule::SecondLevelMoveIsSupervisors);
            }
            if level != GroupLevel::Second {
                return Err(Rule::MoveStaysOnLevel {
                    queue,
                    level: GroupLevel::Second,
                });
            }
            let (service, _) = tx.case.classification(catalogue)?;
            if !service.is_served_by(&queue) {
                return Err(Rule::GroupNotServing {
                    group: queue,
                    service: service.code.clone(),
                });
            }
        }
        Desk::Rejections | Desk::Closed => return Err(Rule::WrongState { command: K::Move }),
    }
    if tx.case.queue == queue {
        return Err(Rule::NoChange);
    }
    tx.set_queue(&queue);
    tx.hand_over();
    Ok(())
}

/// One of the four kinds of note (seed 002, section 4.4.2.4).
pub(crate) fn add_note(tx: &mut Tx<'_>, kind: NoteKind, text: Pii<String>) -> Result<(), Rule> {
    check_text("note", &text)?;
    tx.record(Change::NoteAdded { kind, text });
    Ok(())
}

/// Customer satisfaction after closure [customer satisfaction a caldo] (seed 000, section 8):
/// once, 1 to 5.
pub(crate) fn record_satisfaction(tx: &mut Tx<'_>, score: u8) -> Result<(), Rule> {
    if !tx.case.status.is_terminal() {
        return Err(Rule::SurveyBeforeClosure);
    }
    if tx.case.satisfaction.is_some() {
        return Err(Rule::SatisfactionAlreadyRecorded);
    }
    if !(1..=5).contains(&score) {
        return Err(Rule::ScoreOutOfRange { score });
    }
    tx.record(Change::SatisfactionRecorded { score });
    Ok(())
}
