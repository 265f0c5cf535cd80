//! One suite, every backend: each test below runs on SQLite (a fresh file in a temporary
//! directory) and on PostgreSQL (a fresh database on the server named by
//! `CENTRALINO_TEST_POSTGRES_URL`; `eval "$(scripts/test-deps.sh)"` as root sets one up).
//!
//! Without that variable the PostgreSQL tests fail, so that a green run always means both
//! backends were tested, unless `CENTRALINO_SKIP_POSTGRES=1` says to skip them.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::{Clock, ManualClock};
use crm_store::{
    CallOutcome, CallRecord, ListFilter, NewServiceRequest, PgStore, ServiceRequestStore,
    SqliteStore, SrState, StoreError,
};
use sqlx::Connection;

/// 2026-03-02T10:00:00Z
const MARCH_2026: i64 = 1_772_445_600_000;
/// 2027-01-01T00:00:00Z
const NEW_YEAR_2027: i64 = 1_798_761_600_000;

struct Fixture<S> {
    store: Arc<S>,
    clock: Arc<ManualClock>,
}

fn call(call_id: &str) -> NewServiceRequest {
    NewServiceRequest {
        call_id: call_id.to_owned(),
        channel: "phone".into(),
        caller_number: "+390551234567".to_string().into(),
        dialled_number: "800123456".into(),
        customer: None,
        ivr_data: vec![
            ("service_area".into(), "2".into()),
            ("category".into(), "technology".into()),
            ("request_type".into(), "technical".into()),
        ],
        queue: Some("technology".into()),
        agent_id: Some("op-7".into()),
        waited_ms: Some(12_000),
    }
}

fn record(call_id: &str, outcome: CallOutcome) -> CallRecord {
    let mut facts = call(call_id);
    facts.agent_id = None;
    facts.waited_ms = Some(30_000);
    CallRecord {
        call: facts,
        outcome,
        started_at_unix_ms: MARCH_2026 - 60_000,
        answered_at_unix_ms: None,
        ended_at_unix_ms: MARCH_2026,
        talk_ms: 0,
    }
}

// ---------------------------------------------------------------------------------------------
// The suite

async fn opening_twice_gives_one_request<S: ServiceRequestStore>(f: Fixture<S>) {
    let first = f.store.open_for_call(call("c-1")).await.unwrap();
    assert!(first.created);
    assert_eq!(first.request.state, SrState::Open);
    assert_eq!(first.request.call_id, "c-1");

    f.clock.advance(Duration::from_secs(20));
    let mut again = call("c-1");
    again.agent_id = Some("op-9".into()); // offered to the next operator
    let second = f.store.open_for_call(again).await.unwrap();
    assert!(!second.created);
    assert_eq!(second.request, first.request);

    let all = f.store.list(ListFilter::default()).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(
        f.store.get_by_call_id("c-1").await.unwrap(),
        Some(first.request.clone())
    );
    assert_eq!(
        f.store.get(first.request.id).await.unwrap(),
        Some(first.request.clone())
    );
    assert_eq!(
        f.store.get_by_number(&first.request.number).await.unwrap(),
        Some(first.request)
    );
}

async fn concurrent_opens_of_one_call_make_one_request<S: ServiceRequestStore>(f: Fixture<S>) {
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = f.store.clone();
            tokio::spawn(async move {
                let mut offer = call("c-race");
                offer.agent_id = Some(format!("op-{i}"));
                store.open_for_call(offer).await
            })
        })
        .collect();
    let mut opened = Vec::new();
    for task in tasks {
        opened.push(
            task.await
                .expect("open task never panics")
                .expect("open succeeds"),
        );
    }
    assert_eq!(
        opened.iter().filter(|o| o.created).count(),
        1,
        "exactly one open creates"
    );
    let id = opened[0].request.id;
    assert!(opened.iter().all(|o| o.request.id == id));
    let listed = f.store.list(ListFilter {
        call_id: Some("c-race".into()),
        ..Default::default()
    });
    assert_eq!(listed.await.unwrap().len(), 1);

    // The losers rolled their number back: the next SR takes the next number.
    let next = f.store.open_for_call(call("c-after")).await.unwrap();
    assert_eq!(opened[0].request.number, "SR-2026-000001");
    assert_eq!(next.request.number, "SR-2026-000002");
}

