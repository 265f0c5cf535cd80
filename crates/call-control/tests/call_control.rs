//! The call-control core in simulated time: no sockets, no clock, no tokio. A caller and an
//! operator phone are played by hand-written SIP messages; media legs are a test double.
//! (The same stories run against the real binary with SIPp in the workspace's `tests/`.)

mod sim;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use call_control::events::{CallFact, MediaCommand, MediaEvent};
use call_control::{CallControl, EngineConfig};
use common::call::{CallOutcome, EndReason};
use sim::*;
use sip_message::{Method, SipHeaders};

#[test]
fn call_goes_through_ivr_and_queue_to_the_operator_and_leaves_a_call_record() {
    let mut sim = Sim::new(&["1001"]);
    sim.register("1001", PHONE_1001);

    let d = sim.send(CALLER, &invite("sim-1", "3331234567"));
    assert_eq!(d.statuses(), [180, 200]);
    let ok = d.responses()[1].clone();
    assert!(
        String::from_utf8_lossy(&ok.body).contains("m=audio 4000"),
        "our SDP answer"
    );
    let caller_leg = sim.legs.opened[0];
    assert!(d.media.iter().any(|(l, c)| *l == caller_leg
        && matches!(c, MediaCommand::Configure { remote, .. } if remote.port() == 30000)));
    assert_eq!(
        d.last_play(),
        None,
        "nothing is played before the caller's ACK proves the address"
    );
    let d = sim.send(CALLER, &caller_request("ACK", &ok, 1));
    assert_eq!(d.last_play().unwrap().1, ["welcome"]);

    let d = finish_playback(&mut sim, &d);
    assert_eq!(d.last_play().unwrap().1, ["main_menu"]);
    let d = sim.media(caller_leg, MediaEvent::Digit('1'));
    assert!(
        d.media
            .iter()
            .any(|(_, c)| *c == MediaCommand::StopPlayback),
        "barge-in"
    );
    assert_eq!(d.last_play().unwrap().1, ["personnel_menu"]);
    let d = finish_playback(&mut sim, &d);
    assert!(d.media.is_empty());
    let d = sim.media(caller_leg, MediaEvent::Digit('1'));
    let (_, prompts, _, _) = d.last_play().unwrap();
    assert_eq!(prompts, ["please_hold"]);
    let d = finish_playback(&mut sim, &d);

    // Queued: hold music, and the ACD offers the call to the ready operator at once.
    let (_, prompts, then_loop, _) = d.last_play().unwrap();
    assert!(prompts.is_empty());
    assert_eq!(then_loop.as_deref(), Some("hold_music"));
    let invites = d.requests(Method::Invite);
    assert_eq!(invites.len(), 1);
    let (to, agent_invite) = invites[0].clone();
    assert_eq!(to, PHONE_1001.parse().unwrap());
    assert!(
        agent_invite
            .headers
            .get("From")
            .unwrap()
            .contains("3331234567"),
        "the phone shows the caller"
    );
    let pop = d
        .facts
        .iter()
        .find_map(|e| match e {
            CallFact::Offered(o) => Some(o.clone()),
            _ => None,
        })
        .expect("screen pop sent when the call is offered");
    assert!(
        pop.call.0.starts_with("sim-"),
        "the engine's own call id, not the caller's Call-ID: {}",
        pop.call
    );
    assert_eq!(pop.agent_id, "1001");
    assert_eq!(pop.queue, "personnel-info");
    assert_eq!(pop.caller.raw(), "3331234567");
    assert_eq!(
        pop.caller.e164(),
        Some("+393331234567"),
        "normalised to E.164"
    );
    assert!(
        pop.ivr_data
            .contains(&("service_area".into(), "personnel".into()))
    );
    assert!(
        pop.ivr_data
            .contains(&("request_type".into(), "information".into()))
    );

    // The operator answers: ACK, hold music stops, legs bridged both ways.
    sim.advance(Duration::from_secs(2));
    let d = sim.send_msg(PHONE_1001, answer(&agent_invite, 31000));
    assert_eq!(d.requests(Method::Ack).len(), 1);
    let agent_leg = sim.legs.opened[1];
    assert!(d.media.contains(&(caller_leg, MediaCommand::StopPlayback)));
    assert!(
        d.media
            .contains(&(caller_leg, MediaCommand::Bridge { peer: agent_leg }))
    );
    assert!(
        d.media
            .contains(&(agent_leg, MediaCommand::Bridge { peer: caller_leg }))
    );
    // The phone did not get our ACK and sends its 200 again: ACK again, and nothing else
    // (above all no BYE: the operator stays connected).
    let d = sim.send_msg(PHONE_1001, answer(&agent_invite, 31000));
    assert_eq!(
        d.requests(Method::Ack).len(),
        1,
        "the retransmitted 200 is ACKed again"
    );
    assert!(
        d.requests(Method::Bye).is_empty(),
        "a retransmitted 200 must not hang up"
    );
    assert!(d.media.is_empty());
    assert!(
        d.facts
            .iter()
            .all(|f| matches!(f, CallFact::Answered { .. })),
        "only the answer is a new fact"
    );

    // Talk, then the caller hangs up: 200, BYE to the operator, call record.
    sim.advance(Duration::from_secs(30));
    let d = sim.send(CALLER, &caller_request("BYE", &ok, 2));
    assert_eq!(d.statuses(), [200]);
    let byes = d.requests(Method::Bye);
    assert_eq!(byes.len(), 1);
    assert_eq!(byes[0].0, PHONE_1001.parse().unwrap());
    let record = d.record().expect("call record at the end");
    assert_eq!(record.outcome, CallOutcome::Answered);
    assert_eq!(record.end_reason, EndReason::CallerHungUp);
    assert_eq!(record.call, pop.call);
    assert_eq!(record.sip_call_id, "sim-1");
    assert_eq!(record.agent_id.as_deref(), Some("1001"));
    assert_eq!(record.queue.as_deref(), Some("personnel-info"));
    assert_eq!(record.talk_ms, Some(30_000));
    assert_eq!(record.waited_ms, Some(2_000));
    assert!(d.media.contains(&(caller_leg, MediaCommand::Close)));
    assert!(d.media.contains(&(agent_leg, MediaCommand::Close)));
    assert_eq!(sim.core.active_calls(), 0);
}

