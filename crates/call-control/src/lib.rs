//! The call-control core: a sans-IO back-to-back user agent that takes each call from the SIP
//! INVITE through the IVR and the ACD queue to an operator's phone.
//!
//! It owns the SIP [`Endpoint`] and [`Registrar`], the [`acd::Acd`], one IVR
//! [`ivr::Session`] per call and the per-call state. It reads no clock (monotonic time is a
//! parameter, wall-clock time comes through [`Clock`]), opens no socket and calls nothing
//! outside itself: SIP datagrams, requests for RTP legs, media commands and the call's facts
//! come out of [`CallControl::poll_output`]; what the world answers goes back in through the
//! `handle_*` methods. Like `quinn-proto` to `quinn`, it has no runtime; the `engine` crate
//! drives it with tokio.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use std::time::Instant;
//! # use call_control::{CallControl, EngineConfig, LegOpened, Output};
//! # fn socket_recv() -> Option<(std::net::SocketAddr, Vec<u8>)> { None }
//! # fn run(config: EngineConfig, script: Arc<ivr::Script>) -> Result<(), call_control::ControlError> {
//! let mut core = CallControl::new(config, script, Arc::new(common::SystemClock), Instant::now())?;
//! loop {
//!     while let Some(output) = core.poll_output() {
//!         match output {
//!             Output::Transmit { to, bytes } => { /* send the datagram */ }
//!             Output::OpenLeg { leg } => {
//!                 // bind an RTP socket, then:
//!                 core.handle_leg_opened(Instant::now(), leg, LegOpened::Bound("127.0.0.1:40000".parse().unwrap()));
//!             }
//!             Output::Media { leg, command } => { /* hand to the leg's media task */ }
//!             Output::Fact(fact) => { /* make it durable, then deliver it to the CRM */ }
//!             Output::AcdJournal { .. } | Output::Registrations { .. } => { /* make it durable */ }
//!             Output::IdentifyCaller { lookup, .. } => {
//!                 // ask the CRM, then (here: nobody found):
//!                 core.handle_identified(Instant::now(), lookup, None);
//!             }
//!         }
//!     }
//!     // Wait for a datagram, a media event or `core.poll_timeout()`, then one of:
//!     if let Some((from, bytes)) = socket_recv() {
//!         core.handle_datagram(Instant::now(), from, &bytes);
//!     }
//!     core.handle_timeout(Instant::now());
//! #   break;
//! }
//! # Ok(()) }
//! ```
//!
//! The code follows a call's seams: [`caller`](self) (the caller's SIP leg), `operator`
//! (registrations and the operator's leg), `routing` (IVR and ACD), `teardown` (ending a call
//! and its record). A call's phase is one enum carrying its own data (`call.rs`); every
//! deadline sits in one heap (`timers.rs`).

mod browser;
mod call;
mod caller;
mod commands;
pub mod config;
pub mod events;
mod features;
mod info_dtmf;
mod limits;
mod operator;
mod pop;
mod restore;
mod routing;
mod script;
mod teardown;
mod timers;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use common::Clock;
use ivr::Script;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sip_transaction::{
    ClientTxId, Endpoint, EndpointConfig, Registrar, RegistrarConfig, ServerTxId,
};
use tracing::warn;

use crate::call::{Call, CallTimer, Side};
pub use crate::commands::{CommandError, ForcedState, OperatorCommand};
pub use crate::config::{AcdSettings, AgentConfig, EngineConfig, Limits};
pub use crate::events::{
    CallArrived, CallFact, CallOffered, CallRecord, CallRef, LegId, LegOpened, LookupId,
    MediaCommand, MediaEvent, StoredBinding,
};
pub use crate::features::FEATURE_PROMPTS;
pub use crate::pop::desk_url_problem;
pub use crate::restore::{JournalMismatch, Restored, StoredEntry};
pub use crate::script::{ScriptActivated, ScriptRefused};
use crate::timers::Deadlines;
/// The ACD core this crate drives: its queue settings are part of [`EngineConfig`].
pub use acd;

/// What a queued caller hears between announcements.
pub const HOLD_MUSIC: &str = "hold_music";

