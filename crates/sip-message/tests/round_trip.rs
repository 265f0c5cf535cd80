//! Property tests: generated messages survive `to_bytes` then `parse` unchanged (Content-Length
//! aside, which `to_bytes` recomputes), their typed headers read back equal to what was
//! printed, and no input whatsoever makes `parse` panic.

use proptest::prelude::*;
use sip_message::{
    CSeq, Header, Headers, Message, Method, NameAddr, Param, Request, Response, SipHeaders, SipUri,
    Uri, Via, parse,
};

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::Invite),
        Just(Method::Ack),
        Just(Method::Bye),
        Just(Method::Cancel),
        Just(Method::Options),
        Just(Method::Register),
        Just(Method::Info),
        Just(Method::Update),
        Just(Method::Prack),
        Just(Method::Subscribe),
        Just(Method::Notify),
        Just(Method::Refer),
        Just(Method::Message),
        // No known method contains an 'X', so these stay `Other`.
        "[A-Z]{0,3}X[a-zA-Z0-9!%*_+`'~.-]{0,6}".prop_map(Method::Other),
    ]
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\\.[a-z]{1,5}){0,2}",
        (any::<u8>(), any::<u8>()).prop_map(|(a, b)| format!("192.0.{a}.{b}")),
        (any::<u16>(), any::<u16>()).prop_map(|(a, b)| format!("[2001:db8::{a:x}:{b:x}]")),
    ]
}

/// Any text at all: the printer escapes what the grammar does not allow.
fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 1..=max).prop_map(|v| v.into_iter().collect())
}

