//! Queue callback: the caller asks to be called back, hangs up and keeps their place; when
//! their turn comes the operator is offered the callback, and on accepting it the driver is
//! told to dial the caller.

mod common;

use acd::{AcdError, CallId, Event, Input, OfferKind, Output, QueueConfig};
use common::{Sim, config, offer, profile, secs};

#[test]
fn a_callback_keeps_its_place_and_is_dialled_when_its_turn_comes() {
    let mut q = QueueConfig::new("desk");
    q.max_wait = Some(secs(60));
    let mut sim = Sim::new(config(vec![q], vec![profile("anna", &[("desk", 50)])]));
    sim.join(0, 1, "desk");
    sim.join(1, 2, "desk");
    sim.input(2, Input::RequestCallback { call: CallId(1) });
    // Past the maximum wait: a callback is not on the line, it does not overflow.
    sim.advance_to(100);
    assert_eq!(
        sim.acd.waiting(&"desk".into()),
        Some(vec![CallId(1)]),
        "the caller on the line left at 61 s; the callback stays"
    );
    let waiting = &sim.acd.snapshot(sim.now).queues[0].waiting[0];
    assert!(waiting.callback);
    assert_eq!(
        sim.login(120, "anna"),
        vec![
            Output::Offer {
                call: CallId(1),
                queue: "desk".into(),
                operator: "anna".into(),
                kind: OfferKind::Callback,
                waited: secs(120),
            },
            Output::Warning {
                queue: "desk".into(),
                kind: acd::WarningKind::CallersWithoutOperators,
                raised: false,
            }
        ]
    );
    assert_eq!(
        sim.accept(125, 1, "anna"),
        vec![Output::DialCallback {
            call: CallId(1),
            operator: "anna".into()
        }]
    );
    sim.complete(300, 1);
    let today = sim.acd.snapshot(sim.now).queues[0].today;
    assert_eq!((today.callbacks_requested, today.answered), (1, 1));
}

#[test]
fn a_callback_can_be_cancelled_and_queues_may_refuse_them() {
    let mut no = QueueConfig::new("no-callbacks");
    no.callback = false;
    let mut sim = Sim::new(config(
        vec![QueueConfig::new("desk"), no],
        vec![profile("anna", &[("desk", 50)])],
    ));
    sim.join(0, 1, "desk");
    sim.input(1, Input::RequestCallback { call: CallId(1) });
    sim.input(2, Input::Abandon { call: CallId(1) });
    assert!(sim.events_since(0).contains(&Event::Abandoned {
        call: CallId(1),
        queue: "desk".into(),
        waited: secs(2),
        callback: true
    }));
    let today = sim.acd.snapshot(sim.now).queues[0].today;
    assert_eq!((today.abandoned, today.callbacks_cancelled), (0, 1));
    sim.join(3, 2, "no-callbacks");
    assert_eq!(
        sim.try_input(4, Input::RequestCallback { call: CallId(2) }),
        Err(AcdError::NoCallbacks("no-callbacks".into()))
    );
    sim.login(5, "anna");
    sim.join(6, 3, "desk");
    assert_eq!(
        sim.try_input(7, Input::RequestCallback { call: CallId(3) }),
        Err(AcdError::NotWaiting(CallId(3))),
        "already ringing"
    );
    let _ = offer(3, "anna", "desk", 0);
}
