//! centralino: one process that runs the telephony engine and, by default, the embedded CRM.
//!
//! [`Config`] is read from TOML (`deploy/demo.toml`); [`start`] binds every listener, loads the
//! IVR script and prompts (refusing broken ones with file, line and reason), opens the store
//! and starts the tasks; [`Running::shutdown`] refuses new calls, lets established calls finish
//! within the grace period, and stops.

mod config;
mod crm_users;
pub mod ivr_admin;
pub mod prompt_admin;
pub mod top;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::{Clock, SystemClock};
use engine::{Assets, Engine, EngineConfig, Outbox};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::info;

pub use config::{CTI_TOKEN_ENV, Config, ConfigError, CrmMode};

/// How long shutdown waits for the outbox to reach the CRM (what is left is delivered at the
/// next start).
const CTI_FLUSH: Duration = Duration::from_secs(10);

/// A running centralino.
pub struct Running {
    pub sip_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    pub http_addr: SocketAddr,
    stop: watch::Sender<bool>,
    engine: JoinHandle<Result<(), engine::EngineError>>,
    crm: Option<(watch::Sender<bool>, JoinHandle<()>)>,
    outbox: Outbox,
    delivery_stop: watch::Sender<bool>,
    delivery: JoinHandle<()>,
    /// What live reload of the IVR script and the prompts has done (see [`engine::reload`]).
    pub reload: watch::Receiver<engine::reload::Status>,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    #[error(transparent)]
    Engine(#[from] engine::EngineError),
    #[error("store: {0}")]
    Store(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cti: {0}")]
    Cti(String),
    #[error(transparent)]
    Outbox(#[from] engine::OutboxError),
    #[error(
        "the CTI link needs the engine's service credential: set CENTRALINO_CTI_TOKEN or \
         crm.token_file (at least {} characters), the same for engine and CRM",
        crm::MIN_TOKEN_LEN
    )]
    NoCtiToken,
    #[error("{path}: cannot read the service credential: {source}")]
    CtiTokenFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: cannot read the service catalogue: {source}")]
    CatalogueFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Catalogue { path: PathBuf, message: String },
    #[error("cannot apply the users of the configuration: {0}")]
    Users(#[source] crm::CrmError),
}

impl Config {
    /// The configured service credential: the environment first, then the token file.
    pub fn cti_token(&self) -> Result<Option<String>, StartError> {
        if let Ok(token) = std::env::var(CTI_TOKEN_ENV)
            && !token.trim().is_empty()
        {
            return Ok(Some(token.trim().to_owned()));
        }
        let Some(path) = &self.cti_token_file else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path).map_err(|source| StartError::CtiTokenFile {
            path: path.clone(),
            source,
        })?;
        Ok(Some(text.trim().to_owned()).filter(|t| !t.is_empty()))
    }
}

/// A fresh credential for an engine and CRM in one process: 32 random alphanumerics.
fn generated_token() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..32)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

async fn bind_tcp(addr: SocketAddr) -> Result<tokio::net::TcpListener, StartError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Listen { addr, source })
}

/// Open the configured store: SQLite in `data_dir` unless a database URL is given.
pub async fn open_store(
    config: &Config,
    clock: Arc<dyn Clock>,
) -> Result<crm_store::AnyStore, StartError> {
    let url = match &config.database_url {
        Some(url) => url.clone(),
        None => {
            std::fs::create_dir_all(&config.data_dir).map_err(|e| {
                StartError::Store(format!("cannot create {}: {e}", config.data_dir.display()))
            })?;
            format!(
                "sqlite://{}",
                config.data_dir.join("centralino.db").display()
            )
        }
    };
    let store = crm_store::AnyStore::connect(&url, clock)
        .await
        .map_err(|e| StartError::Store(e.to_string()))?;
    Ok(match &config.catalogue {
        Some(path) => store.with_catalogue(Arc::new(load_catalogue(path)?)),
        None => store,
    })
}

/// Reads and checks a service catalogue file: every mistake names the offending code.
pub fn load_catalogue(path: &Path) -> Result<service_request::Catalogue, StartError> {
    let text = std::fs::read_to_string(path).map_err(|source| StartError::CatalogueFile {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| StartError::Catalogue {
        path: path.to_path_buf(),
        message: e.message().to_owned(),
    })
}

/// Open the engine's outbox in `data_dir`.
pub async fn open_outbox(config: &Config, clock: Arc<dyn Clock>) -> Result<Outbox, StartError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        StartError::Store(format!("cannot create {}: {e}", config.data_dir.display()))
    })?;
    Ok(Outbox::open(&config.data_dir.join(engine::outbox::OUTBOX_FILE), clock).await?)
}

