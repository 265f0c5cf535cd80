//! The real peers of the scenarios: a second str0m instance acting as the browser (offer side,
//! full ICE, Opus listed first like Chromium, telephone-event at payload type 126 like
//! Chromium), and a driver that runs it and our leg over real UDP sockets on 127.0.0.1.

#![allow(dead_code)] // each scenario file uses part of it

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::format::{Codec as RtcCodec, FormatParams};
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid, TelephoneEvent};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc, RtcConfig};
use tokio::net::UdpSocket;
use webrtc_leg::WebRtcLeg;

/// What the browser received on its audio m-line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub codec: RtcCodec,
    pub time: u64,
    pub payload: Vec<u8>,
}

/// The browser: str0m as the offering peer.
pub struct Browser {
    pub rtc: Rtc,
    pub addr: SocketAddr,
    pub mid: Option<Mid>,
    pub connected: bool,
    pub closed: bool,
    pub timeout: Instant,
    pub transmits: Vec<(SocketAddr, Vec<u8>)>,
    pub audio: Vec<Received>,
}

impl Browser {
    /// A browser offering Opus first, then the G.711 codecs given, and telephone-event.
    pub fn new(now: Instant, addr: SocketAddr, g711: &[RtcCodec], video: bool) -> Self {
        let mut config = RtcConfig::new().clear_codecs().enable_opus(true, false);
        for codec in g711 {
            config = match codec {
                RtcCodec::PCMU => config.enable_pcmu(true, false),
                RtcCodec::PCMA => config.enable_pcma(true, false),
                other => panic!("not G.711: {other:?}"),
            };
        }
        if video {
            config = config.enable_vp8(true);
        }
        config.codec_config().add_config(
            126.into(),
            None,
            RtcCodec::Tele,
            Frequency::EIGHT_KHZ,
            None,
            FormatParams::default(),
        );
        let mut rtc = config.build(now);
        rtc.add_local_candidate(
            Candidate::host(addr, "udp").expect("loopback is a host candidate"),
        );
        let mut browser = Browser {
            rtc,
            addr,
            mid: None,
            connected: false,
            closed: false,
            timeout: now,
            transmits: Vec::new(),
            audio: Vec::new(),
        };
        browser.drain();
        browser
    }

    /// The offer of `getUserMedia` audio (and a camera if `video`).
    pub fn offer(&mut self, video: bool) -> (String, SdpPendingOffer) {
        self.offer_with(video, false)
    }

    /// The offer of `getUserMedia` audio, a camera if `video`, a data channel if `channel`.
    pub fn offer_with(&mut self, video: bool, channel: bool) -> (String, SdpPendingOffer) {
        let mut change = self.rtc.sdp_api();
        let mid = change.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
        if video {
            change.add_media(MediaKind::Video, Direction::SendRecv, None, None, None);
        }
        if channel {
            change.add_channel("desk".to_string());
        }
        let (offer, pending) = change.apply().expect("a change was made");
        self.mid = Some(mid);
        self.drain();
        (offer.to_sdp_string(), pending)
    }

    pub fn accept_answer(&mut self, pending: SdpPendingOffer, answer: &str) {
        let answer = SdpAnswer::from_sdp_string(answer).expect("our leg answers valid SDP");
        self.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .expect("the browser accepts our answer");
        self.drain();
    }

    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        let Ok(contents) = bytes.try_into() else {
            return;
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source: from,
                destination: self.addr,
                contents,
            },
        );
        self.rtc
            .handle_input(input)
            .expect("the browser handles what our leg sends");
        self.drain();
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if self.rtc.is_alive() {
            self.rtc
                .handle_input(Input::Timeout(now))
                .expect("timeouts are fine");
            self.drain();
        }
    }

    fn audio_pt(&mut self, codec: RtcCodec) -> str0m::media::Pt {
        let mid = self.mid.expect("offered");
        let writer = self.rtc.writer(mid).expect("audio m-line");
        writer
            .payload_params()
            .find(|p| p.spec().codec == codec)
            .map(|p| p.pt())
            .unwrap_or_else(|| panic!("{codec:?} was negotiated"))
    }

    /// Sends one audio frame, as the browser's audio track would every 20 ms.
    pub fn send_audio(&mut self, now: Instant, codec: RtcCodec, time: u64, payload: &[u8]) {
        let pt = self.audio_pt(codec);
        let writer = self
            .rtc
            .writer(self.mid.expect("offered"))
            .expect("audio m-line");
        writer
            .write(
                pt,
                now,
                MediaTime::new(time, Frequency::EIGHT_KHZ),
                payload.to_vec(),
            )
            .expect("the browser writes audio");
        self.drain();
    }

    /// Presses a key (RTCDTMFSender.insertDTMF): the whole RFC 4733 event of `duration`,
    /// starting at media time `time`. The packets go out on their deadlines as the browser
    /// keeps writing (empty) audio.
    pub fn press(
        &mut self,
        now: Instant,
        codec: RtcCodec,
        event: u8,
        time: u64,
        duration: Duration,
    ) {
        let pt = self.audio_pt(codec);
        let writer = self
            .rtc
            .writer(self.mid.expect("offered"))
            .expect("audio m-line");
        writer
            .telephone_event(TelephoneEvent {
                event,
                end: true,
                volume: 10,
                duration,
            })
            .write(
                pt,
                now,
                MediaTime::new(time, Frequency::EIGHT_KHZ),
                Vec::new(),
            )
            .expect("the browser writes the key");
        self.drain();
    }

    /// Hangs up: RTCP BYE and DTLS close_notify (RTCPeerConnection.close()).
    pub fn close(&mut self) {
        self.rtc.close().expect("the browser closes");
        self.drain();
    }

    fn drain(&mut self) {
        loop {
            match self.rtc.poll_output().expect("the browser's str0m works") {
                Output::Timeout(at) => {
                    self.timeout = at;
                    break;
                }
                Output::Transmit(t) => self.transmits.push((t.destination, t.contents.into())),
                Output::Event(Event::Connected) => self.connected = true,
                Output::Event(Event::Closed) => self.closed = true,
                Output::Event(Event::MediaData(data)) if !data.data.is_empty() => {
                    self.audio.push(Received {
                        codec: data.params.spec().codec,
                        time: data.time.numer(),
                        payload: data.data.to_vec(),
                    })
                }
                Output::Event(_) => {}
            }
        }
    }
}