/// Every prompt the engine itself plays (hold music, position and wait announcements), apart
/// from those of the IVR script.
pub fn engine_prompts() -> Vec<String> {
    let mut names: Vec<String> = [HOLD_MUSIC]
        .into_iter()
        .chain(routing::ANNOUNCEMENT_PROMPTS)
        .map(str::to_owned)
        .collect();
    names.extend((0..10).map(routing::digit_prompt));
    names.extend(features::FEATURE_PROMPTS.iter().map(|p| p.to_string()));
    names
}

/// How long the IVR waits for the answer to an [`Output::IdentifyCaller`] before it goes on
/// as for a caller nobody matched (a guest): a slow or unreachable CRM must not hold callers.
pub const IDENTIFY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Longest caller Call-ID we accept, in bytes: the INVITE is refused with 400 past it.
pub const MAX_CALL_ID_LEN: usize = 256;
/// Longest caller identity (the From URI's user part), in bytes: refused with 400 past it.
pub const MAX_CALLER_LEN: usize = 128;

/// What the core asks of its driver.
#[derive(Debug)]
pub enum Output {
    /// Send these bytes in one UDP datagram.
    Transmit {
        to: std::net::SocketAddr,
        bytes: Vec<u8>,
    },
    /// Bind an RTP socket for `leg`, then answer with [`CallControl::handle_leg_opened`].
    OpenLeg { leg: LegId },
    /// A command for the leg's media task.
    Media { leg: LegId, command: MediaCommand },
    /// A fact of a call: make it durable before carrying out the outputs after it.
    Fact(Box<CallFact>),
    /// A fact of the ACD (joins, offers, operator states...): append it to the journal, in
    /// order; the journal rebuilds the ACD and its reports. `at_unix_ms` is its wall time.
    AcdJournal {
        entry: acd::JournalEntry,
        at_unix_ms: i64,
    },
    /// The IVR asks who is calling (`identify ani` / `identify pin`): look the caller up in
    /// the customer directory and answer with [`CallControl::handle_identified`] within
    /// [`IDENTIFY_TIMEOUT`]. `number` is the caller's number (E.164 when it has one), `None`
    /// when withheld; `pin` is what the caller typed, for `identify pin`.
    IdentifyCaller {
        lookup: LookupId,
        number: Option<String>,
        pin: Option<common::Pii<String>>,
    },
    /// An operator's phone registrations changed: keep these (all of them, replacing what
    /// was kept for `aor`), so that a restart finds the phones where they were.
    Registrations {
        aor: String,
        bindings: Vec<StoredBinding>,
    },
}

/// The core refuses to start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    #[error("acd: {0}")]
    Acd(#[from] acd::ConfigError),
    #[error("queue {0} is configured but the ivr script never uses it")]
    UnusedQueue(String),
    #[error("agent {agent} serves queue {queue}, which the ivr script never uses")]
    UnknownQueue { agent: String, queue: String },
}

/// Engine-wide counters, for logs and the supervisor view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ControlStats {
    pub calls_started: u64,
    pub calls_active: u64,
    pub calls_rejected: u64,
    /// Of the rejected: refused by admission control ([`Limits`]).
    pub calls_refused_overload: u64,
    /// Calls ended because their RTP stopped or they reached the longest duration.
    pub calls_ended_by_limits: u64,
}

/// An operator account and where their phone is.
#[derive(Debug)]
pub(crate) struct Agent {
    pub password: String,
    /// Where to send INVITEs: the registered Contact and the address to send to.
    pub contact: Option<(sip_message::Uri, std::net::SocketAddr)>,
    /// The operator's browser softphone, while its session lasts (preferred to the phone).
    pub browser: Option<browser::BrowserPhone>,
}

