//! Call-control settings, as the binary's TOML config and flags produce them.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::Deserialize;

/// One operator account: a SIP phone registers as `id` with `password`.
#[derive(Debug, Clone, Deserialize)]
pub struct AgentConfig {
    pub id: String,
    /// Digest password (RFC 8760 MD5 for now). Demo configs only: real installs keep it out of
    /// the config file (see docs/configuration.md).
    pub password: String,
    #[serde(default)]
    pub name: String,
    /// Queues the operator serves; empty means every queue of the IVR script.
    #[serde(default)]
    pub queues: Vec<String>,
    /// Skill level in those queues, 0 to 100 (the `skills` strategy prefers higher).
    #[serde(default = "default_skill")]
    pub skill: u8,
}

/// Limits that protect the service (`[limits]` in the configuration file).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Calls in progress at most (IVR, queue and talking together); a caller beyond it gets
    /// `503 Service Unavailable` with `Retry-After`.
    #[serde(default = "default_max_calls")]
    pub max_calls: usize,
    /// New calls accepted per second at most (a one-second burst allowed); beyond it, 503
    /// with `Retry-After`. 0: no rate limit.
    #[serde(default = "default_max_call_rate")]
    pub max_call_rate: u32,
    /// The longest a call may last, answer to end; then the engine hangs up both sides and
    /// records it with end reason `max_duration`.
    #[serde(default = "default_max_call_duration", with = "secs")]
    pub max_call_duration: Duration,
    /// An answered call whose caller (or operator) phone sends no RTP for this long is over
    /// (the phone or its network died): the engine hangs up and records `media_timeout`.
    #[serde(default = "default_rtp_timeout", with = "secs")]
    pub rtp_timeout: Duration,
}

fn default_max_calls() -> usize {
    2000
}
fn default_max_call_rate() -> u32 {
    200
}
fn default_max_call_duration() -> Duration {
    Duration::from_secs(4 * 3600)
}
fn default_rtp_timeout() -> Duration {
    Duration::from_secs(60)
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_calls: default_max_calls(),
            max_call_rate: default_max_call_rate(),
            max_call_duration: default_max_call_duration(),
            rtp_timeout: default_rtp_timeout(),
        }
    }
}

/// ACD-wide settings (`[acd]` in the configuration file).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcdSettings {
    /// A call that has waited this long outranks every call that has not, whatever the
    /// queue weights.
    #[serde(default = "default_ageing_bound", with = "secs")]
    pub ageing_bound: Duration,
    /// Service-level thresholds (DOMAIN.md SLA.C.2, SLA.C.3).
    #[serde(default)]
    pub targets: acd::ServiceTargets,
}

fn default_ageing_bound() -> Duration {
    acd::AcdConfig::new(Vec::new()).ageing_bound
}

impl Default for AcdSettings {
    fn default() -> Self {
        Self {
            ageing_bound: default_ageing_bound(),
            targets: acd::ServiceTargets::default(),
        }
    }
}

fn default_skill() -> u8 {
    50
}

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// SIP domain and digest realm, e.g. `centralino.local`.
    pub domain: String,
    /// Address RTP sockets bind to and that SDP advertises.
    pub media_ip: IpAddr,
    /// How long the caller leg rings before the IVR answers (0 = at once).
    pub answer_delay: Duration,
    /// `Some(true)`: the IVR's business-hours checks always see "open" (demo, tests);
    /// `Some(false)`: always closed; `None`: the real calendar.
    pub hours_override: Option<bool>,
    /// Offset of local (standard, winter) time from UTC for business hours, in minutes.
    pub utc_offset_minutes: i32,
    /// Summer time on top of `utc_offset_minutes`.
    pub daylight_saving: ivr::DaylightSaving,
    /// Digest algorithms offered to phones, most preferred first (empty: SHA-256, then MD5).
    pub digest_algorithms: Vec<sip_transaction::digest::Algorithm>,
    /// A registered phone is a ready operator (skeleton mode: no separate agent login yet).
    pub registration_means_ready: bool,
    pub agents: Vec<AgentConfig>,
    /// How callers' numbers are normalised to E.164 (the country's rules).
    pub numbering_plan: common::phone::NumberingPlan,
    /// Queue settings (strategy, ring timeout, wrap-up, announcements, overflow, limits...),
    /// by the queue names of the IVR script; queues not listed get the defaults
    /// ([`acd::QueueConfig::new`]).
    pub queues: Vec<acd::QueueConfig>,
    /// Multi-queue fairness and service-level targets of the ACD.
    pub acd: AcdSettings,
    /// Grace period for established calls at shutdown.
    pub shutdown_grace: Duration,
    /// This engine's name in its call IDs (`<node>-<epoch>-<sequence>`): distinct per engine
    /// when several share one CRM.
    pub node: String,
    /// The boot epoch in call IDs (unix ms); `None` takes the clock's time at start. The
    /// engine passes one larger than any earlier boot's, so IDs never repeat across restarts.
    pub call_id_epoch: Option<i64>,
    /// Seed for Call-IDs, tags, branches, SSRCs; `None` takes one from the OS.
    pub rng_seed: Option<u64>,
    /// The SIP socket's address (filled in by the driver once bound).
    pub sip_addr: SocketAddr,
    /// Where operators' desks open a service request, e.g. `https://crm.example.org`: the
    /// INVITE to an operator's phone links the call's SR page (`<desk_url>/desk/sr/<number>`)
    /// in a `Call-Info` header. `None`: no link.
    pub desk_url: Option<String>,
    /// Admission control, the longest call, RTP inactivity.
    pub limits: Limits,
    /// RTP ports (even numbers of this inclusive range, e.g. 10000-20000); `None`: any.
    pub rtp_ports: Option<(u16, u16)>,
}

mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        if !(0.0..=86_400.0).contains(&secs) {
            return Err(serde::de::Error::custom(
                "seconds must be between 0 and 86400",
            ));
        }
        Ok(Duration::from_secs_f64(secs))
    }
}