async fn stop_signal(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Start the CRM service alone (`centralino crm`), accepting CTI calls that present `token`.
pub async fn start_crm(
    config: &Config,
    token: &str,
) -> Result<(SocketAddr, SocketAddr, watch::Sender<bool>, JoinHandle<()>), StartError> {
    let credential =
        crm::ServiceCredential::new(token).map_err(|e| StartError::Cti(e.to_string()))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = open_store(config, clock.clone()).await?;
    crm::auth::apply_configured_users(&store, config.crm_users.clone(), config.crm_auth.hash_cost)
        .await
        .map_err(StartError::Users)?;
    let store = Arc::new(store);
    let grpc = bind_tcp(config.grpc_listen).await?;
    let http = bind_tcp(config.http_listen).await?;
    let grpc_addr = grpc.local_addr().map_err(|source| StartError::Listen {
        addr: config.grpc_listen,
        source,
    })?;
    let http_addr = http.local_addr().map_err(|source| StartError::Listen {
        addr: config.http_listen,
        source,
    })?;
    let crm_config = crm::CrmConfig {
        credential,
        auth: config.crm_auth.clone(),
        clock,
        // One plan for both halves: the numbers the engine reports and those operators type
        // for customers must normalise alike to match.
        numbering_plan: config.engine.numbering_plan.clone(),
        desk_session_check: crm::desk::SESSION_CHECK,
        secure_cookies: config.crm_secure_cookies,
    };
    let (stop, rx) = watch::channel(false);
    let task = tokio::spawn(async move {
        if let Err(e) = crm::serve(store, crm_config, grpc, http, stop_signal(rx)).await {
            tracing::error!(error = %e, "crm service stopped");
        }
    });
    info!(%grpc_addr, %http_addr, "crm service listening");
    Ok((grpc_addr, http_addr, stop, task))
}

/// Where the engine keeps the IVR script versions it served, in the data directory.
pub const IVR_VERSIONS_DIR: &str = "ivr-versions";

/// Start everything: the CRM (if embedded) and the engine.
pub async fn start(config: Config) -> Result<Running, StartError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let watched = engine::reload::Watched {
        script: config.resolve(&config.ivr_script),
        prompts: config.resolve(&config.prompts_dir),
        versions: config.data_dir.join(IVR_VERSIONS_DIR),
    };
    let assets = Assets::load(&watched.script, &watched.prompts)?;
    let script_text = assets.script_text.clone();
    let (stop, stop_rx) = watch::channel(false);
    let token = match (config.cti_token()?, &config.crm) {
        (Some(token), _) => token,
        (None, CrmMode::Embedded) => generated_token(),
        (None, CrmMode::Remote(_)) => return Err(StartError::NoCtiToken),
    };
    let (crm, grpc_addr, http_addr, cti_url) = match &config.crm {
        CrmMode::Embedded => {
            let (grpc_addr, http_addr, crm_stop, task) = start_crm(&config, &token).await?;
            (
                Some((crm_stop, task)),
                grpc_addr,
                http_addr,
                format!("http://{grpc_addr}"),
            )
        }
        CrmMode::Remote(url) => (None, config.grpc_listen, config.http_listen, url.clone()),
    };
    let directory =
        engine::directory::Directory::crm(&cti_url, token.clone()).map_err(StartError::Cti)?;
    let client = engine::cti::client(&cti_url, Some(token)).map_err(StartError::Cti)?;
    let outbox = open_outbox(&config, clock.clone()).await?;
    let closed = outbox.recover_interrupted().await?;
    if !closed.is_empty() {
        tracing::warn!(
            calls = closed.len(),
            "the engine had stopped abruptly: its calls in progress were closed as interrupted"
        );
    }
    let engine_config = EngineConfig {
        sip_addr: config.sip_listen,
        desk_url: config.engine.desk_url.clone().or_else(|| {
            matches!(config.crm, CrmMode::Embedded).then(|| format!("http://{http_addr}"))
        }),
        call_id_epoch: Some(outbox.next_boot_epoch().await?),
        ..config.engine.clone()
    };
    let (delivery_stop, delivery_rx) = watch::channel(false);
    let (live_views, live_rx) = watch::channel(None);
    tokio::spawn(engine::live::publish(client.clone(), live_rx));
    let command_client = client.clone();
    let (opened, opened_rx) = tokio::sync::mpsc::channel(1024);
    let delivery = tokio::spawn(engine::cti::deliver(
        outbox.clone(),
        client,
        delivery_rx,
        Some(opened),
    ));
    let mut engine = Engine::bind(engine_config, config.sip_listen, assets, clock).await?;
    engine.restore(&outbox).await?;
    engine.set_directory(directory);
    engine.set_live_view(live_views);
    let (commands, driver_commands) = tokio::sync::mpsc::channel(engine::commands::QUEUE);
    engine.set_commands(driver_commands);
    let (admin_commands, admin_rx) = tokio::sync::mpsc::channel(8);
    tokio::spawn(engine::commands::follow(
        command_client,
        engine.node().to_owned(),
        commands,
        admin_commands,
    ));
    let (activations, activation_rx) = tokio::sync::mpsc::channel(4);
    engine.set_activations(activation_rx);
    engine.set_service_requests(opened_rx);
    let (reload_status, reload) = watch::channel(engine::reload::Status::default());
    tokio::spawn(engine::reload::watch(
        watched,
        engine.prompt_library(),
        engine.script(),
        script_text,
        engine::reload::Links {
            activations,
            status: reload_status,
            admin: admin_rx,
            stop: stop_rx.clone(),
        },
    ));
    let sip_addr = engine.sip_addr();
    info!(%sip_addr, "sip listening (udp)");
    let engine_stop = stop_signal(stop_rx);
    let engine_task = tokio::spawn(engine.run(outbox.clone(), engine_stop));
    Ok(Running {
        sip_addr,
        grpc_addr,
        http_addr,
        stop,
        engine: engine_task,
        crm,
        outbox,
        delivery_stop,
        delivery,
        reload,
    })
}

