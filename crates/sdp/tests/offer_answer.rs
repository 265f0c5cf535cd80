//! Answers to the offers real phones send, and the other direction: our offer, their answer
//! (RFC 3264).

use std::net::{IpAddr, SocketAddr};

use media::Codec;
use sdp::{Direction, SdpError, SessionDescription, answer, negotiate_answer, offer};

const LOCAL: &str = "192.0.2.10";

fn local() -> IpAddr {
    LOCAL.parse().unwrap()
}

fn answer_to(text: &str) -> Result<(SessionDescription, sdp::Negotiated), SdpError> {
    let offer = SessionDescription::parse(text).unwrap();
    answer(&offer, local(), 30000, &Codec::ALL, 777)
}

/// SIPp's `uac_pcap` scenario offer.
const SIPP: &str = "v=0\r\n\
o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n\
s=-\r\n\
c=IN IP4 127.0.0.1\r\n\
t=0 0\r\n\
m=audio 6000 RTP/AVP 8 101\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-11,16\r\n";

/// A baresip offer: opus first, G.711 later, session-level tool attribute, bandwidth line.
const BARESIP: &str = "v=0\r\n\
o=- 1234017289 2010307926 IN IP4 10.1.2.3\r\n\
s=-\r\n\
c=IN IP4 10.1.2.3\r\n\
t=0 0\r\n\
a=tool:baresip 3.10.1\r\n\
m=audio 10664 RTP/AVP 96 9 0 8 101\r\n\
b=AS:117\r\n\
a=rtpmap:96 opus/48000/2\r\n\
a=fmtp:96 stereo=1;sprop-stereo=1\r\n\
a=rtpmap:9 G722/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n\
a=rtcp-rsize\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n";

/// A Linphone offer: several telephone-event clock rates, LF line ends, and a video stream.
const LINPHONE: &str = "v=0\n\
o=bob 3134 2395 IN IP4 10.1.2.4\n\
s=Talk\n\
c=IN IP4 10.1.2.4\n\
t=0 0\n\
a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\n\
a=record:off\n\
m=audio 7078 RTP/AVP 96 97 18 8 0 101 99 100\n\
a=rtpmap:96 opus/48000/2\n\
a=fmtp:96 useinbandfec=1\n\
a=rtpmap:97 speex/16000\n\
a=rtpmap:18 G729/8000\n\
a=fmtp:18 annexb=yes\n\
a=rtpmap:101 telephone-event/48000\n\
a=rtpmap:99 telephone-event/16000\n\
a=rtpmap:100 telephone-event/8000\n\
a=rtcp-fb:* trr-int 5000\n\
m=video 9078 RTP/AVP 96\n\
a=rtpmap:96 VP8/90000\n\
a=sendrecv\n";

