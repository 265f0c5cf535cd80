//! Stories of the ACD in simulated time: who gets which call, and when.

use std::time::{Duration, Instant};

use acd::{Acd, AcdConfig, AcdError, AgentId, AgentState, CallId, Input, Output, QueueConfig};

const RING: Duration = Duration::from_secs(20);

struct Sim {
    acd: Acd,
    t0: Instant,
    now: Instant,
}

impl Sim {
    fn new(queues: &[(&str, Option<u64>)]) -> Sim {
        let acd = Acd::new(AcdConfig {
            queues: queues
                .iter()
                .map(|(name, every)| QueueConfig {
                    name: name.to_string(),
                    announce_every: every.map(Duration::from_secs),
                    ring_timeout: RING,
                })
                .collect(),
        })
        .unwrap();
        let t0 = Instant::now();
        Sim { acd, t0, now: t0 }
    }

    fn at(&mut self, secs: u64) -> Instant {
        self.now = self.t0 + Duration::from_secs(secs);
        self.now
    }

    fn input(&mut self, input: Input) -> Vec<Output> {
        self.acd.handle_input(input).unwrap();
        self.drain()
    }

    fn drain(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.acd.poll_output()).collect()
    }

    fn deadline(&mut self) -> Option<Instant> {
        if let Some(o) = self.acd.poll_output() {
            panic!("pending output {o:?}");
        }
        self.acd.poll_timeout()
    }

    fn ready(&mut self, secs: u64, agent: &str, queues: &[&str]) -> Vec<Output> {
        let now = self.at(secs);
        self.input(Input::AgentReady {
            agent: agent.into(),
            queues: queues.iter().map(|q| q.to_string()).collect(),
            now,
        })
    }

    fn queued(&mut self, secs: u64, call: u64, queue: &str) -> Vec<Output> {
        let now = self.at(secs);
        self.input(Input::CallQueued {
            call: CallId(call),
            queue: queue.into(),
            now,
        })
    }

    fn accept(&mut self, secs: u64, call: u64, agent: &str) -> Vec<Output> {
        let now = self.at(secs);
        self.input(Input::OfferAccepted {
            call: CallId(call),
            agent: agent.into(),
            now,
        })
    }

    fn ended(&mut self, secs: u64, agent: &str) -> Vec<Output> {
        let now = self.at(secs);
        self.input(Input::CallEnded {
            agent: agent.into(),
            now,
        })
    }
}

fn offer(call: u64, agent: &str, queue: &str, waited: u64) -> Output {
    Output::Offer {
        call: CallId(call),
        agent: AgentId::from(agent),
        queue: queue.into(),
        waited: Duration::from_secs(waited),
    }
}

#[test]
fn the_agent_idle_longest_gets_the_call() {
    let mut sim = Sim::new(&[("technology", None)]);
    sim.ready(0, "bruno", &["technology"]);
    sim.ready(10, "anna", &["technology"]);
    assert_eq!(
        sim.queued(20, 1, "technology"),
        vec![offer(1, "bruno", "technology", 0)]
    );
    assert_eq!(
        sim.queued(21, 2, "technology"),
        vec![offer(2, "anna", "technology", 0)]
    );
    // Bruno finishes later than Anna: Anna is now idle the longest.
    sim.accept(22, 1, "bruno");
    sim.accept(22, 2, "anna");
    sim.ended(100, "anna");
    sim.ended(200, "bruno");
    assert_eq!(
        sim.queued(300, 3, "technology"),
        vec![offer(3, "anna", "technology", 0)]
    );
}

#[test]
fn callers_are_served_in_arrival_order() {
    let mut sim = Sim::new(&[("technology", None)]);
    assert_eq!(sim.queued(0, 1, "technology"), vec![]);
    assert_eq!(sim.queued(5, 2, "technology"), vec![]);
    assert_eq!(sim.queued(9, 3, "technology"), vec![]);
    assert_eq!(
        sim.acd.waiting("technology").unwrap(),
        vec![CallId(1), CallId(2), CallId(3)]
    );
    assert_eq!(
        sim.ready(30, "anna", &["technology"]),
        vec![offer(1, "anna", "technology", 30)]
    );
    sim.accept(31, 1, "anna");
    assert_eq!(
        sim.ready(40, "bruno", &["technology"]),
        vec![offer(2, "bruno", "technology", 35)]
    );
    let stats = &sim.acd.snapshot(sim.now).queues[0];
    assert_eq!(stats.waiting, 1);
    assert_eq!(stats.ringing, 1);
    assert_eq!(stats.oldest_wait, Some(Duration::from_secs(35)));
    assert_eq!(stats.answered, 1);
    assert_eq!(stats.avg_wait, Some(Duration::from_secs(31)));
}

