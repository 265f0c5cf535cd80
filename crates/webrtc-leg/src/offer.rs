//! What we accept from a browser's SDP offer, checked on the text before str0m sees it: one
//! audio stream over DTLS-SRTP that offers a G.711 codec we speak, nothing else. Refusing here
//! gives the operator's page a reason it can show ("video is not supported") instead of an
//! answer that silently rejects m-lines.

use media::Codec;

use crate::{Error, RefusedMedia};

/// The largest offer we read. A browser's audio-only offer is 2 to 6 KB; with every video codec
/// of a current Chromium it stays well under 20 KB.
pub const MAX_OFFER_LEN: usize = 64 * 1024;

/// The one audio m-line of an acceptable offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AudioOffer {
    /// Our codecs the offer names, in the offer's order of preference.
    pub(crate) codecs: Vec<Codec>,
}

/// One m-line being read.
#[derive(Debug)]
struct Section<'a> {
    kind: &'a str,
    /// Port 0 is a rejected or stopped m-line (RFC 3264 section 6): it carries nothing.
    active: bool,
    proto: &'a str,
    formats: Vec<&'a str>,
    /// `(payload type, encoding name, clock rate)` from `a=rtpmap` (RFC 4566 section 6).
    rtpmaps: Vec<(&'a str, &'a str, &'a str)>,
}

/// Checks that `sdp` offers exactly one active audio m-line over DTLS-SRTP with at least one
/// of `ours`, and no active m-line of another kind.
pub(crate) fn check_offer(sdp: &str, ours: &[Codec]) -> Result<AudioOffer, Error> {
    if sdp.len() > MAX_OFFER_LEN {
        return Err(Error::OfferTooLarge { len: sdp.len() });
    }
    let mut sections: Vec<Section<'_>> = Vec::new();
    for line in sdp.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(media) = line.strip_prefix("m=") {
            // m=<media> <port>[/<count>] <proto> <fmt> ... (RFC 4566 section 5.14)
            let mut fields = media.split(' ').filter(|f| !f.is_empty());
            let kind = fields.next().unwrap_or("");
            let port = fields.next().unwrap_or("");
            let proto = fields.next().unwrap_or("");
            sections.push(Section {
                kind,
                active: port.split('/').next() != Some("0"),
                proto,
                formats: fields.collect(),
                rtpmaps: Vec::new(),
            });
        } else if let Some(rtpmap) = line.strip_prefix("a=rtpmap:")
            && let Some(section) = sections.last_mut()
        {
            // a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]
            let (pt, encoding) = rtpmap.split_once(' ').unwrap_or((rtpmap, ""));
            let mut parts = encoding.split('/');
            let name = parts.next().unwrap_or("");
            let rate = parts.next().unwrap_or("");
            section.rtpmaps.push((pt, name, rate));
        }
    }

    let mut audio = None;
    let mut audio_lines = 0;
    for section in sections.iter().filter(|s| s.active) {
        match section.kind {
            "audio" => {
                audio_lines += 1;
                audio = Some(section);
            }
            "video" => return Err(Error::MediaRefused(RefusedMedia::Video)),
            "application" => return Err(Error::MediaRefused(RefusedMedia::DataChannel)),
            _ => return Err(Error::MediaRefused(RefusedMedia::Other)),
        }
    }
    let audio = match (audio_lines, audio) {
        (1, Some(audio)) => audio,
        (0, _) | (_, None) => return Err(Error::NoAudio),
        (count, _) => return Err(Error::TooManyAudioStreams { count }),
    };
    // WebRTC media is always DTLS-SRTP (RFC 8827 section 6.5): UDP/TLS/RTP/SAVPF from browsers.
    if !audio.proto.eq_ignore_ascii_case("UDP/TLS/RTP/SAVPF")
        && !audio.proto.eq_ignore_ascii_case("UDP/TLS/RTP/SAVP")
    {
        return Err(Error::NotDtlsSrtp);
    }

    let codecs: Vec<Codec> = audio
        .formats
        .iter()
        .filter_map(|pt| offered_codec(audio, pt))
        .filter(|codec| ours.contains(codec))
        .fold(Vec::new(), |mut acc, codec| {
            if !acc.contains(&codec) {
                acc.push(codec);
            }
            acc
        });
    if codecs.is_empty() {
        return Err(Error::NoCommonCodec);
    }
    Ok(AudioOffer { codecs })
}

