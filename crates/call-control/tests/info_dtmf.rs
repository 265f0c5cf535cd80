//! Keys sent as SIP INFO steer the IVR like RFC 4733 keys (simulated time); other INFO bodies
//! are refused with 415, and an INVITE that accepts no SDP gets 406 (RFC 4475 `sdp01`).

mod sim;

use call_control::events::CallFact;
use common::call::CallStage;
use sim::*;
use sip_message::SipHeaders;

fn info(ok: &sip_message::Response, cseq: u32, content_type: &str, body: &str) -> String {
    let from = ok.headers.get("From").unwrap();
    let to = ok.headers.get("To").unwrap();
    let call_id = ok.call_id().unwrap();
    format!(
        "INFO sip:{ENGINE} SIP/2.0\r\nVia: SIP/2.0/UDP {CALLER};branch=z9hG4bK-info{cseq}\r\n\
         Max-Forwards: 70\r\nFrom: {from}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: {cseq} INFO\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn a_key_sent_as_sip_info_picks_the_menu_entry() {
    let mut sim = Sim::new(&[]);
    let d = sim.send(CALLER, &invite("info-1", "0551234567"));
    let ok = d.responses().into_iter().find(|r| r.status == 200).unwrap();
    let d = sim.send(CALLER, &caller_request("ACK", &ok, 1));
    finish_playback(&mut sim, &d); // the welcome; the menu now listens

    let d = sim.send(CALLER, &info(&ok, 2, "text/plain", "2"));
    assert_eq!(d.statuses(), [415], "not a DTMF body");
    let d = sim.send(
        CALLER,
        &info(
            &ok,
            3,
            "application/dtmf-relay",
            "Signal=2\r\nDuration=160\r\n",
        ),
    );
    assert_eq!(d.statuses(), [200]);
    let d = finish_playback(&mut sim, &d); // "please hold"
    let queued = d.facts.iter().find_map(|f| match f {
        CallFact::Progress {
            stage: CallStage::Queued,
            queue,
            ..
        } => queue.clone(),
        _ => None,
    });
    assert_eq!(queued.as_deref(), Some("technology"), "key 2: technology");
}

#[test]
fn an_invite_that_accepts_no_sdp_is_refused_with_406() {
    let mut sim = Sim::new(&[]);
    let text = invite("accept-1", "0551234567").replacen(
        "Content-Type: application/sdp",
        "Accept: text/nonsense\r\nContent-Type: application/sdp",
        1,
    );
    let d = sim.send(CALLER, &text);
    assert_eq!(d.statuses(), [406]);
    assert_eq!(
        d.responses()[0].headers.get("Accept"),
        Some("application/sdp")
    );
    assert!(d.facts.is_empty() && sim.legs.opened.is_empty());
    // Accepting SDP among others is fine.
    let text = invite("accept-2", "0551234567").replacen(
        "Content-Type: application/sdp",
        "Accept: text/plain, application/sdp;level=1\r\nContent-Type: application/sdp",
        1,
    );
    assert!(sim.send(CALLER, &text).statuses().contains(&200));
}