fn sip_uri(with_headers: bool) -> impl Strategy<Value = SipUri> {
    let headers = if with_headers {
        proptest::collection::vec((text(6), prop_oneof![Just(String::new()), text(6)]), 0..3)
            .boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    (
        any::<bool>(),
        proptest::option::of((
            text(10),
            proptest::option::of(prop_oneof![Just(String::new()), text(6)]),
        )),
        host(),
        proptest::option::of(any::<u16>()),
        proptest::collection::vec(
            (
                text(6),
                proptest::option::of(prop_oneof![Just(String::new()), text(6)]),
            ),
            0..4,
        ),
        headers,
    )
        .prop_map(|(secure, userinfo, host, port, params, headers)| {
            let (user, password) = match userinfo {
                Some((u, p)) => (Some(u), p),
                None => (None, None),
            };
            SipUri {
                secure,
                user,
                password,
                host,
                port,
                params: params
                    .into_iter()
                    .map(|(name, value)| Param { name, value })
                    .collect(),
                headers,
            }
        })
}

fn uri(with_headers: bool) -> impl Strategy<Value = Uri> {
    prop_oneof![
        4 => sip_uri(with_headers).prop_map(Uri::Sip),
        1 => (
            "[a-z][a-z0-9+.-]{0,6}".prop_filter("not sip", |s| s != "sip" && s != "sips"),
            "[a-zA-Z0-9:/?#@!$&'()*+,;=._~%-]{1,20}",
        )
            .prop_map(|(scheme, rest)| Uri::Other { scheme, rest }),
    ]
}

fn header_params() -> impl Strategy<Value = Vec<Param>> {
    proptest::collection::vec(
        (
            "[a-zA-Z0-9!%*_+`'~.-]{1,8}",
            proptest::option::of(prop_oneof![
                "[a-zA-Z0-9!%*_+`'~.-]{0,8}",
                "\"[a-zA-Z ,;=]{0,6}\"",
                (any::<u8>(), any::<u8>()).prop_map(|(a, b)| format!("2001:db8::{a:x}:{b:x}")),
            ]),
        )
            .prop_map(|(name, value)| Param { name, value }),
        0..4,
    )
}

fn name_addr() -> impl Strategy<Value = NameAddr> {
    (
        proptest::option::of(
            proptest::collection::vec(
                any::<char>().prop_filter("no CR/LF", |c| *c != '\r' && *c != '\n'),
                0..12,
            )
            .prop_map(|v| v.into_iter().collect::<String>()),
        ),
        uri(true),
        header_params(),
    )
        .prop_map(|(display_name, uri, params)| NameAddr {
            display_name,
            uri,
            params,
        })
}

fn via() -> impl Strategy<Value = Via> {
    (
        prop_oneof![
            Just("UDP"),
            Just("TCP"),
            Just("TLS"),
            Just("SCTP"),
            Just("WS")
        ],
        host(),
        proptest::option::of(any::<u16>()),
        header_params(),
    )
        .prop_map(|(transport, host, port, params)| Via {
            transport: transport.to_owned(),
            host,
            port,
            params,
        })
}

#[derive(Debug, Clone)]
struct Parts {
    vias: Vec<Via>,
    from: NameAddr,
    to: NameAddr,
    call_id: String,
    seq: u32,
    contacts: Vec<NameAddr>,
    max_forwards: Option<u8>,
    extra: Vec<(String, String)>,
    body: Vec<u8>,
}

fn parts() -> impl Strategy<Value = Parts> {
    (
        proptest::collection::vec(via(), 1..4),
        name_addr(),
        name_addr(),
        "[a-zA-Z0-9.!%*_+`'~()<>:\\\\\"/\\[\\]?{}-]{1,16}(@[a-z0-9.]{1,10})?",
        any::<u32>(),
        proptest::collection::vec(name_addr(), 0..3),
        proptest::option::of(any::<u8>()),
        proptest::collection::vec(("X-[a-zA-Z0-9]{1,8}", "([!-~]([ -~]{0,16}[!-~])?)?"), 0..3),
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(
            |(vias, from, to, call_id, seq, contacts, max_forwards, extra, body)| Parts {
                vias,
                from,
                to,
                call_id,
                seq,
                contacts,
                max_forwards,
                extra,
                body,
            },
        )
}

fn headers_for(p: &Parts, method: &Method) -> Headers {
    let mut h = Headers::default();
    // The first Via on its own line, the rest comma-joined on one line.
    h.push("Via", p.vias[0].to_string());
    if p.vias.len() > 1 {
        let rest: Vec<String> = p.vias[1..].iter().map(Via::to_string).collect();
        h.push("Via", rest.join(", "));
    }
    h.push("From", p.from.to_string());
    h.push("To", p.to.to_string());
    h.push("Call-ID", p.call_id.clone());
    h.push(
        "CSeq",
        CSeq {
            seq: p.seq,
            method: method.clone(),
        }
        .to_string(),
    );
    if let Some(mf) = p.max_forwards {
        h.push("Max-Forwards", mf.to_string());
    }
    for c in &p.contacts {
        h.push("Contact", c.to_string());
    }
    for (n, v) in &p.extra {
        h.push(n.clone(), v.clone());
    }
    h
}

fn check_typed(m: &Message, p: &Parts, method: &Method) {
    assert_eq!(m.vias().unwrap(), p.vias);
    assert_eq!(m.top_via().unwrap(), p.vias[0]);
    assert_eq!(m.from_hdr().unwrap(), p.from);
    assert_eq!(m.to_hdr().unwrap(), p.to);
    assert_eq!(m.call_id().unwrap(), p.call_id);
    assert_eq!(
        m.cseq().unwrap(),
        CSeq {
            seq: p.seq,
            method: method.clone()
        }
    );
    assert_eq!(m.contacts().unwrap(), Some(p.contacts.clone()));
    assert_eq!(m.max_forwards().unwrap(), p.max_forwards.map(u32::from));
    assert_eq!(m.body(), &p.body[..]);
}

fn without_content_length(mut m: Message) -> Message {
    m.headers_mut().remove("Content-Length");
    m
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn requests_round_trip(method in method(), uri in uri(false), p in parts()) {
        let request = Request {
            headers: headers_for(&p, &method),
            method: method.clone(),
            uri,
            body: p.body.clone(),
        };
        let wire = request.to_bytes();
        let parsed = parse(&wire).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&wire))
        });
        check_typed(&parsed, &p, &method);
        prop_assert_eq!(without_content_length(parsed), Message::Request(request));
    }

    #[test]
    fn responses_round_trip(
        status in 100u16..=699,
        reason in "\\PC{0,16}",
        method in method(),
        p in parts(),
    ) {
        let response = Response {
            status,
            reason,
            headers: headers_for(&p, &method),
            body: p.body.clone(),
        };
        let wire = response.to_bytes();
        let parsed = parse(&wire).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&wire))
        });
        check_typed(&parsed, &p, &method);
        prop_assert_eq!(without_content_length(parsed), Message::Response(response));
    }

    #[test]
    fn uris_round_trip(uri in uri(true)) {
        let printed = uri.to_string();
        prop_assert_eq!(printed.parse::<Uri>().unwrap(), uri);
    }

    #[test]
    fn name_addrs_round_trip(na in name_addr()) {
        prop_assert_eq!(na.to_string().parse::<NameAddr>().unwrap(), na);
    }

    #[test]
    fn for_request_copies_the_transaction_headers(method in method(), uri in uri(false), p in parts()) {
        let request = Request {
            headers: headers_for(&p, &method),
            method: method.clone(),
            uri,
            body: p.body.clone(),
        };
        let response = Response::for_request(&request, 486, "Busy Here");
        let parsed = parse(&response.to_bytes()).unwrap();
        prop_assert_eq!(parsed.vias().unwrap(), p.vias.clone());
        prop_assert_eq!(parsed.from_hdr().unwrap(), p.from.clone());
        prop_assert_eq!(parsed.to_hdr().unwrap(), p.to.clone());
        prop_assert_eq!(parsed.call_id().unwrap(), p.call_id.as_str());
        prop_assert_eq!(parsed.cseq().unwrap().seq, p.seq);
        prop_assert!(parsed.headers().get("Contact").is_none());
        prop_assert_eq!(parsed.headers().get("Content-Length"), Some("0"));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        reparse_if_ok(&bytes);
    }

    #[test]
    fn mutated_torture_messages_never_panic(
        index in 0usize..49,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let mut bytes = torture_messages()[index].clone();
        for (at, byte, kind) in edits {
            let len = bytes.len();
            match kind {
                0 if len > 0 => bytes[at.index(len)] = byte,
                1 => bytes.insert(at.index(len + 1), byte),
                _ if len > 0 => { bytes.remove(at.index(len)); }
                _ => {}
            }
        }
        reparse_if_ok(&bytes);
    }
}

