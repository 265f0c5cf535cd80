//! Service requests stored before migration 0004 become cases, on both backends: an open
//! case of the platform's in the queue their call reached (or the intake desk), with the
//! opening as the first entry of a history that replays to the case. The database itself
//! keeps the history append-only and refuses a status without its data.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::*;
use crm_store::{CaseKey, SqliteStore};
use service_request::{Actor, Case, Channel, Command, State, Status};
use sqlx::migrate::Migrator;

/// The migrations before 0004 (whatever else lands beside them), in a directory of their own.
fn migrations_before_cases(backend: &str, dir: &Path) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let target = dir.join(format!("migrations-{backend}"));
    std::fs::create_dir_all(&target).expect("create the migrations directory");
    for file in std::fs::read_dir(&source).expect("the migrations directory") {
        let path = file.expect("a migration").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let version: u32 = name
            .split('_')
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if version < 4 {
            std::fs::copy(&path, target.join(name)).expect("copy a migration");
        }
    }
    target
}

/// Three SRs as the CRM stored them before cases: a call that reached a queue, a call that
/// never did (withheld number), and an SR without a call.
const LEGACY_ROWS: &[&str] = &[
    "INSERT INTO call_records (call_id, caller_number, caller_number_e164, dialled_number, queue) \
     VALUES ('old-1', '0551234567', '+390551234567', '800123456', 'technology')",
    "INSERT INTO call_records (call_id, caller_number, dialled_number) \
     VALUES ('old-2', '', '800123456')",
    "INSERT INTO service_requests (number, call_id, channel, state, created_at_unix_ms, \
     updated_at_unix_ms) VALUES ('SR-2026-000001', 'old-1', 'phone', 'open', 1000, 2000)",
    "INSERT INTO service_requests (number, call_id, channel, state, created_at_unix_ms, \
     updated_at_unix_ms) VALUES ('SR-2026-000002', 'old-2', 'phone', 'open', 3000, 3000)",
    "INSERT INTO service_requests (number, call_id, channel, state, created_at_unix_ms, \
     updated_at_unix_ms) VALUES ('SR-2026-000003', NULL, 'email', 'open', 4000, 4000)",
];

async fn legacy_requests_are_open_cases<S: Store>(store: &S) {
    let expectations = [
        (
            "SR-2026-000001",
            "technology",
            Some("+390551234567"),
            Channel::Phone,
            1000,
        ),
        ("SR-2026-000002", "intake", None, Channel::Phone, 3000),
        ("SR-2026-000003", "intake", None, Channel::Email, 4000),
    ];
    for (number, queue, caller, channel, opened) in expectations {
        let view = store
            .get_case(number.into())
            .await
            .expect("read")
            .expect("every SR has a case");
        let case = &view.case;
        assert_eq!(case.status, Status::Open, "{number}");
        assert_eq!(
            (case.queue.as_str(), case.first_level_queue.as_str()),
            (queue, queue)
        );
        assert_eq!(
            case.caller_number.as_ref().map(|c| c.expose().as_str()),
            caller
        );
        assert_eq!(
            (case.channel, case.opened_at_unix_ms, case.revision),
            (channel, opened, 1)
        );
        let history = store
            .history(number.into(), Default::default())
            .await
            .expect("history");
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].actor, Actor::system());
        assert_eq!(Case::replay(&history).as_ref(), Ok(case), "{number}");
        let sr = store
            .get_by_number(number)
            .await
            .expect("read")
            .expect("SR");
        assert_eq!(sr.state, State::Open);
    }
    // And they are worked like any other.
    let catalogue = demo_catalogue();
    let key = CaseKey::from("SR-2026-000001");
    let anna = Actor::first_level("anna");
    store
        .apply(key.clone(), Command::Lock, &anna, Some(1), &catalogue)
        .await
        .expect("a migrated case takes commands");
    let moved = Command::Move {
        queue: "applications".into(),
    };
    store
        .apply(key, moved, &anna, None, &catalogue)
        .await
        .expect("moved");
}