#[test]
fn sipp_offer() {
    let (answer, agreed) = answer_to(SIPP).unwrap();
    assert_eq!(agreed.codec, Codec::Pcma);
    assert_eq!(agreed.payload_type, 8);
    assert_eq!(agreed.telephone_event_pt, Some(101));
    assert_eq!(
        agreed.remote,
        "127.0.0.1:6000".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(agreed.direction, Direction::SendRecv);
    assert_eq!(
        answer.to_string(),
        "v=0\r\n\
         o=centralino 777 777 IN IP4 192.0.2.10\r\n\
         s=-\r\n\
         c=IN IP4 192.0.2.10\r\n\
         t=0 0\r\n\
         m=audio 30000 RTP/AVP 8 101\r\n\
         a=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-15\r\n\
         a=ptime:20\r\n\
         a=sendrecv\r\n"
    );
}

#[test]
fn baresip_offer_picks_first_g711_in_offer_order() {
    let (ours, agreed) = answer_to(BARESIP).unwrap();
    assert_eq!((agreed.codec, agreed.payload_type), (Codec::Pcmu, 0));
    assert_eq!(agreed.telephone_event_pt, Some(101));
    assert_eq!(
        agreed.remote,
        "10.1.2.3:10664".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(ours.media[0].formats, ["0", "101"]);
    // Only PCMA accepted: the offer's PCMA is chosen.
    let offer = SessionDescription::parse(BARESIP).unwrap();
    let (_, agreed) = answer(&offer, local(), 30000, &[Codec::Pcma], 1).unwrap();
    assert_eq!(agreed.codec, Codec::Pcma);
}

#[test]
fn linphone_offer_uses_8khz_telephone_event_and_rejects_video() {
    let (answer, agreed) = answer_to(LINPHONE).unwrap();
    assert_eq!((agreed.codec, agreed.payload_type), (Codec::Pcma, 8));
    assert_eq!(agreed.telephone_event_pt, Some(100));
    assert_eq!(agreed.media_index, 0);
    assert_eq!(
        answer.media.len(),
        2,
        "one m-line per offered m-line (RFC 3264 section 6)"
    );
    let video = &answer.media[1];
    assert_eq!((video.media.as_str(), video.port), ("video", 0));
    assert_eq!(video.formats, ["96"]);
    assert!(video.attributes.is_empty());
    // The answer is itself valid SDP.
    assert_eq!(
        SessionDescription::parse(&answer.to_string()).unwrap(),
        answer
    );
}

#[test]
fn rfc4475_sdp01_offer_gets_pcmu_and_video_rejected() {
    let message = include_str!("vectors/sdp01.dat");
    let body = message.split_once("\r\n\r\n").unwrap().1;
    let (answer, agreed) = answer_to(body).unwrap();
    assert_eq!(agreed.codec, Codec::Pcmu);
    assert_eq!(agreed.telephone_event_pt, None);
    assert_eq!(
        agreed.remote,
        "192.0.2.5:49217".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(answer.media[0].formats, ["0"]);
    assert_eq!(answer.media[1].port, 0);
}

#[test]
fn direction_is_mirrored() {
    for (offered, answered) in [
        ("sendrecv", Direction::SendRecv),
        ("sendonly", Direction::RecvOnly),
        ("recvonly", Direction::SendOnly),
        ("inactive", Direction::Inactive),
    ] {
        // Media level.
        let text = SIPP.replace(
            "a=fmtp:101 0-11,16\r\n",
            &format!("a=fmtp:101 0-11,16\r\na={offered}\r\n"),
        );
        let (answer, agreed) = answer_to(&text).unwrap();
        assert_eq!(agreed.direction, answered, "offer {offered}");
        assert_eq!(answer.media[0].direction(), Some(answered));
        // Session level.
        let text = SIPP.replace("t=0 0\r\n", &format!("t=0 0\r\na={offered}\r\n"));
        assert_eq!(
            answer_to(&text).unwrap().1.direction,
            answered,
            "session-level {offered}"
        );
    }
}

#[test]
fn dynamic_payload_type_for_g711() {
    let text = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
        m=audio 4000 RTP/AVP 112 0\r\na=rtpmap:112 pcma/8000/1\r\n";
    let agreed = answer_to(text).unwrap().1;
    assert_eq!((agreed.codec, agreed.payload_type), (Codec::Pcma, 112));
    // An rtpmap remapping a static number wins over the static assignment.
    let text = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
        m=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 opus/48000/2\r\n";
    assert_eq!(answer_to(text).unwrap().1.codec, Codec::Pcma);
}

#[test]
fn media_level_connection_and_ipv6() {
    let text = "v=0\r\no=- 1 1 IN IP6 2001:db8::5\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
        m=audio 4000 RTP/AVP 0\r\nc=IN IP6 2001:db8::5\r\n";
    assert_eq!(
        answer_to(text).unwrap().1.remote,
        "[2001:db8::5]:4000".parse::<SocketAddr>().unwrap()
    );
}

#[test]
fn unacceptable_offers() {
    let base = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n";
    let case = |media: &str| answer_to(&format!("{base}{media}")).unwrap_err();
    assert_eq!(
        case("m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"),
        SdpError::NoCommonCodec
    );
    assert_eq!(
        case("m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 PCMU/16000\r\n"),
        SdpError::NoCommonCodec
    );
    assert_eq!(case("m=audio 0 RTP/AVP 0\r\n"), SdpError::StreamRejected);
    assert_eq!(case("m=audio 4000 RTP/SAVP 0\r\n"), SdpError::NoAudioStream);
    assert_eq!(case("m=video 4000 RTP/AVP 31\r\n"), SdpError::NoAudioStream);
    let no_c = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    assert_eq!(answer_to(no_c).unwrap_err(), SdpError::MissingConnection);
    let fqdn = no_c.replace("t=0 0", "c=IN IP4 pbx.example.com\r\nt=0 0");
    assert_eq!(answer_to(&fqdn).unwrap_err(), SdpError::UnusableAddress);
    let offer = SessionDescription::parse(SIPP).unwrap();
    assert_eq!(
        answer(&offer, local(), 1, &[], 1).unwrap_err(),
        SdpError::NoCommonCodec
    );
}

#[test]
fn disabled_first_stream_skipped_for_the_next_audio_stream() {
    let text = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
        m=audio 0 RTP/AVP 0\r\nm=audio 5000 RTP/AVP 8\r\n";
    let (answer, agreed) = answer_to(text).unwrap();
    assert_eq!(agreed.media_index, 1);
    assert_eq!(answer.media[0].port, 0);
    assert_eq!(answer.media[1].port, 30000);
}

#[test]
fn our_offer_and_their_answer() {
    let ours = offer(local(), 30000, &[Codec::Pcmu, Codec::Pcma], 101, 99, 1);
    assert_eq!(
        ours.to_string(),
        "v=0\r\n\
         o=centralino 99 1 IN IP4 192.0.2.10\r\n\
         s=-\r\n\
         c=IN IP4 192.0.2.10\r\n\
         t=0 0\r\n\
         m=audio 30000 RTP/AVP 0 8 101\r\n\
         a=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-15\r\n\
         a=ptime:20\r\n\
         a=sendrecv\r\n"
    );
    // The far end answers our offer with our own answer function: both sides agree.
    let remote: IpAddr = "198.51.100.20".parse().unwrap();
    let (theirs, their_view) = answer(&ours, remote, 40000, &[Codec::Pcma], 5).unwrap();
    let our_view = negotiate_answer(&ours, &theirs).unwrap();
    assert_eq!(our_view.codec, Codec::Pcma);
    assert_eq!(our_view.payload_type, their_view.payload_type);
    assert_eq!(our_view.telephone_event_pt, Some(101));
    assert_eq!(our_view.remote, SocketAddr::new(remote, 40000));
    assert_eq!(their_view.remote, SocketAddr::new(local(), 30000));
    assert_eq!(our_view.direction, Direction::SendRecv);

    // An answer that puts us on hold (they only send): we only receive.
    let mut hold = theirs.clone();
    hold.media[0].attributes.retain(|a| a.name != "sendrecv");
    hold.media[0]
        .attributes
        .push(sdp::Attribute::flag("sendonly"));
    assert_eq!(
        negotiate_answer(&ours, &hold).unwrap().direction,
        Direction::RecvOnly
    );

    // A rejected stream, a mismatched answer, a codec we never offered.
    let mut rejected = theirs.clone();
    rejected.media[0].port = 0;
    assert_eq!(
        negotiate_answer(&ours, &rejected).unwrap_err(),
        SdpError::StreamRejected
    );
    let mut extra = theirs.clone();
    extra.media.push(theirs.media[0].clone());
    assert_eq!(
        negotiate_answer(&ours, &extra).unwrap_err(),
        SdpError::AnswerMismatch
    );
    let only_pcmu = offer(local(), 30000, &[Codec::Pcmu], 101, 99, 2);
    assert_eq!(
        negotiate_answer(&only_pcmu, &theirs).unwrap_err(),
        SdpError::NoCommonCodec
    );
}
