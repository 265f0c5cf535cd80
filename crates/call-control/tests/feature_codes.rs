//! Feature codes from an operator's phone, in simulated time: the INVITE to `*22` is
//! challenged, then (authenticated as operator 1001) applied to the ACD; the engine answers,
//! plays the confirmation and hangs up; nothing reaches the CRM. A refused change plays
//! `feature_refused`; an unknown code gets 404; a caller without the operator's password never
//! changes anything.

mod sim;

use std::time::Duration;

use call_control::acd::OperatorState;
use call_control::events::MediaEvent;
use sim::*;
use sip_message::Method;

fn feature_invite(code: &str, cseq: u32, auth: Option<&str>) -> String {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
               m=audio 31000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    format!(
        "INVITE sip:{code}@{ENGINE} SIP/2.0\r\nVia: SIP/2.0/UDP {PHONE_1001};branch=z9hG4bK-f{code}{cseq}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:1001@centralino.local>;tag=f{cseq}\r\nTo: <sip:{code}@centralino.local>\r\n\
         Call-ID: feature-{code}\r\nCSeq: {cseq} INVITE\r\nContact: <sip:1001@{PHONE_1001}>\r\n{auth}\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
}

/// Dials `code` from 1001's phone with `password`, answering the challenge. Returns what the
/// authenticated INVITE caused.
fn dial(sim: &mut Sim, code: &str, password: &str) -> Drained {
    let d = sim.send(PHONE_1001, &feature_invite(code, 1, None));
    assert_eq!(d.statuses(), [401], "challenged first");
    let challenge = d.responses()[0]
        .headers
        .get("WWW-Authenticate")
        .unwrap()
        .to_string();
    let challenge = sip_transaction::digest::Challenge::parse(&challenge).unwrap();
    let creds = sip_transaction::digest::authorize(
        &challenge,
        "1001",
        password,
        "INVITE",
        &format!("sip:{code}@{ENGINE}"),
        "0a4f113b",
        1,
    );
    // The 401 is ACKed by the phone (a new transaction's INVITE follows, CSeq 2).
    sim.send(
        PHONE_1001,
        &feature_invite(code, 2, Some(&creds.to_header_value())),
    )
}

fn state_of_1001(sim: &Sim) -> OperatorState {
    sim.core
        .acd_snapshot(sim.now)
        .operators
        .iter()
        .find(|o| o.operator.0 == "1001")
        .expect("1001 is configured")
        .state
        .clone()
}

/// Answers, plays `prompt` after the ACK, then hangs up; no facts at any step.
fn confirms(sim: &mut Sim, d: Drained, prompt: &str) {
    assert!(
        d.facts.is_empty(),
        "a feature call leaves no facts: {:?}",
        d.facts
    );
    let ok = d
        .responses()
        .into_iter()
        .find(|r| r.status == 200)
        .expect("answered");
    let ack = caller_request("ACK", &ok, 2);
    let d = sim.send(PHONE_1001, &ack);
    let (leg, prompts, _, token) = d.last_play().expect("the confirmation plays");
    assert_eq!(prompts, [prompt]);
    assert!(d.facts.is_empty());
    let d = sim.media(leg, MediaEvent::PlaybackFinished { token });
    assert_eq!(d.requests(Method::Bye).len(), 1, "then the engine hangs up");
    assert!(d.facts.is_empty(), "no call record: {:?}", d.facts);
}

#[test]
fn star_22_pauses_the_operator_and_says_so() {
    let mut sim = Sim::new(&["1001"]);
    sim.register("1001", PHONE_1001);
    assert!(matches!(state_of_1001(&sim), OperatorState::Ready { .. }));
    let d = dial(&mut sim, "*22", "demo1001");
    assert!(
        matches!(state_of_1001(&sim), OperatorState::NotReady { ref reason, .. } if *reason == call_control::acd::ReasonCode::new("phone").unwrap()),
        "{:?}",
        state_of_1001(&sim)
    );
    confirms(&mut sim, d, "feature_not_ready");

    let d = dial(&mut sim, "*21", "demo1001");
    assert!(matches!(state_of_1001(&sim), OperatorState::Ready { .. }));
    confirms(&mut sim, d, "feature_ready");
}

#[test]
fn a_change_the_acd_refuses_is_said_and_changes_nothing() {
    let mut sim = Sim::new(&["1001"]);
    sim.register("1001", PHONE_1001);
    sim.advance(Duration::from_secs(1));
    // Not in wrap-up: nothing to end.
    let d = dial(&mut sim, "*23", "demo1001");
    assert!(matches!(state_of_1001(&sim), OperatorState::Ready { .. }));
    confirms(&mut sim, d, "feature_refused");
}

#[test]
fn unknown_codes_and_wrong_passwords_change_nothing() {
    let mut sim = Sim::new(&["1001"]);
    sim.register("1001", PHONE_1001);
    let d = dial(&mut sim, "*99", "demo1001");
    assert_eq!(d.statuses(), [404]);
    let d = dial(&mut sim, "*22", "guess");
    assert!(
        d.statuses().iter().all(|s| *s == 401 || *s == 403),
        "refused: {:?}",
        d.statuses()
    );
    assert!(matches!(state_of_1001(&sim), OperatorState::Ready { .. }));
    assert!(d.facts.is_empty());
}
