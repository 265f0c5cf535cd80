//! Every message of RFC 4475 ("SIP Torture Test Messages"), with the handling decided for it.
//!
//! The table names all 49 files; the test also checks the directory holds exactly those, so a
//! file cannot be skipped silently. Where the RFC names a response that an application (UAS,
//! registrar, proxy) gives to a message that parses, the table writes it down for the engine:
//! see [`Expect::Parses`].

use std::collections::BTreeSet;

use sip_message::{Message, Method, SipHeaders, Uri, parse};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../test-vectors/rfc4475");

#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Must parse. `app` is what the application layer must then do, as the RFC says; the
    /// parser has nothing more to do with it.
    Parses { app: &'static str },
    /// An RFC 4475 3.1.2 message we accept on purpose, because the RFC allows it.
    Lenient { why: &'static str },
    /// `parse` rejects it. `reply` is the status of [`sip_message::ParseError::reply`], or
    /// `None` when the datagram is dropped (responses).
    Rejected {
        reply: Option<u16>,
        why: &'static str,
    },
}
use Expect::*;

/// (file, RFC 4475 section, expected handling)
const TABLE: &[(&str, &str, Expect)] = &[
    // 3.1.1 Valid messages: parse, handle as normal.
    (
        "wsinv",
        "3.1.1.1",
        Parses {
            app: "normal INVITE processing",
        },
    ),
    (
        "intmeth",
        "3.1.1.2",
        Parses {
            app: "unknown method: UAS answers 405 Method Not Allowed (RFC 3261 8.2.1), or 501",
        },
    ),
    (
        "esc01",
        "3.1.1.3",
        Parses {
            app: "normal INVITE; Request-URI user compares after unescaping (RFC 3261 19.1.4)",
        },
    ),
    (
        "escnull",
        "3.1.1.4",
        Parses {
            app: "normal REGISTER; the user parts hold NUL octets",
        },
    ),
    (
        "esc02",
        "3.1.1.5",
        Parses {
            app: "RE%47IST%45R is an unknown method, not REGISTER: 405/501; C%6Fntact is an unknown header, not Contact",
        },
    ),
    (
        "lwsdisp",
        "3.1.1.6",
        Parses {
            app: "normal OPTIONS",
        },
    ),
    (
        "longreq",
        "3.1.1.7",
        Parses {
            app: "normal INVITE (34 Via values, long fields)",
        },
    ),
    (
        "dblreq",
        "3.1.1.8",
        Parses {
            app: "only the REGISTER is processed: Content-Length 0 ends it, the INVITE after it is ignored (RFC 3261 18.3)",
        },
    ),
    (
        "semiuri",
        "3.1.1.9",
        Parses {
            app: "normal OPTIONS; the ';' belongs to the user part",
        },
    ),
    (
        "transports",
        "3.1.1.10",
        Parses {
            app: "normal OPTIONS; a proxy must forward unknown transports in Via untouched",
        },
    ),
    (
        "mpart01",
        "3.1.1.11",
        Parses {
            app: "normal MESSAGE; the body is binary and kept as bytes",
        },
    ),
    (
        "unreason",
        "3.1.1.12",
        Parses {
            app: "normal 200; the reason phrase is UTF-8 and carries no meaning",
        },
    ),
    (
        "noreason",
        "3.1.1.13",
        Parses {
            app: "normal 100; empty reason phrase",
        },
    ),
    // 3.1.2 Invalid messages.
    (
        "badinv01",
        "3.1.2.1",
        Rejected {
            reply: Some(400),
            why: "empty Via and Contact parameters: ';;,;,,' and ';;;;'",
        },
    ),
    (
        "clerr",
        "3.1.2.2",
        Rejected {
            reply: Some(400),
            why: "Content-Length 9999 larger than the datagram: 400 over UDP",
        },
    ),
    (
        "ncl",
        "3.1.2.3",
        Rejected {
            reply: Some(400),
            why: "negative Content-Length",
        },
    ),
    (
        "scalar02",
        "3.1.2.4",
        Rejected {
            reply: Some(400),
            why: "CSeq beyond 2^32-1 (the RFC says 400 because of the CSeq); Max-Forwards 300 is out of 0-255 too",
        },
    ),
    (
        "scalarlg",
        "3.1.2.5",
        Rejected {
            reply: None,
            why: "a response with CSeq beyond 2^32-1: dropped",
        },
    ),
    (
        "quotbal",
        "3.1.2.6",
        Rejected {
            reply: Some(400),
            why: "unterminated quoted string in To",
        },
    ),
    (
        "ltgtruri",
        "3.1.2.7",
        Rejected {
            reply: Some(400),
            why: "Request-URI enclosed in <>",
        },
    ),
    (
        "lwsruri",
        "3.1.2.8",
        Rejected {
            reply: Some(400),
            why: "white space inside the Request-URI",
        },
    ),
    (
        "lwsstart",
        "3.1.2.9",
        Rejected {
            reply: Some(400),
            why: "several SP between request line elements",
        },
    ),
    (
        "trws",
        "3.1.2.10",
        Rejected {
            reply: Some(400),
            why: "SP after the SIP version in the request line",
        },
    ),
    (
        "escruri",
        "3.1.2.11",
        Rejected {
            reply: Some(400),
            why: "escaped headers in the Request-URI: 'acceptable to reject this request with a 400'; we do not take the liberal option of ignoring them",
        },
    ),
    (
        "baddate",
        "3.1.2.12",
        Lenient {
            why: "non-GMT Date: 'an element shouldn't [reject] unless the contents of the Date header field were actually important to its processing' and may ignore the value; centralino never interprets Date, so it is kept as an opaque header",
        },
    ),
    (
        "regbadct",
        "3.1.2.13",
        Rejected {
            reply: Some(400),
            why: "Contact URI with '?' headers not in <> (RFC 3261 20.10); 'reasonable ... to respond with a 400'",
        },
    ),
    (
        "badaspec",
        "3.1.2.14",
        Rejected {
            reply: Some(400),
            why: "spaces inside <> in To; 'reasonable to reject ... with a 400'",
        },
    ),
    (
        "baddn",
        "3.1.2.15",
        Rejected {
            reply: Some(400),
            why: "unquoted display names with non-token characters (',')",
        },
    ),
    (
        "badvers",
        "3.1.2.16",
        Rejected {
            reply: Some(505),
            why: "SIP/7.0: 505 Version Not Supported",
        },
    ),
    (
        "mismatch01",
        "3.1.2.17",
        Rejected {
            reply: Some(400),
            why: "CSeq method differs from the request method",
        },
    ),
    (
        "mismatch02",
        "3.1.2.18",
        Rejected {
            reply: Some(501),
            why: "unknown method with a mismatched CSeq: the RFC prefers 501 Not Implemented over 400",
        },
    ),
    (
        "bigcode",
        "3.1.2.19",
        Rejected {
            reply: None,
            why: "a response with status 4294967301: dropped",
        },
    ),
    // 3.2 Transaction layer semantics.
    (
        "badbranch",
        "3.2.1",
        Parses {
            app: "branch is the bare magic cookie, so it is not an RFC 3261 branch (Via::has_rfc3261_branch is false): the transaction layer falls back to RFC 2543 matching (RFC 3261 17.2.3) or answers 400 statelessly",
        },
    ),
    // 3.3 Application layer semantics.
    (
        "insuf",
        "3.3.1",
        Rejected {
            reply: Some(400),
            why: "no Call-ID, From or To: 'ideally, it will respond with a 400'; the reply copies the Via and CSeq that are there",
        },
    ),
    (
        "unkscm",
        "3.3.2",
        Parses {
            app: "Request-URI scheme is unknown: UAS answers 416 Unsupported URI Scheme",
        },
    ),
    (
        "novelsc",
        "3.3.3",
        Parses {
            app: "Request-URI scheme soap.beep is never served: UAS answers 416 Unsupported URI Scheme (404 if the element accepted some URIs of that scheme)",
        },
    ),
    (
        "unksm2",
        "3.3.4",
        Parses {
            app: "isbn:/http:/name: URIs in To, From, Contact: a registrar answers 400 Bad Request because the To of a REGISTER must be a SIP or SIPS AOR; a proxy routes it like any request",
        },
    ),
    (
        "bext01",
        "3.3.5",
        Parses {
            app: "UAS answers 420 Bad Extension with 'Unsupported: nothingSupportsThis, nothingSupportsThisEither' (from Require; a proxy would list the Proxy-Require ones)",
        },
    ),
    (
        "invut",
        "3.3.6",
        Parses {
            app: "UAS answers 415 Unsupported Media Type with an Accept header listing what it takes (application/sdp)",
        },
    ),
    (
        "regaut01",
        "3.3.7",
        Parses {
            app: "unknown Authorization scheme: a registrar that authenticates answers 401 with a challenge in a scheme it knows (Digest); one that does not ignores the header; an endpoint that is not a registrar answers 405 Method Not Allowed",
        },
    ),
    (
        "multi01",
        "3.3.8",
        Rejected {
            reply: Some(400),
            why: "several Call-ID, To, From, Max-Forwards and CSeq values: 'would respond with a 400 Bad Request'",
        },
    ),
    (
        "mcl01",
        "3.3.9",
        Rejected {
            reply: Some(400),
            why: "conflicting Content-Length values: framing is unknown, 'should respond with an error'; over a stream transport the connection must also be closed",
        },
    ),
    (
        "bcast",
        "3.3.10",
        Parses {
            app: "a 200 whose second Via is 255.255.255.255: an endpoint with no matching transaction discards it; a proxy must never forward a response to a broadcast address",
        },
    ),
    (
        "zeromf",
        "3.3.11",
        Parses {
            app: "Max-Forwards 0: a UAS processes it normally (a proxy would answer 483 Too Many Hops)",
        },
    ),
    (
        "cparam01",
        "3.3.12",
        Parses {
            app: "REGISTER succeeds; 'unknownparam' is a contact parameter (addr-spec form), not a URI parameter, and is returned as such",
        },
    ),
    (
        "cparam02",
        "3.3.13",
        Parses {
            app: "REGISTER succeeds; 'unknownparam' is a URI parameter and must be kept in the binding's URI",
        },
    ),
    (
        "regescrt",
        "3.3.14",
        Parses {
            app: "REGISTER succeeds; the binding keeps the escaped '?Route=' header in its URI (it is not turned into a Route header)",
        },
    ),
    (
        "sdp01",
        "3.3.15",
        Parses {
            app: "Accept lacks application/sdp while the offer is SDP: UAS answers 406 Not Acceptable",
        },
    ),
    // 3.4 Backward compatibility.
    (
        "inv2543",
        "3.4.1",
        Parses {
            app: "RFC 2543 INVITE: no branch (RFC 2543 transaction matching, RFC 3261 17.2.3), no From tag, no Max-Forwards, no Content-Length (body is the rest of the datagram); process normally",
        },
    ),
];

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}/{name}.dat")).unwrap_or_else(|e| panic!("{name}.dat: {e}"))
}

