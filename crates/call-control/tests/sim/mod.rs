//! The simulated world of the call-control tests: a virtual clock, a caller and operator
//! phones played by hand-written SIP messages, and media legs that open at once (or fail when
//! told to).
#![allow(dead_code)] // each test file uses its own part of the harness

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use call_control::events::{CallFact, LegId, LegOpened, MediaCommand, MediaEvent};
use call_control::{AgentConfig, CallControl, EngineConfig, Output};
use common::ManualClock;
use sip_message::{Message, Method, Request, Response, SipHeaders};

pub const ENGINE: &str = "127.0.0.1:5060";
pub const CALLER: &str = "127.0.0.1:7000";
pub const PHONE_1001: &str = "127.0.0.1:7100";
pub const PHONE_1002: &str = "127.0.0.1:7200";

/// Hands out fake RTP addresses and remembers which legs were opened.
#[derive(Default)]
pub struct FakeLegs {
    pub opened: Vec<LegId>,
    /// The next open fails (no RTP port).
    pub fail_next: bool,
}

impl FakeLegs {
    pub fn open(&mut self, leg: LegId) -> LegOpened {
        if std::mem::take(&mut self.fail_next) {
            return LegOpened::Failed("no port (test)".into());
        }
        self.opened.push(leg);
        LegOpened::Bound(SocketAddr::from((
            [127, 0, 0, 1],
            40_000 + leg.0 as u16 * 2,
        )))
    }
}

#[derive(Default, Debug)]
pub struct Drained {
    pub sip: Vec<(SocketAddr, Message)>,
    /// Status codes of every response sent, including replies to broken requests that echo
    /// the broken header and so do not parse themselves.
    pub raw_statuses: Vec<u16>,
    pub media: Vec<(LegId, MediaCommand)>,
    pub facts: Vec<CallFact>,
    /// ACD journal entries with their wall times.
    pub journal: Vec<(call_control::acd::JournalEntry, i64)>,
    pub registrations: Vec<(String, Vec<call_control::StoredBinding>)>,
    /// Caller look-ups asked for: the id to answer, the number and the PIN.
    pub lookups: Vec<(call_control::LookupId, Option<String>, Option<String>)>,
}

impl Drained {
    pub fn requests(&self, method: Method) -> Vec<(SocketAddr, Request)> {
        self.sip
            .iter()
            .filter_map(|(to, m)| match m {
                Message::Request(r) if r.method == method => Some((*to, r.clone())),
                _ => None,
            })
            .collect()
    }
    pub fn responses(&self) -> Vec<Response> {
        self.sip
            .iter()
            .filter_map(|(_, m)| match m {
                Message::Response(r) => Some(r.clone()),
                _ => None,
            })
            .collect()
    }
    pub fn statuses(&self) -> Vec<u16> {
        self.raw_statuses.clone()
    }
    pub fn record(&self) -> Option<call_control::CallRecord> {
        self.facts.iter().find_map(|f| match f {
            CallFact::Ended(r) => Some(r.clone()),
            _ => None,
        })
    }
    /// The last Play command's prompts and token.
    pub fn last_play(&self) -> Option<(LegId, Vec<String>, Option<String>, u64)> {
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

/// The shipped toll-free IVR script.
pub fn script() -> Arc<ivr::Script> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(root.join("ivr-scripts/toll-free.ivr")).unwrap();
    Arc::new(ivr::Script::parse("toll-free.ivr", &text).unwrap())
}

/// The test configuration: answer at once, always open, the given operators (password
/// `demo<id>`, every queue).
pub fn config(agents: &[&str]) -> EngineConfig {
    EngineConfig {
        domain: "centralino.local".into(),
        media_ip: "127.0.0.1".parse().unwrap(),
        answer_delay: Duration::ZERO,
        hours_override: Some(true),
        utc_offset_minutes: 60,
        daylight_saving: ivr::DaylightSaving::EuropeanUnion,
        digest_algorithms: Vec::new(),
        registration_means_ready: true,
        agents: agents
            .iter()
            .map(|id| AgentConfig {
                id: id.to_string(),
                password: format!("demo{id}"),
                name: String::new(),
                queues: Vec::new(),
                skill: 50,
            })
            .collect(),
        numbering_plan: common::phone::NumberingPlan::italy(),
        queues: Default::default(),
        acd: Default::default(),
        shutdown_grace: Duration::from_secs(1),
        node: "sim".into(),
        call_id_epoch: None,
        rng_seed: Some(7),
        sip_addr: ENGINE.parse().unwrap(),
        desk_url: Some("https://crm.example.org".into()),
        limits: Default::default(),
        rtp_ports: None,
    }
}

pub struct Sim {
    pub core: CallControl,
    pub legs: FakeLegs,
    pub now: Instant,
    /// Answer every caller look-up at once with "nobody", as a driver without a customer
    /// directory does (the default); `false` leaves them to the test.
    pub answer_lookups: bool,
}

impl Sim {
    pub fn new(agents: &[&str]) -> Sim {
        Sim::with(config(agents))
    }

