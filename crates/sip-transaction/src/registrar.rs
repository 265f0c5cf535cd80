//! A sans-IO registrar (RFC 3261 10.3) with digest authentication (RFC 3261 22, RFC 2617,
//! RFC 8760: SHA-256 offered first, MD5 for older phones).
//!
//! Nonces are stateless: `<issued-at ms hex>.<challenge number hex>-<SHA-256(secret:stamp:realm:address)>`, so
//! unanswered challenges cost no memory, a nonce is only good from the address it was issued
//! to, and one older than `nonce_lifetime` is answered `stale=true`. Successful nonces keep
//! their count so that a captured `Authorization` cannot be replayed, and failures are
//! counted per user and per address to lock out password guessing (`auth_guard`). Unknown
//! and known users get the same answers, so extensions cannot be enumerated.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sip_message::{Method, NameAddr, Request, Response, SipHeaders, Uri};

use crate::auth_guard::AuthGuard;
pub use crate::auth_guard::LockoutPolicy;
use crate::digest::{Algorithm, Challenge, Credentials};
use crate::util::{get_param, header_is, random_hex};

#[derive(Debug, Clone)]
pub struct RegistrarConfig {
    pub realm: String,
    /// How long a nonce is accepted before `stale=true`.
    pub nonce_lifetime: Duration,
    /// Used when neither the Contact nor the request has an expiry (RFC 3261 10.3 step 7).
    pub default_expires: u32,
    /// Shorter non-zero expiries get 423 Interval Too Brief.
    pub min_expires: u32,
    /// Longer expiries are shortened to this.
    pub max_expires: u32,
    /// Password-guessing limits.
    pub lockout: LockoutPolicy,
    /// The digest algorithms offered, one challenge each, most preferred first (RFC 8760
    /// section 2.4). Some phones (and SIPp 3.6) answer the first challenge whatever its
    /// algorithm, and fail on SHA-256: for those, put MD5 first.
    pub algorithms: Vec<Algorithm>,
}

impl RegistrarConfig {
    pub fn new(realm: impl Into<String>) -> Self {
        Self {
            realm: realm.into(),
            nonce_lifetime: Duration::from_secs(300),
            default_expires: 3600,
            min_expires: 60,
            max_expires: 7200,
            lockout: LockoutPolicy::default(),
            algorithms: Algorithm::PREFERENCE.to_vec(),
        }
    }
}

/// Where passwords come from (a config file, the CRM store, a test closure).
pub trait PasswordLookup {
    fn password(&self, user: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String>> PasswordLookup for F {
    fn password(&self, user: &str) -> Option<String> {
        self(user)
    }
}

/// One registered contact of an address-of-record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub contact: NameAddr,
    /// Where the REGISTER came from: behind NAT this is where to send requests.
    pub source: SocketAddr,
    pub expires_at: Instant,
    pub call_id: String,
    pub cseq: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingChange {
    /// Added or refreshed.
    Registered {
        aor_user: String,
        contact: NameAddr,
        source: SocketAddr,
        expires_at: Instant,
    },
    /// Removed by the user (`expires=0`, `Contact: *`) or by expiry.
    Unregistered {
        aor_user: String,
        contact: NameAddr,
        expired: bool,
    },
}

/// What the authentication decided, for the log (it names the user, never a password).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthVerdict {
    /// Authenticated as this user.
    Accepted(String),
    /// No (usable) credentials yet: challenged.
    Challenged,
    /// Wrong user or password.
    Refused { user: String },
    /// Refused without checking: the user or the address is locked out after repeated
    /// failures. `started` is set on the failure that began the lockout.
    LockedOut { user: String, started: bool },
    /// A nonce count seen before: a replayed `Authorization`.
    Replayed { user: String },
    /// Not an authentication matter (malformed request, wrong AoR...).
    NotApplicable,
}

/// The response to send (through [`Endpoint::respond`](crate::Endpoint::respond), which adds
/// the To tag) and what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterOutcome {
    pub response: Response,
    pub changes: Vec<BindingChange>,
    pub verdict: AuthVerdict,
}

#[derive(Debug)]
pub struct Registrar {
    config: RegistrarConfig,
    secret: String,
    epoch: Instant,
    /// Numbers the challenges, so that two issued in the same millisecond to the same address
    /// still differ (else a client's fresh `nc=1` on the second would look like a replay).
    challenges: std::cell::Cell<u64>,
    bindings: BTreeMap<String, Vec<Binding>>,
    guard: AuthGuard,
    /// The verdict of the last `authenticate`, for `handle_register`'s outcome.
    verdict: AuthVerdict,
}

/// A password to hash when the user is unknown, so that unknown users cost the same time.
const DUMMY_PASSWORD: &str = "centralino-unknown-user";