#[test]
fn an_agent_of_several_queues_takes_the_longest_waiting_call() {
    let mut sim = Sim::new(&[("personnel", None), ("technology", None)]);
    sim.queued(0, 1, "technology");
    sim.queued(3, 2, "personnel");
    sim.queued(4, 3, "technology");
    assert_eq!(
        sim.ready(10, "anna", &["personnel", "technology"]),
        vec![offer(1, "anna", "technology", 10)]
    );
    sim.accept(11, 1, "anna");
    assert_eq!(
        sim.ended(50, "anna"),
        vec![offer(2, "anna", "personnel", 47)]
    );
}

#[test]
fn offers_go_only_to_agents_of_the_queue() {
    let mut sim = Sim::new(&[("personnel", None), ("technology", None)]);
    sim.ready(0, "anna", &["personnel"]);
    assert_eq!(sim.queued(1, 1, "technology"), vec![]);
    assert_eq!(
        sim.ready(2, "bruno", &["technology"]),
        vec![offer(1, "bruno", "technology", 1)]
    );
}

#[test]
fn a_caller_who_hangs_up_leaves_the_queue() {
    let mut sim = Sim::new(&[("technology", None)]);
    sim.queued(0, 1, "technology");
    sim.queued(1, 2, "technology");
    let now = sim.at(5);
    assert_eq!(
        sim.input(Input::CallAbandoned {
            call: CallId(1),
            now
        }),
        vec![]
    );
    assert_eq!(sim.acd.waiting("technology").unwrap(), vec![CallId(2)]);
    assert_eq!(
        sim.ready(6, "anna", &["technology"]),
        vec![offer(2, "anna", "technology", 5)]
    );
    assert_eq!(sim.acd.snapshot(sim.now).queues[0].abandoned, 1);
    // Hanging up while ringing: the offer is cancelled and the agent keeps its place.
    let now = sim.at(7);
    assert_eq!(
        sim.input(Input::CallAbandoned {
            call: CallId(2),
            now
        }),
        vec![Output::OfferCancelled {
            call: CallId(2),
            agent: "anna".into()
        }]
    );
    let snap = sim.acd.snapshot(sim.now);
    assert_eq!(
        snap.agents[0].state,
        AgentState::Ready {
            idle_since: sim.t0 + Duration::from_secs(6)
        }
    );
    assert_eq!(snap.queues[0].abandoned, 2);
    assert_eq!(
        sim.acd.handle_input(Input::CallAbandoned {
            call: CallId(2),
            now
        }),
        Err(AcdError::UnknownCall(CallId(2)))
    );
}

#[test]
fn a_rejected_call_goes_back_to_the_head_and_the_agent_goes_not_ready() {
    let mut sim = Sim::new(&[("technology", None)]);
    sim.ready(0, "anna", &["technology"]);
    assert_eq!(
        sim.queued(1, 1, "technology"),
        vec![offer(1, "anna", "technology", 0)]
    );
    sim.queued(2, 2, "technology");
    let now = sim.at(4);
    assert_eq!(
        sim.input(Input::OfferRejected {
            call: CallId(1),
            agent: "anna".into(),
            now
        }),
        vec![]
    );
    assert_eq!(
        sim.acd.waiting("technology").unwrap(),
        vec![CallId(1), CallId(2)],
        "back at the head, ahead of the later call"
    );
    assert_eq!(sim.acd.snapshot(now).agents[0].state, AgentState::NotReady);
    // The next agent gets the rejected call first, with its full wait.
    assert_eq!(
        sim.ready(10, "bruno", &["technology"]),
        vec![offer(1, "bruno", "technology", 9)]
    );
}

#[test]
fn an_unanswered_offer_times_out() {
    let mut sim = Sim::new(&[("technology", None)]);
    sim.ready(0, "anna", &["technology"]);
    sim.ready(1, "bruno", &["technology"]);
    sim.queued(2, 1, "technology");
    let deadline = sim.deadline().expect("ring timeout pending");
    assert_eq!(deadline, sim.t0 + Duration::from_secs(2) + RING);
    sim.now = deadline;
    assert_eq!(
        sim.input(Input::Timeout(deadline)),
        vec![
            Output::OfferTimedOut {
                call: CallId(1),
                agent: "anna".into()
            },
            offer(1, "bruno", "technology", 20),
        ]
    );
}

