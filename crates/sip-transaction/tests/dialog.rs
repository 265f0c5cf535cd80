//! A whole call between two endpoints over a simulated link: INVITE through a (simulated)
//! record-routing proxy, 180, 200, ACK, BYE from the callee, with dialogs on both sides
//! (RFC 3261 12, 13.2.2.4, 13.3.1.4, 15).

mod common;
use std::net::SocketAddr;
use std::time::Instant;

use common::*;
use sip_message::{Method, NameAddr, Request, SipHeaders, Uri};
use sip_transaction::{Dialog, DialogError, DialogState, Endpoint, EndpointConfig, Event, Output};

struct Link {
    now: Instant,
    a: Endpoint,
    b: Endpoint,
}

fn a_addr() -> SocketAddr {
    "192.0.2.10:5060".parse().unwrap()
}
fn b_addr() -> SocketAddr {
    "127.0.0.1:5060".parse().unwrap()
}

impl Link {
    /// Deliver everything in flight until both are quiet; return the events (side, event).
    fn pump(&mut self) -> Vec<(char, Event)> {
        let mut events = Vec::new();
        loop {
            let mut moved = false;
            for side in ['a', 'b'] {
                let (from, to_ep, from_addr) = match side {
                    'a' => (&mut self.a, &mut self.b, a_addr()),
                    _ => (&mut self.b, &mut self.a, b_addr()),
                };
                while let Some(output) = from.poll_output() {
                    match output {
                        Output::Transmit { bytes, .. } => {
                            to_ep.handle_datagram(self.now, from_addr, &bytes);
                            moved = true;
                        }
                        Output::Event(e) => events.push((side, e)),
                    }
                }
            }
            if !moved {
                return events;
            }
        }
    }
}

