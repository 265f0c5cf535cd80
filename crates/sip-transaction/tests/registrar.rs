//! Registrar (RFC 3261 10.3) with digest authentication, in simulated time.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sip_message::{Message, Request, Response, SipHeaders};
use sip_transaction::digest::{Algorithm, Challenge, authorize};
use sip_transaction::{AuthVerdict, BindingChange, Registrar, RegistrarConfig};

fn phone() -> SocketAddr {
    "203.0.113.9:40123".parse().unwrap()
}

fn register(cseq: u32, contact: &str, expires: Option<u32>, auth: Option<&str>) -> Request {
    let mut text = format!(
        "REGISTER sip:centralino.example SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKr{cseq}\r\n\
Max-Forwards: 70\r\n\
To: <sip:alice@centralino.example>\r\n\
From: <sip:alice@centralino.example>;tag=reg1\r\n\
Call-ID: reg-call@10.0.0.5\r\n\
CSeq: {cseq} REGISTER\r\n\
Contact: {contact}\r\n"
    );
    if let Some(e) = expires {
        text.push_str(&format!("Expires: {e}\r\n"));
    }
    if let Some(a) = auth {
        text.push_str(&format!("Authorization: {a}\r\n"));
    }
    text.push_str("Content-Length: 0\r\n\r\n");
    match sip_message::parse(text.as_bytes()) {
        Ok(Message::Request(r)) => r,
        other => panic!("test REGISTER parses: {other:?}"),
    }
}

fn passwords(user: &str) -> Option<String> {
    (user == "alice").then(|| "s3cret".to_owned())
}

fn challenge_of(response: &Response) -> Challenge {
    Challenge::parse(response.headers.get("WWW-Authenticate").unwrap()).unwrap()
}

fn answer(challenge: &Challenge, password: &str) -> String {
    answer_nc(challenge, password, 1)
}

/// The answer a phone gives with nonce count `nc`: each reuse of a nonce counts up.
fn answer_nc(challenge: &Challenge, password: &str, nc: u32) -> String {
    authorize(
        challenge,
        "alice",
        password,
        "REGISTER",
        "sip:centralino.example",
        "cn0nce",
        nc,
    )
    .to_header_value()
}

