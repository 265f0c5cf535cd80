//! The media driver: one tokio task per RTP leg, around the sans-IO pieces of the `media`
//! crate (playout pacing, RTP packetisation, RFC 4733 detection). No protocol logic here.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use dashmap::DashMap;
use media::Codec;
use media::dtmf::DtmfReceiver;
use media::inband::InbandDtmf;
use media::latch::{SourceLatch, Verdict};
use media::playout::Playout;
use media::rtp::RtpSender;
use prompts::PromptLibrary;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tracing::{debug, warn};

use call_control::events::{LegId, MediaCommand, MediaEvent};

/// What other legs need to know of a leg to relay into it.
#[derive(Debug)]
struct LegShared {
    socket: Arc<UdpSocket>,
    remote: Mutex<Option<SocketAddr>>,
}

impl LegShared {
    fn set_remote(&self, remote: SocketAddr) {
        *self
            .remote
            .lock()
            .expect("leg remote mutex is never poisoned: no code panics holding it") = Some(remote);
    }

    fn remote(&self) -> Option<SocketAddr> {
        *self
            .remote
            .lock()
            .expect("leg remote mutex is never poisoned: no code panics holding it")
    }
}

/// Counters of what the media legs dropped, for logs and metrics.
#[derive(Debug, Default)]
pub struct MediaStats {
    /// Datagrams that were not RTP, or RTP with a payload type the leg did not negotiate.
    pub not_rtp: std::sync::atomic::AtomicU64,
    /// RTP from a source other than the latched one: never relayed, never read for keys.
    pub wrong_source: std::sync::atomic::AtomicU64,
    /// Legs refused because the configured RTP port range was used up.
    pub no_port: std::sync::atomic::AtomicU64,
}

/// Opens RTP legs and routes commands to their tasks.
pub struct MediaManager {
    ip: IpAddr,
    prompts: Arc<Mutex<PromptLibrary>>,
    events: mpsc::UnboundedSender<(LegId, MediaEvent)>,
    shared: Arc<DashMap<LegId, Arc<LegShared>>>,
    commands: HashMap<LegId, mpsc::UnboundedSender<MediaCommand>>,
    rng: ChaCha8Rng,
    stats: Arc<MediaStats>,
    rtp_timeout: Option<std::time::Duration>,
    /// RTP ports to use (even numbers of this inclusive range); `None`: any the OS gives.
    ports: Option<(u16, u16)>,
    /// The next port of `ports` to try.
    next_port: u16,
}

