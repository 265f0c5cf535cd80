//! The centralino telephony engine.
//!
//! * [`call_control::CallControl`] (its own crate): the sans-IO call-control core, a
//!   back-to-back user agent that runs each call through the IVR and the ACD to an operator.
//!   This crate only drives it.
//! * [`media_driver`]: one tokio task per RTP leg (prompt playout, RFC 4733 DTMF, relay).
//! * `driver`: the single task that owns the SIP socket and the core, and holds back what
//!   the core asks for until the facts before it are in the outbox.
//! * [`outbox`]: the durable outbox of call facts (SQLite in the data directory), and the
//!   closing of calls a crash interrupted.
//! * [`cti`]: the task that delivers the outbox to the CRM over gRPC.
//!
//! The run loop, as the driver does it:
//!
//! ```text
//! loop {
//!     while let Some(out) = core.poll_output() { transmit / open leg / media command / fact }
//!     select! {
//!         datagram  => core.handle_datagram(now, from, bytes),
//!         media ev  => core.handle_media_event(now, leg, event),
//!         deadline  => core.handle_timeout(now),   // core.poll_timeout()
//!     }
//! }
//! ```

pub mod assets;
pub mod commands;
pub mod cti;
pub mod directory;
mod driver;
pub mod durable_state;
pub mod live;
pub mod media_driver;
pub mod outbox;
pub mod reload;
mod softphone;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use common::Clock;
use prompts::PromptLibrary;
use rand::Rng;

pub use assets::Assets;
pub use call_control::{AcdSettings, AgentConfig, EngineConfig, Limits, acd, events};
pub use outbox::{Outbox, OutboxError, OutboxStatus};
pub use sip_transaction::digest::Algorithm as DigestAlgorithm;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    #[error("cannot bind the sip socket on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Script(String),
    #[error("prompts: {0}")]
    Prompts(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("outbox: {0}")]
    Outbox(String),
}

/// A bound, not yet running engine: lets the caller read the SIP address before `run`.
pub struct Engine {
    socket: tokio::net::UdpSocket,
    core: call_control::CallControl,
    prompts: Arc<Mutex<PromptLibrary>>,
    config: EngineConfig,
    media_seed: u64,
    directory: directory::Directory,
    live: Option<tokio::sync::watch::Sender<Option<cti_proto::LiveView>>>,
    commands: Option<tokio::sync::mpsc::Receiver<commands::Queued>>,
    activations: Option<tokio::sync::mpsc::Receiver<reload::Activation>>,
    opened: Option<tokio::sync::mpsc::Receiver<cti::SrOpened>>,
}

impl Engine {
    pub async fn bind(
        mut config: EngineConfig,
        listen: SocketAddr,
        assets: Assets,
        clock: Arc<dyn Clock>,
    ) -> Result<Engine, EngineError> {
        let socket = tokio::net::UdpSocket::bind(listen)
            .await
            .map_err(|source| EngineError::Bind {
                addr: listen,
                source,
            })?;
        config.sip_addr = socket.local_addr().map_err(|source| EngineError::Bind {
            addr: listen,
            source,
        })?;
        let media_seed = config
            .rng_seed
            .map_or_else(|| rand::rng().random(), |s| s.wrapping_add(1));
        let core =
            call_control::CallControl::new(config.clone(), assets.script, clock, Instant::now())
                .map_err(|e| EngineError::Config(e.to_string()))?;
        Ok(Engine {
            socket,
            core,
            prompts: Arc::new(Mutex::new(assets.prompts)),
            config,
            media_seed,
            directory: directory::Directory::none(),
            live: None,
            commands: None,
            activations: None,
            opened: None,
        })
    }

    /// Takes ACD commands (operators' and supervisors' state changes) from `commands`.
    pub fn set_commands(&mut self, commands: tokio::sync::mpsc::Receiver<commands::Queued>) {
        self.commands = Some(commands);
    }

    /// Takes new IVR scripts from `activations` (see [`reload`]).
    pub fn set_activations(
        &mut self,
        activations: tokio::sync::mpsc::Receiver<reload::Activation>,
    ) {
        self.activations = Some(activations);
    }

    /// Takes the numbers of the SRs the CRM opened (from [`cti::deliver`]), to show them on
    /// operators' phones.
    pub fn set_service_requests(&mut self, opened: tokio::sync::mpsc::Receiver<cti::SrOpened>) {
        self.opened = Some(opened);
    }

    /// The prompt library the media legs play from: [`reload`] swaps it when prompts change.
    pub fn prompt_library(&self) -> Arc<Mutex<PromptLibrary>> {
        self.prompts.clone()
    }

    /// The script new calls start on.
    pub fn script(&self) -> Arc<ivr::Script> {
        self.core.script().clone()
    }

    /// This engine's node name (its call IDs' prefix).
    pub fn node(&self) -> &str {
        &self.config.node
    }

    /// Where the ACD's live view goes (see [`live`]); without it, nowhere.
    pub fn set_live_view(
        &mut self,
        views: tokio::sync::watch::Sender<Option<cti_proto::LiveView>>,
    ) {
        self.live = Some(views);
    }

    /// Where the IVR identifies callers (`identify ani`, `identify pin`); without one, every
    /// caller is a guest.
    pub fn set_directory(&mut self, directory: directory::Directory) {
        self.directory = directory;
    }

    pub fn sip_addr(&self) -> SocketAddr {
        self.config.sip_addr
    }

    /// Picks up what the outbox kept of the last run: the ACD's journal (operators' states,
    /// the day's figures) and the operators' phone registrations. A journal that no longer
    /// fits the configuration is set aside (archived) and the ACD starts afresh.
    pub async fn restore(
        &mut self,
        outbox: &Outbox,
    ) -> Result<call_control::Restored, EngineError> {
        let journal: Vec<call_control::StoredEntry> = outbox
            .acd_journal()
            .await
            .map_err(|e| EngineError::Outbox(e.to_string()))?
            .into_iter()
            .map(|e| call_control::StoredEntry {
                seq: e.seq,
                at_unix_ms: e.at_unix_ms,
                event: e.event,
            })
            .collect();
        let bindings = outbox
            .registrations(common::SystemClock.now_unix_ms())
            .await
            .map_err(|e| EngineError::Outbox(e.to_string()))?;
        let now = Instant::now();
        match self.core.restore(now, journal, bindings.clone()) {
            Ok(restored) => Ok(restored),
            Err(mismatch) => {
                let generation = outbox
                    .archive_acd_journal()
                    .await
                    .map_err(|e| EngineError::Outbox(e.to_string()))?;
                tracing::warn!(error = %mismatch, generation, "the acd journal was archived: operators start logged out");
                self.core
                    .restore(now, Vec::new(), bindings)
                    .map_err(|e| EngineError::Outbox(e.to_string()))
            }
        }
    }

    /// Serve until `shutdown` resolves, then refuse new calls and let established ones finish
    /// within the grace period. Every call fact goes to `outbox` before the engine acts on it.
    pub async fn run(
        self,
        outbox: Outbox,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), EngineError> {
        driver::run(self, outbox, shutdown).await
    }
}
