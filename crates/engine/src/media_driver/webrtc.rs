//! A browser softphone's media leg: one task around `webrtc_leg::WebRtcLeg` on its own UDP
//! socket. It lives as long as the operator's softphone session, across calls: a call bridges
//! the caller's RTP leg to it (`MediaCommand::Bridge`), and its end closes the caller's leg,
//! which ends the relay. RTP from the caller arrives through a channel and goes out as SRTP
//! (`send_audio`, refused by the leg before ICE and DTLS are up: nothing goes to an unproven
//! address); the browser's audio is re-packetised into RTP towards the caller with our own
//! SSRC and sequence numbers, in the caller's negotiated G.711 law (converted when the
//! browser uses the other one: both are 8 kHz, sample for sample). Keys pressed on the page
//! go to the caller as RFC 4733 events in the same stream.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use media::Codec;
use media::rtp::RtpSender;
use rand::SeedableRng;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tracing::{debug, info};
use webrtc_leg::{Output, WebRtcLeg};

use call_control::events::{LegId, MediaCommand, MediaEvent};

use super::{LegShared, MediaManager};

/// How long a session may take to connect (ICE and DTLS) after the answer before it is freed
/// (the default of [`MediaManager::with_softphone_connect_timeout`]).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a key pressed on the page lasts towards the caller.
const KEY_LENGTH: Duration = Duration::from_millis(100);

/// Caller RTP packets waiting for the browser's task at most (past it: dropped).
const INBOUND_QUEUE: usize = 64;

impl MediaManager {
    /// Frees a softphone session that has not connected `timeout` after its answer (default
    /// [`CONNECT_TIMEOUT`]).
    pub fn with_softphone_connect_timeout(mut self, timeout: Duration) -> Self {
        self.softphone_connect_timeout = timeout;
        self
    }

    /// Opens a browser softphone's leg for `leg`: binds its UDP socket, answers the page's SDP
    /// `offer` (ICE-lite on the socket's address, DTLS-SRTP, PCMU/PCMA and telephone-event)
    /// and starts its task. Returns the SDP answer, or why the offer is refused.
    pub fn open_webrtc(&mut self, leg: LegId, offer: &str) -> Result<String, String> {
        let std_socket = self.bind()?;
        std_socket
            .set_nonblocking(true)
            .map_err(|e| format!("cannot make the softphone socket non-blocking: {e}"))?;
        let local = std_socket.local_addr().map_err(|e| e.to_string())?;
        let now = Instant::now();
        let mut rtc = WebRtcLeg::new(now, local, &[Codec::Pcmu, Codec::Pcma])
            .map_err(|e| format!("cannot open the softphone leg: {e}"))?;
        let answer = rtc.accept_offer(offer).map_err(|e| e.to_string())?;
        let socket = Arc::new(UdpSocket::from_std(std_socket).map_err(|e| e.to_string())?);
        let (inbound_tx, inbound) = mpsc::channel(INBOUND_QUEUE);
        let shared = Arc::new(LegShared {
            socket: socket.clone(),
            remote: Mutex::new(None),
            webrtc: Some(inbound_tx),
            negotiated: Mutex::new(None),
        });
        self.shared.insert(leg, shared);
        let (tx, rx) = mpsc::unbounded_channel();
        self.commands.insert(leg, tx);
        let task = WebRtcTask {
            leg,
            connect_timeout: self.softphone_connect_timeout,
            rtc,
            socket,
            table: self.shared.clone(),
            events: self.events.clone(),
            sender: RtpSender::new(&mut rand_chacha::ChaCha8Rng::seed_from_u64(
                rand::Rng::random(&mut self.rng),
            )),
            peer: None,
            caller_codec: None,
            last_timestamp: None,
        };
        tokio::spawn(task.run(rx, inbound));
        info!(%leg, %local, "softphone leg answering the page's offer");
        Ok(answer)
    }
}

struct WebRtcTask {
    leg: LegId,
    connect_timeout: Duration,
    rtc: WebRtcLeg,
    socket: Arc<UdpSocket>,
    table: Arc<DashMap<LegId, Arc<LegShared>>>,
    events: mpsc::UnboundedSender<(LegId, MediaEvent)>,
    /// Our RTP stream towards the caller.
    sender: RtpSender,
    /// The caller's leg while a call is bridged.
    peer: Option<LegId>,
    /// The caller's G.711 law, from their packets.
    caller_codec: Option<Codec>,
    /// The RTP timestamp of the last audio sent to the caller.
    last_timestamp: Option<u32>,
}

