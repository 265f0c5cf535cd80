//! Properties of the ACD under random sequences of inputs, checked against an independent model
//! built from its outputs and journal alone: no operator holds two offers; FIFO within a
//! priority class; the longest-idle available operator of a queue wins; no call lost or
//! duplicated and every call ends in exactly one outcome; no queue has a waiting caller and an
//! available operator at once; refused inputs change nothing; the journal is gap-free and a
//! replay of it behaves exactly like the original.

mod common;

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use acd::{
    Acd, AcdConfig, AnnounceConfig, CallId, Destination, Event, Forced, Input, JoinedVia,
    JournalEntry, NoAnswerPolicy, OperatorId, Output, QueueConfig, QueueId, ReasonCode,
    RejectReason, Status, Strategy as Distribution, Trigger,
};
use common::{profile, secs};
use proptest::prelude::*;

const QUEUES: [&str; 5] = ["front", "second", "skills", "turns", "fair"];
const OPERATORS: usize = 6;

fn queue_config() -> AcdConfig {
    let mut front = QueueConfig::new("front");
    front.wrap_up = secs(5);
    front.announce = Some(AnnounceConfig {
        every: secs(20),
        skip_below: secs(5),
    });
    front.max_wait = Some(secs(120));
    front.on_max_wait = Destination::Queue {
        queue: "second".into(),
    };
    front.max_len = Some(6);
    front.on_full = Destination::Voicemail;
    front.ring_timeout = secs(10);
    let mut second = QueueConfig::new("second");
    second.strategy = Distribution::RingAll;
    second.weight = 3;
    second.no_answer = NoAnswerPolicy::StayReady;
    second.retry_delay = secs(3);
    second.leave_when_empty = true;
    second.on_empty = Destination::Message {
        prompt: "closed".into(),
    };
    let mut skills = QueueConfig::new("skills");
    skills.strategy = Distribution::Skills;
    skills.join_when_empty = false;
    skills.open = false;
    skills.on_closed = Destination::Queue {
        queue: "front".into(),
    };
    skills.wrap_up = secs(12);
    let mut turns = QueueConfig::new("turns");
    turns.strategy = Distribution::RoundRobin;
    turns.announce = Some(AnnounceConfig {
        every: secs(15),
        skip_below: secs(0),
    });
    let mut fair = QueueConfig::new("fair");
    fair.strategy = Distribution::FewestCalls;
    fair.max_wait = Some(secs(60));
    fair.on_max_wait = Destination::Queue {
        queue: "fair".into(),
    };
    let mut c = AcdConfig::new(vec![front, second, skills, turns, fair]);
    c.ageing_bound = secs(90);
    c.operators = (0..OPERATORS)
        .map(|i| {
            let queues: Vec<(&str, u8)> = QUEUES
                .iter()
                .enumerate()
                .filter(|(q, _)| (i + q) % 3 != 0 || i == 0)
                .map(|(q, name)| (*name, (10 * (i + q) % 101) as u8))
                .collect();
            profile(&format!("o{i}"), &queues)
        })
        .collect();
    c
}

#[derive(Debug, Clone)]
enum Op {
    Join(usize, u8),
    Abandon(usize),
    Callback(usize),
    Accept(usize),
    Reject(usize, u8),
    Transfer(usize, usize),
    Complete(usize),
    Login(usize, u8),
    Logout(usize, u8),
    Ready(usize),
    NotReady(usize, u8),
    EndWrap(usize),
    Extend(usize, u8),
    Force(usize, u8),
    Open(usize, bool),
    Profile(usize, u8),
    Advance(u16),
    StartDay,
    Garbage(u8),
}