fn parsed(name: &str) -> Message {
    parse(&read(name)).unwrap_or_else(|e| panic!("{name} must parse: {e}"))
}

fn request(name: &str) -> sip_message::Request {
    match parsed(name) {
        Message::Request(r) => r,
        Message::Response(_) => panic!("{name} is a request"),
    }
}

fn sip_user(uri: &Uri) -> Option<&str> {
    uri.as_sip().and_then(|u| u.user.as_deref())
}

/// Content-Length is recomputed by `to_bytes` (and added when the input had none).
fn without_content_length(mut m: Message) -> Message {
    m.headers_mut().remove("Content-Length");
    m
}

#[test]
fn table_covers_exactly_the_directory() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(DIR)
        .expect("test-vector directory")
        .map(|e| {
            e.expect("directory entry")
                .file_name()
                .into_string()
                .expect("utf-8 name")
        })
        .filter_map(|n| n.strip_suffix(".dat").map(str::to_owned))
        .collect();
    let in_table: BTreeSet<String> = TABLE.iter().map(|(n, _, _)| (*n).to_owned()).collect();
    assert_eq!(TABLE.len(), 49, "a file is listed twice");
    assert_eq!(in_table.len(), 49);
    assert_eq!(on_disk, in_table);
}

#[test]
fn every_message_is_handled_as_the_table_says() {
    for (name, section, expect) in TABLE {
        let bytes = read(name);
        let result = parse(&bytes);
        match (expect, result) {
            (Parses { app: note } | Lenient { why: note }, Ok(message)) => {
                assert!(
                    !note.is_empty(),
                    "{name}: every entry says how it is handled"
                );
                // Accessors cannot fail on a parsed message.
                message.vias().unwrap();
                message.top_via().unwrap();
                message.from_hdr().unwrap();
                message.to_hdr().unwrap();
                message.call_id().unwrap();
                message.cseq().unwrap();
                message.contacts().unwrap();
                message.max_forwards().unwrap();
                message.routes().unwrap();
                message.record_routes().unwrap();
            }
            (Rejected { reply, why }, Err(error)) => {
                assert_eq!(
                    error.reply.as_ref().map(|r| r.status),
                    *reply,
                    "{name} ({section}, {why}): reply for '{}'",
                    error.reason
                );
                if let Some(r) = &error.reply {
                    assert!(r.reason.starts_with(sip_message::default_reason(r.status)));
                    assert_eq!(r.headers.get("Content-Length"), Some("0"));
                    // The reply is itself a parseable wire message when the copied headers
                    // are sound.
                    if !matches!(
                        *name,
                        "badinv01" | "insuf" | "quotbal" | "baddn" | "badaspec" | "scalar02"
                    ) {
                        let wire = r.to_bytes();
                        parse(&wire).unwrap_or_else(|e| panic!("{name}: reply reparse: {e}"));
                    }
                }
            }
            (expect, result) => panic!("{name} ({section}): expected {expect:?}, got {result:?}"),
        }
    }
}

