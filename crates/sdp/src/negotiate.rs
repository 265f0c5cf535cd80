//! Offer/answer for one G.711 audio stream with optional telephone-event (RFC 3264).

use std::net::{IpAddr, SocketAddr};

use media::Codec;

use crate::description::addr_type;
use crate::{
    Attribute, Connection, Direction, MediaDescription, Origin, SdpError, SessionDescription,
    Timing,
};

/// The one RTP profile we speak (RFC 3551); SRTP (`RTP/SAVP`) and feedback profiles are not
/// offered or accepted.
const PROFILE: &str = "RTP/AVP";
/// Events we handle: DTMF 0-9, *, #, A-D (RFC 4733 section 3.2).
const TELEPHONE_EVENTS: &str = "0-15";
/// Our packetisation time in ms; see `media::playout::FRAME_DURATION`.
const PTIME: &str = "20";
/// User name in our `o=` lines.
const USERNAME: &str = "centralino";

/// What one audio stream was agreed to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// Audio codec.
    pub codec: Codec,
    /// Payload type to send and expect the codec with.
    pub payload_type: u8,
    /// Payload type of `telephone-event/8000`, when both sides support it.
    pub telephone_event_pt: Option<u8>,
    /// Where to send RTP.
    pub remote: SocketAddr,
    /// Our direction: `SendOnly` means we send and do not receive.
    pub direction: Direction,
    /// Index of the negotiated `m=` line.
    pub media_index: usize,
}

/// The codec a payload type of `media` stands for, by rtpmap or else by static assignment
/// (RFC 3551 section 6). G.711 is mono at 8 kHz, anything else is not it.
fn codec_of(media: &MediaDescription, payload_type: u8) -> Option<Codec> {
    match media.rtpmap(payload_type) {
        Some(map) => Codec::from_name(&map.encoding)
            .filter(|_| map.clock_rate == 8000 && matches!(map.channels, None | Some(1))),
        None => Codec::from_payload_type(payload_type),
    }
}

/// The payload type of `telephone-event/8000` in `media`, if offered.
fn telephone_event_of(media: &MediaDescription) -> Option<u8> {
    media.payload_types().find(|&pt| {
        media.rtpmap(pt).is_some_and(|map| {
            map.encoding.eq_ignore_ascii_case("telephone-event") && map.clock_rate == 8000
        })
    })
}

/// The first audio `m=` line over plain RTP that is not disabled.
fn active_audio(description: &SessionDescription) -> Result<(usize, &MediaDescription), SdpError> {
    let mut audio = description
        .media
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            m.media.eq_ignore_ascii_case("audio") && m.protocol.eq_ignore_ascii_case(PROFILE)
        })
        .peekable();
    if audio.peek().is_none() {
        return Err(SdpError::NoAudioStream);
    }
    // Port 0 disables a stream (RFC 3264 section 8.2).
    audio
        .find(|(_, m)| m.port != 0)
        .ok_or(SdpError::StreamRejected)
}

fn remote_of(
    description: &SessionDescription,
    media: &MediaDescription,
) -> Result<SocketAddr, SdpError> {
    let connection = description
        .connection_of(media)
        .ok_or(SdpError::MissingConnection)?;
    let ip = connection.ip_addr().ok_or(SdpError::UnusableAddress)?;
    Ok(SocketAddr::new(ip, media.port))
}

fn origin(local_ip: IpAddr, session_id: u64, version: u64) -> Origin {
    Origin {
        username: USERNAME.to_owned(),
        session_id: session_id.to_string(),
        session_version: version.to_string(),
        net_type: "IN".to_owned(),
        addr_type: addr_type(local_ip).to_owned(),
        address: local_ip.to_string(),
    }
}

/// Our audio `m=` line: formats, their rtpmaps, telephone-event parameters, ptime, direction.
fn audio_media(
    port: u16,
    codecs: &[(Codec, u8)],
    telephone_event_pt: Option<u8>,
    direction: Direction,
) -> MediaDescription {
    let mut formats: Vec<String> = codecs.iter().map(|(_, pt)| pt.to_string()).collect();
    let mut attributes: Vec<Attribute> = codecs
        .iter()
        .map(|(codec, pt)| {
            Attribute::value(
                "rtpmap",
                format!("{pt} {}/{}", codec.name(), codec.clock_rate()),
            )
        })
        .collect();
    if let Some(pt) = telephone_event_pt {
        formats.push(pt.to_string());
        attributes.push(Attribute::value(
            "rtpmap",
            format!("{pt} telephone-event/8000"),
        ));
        attributes.push(Attribute::value("fmtp", format!("{pt} {TELEPHONE_EVENTS}")));
    }
    attributes.push(Attribute::value("ptime", PTIME));
    attributes.push(Attribute::flag(direction.as_str()));
    MediaDescription {
        media: "audio".to_owned(),
        port,
        port_count: None,
        protocol: PROFILE.to_owned(),
        formats,
        connection: None,
        attributes,
        other: Vec::new(),
    }
}

