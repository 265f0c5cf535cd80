//! [`WebRtcLeg`]: one browser's audio, terminated by str0m, as G.711 payloads and keys.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use media::{Codec, DtmfReceiver};
use str0m::change::SdpOffer;
use str0m::format::{Codec as RtcCodec, FormatParams};
use str0m::media::{Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Rtc, RtcConfig};

use crate::Error;
use crate::offer::check_offer;

/// The payload type we configure for `telephone-event/8000` (RFC 4733). In the answer str0m
/// uses the payload type of the browser's offer (Chromium: 126), so this one only matters for
/// offers that would name none.
pub const TELEPHONE_EVENT_PT: u8 = 101;

/// At most this many outputs wait for [`WebRtcLeg::poll_output`]. A driver drains the queue
/// after every call, so it holds a handful; if it does not, audio, keys and datagrams past this
/// are dropped and counted ([`WebRtcLeg::dropped_outputs`]) rather than queued without end.
/// `Connected` and `Closed` (at most one each) are always kept.
pub const MAX_QUEUED_OUTPUTS: usize = 256;

/// The largest audio payload [`WebRtcLeg::send_audio`] takes: 120 ms of G.711 is 960 bytes,
/// and the engine sends 20 ms (160 bytes).
pub const MAX_PAYLOAD_LEN: usize = 1_000;

/// What the leg asks its driver to do or tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// Send this datagram from the leg's socket (STUN, DTLS, SRTP or SRTCP).
    Transmit { to: SocketAddr, bytes: Vec<u8> },
    /// Decrypted audio from the browser: the RTP payload as it came, with its RTP timestamp
    /// (8 kHz clock), ready to relay into a SIP leg negotiated with the same codec.
    Audio {
        codec: Codec,
        timestamp: u32,
        payload: Arc<[u8]>,
    },
    /// An RFC 4733 key press from the browser, reported once per press.
    Dtmf(char),
    /// ICE and DTLS are up: audio can flow both ways. Reported again when the browser comes
    /// back after [`Output::Disconnected`].
    Connected,
    /// The browser stopped answering ICE consent checks (its tab was killed, its network went
    /// away) for str0m's ICE timeout (about 15 s). The leg stays open: whether to end the call
    /// is the engine's decision. Reported once; if the browser's checks resume, `Connected`
    /// follows. A browser whose ICE failed comes back only with a new offer, i.e. a new leg
    /// (ICE restarts are not supported).
    Disconnected,
    /// The browser closed the connection (DTLS close_notify), or [`WebRtcLeg::close`]
    /// finished. Reported once; the leg is inert afterwards.
    Closed,
}

/// A browser's audio call leg: str0m in ICE-lite mode on one local UDP address, answering the
/// browser's offer with G.711 and telephone-event only.
///
/// Sans-IO: every method that takes `now` is an input; after each one the driver drains
/// [`Self::poll_output`] and sleeps until [`Self::poll_timeout`] (or the next datagram).
pub struct WebRtcLeg {
    rtc: Rtc,
    /// Our ICE host candidate: where the driver's socket is bound.
    local: SocketAddr,
    /// Our codecs, in order of preference.
    codecs: Vec<Codec>,
    /// The audio m-line, once an offer was accepted.
    mid: Option<Mid>,
    connected: bool,
    /// ICE reported the browser gone since it connected (and it has not come back).
    ice_lost: bool,
    closed_reported: bool,
    dtmf: DtmfReceiver,
    outputs: VecDeque<Output>,
    timeout: Option<Instant>,
    dropped_outputs: u64,
    ignored_media: u64,
    send_clock: Rollover,
}

impl std::fmt::Debug for WebRtcLeg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebRtcLeg")
            .field("local", &self.local)
            .field("codecs", &self.codecs)
            .field("mid", &self.mid)
            .field("connected", &self.connected)
            .field("closed", &self.closed_reported)
            .field("queued", &self.outputs.len())
            .finish_non_exhaustive()
    }
}

