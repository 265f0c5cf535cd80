//! A CRM on loopback ports with a fresh SQLite store, the test service catalogue, staff to
//! log in as, and a minimal HTTP/1.1 client.
#![allow(dead_code)] // each test file uses its own part

mod desk;
pub mod grpc;

#[allow(unused_imports)] // not every story offers calls of its own
pub use desk::offered;

use std::net::SocketAddr;
use std::sync::Arc;

use common::ManualClock;
use crm::auth::{ConfiguredPassword, ConfiguredUser, HashCost, Password};
use crm_store::{Roles, SqliteStore, StaffRole};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OnceCell, oneshot};
use tokio::task::JoinHandle;

/// 2026-03-02T10:00:00Z
pub const MARCH_2026: i64 = 1_772_445_600_000;

/// The engine's service credential in these tests.
pub const TOKEN: &str = "test-engine-credential-0123456789";

/// The staff every test CRM knows: (login, name, password, roles, groups).
pub const ADMIN: (&str, &str) = ("admin", "admin-password");
pub const OPERATOR: (&str, &str) = ("anna", "anna-password");
pub const SUPERVISOR: (&str, &str) = ("sara", "sara-password");
pub const SECOND_LEVEL: (&str, &str) = ("gino", "gino-password");
/// Only in a CRM started with [`Crm::start_with_case_staff`]: a member of the rejections
/// group, and a second-level member of another group than gino's (`it-network`).
pub const REJECTIONS: (&str, &str) = ("rita", "rita-password");
pub const NETWORK: (&str, &str) = ("nino", "nino-password");
/// Their display names (personal data).
pub const OPERATOR_NAME: &str = "Anna Rossi";

fn user((login, password): (&str, &str), name: &str, roles: Roles) -> ConfiguredUser {
    ConfiguredUser {
        login: login.into(),
        name: name.into(),
        roles,
        enabled: true,
        password: ConfiguredPassword::Clear(Password::new(password)),
    }
}

/// The staff of the case stories, beside [`staff`].
fn case_staff() -> Vec<ConfiguredUser> {
    vec![
        user(
            REJECTIONS,
            "Rita Gialli",
            Roles::only(StaffRole::Rejections).unwrap(),
        ),
        user(
            NETWORK,
            "Nino Viola",
            Roles::new([StaffRole::SecondLevel], ["it-network".to_string()]).unwrap(),
        ),
    ]
}

/// The service catalogue of the tests: a technology desk with two second-level groups and
/// a personnel desk with one, a rejections group, and one service of each kind.
pub fn catalogue() -> service_request::Catalogue {
    serde_json::from_value(serde_json::json!({
        "entities": [{"code": "ministry", "name": "Ministry of Examples"}],
        "units": [
            {"code": "technology", "entity": "ministry", "name": "Technology support"},
            {"code": "personnel", "entity": "ministry", "name": "Personnel services"}
        ],
        "groups": [
            {"code": "intake", "name": "Intake", "level": "first"},
            {"code": "technology", "name": "Technology desk", "level": "first", "unit": "technology"},
            {"code": "personnel", "name": "Personnel desk", "level": "first", "unit": "personnel"},
            {"code": "it-desk", "name": "Workstation support", "level": "second", "unit": "technology"},
            {"code": "it-network", "name": "Network", "level": "second", "unit": "technology"},
            {"code": "hr-payroll", "name": "Payroll office", "level": "second", "unit": "personnel"},
            {"code": "rejections", "name": "Rejections desk", "level": "rejections"}
        ],
        "services": [
            {"code": "workstation", "unit": "technology", "name": "Workstation faults",
             "profile": "advanced", "groups": ["it-desk", "it-network"]},
            {"code": "accounts", "unit": "technology", "name": "Accounts and passwords",
             "profile": "advanced", "contact_back": true, "groups": ["it-desk"]},
            {"code": "general-information", "unit": "personnel", "name": "General information",
             "profile": "basic", "groups": ["hr-payroll"]}
        ]
    }))
    .expect("the test catalogue is valid")
}

fn staff() -> Vec<ConfiguredUser> {
    vec![
        user(
            ADMIN,
            "Amministratore",
            Roles::only(StaffRole::Administrator).unwrap(),
        ),
        user(
            OPERATOR,
            OPERATOR_NAME,
            Roles::only(StaffRole::Operator).unwrap(),
        ),
        user(
            SUPERVISOR,
            "Sara Neri",
            Roles::only(StaffRole::Supervisor).unwrap(),
        ),
        user(
            SECOND_LEVEL,
            "Gino Blu",
            Roles::new([StaffRole::SecondLevel], ["it-desk".to_string()]).unwrap(),
        ),
    ]
}

/// An HTTP answer: status, head (lowercased), and the JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub json: serde_json::Value,
}

impl Answer {
    /// A header's value, by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == name).then(|| value.trim())
        })
    }

    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }
}

pub struct Crm {
    pub grpc_url: String,
    pub http_addr: SocketAddr,
    /// The clock of the store, the sessions and the lockouts.
    pub clock: Arc<ManualClock>,
    supervisor_token: OnceCell<String>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), crm::ServeError>>>,
    _dir: tempfile::TempDir,
}

