//! A browser softphone's media leg: WebRTC terminated by [str0m], as G.711 RTP payloads and
//! RFC 4733 keys.
//!
//! An operator who needs nothing but a browser answers calls from the desk page: the page's
//! `RTCPeerConnection` sends its SDP offer, [`WebRtcLeg::accept_offer`] answers with PCMU/PCMA
//! and telephone-event only (audio only: video, data channels and anything but one DTLS-SRTP
//! audio stream are refused with the reason), and str0m does ICE (lite, on the engine's own
//! address), DTLS and SRTP.
//!
//! For the engine this is one more kind of media leg, bridged to the caller's RTP leg like an
//! operator's SIP phone: the payloads pass through unchanged in both directions (no
//! transcoding; the browser is offered the caller's codec), so [`Output::Audio`] is relayed
//! into the caller's RTP and the caller's RTP payloads go to [`WebRtcLeg::send_audio`].
//! Keys pressed on the page arrive as [`Output::Dtmf`], as the media driver reports
//! `MediaEvent::Digit` for SIP legs.
//!
//! Sans-IO, as every core of centralino: no socket, no clock, no task. The driver binds one UDP
//! socket per leg, feeds what arrives to [`WebRtcLeg::handle_datagram`], sends what
//! [`WebRtcLeg::poll_output`] asks, and sleeps until [`WebRtcLeg::poll_timeout`]:
//!
//! ```no_run
//! use std::net::UdpSocket;
//! use std::time::{Duration, Instant};
//! use media::Codec;
//! use webrtc_leg::{Output, WebRtcLeg};
//!
//! # fn offer_from_the_page() -> String { String::new() }
//! # fn answer_to_the_page(_: &str) {}
//! # fn relay_into_the_caller_leg(_: Codec, _: u32, _: &[u8]) {}
//! let socket = UdpSocket::bind("192.0.2.10:0")?;
//! let mut leg = WebRtcLeg::new(Instant::now(), socket.local_addr()?, &[Codec::Pcmu, Codec::Pcma])?;
//! answer_to_the_page(&leg.accept_offer(&offer_from_the_page())?);
//!
//! let mut buf = [0u8; 2000];
//! loop {
//!     while let Some(output) = leg.poll_output() {
//!         match output {
//!             Output::Transmit { to, bytes } => drop(socket.send_to(&bytes, to)),
//!             Output::Audio { codec, timestamp, payload } => {
//!                 relay_into_the_caller_leg(codec, timestamp, &payload)
//!             }
//!             Output::Dtmf(key) => println!("the operator pressed {key}"),
//!             Output::Connected => println!("audio flows"),
//!             Output::Closed => return Ok(()),
//!             _ => {}
//!         }
//!     }
//!     let Some(deadline) = leg.poll_timeout() else { return Ok(()) };
//!     let wait = deadline.saturating_duration_since(Instant::now());
//!     socket.set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
//!     match socket.recv_from(&mut buf) {
//!         // A stray or garbled datagram is an error for this datagram only: log and go on.
//!         Ok((n, from)) => drop(leg.handle_datagram(Instant::now(), from, &buf[..n])),
//!         Err(_) => leg.handle_timeout(Instant::now())?,
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [str0m]: https://docs.rs/str0m

mod leg;
mod offer;

use std::net::SocketAddr;

use media::Codec;
use str0m::RtcError;
use str0m::error::SdpError;

pub use leg::{MAX_PAYLOAD_LEN, MAX_QUEUED_OUTPUTS, Output, TELEPHONE_EVENT_PT, WebRtcLeg};
pub use offer::MAX_OFFER_LEN;

/// Media an offer may carry that a call leg does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefusedMedia {
    #[error("video")]
    Video,
    #[error("a data channel")]
    DataChannel,
    #[error("media other than audio")]
    Other,
}

/// Why the leg refused an input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("no codec to offer: give PCMU, PCMA or both")]
    NoCodecs,
    #[error("{0} cannot be an ICE host candidate")]
    BadLocalAddress(SocketAddr),
    #[error("the offer is {len} bytes, more than the {MAX_OFFER_LEN} we read")]
    OfferTooLarge { len: usize },
    #[error("{0} is not supported: the softphone is audio only")]
    MediaRefused(RefusedMedia),
    #[error("the offer has no audio stream")]
    NoAudio,
    #[error("the offer has {count} audio streams; a call leg carries one")]
    TooManyAudioStreams { count: usize },
    #[error("the offer's audio is not DTLS-SRTP (UDP/TLS/RTP/SAVPF)")]
    NotDtlsSrtp,
    #[error("the offer has none of our codecs (G.711 PCMU or PCMA at 8000 Hz)")]
    NoCommonCodec,
    #[error("the offer is not valid SDP")]
    InvalidOffer(#[source] SdpError),
    #[error("the offer cannot be answered")]
    Negotiation(#[source] RtcError),
    #[error("an offer was already accepted; renegotiation is not supported")]
    AlreadyNegotiated,
    #[error("the datagram is neither STUN, DTLS, RTP nor RTCP")]
    NotWebRtc,
    #[error("audio cannot be sent before the browser is connected")]
    NotConnected,
    #[error("{0} was not negotiated with the browser")]
    CodecNotNegotiated(Codec),
    #[error("an audio payload of {len} bytes is more than the {MAX_PAYLOAD_LEN} we send")]
    PayloadTooLarge { len: usize },
    #[error("the leg is closed")]
    Closed,
    #[error("webrtc")]
    Rtc(#[source] RtcError),
}