impl WebRtcLeg {
    /// A leg that will answer an offer with `codecs` (in this order of preference) and
    /// telephone-event, reachable at `local` (the address its socket is bound to, given to the
    /// browser as our only ICE candidate).
    pub fn new(now: Instant, local: SocketAddr, codecs: &[Codec]) -> Result<Self, Error> {
        if codecs.is_empty() {
            return Err(Error::NoCodecs);
        }
        let mut codec_list: Vec<Codec> = Vec::with_capacity(codecs.len());
        let mut config = RtcConfig::new().set_ice_lite(true).clear_codecs();
        for &codec in codecs {
            if codec_list.contains(&codec) {
                continue;
            }
            codec_list.push(codec);
            config = match codec {
                Codec::Pcmu => config.enable_pcmu(true, false),
                Codec::Pcma => config.enable_pcma(true, false),
            };
        }
        config.codec_config().add_config(
            TELEPHONE_EVENT_PT.into(),
            None,
            RtcCodec::Tele,
            Frequency::EIGHT_KHZ,
            None,
            FormatParams::default(),
        );
        let mut rtc = config.build(now);
        let candidate = Candidate::host(local, "udp").map_err(|_| Error::BadLocalAddress(local))?;
        if rtc.add_local_candidate(candidate).is_none() {
            return Err(Error::BadLocalAddress(local));
        }
        let mut leg = WebRtcLeg {
            rtc,
            local,
            codecs: codec_list,
            mid: None,
            connected: false,
            ice_lost: false,
            closed_reported: false,
            dtmf: DtmfReceiver::new(),
            outputs: VecDeque::new(),
            timeout: None,
            dropped_outputs: 0,
            ignored_media: 0,
            send_clock: Rollover::default(),
        };
        leg.drain()?;
        Ok(leg)
    }

    /// Answers the browser's SDP offer: one audio stream over DTLS-SRTP, G.711 and
    /// telephone-event only. Anything else is refused with the reason, before str0m sees it
    /// (video, data channels, a second audio stream, no G.711).
    ///
    /// A refusal by these checks or by str0m's SDP parser leaves the leg as it was, ready for
    /// another offer; after [`Error::Negotiation`] str0m may hold part of the offer: drop the
    /// leg and make a new one.
    pub fn accept_offer(&mut self, offer: &str) -> Result<String, Error> {
        if self.closed_reported || !self.rtc.is_alive() {
            return Err(Error::Closed);
        }
        if self.mid.is_some() {
            return Err(Error::AlreadyNegotiated);
        }
        check_offer(offer, &self.codecs)?;
        let parsed = SdpOffer::from_sdp_string(offer).map_err(Error::InvalidOffer)?;
        let answer = self
            .rtc
            .sdp_api()
            .accept_offer(parsed)
            .map_err(Error::Negotiation)?;
        // The audio m-line's mid: str0m reports it as `MediaAdded` only once it polls events
        // (after the first input), and the answer names it now.
        self.mid = answer
            .media_lines
            .iter()
            .map(|line| line.mid())
            .find(|mid| {
                self.rtc
                    .media(*mid)
                    .is_some_and(|m| m.kind() == MediaKind::Audio && !m.disabled())
            });
        self.drain()?;
        if self.mid.is_none() || self.negotiated_codecs().is_empty() {
            return Err(Error::NoCommonCodec);
        }
        Ok(answer.to_sdp_string())
    }

