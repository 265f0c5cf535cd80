//! SDP parsing, printing and offer/answer for G.711 audio with telephone-event (RFC 8866, which
//! obsoletes RFC 4566; RFC 3264).
//!
//! Sans-IO and pure: a description goes in, a description and the agreed stream parameters come
//! out. The engine answers an INVITE's offer like this:
//!
//! ```
//! use media::Codec;
//! use sdp::{Direction, SessionDescription};
//!
//! let body = "v=0\r\n\
//!     o=alice 2890844526 2890844526 IN IP4 198.51.100.7\r\n\
//!     s=-\r\n\
//!     c=IN IP4 198.51.100.7\r\n\
//!     t=0 0\r\n\
//!     m=audio 49170 RTP/AVP 8 0 101\r\n\
//!     a=rtpmap:101 telephone-event/8000\r\n\
//!     a=fmtp:101 0-16\r\n";
//! let offer = SessionDescription::parse(body)?;
//! let local = "192.0.2.10".parse().unwrap();
//! let (answer, agreed) = sdp::answer(&offer, local, 40000, &Codec::ALL, 42)?;
//!
//! assert_eq!(agreed.codec, Codec::Pcma); // the offerer's first choice that we support
//! assert_eq!(agreed.telephone_event_pt, Some(101));
//! assert_eq!(agreed.remote.to_string(), "198.51.100.7:49170");
//! assert_eq!(agreed.direction, Direction::SendRecv);
//! let body = answer.to_string(); // CRLF lines, ready for the 200 OK
//! assert!(body.contains("m=audio 40000 RTP/AVP 8 101\r\n"));
//! # Ok::<(), sdp::SdpError>(())
//! ```

mod description;
mod negotiate;

pub use description::{
    Attribute, Connection, Direction, Line, MediaDescription, Origin, RtpMap, SessionDescription,
    Timing,
};
pub use negotiate::{Negotiated, answer, negotiate_answer, offer};

/// Errors from parsing a description or negotiating a stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdpError {
    /// The description is malformed.
    #[error("sdp line {line}: {error}")]
    Parse {
        /// 1-based line number; 0 when the input ended early or is not text.
        line: usize,
        /// What is wrong with it.
        error: ParseError,
    },
    /// No `m=audio` line with the `RTP/AVP` profile.
    #[error("no rtp audio stream offered")]
    NoAudioStream,
    /// The audio stream has port 0: disabled by the offerer or rejected by the answerer.
    #[error("audio stream rejected")]
    StreamRejected,
    /// None of the offered codecs is one we accept.
    #[error("no common codec")]
    NoCommonCodec,
    /// Neither the media section nor the session has a `c=` line.
    #[error("no connection address for the audio stream")]
    MissingConnection,
    /// The connection address is not an IP literal (host names are not resolved).
    #[error("connection address is not an ip address")]
    UnusableAddress,
    /// The answer's `m=` lines do not match the offer's (RFC 3264 section 6).
    #[error("answer media lines do not match the offer")]
    AnswerMismatch,
}

/// What is wrong with a malformed description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The body is not UTF-8.
    #[error("not utf-8")]
    NotUtf8,
    /// A line is not `<letter>=<value>`.
    #[error("malformed line, expected <type>=<value>")]
    MalformedLine,
    /// A type letter RFC 8866 does not define.
    #[error("unknown line type {0:?}")]
    UnknownType(char),
    /// A known line type where it may not appear.
    #[error("unexpected {0:?} line")]
    UnexpectedLine(char),
    /// A required line is missing or out of order.
    #[error("missing {0:?} line")]
    MissingLine(char),
    /// A line that may appear only once appears again.
    #[error("duplicate {0:?} line")]
    DuplicateLine(char),
    /// `v=` other than 0.
    #[error("unsupported version")]
    UnsupportedVersion,
    /// `o=` without its six fields.
    #[error("invalid origin")]
    InvalidOrigin,
    /// `c=` without its three fields.
    #[error("invalid connection")]
    InvalidConnection,
    /// `t=` not two integers.
    #[error("invalid timing")]
    InvalidTiming,
    /// `m=` malformed.
    #[error("invalid media line")]
    InvalidMedia,
    /// `a=` with an empty or non-token name.
    #[error("invalid attribute")]
    InvalidAttribute,
}