pub struct CallControl {
    config: EngineConfig,
    clock: Arc<dyn Clock>,
    endpoint: Endpoint,
    registrar: Registrar,
    acd: acd::Acd,
    script: Arc<Script>,
    rng: ChaCha8Rng,
    calls: HashMap<acd::CallId, Call>,
    by_sip_call_id: HashMap<String, (acd::CallId, Side)>,
    by_invite_tx: HashMap<ServerTxId, acd::CallId>,
    by_client_tx: HashMap<ClientTxId, acd::CallId>,
    by_leg: HashMap<LegId, acd::CallId>,
    by_ref: HashMap<CallRef, acd::CallId>,
    /// Calls that leave no facts (feature codes).
    unrecorded: std::collections::HashSet<CallRef>,
    agents: HashMap<String, Agent>,
    /// The browser softphones' legs and whose they are (one per operator at most).
    browser_legs: HashMap<LegId, String>,
    outputs: VecDeque<Output>,
    deadlines: Deadlines<(acd::CallId, CallTimer)>,
    /// The ACD's next deadline, as its last `poll_output` said.
    acd_deadline: Option<Instant>,
    /// Prefix of the engine's call IDs: the node name and a boot epoch.
    call_ref_prefix: String,
    /// The ACD's configuration, to replay its journal at a restart.
    acd_config: acd::AcdConfig,
    /// The next call's sequence number in its call ID.
    next_call_seq: u64,
    /// The next call's number in the ACD: boot epoch (ms) × 10⁶ + sequence, so that numbers
    /// never repeat across restarts (the ACD's journal outlives a boot).
    next_call: u64,
    next_leg: u64,
    next_token: u64,
    draining: bool,
    /// Admission control's token bucket: calls it may still accept now, and when it was
    /// last filled.
    admission_tokens: f64,
    admission_filled: Instant,
    /// Set by `hang_up_all`: no more offers to operators.
    hanging_up: bool,
    stats: ControlStats,
}

impl CallControl {
    pub fn new(
        config: EngineConfig,
        script: Arc<Script>,
        clock: Arc<dyn Clock>,
        now: Instant,
    ) -> Result<Self, ControlError> {
        let seed = config.rng_seed.unwrap_or_else(|| rand::rng().random());
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let endpoint = Endpoint::new(
            EndpointConfig::new(
                config.sip_addr,
                concat!("centralino/", env!("CARGO_PKG_VERSION")),
            ),
            rng.random(),
        );
        let mut registrar_config = RegistrarConfig::new(config.domain.clone());
        if !config.digest_algorithms.is_empty() {
            registrar_config.algorithms = config.digest_algorithms.clone();
        }
        let registrar = Registrar::new(registrar_config, now, rng.random());
        let all_queues: Vec<String> = script.queues_used().into_iter().collect();
        if let Some(q) = config
            .queues
            .iter()
            .find(|q| !all_queues.contains(&q.name.0))
        {
            return Err(ControlError::UnusedQueue(q.name.0.clone()));
        }
        let queue_configs = all_queues
            .iter()
            .map(|name| {
                config
                    .queues
                    .iter()
                    .find(|q| q.name.0 == *name)
                    .cloned()
                    .unwrap_or_else(|| acd::QueueConfig::new(name))
            })
            .collect();
        let mut agents = HashMap::new();
        let mut operators = Vec::new();
        for a in &config.agents {
            let queues = if a.queues.is_empty() {
                all_queues.clone()
            } else {
                a.queues.clone()
            };
            if let Some(q) = queues.iter().find(|q| !all_queues.contains(q)) {
                return Err(ControlError::UnknownQueue {
                    agent: a.id.clone(),
                    queue: q.clone(),
                });
            }
            operators.push(acd::OperatorProfile {
                id: a.id.as_str().into(),
                queues: queues
                    .iter()
                    .map(|q| acd::Membership {
                        queue: q.as_str().into(),
                        skill: a.skill,
                    })
                    .collect(),
            });
            agents.insert(
                a.id.clone(),
                Agent {
                    password: a.password.clone(),
                    contact: None,
                    browser: None,
                },
            );
        }
        let mut acd_config = acd::AcdConfig::new(queue_configs);
        acd_config.operators = operators;
        acd_config.ageing_bound = config.acd.ageing_bound;
        acd_config.targets = config.acd.targets;
        let acd = acd::Acd::new(acd_config.clone(), now)?;
        let epoch = config.call_id_epoch.unwrap_or_else(|| clock.now_unix_ms());
        let admission_tokens = f64::from(config.limits.max_call_rate);
        let call_ref_prefix = format!("{}-{}", config.node, base36(epoch.max(0) as u64));
        Ok(Self {
            config,
            clock,
            endpoint,
            registrar,
            acd,
            script,
            rng,
            calls: HashMap::new(),
            by_sip_call_id: HashMap::new(),
            by_invite_tx: HashMap::new(),
            by_client_tx: HashMap::new(),
            by_leg: HashMap::new(),
            by_ref: HashMap::new(),
            unrecorded: Default::default(),
            agents,
            browser_legs: HashMap::new(),
            outputs: VecDeque::new(),
            deadlines: Deadlines::new(),
            acd_deadline: None,
            call_ref_prefix,
            acd_config,
            next_call_seq: 1,
            next_call: u64::try_from(epoch.max(0))
                .unwrap_or(0)
                .saturating_mul(1_000_000)
                .saturating_add(1),
            next_leg: 1,
            next_token: 1,
            draining: false,
            admission_tokens,
            admission_filled: now,
            hanging_up: false,
            stats: ControlStats::default(),
        })
    }

