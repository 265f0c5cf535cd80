//! Limits that protect the service, in simulated time: admission control refuses callers
//! beyond the configured calls in progress or new calls per second with 503 and Retry-After
//! (and nothing else: no port, no record); a call that reaches the longest duration, or whose
//! phone stops sending RTP once answered, is hung up and recorded with its end reason.

mod sim;

use std::time::Duration;

use call_control::events::MediaEvent;
use common::call::EndReason;
use sim::*;
use sip_message::Method;

fn with_limits(f: impl FnOnce(&mut call_control::Limits)) -> Sim {
    let mut config = config(&[]);
    f(&mut config.limits);
    Sim::with(config)
}

/// Calls in and returns the final status sent (180 aside) and what was drained.
fn dial(sim: &mut Sim, call_id: &str) -> (u16, Drained) {
    let d = sim.send(CALLER, &invite(call_id, "0551234567"));
    let status = d
        .responses()
        .iter()
        .map(|r| r.status)
        .find(|s| *s >= 200)
        .unwrap_or(0);
    (status, d)
}

#[test]
fn callers_beyond_the_calls_in_progress_get_503_with_retry_after() {
    let mut sim = with_limits(|l| l.max_calls = 2);
    assert_eq!(dial(&mut sim, "a").0, 200);
    assert_eq!(dial(&mut sim, "b").0, 200);
    let legs = sim.legs.opened.len();
    let (status, d) = dial(&mut sim, "c");
    assert_eq!(status, 503);
    let refusal = d.responses().into_iter().find(|r| r.status == 503).unwrap();
    assert_eq!(refusal.headers.get("Retry-After"), Some("5"));
    assert!(d.facts.is_empty(), "no record for a call never taken");
    assert_eq!(sim.legs.opened.len(), legs, "no RTP port spent");
    let stats = sim.core.stats();
    assert_eq!(stats.calls_refused_overload, 1);
    assert_eq!(stats.calls_active, 2);
}

#[test]
fn new_calls_per_second_are_bounded_with_a_one_second_burst() {
    let mut sim = with_limits(|l| l.max_call_rate = 3);
    let statuses: Vec<u16> = (0..5).map(|i| dial(&mut sim, &format!("r{i}")).0).collect();
    assert_eq!(statuses, [200, 200, 200, 503, 503]);
    sim.advance(Duration::from_millis(340));
    assert_eq!(
        dial(&mut sim, "r5").0,
        200,
        "a third of a second buys one call"
    );
    assert_eq!(dial(&mut sim, "r6").0, 503);
    assert_eq!(sim.core.stats().calls_refused_overload, 3);
}

/// A caller answered and in the IVR; returns the caller's leg.
fn answered(sim: &mut Sim, call_id: &str) -> call_control::LegId {
    let (status, d) = dial(sim, call_id);
    assert_eq!(status, 200);
    let leg = *sim.legs.opened.last().unwrap();
    let ok = d.responses().into_iter().find(|r| r.status == 200).unwrap();
    sim.send(CALLER, &caller_request("ACK", &ok, 1));
    leg
}

#[test]
fn a_call_that_reaches_the_longest_duration_is_hung_up_and_recorded() {
    let mut sim = with_limits(|l| l.max_call_duration = Duration::from_secs(600));
    answered(&mut sim, "long");
    let d = sim.advance(Duration::from_secs(599));
    assert!(d.requests(Method::Bye).is_empty(), "not yet");
    let d = sim.advance(Duration::from_secs(1));
    assert_eq!(d.requests(Method::Bye).len(), 1, "the engine hangs up");
    let record = d.record().expect("the call's record");
    assert_eq!(record.end_reason, EndReason::MaxDuration);
    assert_eq!(sim.core.stats().calls_ended_by_limits, 1);
}

#[test]
fn a_phone_that_stops_sending_rtp_ends_its_call_once_answered() {
    let mut sim = Sim::new(&[]);
    // Before the answer a phone owes no RTP: nothing happens.
    let d = sim.send(CALLER, &invite("early", "0551234567"));
    let early_leg = *sim.legs.opened.last().unwrap();
    let _ = d;
    let d = sim.media(early_leg, MediaEvent::Inactive);
    assert!(d.requests(Method::Bye).is_empty() && d.record().is_none());

    let mut sim = Sim::new(&[]);
    let leg = answered(&mut sim, "silent");
    let d = sim.media(leg, MediaEvent::Inactive);
    assert_eq!(d.requests(Method::Bye).len(), 1);
    let record = d.record().expect("the call's record");
    assert_eq!(record.end_reason, EndReason::MediaTimeout);
}
