//! The case [scheda, caso, ticket] and the one entry point that changes it:
//! [`Case::apply`]. The rules per command live in `transitions.rs` (state), `handling.rs`
//! (lock, owner, queue, notes, satisfaction) and `links.rs` (parents and children).

use common::Pii;
use serde::{Deserialize, Serialize};

use crate::catalogue::{Catalogue, Service};
use crate::command::{Command, CommandKind, NewCase};
use crate::history::{HistoryEntry, Tx};
use crate::ids::{Actor, ActorId, CaseId, GroupCode, Role, ServiceCode};
use crate::refusal::{DeskName, Refusal, Rule};
use crate::states::{Desk, Status};
use crate::vocab::{Channel, ContactReason, GroupLevel, LinkKind, Outcome};
use crate::{handling, links, transitions};

/// Longest free text (a note, a reason), in bytes.
pub const MAX_TEXT_LEN: usize = 8 * 1024;

/// A service request. `Debug` redacts the personal data.
///
/// The fields are public so that a store can load a case from its row; a case changes only
/// through [`Case::open`], [`Case::apply`] and [`Case::attach_to`], which record every change
/// in its history ([`Case::replay`] rebuilds it from there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub id: CaseId,
    pub channel: Channel,
    pub caller_number: Option<Pii<String>>,
    pub customer: Option<Pii<String>>,
    pub opened_at_unix_ms: i64,
    pub updated_at_unix_ms: i64,
    /// How many history entries the case has: a version for optimistic concurrency.
    pub revision: u64,
    pub status: Status,
    /// Where the case is listed now: a first-level queue, the second-level group that holds
    /// it, the rejections group, or (closed) the group that was informed.
    pub queue: GroupCode,
    /// The last first-level queue it was in: where a contact-back request goes.
    pub first_level_queue: GroupCode,
    pub service: Option<ServiceCode>,
    pub contact_reason: Option<ContactReason>,
    /// The operator in charge of resolving it \[proprietario\].
    pub owner: Option<ActorId>,
    /// The person who oversees it \[responsabile\].
    pub responsible: Option<ActorId>,
    pub lock: Option<Lock>,
    pub parent: Option<ParentLink>,
    pub children: Vec<ChildLink>,
    /// Customer satisfaction, 1 to 5, recorded after closure.
    pub satisfaction: Option<u8>,
}

/// Who works the case now; others are refused until release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    pub holder: ActorId,
    pub since_unix_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentLink {
    pub parent: CaseId,
    pub kind: LinkKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildLink {
    pub child: CaseId,
    pub kind: LinkKind,
}

/// The result of an accepted command: the new case and what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "the new case and its history entries must be stored"]
pub struct Applied {
    pub case: Case,
    /// The entries to append to the history, in order; never empty.
    pub history: Vec<HistoryEntry>,
    /// Children to close because this change closed their parent: apply
    /// [`ChildClosure::command`] to each, as [`Actor::system`].
    pub child_closures: Vec<ChildClosure>,
    /// Set when this change closed the case: the moment for an outbound call back or a hot
    /// satisfaction survey.
    pub closed: Option<Outcome>,
}

/// A follower child to close with its parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildClosure {
    pub child: CaseId,
    pub parent: CaseId,
    /// The parent's final status, which the child takes.
    pub status: Status,
}

impl ChildClosure {
    pub fn command(&self) -> Command {
        Command::CloseWithParent {
            parent: self.parent,
            status: self.status.clone(),
        }
    }
}

impl Case {
    /// A case right after its `Opened` entry (revision 1): open, unclassified, nobody on it.
    pub(crate) fn blank(
        id: CaseId,
        channel: Channel,
        queue: GroupCode,
        caller_number: Option<Pii<String>>,
        customer: Option<Pii<String>>,
        now: i64,
    ) -> Case {
        Case {
            id,
            channel,
            caller_number,
            customer,
            opened_at_unix_ms: now,
            updated_at_unix_ms: now,
            revision: 1,
            status: Status::Open,
            first_level_queue: queue.clone(),
            queue,
            service: None,
            contact_reason: None,
            owner: None,
            responsible: None,
            lock: None,
            parent: None,
            children: Vec::new(),
            satisfaction: None,
        }
    }

