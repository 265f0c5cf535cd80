//! Printing then parsing gives back the same description, for arbitrary descriptions; and the
//! parser never panics on arbitrary text.

use proptest::prelude::*;
use sdp::{Attribute, Connection, Line, MediaDescription, Origin, SessionDescription, Timing};

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._+-]{1,12}"
}

/// Free text for `s=`, `i=` and attribute values: printable ASCII, no line ends.
fn text() -> impl Strategy<Value = String> {
    "[ -~]{0,20}"
}

fn connection() -> impl Strategy<Value = Connection> {
    (
        prop::sample::select(vec!["IP4", "IP6"]),
        "[0-9a-f.:/]{1,20}",
    )
        .prop_map(|(addr_type, address)| Connection {
            net_type: "IN".into(),
            addr_type: addr_type.into(),
            address,
        })
}

fn attribute() -> impl Strategy<Value = Attribute> {
    ("[a-z][a-z0-9-]{0,10}", prop::option::of(text()))
        .prop_map(|(name, value)| Attribute { name, value })
}

fn lines(kinds: &'static str) -> impl Strategy<Value = Vec<Line>> {
    let kinds: Vec<char> = kinds.chars().collect();
    let order = kinds.clone();
    prop::collection::vec((prop::sample::select(kinds), "[ -~]{1,15}"), 0..4).prop_map(
        move |mut lines| {
            // The printer emits kept lines grouped in RFC order; generate them that way.
            lines.sort_by_key(|(kind, _)| order.iter().position(|k| k == kind));
            lines
                .into_iter()
                .map(|(kind, value)| Line { kind, value })
                .collect()
        },
    )
}

fn media() -> impl Strategy<Value = MediaDescription> {
    (
        (
            "[a-z]{1,8}",
            any::<u16>(),
            prop::option::of(any::<u16>()),
            "[A-Z/]{1,10}",
        ),
        prop::collection::vec("[0-9a-z]{1,4}", 1..6),
        prop::option::of(connection()),
        prop::collection::vec(attribute(), 0..5),
        lines("ibk"),
    )
        .prop_map(
            |((media, port, port_count, protocol), formats, connection, attributes, other)| {
                MediaDescription {
                    media,
                    port,
                    port_count,
                    protocol,
                    formats,
                    connection,
                    attributes,
                    other,
                }
            },
        )
}

fn description() -> impl Strategy<Value = SessionDescription> {
    (
        (token(), "[0-9]{1,20}", "[0-9]{1,20}", token()),
        text(),
        prop::option::of(connection()),
        prop::collection::vec((any::<u64>(), any::<u64>()), 1..3),
        prop::collection::vec(attribute(), 0..4),
        // `r=` is left out: it belongs after its `t=` and is printed after all of them.
        lines("iuepbzk"),
        prop::collection::vec(media(), 0..4),
    )
        .prop_map(
            |(
                (username, session_id, session_version, address),
                session_name,
                connection,
                timing,
                attributes,
                other,
                media,
            )| {
                SessionDescription {
                    origin: Origin {
                        username,
                        session_id,
                        session_version,
                        net_type: "IN".into(),
                        addr_type: "IP4".into(),
                        address,
                    },
                    session_name,
                    connection,
                    timing: timing
                        .into_iter()
                        .map(|(start, stop)| Timing { start, stop })
                        .collect(),
                    attributes,
                    other,
                    media,
                }
            },
        )
}

proptest! {
    #[test]
    fn print_then_parse_is_identity(original in description()) {
        let printed = original.to_string();
        prop_assert!(printed.ends_with("\r\n"));
        let parsed = SessionDescription::parse(&printed).unwrap();
        prop_assert_eq!(&parsed, &original);
        // And LF-only input parses the same.
        prop_assert_eq!(SessionDescription::parse(&printed.replace("\r\n", "\n")).unwrap(), original);
    }

    #[test]
    fn parse_never_panics_and_printing_is_stable(input in "(([a-z]=[ -~]{0,30})?\r?\n){0,12}") {
        if let Ok(parsed) = SessionDescription::parse(&input) {
            let printed = parsed.to_string();
            let reparsed = SessionDescription::parse(&printed).unwrap();
            prop_assert_eq!(reparsed.to_string(), printed);
        }
    }

    /// Mostly well-formed descriptions, to get past the first lines often.
    #[test]
    fn printing_is_stable_for_near_valid_input(
        lines in prop::collection::vec(
            prop::sample::select(vec![
                "c=IN IP4 10.0.0.1", "t=0 0", "a=sendonly", "a=rtpmap:0 PCMU/8000", "b=AS:64",
                "m=audio 4000 RTP/AVP 0 8 101", "m=video 0 RTP/AVP 31", "i=x", "k=prompt",
                "a=rtpmap:101 telephone-event/8000", "r=1 2 3", "c=IN IP6 ::1", "m=audio 0 RTP/AVP 0",
            ]),
            0..12,
        )
    ) {
        let input = format!("v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\n{}\n", lines.join("\n"));
        if let Ok(parsed) = SessionDescription::parse(&input) {
            let printed = parsed.to_string();
            let reparsed = SessionDescription::parse(&printed).unwrap();
            prop_assert_eq!(reparsed.to_string(), printed);
            let local = std::net::IpAddr::from([192, 0, 2, 1]);
            if let Ok((answer, _)) = sdp::answer(&parsed, local, 30000, &media::Codec::ALL, 1) {
                prop_assert_eq!(SessionDescription::parse(&answer.to_string()).unwrap(), answer.clone());
                prop_assert_eq!(answer.media.len(), parsed.media.len());
            }
        }
    }

    #[test]
    fn parse_bytes_never_panics(input in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = SessionDescription::from_bytes(&input);
    }
}
