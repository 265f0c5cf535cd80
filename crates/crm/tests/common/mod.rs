//! A CRM on loopback ports with a fresh SQLite store, and a minimal HTTP/1.1 client.
#![allow(dead_code)] // each test file uses its own part

use std::net::SocketAddr;
use std::sync::Arc;

use common::ManualClock;
use crm_store::SqliteStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// 2026-03-02T10:00:00Z
pub const MARCH_2026: i64 = 1_772_445_600_000;

/// The engine's service credential in these tests.
pub const TOKEN: &str = "test-engine-credential-0123456789";

pub struct Crm {
    pub grpc_url: String,
    pub http_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), crm::ServeError>>>,
    _dir: tempfile::TempDir,
}

impl Crm {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let clock = Arc::new(ManualClock::new(MARCH_2026));
        let store = SqliteStore::open(dir.path().join("crm.db"), clock)
            .await
            .expect("open store");
        let grpc = TcpListener::bind("127.0.0.1:0").await.expect("bind grpc");
        let http = TcpListener::bind("127.0.0.1:0").await.expect("bind http");
        let grpc_url = format!("http://{}", grpc.local_addr().expect("bound"));
        let http_addr = http.local_addr().expect("bound");
        let (stop, stopped) = oneshot::channel::<()>();
        let credential = crm::ServiceCredential::new(TOKEN).expect("a strong test credential");
        let task = tokio::spawn(crm::serve(store, credential, grpc, http, async {
            let _ = stopped.await;
        }));
        Self {
            grpc_url,
            http_addr,
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
        }
    }

    /// A CTI client with the engine's service credential.
    pub async fn cti(&self) -> cti_proto::CtiClient {
        self.cti_with(Some(TOKEN)).await
    }

    /// A CTI client with `token` as its credential (`None`: none at all).
    pub async fn cti_with(&self, token: Option<&str>) -> cti_proto::CtiClient {
        cti_proto::CtiClient::connect(self.grpc_url.clone(), token.map(str::to_owned))
            .await
            .expect("connect to the CTI")
    }

    /// Asks the service to stop and waits until both servers have.
    pub async fn stop(mut self) -> Result<(), crm::ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task
            .take()
            .expect("stopped once")
            .await
            .expect("serve never panics")
    }

    /// `GET path` over a fresh connection: (status, parsed JSON body).
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let mut stream = TcpStream::connect(self.http_addr)
            .await
            .expect("connect to the HTTP API");
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
            self.http_addr
        );
        stream
            .write_all(request.as_bytes())
            .await
            .expect("send request");
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .expect("read response");
        let response = String::from_utf8(response).expect("utf-8 response");
        let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .expect("a status line");
        let head_lower = head.to_ascii_lowercase();
        assert!(
            head_lower.contains("content-type: application/json"),
            "JSON answer expected:\n{head}"
        );
        assert!(
            !head_lower.contains("transfer-encoding: chunked"),
            "this client reads plain bodies only"
        );
        let json =
            serde_json::from_str(body).unwrap_or_else(|e| panic!("invalid JSON ({e}): {body}"));
        (status, json)
    }
}
