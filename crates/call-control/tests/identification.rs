//! The IVR identifies callers through the driver, in simulated time: the core asks with the
//! caller's number (and the PIN typed), the answer decides the script's path and lands in the
//! call's facts; a directory that never answers costs the caller at most
//! `IDENTIFY_TIMEOUT`, after which they go on as a guest, and a late answer changes nothing.

mod sim;

use std::sync::Arc;
use std::time::Duration;

use call_control::IDENTIFY_TIMEOUT;
use call_control::events::{CallFact, MediaEvent};
use sim::*;

const SCRIPT: &str = "\
step start
  identify ani
  if identified -> set identified_by = number; queue technology
  identify pin prompt enter_pin failures 2
  if identified -> set identified_by = pin; queue technology
  set identified_by = nobody
  queue technology
end
";

fn sim() -> Sim {
    let script = ivr::Script::parse("identify.ivr", SCRIPT).expect("a valid script");
    let mut sim = Sim::with_script(config(&[]), Arc::new(script));
    sim.answer_lookups = false;
    sim
}

/// Calls in from `caller` and ACKs: the IVR starts.
fn call(sim: &mut Sim, call_id: &str, caller: &str) -> Drained {
    let d = sim.send(CALLER, &invite(call_id, caller));
    let ok = d.responses()[1].clone();
    sim.send(CALLER, &caller_request("ACK", &ok, 1))
}

fn field(facts: &[CallFact], key: &str) -> Option<String> {
    facts.iter().rev().find_map(|f| match f {
        CallFact::Progress { ivr_data, .. } => ivr_data
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone()),
        _ => None,
    })
}

fn queued(d: &Drained) -> bool {
    d.facts.iter().any(|f| {
        matches!(f, CallFact::Progress { stage, .. } if *stage == common::call::CallStage::Queued)
    })
}

#[test]
fn a_caller_known_by_number_is_identified_without_a_pin() {
    let mut sim = sim();
    let d = call(&mut sim, "ani-1", "0551234567");
    let [(lookup, number, pin)] = d.lookups.as_slice() else {
        panic!("one look-up at the start: {:?}", d.lookups);
    };
    assert_eq!(
        number.as_deref(),
        Some("+390551234567"),
        "the number in E.164"
    );
    assert_eq!(*pin, None);
    let d = sim.identified(*lookup, Some(("42", "Mario Rossi")));
    assert!(queued(&d), "identified: straight to the queue");
    assert_eq!(field(&d.facts, "customer_id").as_deref(), Some("42"));
    assert_eq!(field(&d.facts, "identified_by").as_deref(), Some("number"));
}

/// Types `keys` on the caller's leg and returns the look-ups they caused.
fn type_keys(
    sim: &mut Sim,
    leg: call_control::LegId,
    keys: &str,
) -> Vec<(call_control::LookupId, Option<String>, Option<String>)> {
    keys.chars()
        .flat_map(|key| sim.media(leg, MediaEvent::Digit(key)).lookups)
        .collect()
}

#[test]
fn a_pin_identifies_a_caller_the_number_did_not_and_a_wrong_one_is_asked_again() {
    let mut sim = sim();
    let d = call(&mut sim, "pin-1", "0551234567");
    let (lookup, _, _) = d.lookups[0].clone();
    let d = sim.identified(lookup, None);
    let (leg, prompts, _, _) = d.last_play().expect("the PIN prompt");
    assert_eq!(prompts, ["enter_pin"]);

    let asked = type_keys(&mut sim, leg, "1234#");
    let [(lookup, number, pin)] = asked.as_slice() else {
        panic!("one look-up when # ends the PIN: {asked:?}");
    };
    assert_eq!(number.as_deref(), Some("+390551234567"));
    assert_eq!(pin.as_deref(), Some("1234"));
    assert!(
        type_keys(&mut sim, leg, "99").is_empty(),
        "keys during a look-up are ignored"
    );

    // A wrong PIN: "invalid", then the PIN prompt again.
    let d = sim.identified(*lookup, None);
    let (_, prompts, _, _) = d.last_play().expect("asked again");
    assert_eq!(prompts, ["invalid_choice", "enter_pin"]);
    let asked = type_keys(&mut sim, leg, "5678#");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].2.as_deref(), Some("5678"));
    let d = sim.identified(asked[0].0, Some(("7", "Lucia Rossi")));
    assert!(queued(&d));
    assert_eq!(field(&d.facts, "customer_id").as_deref(), Some("7"));
    assert_eq!(field(&d.facts, "identified_by").as_deref(), Some("pin"));
}

#[test]
fn a_directory_that_does_not_answer_costs_the_caller_the_timeout_and_nothing_more() {
    let mut sim = sim();
    let d = call(&mut sim, "slow-1", "0551234567");
    let (late, _, _) = d.lookups[0].clone();
    let d = sim.advance(IDENTIFY_TIMEOUT - Duration::from_millis(1));
    assert!(d.media.is_empty(), "still waiting for the directory");
    let d = sim.advance(Duration::from_millis(1));
    let (leg, prompts, _, token) = d.last_play().expect("on as a guest: the PIN prompt");
    assert_eq!(prompts, ["enter_pin"]);

    // The answer comes too late: it changes nothing.
    let d = sim.identified(late, Some(("42", "Mario Rossi")));
    assert!(d.facts.is_empty() && d.media.is_empty() && d.lookups.is_empty());

    // No PIN either: the prompt ends, 5 s of silence, "invalid" and the prompt again, 5 s
    // more, and the caller goes on as a guest (DOMAIN: two failures).
    sim.media(leg, MediaEvent::PlaybackFinished { token });
    let d = sim.advance(Duration::from_secs(5));
    let (_, prompts, _, token) = d.last_play().expect("asked again");
    assert_eq!(prompts, ["invalid_choice", "enter_pin"]);
    sim.media(leg, MediaEvent::PlaybackFinished { token });
    let d = sim.advance(Duration::from_secs(5));
    assert!(queued(&d), "the guest reaches the queue");
    assert_eq!(field(&d.facts, "identified_by").as_deref(), Some("nobody"));
    assert_eq!(field(&d.facts, "customer_id"), None);
}

#[test]
fn a_withheld_number_is_looked_up_as_nobody() {
    let mut sim = sim();
    let d = call(&mut sim, "anon-1", "anonymous");
    assert_eq!(d.lookups.len(), 1);
    assert_eq!(d.lookups[0].1, None, "no number to look up");
}
