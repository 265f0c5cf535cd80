//! A new IVR script goes live while calls run, in simulated time: a call already in the IVR
//! finishes on the version it started with, the next call gets the new one, and a script the
//! ACD cannot serve is refused with the running one left in place.

mod sim;

use std::sync::Arc;

use call_control::events::{CallFact, MediaEvent};
use common::call::CallStage;
use sim::*;

const V1: &str = "\
step start
  goto main
end
menu main
  prompt main_menu
  invalid invalid_choice
  timeout 5s
  failures 2
  1 \"Personnel\"  -> queue personnel
  2 \"Technology\" -> queue technology
  failure -> play goodbye; hangup
end
";

const V2: &str = "\
step start
  play welcome
  goto main
end
menu main
  prompt v2_menu
  invalid invalid_choice
  timeout 5s
  failures 2
  1 \"Applications\" -> queue applications
  2 \"Personnel\"    -> queue personnel
  failure -> play goodbye; hangup
end
";

fn parse(name: &str, text: &str) -> Arc<ivr::Script> {
    Arc::new(ivr::Script::parse(name, text).expect("a valid script"))
}

/// The queues of the shipped script, which the ACD is built with.
fn sim() -> Sim {
    let mut config = config(&[]);
    config.queues = ["applications", "personnel", "technology"]
        .into_iter()
        .map(call_control::acd::QueueConfig::new)
        .collect();
    let v0 = V1.replace(
        "2 \"Technology\" -> queue technology",
        "2 \"Technology\" -> queue technology\n  3 \"Apps\" -> queue applications",
    );
    Sim::with_script(config, parse("v0.ivr", &v0))
}

/// Calls in and ACKs; returns the caller's leg and what the IVR did first.
fn call(sim: &mut Sim, call_id: &str) -> (call_control::LegId, Drained) {
    let d = sim.send(CALLER, &invite(call_id, "0551234567"));
    let leg = *sim.legs.opened.last().expect("a leg");
    let ok = d.responses()[1].clone();
    (leg, sim.send(CALLER, &caller_request("ACK", &ok, 1)))
}

fn queued_in(d: &Drained) -> Option<String> {
    d.facts.iter().find_map(|f| match f {
        CallFact::Progress {
            stage: CallStage::Queued,
            queue,
            ..
        } => queue.clone(),
        _ => None,
    })
}

#[test]
fn a_call_in_the_ivr_finishes_on_its_version_and_the_next_call_gets_the_new_one() {
    let mut sim = sim();
    sim.core
        .handle_script(parse("v1.ivr", V1))
        .expect("v1 activates");
    let (old_leg, d) = call(&mut sim, "old-1");
    let (_, prompts, _, _) = d.last_play().expect("v1's menu");
    assert_eq!(prompts, ["main_menu"]);

    let activated = sim
        .core
        .handle_script(parse("v2.ivr", V2))
        .expect("v2 activates");
    assert_eq!(activated.file, "v2.ivr");
    assert_eq!(
        activated.calls_on_earlier_versions, 1,
        "the old call is still in the IVR"
    );
    assert_eq!(sim.core.script().file(), "v2.ivr");

    // The new caller hears v2: the welcome, then v2's menu, where 1 is applications.
    let (new_leg, d) = call(&mut sim, "new-1");
    let (_, prompts, _, _) = d.last_play().expect("v2's welcome");
    assert_eq!(prompts, ["welcome"]);
    let d = finish_playback(&mut sim, &d);
    let (_, prompts, _, _) = d.last_play().expect("v2's menu");
    assert_eq!(prompts, ["v2_menu"]);
    let d = sim.media(new_leg, MediaEvent::Digit('1'));
    assert_eq!(queued_in(&d).as_deref(), Some("applications"));

    // The old caller presses 1 in v1's menu: personnel, as v1 said.
    let d = sim.media(old_leg, MediaEvent::Digit('1'));
    assert_eq!(queued_in(&d).as_deref(), Some("personnel"));
}

#[test]
fn a_script_with_a_queue_the_acd_lacks_is_refused_and_the_running_one_keeps_serving() {
    let mut sim = sim();
    sim.core
        .handle_script(parse("v1.ivr", V1))
        .expect("v1 activates");
    let broken = V1.replace("queue personnel", "queue tributi");
    let refused = sim
        .core
        .handle_script(parse("v3.ivr", &broken))
        .expect_err("tributi is not a queue of the ACD");
    let text = refused.to_string();
    assert!(
        text.contains("v3.ivr") && text.contains("tributi") && text.contains("restart"),
        "names the file, the queue and the way out: {text}"
    );
    assert_eq!(sim.core.script().file(), "v1.ivr", "v1 still serves");
    let (leg, d) = call(&mut sim, "after-1");
    let (_, prompts, _, _) = d.last_play().expect("v1's menu");
    assert_eq!(prompts, ["main_menu"]);
    let d = sim.media(leg, MediaEvent::Digit('2'));
    assert_eq!(queued_in(&d).as_deref(), Some("technology"));
}