#[test]
fn call_with_record_route_ack_and_bye() {
    let now = Instant::now();
    let mut link = Link {
        now,
        a: Endpoint::new(EndpointConfig::new(a_addr(), "phone"), 1),
        b: Endpoint::new(EndpointConfig::new(b_addr(), "centralino"), 2),
    };
    // A calls B; a proxy on the way would add Record-Route.
    let mut invite = link.a.new_request(
        Method::Invite,
        "sip:service@127.0.0.1".parse().unwrap(),
        "\"Alice\" <sip:alice@192.0.2.10>".parse().unwrap(),
        "<sip:service@127.0.0.1>".parse().unwrap(),
    );
    invite
        .headers
        .push("Record-Route", "<sip:p1.example;lr>, <sip:p2.example;lr>");
    let a_tx = link.a.send_request(now, invite, b_addr()).unwrap();
    let sent_invite = link.a.client_request(a_tx).unwrap().clone();

    let evs = link.pump();
    let (b_tx, b_invite) = match &evs[..] {
        [('b', Event::IncomingRequest { tx, request, .. })] => (*tx, request.clone()),
        other => panic!("{other:?}"),
    };

    // B rings (early dialog on A) then answers.
    let mut ringing = link.b.response(b_tx, 180, "Ringing").unwrap();
    ringing
        .headers
        .push("Contact", link.b.local_contact(Some("svc")).to_string());
    link.b.respond(now, b_tx, ringing).unwrap();
    let evs = link.pump();
    let mut a_dialog = match &evs[..] {
        [('a', Event::Response { response, .. })] => Dialog::uac(&sent_invite, response).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(a_dialog.state(), DialogState::Early);

    let mut ok = link.b.response(b_tx, 200, "OK").unwrap();
    ok.headers
        .push("Contact", link.b.local_contact(Some("svc")).to_string());
    let mut b_dialog = Dialog::uas(&b_invite, &ok).unwrap();
    link.b.respond(now, b_tx, ok).unwrap();
    assert_eq!(b_dialog.state(), DialogState::Confirmed);
    assert_eq!(b_dialog.route_set().len(), 2);
    assert_eq!(b_dialog.remote_target().to_string(), "sip:192.0.2.10:5060");

    let evs = link.pump();
    let ok_at_a = match &evs[..] {
        [
            (
                'a',
                Event::Response {
                    response,
                    retransmission: false,
                    ..
                },
            ),
        ] => response.clone(),
        other => panic!("{other:?}"),
    };
    a_dialog.handle_response(&ok_at_a).unwrap();
    assert_eq!(a_dialog.state(), DialogState::Confirmed);
    assert_eq!(a_dialog.id().remote_tag, b_dialog.id().local_tag);
    assert_eq!(a_dialog.id().local_tag, b_dialog.id().remote_tag);
    // UAC route set is the reverse (RFC 3261 12.1.2).
    let routes: Vec<String> = a_dialog.route_set().iter().map(|r| r.to_string()).collect();
    assert_eq!(routes, vec!["<sip:p2.example;lr>", "<sip:p1.example;lr>"]);
    assert_eq!(
        a_dialog.remote_target().to_string(),
        "sip:svc@127.0.0.1:5060"
    );

    // A ACKs the 2xx end to end; B stops retransmitting and hears of it.
    let ack = a_dialog.ack_for_2xx(&sent_invite).unwrap();
    assert_eq!(ack.cseq().unwrap().seq, sent_invite.cseq().unwrap().seq);
    assert_eq!(ack.uri.to_string(), "sip:svc@127.0.0.1:5060");
    assert_eq!(ack.headers.get("Route"), Some("<sip:p2.example;lr>"));
    let ack = link.a.send_ack_2xx(ack, b_addr());
    assert!(
        ack.top_via()
            .unwrap()
            .branch()
            .unwrap()
            .starts_with("z9hG4bK")
    );
    let evs = link.pump();
    match &evs[..] {
        [
            (
                'b',
                Event::IncomingAck {
                    tx: Some(t),
                    request,
                    ..
                },
            ),
        ] => {
            assert_eq!(*t, b_tx);
            assert!(b_dialog.matches_request(request));
        }
        other => panic!("{other:?}"),
    }

    // B hangs up: BYE in the dialog.
    let bye = b_dialog.new_request(Method::Bye);
    assert_eq!(bye.cseq().unwrap().seq, 1);
    assert_eq!(bye.uri.to_string(), "sip:192.0.2.10:5060");
    let b_bye_tx = link.b.send_request(now, bye, a_addr()).unwrap();
    let evs = link.pump();
    let (a_bye_tx, bye_at_a) = match &evs[..] {
        [('a', Event::IncomingRequest { tx, request, .. })] => (*tx, request.clone()),
        other => panic!("{other:?}"),
    };
    assert!(a_dialog.matches_request(&bye_at_a));
    a_dialog.handle_request(&bye_at_a).unwrap();
    // Replayed BYE with the same CSeq is out of order (RFC 3261 12.2.2).
    assert_eq!(
        a_dialog.handle_request(&bye_at_a),
        Err(DialogError::CSeqOutOfOrder { got: 1, last: 1 })
    );
    let ok = link.a.response(a_bye_tx, 200, "OK").unwrap();
    link.a.respond(now, a_bye_tx, ok).unwrap();
    let evs = link.pump();
    assert!(
        matches!(&evs[..], [('b', Event::Response { tx, response, .. })] if *tx == b_bye_tx && response.status == 200)
    );
    // The next request in B's dialog increments CSeq.
    assert_eq!(b_dialog.new_request(Method::Info).cseq().unwrap().seq, 2);
}

#[test]
fn strict_route_puts_remote_target_last() {
    let invite_text =
        invite("z9hG4bKd1").replace("Contact:", "Record-Route: <sip:strict.example>\nContact:");
    let Ok(sip_message::Message::Request(req)) =
        sip_message::parse(invite_text.replace('\n', "\r\n").as_bytes())
    else {
        panic!("test INVITE parses");
    };
    let mut ok = sip_message::Response::for_request(&req, 200, "OK");
    let to = ok.headers.get("To").unwrap().to_owned();
    ok.headers.set("To", format!("{to};tag=ours"));
    let mut dialog = Dialog::uas(&req, &ok).unwrap();
    let bye: Request = dialog.new_request(Method::Bye);
    // RFC 3261 12.2.1.1 strict routing: Request-URI is the route, target goes last.
    assert_eq!(bye.uri.to_string(), "sip:strict.example");
    assert_eq!(
        bye.headers.get("Route"),
        Some("<sip:alice@192.0.2.10:5060>")
    );
    assert_eq!(bye.to_hdr().unwrap().tag(), Some("1928301774"));
    assert_eq!(bye.from_hdr().unwrap().tag(), Some("ours"));
}

#[test]
fn dialog_errors() {
    let Ok(sip_message::Message::Request(req)) =
        sip_message::parse(invite("z9hG4bKd2").replace('\n', "\r\n").as_bytes())
    else {
        panic!("test INVITE parses");
    };
    let ok = sip_message::Response::for_request(&req, 200, "OK");
    assert_eq!(Dialog::uac(&req, &ok), Err(DialogError::MissingToTag));
    let busy = sip_message::Response::for_request(&req, 486, "Busy");
    assert_eq!(
        Dialog::uas(&req, &busy),
        Err(DialogError::NotDialogCreating(486))
    );
    let _: Option<NameAddr> = None;
    let _: Option<Uri> = None;
}
