//! Backends and fixtures of the case suite: every test runs on SQLite (a fresh file in a
//! temporary directory) and on PostgreSQL (a fresh database on the server named by
//! `CENTRALINO_TEST_POSTGRES_URL`), with the demo catalogue of `deploy/` and a manual clock.
//!
//! Without that variable the PostgreSQL tests fail, so that a green run always means both
//! backends were tested, unless `CENTRALINO_SKIP_POSTGRES=1` says to skip them.

#![allow(dead_code)] // each test file uses its own part

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

#[allow(unused_imports)] // not every test file writes notes
pub use ::common::Pii;
use ::common::{Clock, ManualClock};
use crm_store::{
    Arrived, CallFact, CallOutcome, CallStage, Caller, CaseError, CaseKey, CaseStore, CaseUpdate,
    CaseView, EndReason, Ended, FactKind, HistoryPage, Offered, PgStore, ServiceRequestStore,
    SqliteStore,
};
use service_request::{Actor, Catalogue, Command, ContactReason, HistoryEntry, NoteKind, Rule};
use sqlx::Connection;

/// 2026-03-02T10:00:00Z
pub const MARCH_2026: i64 = 1_772_445_600_000;

/// The demo catalogue shipped in `deploy/`: the store routes by the real file.
pub fn demo_catalogue() -> Arc<Catalogue> {
    let text = include_str!("../../../../deploy/catalogue.toml");
    Arc::new(toml::from_str(text).expect("deploy/catalogue.toml is a valid catalogue"))
}

/// What every story needs: a store of cases, its clock and the catalogue it routes by.
pub trait Store: CaseStore + ServiceRequestStore {}
impl<S: CaseStore + ServiceRequestStore> Store for S {}

pub struct Fixture<S> {
    pub store: Arc<S>,
    pub clock: Arc<ManualClock>,
    pub catalogue: Arc<Catalogue>,
}

impl<S: Store> Fixture<S> {
    pub fn clock_now(&self) -> i64 {
        self.clock.now_unix_ms()
    }

    /// Advances the clock by `seconds`.
    pub fn tick(&self, seconds: u64) {
        self.clock.advance(std::time::Duration::from_secs(seconds));
    }

    pub async fn fact(&self, fact: CallFact) {
        self.store
            .record_call_fact(fact)
            .await
            .expect("fact stored");
    }

    /// A call that arrives and is offered in `queue` (where the IVR sent it): its case.
    pub async fn call_in(&self, call_id: &str, queue: &str) -> CaseView {
        self.fact(arrived(call_id)).await;
        self.fact(offered(call_id, queue, &[])).await;
        self.case_of_call(call_id).await
    }

    pub async fn case_of_call(&self, call_id: &str) -> CaseView {
        let sr = self
            .store
            .get_by_call_id(call_id)
            .await
            .expect("read")
            .expect("the call has an SR");
        self.case(sr.number.as_str()).await
    }

    pub async fn case(&self, key: impl Into<CaseKey>) -> CaseView {
        self.store
            .get_case(key.into())
            .await
            .expect("read")
            .expect("the case exists")
    }

    /// The whole history of a case, read page by page.
    pub async fn history(&self, key: impl Into<CaseKey>) -> Vec<HistoryEntry> {
        let key = key.into();
        let mut all: Vec<HistoryEntry> = Vec::new();
        loop {
            let page = HistoryPage {
                after_seq: all.last().map(|e| e.seq),
                limit: 7,
            };
            let entries = self
                .store
                .history(key.clone(), page)
                .await
                .expect("history");
            if entries.is_empty() {
                return all;
            }
            all.extend(entries);
        }
    }
}

pub fn caller() -> Caller {
    Caller {
        raw: "0551234567".to_string().into(),
        e164: Some("+390551234567".to_string().into()),
    }
}

pub fn arrived(call_id: &str) -> CallFact {
    CallFact {
        call_id: call_id.into(),
        at_unix_ms: MARCH_2026 - 60_000,
        kind: FactKind::Arrived(Arrived {
            sip_call_id: format!("sip-{call_id}"),
            channel: String::new(),
            caller: caller(),
            dialled_number: "800123456".into(),
        }),
    }
}