#[test]
fn two_invalid_keys_at_the_top_menu_release_the_call_politely() {
    let mut sim = Sim::new(&[]);
    let d = sim.send(CALLER, &invite("sim-2", "3330000002"));
    let ok = d.responses()[1].clone();
    let leg = sim.legs.opened[0];
    let d = sim.send(CALLER, &caller_request("ACK", &ok, 1));
    let d = finish_playback(&mut sim, &d);
    assert_eq!(d.last_play().unwrap().1, ["main_menu"]);
    let d = sim.media(leg, MediaEvent::Digit('9'));
    assert_eq!(d.last_play().unwrap().1, ["invalid_choice", "main_menu"]);
    let d = sim.media(leg, MediaEvent::Digit('9'));
    assert_eq!(d.last_play().unwrap().1, ["goodbye"]);
    assert!(
        d.requests(Method::Bye).is_empty(),
        "the goodbye is played before hanging up"
    );
    let d = finish_playback(&mut sim, &d);
    let byes = d.requests(Method::Bye);
    assert_eq!(byes.len(), 1);
    assert_eq!(byes[0].1.call_id().unwrap(), ok.call_id().unwrap());
    let record = d.record().expect("call record expected");
    assert_eq!(record.outcome, CallOutcome::ReleasedByIvr);
    assert_eq!(record.waited_ms, None, "never queued");
}

#[test]
fn the_operator_idle_longest_gets_the_call() {
    let mut sim = Sim::new(&["1001", "1002"]);
    sim.register("1002", PHONE_1002);
    sim.advance(Duration::from_secs(5));
    sim.register("1001", PHONE_1001);
    sim.advance(Duration::from_secs(5));
    let d = queue_call(&mut sim, "idle-test", "3330000100");
    assert_eq!(
        offered_caller(&d, PHONE_1002).as_deref(),
        Some("+393330000100"),
        "1002 idle longest"
    );
    assert_eq!(offered_caller(&d, PHONE_1001), None);
}

