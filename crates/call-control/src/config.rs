//! Call-control settings, as the binary's TOML config and flags produce them.

use std::collections::BTreeMap;
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
}

/// Per-queue settings; queues named by the IVR script but not listed here get the defaults.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct QueueSettings {
    /// How often a waiting caller hears position and average wait.
    #[serde(with = "secs")]
    pub announce_every: Duration,
    /// How long an operator's phone may ring before the call is offered to the next one.
    #[serde(with = "secs")]
    pub ring_timeout: Duration,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            announce_every: Duration::from_secs(30),
            ring_timeout: Duration::from_secs(20),
        }
    }
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
    /// Offset of local time from UTC for business hours, in minutes (no DST handling yet).
    pub utc_offset_minutes: i32,
    /// Digest algorithms offered to phones, most preferred first (empty: SHA-256, then MD5).
    pub digest_algorithms: Vec<sip_transaction::digest::Algorithm>,
    /// A registered phone is a ready operator (skeleton mode: no separate agent login yet).
    pub registration_means_ready: bool,
    pub agents: Vec<AgentConfig>,
    /// How callers' numbers are normalised to E.164 (the country's rules).
    pub numbering_plan: common::phone::NumberingPlan,
    pub queues: BTreeMap<String, QueueSettings>,
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