    pub fn stats(&self) -> ControlStats {
        ControlStats {
            calls_active: self.calls.len() as u64,
            ..self.stats
        }
    }

    pub fn sip_stats(&self) -> sip_transaction::EndpointStats {
        self.endpoint.stats()
    }

    pub fn acd_snapshot(&self, now: Instant) -> acd::Snapshot {
        self.acd.snapshot(now)
    }

    /// Stop taking calls: new INVITEs get 503 from now on.
    pub fn begin_shutdown(&mut self) {
        self.draining = true;
    }

    pub fn active_calls(&self) -> usize {
        self.calls.len()
    }

    /// Whether requests we sent (BYE, CANCEL, INVITE) still await their answers: at shutdown
    /// the driver keeps serving until they are done, so that a lost BYE is retransmitted.
    pub fn sip_busy(&self) -> bool {
        self.endpoint.client_transaction_count() > 0
    }

    /// The next thing to do, or `None` until the next input or [`Self::poll_timeout`].
    pub fn poll_output(&mut self) -> Option<Output> {
        loop {
            if let Some(out) = self.outputs.pop_front() {
                return Some(out);
            }
            match self.endpoint.poll_output()? {
                sip_transaction::Output::Transmit { to, bytes } => {
                    return Some(Output::Transmit { to, bytes });
                }
                sip_transaction::Output::Event(_) => {
                    // Events are consumed inside `pump_endpoint`; one left here means an
                    // input path forgot to pump. Drop it rather than loop forever.
                    warn!("sip event left undrained");
                }
            }
        }
    }

    /// The earliest instant at which [`CallControl::handle_timeout`] must run.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.endpoint.poll_timeout(),
            self.acd_deadline,
            self.registrar.poll_timeout(),
            self.deadlines.next(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ----- inputs ---------------------------------------------------------------------------

    /// A datagram arrived on the SIP socket.
    pub fn handle_datagram(&mut self, now: Instant, from: std::net::SocketAddr, bytes: &[u8]) {
        self.endpoint.handle_datagram(now, from, bytes);
        self.pump_endpoint(now);
    }

    /// Time passed: fire what is due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.endpoint.handle_timeout(now);
        self.pump_endpoint(now);
        let expired = self.registrar.handle_timeout(now);
        let any_expired = !expired.is_empty();
        for change in expired {
            self.apply_binding_change(now, change);
        }
        if any_expired {
            self.pump_acd(now);
        }
        for (at, (id, timer)) in self.deadlines.pop_due(now) {
            // A stale entry: the call is gone, or re-armed or disarmed this timer since.
            let current = self.calls.get(&id).and_then(|c| match timer {
                CallTimer::MaxDuration => Some(c.ends_by),
                _ => c.phase.deadline(timer),
            });
            if current != Some(at) {
                continue;
            }
            match timer {
                CallTimer::Answer => self.answer_caller(now, id),
                CallTimer::Ivr => {
                    if let Some(call) = self.calls.get_mut(&id)
                        && let call::Phase::Ivr { deadline, .. } = &mut call.phase
                    {
                        *deadline = None;
                    }
                    self.ivr_input(now, id, ivr::Input::Timeout(now));
                }
                CallTimer::Lookup => self.lookup_timed_out(now, id),
                CallTimer::MaxDuration => self.max_duration_reached(now, id),
            }
        }
        if self.acd_deadline.is_some_and(|t| t <= now) {
            self.acd.handle_timeout(now);
            self.pump_acd(now);
        }
    }