impl WebRtcTask {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<MediaCommand>,
        mut inbound: mpsc::Receiver<Vec<u8>>,
    ) {
        let connect_by = tokio::time::Instant::now() + self.connect_timeout;
        let mut ever_connected = false;
        let mut buf = vec![0u8; 2048];
        let mut closing = false;
        loop {
            if self.flush(&mut ever_connected, &mut closing).await {
                break;
            }
            let wake = self
                .rtc
                .poll_timeout()
                .map(tokio::time::Instant::from_std)
                .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(1));
            tokio::select! {
                command = commands.recv() => match command {
                    None | Some(MediaCommand::Close) => {
                        if closing {
                            break;
                        }
                        closing = true;
                        let _ = self.rtc.close();
                    }
                    Some(MediaCommand::Bridge { peer }) => {
                        self.peer = Some(peer);
                        self.caller_codec = None;
                    }
                    Some(_) => {} // no playback or configuration on a softphone leg
                },
                received = self.socket.recv_from(&mut buf) => {
                    let Ok((n, from)) = received else { continue };
                    // Stray or forged datagrams are refused by the leg; the call goes on.
                    if let Err(e) = self.rtc.handle_datagram(Instant::now(), from, &buf[..n]) {
                        debug!(leg = %self.leg, error = %e, "softphone datagram refused");
                    }
                }
                Some(packet) = inbound.recv() => self.relay_to_browser(&packet),
                () = tokio::time::sleep_until(wake) => {
                    let _ = self.rtc.handle_timeout(Instant::now());
                }
                () = tokio::time::sleep_until(connect_by), if !ever_connected && !closing => {
                    info!(leg = %self.leg, "softphone never connected: session freed");
                    closing = true;
                    let _ = self.rtc.close();
                }
            }
        }
        let _ = self.events.send((self.leg, MediaEvent::Closed));
        self.table.remove(&self.leg);
        debug!(leg = %self.leg, "softphone leg closed");
    }

    /// Carries out the leg's outputs; `true` once it is closed.
    async fn flush(&mut self, ever_connected: &mut bool, closing: &mut bool) -> bool {
        while let Some(output) = self.rtc.poll_output() {
            match output {
                Output::Transmit { to, bytes } => {
                    let _ = self.socket.send_to(&bytes, to).await;
                }
                Output::Audio {
                    codec,
                    timestamp,
                    payload,
                } => self.relay_to_caller(codec, timestamp, &payload).await,
                Output::Dtmf(key) => {
                    let _ = self.events.send((self.leg, MediaEvent::Digit(key)));
                    self.key_to_caller(key);
                }
                Output::Connected => {
                    *ever_connected = true;
                    info!(leg = %self.leg, "softphone connected");
                    let _ = self.events.send((self.leg, MediaEvent::Connected));
                }
                Output::Disconnected => {
                    // The browser stopped answering consent checks: the session is over (a
                    // page that comes back sends a new offer).
                    info!(leg = %self.leg, "softphone stopped answering: session freed");
                    if !*closing {
                        *closing = true;
                        let _ = self.rtc.close();
                    }
                }
                Output::Closed => return true,
                _ => {}
            }
        }
        false
    }

    /// A caller RTP packet relayed into this leg: to the browser, in a codec it accepted.
    fn relay_to_browser(&mut self, packet: &[u8]) {
        let Ok(view) = media::rtp::parse(packet) else {
            return;
        };
        let Some(codec) = Codec::from_payload_type(view.payload_type()) else {
            return; // telephone-event and others: not relayed
        };
        self.caller_codec = Some(codec);
        let negotiated = self.rtc.negotiated_codecs();
        let now = Instant::now();
        let _ = if negotiated.contains(&codec) {
            self.rtc
                .send_audio(now, codec, view.timestamp(), view.payload())
        } else if let Some(&other) = negotiated.first() {
            let converted = other.encode(&codec.decode(view.payload()));
            self.rtc
                .send_audio(now, other, view.timestamp(), &converted)
        } else {
            return;
        };
    }

    /// A key pressed on the page: to the bridged caller as RFC 4733 events in the caller's
    /// negotiated telephone-event payload type (none negotiated: not sent), in our RTP stream
    /// just after the last audio, paced as RFC 4733 says (a task of its own, not to hold the
    /// audio up).
    fn key_to_caller(&mut self, key: char) {
        let Some(shared) = self
            .peer
            .and_then(|p| self.table.get(&p).map(|s| s.clone()))
        else {
            return;
        };
        let (Some((_, Some(payload_type))), Some(to)) = (shared.negotiated(), shared.remote())
        else {
            return;
        };
        if let Some(last) = self.last_timestamp {
            self.sender.timestamp = last.wrapping_add(160);
        }
        let Ok(packets) =
            media::dtmf::DtmfSender::new(payload_type).packets(&mut self.sender, key, KEY_LENGTH)
        else {
            return;
        };
        tokio::spawn(async move {
            let start = tokio::time::Instant::now();
            for scheduled in packets {
                tokio::time::sleep_until(start + scheduled.offset).await;
                let _ = shared.socket.send_to(&scheduled.packet, to).await;
            }
        });
    }

    /// Browser audio: to the bridged caller's leg as RTP, from that leg's socket.
    async fn relay_to_caller(&mut self, codec: Codec, timestamp: u32, payload: &[u8]) {
        let Some(peer) = self.peer else { return };
        let Some(shared) = self.table.get(&peer).map(|p| p.clone()) else {
            // The caller's leg is closed: the call is over.
            self.peer = None;
            return;
        };
        let Some(to) = shared.remote() else { return };
        // The caller's negotiated law; else the one they send; else the browser's.
        let target = shared
            .negotiated()
            .map(|(c, _)| c)
            .or(self.caller_codec)
            .unwrap_or(codec);
        self.last_timestamp = Some(timestamp);
        let packet = if target == codec {
            self.sender
                .packet_at(codec.payload_type(), false, payload, timestamp)
        } else {
            let converted = target.encode(&codec.decode(payload));
            self.sender
                .packet_at(target.payload_type(), false, &converted, timestamp)
        };
        let _: Result<usize, _> = shared.socket.send_to(&packet, to).await;
    }
}