async fn call_end_opens_a_missing_request<S: ServiceRequestStore>(f: Fixture<S>) {
    let ended = f
        .store
        .record_call_end(record("c-abandoned", CallOutcome::AbandonedInQueue))
        .await
        .unwrap();
    assert!(ended.created);
    let sr = ended.request;
    assert_eq!(sr.state, SrState::Open);
    assert_eq!(sr.call_outcome, Some(CallOutcome::AbandonedInQueue));
    assert_eq!(sr.queue.as_deref(), Some("technology"));
    assert_eq!(sr.agent_id, None);
    assert_eq!(sr.waited_ms, Some(30_000));
    assert_eq!(sr.talk_ms, Some(0));
    assert_eq!(sr.call_started_at_unix_ms, Some(MARCH_2026 - 60_000));
    assert_eq!(sr.call_answered_at_unix_ms, None);
    assert_eq!(sr.call_ended_at_unix_ms, Some(MARCH_2026));
    assert_eq!(sr.service_area.as_deref(), Some("2"));
    assert_eq!(
        f.store.get_by_call_id("c-abandoned").await.unwrap(),
        Some(sr)
    );

    // A call that never reached a queue (released by the IVR) gets its SR too.
    let mut released = record("c-ivr", CallOutcome::ReleasedByIvr);
    released.call.queue = None;
    released.call.ivr_data.clear();
    let sr = f.store.record_call_end(released).await.unwrap().request;
    assert_eq!(sr.call_outcome, Some(CallOutcome::ReleasedByIvr));
    assert_eq!(sr.queue, None);
    assert_eq!(sr.service_area, None);
}

async fn call_end_after_offer_completes_the_same_request<S: ServiceRequestStore>(f: Fixture<S>) {
    let offered = f.store.open_for_call(call("c-2")).await.unwrap().request;
    f.clock.advance(Duration::from_secs(300));

    let mut answered = record("c-2", CallOutcome::Answered);
    answered.call.agent_id = Some("op-7".into());
    answered.call.waited_ms = None; // unknown at the end: the offered value stays
    answered.answered_at_unix_ms = Some(MARCH_2026 - 50_000);
    answered.talk_ms = 50_000;
    let ended = f.store.record_call_end(answered.clone()).await.unwrap();
    assert!(!ended.created);
    let sr = ended.request;
    assert_eq!(
        (sr.id, sr.number.as_str()),
        (offered.id, offered.number.as_str())
    );
    assert_eq!(sr.call_outcome, Some(CallOutcome::Answered));
    assert_eq!(sr.agent_id.as_deref(), Some("op-7"));
    assert_eq!(sr.waited_ms, Some(12_000));
    assert_eq!(sr.talk_ms, Some(50_000));
    assert_eq!(sr.call_answered_at_unix_ms, Some(MARCH_2026 - 50_000));
    assert_eq!(sr.created_at_unix_ms, offered.created_at_unix_ms);
    assert_eq!(sr.updated_at_unix_ms, f.clock.now_unix_ms());

    // A retried call record changes nothing.
    let again = f.store.record_call_end(answered).await.unwrap();
    assert!(!again.created);
    assert_eq!(again.request, sr);
    assert_eq!(f.store.list(ListFilter::default()).await.unwrap().len(), 1);
}

async fn numbers_are_unique_and_sequential_per_year<S: ServiceRequestStore>(f: Fixture<S>) {
    let mut numbers = Vec::new();
    for i in 0..5 {
        numbers.push(
            f.store
                .open_for_call(call(&format!("c-{i}")))
                .await
                .unwrap()
                .request
                .number,
        );
    }
    assert_eq!(
        numbers,
        [
            "SR-2026-000001",
            "SR-2026-000002",
            "SR-2026-000003",
            "SR-2026-000004",
            "SR-2026-000005"
        ]
    );

    f.clock.set(NEW_YEAR_2027 - 1);
    let last_of_2026 = f.store.open_for_call(call("c-eve")).await.unwrap().request;
    assert_eq!(last_of_2026.number, "SR-2026-000006");
    f.clock.set(NEW_YEAR_2027);
    let first_of_2027 = f
        .store
        .open_for_call(call("c-new-year"))
        .await
        .unwrap()
        .request;
    assert_eq!(first_of_2027.number, "SR-2027-000001");
    assert_eq!(first_of_2027.created_at_unix_ms, NEW_YEAR_2027);
    // Ids keep growing across years.
    assert!(first_of_2027.id > last_of_2026.id);
}

