//! HTTP Digest authentication for SIP (RFC 3261 22.4, RFC 2617, RFC 8760): algorithms MD5 and
//! SHA-256, `qop=auth` and the RFC 2069 compatible no-qop form.

use md5::{Digest as _, Md5};
use sha2::Sha256;

use crate::util::hex;

/// Why an `Authorization` or `WWW-Authenticate` value was not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    #[error("authentication scheme is not digest")]
    NotDigest,
    #[error("malformed digest parameters")]
    Malformed,
    #[error("missing digest parameter {0}")]
    MissingParam(&'static str),
    #[error("unsupported digest algorithm")]
    UnsupportedAlgorithm,
    #[error("unsupported qop")]
    UnsupportedQop,
}

/// The digest algorithms we speak (RFC 8760 section 2.2; `-sess` variants are not supported).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    /// Strongest first: the order challenges are offered in (RFC 8760 section 2.4).
    pub const PREFERENCE: [Algorithm; 2] = [Algorithm::Sha256, Algorithm::Md5];

    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    /// The algorithm named in a challenge or credentials; absent means MD5 (RFC 2617).
    pub fn from_param(value: Option<&str>) -> Result<Self, DigestError> {
        match value {
            None => Ok(Algorithm::Md5),
            Some(a) if a.eq_ignore_ascii_case("MD5") => Ok(Algorithm::Md5),
            Some(a) if a.eq_ignore_ascii_case("SHA-256") => Ok(Algorithm::Sha256),
            Some(_) => Err(DigestError::UnsupportedAlgorithm),
        }
    }

    /// Lowercase hex of the hash of `input`.
    pub fn hex(self, input: &str) -> String {
        match self {
            Algorithm::Md5 => hex(&Md5::digest(input.as_bytes())),
            Algorithm::Sha256 => hex(&Sha256::digest(input.as_bytes())),
        }
    }
}

/// A `WWW-Authenticate` / `Proxy-Authenticate` challenge (RFC 2617 3.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub algorithm: Algorithm,
    /// `qop="auth"` offered.
    pub qop_auth: bool,
    /// The nonce of the request was valid but expired (RFC 2617 3.2.1 `stale`).
    pub stale: bool,
}

impl Challenge {
    /// The header value: `Digest realm="..", nonce="..", opaque="..", algorithm=.., qop="auth"`.
    pub fn to_header_value(&self) -> String {
        let mut out = format!(
            "Digest realm=\"{}\", nonce=\"{}\"",
            quote(&self.realm),
            quote(&self.nonce)
        );
        if let Some(opaque) = &self.opaque {
            out.push_str(&format!(", opaque=\"{}\"", quote(opaque)));
        }
        out.push_str(&format!(", algorithm={}", self.algorithm.as_str()));
        if self.qop_auth {
            out.push_str(", qop=\"auth\"");
        }
        if self.stale {
            out.push_str(", stale=true");
        }
        out
    }

    /// Parse a challenge (for our UAC answering a 401/407).
    pub fn parse(value: &str) -> Result<Self, DigestError> {
        let params = parse_digest_params(value)?;
        let algorithm = Algorithm::from_param(find(&params, "algorithm"))?;
        let qop_auth = match find(&params, "qop") {
            None => false,
            Some(list) => {
                if !list
                    .split(',')
                    .any(|q| q.trim().eq_ignore_ascii_case("auth"))
                {
                    return Err(DigestError::UnsupportedQop);
                }
                true
            }
        };
        Ok(Self {
            realm: require(&params, "realm")?.to_owned(),
            nonce: require(&params, "nonce")?.to_owned(),
            opaque: find(&params, "opaque").map(str::to_owned),
            algorithm,
            qop_auth,
            stale: find(&params, "stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
        })
    }
}

/// The parameters of an `Authorization` / `Proxy-Authorization` header (RFC 2617 3.2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub algorithm: Option<String>,
    pub opaque: Option<String>,
    /// `auth`, or `None` for the RFC 2069 form.
    pub qop: Option<String>,
    pub cnonce: Option<String>,
    /// Nonce count, eight hex digits.
    pub nc: Option<String>,
}