    /// Opens a case in a first-level queue. Opened by the platform (CTI, off-line channel)
    /// it has no owner; opened by an operator or supervisor, they own and lock it: the
    /// screen pop is theirs.
    pub fn open(
        new: NewCase,
        actor: &Actor,
        catalogue: &Catalogue,
        now_unix_ms: i64,
    ) -> Result<Applied, Refusal> {
        let refuse = |rule| Refusal {
            command: CommandKind::Open,
            state: None,
            rule,
        };
        let takes_it = match actor.role {
            Role::FirstLevel | Role::Supervisor => true,
            Role::System => false,
            _ => return Err(refuse(Rule::OpenedAtFirstLevel)),
        };
        match catalogue.level_of(&new.queue) {
            Some(GroupLevel::First) => {}
            Some(_) => return Err(refuse(Rule::NotFirstLevelQueue { queue: new.queue })),
            None => return Err(refuse(Rule::UnknownGroup { group: new.queue })),
        }
        let case = Case::blank(
            new.id,
            new.channel,
            new.queue,
            new.caller_number,
            new.customer,
            now_unix_ms,
        );
        let mut tx = Tx::opening(case, actor, now_unix_ms);
        if takes_it {
            tx.set_owner(Some(&actor.id));
            tx.set_lock(Some(&actor.id));
        }
        Ok(Applied {
            case: tx.case,
            history: tx.entries,
            child_closures: Vec::new(),
            closed: None,
        })
    }

    /// Applies one command. Pure: the result depends only on the arguments.
    ///
    /// Checked in this order, the first failing rule is the refusal:
    /// 1. a closed case takes only a satisfaction score;
    /// 2. a case locked by someone else refuses the actor, except a supervisor's release and
    ///    the system closing a child with its parent;
    /// 3. a follower child refuses state changes (it follows its parent);
    /// 4. the actor must work at the case's desk (first level, the holding second-level
    ///    group, the rejections group; supervisors everywhere);
    /// 5. the command's own rules (state, profile, contact reason, attributes, targets).
    pub fn apply(
        &self,
        command: Command,
        actor: &Actor,
        catalogue: &Catalogue,
        now_unix_ms: i64,
    ) -> Result<Applied, Refusal> {
        let kind = command.kind();
        let refuse = |rule| Refusal {
            command: kind,
            state: Some(self.status.state()),
            rule,
        };
        self.admits(&command, actor).map_err(refuse)?;
        let mut tx = Tx::new(self, actor, now_unix_ms);
        match command {
            Command::Classify { service, reason } => {
                transitions::classify(&mut tx, catalogue, service, reason)
            }
            Command::ResolveFirstLevel { communication } => {
                transitions::resolve_first_level(&mut tx, catalogue, communication)
            }
            Command::TransferLive { group } => {
                transitions::transfer_live(&mut tx, catalogue, group)
            }
            Command::Assign { group } => transitions::assign(&mut tx, catalogue, group),
            Command::ReportForInformation { group } => {
                transitions::report_for_information(&mut tx, catalogue, group)
            }
            Command::RecordNotResolvable { report_to } => {
                transitions::record_not_resolvable(&mut tx, catalogue, report_to)
            }
            Command::ResolveSecondLevel { communication } => {
                transitions::resolve_second_level(&mut tx, catalogue, communication)
            }
            Command::RecordCommunication { communication } => {
                transitions::record_communication(&mut tx, catalogue, communication)
            }
            Command::Suspend {
                reason,
                until_unix_ms,
            } => transitions::suspend(&mut tx, reason, until_unix_ms, now_unix_ms),
            Command::Resume => transitions::resume(&mut tx),
            Command::Reject { reason, detail } => {
                transitions::reject(&mut tx, catalogue, reason, detail)
            }
            Command::Reassign { group, service } => {
                transitions::reassign(&mut tx, catalogue, group, service)
            }
            Command::Cancel { reason } => transitions::cancel(&mut tx, reason),
            Command::Lock => handling::lock(&mut tx, actor),
            Command::Release => handling::release(&mut tx, actor),
            Command::SetOwner { owner } => handling::set_owner(&mut tx, actor, owner),
            Command::SetResponsible { responsible } => {
                handling::set_responsible(&mut tx, actor, responsible)
            }
            Command::Move { queue } => handling::move_to(&mut tx, actor, catalogue, queue),
            Command::AddNote { kind, text } => handling::add_note(&mut tx, kind, text),
            Command::CloseWithParent { parent, status } => {
                links::close_with_parent(&mut tx, parent, status)
            }
            Command::RecordSatisfaction { score } => handling::record_satisfaction(&mut tx, score),
        }
        .map_err(refuse)?;
        tx.finish(self).map_err(refuse)
    }