async fn list_filters_by_call_state_limit_and_offset<S: ServiceRequestStore>(f: Fixture<S>) {
    for i in 1..=5 {
        f.store
            .open_for_call(call(&format!("c-{i}")))
            .await
            .unwrap();
    }
    let ids = |srs: Vec<crm_store::ServiceRequest>| {
        srs.into_iter().map(|sr| sr.call_id).collect::<Vec<_>>()
    };

    let all = f.store.list(ListFilter::default()).await.unwrap();
    assert_eq!(ids(all), ["c-1", "c-2", "c-3", "c-4", "c-5"]);

    let one = f.store.list(ListFilter {
        call_id: Some("c-3".into()),
        ..Default::default()
    });
    assert_eq!(ids(one.await.unwrap()), ["c-3"]);
    let none = f.store.list(ListFilter {
        call_id: Some("c-9".into()),
        ..Default::default()
    });
    assert!(none.await.unwrap().is_empty());

    let open = f.store.list(ListFilter {
        state: Some(SrState::Open),
        ..Default::default()
    });
    assert_eq!(open.await.unwrap().len(), 5);
    let cancelled = f.store.list(ListFilter {
        state: Some(SrState::Cancelled),
        ..Default::default()
    });
    assert!(cancelled.await.unwrap().is_empty());

    let page = f.store.list(ListFilter {
        limit: 2,
        offset: 1,
        ..Default::default()
    });
    assert_eq!(ids(page.await.unwrap()), ["c-2", "c-3"]);
    let past_the_end = f.store.list(ListFilter {
        limit: 2,
        offset: 5,
        ..Default::default()
    });
    assert!(past_the_end.await.unwrap().is_empty());
    let both = ListFilter {
        call_id: Some("c-4".into()),
        state: Some(SrState::Open),
        ..Default::default()
    };
    assert_eq!(ids(f.store.list(both).await.unwrap()), ["c-4"]);
}

async fn ivr_data_keeps_its_order_and_classifies<S: ServiceRequestStore>(f: Fixture<S>) {
    let mut offer = call("c-ivr");
    offer.ivr_data = vec![
        ("service_area".into(), "1".into()),
        ("zeta".into(), "last key, first answer".into()),
        ("choice".into(), "2".into()),
        ("service_area".into(), "3".into()), // went back and chose again
        ("alpha".into(), "àèìòù \"quoted\" 🙂".into()),
        ("request_type".into(), "administrative".into()),
    ];
    offer.customer = Some("RSSMRA80A01H501U".to_string().into());
    offer.channel = String::new();
    let sr = f.store.open_for_call(offer.clone()).await.unwrap().request;
    let read = f.store.get(sr.id).await.unwrap().expect("just opened");
    assert_eq!(read.ivr_data, offer.ivr_data);
    assert_eq!(read.service_area.as_deref(), Some("3"));
    assert_eq!(read.category, None);
    assert_eq!(read.request_type.as_deref(), Some("administrative"));
    assert_eq!(read.channel, "phone", "an empty channel means phone");
    assert_eq!(read.caller_number.expose(), "+390551234567");
    assert_eq!(read.dialled_number, "800123456");
    assert_eq!(
        read.customer.as_ref().map(|c| c.expose().as_str()),
        Some("RSSMRA80A01H501U")
    );
}

async fn personal_data_stays_out_of_debug<S: ServiceRequestStore>(f: Fixture<S>) {
    let mut offer = call("c-pii");
    offer.customer = Some("RSSMRA80A01H501U".to_string().into());
    let input_debug = format!("{offer:?}");
    let sr = f.store.open_for_call(offer).await.unwrap().request;
    for text in [input_debug, format!("{sr:?}")] {
        assert!(text.contains("c-pii"), "{text}");
        assert!(!text.contains("1234567"), "caller number leaked: {text}");
        assert!(!text.contains("RSSMRA"), "customer leaked: {text}");
    }
}

async fn unknown_requests_are_none<S: ServiceRequestStore>(f: Fixture<S>) {
    f.store.open_for_call(call("c-1")).await.unwrap();
    assert_eq!(f.store.get(9_999).await.unwrap(), None);
    assert_eq!(f.store.get_by_number("SR-1999-000001").await.unwrap(), None);
    assert_eq!(f.store.get_by_call_id("c-unknown").await.unwrap(), None);
}