fn op() -> impl Strategy<Value = Op> {
    let o = 0..OPERATORS;
    let q = 0..QUEUES.len();
    prop_oneof![
        6 => (q.clone(), 0u8..3).prop_map(|(q, p)| Op::Join(q, p)),
        1 => (0usize..50).prop_map(Op::Abandon),
        1 => (0usize..50).prop_map(Op::Callback),
        5 => o.clone().prop_map(Op::Accept),
        1 => (o.clone(), 0u8..3).prop_map(|(o, r)| Op::Reject(o, r)),
        1 => (0usize..50, q.clone()).prop_map(|(c, q)| Op::Transfer(c, q)),
        4 => (0usize..50).prop_map(Op::Complete),
        3 => (o.clone(), any::<u8>()).prop_map(|(o, m)| Op::Login(o, m)),
        1 => (o.clone(), any::<u8>()).prop_map(|(o, m)| Op::Logout(o, m)),
        2 => o.clone().prop_map(Op::Ready),
        1 => (o.clone(), 0u8..3).prop_map(|(o, r)| Op::NotReady(o, r)),
        1 => o.clone().prop_map(Op::EndWrap),
        1 => (o.clone(), any::<u8>()).prop_map(|(o, s)| Op::Extend(o, s)),
        1 => (o.clone(), 0u8..3).prop_map(|(o, f)| Op::Force(o, f)),
        1 => (q, any::<bool>()).prop_map(|(q, b)| Op::Open(q, b)),
        1 => (o, any::<u8>()).prop_map(|(o, m)| Op::Profile(o, m)),
        5 => (1u16..40).prop_map(Op::Advance),
        1 => Just(Op::StartDay),
        1 => any::<u8>().prop_map(Op::Garbage),
    ]
}

fn operator(i: usize) -> OperatorId {
    OperatorId(format!("o{i}"))
}

fn queues_of(mask: u8) -> Option<Vec<QueueId>> {
    (mask & 0x80 == 0).then(|| {
        (0..QUEUES.len())
            .filter(|q| mask & (1 << q) != 0)
            .map(|q| QUEUES[q].into())
            .collect()
    })
}

/// The driver's view, from the actions alone.
#[derive(Default, Clone)]
struct Driver {
    next_call: u64,
    /// Every call ever joined, in order.
    calls: Vec<CallId>,
    offers: HashMap<OperatorId, CallId>,
    connected: Vec<CallId>,
}

#[derive(Clone, Debug, PartialEq)]
enum Phase {
    Waiting(QueueId),
    Ringing(QueueId, BTreeSet<OperatorId>),
    Connected,
    Moving,
}

/// Priority class (higher first), then arrival order.
type Place = (Reverse<u8>, u64);

/// The journal's view: an independent model of queues and operators.
#[derive(Default, Clone)]
struct Model {
    next_seq: u64,
    last_at: Option<Instant>,
    arrivals: u64,
    place: HashMap<CallId, Place>,
    phase: HashMap<CallId, Phase>,
    waiting: HashMap<QueueId, BTreeSet<(Place, CallId)>>,
    outcomes: HashMap<CallId, u32>,
    /// Available operators (ready, not held off), with their ready-since.
    ready_since: HashMap<OperatorId, Instant>,
    available: HashSet<OperatorId>,
    reserved: HashMap<OperatorId, CallId>,
    members: HashMap<OperatorId, HashSet<QueueId>>,
}

fn strategy(q: &QueueId, config: &AcdConfig) -> Distribution {
    config
        .queues
        .iter()
        .find(|c| &c.name == q)
        .map_or(Distribution::LongestIdle, |c| c.strategy)
}

