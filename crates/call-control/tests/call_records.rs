//! Every call leaves exactly one truthful record, in simulated time: the engine's own call
//! IDs, what the IVR learned however early the caller leaves, the facts a restart needs, the
//! limits at the SIP edge, and the outcomes of calls cut by the engine itself.

mod sim;

use std::time::Duration;

use call_control::events::{CallFact, MediaCommand, MediaEvent};
use call_control::{CallRecord, MAX_CALL_ID_LEN};
use common::call::{CallOutcome, CallStage, EndReason};
use sim::*;
use sip_message::Method;

fn records(d: &Drained) -> Vec<CallRecord> {
    d.facts
        .iter()
        .filter_map(|f| match f {
            CallFact::Ended(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn an_answer_never_acked_sends_no_media_and_ends_as_failed_no_ack() {
    let mut sim = Sim::new(&[]);
    let d = sim.send(CALLER, &invite("no-ack", "3330000300"));
    assert_eq!(d.statuses(), [180, 200]);
    // The caller never ACKs. The 200 is retransmitted until Timer H (64*T1 = 32 s).
    let d = sim.advance(Duration::from_secs(40));
    assert!(
        d.media
            .iter()
            .all(|(_, c)| !matches!(c, MediaCommand::Play { .. } | MediaCommand::Bridge { .. })),
        "nothing is ever played to an address the caller never confirmed: {:?}",
        d.media
    );
    let record = records(&d).pop().expect("the call still gets its record");
    assert_eq!(record.outcome, CallOutcome::Failed);
    assert_eq!(record.end_reason, EndReason::NoAck);
    assert_eq!(record.stage, CallStage::Arrived);
    assert!(
        !d.requests(Method::Bye).is_empty(),
        "the confirmed dialog is ended (RFC 3261 13.3.1.4)"
    );
    assert_eq!(sim.core.active_calls(), 0);
}

#[test]
fn a_key_pressed_before_hanging_up_during_please_hold_is_kept() {
    let mut sim = Sim::new(&[]);
    let d = sim.send(CALLER, &invite("hold-hangup", "3330000301"));
    let ok = d.responses()[1].clone();
    let leg = sim.legs.opened[0];
    let d = sim.send(CALLER, &caller_request("ACK", &ok, 1));
    let d = finish_playback(&mut sim, &d);
    assert_eq!(d.last_play().unwrap().1, ["main_menu"]);
    let d = sim.media(leg, MediaEvent::Digit('2'));
    assert_eq!(d.last_play().unwrap().1, ["please_hold"]);
    // The key is a fact at once: a crash now would still know it.
    let progress = d
        .facts
        .iter()
        .rev()
        .find_map(|f| match f {
            CallFact::Progress { ivr_data, .. } => Some(ivr_data.clone()),
            _ => None,
        })
        .expect("what the IVR learned is reported as it is learned");
    assert!(progress.contains(&("service_area".into(), "technology".into())));
    // The caller hangs up while "please hold" plays, before the queue.
    let d = sim.send(CALLER, &caller_request("BYE", &ok, 2));
    let record = records(&d).pop().unwrap();
    assert_eq!(record.outcome, CallOutcome::AbandonedInIvr);
    assert_eq!(record.end_reason, EndReason::CallerHungUp);
    assert!(
        record
            .ivr_data
            .contains(&("service_area".into(), "technology".into())),
        "{:?}",
        record.ivr_data
    );
    assert!(
        record
            .ivr_data
            .iter()
            .any(|(k, v)| k == "choice.main" && v.starts_with('2')),
        "{:?}",
        record.ivr_data
    );
}

#[test]
fn two_calls_that_reuse_a_call_id_get_two_engine_call_ids_and_two_records() {
    let mut sim = Sim::new(&[]);
    let mut refs = Vec::new();
    for n in 0..2 {
        // Another transaction and dialog (branch, From tag), the same Call-ID.
        let text = invite("reused-call-id", "3330000302")
            .replace("z9hG4bK-reused-call-id", &format!("z9hG4bK-reuse{n}"))
            .replace("tag=c-reused-call-id", &format!("tag=reuse{n}"));
        let d = sim.send(CALLER, &text);
        let ok = d.responses()[1].clone();
        let arrived = d
            .facts
            .iter()
            .find_map(|f| match f {
                CallFact::Arrived(a) => Some(a.clone()),
                _ => None,
            })
            .expect("arrival is a fact");
        assert_eq!(arrived.sip_call_id, "reused-call-id");
        sim.send(CALLER, &caller_request("ACK", &ok, 1));
        let d = sim.send(CALLER, &caller_request("BYE", &ok, 2 + n));
        let record = records(&d).pop().expect("each call has its record");
        assert_eq!(record.call, arrived.call);
        refs.push(record.call);
    }
    assert_ne!(refs[0], refs[1]);
}

#[test]
fn call_ids_differ_across_restarts() {
    let first = {
        let mut sim = Sim::with(call_control::EngineConfig {
            call_id_epoch: Some(1_795_000_000_000),
            ..config(&[])
        });
        let d = sim.send(CALLER, &invite("a", "3330000303"));
        d.facts[0].call().clone()
    };
    let second = {
        let mut sim = Sim::with(call_control::EngineConfig {
            call_id_epoch: Some(1_795_000_000_001),
            ..config(&[])
        });
        let d = sim.send(CALLER, &invite("a", "3330000303"));
        d.facts[0].call().clone()
    };
    assert_ne!(first, second, "same sequence number, another boot epoch");
}

#[test]
fn an_oversized_call_id_or_caller_is_refused_with_400_and_the_reason() {
    let mut sim = Sim::new(&[]);
    let long_id = "x".repeat(MAX_CALL_ID_LEN + 1);
    let d = sim.send(CALLER, &invite(&long_id, "3330000304"));
    assert_eq!(d.statuses(), [400]);
    assert_eq!(d.responses()[0].reason, "Call-ID Too Long");
    assert!(
        d.facts.is_empty(),
        "no call was accepted, so no record is owed"
    );

    let long_caller = "3".repeat(200);
    let d = sim.send(CALLER, &invite("long-caller", &long_caller));
    assert_eq!(d.statuses(), [400]);
    assert!(d.facts.is_empty());
    assert_eq!(sim.core.stats().calls_rejected, 2);
}

#[test]
fn no_rtp_port_ends_the_call_with_503_and_a_record() {
    let mut sim = Sim::new(&[]);
    sim.legs.fail_next = true;
    let d = sim.send(CALLER, &invite("no-port", "3330000305"));
    assert!(d.statuses().contains(&503), "{:?}", d.statuses());
    let record = records(&d)
        .pop()
        .expect("an accepted call always has a record");
    assert_eq!(record.outcome, CallOutcome::Failed);
    assert_eq!(record.end_reason, EndReason::NoMediaPort);
    assert_eq!(sim.core.active_calls(), 0);
}

#[test]
fn shutdown_keeps_an_answered_call_answered_and_fails_the_others() {
    let mut sim = Sim::new(&["1001"]);
    sim.register("1001", PHONE_1001);
    let d = queue_call(&mut sim, "talking", "3330000306");
    let (_, agent_invite) = d.requests(Method::Invite).pop().expect("offered");
    sim.send_msg(PHONE_1001, answer(&agent_invite, 31000));
    queue_call(&mut sim, "waiting", "3330000307");
    sim.advance(Duration::from_secs(10));
    sim.core.hang_up_all(sim.now);
    let d = sim.drain();
    let mut records = records(&d);
    records.sort_by_key(|r| r.sip_call_id.clone());
    assert_eq!(records.len(), 2);
    let (talking, waiting) = (&records[0], &records[1]);
    assert_eq!(talking.sip_call_id, "talking");
    assert_eq!(talking.outcome, CallOutcome::Answered);
    assert_eq!(talking.end_reason, EndReason::Shutdown);
    assert_eq!(talking.talk_ms, Some(10_000));
    assert_eq!(talking.stage, CallStage::Talking);
    assert_eq!(waiting.outcome, CallOutcome::Failed);
    assert_eq!(waiting.end_reason, EndReason::Shutdown);
    assert_eq!(waiting.stage, CallStage::Queued);
}

#[test]
fn facts_come_in_call_order_and_every_call_ends_exactly_once() {
    let mut sim = Sim::new(&["1001"]);
    sim.register("1001", PHONE_1001);
    let mut all = Drained::default();
    let d = sim.send(CALLER, &invite("ordered", "3330000308"));
    let ok = d.responses()[1].clone();
    let leg = sim.legs.opened[0];
    all.facts.extend(d.facts);
    let d = sim.send(CALLER, &caller_request("ACK", &ok, 1));
    all.facts.extend(d.facts.clone());
    let d = finish_playback(&mut sim, &d);
    all.facts.extend(d.facts);
    let d = sim.media(leg, MediaEvent::Digit('2'));
    all.facts.extend(d.facts.clone());
    let d = finish_playback(&mut sim, &d);
    all.facts.extend(d.facts.clone());
    let (_, agent_invite) = d.requests(Method::Invite).pop().expect("offered");
    let d = sim.send_msg(PHONE_1001, answer(&agent_invite, 31000));
    all.facts.extend(d.facts);
    let d = sim.advance(Duration::from_secs(5));
    all.facts.extend(d.facts);
    sim.core.hang_up_all(sim.now);
    all.facts.extend(sim.drain().facts);
    let kinds: Vec<&str> = all
        .facts
        .iter()
        .map(|f| match f {
            CallFact::Arrived(_) => "arrived",
            CallFact::Progress { .. } => "progress",
            CallFact::Offered(_) => "offered",
            CallFact::Answered { .. } => "answered",
            CallFact::Ended(_) => "ended",
        })
        .filter(|k| *k != "progress")
        .collect();
    assert_eq!(kinds, ["arrived", "offered", "answered", "ended"]);
}

#[test]
fn a_tel_caller_is_normalised_and_keeps_its_raw_form() {
    let mut sim = Sim::new(&[]);
    let text = invite("tel-caller", "x").replace(
        "From: <sip:x@127.0.0.1>;tag=c-tel-caller",
        "From: <tel:0551234567;phone-context=+39>;tag=c-tel-caller",
    );
    let d = sim.send(CALLER, &text);
    assert_eq!(d.statuses(), [180, 200]);
    let CallFact::Arrived(arrived) = &d.facts[0] else {
        panic!("arrival first: {:?}", d.facts)
    };
    assert_eq!(arrived.caller.e164(), Some("+390551234567"));
    assert!(
        arrived.caller.raw().contains("phone-context"),
        "the raw value is kept as received"
    );
    assert!(!arrived.caller.best().contains("phone-context"));
}

/// What a driver would have kept of a run: every journal entry and the last registrations.
#[derive(Default)]
struct Kept {
    journal: Vec<call_control::StoredEntry>,
    bindings: std::collections::BTreeMap<String, Vec<call_control::StoredBinding>>,
}

impl Kept {
    fn keep(&mut self, d: &Drained) {
        for (entry, at_unix_ms) in &d.journal {
            self.journal.push(call_control::StoredEntry {
                seq: entry.seq,
                at_unix_ms: *at_unix_ms,
                event: entry.event.clone(),
            });
        }
        for (aor, bindings) in &d.registrations {
            self.bindings.insert(aor.clone(), bindings.clone());
        }
    }

    fn bindings(&self) -> Vec<(String, call_control::StoredBinding)> {
        self.bindings
            .iter()
            .flat_map(|(aor, bs)| bs.iter().map(move |b| (aor.clone(), b.clone())))
            .collect()
    }
}

#[test]
fn after_a_restart_operators_and_their_phones_are_back_and_the_next_call_rings_at_once() {
    let mut kept = Kept::default();
    let mut sim = Sim::new(&["1001"]);
    kept.keep(&sim.register("1001", PHONE_1001));
    let d = queue_call(&mut sim, "before-crash", "3330000400");
    kept.keep(&d);
    let (_, invite) = d.requests(Method::Invite).pop().expect("offered");
    kept.keep(&sim.send_msg(PHONE_1001, answer(&invite, 31000)));
    kept.keep(&sim.advance(Duration::from_secs(10)));
    assert!(kept.journal.len() > 3, "the ACD journals what happened");
    assert!(
        kept.journal.windows(2).all(|w| w[1].seq == w[0].seq + 1),
        "gap-free"
    );

    // The process dies while operator 1001 talks. A new one starts on what was kept.
    let mut next = Sim::with(call_control::EngineConfig {
        rng_seed: Some(8),
        call_id_epoch: Some(1_795_000_100_000),
        ..config(&["1001"])
    });
    let restored = next
        .core
        .restore(next.now, kept.journal.clone(), kept.bindings())
        .expect("the journal replays");
    assert_eq!(restored.journal_entries, kept.journal.len());
    assert_eq!(
        restored.calls_closed, 1,
        "the call that died with the process"
    );
    assert_eq!(restored.registrations, 1);
    let closing = next.drain();
    assert!(
        closing
            .journal
            .iter()
            .all(|(e, _)| e.seq >= kept.journal.len() as u64),
        "the journal goes on where it stopped"
    );
    // No REGISTER since the restart: the next caller still reaches 1001's phone.
    let d = queue_call(&mut next, "after-restart", "3330000401");
    assert_eq!(
        offered_caller(&d, PHONE_1001).as_deref(),
        Some("+393330000401"),
        "the operator is ready again and their phone is known"
    );
}

#[test]
fn a_journal_of_another_configuration_is_refused_and_nothing_changes() {
    let mut kept = Kept::default();
    let mut sim = Sim::new(&["1001"]);
    kept.keep(&sim.register("1001", PHONE_1001));
    kept.keep(&queue_call(&mut sim, "old", "3330000402"));
    // The new configuration no longer knows operator 1001.
    let mut next = Sim::new(&["1002"]);
    let refused = next
        .core
        .restore(next.now, kept.journal.clone(), Vec::new());
    assert!(refused.is_err(), "a journal that does not fit is refused");
    // The engine still serves with a fresh ACD.
    next.register("1002", PHONE_1002);
    let d = queue_call(&mut next, "fresh", "3330000403");
    assert!(offered_caller(&d, PHONE_1002).is_some());
}
