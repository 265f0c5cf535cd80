//! The CRM service: opens a service request (SR) for every call and serves SRs.
//!
//! * gRPC (`centralino.cti.v1.Cti`, see `proto/cti.proto`): the engine's call facts (arrived,
//!   offered with the screen pop, answered, ended with the call record). The first opens the
//!   call's SR, exactly once per call ID; every call needs the engine's service credential.
//! * HTTP/JSON (`/api/v1/...`, see `docs/api.md`): SRs for operators and supervisors, the
//!   work on cases (commands under optimistic concurrency), the customer directory, for
//!   staff who logged in (`POST /api/v1/login`), and the administration of users. Handlers
//!   find out who is asking with the extractors of [`auth`] ([`auth::Staff`],
//!   [`auth::CaseWorker`], [`auth::CustomerEditor`], [`auth::Administrator`],
//!   [`auth::Principal`]).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! let store = crm_store::SqliteStore::open("crm.db", Arc::new(common::SystemClock)).await?;
//! let grpc = tokio::net::TcpListener::bind("127.0.0.1:50051").await?;
//! let http = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! let credential = crm::ServiceCredential::new(&std::env::var("CENTRALINO_CTI_TOKEN")?)?;
//! let config = crm::CrmConfig::new(credential);
//! crm::serve(store, config, grpc, http, async { tokio::signal::ctrl_c().await.ok(); }).await?;
//! # Ok(()) }
//! ```

pub mod auth;
mod batch;
mod cti;
pub mod desk;
pub mod engine_link;
mod error;
mod grpc_auth;
mod grpc_crm;
mod grpc_paging;
mod grpc_wire_cases;
mod grpc_wire_customers;
mod grpc_wire_desk;
pub mod http;
pub mod live;
pub mod pages;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use common::phone::NumberingPlan;
use common::{Clock, SystemClock};
use crm_store::{CaseStore, CustomerStore, ServiceRequestStore, UserStore};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_stream::wrappers::TcpListenerStream;

pub use auth::{AuthSettings, CredentialError, MIN_TOKEN_LEN, ServiceCredential};
pub use cti::CtiService;
pub use error::{CrmError, Unauthenticated};
pub use grpc_crm::CrmGrpcService;

/// How the CRM service runs.
#[derive(Clone)]
pub struct CrmConfig {
    /// The engine's credential on the CTI link.
    pub credential: ServiceCredential,
    /// Logins and sessions on the HTTP API.
    pub auth: AuthSettings,
    /// The wall clock of lockouts (the store has its own, normally the same).
    pub clock: Arc<dyn Clock>,
    /// How numbers typed by operators become E.164 (customer phones, look-ups by caller
    /// number): the engine's plan, so that what the engine reports and what operators type
    /// match.
    pub numbering_plan: NumberingPlan,
    /// How often an operator's desk stream checks that its session is still valid (it ends
    /// when the session expires or is logged out).
    pub desk_session_check: std::time::Duration,
    /// Whether the pages' session cookie always gets `Secure` (`crm.secure_cookies`): set it
    /// when browsers reach the CRM over https through a proxy that sends no
    /// `X-Forwarded-Proto: https`.
    pub secure_cookies: bool,
}

impl CrmConfig {
    /// Default login settings and the system clock.
    pub fn new(credential: ServiceCredential) -> Self {
        Self {
            credential,
            auth: AuthSettings::default(),
            clock: Arc::new(SystemClock),
            numbering_plan: NumberingPlan::italy(),
            desk_session_check: desk::SESSION_CHECK,
            secure_cookies: false,
        }
    }
}

impl std::fmt::Debug for CrmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrmConfig")
            .field("credential", &self.credential)
            .field("auth", &self.auth)
            .field("numbering_plan", &self.numbering_plan)
            .finish_non_exhaustive()
    }
}

/// What the CRM pushes and relays live: the operators' desks, the supervisors' board and the
/// command link to the engine.
#[derive(Debug, Clone)]
pub(crate) struct Live {
    pub(crate) desks: Arc<desk::Desks>,
    pub(crate) board: Arc<live::LiveBoard>,
    pub(crate) link: Arc<engine_link::EngineLink>,
}

