//! A virtual clock around the ACD: inputs at simulated seconds, deadlines fired in order, the
//! journal kept, outputs split into the driver's actions and journal entries.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use acd::{
    Acd, AcdConfig, AcdError, CallId, Event, Input, JournalEntry, Membership, OperatorProfile,
    Output, QueueConfig,
};

pub struct Sim {
    pub acd: Acd,
    pub config: AcdConfig,
    pub t0: Instant,
    pub now: Instant,
    pub journal: Vec<JournalEntry>,
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

pub fn profile(id: &str, queues: &[(&str, u8)]) -> OperatorProfile {
    OperatorProfile {
        id: id.into(),
        queues: queues
            .iter()
            .map(|(q, skill)| Membership {
                queue: (*q).into(),
                skill: *skill,
            })
            .collect(),
    }
}

pub fn config(queues: Vec<QueueConfig>, operators: Vec<OperatorProfile>) -> AcdConfig {
    let mut c = AcdConfig::new(queues);
    c.operators = operators;
    c
}

impl Sim {
    pub fn new(config: AcdConfig) -> Sim {
        let t0 = Instant::now();
        Sim {
            acd: Acd::new(config.clone(), t0).expect("valid config"),
            config,
            t0,
            now: t0,
            journal: Vec::new(),
        }
    }

    pub fn secs(&self) -> f64 {
        (self.now - self.t0).as_secs_f64()
    }

    /// Moves the clock to `t0 + at` seconds, firing every deadline on the way; returns the
    /// actions.
    pub fn advance_to(&mut self, at: u64) -> Vec<Output> {
        let target = self.t0 + secs(at);
        let mut out = Vec::new();
        while let Some(deadline) = self.acd.poll_timeout() {
            if deadline > target {
                break;
            }
            self.now = deadline;
            self.acd.handle_timeout(deadline);
            out.extend(self.drain());
        }
        if target > self.now {
            self.now = target;
        }
        out
    }

    /// Applies `input` at `t0 + at` seconds (deadlines before then fire first, their actions
    /// are dropped); returns the input's actions.
    pub fn input(&mut self, at: u64, input: Input) -> Vec<Output> {
        self.try_input(at, input).expect("a valid input")
    }

    pub fn try_input(&mut self, at: u64, input: Input) -> Result<Vec<Output>, AcdError> {
        self.advance_to(at);
        let result = self.acd.handle_input(self.now, input);
        let out = self.drain();
        result.map(|()| out)
    }

    /// Drains the outputs: journal entries into the journal, the rest returned.
    pub fn drain(&mut self) -> Vec<Output> {
        let mut actions = Vec::new();
        while let Some(o) = self.acd.poll_output() {
            match o {
                Output::Journal(e) => self.journal.push(e),
                other => actions.push(other),
            }
        }
        actions
    }

    pub fn events_since(&self, seq: u64) -> Vec<Event> {
        self.journal
            .iter()
            .filter(|e| e.seq >= seq)
            .map(|e| e.event.clone())
            .collect()
    }

    pub fn login(&mut self, at: u64, operator: &str) -> Vec<Output> {
        self.input(
            at,
            Input::Login {
                operator: operator.into(),
                queues: None,
            },
        )
    }

    pub fn join(&mut self, at: u64, call: u64, queue: &str) -> Vec<Output> {
        self.input(
            at,
            Input::Join {
                call: CallId(call),
                queue: queue.into(),
                priority: 0,
            },
        )
    }

    pub fn accept(&mut self, at: u64, call: u64, operator: &str) -> Vec<Output> {
        self.input(
            at,
            Input::Accept {
                call: CallId(call),
                operator: operator.into(),
            },
        )
    }

    pub fn complete(&mut self, at: u64, call: u64) -> Vec<Output> {
        self.input(at, Input::Complete { call: CallId(call) })
    }

    pub fn state(&self, operator: &str) -> acd::OperatorState {
        self.acd
            .operator(&operator.into(), self.now)
            .expect("known operator")
            .state
    }
}

pub fn offer(call: u64, operator: &str, queue: &str, waited: u64) -> Output {
    Output::Offer {
        call: CallId(call),
        queue: queue.into(),
        operator: operator.into(),
        kind: acd::OfferKind::Call,
        waited: secs(waited),
    }
}

pub fn cancel(call: u64, operator: &str) -> Output {
    Output::CancelOffer {
        call: CallId(call),
        operator: operator.into(),
    }
}

/// The offers among `out`, as (call, operator).
pub fn offers(out: &[Output]) -> Vec<(u64, String)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Offer { call, operator, .. } => Some((call.0, operator.0.clone())),
            _ => None,
        })
        .collect()
}