pub fn offered(call_id: &str, queue: &str, ivr: &[(&str, &str)]) -> CallFact {
    CallFact {
        call_id: call_id.into(),
        at_unix_ms: MARCH_2026 - 50_000,
        kind: FactKind::Offered(Offered {
            channel: "phone".into(),
            caller: caller(),
            dialled_number: "800123456".into(),
            customer: None,
            ivr_data: ivr
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            queue: queue.into(),
            waited_ms: 3_000,
            agent_id: "1001".into(),
        }),
    }
}

pub fn answered(call_id: &str, agent: &str) -> CallFact {
    CallFact {
        call_id: call_id.into(),
        at_unix_ms: MARCH_2026 - 40_000,
        kind: FactKind::Answered {
            agent_id: agent.into(),
        },
    }
}

/// The call record at the end; `queue` is the queue it reached, if any.
pub fn ended(call_id: &str, queue: Option<&str>, ivr: &[(&str, &str)]) -> CallFact {
    CallFact {
        call_id: call_id.into(),
        at_unix_ms: MARCH_2026,
        kind: FactKind::Ended(Box::new(Ended {
            sip_call_id: format!("sip-{call_id}"),
            channel: String::new(),
            caller: caller(),
            dialled_number: "800123456".into(),
            customer: None,
            ivr_data: ivr
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            queue: queue.map(Into::into),
            outcome: CallOutcome::AbandonedInIvr,
            end_reason: EndReason::CallerHungUp,
            stage: CallStage::Ivr,
            started_at_unix_ms: MARCH_2026 - 60_000,
            offered_at_unix_ms: None,
            answered_at_unix_ms: None,
            waited_ms: None,
            talk_ms: None,
            agent_id: None,
        })),
    }
}

// ---------------------------------------------------------------------------------------------
// The people of the stories, the commands they use often, and the two ways a command ends

pub fn anna() -> Actor {
    Actor::first_level("anna")
}
pub fn bruno() -> Actor {
    Actor::first_level("bruno")
}
pub fn mario() -> Actor {
    Actor::second_level("mario", "hr-payroll")
}
pub fn alba() -> Actor {
    Actor::second_level("alba", "hr-attendance")
}
pub fn nino() -> Actor {
    Actor::second_level("nino", "it-network")
}
pub fn dario() -> Actor {
    Actor::second_level("dario", "it-desktop")
}
pub fn rita() -> Actor {
    Actor::rejections("rita")
}
pub fn sara() -> Actor {
    Actor::supervisor("sara")
}

pub fn classify(service: &str, reason: ContactReason) -> Command {
    Command::Classify {
        service: service.into(),
        reason,
    }
}
pub fn assign(group: &str) -> Command {
    Command::Assign {
        group: group.into(),
    }
}
pub fn note(text: &str) -> Command {
    Command::AddNote {
        kind: NoteKind::InternalNote,
        text: Pii::new(text.into()),
    }
}

/// Applies a command the story expects to be accepted, one second after the last.
pub async fn ok<S: Store>(
    f: &Fixture<S>,
    case: &CaseView,
    command: Command,
    actor: &Actor,
) -> CaseUpdate {
    f.tick(1);
    let what = command.kind();
    f.store
        .apply(
            case.number.as_str().into(),
            command,
            actor,
            None,
            &f.catalogue,
        )
        .await
        .unwrap_or_else(|error| panic!("{what} by {actor} was refused: {error}"))
}

/// Applies a command the story expects to be refused: the rule comes back typed, the
/// message names command, state and rule, and neither the case nor its history changed.
pub async fn refused<S: Store>(
    f: &Fixture<S>,
    case: &CaseView,
    command: Command,
    actor: &Actor,
) -> Rule {
    let key = CaseKey::from(case.number.as_str());
    let (before, history) = (f.case(key.clone()).await, f.history(key.clone()).await);
    f.tick(1);
    let error = f
        .store
        .apply(key.clone(), command, actor, None, &f.catalogue)
        .await
        .expect_err("refused");
    let CaseError::Refused(refusal) = error else {
        panic!("not a refusal: {error}");
    };
    let message = refusal.to_string();
    assert!(message.ends_with(&refusal.rule.to_string()), "{message}");
    assert!(message.starts_with(&format!("{} refused in state ", refusal.command)));
    assert_eq!(
        f.case(key.clone()).await,
        before,
        "a refusal stores nothing"
    );
    assert_eq!(f.history(key).await, history, "a refusal appends nothing");
    refusal.rule
}