impl Credentials {
    pub fn parse(value: &str) -> Result<Self, DigestError> {
        let params = parse_digest_params(value)?;
        let get = |name| find(&params, name).map(str::to_owned);
        Ok(Self {
            username: require(&params, "username")?.to_owned(),
            realm: require(&params, "realm")?.to_owned(),
            nonce: require(&params, "nonce")?.to_owned(),
            uri: require(&params, "uri")?.to_owned(),
            response: require(&params, "response")?.to_owned(),
            algorithm: get("algorithm"),
            opaque: get("opaque"),
            qop: get("qop"),
            cnonce: get("cnonce"),
            nc: get("nc"),
        })
    }

    pub fn to_header_value(&self) -> String {
        let mut out = format!(
            "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{}\"",
            quote(&self.username),
            quote(&self.realm),
            quote(&self.nonce),
            quote(&self.uri),
            quote(&self.response)
        );
        if let Some(a) = &self.algorithm {
            out.push_str(&format!(", algorithm={a}"));
        }
        if let Some(o) = &self.opaque {
            out.push_str(&format!(", opaque=\"{}\"", quote(o)));
        }
        if let (Some(qop), Some(nc), Some(cnonce)) = (&self.qop, &self.nc, &self.cnonce) {
            out.push_str(&format!(
                ", qop={qop}, nc={nc}, cnonce=\"{}\"",
                quote(cnonce)
            ));
        }
        out
    }

    /// Check the response against `password` for a request with `method` (RFC 2617 3.2.2.1).
    /// The caller checks realm, nonce freshness and that the username is the expected one.
    pub fn verify(&self, method: &str, password: &str) -> Result<bool, DigestError> {
        let algorithm = Algorithm::from_param(self.algorithm.as_deref())?;
        let qop = match self.qop.as_deref() {
            None => None,
            Some(q) if q.eq_ignore_ascii_case("auth") => {
                let nc = self.nc.as_deref().ok_or(DigestError::MissingParam("nc"))?;
                let cnonce = self
                    .cnonce
                    .as_deref()
                    .ok_or(DigestError::MissingParam("cnonce"))?;
                Some((nc, cnonce))
            }
            Some(_) => return Err(DigestError::UnsupportedQop),
        };
        let expected = compute_response(
            algorithm,
            &self.username,
            &self.realm,
            password,
            method,
            &self.uri,
            &self.nonce,
            qop,
        );
        Ok(constant_time_eq(
            expected.as_bytes(),
            self.response.to_ascii_lowercase().as_bytes(),
        ))
    }
}

/// Answer `challenge` (client side): `qop=auth` with `cnonce` and nonce count `nc` when
/// offered, the RFC 2069 form otherwise.
pub fn authorize(
    challenge: &Challenge,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
    cnonce: &str,
    nc: u32,
) -> Credentials {
    let nc = format!("{nc:08x}");
    let qop = challenge.qop_auth.then_some((nc.as_str(), cnonce));
    let response = compute_response(
        challenge.algorithm,
        username,
        &challenge.realm,
        password,
        method,
        uri,
        &challenge.nonce,
        qop,
    );
    Credentials {
        username: username.to_owned(),
        realm: challenge.realm.clone(),
        nonce: challenge.nonce.clone(),
        uri: uri.to_owned(),
        response,
        algorithm: Some(challenge.algorithm.as_str().to_owned()),
        opaque: challenge.opaque.clone(),
        qop: challenge.qop_auth.then(|| "auth".to_owned()),
        cnonce: challenge.qop_auth.then(|| cnonce.to_owned()),
        nc: challenge.qop_auth.then_some(nc.clone()),
    }
}