#[test]
fn valid_messages_round_trip() {
    for (name, _, expect) in TABLE {
        if matches!(expect, Rejected { .. }) {
            continue;
        }
        let first = parsed(name);
        let again = parse(&first.to_bytes()).unwrap_or_else(|e| panic!("{name}: reparse: {e}"));
        assert_eq!(again.body(), first.body(), "{name}");
        assert_eq!(
            without_content_length(again),
            without_content_length(first),
            "{name}"
        );
    }
}

#[test]
fn wsinv_whitespace_folding_and_compact_forms() {
    let r = request("wsinv");
    assert_eq!(r.method, Method::Invite);
    assert_eq!(r.call_id().unwrap(), "wsinv.ndaksdj@192.0.2.1");
    assert_eq!(r.to_hdr().unwrap().tag(), Some("1918181833n"));
    let from = r.from_hdr().unwrap();
    assert_eq!(from.display_name.as_deref(), Some(r#"J Rosenberg \""#));
    assert_eq!(from.tag(), Some("98asjd8"));
    assert_eq!(r.max_forwards().unwrap(), Some(68));
    let cseq = r.cseq().unwrap();
    assert_eq!((cseq.seq, cseq.method), (9, Method::Invite));
    let vias = r.vias().unwrap();
    let hops: Vec<(&str, &str, Option<&str>)> = vias
        .iter()
        .map(|v| (v.transport.as_str(), v.host.as_str(), v.branch()))
        .collect();
    assert_eq!(
        hops,
        [
            ("UDP", "192.0.2.2", Some("390skdjuw")),
            ("TCP", "spindle.example.com", Some("z9hG4bK9ikj8")),
            ("UDP", "192.168.255.111", Some("z9hG4bK30239")),
        ]
    );
    assert_eq!(
        r.headers.get("NewFangledHeader"),
        Some("newfangled value continued newfangled value")
    );
    assert_eq!(r.headers.get("Subject"), Some(""));
    assert_eq!(
        r.headers.get("UnknownHeaderWithUnusualValue"),
        Some(";;,,;;,;")
    );
    let contacts = r.contacts().unwrap().unwrap();
    assert_eq!(
        contacts[0].display_name.as_deref(),
        Some(r#"Quoted string """#)
    );
    assert_eq!(contacts[0].param("q"), Some(Some("0.33")));
    assert_eq!(contacts[0].param("secondparam"), Some(None));
    let route = r.routes().unwrap();
    assert!(route[0].uri.as_sip().unwrap().is_loose_router());
    assert_eq!(r.body.len(), 150);
    // Compact and odd-case names are stored in their long, usual spelling.
    assert!(r.headers.iter().any(|h| h.name == "Max-Forwards"));
    assert!(r.headers.iter().any(|h| h.name == "Contact"));
}

#[test]
fn intmeth_unusual_method_and_uri() {
    let r = request("intmeth");
    let method = "!interesting-Method0123456789_*+`.%indeed'~";
    assert_eq!(r.method, Method::Other(method.into()));
    assert_eq!(r.cseq().unwrap().method.as_str(), method);
    let uri = r.uri.as_sip().unwrap();
    assert_eq!(
        uri.user.as_deref(),
        Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
    );
    assert_eq!(
        uri.password.as_deref(),
        Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
    );
    assert_eq!(uri.host, "example.com");
    assert_eq!(
        r.to_hdr().unwrap().display_name.as_deref(),
        Some("BEL:\x07 NUL:\x00 DEL:\x7f")
    );
    let from = r.from_hdr().unwrap();
    assert_eq!(
        from.display_name.as_deref(),
        Some("token1~` token2'+_ token3*%!.-")
    );
    assert_eq!(from.tag(), Some("_token~1'+`*%!-."));
    assert_eq!(
        r.call_id().unwrap(),
        "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    );
    assert_eq!(r.top_via().unwrap().branch(), Some("z9hG4bK-.!%66*_+`'~"));
}

#[test]
fn esc01_and_escnull_decode_user_parts() {
    let r = request("esc01");
    assert_eq!(sip_user(&r.uri), Some("sips:user@example.com"));
    assert_eq!(r.uri.as_sip().unwrap().host, "example.net");
    assert_eq!(sip_user(&r.to_hdr().unwrap().uri), Some("user"));
    assert_eq!(sip_user(&r.from_hdr().unwrap().uri), Some("I have spaces"));
    let contact = &r.contacts().unwrap().unwrap()[0];
    assert_eq!(sip_user(&contact.uri), Some("caller"));
    let curi = contact.uri.as_sip().unwrap();
    assert!(curi.is_loose_router(), "%6C%72 is lr");
    assert_eq!(curi.param("name"), Some(Some("value%41")));
    assert_eq!(r.content_type(), Some("application/sdp"));

    let r = request("escnull");
    assert_eq!(sip_user(&r.to_hdr().unwrap().uri), Some("null-\0-null"));
    let users: Vec<Option<String>> = r
        .contacts()
        .unwrap()
        .unwrap()
        .iter()
        .map(|c| sip_user(&c.uri).map(str::to_owned))
        .collect();
    assert_eq!(users, [Some("\0".into()), Some("\0\0".into())]);
}

#[test]
fn esc02_escaped_method_and_header_name_are_not_decoded() {
    let r = request("esc02");
    assert_eq!(r.method, Method::Other("RE%47IST%45R".into()));
    assert_eq!(r.contacts().unwrap().unwrap().len(), 2);
    assert_eq!(
        r.headers.get("C%6Fntact"),
        Some("<sip:alias2@host2.example.com>")
    );
    assert_eq!(r.to_hdr().unwrap().display_name.as_deref(), Some("%Z%45"));
}

#[test]
fn other_valid_messages() {
    let r = request("lwsdisp");
    assert_eq!(
        r.from_hdr().unwrap().display_name.as_deref(),
        Some("caller")
    );

    let r = request("longreq");
    assert_eq!(r.vias().unwrap().len(), 34);
    assert_eq!(r.vias().unwrap()[33].received(), Some("192.0.2.5"));
    assert_eq!(r.body.len(), 150);
    let to = r.to_hdr().unwrap();
    assert!(to.display_name.unwrap().ends_with("extreme proportion"));
    assert_eq!(to.uri.as_sip().unwrap().port, Some(6000));

    let r = request("dblreq");
    assert_eq!(r.method, Method::Register);
    assert!(r.body.is_empty());

    let r = request("semiuri");
    let uri = r.uri.as_sip().unwrap();
    assert_eq!(uri.user.as_deref(), Some("user;par=u@example.net"));
    assert_eq!(uri.host, "example.com");
    assert!(uri.params.is_empty());

    let r = request("transports");
    let transports: Vec<String> = r.vias().unwrap().into_iter().map(|v| v.transport).collect();
    assert_eq!(transports, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);

    let r = request("mpart01");
    assert_eq!(r.body.len(), 553);
    assert!(r.body.ends_with(b"--7a9cbec02ceef655--\r\n"));
    assert_eq!(r.top_via().unwrap().rport(), Some(None));

    let Message::Response(r) = parsed("unreason") else {
        panic!("response")
    };
    assert_eq!(r.status, 200);
    assert!(r.reason.ends_with("простое"));

    let Message::Response(r) = parsed("noreason") else {
        panic!("response")
    };
    assert_eq!((r.status, r.reason.as_str()), (100, ""));
}

#[test]
fn application_layer_details_the_engine_relies_on() {
    assert!(!request("badbranch").top_via().unwrap().has_rfc3261_branch());
    assert!(request("wsinv").vias().unwrap()[1].has_rfc3261_branch());

    assert!(
        matches!(request("unkscm").uri, Uri::Other { ref scheme, .. } if scheme == "nobodyKnowsThisScheme")
    );
    assert_eq!(request("novelsc").uri.scheme(), "soap.beep");

    let r = request("unksm2");
    assert_eq!(r.to_hdr().unwrap().uri.scheme(), "isbn");
    assert_eq!(r.from_hdr().unwrap().uri.scheme(), "http");

    let r = request("bext01");
    assert_eq!(
        r.headers.get("Require"),
        Some("nothingSupportsThis, nothingSupportsThisEither")
    );

    assert_eq!(request("zeromf").max_forwards().unwrap(), Some(0));

    let c = &request("cparam01").contacts().unwrap().unwrap()[0];
    assert_eq!(c.param("unknownparam"), Some(None));
    assert!(c.uri.as_sip().unwrap().params.is_empty());

    let c = &request("cparam02").contacts().unwrap().unwrap()[0];
    assert!(c.params.is_empty());
    assert_eq!(c.uri.as_sip().unwrap().param("unknownparam"), Some(None));

    let c = &request("regescrt").contacts().unwrap().unwrap()[0];
    assert_eq!(
        c.uri.as_sip().unwrap().headers,
        [("Route".to_owned(), "<sip:sip.example.com>".to_owned())]
    );

    let r = request("inv2543");
    assert_eq!(r.top_via().unwrap().branch(), None);
    assert_eq!(r.max_forwards().unwrap(), None);
    assert_eq!(r.from_hdr().unwrap().tag(), None);
    assert!(r.body.starts_with(b"v=0") && r.body.ends_with(b"RTP/AVP 0\r\n"));
}

#[test]
fn replies_to_rejected_requests() {
    let e = parse(&read("insuf")).unwrap_err();
    let reply = e.reply.expect("insuf gets a 400");
    assert_eq!(reply.reason, "Bad Request - missing from header");
    assert_eq!(
        reply.headers.get("Via"),
        Some("SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf")
    );
    assert_eq!(reply.cseq().unwrap().seq, 193942);

    let e = parse(&read("mismatch01")).unwrap_err();
    let reply = e.reply.expect("a 400");
    assert_eq!(reply.call_id().unwrap(), "mismatch01.dj0234sxdfl3");
    assert_eq!(reply.from_hdr().unwrap().tag(), Some("34525"));
    assert!(
        reply.to_hdr().unwrap().tag().is_some(),
        "a stateless To tag is added"
    );
    assert_eq!(reply.top_via().unwrap().branch(), Some("z9hG4bKkdjuw"));

    let e = parse(&read("multi01")).unwrap_err();
    let reply = e.reply.expect("a 400");
    assert_eq!(
        reply.call_id().unwrap(),
        "multi01.98asdh@192.0.2.1",
        "first value copied"
    );
    assert_eq!(reply.headers.get_all("CSeq").count(), 1);

    let e = parse(&read("badvers")).unwrap_err();
    assert_eq!(
        e.reply.unwrap().reason,
        "Version Not Supported - unsupported sip version"
    );
}

#[test]
fn dotted_user_part() {
    let uri: Uri = "sip:first.last@example.com".parse().unwrap();
    let sip = uri.as_sip().unwrap();
    assert_eq!(sip.user.as_deref(), Some("first.last"));
    assert_eq!(sip.host, "example.com");
    assert_eq!(uri.to_string(), "sip:first.last@example.com");
}
