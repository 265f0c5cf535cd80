//! Queue limits and policies: maximum wait overflows to another queue (keeping the caller's
//! wait and place) or out to voicemail; a full queue refuses; join- and leave-when-empty; a
//! special-event queue switched on and off; the "callers without operators" warning; overflow
//! cycles are bounded.

mod common;

use acd::{
    CallId, Destination, Event, ExitReason, Input, JoinedVia, MAX_OVERFLOW_HOPS, Output,
    QueueConfig, Trigger, WarningKind,
};
use common::{Sim, config, offer, offers, profile, secs};

fn exit(call: u64, queue: &str, reason: ExitReason, destination: Destination) -> Output {
    Output::Exit {
        call: CallId(call),
        queue: queue.into(),
        reason,
        destination,
    }
}

fn warning(queue: &str, raised: bool) -> Output {
    Output::Warning {
        queue: queue.into(),
        kind: WarningKind::CallersWithoutOperators,
        raised,
    }
}

#[test]
fn max_wait_overflows_to_another_queue_keeping_the_wait_then_to_voicemail() {
    let mut first = QueueConfig::new("first");
    first.max_wait = Some(secs(60));
    first.on_max_wait = Destination::Queue {
        queue: "second".into(),
    };
    let mut second = QueueConfig::new("second");
    second.max_wait = Some(secs(30));
    second.on_max_wait = Destination::Voicemail;
    let mut sim = Sim::new(config(
        vec![first, second],
        vec![
            profile("anna", &[("first", 50)]),
            profile("bruno", &[("second", 50)]),
        ],
    ));
    sim.login(0, "anna");
    sim.input(
        0,
        Input::NotReady {
            operator: "anna".into(),
            reason: acd::ReasonCode::new("break").unwrap(),
        },
    );
    sim.join(1, 1, "first");
    sim.join(5, 2, "second");
    let seq = sim.acd.next_seq();
    sim.advance_to(61);
    assert!(sim.events_since(seq).contains(&Event::Joined {
        call: CallId(1),
        queue: "second".into(),
        priority: 0,
        via: JoinedVia::Overflow {
            from: "first".into()
        },
        estimate: None,
    }));
    // Call 2 left `second` for voicemail at 35 s. Call 1, there since 61 s, keeps its original
    // place: ahead of a later arrival.
    sim.join(62, 3, "second");
    assert_eq!(
        sim.acd.waiting(&"second".into()),
        Some(vec![CallId(1), CallId(3)])
    );
    // Bruno logs in: call 1 is served with its whole wait since it first joined.
    assert_eq!(sim.login(70, "bruno")[0], offer(1, "bruno", "second", 69));
    sim.accept(71, 1, "bruno");
    let out = sim.advance_to(95);
    assert_eq!(
        out,
        vec![exit(
            3,
            "second",
            ExitReason::MaxWait,
            Destination::Voicemail
        )]
    );
}

#[test]
fn a_full_queue_refuses_and_a_closed_one_sends_callers_elsewhere() {
    let mut small = QueueConfig::new("small");
    small.max_len = Some(2);
    small.on_full = Destination::Message {
        prompt: "all_busy".into(),
    };
    let mut tender = QueueConfig::new("tender");
    tender.open = false;
    tender.on_closed = Destination::Queue {
        queue: "small".into(),
    };
    let mut sim = Sim::new(config(vec![small, tender], vec![]));
    sim.join(0, 1, "small");
    sim.join(1, 2, "tender");
    assert_eq!(
        sim.join(2, 3, "small"),
        vec![exit(
            3,
            "small",
            ExitReason::Full,
            Destination::Message {
                prompt: "all_busy".into()
            }
        )]
    );
    // The special-event queue opens by schedule: callers now wait there.
    sim.input(
        10,
        Input::SetQueueOpen {
            queue: "tender".into(),
            open: true,
            by: Trigger::Schedule,
        },
    );
    sim.join(11, 4, "tender");
    assert_eq!(sim.acd.waiting(&"tender".into()), Some(vec![CallId(4)]));
    let snap = sim.acd.snapshot(sim.now);
    assert_eq!(snap.queues[0].today.refused, 1);
    assert_eq!(snap.queues[1].today.refused, 1, "the closed-queue refusal");
}

#[test]
fn join_and_leave_when_empty_and_the_supervisors_warning() {
    let mut strict = QueueConfig::new("strict");
    strict.join_when_empty = false;
    strict.on_empty = Destination::Voicemail;
    let mut leaving = QueueConfig::new("leaving");
    leaving.leave_when_empty = true;
    leaving.on_empty = Destination::Message {
        prompt: "closed_now".into(),
    };
    let mut sim = Sim::new(config(
        vec![strict, leaving, QueueConfig::new("patient")],
        vec![profile(
            "anna",
            &[("strict", 50), ("leaving", 50), ("patient", 50)],
        )],
    ));
    assert_eq!(
        sim.join(0, 1, "strict"),
        vec![exit(1, "strict", ExitReason::Empty, Destination::Voicemail)]
    );
    // A patient queue keeps its callers, and warns the supervisors until someone logs in.
    assert_eq!(sim.join(1, 2, "patient"), vec![warning("patient", true)]);
    assert_eq!(
        sim.login(5, "anna"),
        vec![offer(2, "anna", "patient", 4), warning("patient", false)]
    );
    sim.accept(6, 2, "anna");
    sim.join(7, 3, "leaving");
    sim.join(8, 4, "patient");
    let out = sim.input(
        9,
        Input::Logout {
            operator: "anna".into(),
            queues: Some(vec!["leaving".into(), "patient".into()]),
        },
    );
    assert_eq!(
        out,
        vec![
            exit(
                3,
                "leaving",
                ExitReason::Empty,
                Destination::Message {
                    prompt: "closed_now".into()
                }
            ),
            warning("patient", true)
        ]
    );
}

#[test]
fn an_overflow_cycle_ends_after_a_bounded_number_of_hops() {
    let mut ping = QueueConfig::new("ping");
    ping.max_len = Some(0);
    ping.on_full = Destination::Queue {
        queue: "pong".into(),
    };
    let mut pong = QueueConfig::new("pong");
    pong.max_len = Some(0);
    pong.on_full = Destination::Queue {
        queue: "ping".into(),
    };
    let mut sim = Sim::new(config(vec![ping, pong], vec![]));
    let out = sim.join(0, 1, "ping");
    assert_eq!(out.len(), 1);
    assert!(matches!(
        &out[0],
        Output::Exit {
            reason: ExitReason::TooManyHops,
            destination: Destination::Hangup,
            ..
        }
    ));
    let refusals = sim
        .journal
        .iter()
        .filter(|e| matches!(e.event, Event::Refused { .. }))
        .count();
    assert_eq!(refusals, usize::from(MAX_OVERFLOW_HOPS) + 1);
    assert!(offers(&out).is_empty());
}