impl Crm {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts with the test staff, cheap password hashes, and `tweak` applied to the login
    /// settings.
    pub async fn start_with(tweak: impl FnOnce(&mut crm::AuthSettings)) -> Self {
        Self::launch(tweak, staff(), catalogue()).await
    }

    /// Starts with the test staff and a store that opens and works cases by `catalogue`.
    pub async fn start_with_catalogue(catalogue: service_request::Catalogue) -> Self {
        Self::launch(|_| {}, staff(), catalogue).await
    }

    /// Starts with the test staff and those of the case stories ([`REJECTIONS`],
    /// [`NETWORK`]).
    pub async fn start_with_case_staff() -> Self {
        let mut people = staff();
        people.extend(case_staff());
        Self::launch(|_| {}, people, catalogue()).await
    }

    async fn launch(
        tweak: impl FnOnce(&mut crm::AuthSettings),
        people: Vec<ConfiguredUser>,
        catalogue: service_request::Catalogue,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let clock = Arc::new(ManualClock::new(MARCH_2026));
        let store = SqliteStore::open(dir.path().join("crm.db"), clock.clone())
            .await
            .expect("open store")
            .with_catalogue(Arc::new(catalogue));
        crm::auth::apply_configured_users(&store, people, HashCost::cheap_for_tests())
            .await
            .expect("the test staff are valid");
        let grpc = TcpListener::bind("127.0.0.1:0").await.expect("bind grpc");
        let http = TcpListener::bind("127.0.0.1:0").await.expect("bind http");
        let grpc_url = format!("http://{}", grpc.local_addr().expect("bound"));
        let http_addr = http.local_addr().expect("bound");
        let (stop, stopped) = oneshot::channel::<()>();
        let credential = crm::ServiceCredential::new(TOKEN).expect("a strong test credential");
        let mut config = crm::CrmConfig::new(credential);
        config.clock = clock.clone();
        config.auth.hash_cost = HashCost::cheap_for_tests();
        config.desk_session_check = std::time::Duration::from_millis(200);
        tweak(&mut config.auth);
        let task = tokio::spawn(crm::serve(store, config, grpc, http, async {
            let _ = stopped.await;
        }));
        Self {
            grpc_url,
            http_addr,
            clock,
            supervisor_token: OnceCell::new(),
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

    /// `POST /api/v1/login`.
    pub async fn login(&self, login: &str, password: &str) -> Answer {
        let body = serde_json::json!({"login": login, "password": password}).to_string();
        self.request("POST", "/api/v1/login", None, Some(&body))
            .await
    }

    /// Logs in and returns the session token; panics if refused.
    pub async fn token(&self, (login, password): (&str, &str)) -> String {
        let answer = self.login(login, password).await;
        assert_eq!(answer.status, 200, "login as {login}: {answer:?}");
        answer.json["token"]
            .as_str()
            .expect("a login answers a token")
            .to_owned()
    }

    /// `GET path` as the test supervisor (logged in once): (status, parsed JSON body).
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let token = self
            .supervisor_token
            .get_or_init(|| self.token(SUPERVISOR))
            .await
            .clone();
        let answer = self.get_as(Some(&token), path).await;
        (answer.status, answer.json)
    }

    /// `GET path` with `token` as the bearer token (`None`: anonymous).
    pub async fn get_as(&self, token: Option<&str>, path: &str) -> Answer {
        self.request("GET", path, token, None).await
    }

    /// One request over a fresh connection; a body is sent as JSON.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Answer {
        self.request_with(method, path, token, &[], body).await
    }

    /// [`Crm::request`] with more headers, e.g. `[("If-Match", "\"3\"")]`.
    pub async fn request_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Answer {
        let mut extra = String::new();
        for (name, value) in headers {
            extra.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(token) = token {
            extra.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        if let Some(body) = body {
            extra.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        let head = format!("{method} {path} HTTP/1.1\r\n{extra}");
        self.raw(&head, body.unwrap_or("").as_bytes()).await
    }

    /// Sends `head` (request line and headers, each ending in CRLF) and `body` as they are.
    pub async fn raw(&self, head: &str, body: &[u8]) -> Answer {
        let mut stream = TcpStream::connect(self.http_addr)
            .await
            .expect("connect to the HTTP API");
        let request = format!(
            "{head}Host: {}\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
            self.http_addr
        );
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        // The server may answer (413) and close before reading a large body: what it said
        // is what matters, not whether all of it was written.
        let _ = stream.write_all(&bytes).await;
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response).await;
        let response = String::from_utf8(response).expect("utf-8 response");
        let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .expect("a status line");
        let head = head.to_ascii_lowercase();
        assert!(
            !head.contains("transfer-encoding: chunked"),
            "this client reads plain bodies only"
        );
        let json = if body.is_empty() {
            serde_json::Value::Null
        } else {
            assert!(
                head.contains("content-type: application/json"),
                "JSON answer expected:\n{head}"
            );
            serde_json::from_str(body).unwrap_or_else(|e| panic!("invalid JSON ({e}): {body}"))
        };
        Answer { status, head, json }
    }
}