/// `request-digest` of RFC 2617 3.2.2.1 (RFC 8760 section 2.3 for SHA-256); `qop` is
/// `(nc, cnonce)` for `qop=auth`, `None` for the RFC 2069 form.
#[allow(clippy::too_many_arguments)]
pub fn compute_response(
    algorithm: Algorithm,
    username: &str,
    realm: &str,
    password: &str,
    method: &str,
    uri: &str,
    nonce: &str,
    qop: Option<(&str, &str)>,
) -> String {
    let h = |s: &str| algorithm.hex(s);
    let ha1 = h(&format!("{username}:{realm}:{password}"));
    let ha2 = h(&format!("{method}:{uri}"));
    match qop {
        Some((nc, cnonce)) => h(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")),
        None => h(&format!("{ha1}:{nonce}:{ha2}")),
    }
}

#[cfg(test)]
fn md5_hex(input: &str) -> String {
    Algorithm::Md5.hex(input)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn find<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn require<'a>(params: &'a [(String, String)], name: &'static str) -> Result<&'a str, DigestError> {
    find(params, name).ok_or(DigestError::MissingParam(name))
}

/// `Digest name=value, name="quoted \" value", ...` into unquoted pairs.
fn parse_digest_params(value: &str) -> Result<Vec<(String, String)>, DigestError> {
    let value = value.trim_start();
    let (scheme, rest) = value.split_at(value.find([' ', '\t']).unwrap_or(value.len()));
    if !scheme.eq_ignore_ascii_case("Digest") {
        return Err(DigestError::NotDigest);
    }
    let mut params = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            name.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') || name.is_empty() {
            return Err(DigestError::Malformed);
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut val = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '\\' => val.push(chars.next().ok_or(DigestError::Malformed)?),
                    '"' => {
                        closed = true;
                        break;
                    }
                    c => val.push(c),
                }
            }
            if !closed {
                return Err(DigestError::Malformed);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                val.push(c);
                chars.next();
            }
            val = val.trim().to_owned();
        }
        params.push((name, val));
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => break,
            Some(',') => {}
            Some(_) => return Err(DigestError::Malformed),
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2617 section 3.5.
    const RFC2617_AUTHORIZATION: &str = r#"Digest username="Mufasa",
                 realm="testrealm@host.com",
                 nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
                 uri="/dir/index.html",
                 qop=auth,
                 nc=00000001,
                 cnonce="0a4f113b",
                 response="6629fae49393a05397450978507c4ef1",
                 opaque="5ccc069c403ebaf9f0171e9517f40e41""#;

    #[test]
    fn rfc2617_example_vector() {
        assert_eq!(
            compute_response(
                Algorithm::Md5,
                "Mufasa",
                "testrealm@host.com",
                "Circle Of Life",
                "GET",
                "/dir/index.html",
                "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                Some(("00000001", "0a4f113b")),
            ),
            "6629fae49393a05397450978507c4ef1"
        );
        let creds = Credentials::parse(RFC2617_AUTHORIZATION).unwrap();
        assert_eq!(creds.username, "Mufasa");
        assert_eq!(creds.qop.as_deref(), Some("auth"));
        assert_eq!(creds.nc.as_deref(), Some("00000001"));
        assert_eq!(creds.verify("GET", "Circle Of Life"), Ok(true));
        assert_eq!(creds.verify("GET", "circle of life"), Ok(false));
        assert_eq!(creds.verify("POST", "Circle Of Life"), Ok(false));
    }

    /// RFC 7616 section 3.9.1: the same request answered with SHA-256 and with MD5.
    #[test]
    fn rfc7616_example_vectors_for_both_algorithms() {
        for (algorithm, expected) in [
            (
                Algorithm::Sha256,
                "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
            ),
            (Algorithm::Md5, "8ca523f5e9506fed4657c9700eebdbec"),
        ] {
            let response = compute_response(
                algorithm,
                "Mufasa",
                "http-auth@example.org",
                "Circle of Life",
                "GET",
                "/dir/index.html",
                "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                Some(("00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")),
            );
            assert_eq!(response, expected, "{algorithm:?}");
            let creds = Credentials {
                username: "Mufasa".into(),
                realm: "http-auth@example.org".into(),
                nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v".into(),
                uri: "/dir/index.html".into(),
                response,
                algorithm: Some(algorithm.as_str().into()),
                opaque: None,
                qop: Some("auth".into()),
                cnonce: Some("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ".into()),
                nc: Some("00000001".into()),
            };
            assert_eq!(creds.verify("GET", "Circle of Life"), Ok(true));
            assert_eq!(creds.verify("GET", "Circle of life"), Ok(false));
        }
        assert_eq!(
            Algorithm::from_param(Some("SHA-512-256")),
            Err(DigestError::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn sip_register_round_trip() {
        // Self-computed: HA1 = MD5("alice:centralino:s3cret"),
        // HA2 = MD5("REGISTER:sip:centralino.example"), no qop.
        let ha1 = md5_hex("alice:centralino:s3cret");
        let ha2 = md5_hex("REGISTER:sip:centralino.example");
        let expected = md5_hex(&format!("{ha1}:abc123:{ha2}"));
        let challenge = Challenge {
            realm: "centralino".into(),
            nonce: "abc123".into(),
            opaque: None,
            algorithm: Algorithm::Md5,
            qop_auth: false,
            stale: false,
        };
        let creds = authorize(
            &challenge,
            "alice",
            "s3cret",
            "REGISTER",
            "sip:centralino.example",
            "unused",
            1,
        );
        assert_eq!(creds.response, expected);
        assert_eq!(creds.qop, None);
        let parsed = Credentials::parse(&creds.to_header_value()).unwrap();
        assert_eq!(parsed, creds);
        assert_eq!(parsed.verify("REGISTER", "s3cret"), Ok(true));
        assert_eq!(parsed.verify("REGISTER", "wrong"), Ok(false));
    }

    #[test]
    fn challenge_round_trip_and_qop() {
        let challenge = Challenge {
            realm: "centralino \"main\"".into(),
            nonce: "n1".into(),
            opaque: Some("op".into()),
            algorithm: Algorithm::Md5,
            qop_auth: true,
            stale: true,
        };
        let value = challenge.to_header_value();
        assert!(value.contains("algorithm=MD5"));
        assert!(value.contains("qop=\"auth\""));
        assert!(value.contains("stale=true"));
        assert_eq!(Challenge::parse(&value).unwrap(), challenge);

        let creds = authorize(&challenge, "bob", "pw", "INVITE", "sip:x@y", "c0ffee", 3);
        assert_eq!(creds.nc.as_deref(), Some("00000003"));
        let parsed = Credentials::parse(&creds.to_header_value()).unwrap();
        assert_eq!(parsed.verify("INVITE", "pw"), Ok(true));
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(
            Credentials::parse("Basic dXNlcjpwdw=="),
            Err(DigestError::NotDigest)
        );
        assert_eq!(
            Credentials::parse("Digest username=\"unterminated"),
            Err(DigestError::Malformed)
        );
        assert_eq!(
            Credentials::parse("Digest username=\"a\""),
            Err(DigestError::MissingParam("realm"))
        );
        let mut creds = Credentials::parse(RFC2617_AUTHORIZATION).unwrap();
        creds.algorithm = Some("SHA-512-256".into());
        assert_eq!(
            creds.verify("GET", "Circle Of Life"),
            Err(DigestError::UnsupportedAlgorithm)
        );
        creds.algorithm = Some("SHA-256".into());
        assert_eq!(
            creds.verify("GET", "Circle Of Life"),
            Ok(false),
            "an MD5 response does not pass as SHA-256"
        );
        creds.algorithm = None;
        creds.qop = Some("auth-int".into());
        assert_eq!(
            creds.verify("GET", "Circle Of Life"),
            Err(DigestError::UnsupportedQop)
        );
        assert!(Credentials::parse("Digest =x").is_err());
        assert!(Credentials::parse("").is_err());
    }
}