impl Model {
    fn check(&mut self, e: &JournalEntry, config: &AcdConfig) -> Result<(), TestCaseError> {
        prop_assert_eq!(e.seq, self.next_seq, "journal gap");
        self.next_seq += 1;
        prop_assert!(self.last_at.is_none_or(|l| e.at >= l), "time went back");
        self.last_at = Some(e.at);
        if let Some(call) = e.event.call() {
            prop_assert!(
                !self.outcomes.contains_key(&call),
                "{} after its outcome: {:?}",
                call,
                e.event
            );
        }
        match &e.event {
            Event::Joined {
                call,
                queue,
                priority,
                via,
                ..
            } => {
                let seq = match (via, self.place.get(call)) {
                    (JoinedVia::Overflow { .. }, Some(p)) => p.1,
                    _ => {
                        self.arrivals += 1;
                        self.arrivals
                    }
                };
                let place = (Reverse(*priority), seq);
                self.place.insert(*call, place);
                self.phase.insert(*call, Phase::Waiting(queue.clone()));
                self.waiting
                    .entry(queue.clone())
                    .or_default()
                    .insert((place, *call));
            }
            Event::Refused {
                call, destination, ..
            } if !matches!(destination, Destination::Queue { .. }) => {
                self.outcome(*call)?;
            }
            Event::Left {
                call,
                queue,
                destination,
                ..
            } => {
                self.unwait(*call, queue)?;
                if matches!(destination, Destination::Queue { .. }) {
                    self.phase.insert(*call, Phase::Moving);
                } else {
                    self.outcome(*call)?;
                }
            }
            Event::CallbackRequested { call, queue } => {
                prop_assert_eq!(self.phase.get(call), Some(&Phase::Waiting(queue.clone())));
            }
            Event::Offered {
                call,
                queue,
                operator,
                ..
            } => {
                prop_assert!(
                    self.available.contains(operator),
                    "{} offered {} while not available",
                    operator,
                    call
                );
                prop_assert!(self.members[operator].contains(queue));
                match self.phase.get(call).cloned() {
                    Some(Phase::Waiting(q)) => {
                        prop_assert_eq!(&q, queue);
                        let head = self.waiting[queue].first().map(|(_, c)| *c);
                        prop_assert_eq!(head, Some(*call), "FIFO: not the head of {}", queue);
                        self.unwait(*call, queue)?;
                        self.phase.insert(
                            *call,
                            Phase::Ringing(queue.clone(), BTreeSet::from([operator.clone()])),
                        );
                    }
                    Some(Phase::Ringing(q, mut ops)) => {
                        prop_assert_eq!(strategy(&q, config), Distribution::RingAll);
                        ops.insert(operator.clone());
                        self.phase.insert(*call, Phase::Ringing(q, ops));
                    }
                    other => prop_assert!(false, "offered {} in {:?}", call, other),
                }
                if strategy(queue, config) == Distribution::LongestIdle {
                    let mine = self.ready_since[operator];
                    for other in &self.available {
                        if self.members[other].contains(queue) {
                            prop_assert!(
                                self.ready_since[other] >= mine,
                                "{} idle longer than {} in {}",
                                other,
                                operator,
                                queue
                            );
                        }
                    }
                }
            }
            Event::OfferCancelled { call, operator, .. }
            | Event::RingNoAnswer { call, operator }
            | Event::OfferRejected { call, operator, .. } => {
                if let Some(Phase::Ringing(q, mut ops)) = self.phase.get(call).cloned() {
                    prop_assert!(ops.remove(operator));
                    if ops.is_empty() {
                        let place = self.place[call];
                        self.waiting
                            .entry(q.clone())
                            .or_default()
                            .insert((place, *call));
                        self.phase.insert(*call, Phase::Waiting(q));
                    } else {
                        self.phase.insert(*call, Phase::Ringing(q, ops));
                    }
                } else {
                    let cancelled = matches!(e.event, Event::OfferCancelled { .. });
                    prop_assert!(cancelled, "{:?} of no offer", e.event);
                }
            }
            Event::Connected { call, operator, .. } => {
                match self.phase.get(call) {
                    Some(Phase::Ringing(_, ops)) => prop_assert!(ops.contains(operator)),
                    other => prop_assert!(false, "connected {} in {:?}", call, other),
                }
                self.phase.insert(*call, Phase::Connected);
            }
            Event::Transferred { call, .. } => {
                prop_assert_eq!(self.phase.get(call), Some(&Phase::Connected));
                self.phase.insert(*call, Phase::Moving);
            }
            Event::Completed { call, .. } => {
                prop_assert_eq!(self.phase.get(call), Some(&Phase::Connected));
                self.outcome(*call)?;
            }
            Event::Abandoned { call, queue, .. } => {
                self.unwait(*call, queue)?;
                self.outcome(*call)?;
            }
            Event::Announced {
                call,
                queue,
                position,
                ..
            } => {
                let rank = self.waiting[queue].iter().position(|(_, c)| c == call);
                prop_assert_eq!(rank.map(|r| r + 1), Some(*position));
            }
            Event::LoggedIn {
                operator, queue, ..
            } => {
                prop_assert!(
                    self.members
                        .entry(operator.clone())
                        .or_default()
                        .insert(queue.clone())
                );
            }
            Event::LoggedOut { operator, queue } => {
                prop_assert!(
                    self.members
                        .entry(operator.clone())
                        .or_default()
                        .remove(queue)
                );
            }
            Event::StateChanged {
                operator, status, ..
            } => {
                let previous = self.ready_since.get(operator).copied();
                self.available.remove(operator);
                let reserved = self.reserved.remove(operator);
                match status {
                    Status::Ready {
                        hold_off,
                        kept_place,
                    } => {
                        let since = match (kept_place, previous) {
                            (true, Some(p)) => p,
                            _ => e.at,
                        };
                        self.ready_since.insert(operator.clone(), since);
                        if hold_off.is_none() {
                            self.available.insert(operator.clone());
                        }
                    }
                    Status::Reserved { call } => {
                        prop_assert!(reserved.is_none(), "{} holds two offers", operator);
                        self.reserved.insert(operator.clone(), *call);
                    }
                    _ => {
                        self.ready_since.remove(operator);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn unwait(&mut self, call: CallId, queue: &QueueId) -> Result<(), TestCaseError> {
        prop_assert_eq!(self.phase.get(&call), Some(&Phase::Waiting(queue.clone())));
        let place = self.place[&call];
        prop_assert!(
            self.waiting
                .get_mut(queue)
                .is_some_and(|w| w.remove(&(place, call)))
        );
        Ok(())
    }

    fn outcome(&mut self, call: CallId) -> Result<(), TestCaseError> {
        let n = self.outcomes.entry(call).or_default();
        *n += 1;
        prop_assert_eq!(*n, 1, "{} has two outcomes", call);
        self.phase.remove(&call);
        Ok(())
    }
}

struct Runner {
    acd: Acd,
    config: AcdConfig,
    t0: Instant,
    now: Instant,
    driver: Driver,
    model: Model,
    journal: Vec<JournalEntry>,
}

impl Runner {
    fn new() -> Runner {
        let config = queue_config();
        let t0 = Instant::now();
        Runner {
            acd: Acd::new(config.clone(), t0).unwrap(),
            config,
            t0,
            now: t0,
            driver: Driver::default(),
            model: Model::default(),
            journal: Vec::new(),
        }
    }

    /// The input `op` stands for, as the driver would send it (`None`: time only).
    fn input_for(&mut self, op: &Op) -> Option<Input> {
        let d = &mut self.driver;
        let pick = |v: &[CallId], i: usize| v.get(i % v.len().max(1)).copied();
        Some(match op {
            Op::Join(q, priority) => {
                d.next_call += 1;
                let call = CallId(d.next_call);
                d.calls.push(call);
                Input::Join {
                    call,
                    queue: QUEUES[*q].into(),
                    priority: *priority,
                }
            }
            Op::Abandon(i) => Input::Abandon {
                call: pick(&d.calls, *i)?,
            },
            Op::Callback(i) => Input::RequestCallback {
                call: pick(&d.calls, *i)?,
            },
            Op::Accept(o) | Op::Reject(o, _) => {
                let operator = operator(*o);
                let call = *d.offers.get(&operator)?;
                match op {
                    Op::Reject(_, r) => Input::Reject {
                        call,
                        operator,
                        reason: [
                            RejectReason::Busy,
                            RejectReason::Declined,
                            RejectReason::Unreachable,
                        ][usize::from(*r)],
                    },
                    _ => Input::Accept { call, operator },
                }
            }
            Op::Transfer(i, q) => Input::Transfer {
                call: pick(&d.connected, *i)?,
                to: QUEUES[*q].into(),
                priority: 1,
            },
            Op::Complete(i) => Input::Complete {
                call: pick(&d.connected, *i)?,
            },
            Op::Login(o, mask) => Input::Login {
                operator: operator(*o),
                queues: queues_of(*mask),
            },
            Op::Logout(o, mask) => Input::Logout {
                operator: operator(*o),
                queues: queues_of(*mask),
            },
            Op::Ready(o) => Input::Ready {
                operator: operator(*o),
            },
            Op::NotReady(o, r) => Input::NotReady {
                operator: operator(*o),
                reason: ReasonCode::new(["break", "training", "back_office"][usize::from(*r)])
                    .unwrap(),
            },
            Op::EndWrap(o) => Input::EndWrapUp {
                operator: operator(*o),
            },
            Op::Extend(o, s) => Input::ExtendWrapUp {
                operator: operator(*o),
                by: secs(u64::from(*s)),
            },
            Op::Force(o, f) => Input::Force {
                operator: operator(*o),
                state: match f {
                    0 => Forced::Ready,
                    1 => Forced::NotReady {
                        reason: ReasonCode::new("supervisor").unwrap(),
                    },
                    _ => Forced::LoggedOut,
                },
            },
            Op::Open(q, open) => Input::SetQueueOpen {
                queue: QUEUES[*q].into(),
                open: *open,
                by: Trigger::Supervisor,
            },
            Op::Profile(o, mask) => {
                let queues: Vec<(&str, u8)> = (0..QUEUES.len())
                    .filter(|q| mask & (1 << q) != 0)
                    .map(|q| (QUEUES[q], mask / 3))
                    .collect();
                Input::SetProfile(profile(&format!("o{o}"), &queues))
            }
            Op::Advance(_) => return None,
            Op::StartDay => Input::StartDay,
            Op::Garbage(g) => match g % 4 {
                0 => Input::Accept {
                    call: CallId(9999),
                    operator: operator(0),
                },
                1 => Input::Login {
                    operator: "nobody".into(),
                    queues: None,
                },
                2 => Input::Join {
                    call: CallId(1_000_000),
                    queue: "nowhere".into(),
                    priority: 0,
                },
                _ => Input::Complete {
                    call: CallId(u64::from(*g)),
                },
            },
        })
    }

    /// Runs one op; returns the outputs it produced.
    fn step(&mut self, op: &Op) -> Result<Vec<Output>, TestCaseError> {
        if let Op::Advance(s) = op {
            self.now += Duration::from_secs(u64::from(*s));
            self.acd.handle_timeout(self.now);
            return self.absorb(None);
        }
        let Some(input) = self.input_for(op) else {
            return Ok(Vec::new());
        };
        self.apply(input)
    }

    fn apply(&mut self, input: Input) -> Result<Vec<Output>, TestCaseError> {
        // Time first, so that a refused input can be seen to change nothing.
        self.acd.handle_timeout(self.now);
        let mut out = self.absorb(None)?;
        let before = self.acd.snapshot(self.now);
        let result = self.acd.handle_input(self.now, input.clone());
        if result.is_err() {
            prop_assert_eq!(self.acd.poll_output(), None, "a refused input had outputs");
            prop_assert_eq!(
                &self.acd.snapshot(self.now),
                &before,
                "a refused input changed the state"
            );
        }
        out.extend(self.absorb(Some(&input).filter(|_| result.is_ok()))?);
        Ok(out)
    }

    fn absorb(&mut self, done: Option<&Input>) -> Result<Vec<Output>, TestCaseError> {
        let d = &mut self.driver;
        match done {
            Some(Input::Accept { call, operator }) => {
                d.offers.remove(operator);
                d.connected.push(*call);
            }
            Some(Input::Reject { operator, .. }) => {
                d.offers.remove(operator);
            }
            Some(Input::Complete { call } | Input::Transfer { call, .. }) => {
                d.connected.retain(|c| c != call);
            }
            _ => {}
        }
        let mut out = Vec::new();
        while let Some(o) = self.acd.poll_output() {
            match &o {
                Output::Journal(e) => {
                    self.model.check(e, &self.config)?;
                    self.journal.push(e.clone());
                }
                Output::Offer { call, operator, .. } => {
                    let previous = self.driver.offers.insert(operator.clone(), *call);
                    prop_assert!(previous.is_none(), "{} got a second offer", operator);
                }
                Output::CancelOffer { call, operator } => {
                    prop_assert_eq!(self.driver.offers.remove(operator), Some(*call));
                }
                _ => {}
            }
            out.push(o);
        }
        self.check_state()?;
        Ok(out)
    }

    /// The ACD agrees with the model, and keeps work conservation.
    fn check_state(&self) -> Result<(), TestCaseError> {
        let snap = self.acd.snapshot(self.now);
        for q in &snap.queues {
            let model: Vec<CallId> = self
                .model
                .waiting
                .get(&q.queue)
                .map(|w| w.iter().map(|(_, c)| *c).collect())
                .unwrap_or_default();
            let acd: Vec<CallId> = q.waiting.iter().map(|w| w.call).collect();
            prop_assert_eq!(acd, model, "waiting order of {}", q.queue);
            prop_assert!(
                q.waiting.is_empty() || q.operators.ready == 0,
                "{} has callers waiting and a ready operator",
                q.queue
            );
        }
        for o in &snap.operators {
            let reserved = matches!(o.state, acd::OperatorState::Reserved { .. });
            prop_assert_eq!(reserved, self.driver.offers.contains_key(&o.operator));
        }
        Ok(())
    }

    /// Ends every call: answers offers, completes conversations, abandons the rest.
    fn finish(&mut self) -> Result<(), TestCaseError> {
        for _ in 0..400 {
            let offers: Vec<(OperatorId, CallId)> = self
                .driver
                .offers
                .iter()
                .map(|(o, c)| (o.clone(), *c))
                .collect();
            for (operator, call) in offers {
                self.apply(Input::Accept { call, operator })?;
            }
            for call in self.driver.connected.clone() {
                self.apply(Input::Complete { call })?;
            }
            for call in self.driver.calls.clone() {
                if !self.model.outcomes.contains_key(&call)
                    && self
                        .model
                        .phase
                        .get(&call)
                        .is_some_and(|p| matches!(p, Phase::Waiting(_)))
                {
                    self.apply(Input::Abandon { call })?;
                }
            }
            if self
                .driver
                .calls
                .iter()
                .all(|c| self.model.outcomes.contains_key(c))
            {
                break;
            }
            // Shorter than every ring timeout, so that offers are answered before they lapse.
            self.now += Duration::from_secs(5);
        }
        for call in &self.driver.calls {
            prop_assert_eq!(
                self.model.outcomes.get(call),
                Some(&1),
                "{} has no outcome",
                call
            );
        }
        let snap = self.acd.snapshot(self.now);
        for q in &snap.queues {
            prop_assert!(q.waiting.is_empty() && q.offering == 0 && q.connected == 0);
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_traffic_keeps_every_rule(ops in prop::collection::vec(op(), 0..150)) {
        let mut r = Runner::new();
        for op in &ops {
            r.step(op)?;
        }
        r.finish()?;
    }

    #[test]
    fn a_replayed_journal_behaves_like_the_original(
        ops in prop::collection::vec(op(), 1..150),
        cut in any::<prop::sample::Index>(),
    ) {
        let cut = cut.index(ops.len());
        let mut live = Runner::new();
        for op in &ops[..cut] {
            live.step(op)?;
        }
        let mut replayed = Acd::replay(live.config.clone(), live.t0, live.journal.clone())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(replayed.next_seq(), live.journal.len() as u64);
        prop_assert_eq!(replayed.snapshot(live.now), live.acd.snapshot(live.now));
        for op in &ops[cut..] {
            let now_before = live.now;
            let input = match op {
                Op::Advance(_) => None,
                other => live.input_for(other),
            };
            let out = match (&input, op) {
                (Some(i), _) => live.apply(i.clone())?,
                (None, Op::Advance(_)) => live.step(op)?,
                (None, _) => continue,
            };
            let mut twin = Vec::new();
            replayed.handle_timeout(now_before);
            if let Some(i) = input {
                let _ = replayed.handle_input(live.now, i);
            } else {
                replayed.handle_timeout(live.now);
            }
            while let Some(o) = replayed.poll_output() {
                twin.push(o);
            }
            prop_assert_eq!(twin, out);
            prop_assert_eq!(replayed.snapshot(live.now), live.acd.snapshot(live.now));
        }
    }
}

#[test]
fn a_journal_with_a_gap_or_a_foreign_entry_is_refused() {
    let mut r = Runner::new();
    for op in [
        Op::Login(0, 0x80),
        Op::Join(0, 0),
        Op::Accept(0),
        Op::Advance(5),
    ] {
        r.step(&op).unwrap();
    }
    let mut gap = r.journal.clone();
    gap.remove(1);
    assert!(matches!(
        Acd::replay(r.config.clone(), r.t0, gap),
        Err(acd::ReplayError::Gap {
            expected: 1,
            found: 2
        })
    ));
    let mut foreign = r.journal.clone();
    foreign.push(JournalEntry {
        seq: foreign.len() as u64,
        at: r.now,
        event: Event::Completed {
            call: CallId(77),
            queue: "front".into(),
            operator: "o0".into(),
            talk: secs(1),
        },
    });
    assert!(matches!(
        Acd::replay(r.config.clone(), r.t0, foreign),
        Err(acd::ReplayError::Inconsistent { .. })
    ));
}
