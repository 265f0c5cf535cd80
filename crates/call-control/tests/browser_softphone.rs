//! An operator's browser softphone as the operator's endpoint, in simulated time: the call
//! rings on the page (the screen pop, no SIP INVITE), answering bridges the caller's leg to
//! the WebRTC leg, hangups from either side end the call but keep the softphone, a rejected
//! or timed-out offer goes back to the queue, and a softphone that goes away mid-call ends it.

mod sim;

use std::time::Duration;

use call_control::{CallFact, CommandError, LegId, MediaCommand, MediaEvent, OperatorCommand};
use common::call::{CallOutcome, EndReason};
use sim::*;
use sip_message::Method;

/// `1001` attaches a softphone and it connects: the leg.
fn connected_softphone(sim: &mut Sim, operator: &str) -> LegId {
    let now = sim.now;
    let leg = sim.core.attach_browser(now, operator).expect("attached");
    assert!(
        sim.legs.opened.iter().all(|l| *l != leg),
        "no RTP socket for it"
    );
    sim.media(leg, MediaEvent::Connected);
    leg
}

fn command(sim: &mut Sim, command: OperatorCommand) -> (Result<(), CommandError>, Drained) {
    let now = sim.now;
    let result = sim.core.handle_command(now, command);
    (result, sim.drain())
}

fn offered_to(d: &Drained, agent: &str) -> bool {
    d.facts
        .iter()
        .any(|f| matches!(f, CallFact::Offered(o) if o.agent_id == agent))
}

fn answer(operator: &str) -> OperatorCommand {
    OperatorCommand::AnswerSoftphone {
        operator: operator.into(),
    }
}

#[test]
fn a_call_rings_on_the_page_and_answering_bridges_it_to_the_webrtc_leg() {
    let mut sim = Sim::new(&["1001"]);
    let leg = connected_softphone(&mut sim, "1001");
    let d = queue_call(&mut sim, "sp-1", "3330000001");
    assert!(offered_to(&d, "1001"), "the screen pop is the ring: {d:?}");
    assert!(
        d.requests(Method::Invite).is_empty(),
        "no SIP INVITE to anyone"
    );
    assert!(
        !d.media
            .iter()
            .any(|(l, c)| *l == leg && *c == MediaCommand::Close),
        "the softphone leg stays open"
    );
    let caller_leg = sim.legs.opened[0];

    let (result, d) = command(&mut sim, answer("1001"));
    result.expect("answered");
    assert!(
        d.facts
            .iter()
            .any(|f| matches!(f, CallFact::Answered { agent_id, .. } if agent_id == "1001"))
    );
    assert!(
        d.media
            .contains(&(caller_leg, MediaCommand::Bridge { peer: leg }))
    );
    assert!(
        d.media
            .contains(&(leg, MediaCommand::Bridge { peer: caller_leg }))
    );

    // A second answer finds nothing ringing.
    let (again, _) = command(&mut sim, answer("1001"));
    assert!(matches!(again, Err(CommandError::Refused(_))));

    // The operator hangs up on the page: the caller gets a BYE, the softphone stays.
    sim.advance(Duration::from_secs(5));
    let (result, d) = command(
        &mut sim,
        OperatorCommand::HangUpSoftphone {
            operator: "1001".into(),
        },
    );
    result.expect("hung up");
    assert_eq!(d.requests(Method::Bye).len(), 1, "the caller is hung up");
    assert!(d.media.contains(&(caller_leg, MediaCommand::Close)));
    assert!(!d.media.contains(&(leg, MediaCommand::Close)));
    let record = d.record().expect("the call record");
    assert_eq!(record.outcome, CallOutcome::Answered);
    assert_eq!(record.end_reason, EndReason::OperatorHungUp);
    assert_eq!(record.agent_id.as_deref(), Some("1001"));
    assert!(record.talk_ms.is_some_and(|t| t >= 5000));
    assert_eq!(sim.core.browser_leg("1001"), Some(leg));

    // After wrap-up, the next call rings on the same softphone.
    let now = sim.now;
    let _ = sim.core.handle_command(
        now,
        OperatorCommand::EndWrapUp {
            operator: "1001".into(),
        },
    );
    sim.drain();
    let d = queue_call(&mut sim, "sp-2", "3330000002");
    assert!(
        offered_to(&d, "1001"),
        "the next call rings on the page too"
    );
}