    /// Steps 1 to 4 of [`Case::apply`].
    fn admits(&self, command: &Command, actor: &Actor) -> Result<(), Rule> {
        let kind = command.kind();
        if self.status.is_terminal() && kind != CommandKind::RecordSatisfaction {
            return Err(Rule::Closed);
        }
        if let Some(lock) = &self.lock
            && lock.holder != actor.id
        {
            let exempt = matches!(
                (kind, &actor.role),
                (CommandKind::Release, Role::Supervisor)
                    | (CommandKind::CloseWithParent, Role::System)
            );
            if !exempt {
                return Err(Rule::LockedBy {
                    holder: lock.holder.clone(),
                });
            }
        }
        if let Some(link) = &self.parent
            && link.kind.follows_parent()
            && command.changes_state()
        {
            return Err(Rule::FollowsParent {
                parent: link.parent,
            });
        }
        match (kind, &actor.role) {
            // Their own rules decide who may.
            (CommandKind::RecordSatisfaction | CommandKind::CloseWithParent, _) => Ok(()),
            (CommandKind::Release | CommandKind::SetResponsible, _) => Ok(()),
            (CommandKind::AddNote, Role::System) => Ok(()),
            (CommandKind::Move, Role::System) => self.routable_by_platform(),
            _ => self.works_here(actor),
        }
    }

    /// The platform opens a call's case at the call's first fact, before the IVR has routed
    /// the call; it moves the case to the first-level queue the call reaches, as long as the
    /// case is open and nobody has taken it (owner or lock). The move's own rules (a
    /// first-level target, a real change) still apply.
    fn routable_by_platform(&self) -> Result<(), Rule> {
        if self.status != Status::Open || self.owner.is_some() || self.lock.is_some() {
            return Err(Rule::RoutedOnlyUntilTaken);
        }
        Ok(())
    }

    /// Whether `actor` works cases at this case's desk.
    pub(crate) fn works_here(&self, actor: &Actor) -> Result<(), Rule> {
        let desk = self.status.desk();
        match (&actor.role, desk) {
            (_, Desk::Closed) => Err(Rule::Closed),
            (Role::System, _) => Err(Rule::NotForSystem),
            (Role::Supervisor, _) => Ok(()),
            (Role::FirstLevel, Desk::FirstLevel) | (Role::Rejections, Desk::Rejections) => Ok(()),
            (Role::SecondLevel(group), Desk::SecondLevel) if *group == self.queue => Ok(()),
            (Role::SecondLevel(_), Desk::SecondLevel) => Err(Rule::NotYourGroup {
                group: self.queue.clone(),
            }),
            _ => Err(Rule::WrongDesk {
                desk: DeskName(desk),
            }),
        }
    }

    /// The service and contact reason, checked against today's catalogue.
    pub(crate) fn classification<'c>(
        &self,
        catalogue: &'c Catalogue,
    ) -> Result<(&'c Service, ContactReason), Rule> {
        let (Some(code), Some(reason)) = (&self.service, self.contact_reason) else {
            return Err(Rule::Unclassified);
        };
        let service = catalogue
            .service(code)
            .ok_or_else(|| Rule::UnknownService {
                service: code.clone(),
            })?;
        if !service.profile.allows(reason) {
            return Err(Rule::ReasonNotInProfile {
                reason,
                profile: service.profile,
            });
        }
        Ok((service, reason))
    }

    /// Children that close when this case closes.
    pub fn followers(&self) -> impl Iterator<Item = CaseId> + '_ {
        self.children
            .iter()
            .filter(|c| c.kind.follows_parent())
            .map(|c| c.child)
    }
}

impl Tx<'_> {
    /// Ends a command: closing releases the lock and lists the followers to close. A command
    /// that changed nothing is refused, so that every accepted command leaves a trace.
    pub(crate) fn finish(mut self, before: &Case) -> Result<Applied, Rule> {
        let mut closed = None;
        let mut child_closures = Vec::new();
        if self.case.status.is_terminal() && !before.status.is_terminal() {
            self.set_lock(None);
            closed = self.case.status.outcome();
            child_closures = self
                .case
                .followers()
                .map(|child| ChildClosure {
                    child,
                    parent: self.case.id,
                    status: self.case.status.clone(),
                })
                .collect();
        }
        if self.entries.is_empty() {
            return Err(Rule::NoChange);
        }
        Ok(Applied {
            case: self.case,
            history: self.entries,
            child_closures,
            closed,
        })
    }
}