    /// The answer to an [`Output::OpenLeg`].
    pub fn handle_leg_opened(&mut self, now: Instant, leg: LegId, result: LegOpened) {
        let Some(&id) = self.by_leg.get(&leg) else {
            // The call ended while the socket was being opened.
            if matches!(result, LegOpened::Bound(_)) {
                self.media(leg, MediaCommand::Close);
            }
            return;
        };
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.leg == leg {
            self.caller_leg_opened(now, id, result);
        } else {
            self.operator_leg_opened(now, id, leg, result);
        }
    }

    /// The answer to an [`Output::IdentifyCaller`]: the customer found, or `None` (nobody
    /// matched, or the look-up failed). Ignored when the IVR no longer waits for it.
    pub fn handle_identified(
        &mut self,
        now: Instant,
        lookup: LookupId,
        customer: Option<ivr::Customer>,
    ) {
        self.identified(now, lookup, customer);
    }

    /// A media leg reported something.
    pub fn handle_media_event(&mut self, now: Instant, leg: LegId, event: MediaEvent) {
        if self.browser_media_event(now, leg, &event) {
            return;
        }
        let Some(&id) = self.by_leg.get(&leg) else {
            return;
        };
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if event == MediaEvent::Inactive {
            // Either leg: the call is over.
            self.media_inactive(now, id);
            return;
        }
        if call.leg != leg {
            // Keys pressed on the operator's phone are not for the IVR.
            return;
        }
        if let call::Phase::Closing { token } = call.phase {
            if event == (MediaEvent::PlaybackFinished { token }) {
                self.end_call(now, id, common::call::EndReason::QueueExit, None);
            }
            return;
        }
        if !matches!(call.phase, call::Phase::Ivr { .. }) {
            // Keys pressed after the IVR are not for it.
            return;
        }
        match event {
            MediaEvent::Digit(d) => {
                tracing::debug!(call = %call.call_ref, digit = %d, "dtmf");
                self.ivr_input(now, id, ivr::Input::Digit(d, now));
            }
            MediaEvent::PlaybackFinished { token } => {
                if token == call.play_token {
                    self.ivr_input(now, id, ivr::Input::PlaybackFinished(now));
                }
            }
            MediaEvent::Inactive => {} // handled above, for both legs
            // Only browser softphone legs report these (handled above).
            MediaEvent::Connected | MediaEvent::Closed => {}
        }
    }

    // ----- small shared helpers -------------------------------------------------------------

    fn media(&mut self, leg: LegId, command: MediaCommand) {
        self.outputs.push_back(Output::Media { leg, command });
    }

    fn fact(&mut self, fact: CallFact) {
        if self.unrecorded.contains(fact.call()) {
            if matches!(fact, CallFact::Ended(_)) {
                self.unrecorded.remove(fact.call());
            }
            return;
        }
        self.outputs.push_back(Output::Fact(Box::new(fact)));
    }

    fn new_leg(&mut self) -> LegId {
        let leg = LegId(self.next_leg);
        self.next_leg += 1;
        leg
    }

    fn new_token(&mut self) -> u64 {
        let token = self.next_token;
        self.next_token += 1;
        token
    }

    fn new_call_ref(&mut self) -> CallRef {
        let seq = self.next_call_seq;
        self.next_call_seq += 1;
        CallRef(format!("{}-{seq:06}", self.call_ref_prefix))
    }

    fn arm(&mut self, at: Instant, id: acd::CallId, timer: CallTimer) {
        self.deadlines.arm(at, (id, timer));
    }
}

/// `n` in base 36 (lowercase): short, sortable-by-length IDs.
fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("base36 digits are ascii")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base36_digits() {
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
        assert_eq!(base36(1_795_000_000_000), "mwm0nk74");
    }
}