/// The G.711 codec a payload type of the m-line stands for: its rtpmap if it has one, else the
/// static assignment (RFC 3551 section 6: 0 is PCMU, 8 is PCMA).
fn offered_codec(section: &Section<'_>, pt: &str) -> Option<Codec> {
    match section.rtpmaps.iter().find(|(p, _, _)| *p == pt) {
        Some((_, name, rate)) => (*rate == "8000").then(|| Codec::from_name(name)).flatten(),
        None => pt.parse::<u8>().ok().and_then(Codec::from_payload_type),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME_AUDIO: &str = "v=0\r\n\
        o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n\
        s=-\r\n\
        t=0 0\r\n\
        a=group:BUNDLE 0\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n\
        c=IN IP4 0.0.0.0\r\n\
        a=mid:0\r\n\
        a=rtpmap:111 opus/48000/2\r\n\
        a=rtpmap:63 red/48000/2\r\n\
        a=rtpmap:9 G722/8000\r\n\
        a=rtpmap:0 PCMU/8000\r\n\
        a=rtpmap:8 PCMA/8000\r\n\
        a=rtpmap:13 CN/8000\r\n\
        a=rtpmap:110 telephone-event/48000\r\n\
        a=rtpmap:126 telephone-event/8000\r\n";

    const BOTH: &[Codec] = &[Codec::Pcmu, Codec::Pcma];

    #[test]
    fn a_chrome_audio_offer_is_accepted_with_its_g711_codecs_in_order() {
        let offer = check_offer(CHROME_AUDIO, BOTH).unwrap();
        assert_eq!(offer.codecs, vec![Codec::Pcmu, Codec::Pcma]);
        let offer = check_offer(CHROME_AUDIO, &[Codec::Pcma]).unwrap();
        assert_eq!(offer.codecs, vec![Codec::Pcma]);
    }

    #[test]
    fn static_payload_types_without_rtpmap_count() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 8\r\n";
        assert_eq!(check_offer(sdp, BOTH).unwrap().codecs, vec![Codec::Pcma]);
    }

    #[test]
    fn video_and_data_channels_are_refused_by_name() {
        let video =
            format!("{CHROME_AUDIO}m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n");
        assert!(matches!(
            check_offer(&video, BOTH),
            Err(Error::MediaRefused(RefusedMedia::Video))
        ));
        let data = format!("{CHROME_AUDIO}m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n");
        assert!(matches!(
            check_offer(&data, BOTH),
            Err(Error::MediaRefused(RefusedMedia::DataChannel))
        ));
        // A stopped video m-line (port 0) carries nothing and is no reason to refuse.
        let stopped = format!("{CHROME_AUDIO}m=video 0 UDP/TLS/RTP/SAVPF 96\r\n");
        assert!(check_offer(&stopped, BOTH).is_ok());
    }

    #[test]
    fn offers_without_one_usable_audio_stream_are_refused() {
        assert!(matches!(check_offer("v=0\r\n", BOTH), Err(Error::NoAudio)));
        let two = format!("{CHROME_AUDIO}m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n");
        assert!(matches!(
            check_offer(&two, BOTH),
            Err(Error::TooManyAudioStreams { count: 2 })
        ));
        let opus_only = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n";
        assert!(matches!(
            check_offer(opus_only, BOTH),
            Err(Error::NoCommonCodec)
        ));
        let plain_rtp = "v=0\r\nm=audio 4000 RTP/AVP 0\r\n";
        assert!(matches!(
            check_offer(plain_rtp, BOTH),
            Err(Error::NotDtlsSrtp)
        ));
        let huge = "a".repeat(MAX_OFFER_LEN + 1);
        assert!(matches!(
            check_offer(&huge, BOTH),
            Err(Error::OfferTooLarge { .. })
        ));
    }

    #[test]
    fn pcmu_at_another_rate_is_not_g711() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 PCMU/16000\r\n";
        assert!(matches!(check_offer(sdp, BOTH), Err(Error::NoCommonCodec)));
    }
}