/// Free text must say something, and not too much.
pub(crate) fn check_text(what: &'static str, text: &Pii<String>) -> Result<(), Rule> {
    let text = text.expose();
    if text.trim().is_empty() {
        return Err(Rule::EmptyText { what });
    }
    if text.len() > MAX_TEXT_LEN {
        return Err(Rule::TextTooLong {
            what,
            max: MAX_TEXT_LEN,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{CatalogueDescription, Entity, Group, Unit};
    use crate::vocab::{CancelReason, Communication, Profile};

    fn catalogue() -> Catalogue {
        let group = |code: &str, level| Group {
            code: code.into(),
            name: code.into(),
            level,
            unit: None,
        };
        Catalogue::new(CatalogueDescription {
            entities: vec![Entity {
                code: "e".into(),
                name: "Entity".into(),
            }],
            units: vec![Unit {
                code: "u".into(),
                entity: "e".into(),
                name: "Unit".into(),
            }],
            groups: vec![
                group("desk", GroupLevel::First),
                group("office", GroupLevel::Second),
                group("other-office", GroupLevel::Second),
                group("rejections", GroupLevel::Rejections),
            ],
            services: vec![Service {
                code: "s".into(),
                unit: "u".into(),
                name: "Service".into(),
                profile: Profile::Advanced,
                contact_back: false,
                groups: vec!["office".into()],
            }],
        })
        .expect("valid")
    }

    fn case_in(status: Status, queue: &str) -> Case {
        let mut case = Case::blank(CaseId(1), Channel::Phone, queue.into(), None, None, 0);
        case.status = status;
        case
    }

    #[test]
    fn each_desk_is_worked_by_its_people_and_supervisors() {
        let member = Actor::second_level("m", "office");
        let outsider = Actor::second_level("o", "other-office");
        let people = [
            Actor::first_level("f"),
            member.clone(),
            outsider.clone(),
            Actor::rejections("r"),
            Actor::supervisor("s"),
            Actor::system(),
        ];
        let rejected = Status::Rejected(crate::states::Rejection {
            reason: crate::vocab::RejectReason::OperatorError,
            detail: Pii::new("x".into()),
        });
        let table: [(Case, [bool; 6]); 4] = [
            (
                case_in(Status::Open, "desk"),
                [true, false, false, false, true, false],
            ),
            (
                case_in(Status::Assigned, "office"),
                [false, true, false, false, true, false],
            ),
            (
                case_in(rejected, "rejections"),
                [false, false, false, true, true, false],
            ),
            (
                case_in(
                    Status::Cancelled {
                        reason: CancelReason::OpenedInError,
                    },
                    "desk",
                ),
                [false; 6],
            ),
        ];
        for (case, allowed) in table {
            for (actor, allowed) in people.iter().zip(allowed) {
                assert_eq!(
                    case.works_here(actor).is_ok(),
                    allowed,
                    "{actor} on {:?}",
                    case.status
                );
            }
        }
        assert_eq!(
            case_in(Status::Assigned, "office").works_here(&outsider),
            Err(Rule::NotYourGroup {
                group: "office".into()
            })
        );
        assert_eq!(
            case_in(Status::Open, "desk").works_here(&member),
            Err(Rule::WrongDesk {
                desk: DeskName(Desk::FirstLevel)
            })
        );
    }

    #[test]
    fn closure_comes_before_lock_before_following_before_desk() {
        let catalogue = catalogue();
        let holder = Actor::first_level("holder");
        let other = Actor::second_level("m", "office");
        let mut case = case_in(Status::Assigned, "office");
        case.lock = Some(Lock {
            holder: holder.id.clone(),
            since_unix_ms: 0,
        });
        case.parent = Some(ParentLink {
            parent: CaseId(9),
            kind: LinkKind::Reminder,
        });
        let resolve = Command::ResolveSecondLevel {
            communication: Communication::Communicated,
        };
        let rule = |case: &Case, actor: &Actor| {
            case.apply(resolve.clone(), actor, &catalogue, 1)
                .expect_err("refused")
                .rule
        };
        assert_eq!(
            rule(&case, &other),
            Rule::LockedBy {
                holder: holder.id.clone()
            }
        );
        assert_eq!(
            rule(&case, &holder),
            Rule::FollowsParent { parent: CaseId(9) }
        );
        case.parent = None;
        assert!(matches!(rule(&case, &holder), Rule::WrongDesk { .. }));
        case.status = Status::NotResolvable;
        assert_eq!(rule(&case, &other), Rule::Closed);
    }

    #[test]
    fn a_command_that_changes_nothing_is_refused() {
        let catalogue = catalogue();
        let sara = Actor::supervisor("sara");
        let case = case_in(Status::Open, "desk");
        let refusal = case
            .apply(
                Command::SetResponsible { responsible: None },
                &sara,
                &catalogue,
                1,
            )
            .expect_err("no change");
        assert_eq!(refusal.rule, Rule::NoChange);
        let applied = case
            .apply(
                Command::SetResponsible {
                    responsible: Some("sara".into()),
                },
                &sara,
                &catalogue,
                1,
            )
            .expect("a change");
        assert_eq!(applied.history.len(), 1);
        assert_eq!(applied.case.revision, case.revision + 1);
        assert_eq!(applied.case.updated_at_unix_ms, 1);
    }
}
