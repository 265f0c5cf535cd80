//! Properties of agent selection: the pure `assign`, and the `Acd` machine under random
//! sequences of inputs (no agent gets two offers, no call is offered twice or lost, FIFO per
//! queue, longest-idle eligible agent wins, offers only to agents of the queue).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use acd::{
    Acd, AcdConfig, AgentId, AgentState, CallId, FreeAgent, Input, Output, QueueConfig,
    WaitingCall, assign,
};
use proptest::prelude::*;

const QUEUES: usize = 3;

fn snapshot_input() -> impl Strategy<Value = (Vec<WaitingCall>, Vec<FreeAgent>)> {
    let t0 = Instant::now();
    let calls = prop::collection::vec((0..QUEUES, 0u64..20), 0..25);
    let agents = prop::collection::vec((1u8..(1 << QUEUES), 0u64..20), 0..10);
    (calls, agents).prop_map(move |(calls, agents)| {
        let waiting = calls
            .into_iter()
            .enumerate()
            .map(|(i, (queue, at))| WaitingCall {
                call: CallId(i as u64),
                queue,
                arrived: t0 + Duration::from_secs(at),
            })
            .collect();
        let free = agents
            .into_iter()
            .enumerate()
            .map(|(i, (mask, idle))| FreeAgent {
                agent: AgentId(format!("agent{i}")),
                queues: (0..QUEUES).filter(|q| mask & (1 << q) != 0).collect(),
                idle_since: t0 + Duration::from_secs(idle),
            })
            .collect();
        (waiting, free)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn assign_keeps_every_rule((waiting, free) in snapshot_input()) {
        let pairs = assign(&waiting, &free);
        let call = |id: CallId| waiting.iter().position(|w| w.call == id).unwrap();
        let agent = |id: &AgentId| free.iter().position(|a| &a.agent == id).unwrap();
        // Service order of calls and seniority of agents: time, then slice order.
        let call_key = |i: usize| (waiting[i].arrived, i);
        let agent_key = |i: usize| (free[i].idle_since, i);

        let mut agents_used = HashSet::new();
        let mut calls_used = HashSet::new();
        let mut agent_of_call = HashMap::new();
        for (c, a) in &pairs {
            prop_assert!(agents_used.insert(a.clone()), "{a} got two offers");
            prop_assert!(calls_used.insert(*c), "{c} offered twice");
            let (ci, ai) = (call(*c), agent(a));
            prop_assert!(free[ai].queues.contains(&waiting[ci].queue), "{a} does not serve the queue of {c}");
            agent_of_call.insert(ci, ai);
        }
        let call_of_agent: HashMap<usize, usize> = agent_of_call.iter().map(|(c, a)| (*a, *c)).collect();

        for q in 0..QUEUES {
            // FIFO: the calls served in each queue are its oldest ones.
            let mut in_queue: Vec<usize> = (0..waiting.len()).filter(|&i| waiting[i].queue == q).collect();
            in_queue.sort_by_key(|&i| call_key(i));
            let served = in_queue.iter().take_while(|i| agent_of_call.contains_key(i)).count();
            prop_assert!(in_queue[served..].iter().all(|i| !agent_of_call.contains_key(i)), "FIFO broken in queue {q}");
        }
        for (&ci, &ai) in &agent_of_call {
            // Longest idle: every eligible agent idle longer went to an earlier call.
            for bi in 0..free.len() {
                if free[bi].queues.contains(&waiting[ci].queue) && agent_key(bi) < agent_key(ai) {
                    let earlier = call_of_agent.get(&bi).is_some_and(|&other| call_key(other) < call_key(ci));
                    prop_assert!(earlier, "{} idle longer than {} but {} went to {}", free[bi].agent, free[ai].agent, waiting[ci].call, free[ai].agent);
                }
            }
        }
        // Work-conserving: nobody waits while a free agent of the queue is left.
        for ci in (0..waiting.len()).filter(|c| !agent_of_call.contains_key(c)) {
            for bi in (0..free.len()).filter(|b| !call_of_agent.contains_key(b)) {
                prop_assert!(!free[bi].queues.contains(&waiting[ci].queue), "{} waits while {} is free", waiting[ci].call, free[bi].agent);
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Queue(usize),
    Abandon(u64),
    Ready(usize, u8),
    NotReady(usize),
    Accept(usize),
    Reject(usize),
    End(usize),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..QUEUES).prop_map(Op::Queue),
        1 => (0u64..16).prop_map(Op::Abandon),
        3 => (0usize..5, 0u8..(1 << QUEUES)).prop_map(|(a, m)| Op::Ready(a, m)),
        1 => (0usize..5).prop_map(Op::NotReady),
        3 => (0usize..5).prop_map(Op::Accept),
        1 => (0usize..5).prop_map(Op::Reject),
        2 => (0usize..5).prop_map(Op::End),
        2 => (1u64..40).prop_map(Op::Advance),
    ]
}

fn agent_name(i: usize) -> AgentId {
    AgentId(format!("agent{i}"))
}

fn queue_name(q: usize) -> String {
    format!("q{q}")
}

/// The driver's view, built only from outputs, checked against the rules.
#[derive(Default)]
struct Model {
    queued: BTreeMap<u64, usize>,
    answered: BTreeSet<u64>,
    abandoned: BTreeSet<u64>,
    offers: HashMap<AgentId, CallId>,
    agent_queues: HashMap<AgentId, Vec<usize>>,
}

impl Model {
    fn apply(&mut self, out: &[Output]) -> Result<(), TestCaseError> {
        for o in out {
            match o {
                Output::Offer {
                    call, agent, queue, ..
                } => {
                    prop_assert!(
                        !self.offers.contains_key(agent),
                        "{agent} got a second offer"
                    );
                    prop_assert!(
                        !self.offers.values().any(|c| c == call),
                        "{call} offered twice"
                    );
                    let q = self.queued[&call.0];
                    prop_assert_eq!(queue, &queue_name(q));
                    prop_assert!(
                        self.agent_queues[agent].contains(&q),
                        "{agent} does not serve {queue}"
                    );
                    self.offers.insert(agent.clone(), *call);
                }
                Output::OfferTimedOut { call, agent } | Output::OfferCancelled { call, agent } => {
                    prop_assert_eq!(self.offers.remove(agent), Some(*call));
                }
                Output::Announce { call, position, .. } => {
                    prop_assert!(*position >= 1);
                    prop_assert!(
                        !self.offers.values().any(|c| c == call),
                        "announce to a ringing call"
                    );
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn drain(acd: &mut Acd) -> Vec<Output> {
    std::iter::from_fn(|| acd.poll_output()).collect()
}

/// No call lost: each queued call is answered, abandoned, waiting or ringing, exactly once.
fn check_conservation(acd: &Acd, model: &Model, now: Instant) -> Result<(), TestCaseError> {
    let snap = acd.snapshot(now);
    let mut where_: BTreeMap<u64, &str> = BTreeMap::new();
    for q in 0..QUEUES {
        let waiting = acd.waiting(&queue_name(q)).unwrap();
        // FIFO inside the queue: waiting calls keep arrival order (ids are not ordered, so
        // check membership and uniqueness here; order is checked by `assign` properties).
        for c in waiting {
            prop_assert_eq!(model.queued.get(&c.0), Some(&q));
            prop_assert!(where_.insert(c.0, "waiting").is_none());
        }
    }
    for a in &snap.agents {
        if let AgentState::Ringing { call, .. } = a.state {
            prop_assert_eq!(model.offers.get(&a.agent), Some(&call));
            prop_assert!(where_.insert(call.0, "ringing").is_none());
        }
    }
    for c in model.queued.keys() {
        let count = usize::from(where_.contains_key(c))
            + usize::from(model.answered.contains(c))
            + usize::from(model.abandoned.contains(c));
        prop_assert_eq!(count, 1, "call {} is lost or in two places", c);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_traffic_loses_no_call(ops in prop::collection::vec(op(), 0..80)) {
        let mut acd = Acd::new(AcdConfig {
            queues: (0..QUEUES)
                .map(|q| QueueConfig {
                    name: queue_name(q),
                    announce_every: (q != 2).then(|| Duration::from_secs(15 + 5 * q as u64)),
                    ring_timeout: Duration::from_secs(10),
                })
                .collect(),
        })
        .unwrap();
        let t0 = Instant::now();
        let mut now = t0;
        let mut model = Model::default();
        let mut next_call = 100u64;
        for op in ops {
            let input = match op {
                Op::Queue(q) => {
                    next_call += 1;
                    Input::CallQueued { call: CallId(next_call), queue: queue_name(q), now }
                }
                Op::Abandon(i) => {
                    let live: Vec<u64> = model.queued.keys().copied()
                        .filter(|c| !model.answered.contains(c) && !model.abandoned.contains(c)).collect();
                    if live.is_empty() { continue; }
                    Input::CallAbandoned { call: CallId(live[i as usize % live.len()]), now }
                }
                Op::Ready(a, mask) => Input::AgentReady {
                    agent: agent_name(a),
                    queues: (0..QUEUES).filter(|q| mask & (1 << q) != 0).map(queue_name).collect(),
                    now,
                },
                Op::NotReady(a) => Input::AgentNotReady { agent: agent_name(a), now },
                Op::Accept(a) | Op::Reject(a) => {
                    let agent = agent_name(a);
                    let Some(&call) = model.offers.get(&agent) else { continue };
                    if matches!(op, Op::Accept(_)) {
                        Input::OfferAccepted { call, agent, now }
                    } else {
                        Input::OfferRejected { call, agent, now }
                    }
                }
                Op::End(a) => Input::CallEnded { agent: agent_name(a), now },
                Op::Advance(s) => {
                    now += Duration::from_secs(s);
                    Input::Timeout(now)
                }
            };
            let result = acd.handle_input(input.clone());
            if result.is_ok() {
                match &input {
                    Input::CallQueued { call, queue, .. } => {
                        let q = (0..QUEUES).find(|&q| &queue_name(q) == queue).unwrap();
                        model.queued.insert(call.0, q);
                    }
                    Input::CallAbandoned { call, .. } => { model.abandoned.insert(call.0); }
                    Input::AgentReady { agent, queues, .. } => {
                        let qs = queues.iter().map(|n| (0..QUEUES).find(|&q| &queue_name(q) == n).unwrap()).collect();
                        model.agent_queues.insert(agent.clone(), qs);
                    }
                    Input::OfferAccepted { call, agent, .. } => {
                        model.answered.insert(call.0);
                        model.offers.remove(agent);
                    }
                    Input::OfferRejected { agent, .. } => { model.offers.remove(agent); }
                    _ => {}
                }
            }
            let out = drain(&mut acd);
            model.apply(&out)?;
            check_conservation(&acd, &model, now)?;
        }

        // Everyone gets to work on every queue and answers: every waiting call is served.
        for _ in 0..200 {
            now += Duration::from_secs(1);
            for a in 0..5 {
                let agent = agent_name(a);
                if let Some(&call) = model.offers.get(&agent) {
                    acd.handle_input(Input::OfferAccepted { call, agent: agent.clone(), now }).unwrap();
                    model.answered.insert(call.0);
                    model.offers.remove(&agent);
                    acd.handle_input(Input::CallEnded { agent, now }).unwrap();
                } else {
                    let _ = acd.handle_input(Input::CallEnded { agent: agent.clone(), now });
                    let all = (0..QUEUES).map(queue_name).collect();
                    let _ = acd.handle_input(Input::AgentReady { agent: agent.clone(), queues: all, now });
                    model.agent_queues.insert(agent, (0..QUEUES).collect());
                }
                let out = drain(&mut acd);
                model.apply(&out)?;
            }
            check_conservation(&acd, &model, now)?;
            if model.offers.is_empty() && (0..QUEUES).all(|q| acd.waiting(&queue_name(q)).unwrap().is_empty()) {
                break;
            }
        }
        for q in 0..QUEUES {
            prop_assert!(acd.waiting(&queue_name(q)).unwrap().is_empty(), "calls left in q{q}");
        }
        prop_assert_eq!(model.answered.len() + model.abandoned.len(), model.queued.len());
        let snap = acd.snapshot(now);
        let answered: u64 = snap.queues.iter().map(|q| q.answered).sum();
        let abandoned: u64 = snap.queues.iter().map(|q| q.abandoned).sum();
        prop_assert_eq!(answered as usize, model.answered.len());
        prop_assert_eq!(abandoned as usize, model.abandoned.len());
    }
}