#[test]
fn the_caller_hanging_up_ends_the_bridge_and_keeps_the_softphone() {
    let mut sim = Sim::new(&["1001"]);
    let leg = connected_softphone(&mut sim, "1001");
    queue_call(&mut sim, "sp-3", "3330000003");
    command(&mut sim, answer("1001")).0.expect("answered");
    // End through the caller's leg going silent (a dead phone), the simplest caller-side end.
    let caller_leg = sim.legs.opened[0];
    let d = sim.media(caller_leg, MediaEvent::Inactive);
    assert!(
        !d.media.contains(&(leg, MediaCommand::Close)),
        "the softphone stays"
    );
    let record = d.record().expect("ended");
    assert_eq!(record.outcome, CallOutcome::Answered);
    assert_eq!(sim.core.browser_leg("1001"), Some(leg));
}

#[test]
fn a_softphone_not_yet_connected_is_not_offered_calls() {
    let mut sim = Sim::new(&["1001"]);
    let now = sim.now;
    let leg = sim.core.attach_browser(now, "1001").expect("attached");
    sim.drain();
    let d = queue_call(&mut sim, "sp-4", "3330000004");
    assert!(
        !offered_to(&d, "1001"),
        "no offer before ICE and DTLS are up"
    );
    // Connected: the operator goes ready (as registering a phone does here) and the waiting
    // call rings at once.
    let d = sim.media(leg, MediaEvent::Connected);
    assert!(offered_to(&d, "1001"));
}

#[test]
fn rejecting_puts_the_call_back_and_the_softphone_going_away_ends_the_call() {
    let mut sim = Sim::new(&["1001"]);
    let leg = connected_softphone(&mut sim, "1001");
    let d = queue_call(&mut sim, "sp-5", "3330000005");
    assert!(offered_to(&d, "1001"));
    let (result, d) = command(
        &mut sim,
        OperatorCommand::RejectSoftphone {
            operator: "1001".into(),
        },
    );
    result.expect("rejected");
    assert!(!d.media.contains(&(leg, MediaCommand::Close)));
    assert!(
        d.journal
            .iter()
            .any(|(e, _)| format!("{:?}", e.event).contains("OfferRejected")),
        "the ACD hears the rejection: {:?}",
        d.journal
    );
    // Back in the queue: after the retry delay it rings on the page again.
    let offered_again = (0..60).any(|_| offered_to(&sim.advance(Duration::from_secs(1)), "1001"));
    assert!(offered_again, "the declined call is offered again");
    command(&mut sim, answer("1001")).0.expect("answered");

    // The page goes away (the session timed out or was closed): the call ends.
    let d = sim.media(leg, MediaEvent::Closed);
    let record = d.record().expect("the call ends with the softphone");
    assert_eq!(record.end_reason, EndReason::OperatorHungUp);
    assert_eq!(d.requests(Method::Bye).len(), 1, "the caller is hung up");
    assert!(d.media.contains(&(leg, MediaCommand::Close)));
    assert_eq!(sim.core.browser_leg("1001"), None);
    // No softphone, no phone: the next caller waits, nobody rings.
    let d = queue_call(&mut sim, "sp-6", "3330000006");
    assert!(!offered_to(&d, "1001"));
}

#[test]
fn one_softphone_per_operator_and_none_for_strangers() {
    let mut sim = Sim::new(&["1001"]);
    let now = sim.now;
    assert_eq!(
        sim.core.attach_browser(now, "9999"),
        Err(CommandError::UnknownOperator("9999".into()))
    );
    let first = connected_softphone(&mut sim, "1001");
    // A new session (page reloaded) replaces the old one, which is closed.
    let now = sim.now;
    let second = sim.core.attach_browser(now, "1001").expect("replaced");
    let d = sim.drain();
    assert_ne!(first, second);
    assert!(d.media.contains(&(first, MediaCommand::Close)));
    sim.media(second, MediaEvent::Connected);
    // During a call on it, no replacement.
    queue_call(&mut sim, "sp-7", "3330000007");
    command(&mut sim, answer("1001")).0.expect("answered");
    let now = sim.now;
    assert!(matches!(
        sim.core.attach_browser(now, "1001"),
        Err(CommandError::Refused(_))
    ));
    // Events of the replaced leg are nobody's.
    let d = sim.media(first, MediaEvent::Closed);
    assert!(d.record().is_none(), "the old leg's end ends nothing");
}