#[test]
fn not_ready_withdraws_an_offer_and_waits_for_the_end_of_a_call() {
    let mut sim = Sim::new(&[("technology", None)]);
    sim.ready(0, "anna", &["technology"]);
    sim.queued(1, 1, "technology");
    let now = sim.at(2);
    assert_eq!(
        sim.input(Input::AgentNotReady {
            agent: "anna".into(),
            now
        }),
        vec![Output::OfferCancelled {
            call: CallId(1),
            agent: "anna".into()
        }]
    );
    assert_eq!(
        sim.ready(3, "anna", &["technology"]),
        vec![offer(1, "anna", "technology", 2)]
    );
    sim.accept(4, 1, "anna");
    let now = sim.at(5);
    sim.input(Input::AgentNotReady {
        agent: "anna".into(),
        now,
    });
    assert!(sim.acd.snapshot(now).agents[0].not_ready_after_call);
    sim.queued(6, 2, "technology");
    assert_eq!(sim.ended(7, "anna"), vec![], "not ready after the call");
    assert_eq!(
        sim.acd.snapshot(sim.now).agents[0].state,
        AgentState::NotReady
    );
}

#[test]
fn position_announcements_at_the_interval() {
    let mut sim = Sim::new(&[("technology", Some(30)), ("quiet", None)]);
    sim.queued(0, 1, "technology");
    sim.queued(10, 2, "technology");
    sim.queued(10, 9, "quiet");
    assert_eq!(sim.deadline(), Some(sim.t0 + Duration::from_secs(30)));
    let now = sim.at(30);
    assert_eq!(
        sim.input(Input::Timeout(now)),
        vec![Output::Announce {
            call: CallId(1),
            position: 1,
            average_wait: None
        }]
    );
    assert_eq!(sim.deadline(), Some(sim.t0 + Duration::from_secs(40)));
    let now = sim.at(40);
    assert_eq!(
        sim.input(Input::Timeout(now)),
        vec![Output::Announce {
            call: CallId(2),
            position: 2,
            average_wait: None
        }]
    );
    // Call 1 is answered after 45 s: call 2 moves up, the average is known.
    sim.ready(45, "anna", &["technology"]);
    sim.accept(45, 1, "anna");
    let now = sim.at(70);
    assert_eq!(
        sim.input(Input::Timeout(now)),
        vec![Output::Announce {
            call: CallId(2),
            position: 1,
            average_wait: Some(Duration::from_secs(45))
        }]
    );
    // Early timeouts announce nothing.
    let now = sim.at(75);
    assert_eq!(sim.input(Input::Timeout(now)), vec![]);
}

#[test]
fn bad_inputs_are_errors_and_change_nothing() {
    let mut sim = Sim::new(&[("technology", None)]);
    let now = sim.at(0);
    let mut err = |input| sim.acd.handle_input(input).unwrap_err();
    assert_eq!(
        err(Input::CallQueued {
            call: CallId(1),
            queue: "nope".into(),
            now
        }),
        AcdError::UnknownQueue("nope".into())
    );
    assert_eq!(
        err(Input::AgentReady {
            agent: "anna".into(),
            queues: vec!["technology".into(), "nope".into()],
            now
        }),
        AcdError::UnknownQueue("nope".into())
    );
    assert_eq!(
        err(Input::CallEnded {
            agent: "anna".into(),
            now
        }),
        AcdError::UnknownAgent("anna".into())
    );
    assert_eq!(
        err(Input::OfferAccepted {
            call: CallId(1),
            agent: "anna".into(),
            now
        }),
        AcdError::UnknownCall(CallId(1))
    );
    let snap = sim.acd.snapshot(now);
    assert!(snap.agents.is_empty());
    assert_eq!(snap.queues[0].waiting, 0);

    sim.queued(1, 1, "technology");
    assert_eq!(
        sim.acd.handle_input(Input::CallQueued {
            call: CallId(1),
            queue: "technology".into(),
            now
        }),
        Err(AcdError::DuplicateCall(CallId(1)))
    );
    sim.ready(2, "anna", &["technology"]);
    assert_eq!(
        sim.acd.handle_input(Input::OfferAccepted {
            call: CallId(1),
            agent: "bruno".into(),
            now
        }),
        Err(AcdError::NoSuchOffer {
            call: CallId(1),
            agent: "bruno".into()
        })
    );
    assert_eq!(
        sim.acd.handle_input(Input::AgentReady {
            agent: "anna".into(),
            queues: vec![],
            now
        }),
        Err(AcdError::AgentBusy("anna".into()))
    );
    assert!(matches!(
        Acd::new(AcdConfig {
            queues: vec![
                QueueConfig {
                    name: "a".into(),
                    announce_every: None,
                    ring_timeout: RING
                };
                2
            ]
        }),
        Err(AcdError::DuplicateQueue(q)) if q == "a"
    ));
}
