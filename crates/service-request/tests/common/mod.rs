//! A tiny driver for the tests: keeps cases and their histories as a store would, reads a
//! virtual clock, applies child closures, and checks after every change that each case is
//! exactly the replay of its history.

#![allow(dead_code)] // each test file uses its own part

use std::collections::BTreeMap;

pub use ::common::Pii;
use service_request::{
    Actor, Applied, Case, CaseId, Catalogue, Channel, Command, Communication, ContactReason,
    GroupCode, HistoryEntry, NewCase, NoteKind, Refusal,
};

/// The demo catalogue shipped in `deploy/`, so that the stories run on the real file.
pub const DEMO_CATALOGUE: &str = include_str!("../../../../deploy/catalogue.toml");

pub fn demo_catalogue() -> Catalogue {
    toml::from_str(DEMO_CATALOGUE).expect("deploy/catalogue.toml is a valid catalogue")
}

pub struct World {
    pub catalogue: Catalogue,
    pub cases: BTreeMap<CaseId, Case>,
    pub history: BTreeMap<CaseId, Vec<HistoryEntry>>,
    /// Virtual wall clock, Unix ms; every operation advances it by one second.
    pub now: i64,
    next_id: i64,
}

impl World {
    pub fn new(catalogue: Catalogue) -> Self {
        Self {
            catalogue,
            cases: BTreeMap::new(),
            history: BTreeMap::new(),
            // 2026-01-01T09:00:00Z
            now: 1_767_258_000_000,
            next_id: 1,
        }
    }

    pub fn demo() -> Self {
        Self::new(demo_catalogue())
    }

    fn tick(&mut self) -> i64 {
        self.now += 1_000;
        self.now
    }

    /// Opens a case from a call answered in `queue` by `actor`.
    pub fn open(&mut self, channel: Channel, queue: &str, actor: &Actor) -> CaseId {
        self.try_open(channel, queue, actor)
            .expect("the case opens")
    }

    pub fn try_open(
        &mut self,
        channel: Channel,
        queue: &str,
        actor: &Actor,
    ) -> Result<CaseId, Refusal> {
        let id = CaseId(self.next_id);
        let now = self.tick();
        let new = NewCase {
            id,
            channel,
            queue: GroupCode::from(queue),
            caller_number: Some(Pii::new(format!("+39055{:06}", id.0))),
            customer: None,
        };
        let applied = Case::open(new, actor, &self.catalogue, now)?;
        self.next_id += 1;
        self.store(applied);
        Ok(id)
    }

    pub fn case(&self, id: CaseId) -> &Case {
        &self.cases[&id]
    }

    pub fn history(&self, id: CaseId) -> &[HistoryEntry] {
        &self.history[&id]
    }

    /// Applies a command; on success stores the case and applies the child closures.
    pub fn apply(
        &mut self,
        id: CaseId,
        command: Command,
        actor: &Actor,
    ) -> Result<Applied, Refusal> {
        let now = self.tick();
        let applied = self.cases[&id].apply(command, actor, &self.catalogue, now)?;
        self.store(applied.clone());
        for closure in &applied.child_closures {
            let child = self.cases[&closure.child].apply(
                closure.command(),
                &Actor::system(),
                &self.catalogue,
                now,
            )?;
            self.store(child);
        }
        Ok(applied)
    }

    /// Like [`World::apply`], for a command the story expects to succeed. What it returns
    /// is already stored: a story may look at it or not.
    pub fn ok(&mut self, id: CaseId, command: Command, actor: &Actor) -> Stored {
        let what = format!("{:?}", command.kind());
        Stored(
            self.apply(id, command, actor)
                .unwrap_or_else(|refusal| panic!("{what} was refused: {refusal}")),
        )
    }

    /// Like [`World::apply`], for a command the story expects to be refused.
    pub fn refused(&mut self, id: CaseId, command: Command, actor: &Actor) -> Refusal {
        let before = self.cases[&id].clone();
        let refusal = match self.apply(id, command, actor) {
            Ok(applied) => panic!("accepted, to {:?}", applied.case.status),
            Err(refusal) => refusal,
        };
        assert_eq!(self.cases[&id], before, "a refusal changes nothing");
        refusal
    }

    pub fn attach(&mut self, child: CaseId, parent: CaseId, actor: &Actor) -> Result<(), Refusal> {
        let now = self.tick();
        let linked =
            self.cases[&child].attach_to(&self.cases[&parent], actor, &self.catalogue, now)?;
        self.store(linked.child);
        self.store(linked.parent);
        Ok(())
    }

    fn store(&mut self, applied: Applied) {
        let id = applied.case.id;
        let history = self.history.entry(id).or_default();
        history.extend(applied.history);
        assert_eq!(
            Case::replay(history).as_ref(),
            Ok(&applied.case),
            "case {} is the replay of its history",
            id.0
        );
        self.cases.insert(id, applied.case);
    }
}

/// An [`Applied`] the world has stored already.
pub struct Stored(pub Applied);

impl std::ops::Deref for Stored {
    type Target = Applied;
    fn deref(&self) -> &Applied {
        &self.0
    }
}

/// Commands the stories use often.
pub fn classify(service: &str, reason: ContactReason) -> Command {
    Command::Classify {
        service: service.into(),
        reason,
    }
}
pub fn resolve_first(communication: Communication) -> Command {
    Command::ResolveFirstLevel { communication }
}
pub fn resolve_second(communication: Communication) -> Command {
    Command::ResolveSecondLevel { communication }
}
pub fn assign(group: &str) -> Command {
    Command::Assign {
        group: group.into(),
    }
}
pub fn note(kind: NoteKind, text: &str) -> Command {
    Command::AddNote {
        kind,
        text: Pii::new(text.into()),
    }
}

/// The people of the stories.
pub fn anna() -> Actor {
    Actor::first_level("anna")
}
pub fn bruno() -> Actor {
    Actor::first_level("bruno")
}
pub fn payroll_mario() -> Actor {
    Actor::second_level("mario", "hr-payroll")
}
pub fn network_nino() -> Actor {
    Actor::second_level("nino", "it-network")
}
pub fn identity_ida() -> Actor {
    Actor::second_level("ida", "it-identity")
}
pub fn attendance_alba() -> Actor {
    Actor::second_level("alba", "hr-attendance")
}
pub fn rejections_rita() -> Actor {
    Actor::rejections("rita")
}
pub fn supervisor_sara() -> Actor {
    Actor::supervisor("sara")
}

/// A refusal message reads "<command> refused in state <state>: <rule>", lowercase, with no
/// full stop, and carries the rule's own text.
pub fn assert_names_rule(refusal: &Refusal) {
    let message = refusal.to_string();
    let rule = refusal.rule.to_string();
    assert!(!rule.is_empty());
    assert!(message.ends_with(&rule), "{message}");
    assert!(
        message.starts_with(&format!("{} refused", refusal.command)),
        "{message}"
    );
    if let Some(state) = refusal.state {
        assert!(
            message.contains(&format!(" in state {state}: ")),
            "{message}"
        );
    }
    assert!(rule.starts_with(|c: char| c.is_ascii_lowercase()), "{rule}");
    assert!(!message.ends_with(['.', '!', ';', ':']), "{message}");
}