enum NonceStatus {
    Fresh,
    Stale,
    Invalid,
}

impl Registrar {
    /// `now` anchors nonce timestamps; `rng_seed` makes the nonce secret.
    pub fn new(config: RegistrarConfig, now: Instant, rng_seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(rng_seed);
        let guard = AuthGuard::new(config.lockout);
        Self {
            config,
            secret: random_hex(&mut rng, 16),
            epoch: now,
            challenges: std::cell::Cell::new(0),
            bindings: BTreeMap::new(),
            guard,
            verdict: AuthVerdict::NotApplicable,
        }
    }

    /// Puts back a binding kept across a restart (it expires as it would have). A binding of
    /// the same contact is replaced.
    pub fn restore(&mut self, aor_user: &str, binding: Binding) {
        let bindings = self.bindings.entry(aor_user.to_owned()).or_default();
        bindings.retain(|b| !same_contact(&b.contact.uri, &binding.contact.uri));
        bindings.push(binding);
    }

    /// Current bindings of `aor_user`.
    pub fn bindings(&self, aor_user: &str) -> &[Binding] {
        self.bindings.get(aor_user).map_or(&[], Vec::as_slice)
    }

    /// A fresh challenge for a request from `source` (also usable for INVITE authentication
    /// by the TU).
    pub fn challenge(
        &self,
        now: Instant,
        stale: bool,
        source: IpAddr,
        algorithm: Algorithm,
    ) -> Challenge {
        let issued = now.saturating_duration_since(self.epoch).as_millis() as u64;
        let seq = self.challenges.get();
        self.challenges.set(seq.wrapping_add(1));
        let stamp = format!("{issued:x}.{seq:x}");
        Challenge {
            realm: self.config.realm.clone(),
            nonce: format!("{stamp}-{}", self.nonce_mac(&stamp, source)),
            opaque: Some(self.opaque()),
            algorithm,
            qop_auth: true,
            stale,
        }
    }

    /// The MAC of a nonce's stamp (`<issued ms hex>.<challenge number hex>`).
    fn nonce_mac(&self, stamp: &str, source: IpAddr) -> String {
        Algorithm::Sha256.hex(&format!(
            "{}:{stamp}:{}:{source}",
            self.secret, self.config.realm
        ))[..32]
            .to_owned()
    }

    fn opaque(&self) -> String {
        Algorithm::Sha256.hex(&format!("opaque:{}", self.secret))[..16].to_owned()
    }

    fn nonce_status(&self, nonce: &str, now: Instant, source: IpAddr) -> NonceStatus {
        let Some((stamp, mac)) = nonce.split_once('-') else {
            return NonceStatus::Invalid;
        };
        let Some((issued, seq)) = stamp.split_once('.') else {
            return NonceStatus::Invalid;
        };
        let Ok(issued_ms) = u64::from_str_radix(issued, 16) else {
            return NonceStatus::Invalid;
        };
        if issued.len() > 16 || seq.len() > 16 || mac != self.nonce_mac(stamp, source) {
            return NonceStatus::Invalid;
        }
        let age = now
            .saturating_duration_since(self.epoch)
            .saturating_sub(Duration::from_millis(issued_ms));
        if age > self.config.nonce_lifetime {
            NonceStatus::Stale
        } else {
            NonceStatus::Fresh
        }
    }