    /// Handles one datagram received on the leg's socket from `from`.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        from: SocketAddr,
        bytes: &[u8],
    ) -> Result<(), Error> {
        if !self.rtc.is_alive() {
            return Err(Error::Closed);
        }
        let contents = bytes.try_into().map_err(|_| Error::NotWebRtc)?;
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source: from,
                destination: self.local,
                contents,
            },
        );
        let handled = self.rtc.handle_input(input).map_err(Error::Rtc);
        // Drain even after an error: str0m may have queued output before it failed.
        let drained = self.drain();
        handled.and(drained)
    }

    /// Advances the leg's timers (ICE consent, DTLS retransmission, RTCP) to `now`.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        if !self.rtc.is_alive() {
            self.report_closed();
            return Ok(());
        }
        let handled = self
            .rtc
            .handle_input(Input::Timeout(now))
            .map_err(Error::Rtc);
        let drained = self.drain();
        handled.and(drained)
    }

    /// Sends one audio payload (an RTP payload of `codec`, timestamp on the 8 kHz clock) to the
    /// browser. The codec must be one the browser accepted ([`Self::negotiated_codecs`]).
    pub fn send_audio(
        &mut self,
        now: Instant,
        codec: Codec,
        rtp_timestamp: u32,
        payload: &[u8],
    ) -> Result<(), Error> {
        if !self.rtc.is_alive() {
            return Err(Error::Closed);
        }
        if !self.connected {
            return Err(Error::NotConnected);
        }
        if payload.len() > MAX_PAYLOAD_LEN {
            return Err(Error::PayloadTooLarge { len: payload.len() });
        }
        let mid = self.mid.ok_or(Error::NotConnected)?;
        let writer = self.rtc.writer(mid).ok_or(Error::NotConnected)?;
        let pt = writer
            .payload_params()
            .find(|p| p.spec().codec == rtc_codec(codec))
            .map(|p| p.pt())
            .ok_or(Error::CodecNotNegotiated(codec))?;
        let time = MediaTime::new(self.send_clock.extend(rtp_timestamp), Frequency::EIGHT_KHZ);
        let written = writer.write(pt, now, time, payload).map_err(Error::Rtc);
        let drained = self.drain();
        written.and(drained)
    }

    /// Closes the connection: str0m sends RTCP BYE and a DTLS close_notify, then the leg
    /// reports [`Output::Closed`] and goes inert.
    pub fn close(&mut self) -> Result<(), Error> {
        if !self.rtc.is_alive() {
            self.report_closed();
            return Ok(());
        }
        let closing = self.rtc.close().map_err(Error::Rtc);
        let drained = self.drain();
        closing.and(drained)
    }

    /// The next output, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When to call [`Self::handle_timeout`] next; `None` once the leg is closed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.rtc.is_alive() {
            self.timeout
        } else {
            None
        }
    }

    /// Whether ICE and DTLS are up and the browser answers consent checks.
    pub fn is_connected(&self) -> bool {
        self.connected && !self.ice_lost && self.rtc.is_alive()
    }

    /// Our codecs the browser accepted, in our order of preference (empty before an offer was
    /// accepted).
    pub fn negotiated_codecs(&mut self) -> Vec<Codec> {
        let Some(mid) = self.mid else {
            return Vec::new();
        };
        let Some(writer) = self.rtc.writer(mid) else {
            return Vec::new();
        };
        let remote: Vec<RtcCodec> = writer.payload_params().map(|p| p.spec().codec).collect();
        self.codecs
            .iter()
            .copied()
            .filter(|c| remote.contains(&rtc_codec(*c)))
            .collect()
    }

    /// Outputs dropped because the queue was full ([`MAX_QUEUED_OUTPUTS`]).
    pub fn dropped_outputs(&self) -> u64 {
        self.dropped_outputs
    }

    /// Media received that was neither our G.711 nor telephone-event (dropped).
    pub fn ignored_media(&self) -> u64 {
        self.ignored_media
    }

    /// Drains str0m after a mutation until it asks for a timeout (str0m's single-mutation
    /// invariant: every mutation is followed by a complete drain).
    fn drain(&mut self) -> Result<(), Error> {
        loop {
            match self.rtc.poll_output().map_err(Error::Rtc)? {
                str0m::Output::Timeout(at) => {
                    self.timeout = Some(at);
                    break;
                }
                str0m::Output::Transmit(transmit) => self.push(Output::Transmit {
                    to: transmit.destination,
                    bytes: transmit.contents.into(),
                }),
                str0m::Output::Event(event) => self.on_event(event),
            }
        }
        if !self.rtc.is_alive() {
            self.report_closed();
        }
        Ok(())
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Connected => {
                self.connected = true;
                self.push(Output::Connected);
            }
            Event::MediaAdded(added) if added.kind == MediaKind::Audio => {
                self.mid.get_or_insert(added.mid);
            }
            Event::MediaData(data) if Some(data.mid) == self.mid => {
                // RTP timestamps are 32 bits on the wire; str0m extends them across
                // wrap-around, and the SIP side wants the wire value back.
                let timestamp = data.time.numer() as u32;
                match data.params.spec().codec {
                    RtcCodec::PCMU => self.push(Output::Audio {
                        codec: Codec::Pcmu,
                        timestamp,
                        payload: data.data,
                    }),
                    RtcCodec::PCMA => self.push(Output::Audio {
                        codec: Codec::Pcma,
                        timestamp,
                        payload: data.data,
                    }),
                    RtcCodec::Tele => {
                        if let Some(key) =
                            self.dtmf
                                .on_packet(data.network_time, timestamp, &data.data)
                        {
                            self.push(Output::Dtmf(key));
                        }
                    }
                    _ => self.ignored_media += 1,
                }
            }
            Event::MediaData(_) => self.ignored_media += 1,
            Event::IceConnectionStateChange(state) => self.on_ice_state(state),
            Event::Closed => self.report_closed(),
            _ => {}
        }
    }

    /// ICE consent (RFC 7675): a browser that stops answering (tab killed, network gone) is
    /// reported once as `Disconnected`; if its checks resume, `Connected` again.
    fn on_ice_state(&mut self, state: IceConnectionState) {
        match state {
            IceConnectionState::Disconnected if self.connected && !self.ice_lost => {
                self.ice_lost = true;
                self.push(Output::Disconnected);
            }
            IceConnectionState::Connected | IceConnectionState::Completed if self.ice_lost => {
                self.ice_lost = false;
                self.push(Output::Connected);
            }
            _ => {}
        }
    }

    fn report_closed(&mut self) {
        if !self.closed_reported {
            self.closed_reported = true;
            self.connected = false;
            self.push(Output::Closed);
        }
    }

    fn push(&mut self, output: Output) {
        let always = matches!(output, Output::Connected | Output::Closed);
        if self.outputs.len() >= MAX_QUEUED_OUTPUTS && !always {
            self.dropped_outputs += 1;
            return;
        }
        self.outputs.push_back(output);
    }
}