impl Running {
    /// Stop taking calls (new INVITEs get 503), let calls finish within the grace period,
    /// then stop the engine and the embedded CRM.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        match self.engine.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "engine stopped with an error"),
            Err(e) => tracing::error!(error = %e, "engine task failed"),
        }
        // Every fact is in the outbox now: give the delivery a moment to bring the last call
        // records to the CRM. What it cannot deliver stays on disk for the next start.
        let deadline = tokio::time::Instant::now() + CTI_FLUSH;
        loop {
            match self.outbox.status().await {
                Ok(s) if s.pending == 0 => break,
                Ok(s) if tokio::time::Instant::now() >= deadline => {
                    tracing::warn!(
                        pending = s.pending,
                        "call facts not yet delivered: they stay in the outbox for the next start"
                    );
                    break;
                }
                Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the outbox");
                    break;
                }
            }
        }
        let _ = self.delivery_stop.send(true);
        let _ = self.delivery.await;
        self.outbox.close().await;
        if let Some((crm_stop, crm)) = self.crm {
            let _ = crm_stop.send(true);
            let _ = crm.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prompt_the_engine_plays_itself_is_shipped() {
        let library = prompts::PromptLibrary::load_dir(root().join("prompts")).unwrap();
        for name in call_control::engine_prompts() {
            assert!(
                library.get(&name).is_some(),
                "prompts/{name}.wav is shipped"
            );
        }
    }

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn a_broken_catalogue_is_refused_with_file_and_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalogue.toml");
        std::fs::write(
            &path,
            "groups = [{ code = \"Front\", name = \"x\", level = \"first\" }]\n",
        )
        .unwrap();
        let err = load_catalogue(&path).unwrap_err().to_string();
        assert!(
            err.contains("catalogue.toml") && err.contains("\"Front\""),
            "{err}"
        );
        let missing = load_catalogue(&dir.path().join("nope.toml")).unwrap_err();
        assert!(matches!(missing, StartError::CatalogueFile { .. }));
    }

    #[test]
    fn the_demo_assets_load_together() {
        let config = Config::demo_for_tests(&root(), Path::new("/nonexistent"));
        let assets = Assets::load(
            &config.resolve(&config.ivr_script),
            &config.resolve(&config.prompts_dir),
        )
        .unwrap();
        assert!(assets.script.queues_used().contains("personnel-info"));
    }

    #[test]
    fn a_broken_ivr_script_is_refused_with_file_line_and_reason() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("broken.ivr");
        std::fs::write(
            &script,
            "menu start\n  prompt main_menu\n  1 \"x\" -> goto nowhere\nend\n",
        )
        .unwrap();
        let err = Assets::load(&script, &root().join("prompts"))
            .err()
            .expect("refused")
            .to_string();
        assert!(err.contains("broken.ivr:"), "{err}");
        assert!(err.contains("nowhere"), "{err}");
    }

    #[test]
    fn a_script_playing_a_missing_prompt_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("s.ivr");
        let text = std::fs::read_to_string(root().join("ivr-scripts/toll-free.ivr"))
            .unwrap()
            .replace("play welcome", "play welcome_typo");
        std::fs::write(&script, text).unwrap();
        let err = Assets::load(&script, &root().join("prompts"))
            .err()
            .expect("refused")
            .to_string();
        assert!(err.contains("welcome_typo"), "{err}");
    }
}