/// Our leg and the browser, each on its own UDP socket on 127.0.0.1.
pub struct Call {
    pub leg: WebRtcLeg,
    pub leg_socket: UdpSocket,
    pub browser: Browser,
    pub browser_socket: UdpSocket,
    /// What the leg reported, except datagrams to send (which the driver sent).
    pub leg_outputs: Vec<webrtc_leg::Output>,
    /// Datagrams the leg refused, with the reason.
    pub leg_errors: Vec<String>,
}

impl Call {
    /// Binds both sockets and builds both peers; no signalling yet.
    pub async fn new(g711_offered: &[RtcCodec], video: bool) -> Self {
        let leg_socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind the leg");
        let browser_socket = UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind the browser");
        let now = Instant::now();
        let leg = WebRtcLeg::new(
            now,
            leg_socket.local_addr().expect("bound"),
            &media::Codec::ALL,
        )
        .expect("a leg on loopback");
        let browser = Browser::new(
            now,
            browser_socket.local_addr().expect("bound"),
            g711_offered,
            video,
        );
        Call {
            leg,
            leg_socket,
            browser,
            browser_socket,
            leg_outputs: Vec::new(),
            leg_errors: Vec::new(),
        }
    }

    /// Offer, answer and ICE + DTLS until both sides are connected (at most 10 s).
    pub async fn connect(&mut self) {
        let (offer, pending) = self.browser.offer(false);
        let answer = self
            .leg
            .accept_offer(&offer)
            .expect("the leg answers a browser's audio offer");
        self.browser.accept_answer(pending, &answer);
        let give_up = Instant::now() + Duration::from_secs(10);
        while !(self.browser.connected && self.leg_connected()) {
            assert!(
                Instant::now() < give_up,
                "ICE and DTLS did not complete in 10 s"
            );
            self.run_for(Duration::from_millis(10)).await;
        }
    }

    pub fn leg_connected(&self) -> bool {
        self.leg_outputs.contains(&webrtc_leg::Output::Connected)
    }

    /// Carries datagrams and timeouts between the two peers for `duration` of real time.
    pub async fn run_for(&mut self, duration: Duration) {
        self.run_until(Instant::now() + duration).await
    }

    pub async fn run_until(&mut self, until: Instant) {
        let mut leg_buf = vec![0u8; 2048];
        let mut browser_buf = vec![0u8; 2048];
        loop {
            self.flush().await;
            if Instant::now() >= until {
                return;
            }
            let next = [
                Some(until),
                self.leg.poll_timeout(),
                Some(self.browser.timeout),
            ]
            .into_iter()
            .flatten()
            .min()
            .expect("until is always there");
            tokio::select! {
                received = self.leg_socket.recv_from(&mut leg_buf) => {
                    let (n, from) = received.expect("the leg's socket works");
                    // A driver ends the leg's task once it reported `Closed`; late datagrams
                    // (the rest of the browser's close) go nowhere.
                    if self.leg_outputs.contains(&webrtc_leg::Output::Closed) {
                        continue;
                    }
                    if let Err(e) = self.leg.handle_datagram(Instant::now(), from, &leg_buf[..n]) {
                        self.leg_errors.push(e.to_string());
                    }
                }
                received = self.browser_socket.recv_from(&mut browser_buf) => {
                    let (n, from) = received.expect("the browser's socket works");
                    self.browser.handle_datagram(Instant::now(), from, &browser_buf[..n]);
                }
                _ = tokio::time::sleep_until(next.into()) => {
                    let now = Instant::now();
                    if self.leg.poll_timeout().is_some_and(|t| t <= now) {
                        self.leg.handle_timeout(now).expect("the leg's timers run");
                    }
                    if self.browser.timeout <= now {
                        self.browser.handle_timeout(now);
                    }
                }
            }
        }
    }