pub fn names(history: &[service_request::HistoryEntry]) -> Vec<&'static str> {
    history.iter().map(|e| e.change.name()).collect()
}

/// Runs each listed story on both backends.
#[macro_export]
macro_rules! suite {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let (fixture, _dir) = $crate::common::sqlite_fixture().await;
                    super::$test(fixture).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(database) = $crate::common::TestDatabase::create().await else {
                        return;
                    };
                    super::$test(database.fixture()).await;
                    database.drop().await;
                }
            )*
        }
    };
}

pub async fn sqlite_fixture() -> (Fixture<SqliteStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let clock = Arc::new(ManualClock::new(MARCH_2026));
    let catalogue = demo_catalogue();
    let store = SqliteStore::open(dir.path().join("crm.db"), clock.clone())
        .await
        .expect("open sqlite store")
        .with_catalogue(catalogue.clone());
    let fixture = Fixture {
        store: Arc::new(store),
        clock,
        catalogue,
    };
    (fixture, dir)
}

/// A database of its own for one test, on the server of `CENTRALINO_TEST_POSTGRES_URL`.
pub struct TestDatabase {
    admin_url: String,
    pub name: String,
    store: Option<Arc<PgStore>>,
    clock: Arc<ManualClock>,
    /// What the store routes by, given to it when it opens.
    catalogue: Arc<Catalogue>,
}

fn postgres_url() -> Option<String> {
    match std::env::var("CENTRALINO_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CENTRALINO_SKIP_POSTGRES").as_deref() == Ok("1") => {
            eprintln!("skipped: PostgreSQL store tests (CENTRALINO_SKIP_POSTGRES=1)");
            None
        }
        _ => panic!(
            "CENTRALINO_TEST_POSTGRES_URL is not set, so the PostgreSQL store cannot be tested. \
             As root, run `eval \"$(scripts/test-deps.sh)\"` (installs and starts PostgreSQL and \
             exports the variable), or set CENTRALINO_SKIP_POSTGRES=1 to skip these tests"
        ),
    }
}

impl TestDatabase {
    /// An empty database, not yet migrated.
    pub async fn empty() -> Option<Self> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let admin_url = postgres_url()?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!(
            "centralino_case_test_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect(
            "connect to CENTRALINO_TEST_POSTGRES_URL (is the server up? run scripts/test-deps.sh)",
        );
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .expect("create a test database (the role needs CREATEDB)");
        admin.close().await.ok();
        Some(Self {
            admin_url,
            name,
            store: None,
            clock: Arc::new(ManualClock::new(MARCH_2026)),
            catalogue: demo_catalogue(),
        })
    }

    pub fn options(&self) -> sqlx::postgres::PgConnectOptions {
        sqlx::postgres::PgConnectOptions::from_str(&self.admin_url)
            .expect("CENTRALINO_TEST_POSTGRES_URL is a postgres URL")
            .database(&self.name)
    }

    /// Opens the store on the database (migrating it), routing by the demo catalogue.
    pub async fn open(&mut self) -> Arc<PgStore> {
        let store = PgStore::connect_with(self.options(), self.clock.clone())
            .await
            .expect("open postgres store")
            .with_catalogue(self.catalogue.clone());
        let store = Arc::new(store);
        self.store = Some(store.clone());
        store
    }

    pub async fn create() -> Option<Self> {
        let mut database = Self::empty().await?;
        database.open().await;
        Some(database)
    }

    pub fn fixture(&self) -> Fixture<PgStore> {
        Fixture {
            store: self.store.clone().expect("the store is open"),
            clock: self.clock.clone(),
            catalogue: self.catalogue.clone(),
        }
    }

    /// Only a passing test drops its database; a failed one leaves it to look at.
    pub async fn drop(self) {
        if let Some(store) = &self.store {
            store.close().await;
        }
        let mut admin = sqlx::PgConnection::connect(&self.admin_url)
            .await
            .expect("reconnect");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        )))
        .execute(&mut admin)
        .await
        .expect("drop the test database");
    }
}