    pub fn with(config: EngineConfig) -> Sim {
        Sim::with_script(config, script())
    }

    /// A world whose IVR runs `script` instead of the shipped one.
    pub fn with_script(config: EngineConfig, script: Arc<ivr::Script>) -> Sim {
        let now = Instant::now();
        let clock = Arc::new(ManualClock::new(1_795_000_000_000));
        let core = CallControl::new(config, script, clock, now).unwrap();
        Sim {
            core,
            legs: FakeLegs::default(),
            now,
            answer_lookups: true,
        }
    }

    pub fn drain(&mut self) -> Drained {
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
                Output::OpenLeg { leg } => {
                    let result = self.legs.open(leg);
                    self.core.handle_leg_opened(self.now, leg, result);
                }
                Output::Media { leg, command } => d.media.push((leg, command)),
                Output::Fact(f) => d.facts.push(*f),
                Output::AcdJournal { entry, at_unix_ms } => d.journal.push((entry, at_unix_ms)),
                Output::Registrations { aor, bindings } => d.registrations.push((aor, bindings)),
                Output::IdentifyCaller {
                    lookup,
                    number,
                    pin,
                } => {
                    d.lookups
                        .push((lookup, number, pin.map(common::Pii::into_inner)));
                    if self.answer_lookups {
                        self.core.handle_identified(self.now, lookup, None);
                    }
                }
            }
        }
        d
    }

    pub fn send(&mut self, from: &str, text: &str) -> Drained {
        self.core
            .handle_datagram(self.now, from.parse().unwrap(), text.as_bytes());
        self.drain()
    }

    pub fn send_msg(&mut self, from: &str, bytes: Vec<u8>) -> Drained {
        self.core
            .handle_datagram(self.now, from.parse().unwrap(), &bytes);
        self.drain()
    }

    pub fn identified(
        &mut self,
        lookup: call_control::LookupId,
        customer: Option<(&str, &str)>,
    ) -> Drained {
        let customer = customer.map(|(id, name)| ivr::Customer {
            id: id.into(),
            display_name: common::Pii::new(name.into()),
        });
        self.core.handle_identified(self.now, lookup, customer);
        self.drain()
    }

    pub fn media(&mut self, leg: LegId, event: MediaEvent) -> Drained {
        self.core.handle_media_event(self.now, leg, event);
        self.drain()
    }

    /// Advance simulated time by `by`, firing every deadline on the way.
    pub fn advance(&mut self, by: Duration) -> Drained {
        let end = self.now + by;
        let mut all = Drained::default();
        loop {
            let next = self.core.poll_timeout().filter(|t| *t <= end);
            let Some(t) = next else { break };
            self.now = t.max(self.now);
            self.core.handle_timeout(self.now);
            let d = self.drain();
            all.sip.extend(d.sip);
            all.raw_statuses.extend(d.raw_statuses);
            all.media.extend(d.media);
            all.facts.extend(d.facts);
            all.journal.extend(d.journal);
            all.registrations.extend(d.registrations);
            all.lookups.extend(d.lookups);
        }
        self.now = end;
        all
    }

    /// REGISTER with digest authentication, as a phone does.
    pub fn register(&mut self, user: &str, phone: &str) -> Drained {
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

pub fn invite(call_id: &str, caller: &str) -> String {
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
pub fn caller_request(method: &str, ok: &Response, cseq: u32) -> String {
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
pub fn answer(invite: &Request, rtp_port: u16) -> Vec<u8> {
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
pub fn finish_playback(sim: &mut Sim, d: &Drained) -> Drained {
    let (leg, _, _, token) = d.last_play().expect("something plays");
    sim.media(leg, MediaEvent::PlaybackFinished { token })
}

/// Queue a call through the IVR (key 2: technology) and return what the last step emitted.
pub fn queue_call(sim: &mut Sim, call_id: &str, caller: &str) -> Drained {
    let d = sim.send(CALLER, &invite(call_id, caller));
    let leg = *sim.legs.opened.last().unwrap();
    let ok = d.responses()[1].clone();
    let d = sim.send(CALLER, &caller_request("ACK", &ok, 1));
    finish_playback(sim, &d);
    let d = sim.media(leg, MediaEvent::Digit('2'));
    finish_playback(sim, &d)
}

/// The caller's number on the INVITE offered to `phone` (the From URI's user part).
pub fn offered_caller(d: &Drained, phone: &str) -> Option<String> {
    offered_invite(d, phone).map(|r| match r.from_hdr().unwrap().uri {
        sip_message::Uri::Sip(u) => u.user.unwrap_or_default(),
        other => panic!("From is not a SIP URI: {other:?}"),
    })
}

/// The INVITE offered to `phone`, if any.
pub fn offered_invite(d: &Drained, phone: &str) -> Option<Request> {
    d.requests(Method::Invite)
        .into_iter()
        .find(|(to, _)| *to == phone.parse::<SocketAddr>().unwrap())
        .map(|(_, r)| r)
}
