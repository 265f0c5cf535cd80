//! The call-control core in simulated time: no sockets, no clock, no tokio. A caller and an
//! operator phone are played by hand-written SIP messages; media legs are a test double.
//! (The same stories run against the real binary with SIPp in the workspace's `tests/`.)

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::ManualClock;
use engine::control::{CallControl, MediaLegs, Output};
use engine::events::{CallOutcome, CtiEvent, LegId, MediaCommand, MediaEvent};
use engine::{AgentConfig, EngineConfig};
use sip_message::{Message, Method, Request, Response, SipHeaders};

const ENGINE: &str = "127.0.0.1:5060";
const CALLER: &str = "127.0.0.1:7000";
const PHONE_1001: &str = "127.0.0.1:7100";
const PHONE_1002: &str = "127.0.0.1:7200";

/// Hands out fake RTP addresses and remembers which legs were opened.
#[derive(Default)]
struct FakeLegs {
    opened: Vec<LegId>,
}

impl MediaLegs for FakeLegs {
    fn open(&mut self, leg: LegId) -> Result<SocketAddr, String> {
        self.opened.push(leg);
        Ok(SocketAddr::from((
            [127, 0, 0, 1],
            40_000 + leg.0 as u16 * 2,
        )))
    }
}

#[derive(Default, Debug)]
struct Drained {
    sip: Vec<(SocketAddr, Message)>,
    /// Status codes of every response sent, including replies to broken requests that echo
    /// the broken header and so do not parse themselves.
    raw_statuses: Vec<u16>,
    media: Vec<(LegId, MediaCommand)>,
    cti: Vec<CtiEvent>,
}

impl Drained {
    fn requests(&self, method: Method) -> Vec<(SocketAddr, Request)> {
        self.sip
            .iter()
            .filter_map(|(to, m)| match m {
                Message::Request(r) if r.method == method => Some((*to, r.clone())),
                _ => None,
            })
            .collect()
    }
    fn responses(&self) -> Vec<Response> {
        self.sip
            .iter()
            .filter_map(|(_, m)| match m {
                Message::Response(r) => Some(r.clone()),
                _ => None,
            })
            .collect()
    }
    fn statuses(&self) -> Vec<u16> {
        self.raw_statuses.clone()
    }
    /// The last Play command's prompts and token.
    fn last_play(&self) -> Option<(LegId, Vec<String>, Option<String>, u64)> {
        self.media.iter().rev().find_map(|(leg, c)| match c {
            MediaCommand::Play {
                prompts,
                then_loop,
                token,
            } => Some((*leg, prompts.clone(), then_loop.clone(), *token)),
            _ => None,
        })
    }
}

struct Sim {
    core: CallControl,
    legs: FakeLegs,
    now: Instant,
}

impl Sim {
    fn new(agents: &[&str]) -> Sim {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let text = std::fs::read_to_string(root.join("ivr-scripts/toll-free.ivr")).unwrap();
        let script = Arc::new(ivr::Script::parse("toll-free.ivr", &text).unwrap());
        let config = EngineConfig {
            domain: "centralino.local".into(),
            media_ip: "127.0.0.1".parse().unwrap(),
            answer_delay: Duration::ZERO,
            hours_override: Some(true),
            utc_offset_minutes: 60,
            registration_means_ready: true,
            agents: agents
                .iter()
                .map(|id| AgentConfig {
                    id: id.to_string(),
                    password: format!("demo{id}"),
                    name: String::new(),
                    queues: Vec::new(),
                })
                .collect(),
            queues: Default::default(),
            shutdown_grace: Duration::from_secs(1),
            rng_seed: Some(7),
            sip_addr: ENGINE.parse().unwrap(),
        };
        let now = Instant::now();
        let clock = Arc::new(ManualClock::new(1_795_000_000_000));
        let core = CallControl::new(config, script, clock, now).unwrap();
        Sim {
            core,
            legs: FakeLegs::default(),
            now,
        }
    }

    fn drain(&mut self) -> Drained {
        let mut d = Drained::default();
        while let Some(out) = self.core.poll_output() {
            match out {
                Output::Transmit { to, bytes } => {
                    if let Some(status) = bytes
                        .strip_prefix(b"SIP/2.0 ")
                        .and_then(|rest| std::str::from_utf8(&rest[..3]).ok())
                        .and_then(|code| code.parse().ok())
                    {
                        d.raw_statuses.push(status);
                    }
                    if let Ok(msg) = sip_message::parse(&bytes) {
                        d.sip.push((to, msg));
                    }
                }
                Output::Media { leg, command } => d.media.push((leg, command)),
                Output::Cti(e) => d.cti.push(e),
            }
        }
        d
    }

    fn send(&mut self, from: &str, text: &str) -> Drained {
        self.core.handle_datagram(
            self.now,
            from.parse().unwrap(),
            text.as_bytes(),
            &mut self.legs,
        );
        self.drain()
    }

    fn send_msg(&mut self, from: &str, bytes: Vec<u8>) -> Drained {
        self.core
            .handle_datagram(self.now, from.parse().unwrap(), &bytes, &mut self.legs);
        self.drain()
    }