async fn bad_input_is_refused_and_stores_nothing<S: ServiceRequestStore>(f: Fixture<S>) {
    let empty = f.store.open_for_call(call("")).await;
    assert!(
        matches!(empty, Err(StoreError::InvalidInput(_))),
        "{empty:?}"
    );
    let long = f.store.open_for_call(call(&"x".repeat(1000))).await;
    assert!(matches!(long, Err(StoreError::InvalidInput(_))), "{long:?}");
    let mut negative = record("c-neg", CallOutcome::Answered);
    negative.talk_ms = -1;
    let negative = f.store.record_call_end(negative).await;
    assert!(
        matches!(negative, Err(StoreError::InvalidInput(_))),
        "{negative:?}"
    );
    assert!(
        f.store
            .list(ListFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}

macro_rules! suite {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let (fixture, _dir) = super::sqlite_fixture().await;
                    super::$test(fixture).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(database) = super::TestDatabase::create().await else { return };
                    super::$test(database.fixture()).await;
                    database.drop().await;
                }
            )*
        }
    };
}

suite!(
    opening_twice_gives_one_request,
    concurrent_opens_of_one_call_make_one_request,
    call_end_opens_a_missing_request,
    call_end_after_offer_completes_the_same_request,
    numbers_are_unique_and_sequential_per_year,
    list_filters_by_call_state_limit_and_offset,
    ivr_data_keeps_its_order_and_classifies,
    personal_data_stays_out_of_debug,
    unknown_requests_are_none,
    bad_input_is_refused_and_stores_nothing,
);

// ---------------------------------------------------------------------------------------------
// Backends

async fn sqlite_fixture() -> (Fixture<SqliteStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let clock = Arc::new(ManualClock::new(MARCH_2026));
    let store = SqliteStore::open(dir.path().join("crm.db"), clock.clone())
        .await
        .expect("open sqlite store");
    (
        Fixture {
            store: Arc::new(store),
            clock,
        },
        dir,
    )
}

/// A database of its own for one test, on the server of `CENTRALINO_TEST_POSTGRES_URL`.
struct TestDatabase {
    admin_url: String,
    name: String,
    store: Arc<PgStore>,
    clock: Arc<ManualClock>,
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
    async fn create() -> Option<Self> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let admin_url = postgres_url()?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!(
            "centralino_test_{}_{}_{nanos}",
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

        let options = sqlx::postgres::PgConnectOptions::from_str(&admin_url)
            .expect("CENTRALINO_TEST_POSTGRES_URL is a postgres URL")
            .database(&name);
        let clock = Arc::new(ManualClock::new(MARCH_2026));
        let store = PgStore::connect_with(options, clock.clone())
            .await
            .expect("open postgres store");
        Some(Self {
            admin_url,
            name,
            store: Arc::new(store),
            clock,
        })
    }

    fn fixture(&self) -> Fixture<PgStore> {
        Fixture {
            store: self.store.clone(),
            clock: self.clock.clone(),
        }
    }

    /// Only a passing test drops its database; a failed one leaves it to look at.
    async fn drop(self) {
        self.store.close().await;
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

// ---------------------------------------------------------------------------------------------
// Backend-specific

#[tokio::test]
async fn sqlite_file_survives_a_restart_and_keeps_numbering() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("crm.db");
    let clock = Arc::new(ManualClock::new(MARCH_2026));
    let store = SqliteStore::open(&path, clock.clone()).await.unwrap();
    let first = store.open_for_call(call("c-1")).await.unwrap().request;
    store.close().await;

    let store = SqliteStore::open(&path, clock).await.unwrap();
    assert_eq!(store.get_by_call_id("c-1").await.unwrap(), Some(first));
    let second = store.open_for_call(call("c-2")).await.unwrap().request;
    assert_eq!(second.number, "SR-2026-000002");
}

#[tokio::test]
async fn any_store_opens_a_sqlite_url_like_the_binary_builds_it() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("centralino.db").display());
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(MARCH_2026));
    let store = crm_store::AnyStore::connect(&url, clock)
        .await
        .expect("open by url");
    assert!(matches!(store, crm_store::AnyStore::Sqlite(_)));
    let opened = store.open_for_call(call("c-any")).await.unwrap();
    assert_eq!(opened.request.number, "SR-2026-000001");
    store.close().await;
}