/// What the database guarantees by itself, beyond the store's code.
macro_rules! database_keeps_its_promises {
    ($pool:expr) => {{
        let pool = $pool;
        // The history in words, for SQL reports: who did what, from what to what.
        let rows: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT actor_id, kind, old_value, new_value FROM case_history \
             WHERE sr_id = 1 ORDER BY seq",
        )
        .fetch_all(pool)
        .await
        .expect("history rows");
        let expected = [
            ("system", "opened", None, Some("technology")),
            ("anna", "lock_changed", None, Some("anna")),
            ("anna", "owner_changed", None, Some("anna")),
            (
                "anna",
                "queue_changed",
                Some("technology"),
                Some("applications"),
            ),
            ("anna", "lock_changed", Some("anna"), None),
            ("anna", "owner_changed", Some("anna"), None),
        ];
        let rows: Vec<_> = rows
            .iter()
            .map(|(a, k, o, n)| (a.as_str(), k.as_str(), o.as_deref(), n.as_deref()))
            .collect();
        assert_eq!(rows, expected);
        // Append-only.
        let edit = sqlx::query("UPDATE case_history SET actor_id = 'mallory' WHERE sr_id = 1")
            .execute(pool)
            .await;
        assert!(edit.is_err(), "history rows cannot be edited");
        let erase = sqlx::query("DELETE FROM case_history WHERE sr_id = 1")
            .execute(pool)
            .await;
        assert!(erase.is_err(), "history rows cannot be deleted");
        // A status without its data, or data without its status, is refused.
        for broken in [
            "UPDATE cases SET state = 'resolved_first_level' WHERE sr_id = 2",
            "UPDATE cases SET communication = 'communicated' WHERE sr_id = 2",
            "UPDATE cases SET state = 'suspended' WHERE sr_id = 2",
            "UPDATE cases SET state = 'reopened' WHERE sr_id = 2",
            "UPDATE cases SET satisfaction = 6 WHERE sr_id = 2",
            "UPDATE cases SET lock_holder = 'anna' WHERE sr_id = 2",
        ] {
            let result = sqlx::query(broken).execute(pool).await;
            assert!(result.is_err(), "accepted: {broken}");
        }
    }};
}

#[tokio::test]
async fn sqlite_requests_before_cases_become_open_cases() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("crm.db");
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&file)
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.expect("pool");
    let migrator = Migrator::new(migrations_before_cases("sqlite", dir.path()))
        .await
        .expect("migrations");
    migrator.run(&pool).await.expect("migrate to before 0004");
    for row in LEGACY_ROWS {
        sqlx::query(*row).execute(&pool).await.expect("legacy row");
    }
    pool.close().await;

    let clock = Arc::new(::common::ManualClock::new(MARCH_2026));
    let store = SqliteStore::open(&file, clock)
        .await
        .expect("migrates to 0004")
        .with_catalogue(demo_catalogue());
    legacy_requests_are_open_cases(&store).await;
    store.close().await;

    let pool =
        sqlx::SqlitePool::connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(&file))
            .await
            .expect("pool");
    database_keeps_its_promises!(&pool);
}

#[tokio::test]
async fn postgres_requests_before_cases_become_open_cases() {
    let Some(mut database) = TestDatabase::empty().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let pool = sqlx::PgPool::connect_with(database.options())
        .await
        .expect("pool");
    let migrator = Migrator::new(migrations_before_cases("postgres", dir.path()))
        .await
        .expect("migrations");
    migrator.run(&pool).await.expect("migrate to before 0004");
    for row in LEGACY_ROWS {
        sqlx::query(*row).execute(&pool).await.expect("legacy row");
    }
    let store = database.open().await;
    legacy_requests_are_open_cases(&*store).await;
    database_keeps_its_promises!(&pool);
    pool.close().await;
    database.drop().await;
}