fn rtc_codec(codec: Codec) -> RtcCodec {
    match codec {
        Codec::Pcmu => RtcCodec::PCMU,
        Codec::Pcma => RtcCodec::PCMA,
    }
}

/// Extends 32-bit RTP timestamps to 64 bits across wrap-around (RFC 3550 appendix A.1 does the
/// same for sequence numbers): str0m takes media time as a 64-bit count and would see a wrap as
/// time running backwards.
#[derive(Debug, Default, Clone, Copy)]
struct Rollover {
    last: Option<u32>,
    cycles: u64,
}

impl Rollover {
    fn extend(&mut self, timestamp: u32) -> u64 {
        let Some(last) = self.last else {
            self.last = Some(timestamp);
            return u64::from(timestamp);
        };
        // Within half the range ahead (modulo 2^32) is forward; anything else is a late one.
        if timestamp.wrapping_sub(last) < 1 << 31 {
            if timestamp < last {
                self.cycles += 1;
            }
            self.last = Some(timestamp);
            (self.cycles << 32) | u64::from(timestamp)
        } else {
            let cycles = if timestamp > last {
                self.cycles.saturating_sub(1)
            } else {
                self.cycles
            };
            (cycles << 32) | u64::from(timestamp)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> SocketAddr {
        "127.0.0.1:40000".parse().unwrap()
    }

    #[test]
    fn timestamps_extend_across_wrap_around_and_late_ones_stay_behind() {
        let mut clock = Rollover::default();
        assert_eq!(clock.extend(u32::MAX - 159), u64::from(u32::MAX - 159));
        assert_eq!(clock.extend(0), 1 << 32);
        assert_eq!(clock.extend(160), (1 << 32) + 160);
        // A packet from before the wrap, late.
        assert_eq!(clock.extend(u32::MAX - 159), u64::from(u32::MAX - 159));
        assert_eq!(clock.extend(320), (1 << 32) + 320);
    }

    #[test]
    fn a_leg_needs_a_codec_and_a_usable_address() {
        let now = Instant::now();
        assert!(matches!(
            WebRtcLeg::new(now, local(), &[]),
            Err(Error::NoCodecs)
        ));
        let unspecified = "0.0.0.0:40000".parse().unwrap();
        assert!(matches!(
            WebRtcLeg::new(now, unspecified, &Codec::ALL),
            Err(Error::BadLocalAddress(_))
        ));
    }

    #[test]
    fn audio_before_the_browser_connected_is_refused() {
        let now = Instant::now();
        let mut leg = WebRtcLeg::new(now, local(), &Codec::ALL).unwrap();
        assert!(matches!(
            leg.send_audio(now, Codec::Pcmu, 0, &[0xff; 160]),
            Err(Error::NotConnected)
        ));
        assert!(leg.negotiated_codecs().is_empty());
        assert_eq!(leg.poll_output(), None);
    }

    #[test]
    fn closing_reports_closed_once_and_the_leg_goes_inert() {
        let now = Instant::now();
        let mut leg = WebRtcLeg::new(now, local(), &Codec::ALL).unwrap();
        leg.close().unwrap();
        leg.handle_timeout(now).unwrap();
        let outputs: Vec<_> = std::iter::from_fn(|| leg.poll_output()).collect();
        assert_eq!(outputs.iter().filter(|o| **o == Output::Closed).count(), 1);
        assert_eq!(leg.poll_timeout(), None);
        assert!(matches!(
            leg.handle_datagram(now, local(), &[0; 20]),
            Err(Error::Closed)
        ));
        assert!(matches!(leg.accept_offer("v=0\r\n"), Err(Error::Closed)));
    }
}