#[test]
fn callers_are_served_in_arrival_order() {
    let mut sim = Sim::new(&["1001", "1002"]);
    for (id, caller) in [("first", "3330000001"), ("second", "3330000002")] {
        let d = queue_call(&mut sim, id, caller);
        assert!(
            d.requests(Method::Invite).is_empty(),
            "nobody to offer to yet"
        );
        sim.advance(Duration::from_secs(1));
    }
    let d = sim.register("1002", PHONE_1002);
    assert_eq!(
        offered_caller(&d, PHONE_1002).as_deref(),
        Some("+393330000001"),
        "first come, first served"
    );
    sim.advance(Duration::from_millis(10));
    let d = sim.register("1001", PHONE_1001);
    assert_eq!(
        offered_caller(&d, PHONE_1001).as_deref(),
        Some("+393330000002")
    );
}

#[test]
fn caller_hanging_up_in_queue_is_an_abandoned_call_with_a_record() {
    let mut sim = Sim::new(&[]);
    let d = sim.send(CALLER, &invite("sim-4", "3330000004"));
    let ok = d.responses()[1].clone();
    let d = sim.send(CALLER, &caller_request("ACK", &ok, 1));
    let leg = sim.legs.opened[0];
    finish_playback(&mut sim, &d);
    let d = sim.media(leg, MediaEvent::Digit('3'));
    finish_playback(&mut sim, &d);
    sim.advance(Duration::from_secs(40));
    let d = sim.send(CALLER, &caller_request("BYE", &ok, 2));
    assert_eq!(d.statuses(), [200]);
    let record = d.record().expect("call record expected");
    assert_eq!(record.outcome, CallOutcome::AbandonedInQueue);
    assert_eq!(record.queue.as_deref(), Some("applications"));
    assert!(record.waited_ms.unwrap() >= 40_000);
    assert_eq!(record.talk_ms, None, "no operator answered");
}

#[test]
fn cancel_while_ringing_gets_487_and_a_cancelled_record() {
    // Ring for a while before the IVR answers.
    let mut sim = Sim::new(&[]);
    sim.core = CallControl::new(
        EngineConfig {
            answer_delay: Duration::from_secs(3),
            rng_seed: Some(9),
            ..config(&[])
        },
        script(),
        Arc::new(common::ManualClock::new(0)),
        sim.now,
    )
    .unwrap();
    let d = sim.send(CALLER, &invite("sim-5", "3330000005"));
    assert_eq!(d.statuses(), [180]);
    let cancel = format!(
        "CANCEL sip:800123456@{ENGINE} SIP/2.0\r\nVia: SIP/2.0/UDP {CALLER};branch=z9hG4bK-sim-5;rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:3330000005@127.0.0.1>;tag=c-sim-5\r\nTo: <sip:800123456@127.0.0.1>\r\n\
         Call-ID: sim-5\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n"
    );
    let d = sim.send(CALLER, &cancel);
    let mut statuses = d.statuses();
    statuses.sort();
    assert_eq!(statuses, [200, 487]);
    let record = d.record().expect("call record expected");
    assert_eq!(record.outcome, CallOutcome::Cancelled);
    // The answer timer does not fire for a cancelled call.
    let d = sim.advance(Duration::from_secs(5));
    assert!(d.statuses().iter().all(|s| *s != 200));
}

#[test]
fn new_calls_get_503_while_shutting_down() {
    let mut sim = Sim::new(&[]);
    sim.core.begin_shutdown();
    let d = sim.send(CALLER, &invite("sim-6", "3330000006"));
    assert_eq!(d.statuses(), [503]);
}

