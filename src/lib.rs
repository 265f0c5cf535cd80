//! centralino: one process that runs the telephony engine and (optionally) the embedded CRM.
//!
//! CONTRACT STUB (lead): `Config`, `start` and `Running` are the API the end-to-end tests and
//! the binary use. Bodies are filled in by the lead.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Everything `centralino run` needs. Loaded from TOML (`deploy/demo.toml`), flags override.
#[derive(Debug, Clone)]
pub struct Config {
    /// SIP UDP listen address, e.g. 127.0.0.1:5060 (port 0 = pick a free one).
    pub sip_listen: SocketAddr,
    /// CTI gRPC listen address of the embedded CRM (port 0 = free one).
    pub grpc_listen: SocketAddr,
    /// HTTP listen address of the embedded CRM API (port 0 = free one).
    pub http_listen: SocketAddr,
    /// Where the embedded store keeps its SQLite file.
    pub data_dir: PathBuf,
    /// Repository-style root holding `ivr-scripts/`, `prompts/`.
    pub assets_dir: PathBuf,
}

impl Config {
    /// The demo setup with every listener on 127.0.0.1 and a free port, data in `data_dir`.
    pub fn demo_for_tests(assets_dir: &Path, data_dir: &Path) -> Config {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        Config {
            sip_listen: any,
            grpc_listen: any,
            http_listen: any,
            data_dir: data_dir.to_path_buf(),
            assets_dir: assets_dir.to_path_buf(),
        }
    }
}

/// A running centralino; dropping it without `shutdown` aborts its tasks.
pub struct Running {
    pub sip_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    pub http_addr: SocketAddr,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    #[error("not implemented yet")]
    NotYet,
}

pub async fn start(config: Config) -> Result<Running, StartError> {
    let _ = config;
    Err(StartError::NotYet)
}

impl Running {
    /// Stop taking calls (new INVITEs get 503), let calls finish, then stop.
    pub async fn shutdown(self) {}
}