    /// Authenticate the request from `source` against our realm (RFC 3261 22.1, 22.3).
    /// `Ok(username)` when authenticated, else the 4xx to send. Usable for INVITE by the TU as
    /// well.
    pub fn authenticate(
        &mut self,
        now: Instant,
        request: &Request,
        source: SocketAddr,
        passwords: &impl PasswordLookup,
    ) -> Result<String, Box<Response>> {
        let ip = source.ip();
        self.guard.purge(now, self.config.nonce_lifetime);
        self.verdict = AuthVerdict::Challenged;
        let ours = request
            .headers
            .0
            .iter()
            .filter(|h| header_is(h, "Authorization", None))
            .map(|h| Credentials::parse(&h.value))
            .find(|c| c.as_ref().map_or(true, |c| c.realm == self.config.realm));
        let creds = match ours {
            None => return Err(Box::new(self.unauthorized(now, request, ip, false))),
            Some(Err(_)) => {
                self.verdict = AuthVerdict::NotApplicable;
                return Err(Box::new(Response::for_request(
                    request,
                    400,
                    "Malformed Authorization",
                )));
            }
            Some(Ok(creds)) => creds,
        };
        let status = self.nonce_status(&creds.nonce, now, ip);
        if matches!(status, NonceStatus::Invalid) {
            // Not ours, forged, or issued to another address.
            return Err(Box::new(self.unauthorized(now, request, ip, false)));
        }
        let forbidden = || Box::new(Response::for_request(request, 403, "Forbidden"));
        if self.guard.locked(&creds.username, ip, now) {
            self.verdict = AuthVerdict::LockedOut {
                user: creds.username.clone(),
                started: false,
            };
            return Err(forbidden());
        }
        // Unknown users are checked against a dummy password: the same work, the same answer.
        let known = passwords.password(&creds.username);
        let password = known.as_deref().unwrap_or(DUMMY_PASSWORD);
        let valid = creds.verify(request.method.as_str(), password) == Ok(true) && known.is_some();
        if !valid {
            let started = self.guard.failed(&creds.username, ip, now);
            self.verdict = if started {
                AuthVerdict::LockedOut {
                    user: creds.username.clone(),
                    started,
                }
            } else {
                AuthVerdict::Refused {
                    user: creds.username.clone(),
                }
            };
            return Err(forbidden());
        }
        if matches!(status, NonceStatus::Stale) {
            // Right password, old nonce: retry without asking the user (RFC 2617 3.2.1).
            return Err(Box::new(self.unauthorized(now, request, ip, true)));
        }
        let count = match creds.qop.as_deref() {
            Some(_) => creds
                .nc
                .as_deref()
                .and_then(|nc| u32::from_str_radix(nc, 16).ok())
                .filter(|nc| *nc > 0),
            None => None,
        };
        if creds.qop.is_some() && count.is_none() {
            self.verdict = AuthVerdict::NotApplicable;
            return Err(Box::new(Response::for_request(
                request,
                400,
                "Malformed Authorization",
            )));
        }
        // Keyed by algorithm too (both challenges of a 401 share one nonce), by its canonical
        // name so that `algorithm=md5` cannot pass a replay off as new.
        let algorithm = Algorithm::from_param(creds.algorithm.as_deref()).unwrap_or(Algorithm::Md5);
        let nonce_key = format!("{}:{}", algorithm.as_str(), creds.nonce);
        if !self.guard.fresh_use(&nonce_key, count, now) {
            // A count seen before: a replayed Authorization. Challenge afresh.
            self.verdict = AuthVerdict::Replayed {
                user: creds.username.clone(),
            };
            return Err(Box::new(self.unauthorized(now, request, ip, false)));
        }
        self.guard.succeeded(&creds.username);
        self.verdict = AuthVerdict::Accepted(creds.username.clone());
        Ok(creds.username)
    }

    /// 401 with one challenge per algorithm, the strongest first (RFC 8760 section 2.4).
    fn unauthorized(
        &self,
        now: Instant,
        request: &Request,
        source: IpAddr,
        stale: bool,
    ) -> Response {
        let mut response = Response::for_request(request, 401, "Unauthorized");
        let algorithms: &[Algorithm] = if self.config.algorithms.is_empty() {
            &Algorithm::PREFERENCE
        } else {
            &self.config.algorithms
        };
        for &algorithm in algorithms {
            response.headers.push(
                "WWW-Authenticate",
                self.challenge(now, stale, source, algorithm)
                    .to_header_value(),
            );
        }
        response
    }

    /// Process a REGISTER (RFC 3261 10.3).
    pub fn handle_register(
        &mut self,
        now: Instant,
        request: &Request,
        source: SocketAddr,
        passwords: &impl PasswordLookup,
    ) -> RegisterOutcome {
        self.verdict = AuthVerdict::NotApplicable;
        match self.register(now, request, source, passwords) {
            Ok(outcome) => outcome,
            Err(response) => RegisterOutcome {
                response: *response,
                changes: Vec::new(),
                verdict: std::mem::replace(&mut self.verdict, AuthVerdict::NotApplicable),
            },
        }
    }