#[test]
fn every_rfc4475_message_is_answered_or_dropped_without_panic() {
    // In-process: the torture messages' foreign addresses only ever reach our parser and the
    // core's output queue, never a socket.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-vectors/rfc4475");
    let mut sim = Sim::new(&["1001"]);
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "dat") {
            continue;
        }
        seen += 1;
        let bytes = std::fs::read(&path).unwrap();
        let d = sim.send_msg(CALLER, bytes);
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let statuses = d.statuses();
        let expected: Option<u16> = match name.as_str() {
            "unkscm" | "novelsc" => Some(416),
            "bext01" => Some(420),
            "invut" => Some(415),
            "badvers" => Some(505),
            "insuf" | "badinv01" | "clerr" | "ncl" | "quotbal" | "ltgtruri" | "lwsruri"
            | "lwsstart" | "trws" | "escruri" | "regbadct" | "badaspec" | "baddn"
            | "mismatch01" | "multi01" | "mcl01" | "scalar02" => Some(400),
            _ => None,
        };
        if let Some(status) = expected {
            assert!(
                statuses.contains(&status),
                "{name}: expected {status}, got {statuses:?}"
            );
        }
        if name == "scalarlg" || name == "bigcode" {
            assert!(
                d.sip.is_empty(),
                "{name}: a bad response is dropped silently"
            );
        }
    }
    assert_eq!(seen, 49);
    // Still serving afterwards.
    let d = sim.send(CALLER, &invite("after-torture", "3339999999"));
    assert!(d.statuses().contains(&200));
}

#[test]
fn a_waiting_caller_hears_position_and_estimate_then_hold_music_again() {
    let mut technology = call_control::acd::QueueConfig::new("technology");
    technology.announce = Some(call_control::acd::AnnounceConfig {
        every: Duration::from_secs(30),
        skip_below: Duration::ZERO,
    });
    let mut sim = Sim::with(EngineConfig {
        queues: vec![technology],
        ..config(&["1001"])
    });
    sim.register("1001", PHONE_1001);
    // A first call, answered and finished: the queue now knows a handle time.
    let d = queue_call(&mut sim, "handled", "3330000200");
    let (_, first_invite) = d.requests(Method::Invite).pop().expect("offered");
    sim.send_msg(PHONE_1001, answer(&first_invite, 31000));
    sim.advance(Duration::from_secs(120));
    hang_up_from_the_operator(&mut sim, &first_invite);
    // The operator takes a second call and stays on it; two more callers wait behind it.
    let d = queue_call(&mut sim, "talking", "3330000201");
    let (_, invite) = d.requests(Method::Invite).pop().expect("offered again");
    sim.send_msg(PHONE_1001, answer(&invite, 31002));
    queue_call(&mut sim, "waiting-1", "3330000202");
    queue_call(&mut sim, "waiting-2", "3330000203");
    let second_leg = *sim.legs.opened.last().unwrap();
    let d = sim.advance(Duration::from_secs(31));
    let announcement = d
        .media
        .iter()
        .rev()
        .find_map(|(leg, c)| match c {
            MediaCommand::Play {
                prompts, then_loop, ..
            } if *leg == second_leg => Some((prompts.clone(), then_loop.clone())),
            _ => None,
        })
        .expect("the second caller in line hears an announcement");
    assert_eq!(
        &announcement.0[..2],
        ["queue_position", "digit_2"],
        "second in line: {:?}",
        announcement.0
    );
    assert_eq!(announcement.0[2], "average_wait", "then the estimate");
    assert_eq!(
        announcement.1.as_deref(),
        Some("hold_music"),
        "then the music again"
    );
}

/// The operator's phone hangs up the answered call of `invite`.
fn hang_up_from_the_operator(sim: &mut Sim, invite: &sip_message::Request) {
    let from = invite.headers.get("From").unwrap().to_string();
    let to = format!("{};tag=phone", invite.headers.get("To").unwrap());
    let call_id = invite.call_id().unwrap().to_owned();
    let bye = format!(
        "BYE sip:{ENGINE} SIP/2.0\r\nVia: SIP/2.0/UDP {PHONE_1001};branch=z9hG4bK-op-bye-1\r\n\
         Max-Forwards: 70\r\nFrom: {to}\r\nTo: {from}\r\nCall-ID: {call_id}\r\nCSeq: 2 BYE\r\n\
         Content-Length: 0\r\n\r\n"
    );
    let d = sim.send(PHONE_1001, &bye);
    assert_eq!(d.statuses(), [200], "the engine takes the operator's BYE");
}