impl MediaManager {
    pub fn new(
        ip: IpAddr,
        prompts: Arc<Mutex<PromptLibrary>>,
        events: mpsc::UnboundedSender<(LegId, MediaEvent)>,
        seed: u64,
    ) -> Self {
        Self {
            ip,
            prompts,
            events,
            shared: Arc::new(DashMap::new()),
            commands: HashMap::new(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            stats: Arc::new(MediaStats::default()),
            rtp_timeout: None,
            ports: None,
            next_port: 0,
        }
    }

    /// Bind RTP sockets on the even ports of `first..=last` only (firewalls open such a
    /// range), round robin, skipping ports in use.
    pub fn with_port_range(mut self, range: Option<(u16, u16)>) -> Self {
        self.ports = range.map(|(first, last)| (first + first % 2, last));
        self.next_port = self.ports.map_or(0, |(first, _)| first);
        self
    }

    /// A bound socket: on a port of the range, or any.
    fn bind(&mut self) -> Result<std::net::UdpSocket, String> {
        let Some((first, last)) = self.ports else {
            return std::net::UdpSocket::bind(SocketAddr::new(self.ip, 0))
                .map_err(|e| format!("cannot bind an RTP socket on {}: {e}", self.ip));
        };
        let count = usize::from(last.saturating_sub(first) / 2) + 1;
        for _ in 0..count {
            let port = self.next_port;
            self.next_port = if port.saturating_add(2) > last {
                first
            } else {
                port + 2
            };
            if let Ok(socket) = std::net::UdpSocket::bind(SocketAddr::new(self.ip, port)) {
                return Ok(socket);
            }
        }
        self.stats.no_port.fetch_add(1, Ordering::Relaxed);
        Err(format!(
            "no free RTP port in {first}-{last} on {}: every even port is in use",
            self.ip
        ))
    }

    /// Report [`MediaEvent::Inactive`] for a configured leg that received no RTP for
    /// `timeout` (once per silence; `None`, the default: never).
    pub fn with_rtp_timeout(mut self, timeout: Option<std::time::Duration>) -> Self {
        self.rtp_timeout = timeout.filter(|t| !t.is_zero());
        self
    }

    pub fn stats(&self) -> Arc<MediaStats> {
        self.stats.clone()
    }

    /// Number of open legs.
    pub fn open_legs(&self) -> usize {
        self.commands.len()
    }

    pub fn command(&mut self, leg: LegId, command: MediaCommand) {
        if let MediaCommand::Configure { remote, .. } = &command {
            // Set here, in command order, so that a peer's Bridge processed by another task
            // already sees where to relay.
            if let Some(shared) = self.shared.get(&leg) {
                *shared
                    .remote
                    .lock()
                    .expect("leg remote mutex is never poisoned") = Some(*remote);
            }
        }
        let close = matches!(command, MediaCommand::Close);
        if let Some(tx) = self.commands.get(&leg) {
            let _ = tx.send(command);
        }
        if close {
            self.commands.remove(&leg);
            self.shared.remove(&leg);
        }
    }
}

impl MediaManager {
    /// Bind a socket for `leg` and start its task; returns the local RTP address.
    pub fn open(&mut self, leg: LegId) -> Result<SocketAddr, String> {
        let std_socket = self.bind()?;
        std_socket
            .set_nonblocking(true)
            .map_err(|e| format!("cannot make the RTP socket non-blocking: {e}"))?;
        let local = std_socket.local_addr().map_err(|e| e.to_string())?;
        let socket = Arc::new(UdpSocket::from_std(std_socket).map_err(|e| e.to_string())?);
        let shared = Arc::new(LegShared {
            socket: socket.clone(),
            remote: Mutex::new(None),
        });
        self.shared.insert(leg, shared.clone());
        let (tx, rx) = mpsc::unbounded_channel();
        self.commands.insert(leg, tx);
        let sender = RtpSender::new(&mut self.rng);
        let task = LegTask {
            leg,
            shared,
            table: self.shared.clone(),
            prompts: self.prompts.clone(),
            events: self.events.clone(),
            sender,
            stats: self.stats.clone(),
            rtp_timeout: self.rtp_timeout,
        };
        tokio::spawn(task.run(rx));
        Ok(local)
    }
}

struct LegTask {
    leg: LegId,
    shared: Arc<LegShared>,
    table: Arc<DashMap<LegId, Arc<LegShared>>>,
    prompts: Arc<Mutex<PromptLibrary>>,
    events: mpsc::UnboundedSender<(LegId, MediaEvent)>,
    sender: RtpSender,
    stats: Arc<MediaStats>,
    rtp_timeout: Option<std::time::Duration>,
}

struct Playing {
    playout: Playout,
    token: u64,
    then_loop: Option<String>,
}

impl LegTask {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<MediaCommand>) {
        let socket = self.shared.socket.clone();
        let mut codec = Codec::Pcmu;
        let mut payload_type = Codec::Pcmu.payload_type();
        let mut telephone_event_pt: Option<u8> = None;
        let mut latch = SourceLatch::new(self.shared.remote(), false);
        let mut symmetric = false;
        let mut playing: Option<Playing> = None;
        let mut dtmf = DtmfReceiver::new();
        // Keys in the audio, for peers that negotiated no telephone-event.
        let mut inband = InbandDtmf::new();
        let mut bridge: Option<Arc<LegShared>> = None;
        let mut buf = vec![0u8; 2048];
        // RTP inactivity: counted from the leg's configuration (its peer known) or the last
        // packet accepted; reported once per silence.
        let mut last_rx: Option<tokio::time::Instant> = None;
        let mut inactive_reported = false;
        loop {
            let inactive_at = self
                .rtp_timeout
                .zip(last_rx)
                .filter(|_| !inactive_reported)
                .map(|(t, at)| at + t);
            let deadline = playing.as_ref().and_then(|p| p.playout.next_deadline());
            let sleep_until = deadline
                .map(tokio::time::Instant::from_std)
                .unwrap_or_else(|| {
                    tokio::time::Instant::now() + std::time::Duration::from_secs(3600)
                });
            tokio::select! {
                command = commands.recv() => {
                    let Some(command) = command else { break };
                    match command {
                        MediaCommand::Close => break,
                        // Static payload types only (0/8): the codec implies the number.
                        MediaCommand::Configure { codec: c, payload_type: pt, telephone_event_pt: te, remote, symmetric: s } => {
                            codec = c;
                            payload_type = pt;
                            telephone_event_pt = te;
                            symmetric = s;
                            latch.signal(remote, s);
                            last_rx.get_or_insert_with(tokio::time::Instant::now);
                        }
                        MediaCommand::Play { prompts, then_loop, token } => {
                            let now = Instant::now();
                            let audio = self.encoded(&prompts, codec);
                            let mut play = Playing {
                                playout: Playout::sequence(audio, codec, false, now),
                                token,
                                then_loop,
                            };
                            // Nothing to say first (or nothing found): straight to the loop, or
                            // done at once. Pacing only wakes up for audio that exists.
                            if play.playout.is_finished() {
                                match play.then_loop.take() {
                                    Some(name) => {
                                        let audio = self.encoded(std::slice::from_ref(&name), codec);
                                        play.playout = Playout::sequence(audio, codec, true, now);
                                    }
                                    None => {
                                        let _ = self.events.send((self.leg, MediaEvent::PlaybackFinished { token }));
                                        playing = None;
                                        continue;
                                    }
                                }
                            }
                            playing = Some(play);
                        }
                        MediaCommand::StopPlayback => playing = None,
                        MediaCommand::Bridge { peer } => {
                            playing = None;
                            bridge = self.table.get(&peer).map(|p| p.clone());
                        }
                    }
                }
                received = socket.recv_from(&mut buf) => {
                    let Ok((n, from)) = received else { continue };
                    let packet = &buf[..n];
                    // Our codecs' static types (some phones send the other G.711 law than the
                        // one negotiated; it is relayed as is) and the negotiated events.
                    let view = match media::rtp::parse(packet) {
                        Ok(view)
                            if view.payload_type() == payload_type
                                || Codec::ALL.iter().any(|c| c.payload_type() == view.payload_type())
                                || Some(view.payload_type()) == telephone_event_pt =>
                        {
                            view
                        }
                        _ => {
                            self.stats.not_rtp.fetch_add(1, Ordering::Relaxed);
                            debug!(leg = %self.leg, "dropped a datagram that is not our RTP");
                            continue;
                        }
                    };
                    let was_latched = latch.latched();
                    match latch.on_packet(from, view.ssrc(), u16::from(view.sequence_number())) {
                        Verdict::Accept => {
                            if was_latched.is_none() {
                                debug!(leg = %self.leg, symmetric, "rtp source latched");
                                if symmetric {
                                    // Behind NAT: answer where the packets really come from.
                                    self.shared.set_remote(from);
                                }
                            }
                        }
                        Verdict::Probation => continue,
                        Verdict::Reject => {
                            self.stats.wrong_source.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                    }
                    last_rx = Some(tokio::time::Instant::now());
                    inactive_reported = false;
                    let is_dtmf = Some(view.payload_type()) == telephone_event_pt;
                    if let Some(digit) = is_dtmf
                        .then(|| dtmf.on_packet(Instant::now(), view.timestamp(), view.payload()))
                        .flatten()
                    {
                        let _ = self.events.send((self.leg, MediaEvent::Digit(digit)));
                    }
                    if telephone_event_pt.is_none()
                        && let Some(law) = Codec::from_payload_type(view.payload_type())
                    {
                        for digit in inband.push(&law.decode(view.payload())) {
                            let _ = self.events.send((self.leg, MediaEvent::Digit(digit)));
                        }
                    }
                    if let Some((peer, to)) = bridge.as_ref().and_then(|p| p.remote().map(|to| (p, to))) {
                        let _ = peer.socket.send_to(packet, to).await;
                    }
                }
                () = tokio::time::sleep_until(inactive_at.unwrap_or(sleep_until)), if inactive_at.is_some() => {
                    inactive_reported = true;
                    debug!(leg = %self.leg, "no rtp for the configured time");
                    let _ = self.events.send((self.leg, MediaEvent::Inactive));
                }
                () = tokio::time::sleep_until(sleep_until), if deadline.is_some() => {
                    let now = Instant::now();
                    let Some(remote) = self.shared.remote() else {
                        // Nowhere to send (no SDP address yet): drop the playback rather than
                        // wake up for it again and again.
                        warn!(leg = %self.leg, "playback without a remote address: stopped");
                        playing = None;
                        continue;
                    };
                    if let Some(p) = playing.as_mut() {
                        while let Some(pkt) = p.playout.poll_transmit(now, &mut self.sender) {
                            let _ = socket.send_to(&pkt, remote).await;
                        }
                        if p.playout.is_finished() {
                            let finished = playing.take().expect("matched Some just above");
                            match finished.then_loop {
                                Some(name) => {
                                    let audio = self.encoded(std::slice::from_ref(&name), codec);
                                    playing = Some(Playing {
                                        playout: Playout::sequence(audio, codec, true, now),
                                        token: finished.token,
                                        then_loop: None,
                                    });
                                }
                                None => {
                                    let _ = self.events.send((self.leg, MediaEvent::PlaybackFinished { token: finished.token }));
                                }
                            }
                        }
                    }
                }
            }
        }
        debug!(leg = %self.leg, "media leg closed");
    }

    /// The prompts' audio in the leg's codec. An unknown name is skipped with a warning (the
    /// IVR script's prompts are checked against the library when it is loaded).
    fn encoded(&self, names: &[String], codec: Codec) -> Vec<Arc<[u8]>> {
        let library = self
            .prompts
            .lock()
            .expect("prompt library mutex is never poisoned")
            .clone();
        names
            .iter()
            .filter_map(|name| match library.get(name) {
                Some(p) => Some(match codec {
                    Codec::Pcmu => p.pcmu.clone(),
                    Codec::Pcma => p.pcma.clone(),
                }),
                None => {
                    warn!(prompt = %name, "prompt not in the library");
                    None
                }
            })
            .collect()
    }
}
