//! Offers: ring-no-answer sends the call back to the head of its queue and the operator to
//! "not ready / no_answer" (or, by policy, keeps them ready after a delay); busy phones are
//! held off; ring-all rings everyone and the first answer wins; a caller hanging up while it
//! rings leaves the operator their place.

mod common;

use acd::{
    CallId, Event, Input, NoAnswerPolicy, OperatorState, Output, QueueConfig, ReasonCode,
    RejectReason, Strategy,
};
use common::{Sim, cancel, config, offer, offers, profile, secs};

fn front(policy: NoAnswerPolicy) -> QueueConfig {
    let mut q = QueueConfig::new("front");
    q.ring_timeout = secs(20);
    q.no_answer = policy;
    q.retry_delay = secs(5);
    q
}

fn three(q: QueueConfig) -> Sim {
    let name = q.name.0.clone();
    Sim::new(config(
        vec![q],
        ["anna", "bruno", "carla"]
            .iter()
            .map(|o| profile(o, &[(name.as_str(), 50)]))
            .collect(),
    ))
}

#[test]
fn ring_no_answer_puts_the_call_back_at_the_head_and_the_operator_not_ready() {
    let mut sim = three(front(NoAnswerPolicy::NotReady));
    sim.login(0, "anna");
    sim.login(1, "bruno");
    assert_eq!(sim.join(10, 1, "front"), vec![offer(1, "anna", "front", 0)]);
    assert_eq!(
        sim.join(11, 2, "front"),
        vec![offer(2, "bruno", "front", 0)]
    );
    sim.accept(12, 2, "bruno");
    assert!(sim.join(15, 3, "front").is_empty());
    assert_eq!(sim.advance_to(30), vec![cancel(1, "anna")]);
    assert_eq!(
        sim.acd.waiting(&"front".into()),
        Some(vec![CallId(1), CallId(3)]),
        "back at the head, ahead of the later caller"
    );
    assert_eq!(
        sim.state("anna"),
        OperatorState::NotReady {
            reason: ReasonCode::no_answer()
        }
    );
    assert!(sim.events_since(0).contains(&Event::RingNoAnswer {
        call: CallId(1),
        operator: "anna".into()
    }));
    assert_eq!(sim.login(40, "carla"), vec![offer(1, "carla", "front", 30)]);
}

#[test]
fn under_stay_ready_the_operator_is_offered_again_after_the_delay() {
    let mut sim = three(front(NoAnswerPolicy::StayReady));
    sim.login(0, "anna");
    sim.join(1, 1, "front");
    assert_eq!(sim.advance_to(21), vec![cancel(1, "anna")]);
    assert_eq!(
        sim.state("anna"),
        OperatorState::Ready {
            hold_off_until: Some(sim.t0 + secs(26))
        }
    );
    assert_eq!(sim.advance_to(26), vec![offer(1, "anna", "front", 25)]);
}

#[test]
fn a_busy_phone_is_held_off_and_the_call_goes_to_the_next_operator() {
    let mut sim = three(front(NoAnswerPolicy::NotReady));
    sim.login(0, "anna");
    sim.login(1, "bruno");
    sim.join(2, 1, "front");
    let out = sim.input(
        3,
        Input::Reject {
            call: CallId(1),
            operator: "anna".into(),
            reason: RejectReason::Busy,
        },
    );
    assert_eq!(out, vec![offer(1, "bruno", "front", 1)]);
    assert!(matches!(
        sim.state("anna"),
        OperatorState::Ready {
            hold_off_until: Some(_)
        }
    ));
    // Held off: the next caller does not ring her until the delay is over.
    sim.join(4, 2, "front");
    assert!(offers(&sim.advance_to(7)).is_empty());
    assert_eq!(sim.advance_to(8), vec![offer(2, "anna", "front", 4)]);
    // An unreachable phone counts as no answer: not ready.
    sim.input(
        9,
        Input::Reject {
            call: CallId(2),
            operator: "anna".into(),
            reason: RejectReason::Unreachable,
        },
    );
    assert_eq!(
        sim.state("anna"),
        OperatorState::NotReady {
            reason: ReasonCode::no_answer()
        }
    );
}

#[test]
fn ring_all_offers_to_everyone_and_the_first_answer_wins() {
    let mut q = front(NoAnswerPolicy::NotReady);
    q.strategy = Strategy::RingAll;
    let mut sim = three(q);
    for (t, o) in [(0, "anna"), (1, "bruno"), (2, "carla")] {
        sim.login(t, o);
    }
    assert_eq!(
        offers(&sim.join(10, 1, "front")),
        vec![
            (1, "anna".to_string()),
            (1, "bruno".to_string()),
            (1, "carla".to_string())
        ]
    );
    assert_eq!(
        sim.accept(12, 1, "bruno"),
        vec![cancel(1, "anna"), cancel(1, "carla")]
    );
    let anna = sim.acd.operator(&"anna".into(), sim.now).unwrap();
    assert_eq!(
        anna.idle,
        Some(secs(12)),
        "not her fault: she keeps her place"
    );
    assert!(
        sim.try_input(
            13,
            Input::Accept {
                call: CallId(1),
                operator: "carla".into()
            }
        )
        .is_err(),
        "too late: the offer is gone"
    );
    // Nobody answers the next one: every ringing phone stops, the call waits at the head.
    sim.join(20, 2, "front");
    let out = sim.advance_to(40);
    assert_eq!(out, vec![cancel(2, "anna"), cancel(2, "carla")]);
    assert_eq!(sim.acd.waiting(&"front".into()), Some(vec![CallId(2)]));
}

#[test]
fn a_caller_hanging_up_while_it_rings_leaves_the_operator_their_place() {
    let mut sim = three(front(NoAnswerPolicy::NotReady));
    sim.login(0, "anna");
    sim.login(5, "bruno");
    sim.join(10, 1, "front");
    assert_eq!(
        sim.input(11, Input::Abandon { call: CallId(1) }),
        vec![cancel(1, "anna")]
    );
    assert_eq!(
        sim.join(12, 2, "front"),
        vec![offer(2, "anna", "front", 0)],
        "still idle the longest"
    );
    let snap = sim.acd.snapshot(sim.now);
    assert_eq!(snap.queues[0].today.abandoned, 1);
    assert!(
        !sim.drain()
            .iter()
            .any(|o| matches!(o, Output::Offer { .. }))
    );
}