#[test]
fn challenge_then_register_then_expire() {
    let start = Instant::now();
    let mut reg = Registrar::new(RegistrarConfig::new("centralino"), start, 9);
    let contact = "<sip:alice@10.0.0.5:5060>";

    let out = reg.handle_register(
        start,
        &register(1, contact, Some(600), None),
        phone(),
        &passwords,
    );
    assert_eq!(out.response.status, 401);
    assert!(out.changes.is_empty());
    let challenge = challenge_of(&out.response);
    assert_eq!(challenge.realm, "centralino");
    assert!(challenge.qop_auth && challenge.opaque.is_some() && !challenge.stale);

    let auth = answer(&challenge, "s3cret");
    let now = start + Duration::from_secs(1);
    let out = reg.handle_register(
        now,
        &register(2, contact, Some(600), Some(&auth)),
        phone(),
        &passwords,
    );
    assert_eq!(out.response.status, 200);
    let contacts = out.response.contacts().unwrap().unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].param("expires"), Some(Some("600")));
    let expires_at = now + Duration::from_secs(600);
    match &out.changes[..] {
        [
            BindingChange::Registered {
                aor_user,
                source,
                expires_at: e,
                contact,
            },
        ] => {
            assert_eq!(aor_user, "alice");
            assert_eq!(*source, phone());
            assert_eq!(*e, expires_at);
            assert_eq!(contact.to_string(), contact.to_string());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(reg.bindings("alice").len(), 1);
    assert_eq!(reg.poll_timeout(), Some(expires_at));

    assert!(
        reg.handle_timeout(expires_at - Duration::from_millis(1))
            .is_empty()
    );
    let expired = reg.handle_timeout(expires_at);
    assert!(matches!(
        &expired[..],
        [BindingChange::Unregistered { expired: true, .. }]
    ));
    assert!(reg.bindings("alice").is_empty());
    assert_eq!(reg.poll_timeout(), None);
}

#[test]
fn wrong_password_is_403_and_stale_nonce_is_rechallenged() {
    let start = Instant::now();
    let mut reg = Registrar::new(RegistrarConfig::new("centralino"), start, 9);
    let contact = "<sip:alice@10.0.0.5:5060>";
    let challenge = reg.challenge(start, false, phone().ip(), Algorithm::Sha256);

    let bad = answer(&challenge, "guess");
    let out = reg.handle_register(
        start,
        &register(1, contact, None, Some(&bad)),
        phone(),
        &passwords,
    );
    assert_eq!(out.response.status, 403);

    // A forged nonce is simply challenged again.
    let mut forged = challenge.clone();
    forged.nonce = "0-00000000000000000000000000000000".into();
    let out = reg.handle_register(
        start,
        &register(2, contact, None, Some(&answer(&forged, "s3cret"))),
        phone(),
        &passwords,
    );
    assert_eq!(out.response.status, 401);
    assert!(!challenge_of(&out.response).stale);

    // Right password, nonce older than 5 minutes: stale=true.
    let later = start + Duration::from_secs(301);
    let good = answer(&challenge, "s3cret");
    let out = reg.handle_register(
        later,
        &register(3, contact, None, Some(&good)),
        phone(),
        &passwords,
    );
    assert_eq!(out.response.status, 401);
    let fresh = challenge_of(&out.response);
    assert!(fresh.stale);
    let out = reg.handle_register(
        later,
        &register(4, contact, None, Some(&answer(&fresh, "s3cret"))),
        phone(),
        &passwords,
    );
    assert_eq!(out.response.status, 200);
    // Default expiry 3600 s.
    assert_eq!(
        reg.bindings("alice")[0].expires_at,
        later + Duration::from_secs(3600)
    );
}

#[test]
fn wildcard_unbinds_and_malformed_contact_is_400() {
    let start = Instant::now();
    let mut reg = Registrar::new(RegistrarConfig::new("centralino"), start, 9);
    let challenge = reg.challenge(start, false, phone().ip(), Algorithm::Sha256);
    let mut nc = 0;
    let mut auth = || {
        nc += 1;
        answer_nc(&challenge, "s3cret", nc)
    };
    for (i, c) in ["<sip:alice@10.0.0.5:5060>", "<sip:alice@10.0.0.6:5060>"]
        .iter()
        .enumerate()
    {
        let out = reg.handle_register(
            start,
            &register(10 + i as u32, c, Some(300), Some(&auth())),
            phone(),
            &passwords,
        );
        assert_eq!(out.response.status, 200);
    }
    assert_eq!(reg.bindings("alice").len(), 2);

    // Too brief.
    let out = reg.handle_register(
        start,
        &register(20, "<sip:alice@10.0.0.7>", Some(10), Some(&auth())),
        phone(),
        &passwords,
    );
    assert_eq!(out.response.status, 423);
    assert_eq!(out.response.headers.get("Min-Expires"), Some("60"));

    // `*` needs Expires: 0.
    let out = reg.handle_register(
        start,
        &register(21, "*", Some(5), Some(&auth())),
        phone(),
        &passwords,
    );
    assert_eq!(out.response.status, 400);
    // Malformed Contact.
    let out = reg.handle_register(
        start,
        &register(22, "<sip:alice@10.0.0.5>;expires=soon", None, Some(&auth())),
        phone(),
        &passwords,
    );
    assert_eq!(out.response.status, 400);
    // (The parser already answers 400 to a datagram like this; a registrar fed by other
    // means must too.)
    let mut broken = register(22, "<sip:alice@10.0.0.5>", None, Some(&auth()));
    broken.headers.set("Contact", "<sip:alice@");
    let out = reg.handle_register(start, &broken, phone(), &passwords);
    assert_eq!(out.response.status, 400);

    // Out-of-order CSeq on the same Call-ID is refused.
    let out = reg.handle_register(
        start,
        &register(5, "<sip:alice@10.0.0.5:5060>", Some(0), Some(&auth())),
        phone(),
        &passwords,
    );
    assert_eq!(out.response.status, 500);
    assert_eq!(reg.bindings("alice").len(), 2);

    let out = reg.handle_register(
        start,
        &register(23, "*", Some(0), Some(&auth())),
        phone(),
        &passwords,
    );
    assert_eq!(out.response.status, 200);
    assert_eq!(out.changes.len(), 2);
    assert!(
        out.changes
            .iter()
            .all(|c| matches!(c, BindingChange::Unregistered { expired: false, .. }))
    );
    assert!(reg.bindings("alice").is_empty());
    assert_eq!(out.response.contacts().unwrap().map(|c| c.len()), Some(0));
}

#[test]
fn other_users_aor_is_forbidden() {
    let start = Instant::now();
    let mut reg = Registrar::new(RegistrarConfig::new("centralino"), start, 9);
    let challenge = reg.challenge(start, false, phone().ip(), Algorithm::Sha256);
    let creds = authorize(
        &challenge,
        "bob",
        "pw",
        "REGISTER",
        "sip:centralino.example",
        "c",
        1,
    );
    let lookup = |u: &str| (u == "bob").then(|| "pw".to_owned());
    let out = reg.handle_register(
        start,
        &register(
            1,
            "<sip:alice@10.0.0.5>",
            None,
            Some(&creds.to_header_value()),
        ),
        phone(),
        &lookup,
    );
    assert_eq!(out.response.status, 403);
}

fn other_address() -> SocketAddr {
    "198.51.100.20:5060".parse().unwrap()
}

#[test]
fn a_captured_authorization_cannot_be_replayed_from_anywhere() {
    let start = Instant::now();
    let mut reg = Registrar::new(RegistrarConfig::new("centralino"), start, 9);
    let contact = "<sip:alice@10.0.0.5:5060>";
    let challenge = reg.challenge(start, false, phone().ip(), Algorithm::Sha256);
    let auth = answer(&challenge, "s3cret");
    let ok = reg.handle_register(
        start,
        &register(2, contact, Some(600), Some(&auth)),
        phone(),
        &passwords,
    );
    assert_eq!(ok.response.status, 200);
    assert_eq!(ok.verdict, AuthVerdict::Accepted("alice".into()));

    // The same bytes again, later, from the phone's address: the nonce count was seen.
    let later = start + Duration::from_secs(5);
    let replay = reg.handle_register(
        later,
        &register(3, contact, Some(600), Some(&auth)),
        phone(),
        &passwords,
    );
    assert_eq!(replay.response.status, 401);
    assert!(matches!(replay.verdict, AuthVerdict::Replayed { .. }));
    assert!(replay.changes.is_empty());

    // From another address, with a count never used: the nonce was not issued there.
    let moved = answer_nc(&challenge, "s3cret", 7);
    let elsewhere = reg.handle_register(
        later,
        &register(4, "<sip:alice@198.51.100.20:5060>", Some(600), Some(&moved)),
        other_address(),
        &passwords,
    );
    assert_eq!(elsewhere.response.status, 401);
    assert_eq!(
        reg.bindings("alice")[0].source,
        phone(),
        "the phone keeps its calls"
    );
}

#[test]
fn password_guessing_is_locked_out_and_unknown_users_look_like_known_ones() {
    let start = Instant::now();
    let mut reg = Registrar::new(RegistrarConfig::new("centralino"), start, 9);
    let contact = "<sip:alice@10.0.0.5:5060>";
    let challenge = reg.challenge(start, false, phone().ip(), Algorithm::Sha256);
    let mut answers = Vec::new();
    for guess in 0..5 {
        let out = reg.handle_register(
            start + Duration::from_millis(guess),
            &register(
                10 + guess as u32,
                contact,
                Some(600),
                Some(&answer_nc(
                    &challenge,
                    &format!("guess{guess}"),
                    1 + guess as u32,
                )),
            ),
            phone(),
            &passwords,
        );
        answers.push(out.response.status);
        if guess == 4 {
            assert_eq!(
                out.verdict,
                AuthVerdict::LockedOut {
                    user: "alice".into(),
                    started: true
                }
            );
        }
    }
    assert_eq!(answers, [403; 5]);
    // Now even the right password is refused, with the same answer, until the lockout ends.
    let right = reg.handle_register(
        start + Duration::from_secs(60),
        &register(
            20,
            contact,
            Some(600),
            Some(&answer_nc(&challenge, "s3cret", 20)),
        ),
        phone(),
        &passwords,
    );
    assert_eq!(right.response.status, 403);
    assert!(matches!(
        right.verdict,
        AuthVerdict::LockedOut { started: false, .. }
    ));
    assert!(reg.bindings("alice").is_empty());
    let after = start + Duration::from_secs(301);
    let fresh = reg.challenge(after, false, phone().ip(), Algorithm::Sha256);
    let ok = reg.handle_register(
        after,
        &register(30, contact, Some(600), Some(&answer(&fresh, "s3cret"))),
        phone(),
        &passwords,
    );
    assert_eq!(ok.response.status, 200, "the lockout ends");

    // An unknown user and a known user with a wrong password get the same answer.
    let mut mallory = register(40, "<sip:mallory@10.0.0.9>", Some(600), None);
    let creds = authorize(
        &fresh,
        "mallory",
        "whatever",
        "REGISTER",
        "sip:centralino.example",
        "c",
        1,
    );
    mallory
        .headers
        .set("To", "<sip:mallory@centralino.example>");
    mallory
        .headers
        .set("From", "<sip:mallory@centralino.example>;tag=m");
    mallory
        .headers
        .push("Authorization", creds.to_header_value());
    let unknown = reg.handle_register(after, &mallory, phone(), &passwords);
    let wrong = reg.handle_register(
        after,
        &register(41, contact, Some(600), Some(&answer_nc(&fresh, "nope", 2))),
        phone(),
        &passwords,
    );
    assert_eq!(unknown.response.status, wrong.response.status);
    assert_eq!(unknown.response.reason, wrong.response.reason);
}

#[test]
fn sha256_is_offered_first_and_md5_still_works() {
    let start = Instant::now();
    let mut reg = Registrar::new(RegistrarConfig::new("centralino"), start, 9);
    let out = reg.handle_register(
        start,
        &register(1, "<sip:alice@10.0.0.5>", Some(600), None),
        phone(),
        &passwords,
    );
    let offered: Vec<Challenge> = out
        .response
        .headers
        .get_all("WWW-Authenticate")
        .map(|v| Challenge::parse(v).unwrap())
        .collect();
    let algorithms: Vec<Algorithm> = offered.iter().map(|c| c.algorithm).collect();
    assert_eq!(
        algorithms,
        [Algorithm::Sha256, Algorithm::Md5],
        "RFC 8760 2.4: strongest first"
    );
    for (n, challenge) in offered.iter().enumerate() {
        let out = reg.handle_register(
            start,
            &register(
                2 + n as u32,
                "<sip:alice@10.0.0.5>",
                Some(600),
                Some(&answer(challenge, "s3cret")),
            ),
            phone(),
            &passwords,
        );
        assert_eq!(out.response.status, 200, "{:?}", challenge.algorithm);
    }
}

/// Two challenges in the same millisecond to the same address (two phones behind one NAT, or
/// one phone registering and then dialling a feature code) are different nonces: each fresh
/// answer with `nc=1` is accepted, not taken for a replay of the other.
#[test]
fn challenges_in_the_same_millisecond_are_distinct_nonces() {
    let now = Instant::now();
    let mut reg = Registrar::new(RegistrarConfig::new("centralino"), now, 9);
    let contact = "<sip:alice@10.0.0.5:5060>";
    let first = challenge_of(
        &reg.handle_register(
            now,
            &register(1, contact, Some(600), None),
            phone(),
            &passwords,
        )
        .response,
    );
    let second = challenge_of(
        &reg.handle_register(
            now,
            &register(2, contact, Some(600), None),
            phone(),
            &passwords,
        )
        .response,
    );
    assert_ne!(first.nonce, second.nonce);
    for (cseq, challenge) in [(3, &first), (4, &second)] {
        let out = reg.handle_register(
            now,
            &register(cseq, contact, Some(600), Some(&answer(challenge, "s3cret"))),
            phone(),
            &passwords,
        );
        assert_eq!(out.response.status, 200, "nonce {}", challenge.nonce);
    }
}