    fn register(
        &mut self,
        now: Instant,
        request: &Request,
        source: SocketAddr,
        passwords: &impl PasswordLookup,
    ) -> Result<RegisterOutcome, Box<Response>> {
        let reply = |status, reason| Box::new(Response::for_request(request, status, reason));
        if request.method != Method::Register {
            let mut r = reply(405, "Method Not Allowed");
            r.headers.push("Allow", "REGISTER");
            return Err(r);
        }
        // Step 5: the address-of-record is the To URI.
        let to = request.to_hdr().map_err(|_| reply(400, "Bad To"))?;
        let aor_user = match &to.uri {
            Uri::Sip(uri) => uri.user.clone(),
            Uri::Other { .. } => None,
        }
        .ok_or_else(|| reply(404, "Not Found"))?;
        // Steps 3-4: authenticate, then the user may only register its own AoR.
        let username = self.authenticate(now, request, source, passwords)?;
        if username != aor_user {
            return Err(reply(403, "Forbidden"));
        }
        let call_id = request
            .call_id()
            .map_err(|_| reply(400, "Bad Call-ID"))?
            .to_owned();
        let cseq = request.cseq().map_err(|_| reply(400, "Bad CSeq"))?.seq;
        let header_expires = request.expires().map_err(|_| reply(400, "Bad Expires"))?;
        let contacts = request
            .contacts()
            .map_err(|_| reply(400, "Malformed Contact"))?;

        let mut changes = Vec::new();
        let mut bindings = self.bindings.get(&aor_user).cloned().unwrap_or_default();
        match contacts {
            None => {
                // Step 6: `Contact: *` needs Expires: 0 and no other Contact.
                let contact_lines = request
                    .headers
                    .0
                    .iter()
                    .filter(|h| header_is(h, "Contact", Some("m")))
                    .count();
                if header_expires != Some(0) || contact_lines != 1 {
                    return Err(reply(400, "Invalid Wildcard Contact"));
                }
                for b in bindings.drain(..) {
                    changes.push(BindingChange::Unregistered {
                        aor_user: aor_user.clone(),
                        contact: b.contact,
                        expired: false,
                    });
                }
            }
            Some(contacts) => {
                for contact in contacts {
                    let expires = match get_param(&contact.params, "expires") {
                        Some(Some(v)) => v.trim().parse::<u32>().ok(),
                        Some(None) => None,
                        None => Some(header_expires.unwrap_or(self.config.default_expires)),
                    }
                    .ok_or_else(|| reply(400, "Malformed Contact"))?;
                    if expires != 0 && expires < self.config.min_expires {
                        let mut r = reply(423, "Interval Too Brief");
                        r.headers
                            .push("Min-Expires", self.config.min_expires.to_string());
                        return Err(r);
                    }
                    let expires = expires.min(self.config.max_expires);
                    let existing = bindings
                        .iter()
                        .position(|b| same_contact(&b.contact.uri, &contact.uri));
                    // Step 7: a replayed or reordered REGISTER must not undo a newer one.
                    if let Some(i) = existing
                        && bindings[i].call_id == call_id
                        && cseq <= bindings[i].cseq
                    {
                        return Err(reply(500, "Out Of Order Request"));
                    }
                    match (existing, expires) {
                        (Some(i), 0) => {
                            let removed = bindings.remove(i);
                            changes.push(BindingChange::Unregistered {
                                aor_user: aor_user.clone(),
                                contact: removed.contact,
                                expired: false,
                            });
                        }
                        (None, 0) => {}
                        (existing, secs) => {
                            let mut stored = contact.clone();
                            stored
                                .params
                                .retain(|p| !p.name.eq_ignore_ascii_case("expires"));
                            let binding = Binding {
                                contact: stored,
                                source,
                                expires_at: now + Duration::from_secs(secs.into()),
                                call_id: call_id.clone(),
                                cseq,
                            };
                            changes.push(BindingChange::Registered {
                                aor_user: aor_user.clone(),
                                contact: binding.contact.clone(),
                                source,
                                expires_at: binding.expires_at,
                            });
                            match existing {
                                Some(i) => bindings[i] = binding,
                                None => bindings.push(binding),
                            }
                        }
                    }
                }
            }
        }

        // Step 8: 200 with every current binding and its remaining time.
        let mut response = Response::for_request(request, 200, "OK");
        for b in &bindings {
            let remaining = b.expires_at.saturating_duration_since(now);
            let secs = remaining.as_secs() + u64::from(remaining.subsec_nanos() > 0);
            response
                .headers
                .push("Contact", format!("{};expires={secs}", b.contact));
        }
        if bindings.is_empty() {
            self.bindings.remove(&aor_user);
        } else {
            self.bindings.insert(aor_user, bindings);
        }
        Ok(RegisterOutcome {
            response,
            changes,
            verdict: std::mem::replace(&mut self.verdict, AuthVerdict::NotApplicable),
        })
    }

    /// The earliest binding expiry.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.bindings.values().flatten().map(|b| b.expires_at).min()
    }

    /// Drop bindings expired at `now`.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<BindingChange> {
        let mut changes = Vec::new();
        self.bindings.retain(|aor_user, bindings| {
            bindings.retain(|b| {
                let alive = b.expires_at > now;
                if !alive {
                    changes.push(BindingChange::Unregistered {
                        aor_user: aor_user.clone(),
                        contact: b.contact.clone(),
                        expired: true,
                    });
                }
                alive
            });
            !bindings.is_empty()
        });
        changes
    }
}

/// URI equality for bindings (a practical subset of RFC 3261 19.1.4): scheme, user, host
/// case-insensitively, port.
fn same_contact(a: &Uri, b: &Uri) -> bool {
    match (a, b) {
        (Uri::Sip(a), Uri::Sip(b)) => {
            a.secure == b.secure
                && a.user == b.user
                && a.host.eq_ignore_ascii_case(&b.host)
                && a.port == b.port
        }
        _ => a == b,
    }
}