    fn media(&mut self, leg: LegId, event: MediaEvent) -> Drained {
        self.core
            .handle_media_event(self.now, leg, event, &mut self.legs);
        self.drain()
    }

    /// Advance simulated time by `by`, firing every deadline on the way.
    fn advance(&mut self, by: Duration) -> Drained {
        let end = self.now + by;
        let mut all = Drained::default();
        loop {
            let next = self.core.poll_timeout().filter(|t| *t <= end);
            let Some(t) = next else { break };
            self.now = t.max(self.now);
            self.core.handle_timeout(self.now, &mut self.legs);
            let d = self.drain();
            all.sip.extend(d.sip);
            all.raw_statuses.extend(d.raw_statuses);
            all.media.extend(d.media);
            all.cti.extend(d.cti);
        }
        self.now = end;
        all
    }

    /// REGISTER with digest authentication, as a phone does.
    fn register(&mut self, user: &str, phone: &str) -> Drained {
        let register = |cseq: u32, auth: Option<String>| {
            let mut s = format!(
                "REGISTER sip:centralino.local SIP/2.0\r\nVia: SIP/2.0/UDP {phone};branch=z9hG4bK-reg{user}{cseq}\r\n\
                 Max-Forwards: 70\r\nFrom: <sip:{user}@centralino.local>;tag=r{user}\r\nTo: <sip:{user}@centralino.local>\r\n\
                 Call-ID: reg-{user}\r\nCSeq: {cseq} REGISTER\r\nContact: <sip:{user}@{phone}>\r\nExpires: 3600\r\n"
            );
            if let Some(a) = auth {
                s.push_str(&format!("Authorization: {a}\r\n"));
            }
            s.push_str("Content-Length: 0\r\n\r\n");
            s
        };
        let d = self.send(phone, &register(1, None));
        assert_eq!(d.statuses(), [401]);
        let challenge = d.responses()[0]
            .headers
            .get("WWW-Authenticate")
            .unwrap()
            .to_string();
        let challenge = sip_transaction::digest::Challenge::parse(&challenge).unwrap();
        let creds = sip_transaction::digest::authorize(
            &challenge,
            user,
            &format!("demo{user}"),
            "REGISTER",
            "sip:centralino.local",
            "0a4f113b",
            1,
        );
        let d = self.send(phone, &register(2, Some(creds.to_header_value())));
        assert_eq!(d.statuses(), [200], "registration of {user} accepted");
        d
    }
}