/// Answers an offer (RFC 3264 section 6): accepts the first usable audio stream with the first
/// codec of the offer that is in `accept` (the offerer's order wins, RFC 3264 section 6.1), plus
/// telephone-event with the offerer's payload type if offered. Every other `m=` line is
/// rejected with port 0, keeping the m-line count and order (RFC 3264 section 6).
///
/// The answer's direction mirrors the offer's: sendonly is answered recvonly and so on
/// (RFC 3264 section 6.1). An error means the offer is unacceptable: the engine answers 488.
pub fn answer(
    offer: &SessionDescription,
    local_ip: IpAddr,
    local_port: u16,
    accept: &[Codec],
    session_id: u64,
) -> Result<(SessionDescription, Negotiated), SdpError> {
    let (media_index, offered) = active_audio(offer)?;
    let (codec, payload_type) = offered
        .payload_types()
        .find_map(|pt| {
            codec_of(offered, pt)
                .filter(|c| accept.contains(c))
                .map(|c| (c, pt))
        })
        .ok_or(SdpError::NoCommonCodec)?;
    let telephone_event_pt = telephone_event_of(offered);
    let remote = remote_of(offer, offered)?;
    let direction = offer.direction_of(offered).reverse();

    let media = offer
        .media
        .iter()
        .enumerate()
        .map(|(index, m)| {
            if index == media_index {
                audio_media(
                    local_port,
                    &[(codec, payload_type)],
                    telephone_event_pt,
                    direction,
                )
            } else {
                MediaDescription {
                    port: 0,
                    port_count: None,
                    connection: None,
                    attributes: Vec::new(),
                    other: Vec::new(),
                    ..m.clone()
                }
            }
        })
        .collect();
    let description = SessionDescription {
        origin: origin(local_ip, session_id, session_id),
        session_name: "-".to_owned(),
        connection: Some(Connection::new(local_ip)),
        // "The t= line in the answer MUST equal that of the offer" (RFC 3264 section 6).
        timing: offer.timing.clone(),
        attributes: Vec::new(),
        other: Vec::new(),
        media,
    };
    let negotiated = Negotiated {
        codec,
        payload_type,
        telephone_event_pt,
        remote,
        direction,
        media_index,
    };
    Ok((description, negotiated))
}

/// An offer of one sendrecv audio stream with `codecs` at their static payload types, in order
/// of preference, and telephone-event at `telephone_event_pt` (RFC 3264 section 5).
pub fn offer(
    local_ip: IpAddr,
    local_port: u16,
    codecs: &[Codec],
    telephone_event_pt: u8,
    session_id: u64,
    version: u64,
) -> SessionDescription {
    let codecs: Vec<(Codec, u8)> = codecs.iter().map(|c| (*c, c.payload_type())).collect();
    SessionDescription {
        origin: origin(local_ip, session_id, version),
        session_name: "-".to_owned(),
        connection: Some(Connection::new(local_ip)),
        timing: vec![Timing { start: 0, stop: 0 }],
        attributes: Vec::new(),
        other: Vec::new(),
        media: vec![audio_media(
            local_port,
            &codecs,
            Some(telephone_event_pt),
            Direction::SendRecv,
        )],
    }
}

/// Reads the answer to an offer of ours (RFC 3264 section 7): the stream at the same index as
/// our first audio stream, the first codec of the answer that we offered, telephone-event if
/// both have it, and our direction as both sides allow.
pub fn negotiate_answer(
    our_offer: &SessionDescription,
    their_answer: &SessionDescription,
) -> Result<Negotiated, SdpError> {
    let (media_index, offered) = active_audio(our_offer)?;
    if their_answer.media.len() != our_offer.media.len() {
        return Err(SdpError::AnswerMismatch);
    }
    let answered = &their_answer.media[media_index];
    if !answered.media.eq_ignore_ascii_case(&offered.media) {
        return Err(SdpError::AnswerMismatch);
    }
    if answered.port == 0 {
        return Err(SdpError::StreamRejected);
    }
    let offered_codecs: Vec<Codec> = offered
        .payload_types()
        .filter_map(|pt| codec_of(offered, pt))
        .collect();
    let (codec, payload_type) = answered
        .payload_types()
        .find_map(|pt| {
            codec_of(answered, pt)
                .filter(|c| offered_codecs.contains(c))
                .map(|c| (c, pt))
        })
        .ok_or(SdpError::NoCommonCodec)?;
    let telephone_event_pt = telephone_event_of(offered).and(telephone_event_of(answered));
    let remote = remote_of(their_answer, answered)?;
    let direction = our_offer
        .direction_of(offered)
        .intersect(their_answer.direction_of(answered).reverse());
    Ok(Negotiated {
        codec,
        payload_type,
        telephone_event_pt,
        remote,
        direction,
        media_index,
    })
}
