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
    Arrived, CallFact, CallOutcome, CallStage, Caller, EndReason, Ended, FactKind, ListFilter,
    Offered, PgStore, ServiceRequestStore, SqliteStore, StoreError,
};
use service_request::State;
use sqlx::Connection;

#[path = "store_suite/customer_records.rs"]
mod customer_records;
#[path = "store_suite/customers.rs"]
mod customers;
use customer_records::*;
use customers::*;
#[path = "store_suite/users.rs"]
mod users;
use users::*;

/// 2026-03-02T10:00:00Z
const MARCH_2026: i64 = 1_772_445_600_000;
/// 2027-01-01T00:00:00Z
const NEW_YEAR_2027: i64 = 1_798_761_600_000;

struct Fixture<S> {
    store: Arc<S>,
    clock: Arc<ManualClock>,
}

fn caller() -> Caller {
    Caller {
        raw: "0551234567".to_string().into(),
        e164: Some("+390551234567".to_string().into()),
    }
}

fn ivr() -> Vec<(String, String)> {
    vec![
        ("service_area".into(), "2".into()),
        ("category".into(), "technology".into()),
        ("request_type".into(), "technical".into()),
    ]
}

fn arrived(call_id: &str) -> CallFact {
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

fn offered(call_id: &str, agent: &str, waited_ms: i64) -> CallFact {
    CallFact {
        call_id: call_id.into(),
        at_unix_ms: MARCH_2026 - 50_000 + waited_ms,
        kind: FactKind::Offered(Offered {
            channel: "phone".into(),
            caller: caller(),
            dialled_number: "800123456".into(),
            customer: None,
            ivr_data: ivr(),
            queue: "technology".into(),
            waited_ms,
            agent_id: agent.into(),
        }),
    }
}

fn answered(call_id: &str, agent: &str) -> CallFact {
    CallFact {
        call_id: call_id.into(),
        at_unix_ms: MARCH_2026 - 30_000,
        kind: FactKind::Answered {
            agent_id: agent.into(),
        },
    }
}

fn ended(call_id: &str, outcome: CallOutcome) -> CallFact {
    let answered = outcome == CallOutcome::Answered;
    CallFact {
        call_id: call_id.into(),
        at_unix_ms: MARCH_2026,
        kind: FactKind::Ended(Box::new(Ended {
            sip_call_id: format!("sip-{call_id}"),
            channel: String::new(),
            caller: caller(),
            dialled_number: "800123456".into(),
            customer: None,
            ivr_data: ivr(),
            queue: Some("technology".into()),
            outcome,
            end_reason: if answered {
                EndReason::OperatorHungUp
            } else {
                EndReason::CallerHungUp
            },
            stage: if answered {
                CallStage::Talking
            } else {
                CallStage::Queued
            },
            started_at_unix_ms: MARCH_2026 - 60_000,
            offered_at_unix_ms: None,
            answered_at_unix_ms: answered.then_some(MARCH_2026 - 30_000),
            waited_ms: Some(20_000),
            talk_ms: answered.then_some(30_000),
            agent_id: answered.then(|| "op-7".to_string()),
        })),
    }
}

// ---------------------------------------------------------------------------------------------
// The suite

async fn the_first_fact_opens_one_request_and_later_ones_complete_it<S: ServiceRequestStore>(
    f: Fixture<S>,
) {
    let first = f.store.record_call_fact(arrived("c-1")).await.unwrap();
    assert!(first.created);
    let sr = &first.request;
    assert_eq!(sr.state, State::Open);
    assert_eq!(sr.call_id, "c-1");
    assert_eq!(sr.channel, "phone");
    assert_eq!(sr.call.sip_call_id.as_deref(), Some("sip-c-1"));
    assert_eq!(sr.call.caller_number.expose(), "0551234567");
    assert_eq!(
        sr.call
            .caller_number_e164
            .as_ref()
            .map(|e| e.expose().as_str()),
        Some("+390551234567")
    );
    assert_eq!(sr.call.stage, Some(CallStage::Arrived));
    assert_eq!(sr.call.started_at_unix_ms, Some(MARCH_2026 - 60_000));
    assert_eq!(sr.call.waited_ms, None, "nothing said yet, nothing stored");

    f.clock.advance(Duration::from_secs(20));
    let offer = f
        .store
        .record_call_fact(offered("c-1", "op-9", 10_000))
        .await
        .unwrap();
    assert!(!offer.created);
    assert_eq!(offer.request.id, sr.id);
    assert_eq!(offer.request.number, sr.number);
    assert_eq!(offer.request.service_area.as_deref(), Some("2"));
    assert_eq!(offer.request.call.offered_agent_id.as_deref(), Some("op-9"));
    assert_eq!(offer.request.call.agent_id, None, "offered is not answered");
    assert_eq!(offer.request.call.waited_ms, Some(10_000));
    assert_eq!(offer.request.call.stage, Some(CallStage::Offered));

    f.store
        .record_call_fact(offered("c-1", "op-7", 15_000))
        .await
        .unwrap();
    let answer = f
        .store
        .record_call_fact(answered("c-1", "op-7"))
        .await
        .unwrap();
    assert_eq!(answer.request.call.agent_id.as_deref(), Some("op-7"));
    assert_eq!(answer.request.call.stage, Some(CallStage::Talking));
    assert_eq!(
        answer.request.call.offered_at_unix_ms,
        Some(MARCH_2026 - 40_000),
        "the first offer's time stays"
    );

    let end = f
        .store
        .record_call_fact(ended("c-1", CallOutcome::Answered))
        .await
        .unwrap();
    let call = &end.request.call;
    assert_eq!(call.outcome, Some(CallOutcome::Answered));
    assert_eq!(call.end_reason, Some(EndReason::OperatorHungUp));
    assert_eq!(call.stage, Some(CallStage::Talking));
    assert_eq!(call.talk_ms, Some(30_000));
    assert_eq!(call.waited_ms, Some(20_000));
    assert_eq!(call.ended_at_unix_ms, Some(MARCH_2026));
    assert_eq!(call.offered_at_unix_ms, Some(MARCH_2026 - 40_000));

    let all = f.store.list(ListFilter::default()).await.unwrap();
    assert_eq!(all.len(), 1, "one call, one SR");
}

async fn a_late_or_repeated_fact_never_undoes_a_later_one<S: ServiceRequestStore>(f: Fixture<S>) {
    f.store.record_call_fact(arrived("c-2")).await.unwrap();
    f.store
        .record_call_fact(answered("c-2", "op-7"))
        .await
        .unwrap();
    let done = f
        .store
        .record_call_fact(ended("c-2", CallOutcome::Answered))
        .await
        .unwrap();
    // A retried offer, a second answer by someone else, a forged second call record.
    f.store
        .record_call_fact(offered("c-2", "op-1", 99_000))
        .await
        .unwrap();
    f.store
        .record_call_fact(answered("c-2", "op-2"))
        .await
        .unwrap();
    let mut forged = ended("c-2", CallOutcome::AbandonedInQueue);
    if let FactKind::Ended(e) = &mut forged.kind {
        e.agent_id = Some("op-evil".into());
        e.talk_ms = Some(1);
    }
    let after = f.store.record_call_fact(forged).await.unwrap();
    assert_eq!(after.request.call.outcome, Some(CallOutcome::Answered));
    assert_eq!(after.request.call.agent_id.as_deref(), Some("op-7"));
    assert_eq!(after.request.call.talk_ms, Some(30_000));
    assert_eq!(after.request.call.waited_ms, Some(20_000));
    assert_eq!(
        after.request.call.ended_at_unix_ms,
        done.request.call.ended_at_unix_ms
    );
}

async fn a_record_alone_opens_a_complete_request<S: ServiceRequestStore>(f: Fixture<S>) {
    let mut record = ended("c-3", CallOutcome::AbandonedInQueue);
    if let FactKind::Ended(e) = &mut record.kind {
        e.talk_ms = None;
    }
    let opened = f.store.record_call_fact(record).await.unwrap();
    assert!(
        opened.created,
        "the call record opens the SR of a call never seen before"
    );
    let call = &opened.request.call;
    assert_eq!(call.outcome, Some(CallOutcome::AbandonedInQueue));
    assert_eq!(call.talk_ms, None, "not given, not stored as zero");
    assert_eq!(call.queue.as_deref(), Some("technology"));
    assert_eq!(opened.request.request_type.as_deref(), Some("technical"));
    assert_eq!(call.caller_number.expose(), "0551234567");
}

async fn concurrent_facts_of_one_call_make_one_request<S: ServiceRequestStore>(f: Fixture<S>) {
    let mut tasks = Vec::new();
    for n in 0..16 {
        let store = f.store.clone();
        let fact = match n % 4 {
            0 => arrived("race"),
            1 => offered("race", "op-1", 1_000),
            2 => answered("race", "op-1"),
            _ => ended("race", CallOutcome::Answered),
        };
        tasks.push(tokio::spawn(
            async move { store.record_call_fact(fact).await },
        ));
    }
    let mut created = 0;
    let mut ids = std::collections::BTreeSet::new();
    for t in tasks {
        let opened = t.await.unwrap().unwrap();
        created += usize::from(opened.created);
        ids.insert(opened.request.id);
    }
    assert_eq!(created, 1, "exactly one fact opened the SR");
    assert_eq!(ids.len(), 1);
    let sr = f.store.get_by_call_id("race").await.unwrap().unwrap();
    assert_eq!(sr.call.outcome, Some(CallOutcome::Answered));
}

async fn numbers_are_unique_and_sequential_per_year<S: ServiceRequestStore>(f: Fixture<S>) {
    for n in 1..=3 {
        let sr = f
            .store
            .record_call_fact(arrived(&format!("n-{n}")))
            .await
            .unwrap()
            .request;
        assert_eq!(sr.number, format!("SR-2026-{n:06}"));
    }
    f.clock.set(NEW_YEAR_2027);
    let sr = f
        .store
        .record_call_fact(arrived("n-4"))
        .await
        .unwrap()
        .request;
    assert_eq!(sr.number, "SR-2027-000001");
    let again = f
        .store
        .record_call_fact(arrived("n-4"))
        .await
        .unwrap()
        .request;
    assert_eq!(
        again.number, "SR-2027-000001",
        "a repeated fact takes no number"
    );
    let sr = f
        .store
        .record_call_fact(arrived("n-5"))
        .await
        .unwrap()
        .request;
    assert_eq!(sr.number, "SR-2027-000002", "no gap");
}

async fn lists_filter_newest_first_in_bounded_pages<S: ServiceRequestStore>(f: Fixture<S>) {
    for n in 0..5 {
        f.clock.advance(Duration::from_secs(60));
        f.store
            .record_call_fact(arrived(&format!("l-{n}")))
            .await
            .unwrap();
    }
    f.store
        .record_call_fact(offered("l-3", "op-3", 1_000))
        .await
        .unwrap();
    let all = f.store.list(ListFilter::default()).await.unwrap();
    let ids: Vec<&str> = all.iter().map(|sr| sr.call_id.as_str()).collect();
    assert_eq!(ids, ["l-4", "l-3", "l-2", "l-1", "l-0"], "newest first");

    let by = |filter: ListFilter| {
        let store = f.store.clone();
        async move {
            store
                .list(filter)
                .await
                .unwrap()
                .into_iter()
                .map(|sr| sr.call_id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        by(ListFilter {
            call_id: Some("l-2".into()),
            ..Default::default()
        })
        .await,
        ["l-2"]
    );
    assert_eq!(
        by(ListFilter {
            sip_call_id: Some("sip-l-1".into()),
            ..Default::default()
        })
        .await,
        ["l-1"]
    );
    assert_eq!(
        by(ListFilter {
            caller_number: Some("+390551234567".into()),
            limit: 2,
            ..Default::default()
        })
        .await,
        ["l-4", "l-3"],
        "by E.164, one page of two"
    );
    assert_eq!(
        by(ListFilter {
            caller_number: Some("0551234567".into()),
            limit: 2,
            offset: 2,
            ..Default::default()
        })
        .await,
        ["l-2", "l-1"],
        "by the number as received, second page"
    );
    assert_eq!(
        by(ListFilter {
            queue: Some("technology".into()),
            ..Default::default()
        })
        .await,
        ["l-3"]
    );
    assert_eq!(
        by(ListFilter {
            agent_id: Some("op-3".into()),
            ..Default::default()
        })
        .await,
        ["l-3"]
    );
    assert_eq!(
        by(ListFilter {
            state: Some(State::Cancelled),
            ..Default::default()
        })
        .await,
        Vec::<String>::new()
    );
    let from = MARCH_2026 + 2 * 60_000;
    assert_eq!(
        by(ListFilter {
            created_from_unix_ms: Some(from),
            created_until_unix_ms: Some(from + 2 * 60_000),
            ..Default::default()
        })
        .await,
        ["l-2", "l-1"]
    );
    let huge = f
        .store
        .list(ListFilter {
            limit: 1_000_000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(huge.len() <= ListFilter::MAX_LIMIT as usize);
    assert!(matches!(
        f.store
            .list(ListFilter {
                offset: ListFilter::MAX_OFFSET + 1,
                ..Default::default()
            })
            .await,
        Err(StoreError::InvalidInput(_))
    ));
}

async fn ivr_data_keeps_its_order_and_classifies<S: ServiceRequestStore>(f: Fixture<S>) {
    let mut offer = offered("i-1", "op-1", 0);
    if let FactKind::Offered(o) = &mut offer.kind {
        o.ivr_data = vec![
            ("service_area".into(), "1".into()),
            ("choice.main".into(), "1 personnel".into()),
            ("service_area".into(), "3".into()),
        ];
    }
    let sr = f.store.record_call_fact(offer).await.unwrap().request;
    assert_eq!(
        sr.service_area.as_deref(),
        Some("3"),
        "the last answer wins"
    );
    assert_eq!(
        sr.call.ivr_data[1],
        ("choice.main".into(), "1 personnel".into())
    );
    assert_eq!(sr.call.ivr_data.len(), 3);
}

async fn personal_data_stays_out_of_debug<S: ServiceRequestStore>(f: Fixture<S>) {
    let sr = f
        .store
        .record_call_fact(arrived("p-1"))
        .await
        .unwrap()
        .request;
    let text = format!("{sr:?}");
    assert!(text.contains("p-1"));
    assert!(!text.contains("1234567"), "{text}");
}

async fn unknown_requests_are_none<S: ServiceRequestStore>(f: Fixture<S>) {
    assert_eq!(f.store.get(424242).await.unwrap(), None);
    assert_eq!(f.store.get_by_number("SR-2026-999999").await.unwrap(), None);
    assert_eq!(f.store.get_by_call_id("nope").await.unwrap(), None);
}

async fn a_batch_applies_in_order_and_a_bad_fact_spoils_nothing_else<S: ServiceRequestStore>(
    f: Fixture<S>,
) {
    let mut bad = arrived("b-bad");
    if let FactKind::Arrived(a) = &mut bad.kind {
        a.caller.raw = "3".repeat(200).into();
    }
    let results = f
        .store
        .record_call_facts(vec![
            arrived("b-1"),
            offered("b-1", "op-1", 1_000),
            bad,
            arrived("b-2"),
            answered("b-1", "op-1"),
            ended("b-1", CallOutcome::Answered),
        ])
        .await
        .unwrap();
    assert_eq!(results.len(), 6, "one answer per fact, in order");
    assert!(results[0].as_ref().unwrap().created);
    assert!(!results[1].as_ref().unwrap().created);
    assert!(matches!(results[2], Err(StoreError::InvalidInput(_))));
    assert!(results[3].as_ref().unwrap().created);
    let done = results[5].as_ref().unwrap();
    assert_eq!(done.request.call.outcome, Some(CallOutcome::Answered));
    assert_eq!(
        done.request.call.agent_id.as_deref(),
        Some("op-1"),
        "the answer, applied earlier in the batch, stays"
    );
    let all = f.store.list(ListFilter::default()).await.unwrap();
    let mut calls: Vec<&str> = all.iter().map(|sr| sr.call_id.as_str()).collect();
    calls.sort();
    assert_eq!(calls, ["b-1", "b-2"]);
    let numbers: std::collections::BTreeSet<&str> =
        all.iter().map(|sr| sr.number.as_str()).collect();
    assert_eq!(
        numbers.len(),
        2,
        "no number given twice, none wasted on the bad fact"
    );
}

async fn bad_input_is_refused_and_stores_nothing<S: ServiceRequestStore>(f: Fixture<S>) {
    let mut long = arrived(&"x".repeat(300));
    assert!(matches!(
        f.store.record_call_fact(long.clone()).await,
        Err(StoreError::InvalidInput(_))
    ));
    long.call_id = "ok".into();
    if let FactKind::Arrived(a) = &mut long.kind {
        a.sip_call_id = "ok".into();
        a.caller.raw = "3".repeat(4 * 1024 * 1024).into();
    }
    let error = f.store.record_call_fact(long).await.unwrap_err();
    assert!(error.to_string().contains("caller_number"), "{error}");
    assert!(
        f.store
            .list(ListFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}

/// Batches are spread over several transactions by call (PostgreSQL), each taking its SRs'
/// numbers just before it commits: however the batches interleave, the numbers are the
/// sequence 1..=N with no gap and no number twice, each call has one SR, and a call with
/// several facts in one batch gets the same SR for each.
async fn concurrent_batches_number_every_request_without_gaps<S: ServiceRequestStore>(
    f: Fixture<S>,
) {
    const BATCHES: usize = 6;
    const CALLS: usize = 40;
    let mut tasks = Vec::new();
    for b in 0..BATCHES {
        let store = f.store.clone();
        tasks.push(tokio::spawn(async move {
            let mut facts = Vec::new();
            for c in 0..CALLS {
                let call = format!("g-{b}-{c}");
                facts.push(arrived(&call));
                if c % 5 == 0 {
                    facts.push(offered(&call, "op-1", 1_000));
                }
            }
            let results = store.record_call_facts(facts.clone()).await.unwrap();
            (facts, results)
        }));
    }
    let mut opened = 0;
    for task in tasks {
        let (facts, results) = task.await.unwrap();
        assert_eq!(results.len(), facts.len());
        let mut sr_of_call = std::collections::HashMap::new();
        for (fact, result) in facts.iter().zip(results) {
            let result = result.unwrap();
            assert_eq!(result.request.call_id, fact.call_id);
            assert!(
                result.request.number.starts_with("SR-2026-"),
                "numbered before anyone sees it: {}",
                result.request.number
            );
            opened += usize::from(result.created);
            let first = sr_of_call
                .entry(fact.call_id.clone())
                .or_insert(result.request.id);
            assert_eq!(*first, result.request.id, "one SR per call in a batch");
        }
    }
    assert_eq!(opened, BATCHES * CALLS, "each call opened its SR once");
    let mut numbers = Vec::new();
    let mut filter = ListFilter {
        limit: 100,
        ..ListFilter::default()
    };
    loop {
        let page = f.store.list(filter.clone()).await.unwrap();
        if page.is_empty() {
            break;
        }
        numbers.extend(page.iter().map(|sr| sr.number.clone()));
        filter.offset += 100;
    }
    numbers.sort();
    let expected: Vec<String> = (1..=BATCHES * CALLS)
        .map(|n| format!("SR-2026-{n:06}"))
        .collect();
    assert_eq!(
        numbers, expected,
        "the numbers are 1..=N: no gap, none twice"
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
    the_first_fact_opens_one_request_and_later_ones_complete_it,
    a_late_or_repeated_fact_never_undoes_a_later_one,
    a_record_alone_opens_a_complete_request,
    concurrent_facts_of_one_call_make_one_request,
    numbers_are_unique_and_sequential_per_year,
    concurrent_batches_number_every_request_without_gaps,
    lists_filter_newest_first_in_bounded_pages,
    ivr_data_keeps_its_order_and_classifies,
    personal_data_stays_out_of_debug,
    unknown_requests_are_none,
    bad_input_is_refused_and_stores_nothing,
    a_batch_applies_in_order_and_a_bad_fact_spoils_nothing_else,
    customers_are_found_by_any_number_in_any_form,
    a_shared_number_returns_every_customer_in_order,
    pins_answer_alike_for_wrong_pins_and_unknown_customers,
    guests_are_kept_and_can_be_identified_later,
    discrepancies_are_flagged_with_a_note_and_cleared,
    updates_based_on_an_old_revision_are_refused,
    oversized_or_malformed_customers_are_refused_and_store_nothing,
    searches_match_prefixes_in_bounded_pages,
    recent_requests_follow_the_customer_and_their_numbers,
    customer_personal_data_stays_out_of_debug_and_errors,
    users_are_created_read_and_listed_with_their_roles,
    a_taken_login_or_bad_user_is_refused,
    api_changes_apply_to_api_users_and_disabling_ends_sessions,
    the_configuration_wins_for_its_users,
    sessions_expire_and_end,
    a_user_keeps_only_the_newest_sessions,
    administrators_changes_are_recorded_newest_first,
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
    let first = store
        .record_call_fact(arrived("c-1"))
        .await
        .unwrap()
        .request;
    store.close().await;

    let store = SqliteStore::open(&path, clock).await.unwrap();
    assert_eq!(store.get_by_call_id("c-1").await.unwrap(), Some(first));
    let second = store
        .record_call_fact(arrived("c-2"))
        .await
        .unwrap()
        .request;
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
    let opened = store.record_call_fact(arrived("c-any")).await.unwrap();
    assert_eq!(opened.request.number, "SR-2026-000001");
    store.close().await;
}