/// What the fuzz target checks too: a parsed message prints to something that parses back to
/// the same message.
fn reparse_if_ok(bytes: &[u8]) {
    match parse(bytes) {
        Ok(m) => {
            let again = parse(&m.to_bytes()).expect("printed message reparses");
            assert_eq!(without_content_length(again), without_content_length(m));
        }
        Err(e) => {
            if let Some(reply) = e.reply {
                let _ = reply.to_bytes();
            }
        }
    }
}

fn torture_messages() -> &'static Vec<Vec<u8>> {
    static CACHE: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../test-vectors/rfc4475");
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .expect("test vectors")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "dat"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| std::fs::read(p).expect("readable"))
            .collect()
    })
}

#[test]
fn headers_set_and_remove_keep_order() {
    let mut h = Headers(vec![
        Header {
            name: "Via".into(),
            value: "a".into(),
        },
        Header {
            name: "To".into(),
            value: "b".into(),
        },
        Header {
            name: "v".into(),
            value: "c".into(),
        },
    ]);
    h.set("VIA", "x");
    assert_eq!(
        h.0.iter().map(|h| h.value.as_str()).collect::<Vec<_>>(),
        ["x", "b"]
    );
    h.set("Subject", "s");
    assert_eq!(h.get("s"), Some("s"));
    h.remove("t");
    assert_eq!(h.len(), 2);
    assert!(!h.contains("To"));
}