fn invite(call_id: &str, caller: &str) -> String {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
               m=audio 30000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";
    format!(
        "INVITE sip:800123456@{ENGINE} SIP/2.0\r\nVia: SIP/2.0/UDP {CALLER};branch=z9hG4bK-{call_id};rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:{caller}@127.0.0.1>;tag=c-{call_id}\r\nTo: <sip:800123456@127.0.0.1>\r\n\
         Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContact: <sip:{caller}@{CALLER}>\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
}

/// The in-dialog request (ACK, BYE) the caller sends, built from the engine's 200 OK.
fn caller_request(method: &str, ok: &Response, cseq: u32) -> String {
    let from = ok.headers.get("From").unwrap();
    let to = ok.headers.get("To").unwrap();
    let call_id = ok.call_id().unwrap();
    format!(
        "{method} sip:{ENGINE} SIP/2.0\r\nVia: SIP/2.0/UDP {CALLER};branch=z9hG4bK-{method}{cseq}{call_id}\r\n\
         Max-Forwards: 70\r\nFrom: {from}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

/// The operator phone answers the engine's INVITE with 200 OK and an SDP answer.
fn answer(invite: &Request, rtp_port: u16) -> Vec<u8> {
    let sdp = format!(
        "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {rtp_port} RTP/AVP 0 101\r\n\
         a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
    );
    let mut ok = Response::for_request(invite, 200, "OK");
    let to = ok.headers.get("To").unwrap().to_string();
    ok.headers.set("To", format!("{to};tag=phone"));
    ok.headers
        .push("Contact", format!("<sip:1001@{PHONE_1001}>"));
    ok.headers.push("Content-Type", "application/sdp");
    ok.body = sdp.into_bytes();
    ok.to_bytes()
}

/// Walk the IVR: play prompts to their end and press keys when the menu listens.
fn finish_playback(sim: &mut Sim, d: &Drained) -> Drained {
    let (leg, _, _, token) = d.last_play().expect("something plays");
    sim.media(leg, MediaEvent::PlaybackFinished { token })
}

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
    assert_eq!(d.last_play().unwrap().1, ["welcome"]);
    sim.send(CALLER, &caller_request("ACK", &ok, 1));

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
        .cti
        .iter()
        .find_map(|e| match e {
            CtiEvent::CallOffered(o) => Some(o.clone()),
            _ => None,
        })
        .expect("screen pop sent when the call is offered");
    assert_eq!(pop.call_id, "sim-1");
    assert_eq!(pop.agent_id, "1001");
    assert_eq!(pop.queue, "personnel-info");
    assert_eq!(pop.caller.expose(), "3331234567");
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
    assert!(d.media.is_empty() && d.cti.is_empty());

    // Talk, then the caller hangs up: 200, BYE to the operator, call record.
    sim.advance(Duration::from_secs(30));
    let d = sim.send(CALLER, &caller_request("BYE", &ok, 2));
    assert_eq!(d.statuses(), [200]);
    let byes = d.requests(Method::Bye);
    assert_eq!(byes.len(), 1);
    assert_eq!(byes[0].0, PHONE_1001.parse().unwrap());
    let record = d
        .cti
        .iter()
        .find_map(|e| match e {
            CtiEvent::CallEnded(r) => Some(r.clone()),
            _ => None,
        })
        .expect("call record at the end");
    assert_eq!(record.outcome, CallOutcome::Answered);
    assert_eq!(record.agent_id.as_deref(), Some("1001"));
    assert_eq!(record.queue.as_deref(), Some("personnel-info"));
    assert_eq!(record.talk_ms, 30_000);
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
    let CtiEvent::CallEnded(record) = &d.cti[0] else {
        panic!("call record expected")
    };
    assert_eq!(record.outcome, CallOutcome::ReleasedByIvr);
}

/// Queue a call through the IVR (key 2: technology) and return what the last step emitted.
fn queue_call(sim: &mut Sim, call_id: &str, caller: &str) -> Drained {
    let d = sim.send(CALLER, &invite(call_id, caller));
    let leg = *sim.legs.opened.last().unwrap();
    let ok = d.responses()[1].clone();
    sim.send(CALLER, &caller_request("ACK", &ok, 1));
    finish_playback(sim, &d);
    let d = sim.media(leg, MediaEvent::Digit('2'));
    finish_playback(sim, &d)
}

fn offered_caller(d: &Drained, phone: &str) -> Option<String> {
    d.requests(Method::Invite)
        .into_iter()
        .find(|(to, _)| *to == phone.parse::<SocketAddr>().unwrap())
        .map(|(_, r)| r.from_hdr().unwrap().display_name.unwrap_or_default())
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
        Some("3330000100"),
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
        Some("3330000001"),
        "first come, first served"
    );
    sim.advance(Duration::from_millis(10));
    let d = sim.register("1001", PHONE_1001);
    assert_eq!(
        offered_caller(&d, PHONE_1001).as_deref(),
        Some("3330000002")
    );
}

#[test]
fn caller_hanging_up_in_queue_is_an_abandoned_call_with_a_record() {
    let mut sim = Sim::new(&[]);
    let d = sim.send(CALLER, &invite("sim-4", "3330000004"));
    let ok = d.responses()[1].clone();
    sim.send(CALLER, &caller_request("ACK", &ok, 1));
    let leg = sim.legs.opened[0];
    finish_playback(&mut sim, &d);
    let d = sim.media(leg, MediaEvent::Digit('3'));
    finish_playback(&mut sim, &d);
    sim.advance(Duration::from_secs(40));
    let d = sim.send(CALLER, &caller_request("BYE", &ok, 2));
    assert_eq!(d.statuses(), [200]);
    let CtiEvent::CallEnded(record) = &d.cti[0] else {
        panic!("call record expected")
    };
    assert_eq!(record.outcome, CallOutcome::AbandonedInQueue);
    assert_eq!(record.queue.as_deref(), Some("applications"));
    assert!(record.waited_ms >= 40_000);
}

#[test]
fn cancel_while_ringing_gets_487_and_a_cancelled_record() {
    // Ring for a while before the IVR answers.
    let mut sim = Sim::new(&[]);
    sim.core = {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let text = std::fs::read_to_string(root.join("ivr-scripts/toll-free.ivr")).unwrap();
        let script = Arc::new(ivr::Script::parse("toll-free.ivr", &text).unwrap());
        let config = EngineConfig {
            domain: "centralino.local".into(),
            media_ip: "127.0.0.1".parse().unwrap(),
            answer_delay: Duration::from_secs(3),
            hours_override: Some(true),
            utc_offset_minutes: 60,
            registration_means_ready: true,
            agents: Vec::new(),
            queues: Default::default(),
            shutdown_grace: Duration::from_secs(1),
            rng_seed: Some(9),
            sip_addr: ENGINE.parse().unwrap(),
        };
        CallControl::new(config, script, Arc::new(ManualClock::new(0)), sim.now).unwrap()
    };
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
    let CtiEvent::CallEnded(record) = &d.cti[0] else {
        panic!("call record expected")
    };
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
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/test-vectors/rfc4475");
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
fn a_waiting_caller_hears_position_then_hold_music_again() {
    let mut sim = Sim::new(&[]);
    queue_call(&mut sim, "waiting-1", "3330000201");
    queue_call(&mut sim, "waiting-2", "3330000202");
    let second_leg = sim.legs.opened[1];
    // The default announcement interval is 30 s.
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
        .expect("the second caller hears an announcement");
    assert_eq!(
        announcement.0,
        ["queue_position", "digit_2"],
        "second in line"
    );
    assert_eq!(
        announcement.1.as_deref(),
        Some("hold_music"),
        "then the music again"
    );
}