    /// Sends what both peers queued, and keeps what the leg reported.
    async fn flush(&mut self) {
        while let Some(output) = self.leg.poll_output() {
            match output {
                webrtc_leg::Output::Transmit { to, bytes } => {
                    self.leg_socket
                        .send_to(&bytes, to)
                        .await
                        .expect("loopback send");
                }
                other => self.leg_outputs.push(other),
            }
        }
        for (to, bytes) in std::mem::take(&mut self.browser.transmits) {
            self.browser_socket
                .send_to(&bytes, to)
                .await
                .expect("loopback send");
        }
    }

    /// The audio payloads the leg has output so far, with their codec and RTP timestamp.
    pub fn leg_audio(&self) -> Vec<(media::Codec, u32, Vec<u8>)> {
        self.leg_outputs
            .iter()
            .filter_map(|o| match o {
                webrtc_leg::Output::Audio {
                    codec,
                    timestamp,
                    payload,
                } => Some((*codec, *timestamp, payload.to_vec())),
                _ => None,
            })
            .collect()
    }

    pub fn leg_keys(&self) -> String {
        self.leg_outputs
            .iter()
            .filter_map(|o| match o {
                webrtc_leg::Output::Dtmf(key) => Some(*key),
                _ => None,
            })
            .collect()
    }
}

/// `seconds` of a sine tone at `hz`, encoded with `codec`, in 20 ms frames of 160 bytes.
pub fn tone_frames(codec: media::Codec, hz: f64, seconds: usize) -> Vec<Vec<u8>> {
    let samples: Vec<i16> = (0..8000 * seconds)
        .map(|n| {
            let t = n as f64 / 8000.0;
            (8000.0 * (2.0 * std::f64::consts::PI * hz * t).sin()) as i16
        })
        .collect();
    codec
        .encode(&samples)
        .chunks(160)
        .map(<[u8]>::to_vec)
        .collect()
}

/// Our leg and the browser joined by an in-memory link in simulated time: datagrams cross
/// at once while the link is up and are lost while it is down, and time jumps from deadline to
/// deadline, so minutes of ICE timers take milliseconds.
pub struct SimulatedCall {
    pub leg: WebRtcLeg,
    pub leg_addr: SocketAddr,
    pub browser: Browser,
    pub now: Instant,
    pub link_up: bool,
    pub leg_outputs: Vec<webrtc_leg::Output>,
}

impl SimulatedCall {
    pub fn new(g711_offered: &[RtcCodec]) -> Self {
        let now = Instant::now();
        let leg_addr = SocketAddr::from(([127, 0, 0, 1], 40_100));
        let leg = WebRtcLeg::new(now, leg_addr, &media::Codec::ALL).expect("a leg");
        let browser_addr = SocketAddr::from(([127, 0, 0, 1], 50_100));
        let browser = Browser::new(now, browser_addr, g711_offered, false);
        SimulatedCall {
            leg,
            leg_addr,
            browser,
            now,
            link_up: true,
            leg_outputs: Vec::new(),
        }
    }

    pub fn connect(&mut self) {
        let (offer, pending) = self.browser.offer(false);
        let answer = self.leg.accept_offer(&offer).expect("answered");
        self.browser.accept_answer(pending, &answer);
        self.run_for(Duration::from_secs(5));
        assert!(self.browser.connected, "the browser connected");
        assert!(self.leg.is_connected(), "the leg connected");
    }

    /// Runs both peers for `duration` of simulated time.
    pub fn run_for(&mut self, duration: Duration) {
        let until = self.now + duration;
        loop {
            self.deliver();
            let next = [self.leg.poll_timeout(), Some(self.browser.timeout)]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(until)
                .max(self.now);
            if next > until {
                self.now = until;
                return;
            }
            self.now = next;
            if self.leg.poll_timeout().is_some_and(|t| t <= self.now) {
                self.leg
                    .handle_timeout(self.now)
                    .expect("the leg's timers run");
            }
            if self.browser.timeout <= self.now {
                self.browser.handle_timeout(self.now);
            }
        }
    }

    /// Carries every queued datagram across the link (or loses it) until none is left.
    fn deliver(&mut self) {
        loop {
            let mut moved = false;
            while let Some(output) = self.leg.poll_output() {
                match output {
                    webrtc_leg::Output::Transmit { bytes, .. } => {
                        moved = true;
                        if self.link_up {
                            self.browser
                                .handle_datagram(self.now, self.leg_addr, &bytes);
                        }
                    }
                    other => self.leg_outputs.push(other),
                }
            }
            for (_, bytes) in std::mem::take(&mut self.browser.transmits) {
                moved = true;
                if self.link_up {
                    // Whatever the leg refuses here is a test failure: it is the browser's own.
                    self.leg
                        .handle_datagram(self.now, self.browser.addr, &bytes)
                        .expect("the leg takes the browser's datagrams");
                }
            }
            if !moved {
                return;
            }
        }
    }
}
