//! The pop on the operator's phone, in simulated time: the INVITE offered to the operator
//! names the call's SR and service area in its From display name and links the SR's desk page
//! in `Call-Info`, once the CRM has said which SR it opened; without that answer the phone
//! shows the caller's number and the area, and no link. What the CRM sends is never copied
//! into a header unless it is a plain SR number.

mod sim;

use call_control::CallRef;
use call_control::events::{CallFact, MediaEvent};
use sim::*;
use sip_message::SipHeaders;

/// A caller through the IVR to the technology queue (key 2); `sr` is what the CRM answers to
/// the arrival, if anything. Returns the INVITE offered to operator 1001.
fn offered(sr: Option<&str>) -> sip_message::Request {
    let mut sim = Sim::new(&["1001"]);
    sim.register("1001", PHONE_1001);
    let d = sim.send(CALLER, &invite("pop-1", "3331234567"));
    let leg = *sim.legs.opened.last().unwrap();
    let call: CallRef = d
        .facts
        .iter()
        .find_map(|f| match f {
            CallFact::Arrived(a) => Some(a.call.clone()),
            _ => None,
        })
        .expect("the arrival is reported with the INVITE");
    if let Some(number) = sr {
        sim.core.handle_service_request(&call, number);
    }
    let ok = d.responses()[1].clone();
    let d = sim.send(CALLER, &caller_request("ACK", &ok, 1));
    finish_playback(&mut sim, &d);
    let d = sim.media(leg, MediaEvent::Digit('2'));
    let d = finish_playback(&mut sim, &d);
    offered_invite(&d, PHONE_1001).expect("1001 is offered the call")
}

fn display(invite: &sip_message::Request) -> String {
    invite.from_hdr().unwrap().display_name.unwrap_or_default()
}

#[test]
fn the_phone_shows_the_sr_and_links_its_page() {
    let invite = offered(Some("SR-2026-000042"));
    assert_eq!(display(&invite), "SR-2026-000042 technology");
    assert_eq!(
        invite.headers.get("Call-Info"),
        Some("<https://crm.example.org/desk/sr/SR-2026-000042>;purpose=info")
    );
    // The caller's number is still the From URI, for call-back and the phone's log.
    assert_eq!(offered_caller_of(&invite), "+393331234567");
}

#[test]
fn without_the_crms_answer_the_phone_shows_the_caller_and_no_link() {
    let invite = offered(None);
    assert_eq!(display(&invite), "+393331234567 technology");
    assert_eq!(invite.headers.get("Call-Info"), None);
}

#[test]
fn an_sr_number_that_is_not_plain_is_not_put_in_a_header() {
    for bad in [
        "SR-1\r\nX-Injected: yes",
        "SR 1",
        "<script>",
        "",
        &"9".repeat(41),
    ] {
        let invite = offered(Some(bad));
        assert_eq!(display(&invite), "+393331234567 technology", "{bad:?}");
        assert_eq!(invite.headers.get("Call-Info"), None, "{bad:?}");
    }
}

fn offered_caller_of(invite: &sip_message::Request) -> String {
    match invite.from_hdr().unwrap().uri {
        sip_message::Uri::Sip(u) => u.user.unwrap_or_default(),
        other => panic!("{other:?}"),
    }
}
