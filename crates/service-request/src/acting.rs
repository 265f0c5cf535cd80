//! Which of a person's roles acts on a case.
//!
//! A person may hold several roles (a first-level operator who also covers a back office, a
//! supervisor who is also in the rejections group). A command says what to do, never as
//! whom: the role follows from the case, so that a client cannot pick a role to slip past a
//! rule, and the history records the role that the rules actually allowed.

use crate::case::Case;
use crate::command::CommandKind;
use crate::ids::{Actor, Role};
use crate::states::Desk;

impl Case {
    /// Of the actors one person may act as (one per role they hold, all with the same id),
    /// the one who works `command` on this case:
    ///
    /// 1. where the command needs a supervisor's privilege, the supervisor: naming the
    ///    responsible, releasing someone else's lock, moving a case between second-level
    ///    groups, handing over a case the person neither owns nor oversees;
    /// 2. otherwise the role of the case's desk (first level, a member of the second-level
    ///    group holding it, the rejections group), then the supervisor;
    /// 3. on a closed case (which only takes a satisfaction score), the first actor.
    ///
    /// When no role fits, the first actor is returned and the rules refuse it, saying whose
    /// desk the case is at ([`crate::Rule::WrongDesk`], [`crate::Rule::NotYourGroup`]).
    /// `None` only when `actors` is empty. The platform's role is never chosen.
    pub fn acting<'a>(&self, command: CommandKind, actors: &'a [Actor]) -> Option<&'a Actor> {
        let people: Vec<&Actor> = actors.iter().filter(|a| a.role != Role::System).collect();
        let first = *people.first()?;
        let supervisor = people.iter().copied().find(|a| a.role == Role::Supervisor);
        let at_desk = people
            .iter()
            .copied()
            .find(|a| a.role != Role::Supervisor && self.works_here(a).is_ok());
        if self.status.desk() == Desk::Closed {
            return Some(first);
        }
        let privileged = match command {
            CommandKind::SetResponsible => true,
            CommandKind::Release => self.lock.as_ref().is_some_and(|l| l.holder != first.id),
            CommandKind::Move => self.status.desk() == Desk::SecondLevel,
            CommandKind::SetOwner => {
                self.owner.as_ref() != Some(&first.id)
                    && self.responsible.as_ref() != Some(&first.id)
            }
            _ => false,
        };
        let chosen = if privileged {
            supervisor.or(at_desk)
        } else {
            at_desk.or(supervisor)
        };
        Some(chosen.unwrap_or(first))
    }
}

#[cfg(test)]
mod tests {
    use crate::case::Lock;
    use crate::ids::{Actor, CaseId};
    use crate::states::{Rejection, Status};
    use crate::vocab::{Channel, RejectReason};
    use crate::{Case, CommandKind};

    fn case(status: Status, queue: &str) -> Case {
        let mut case = Case {
            id: CaseId(1),
            channel: Channel::Phone,
            caller_number: None,
            customer: None,
            opened_at_unix_ms: 0,
            updated_at_unix_ms: 0,
            revision: 1,
            status: Status::Open,
            queue: queue.into(),
            first_level_queue: "desk".into(),
            service: None,
            contact_reason: None,
            owner: None,
            responsible: None,
            lock: None,
            parent: None,
            children: Vec::new(),
            satisfaction: None,
        };
        case.status = status;
        case
    }

    fn role_of(case: &Case, command: CommandKind, actors: &[Actor]) -> Option<String> {
        case.acting(command, actors).map(|a| a.role.to_string())
    }

    #[test]
    fn the_desk_role_acts_before_the_supervisor() {
        let mario = [
            Actor::supervisor("mario"),
            Actor::first_level("mario"),
            Actor::second_level("mario", "office"),
            Actor::rejections("mario"),
        ];
        let open = case(Status::Open, "desk");
        assert_eq!(
            role_of(&open, CommandKind::Assign, &mario).as_deref(),
            Some("first_level")
        );
        let assigned = case(Status::Assigned, "office");
        assert_eq!(
            role_of(&assigned, CommandKind::ResolveSecondLevel, &mario).as_deref(),
            Some("second_level of office")
        );
        let rejected = case(
            Status::Rejected(Rejection {
                reason: RejectReason::OperatorError,
                detail: "wrong office".to_string().into(),
            }),
            "rejections",
        );
        assert_eq!(
            role_of(&rejected, CommandKind::Reassign, &mario).as_deref(),
            Some("rejections")
        );
        // Elsewhere the supervisor works it.
        let elsewhere = case(Status::Assigned, "other-office");
        assert_eq!(
            role_of(&elsewhere, CommandKind::ResolveSecondLevel, &mario).as_deref(),
            Some("supervisor")
        );
    }

    #[test]
    fn privileges_are_the_supervisors() {
        let mario = [Actor::first_level("mario"), Actor::supervisor("mario")];
        let mut open = case(Status::Open, "desk");
        assert_eq!(
            role_of(&open, CommandKind::SetResponsible, &mario).as_deref(),
            Some("supervisor")
        );
        assert_eq!(
            role_of(&open, CommandKind::SetOwner, &mario).as_deref(),
            Some("supervisor"),
            "not the owner: a supervisor hands it over"
        );
        open.owner = Some("mario".into());
        assert_eq!(
            role_of(&open, CommandKind::SetOwner, &mario).as_deref(),
            Some("first_level")
        );
        open.lock = Some(Lock {
            holder: "anna".into(),
            since_unix_ms: 0,
        });
        assert_eq!(
            role_of(&open, CommandKind::Release, &mario).as_deref(),
            Some("supervisor")
        );
        open.lock = Some(Lock {
            holder: "mario".into(),
            since_unix_ms: 0,
        });
        assert_eq!(
            role_of(&open, CommandKind::Release, &mario).as_deref(),
            Some("first_level")
        );
        let member = [
            Actor::second_level("mario", "office"),
            Actor::supervisor("mario"),
        ];
        let assigned = case(Status::Assigned, "office");
        assert_eq!(
            role_of(&assigned, CommandKind::Move, &member).as_deref(),
            Some("supervisor")
        );
    }

    #[test]
    fn without_a_fitting_role_the_first_is_refused_by_the_rules() {
        let gino = [
            Actor::second_level("gino", "other-office"),
            Actor::rejections("gino"),
        ];
        let assigned = case(Status::Assigned, "office");
        let actor = assigned
            .acting(CommandKind::ResolveSecondLevel, &gino)
            .expect("an actor");
        assert_eq!(actor, &gino[0]);
        assert!(assigned.works_here(actor).is_err());
        assert_eq!(assigned.acting(CommandKind::Lock, &[]), None);
        assert_eq!(assigned.acting(CommandKind::Lock, &[Actor::system()]), None);
        let closed = case(Status::NotResolvable, "desk");
        assert_eq!(
            closed.acting(CommandKind::RecordSatisfaction, &gino),
            Some(&gino[0])
        );
    }
}