/// Why the CRM service stopped without being asked to.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    #[error("cannot listen for {service} on {addr}")]
    Bind {
        service: &'static str,
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("grpc server failed")]
    Grpc(#[source] tonic::transport::Error),
    #[error("grpc reflection cannot be built")]
    Reflection(#[source] tonic_reflection::server::Error),
    #[error("http server failed")]
    Http(#[source] std::io::Error),
    #[error("cannot prepare the password checks")]
    Auth(#[source] auth::PasswordError),
}

/// Serves the CTI and the CRM's own API (`centralino.crm.v1.Crm`) over gRPC on
/// `grpc_listener` and the HTTP API on `http_listener` until `shutdown` completes; then both
/// stop accepting and finish the requests in flight.
///
/// Takes bound listeners so that callers (and tests) can bind port 0 and read the address.
pub async fn serve<S: ServiceRequestStore + UserStore + CaseStore + CustomerStore>(
    store: S,
    config: CrmConfig,
    grpc_listener: TcpListener,
    http_listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let store = Arc::new(store);
    let desks = desk::Desks::with_session_check(config.desk_session_check);
    let board = live::LiveBoard::new(config.desk_session_check);
    let link = engine_link::EngineLink::new();
    let auth = auth::Authenticator::new(store.clone(), config.auth, config.clock.clone())
        .await
        .map_err(ServeError::Auth)?;
    let auth = Arc::new(auth);
    let api = http::router(
        http::ApiState::new(store.clone(), auth.clone())
            .with_numbering_plan(config.numbering_plan.clone())
            .with_desks(desks.clone())
            .with_live_board(board.clone())
            .with_engine_link(link.clone())
            .with_secure_cookies(config.secure_cookies),
    );
    let crm_service = CrmGrpcService::new(
        store.clone(),
        auth,
        config.credential.clone(),
        config.numbering_plan.clone(),
        config.clock,
        Live {
            desks: desks.clone(),
            board: board.clone(),
            link: link.clone(),
        },
    );
    let grpc_addr = grpc_listener.local_addr().ok();
    let http_addr = http_listener.local_addr().ok();
    let (stop, stopped) = watch::channel(false);

    // Standard gRPC health checking and server reflection (v1 and v1alpha, which older tools
    // still ask for), so grpcurl, grpc_health_probe and load balancers work unconfigured.
    // Neither needs the credential: they reveal no data, only that the service is up and
    // the public contract.
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<cti_proto::cti_server::CtiServer<CtiService<Arc<S>>>>()
        .await;
    health
        .set_serving::<cti_proto::crm::crm_server::CrmServer<CrmGrpcService<S>>>()
        .await;
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(cti_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1().map_err(ServeError::Reflection)?;
    let reflection_v1alpha = reflection()
        .build_v1alpha()
        .map_err(ServeError::Reflection)?;
    let grpc = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(
            CtiService::new(
                store.clone(),
                desks.clone(),
                board.clone(),
                link.clone(),
                config.numbering_plan.clone(),
            )
            .into_server(config.credential),
        )
        .add_service(crm_service.into_server())
        .serve_with_incoming_shutdown(
            TcpListenerStream::new(grpc_listener),
            until_stopped(stopped.clone()),
        );
    let http = axum::serve(
        http_listener,
        api.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(until_stopped(stopped));
    let servers = async {
        tokio::try_join!(async { grpc.await.map_err(ServeError::Grpc) }, async {
            http.await.map_err(ServeError::Http)
        },)
    };
    tracing::info!(?grpc_addr, ?http_addr, "crm serving");

    tokio::pin!(servers);
    let result = tokio::select! {
        result = &mut servers => result,
        () = shutdown => {
            tracing::info!("crm shutting down");
            // Nobody may be listening any more if a server already stopped: nothing to tell.
            let _ = stop.send(true);
            // Desk streams never end on their own: end them, or graceful shutdown waits.
            desks.close();
            board.close();
            link.close();
            servers.await
        }
    };
    result.map(|((), ())| ())
}

/// Binds both addresses, then [`serve`]s.
pub async fn serve_on<S: ServiceRequestStore + UserStore + CaseStore + CustomerStore>(
    store: S,
    config: CrmConfig,
    grpc_addr: SocketAddr,
    http_addr: SocketAddr,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let bind = |service: &'static str, addr: SocketAddr| async move {
        TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind {
                service,
                addr,
                source,
            })
    };
    let grpc = bind("grpc", grpc_addr).await?;
    let http = bind("http", http_addr).await?;
    serve(store, config, grpc, http, shutdown).await
}

/// Completes when `stop` says so, or when its sender is gone.
async fn until_stopped(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}
