//! The record path's figures: the engine's outbox cost per call, the CRM's SR auto-open rate on
//! each store, and the screen pop's latency over gRPC at a steady offer rate. Each figure is
//! also given against something measured in the same run (this disk's fsync, the same work
//! done without durability), so runs on other machines compare.
//!
//! `cargo bench --bench cti_throughput` (PostgreSQL too when `CENTRALINO_TEST_POSTGRES_URL` is
//! set: `eval "$(scripts/test-deps.sh postgres)"` as root). Environment knobs: `CALLS` (outbox
//! and store rounds, default 5000), `OFFERS` and `OFFER_RATE` (screen pops, default 5000 at
//! 500 a second).

use std::io::Write;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use call_control::events::{CallArrived, CallFact, CallOffered, CallRecord, CallRef};
use common::SystemClock;
use common::call::{CallOutcome, CallStage, EndReason};
use common::phone::{CallerNumber, NumberingPlan};
use crm_store::{ServiceRequestStore, SqliteStore};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The cost of one durable write on this disk: 4 KiB appended and `fdatasync`ed.
fn fsync_baseline(dir: &std::path::Path) -> Duration {
    let mut file = std::fs::File::create(dir.join("fsync-probe")).unwrap();
    let block = vec![7u8; 4096];
    let mut times = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        file.write_all(&block).unwrap();
        file.sync_data().unwrap();
        times.push(t.elapsed());
    }
    times.sort();
    percentile(&times, 0.5)
}

/// One call's facts as the core emits them: arrived, three progress notes, offered, answered,
/// ended.
fn call_facts(n: u64) -> Vec<CallFact> {
    let call = CallRef(format!("bench-{n:08}"));
    let caller = CallerNumber::normalise("0551234567", &NumberingPlan::italy());
    let ivr_data = vec![
        ("service_area".to_string(), "technology".to_string()),
        ("choice.main".to_string(), "2 technology".to_string()),
        (
            "ivr_path".to_string(),
            "start > main > main:2 > technology".to_string(),
        ),
    ];
    let at = 1_795_000_000_000 + n as i64;
    let progress = |stage| CallFact::Progress {
        call: call.clone(),
        stage,
        ivr_data: ivr_data.clone(),
        queue: (stage == CallStage::Queued).then(|| "technology".to_string()),
        at_unix_ms: at,
    };
    vec![
        CallFact::Arrived(CallArrived {
            call: call.clone(),
            sip_call_id: format!("{n}@bench"),
            caller: caller.clone(),
            dialled: "800123456".into(),
            at_unix_ms: at,
        }),
        progress(CallStage::Ivr),
        progress(CallStage::Ivr),
        progress(CallStage::Queued),
        CallFact::Offered(CallOffered {
            call: call.clone(),
            caller: caller.clone(),
            dialled: "800123456".into(),
            ivr_data: ivr_data.clone(),
            queue: "technology".into(),
            waited_ms: 5_000,
            agent_id: "1001".into(),
            offered_at_unix_ms: at + 5_000,
        }),
        CallFact::Answered {
            call: call.clone(),
            agent_id: "1001".into(),
            at_unix_ms: at + 7_000,
        },
        CallFact::Ended(CallRecord {
            call,
            sip_call_id: format!("{n}@bench"),
            caller,
            dialled: "800123456".into(),
            ivr_data,
            queue: Some("technology".into()),
            outcome: CallOutcome::Answered,
            end_reason: EndReason::CallerHungUp,
            stage: CallStage::Talking,
            started_at_unix_ms: at,
            offered_at_unix_ms: Some(at + 5_000),
            answered_at_unix_ms: Some(at + 7_000),
            ended_at_unix_ms: at + 120_000,
            waited_ms: Some(7_000),
            talk_ms: Some(113_000),
            agent_id: Some("1001".into()),
        }),
    ]
}

async fn outbox_cost(calls: u64, fsync: Duration) {
    println!(
        "\n## Engine outbox: cost per call (7 facts a call: arrived, 3 progress, offered, answered, ended)"
    );
    println!(
        "| calls committed together | calls | calls/s | µs per call | fsyncs of this disk per call |"
    );
    println!("|---|---|---|---|---|");
    for per_commit in [1u64, 8, 64] {
        let dir = tempfile::tempdir().unwrap();
        let outbox = engine::Outbox::open(&dir.path().join("outbox.db"), Arc::new(SystemClock))
            .await
            .unwrap();
        let t = Instant::now();
        let mut n = 0;
        while n < calls {
            let batch: Vec<CallFact> = (n..(n + per_commit).min(calls))
                .flat_map(call_facts)
                .collect();
            outbox.append(&batch).await.unwrap();
            n += per_commit;
        }
        let elapsed = t.elapsed();
        let per_call = elapsed / calls as u32;
        println!(
            "| {per_commit} | {calls} | {:.0} | {:.0} | {:.2} |",
            calls as f64 / elapsed.as_secs_f64(),
            per_call.as_secs_f64() * 1e6,
            per_call.as_secs_f64() / fsync.as_secs_f64()
        );
        outbox.close().await;
    }
}

const TOKEN: &str = "bench-credential-0123456789abcdef";

/// A CRM on loopback over `store`; returns its CTI client, its gRPC URL and a stop handle.
async fn start_crm<
    S: ServiceRequestStore + crm_store::UserStore + crm_store::CaseStore + crm_store::CustomerStore,
>(
    store: S,
) -> (
    cti_proto::CtiClient,
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), crm::ServeError>>,
) {
    let grpc = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", grpc.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut config = crm::CrmConfig::new(crm::ServiceCredential::new(TOKEN).unwrap());
    config.auth.hash_cost = crm::auth::HashCost::cheap_for_tests();
    let crm = tokio::spawn(crm::serve(store, config, grpc, http, async {
        let _ = stopped.await;
    }));
    let client = cti_proto::CtiClient::connect(url.clone(), Some(TOKEN.into()))
        .await
        .unwrap();
    (client, url, stop, crm)
}

/// New calls' first facts over the CRM's gRPC CTI service, as an engine sends them, from
/// `concurrency` callers at once: SRs (with their record and case) opened per second.
async fn sr_open_rate<
    S: ServiceRequestStore + crm_store::UserStore + crm_store::CaseStore + crm_store::CustomerStore,
>(
    name: &'static str,
    store: S,
    calls: u64,
) {
    let concurrency = 64u64;
    let (client, _, stop, crm) = start_crm(store).await;
    let t = Instant::now();
    let mut handles = Vec::new();
    for task in 0..concurrency {
        let client = client.clone();
        handles.push(tokio::spawn(async move {
            let mut n = task;
            while n < calls {
                client
                    .report_call_arrived(cti_proto::CallArrived {
                        call_id: format!("{name}-open-{n:08}"),
                        sip_call_id: format!("{n}@bench"),
                        caller_number: "0551234567".into(),
                        caller_number_e164: Some("+390551234567".into()),
                        dialled_number: "800123456".into(),
                        channel: String::new(),
                        arrived_at_unix_ms: 1_795_000_000_000,
                    })
                    .await
                    .unwrap();
                n += concurrency;
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let elapsed = t.elapsed();
    println!(
        "| {name} | {calls} | {concurrency} | {:.0} |",
        calls as f64 / elapsed.as_secs_f64(),
    );
    let _ = stop.send(());
    let _ = crm.await;
}

/// Operators watching their desks while the engine offers calls at `rate`: how long from the
/// engine sending the offer to the pop (SR, identified customer, their recent SRs) arriving on
/// the operator's gRPC desk stream; and the engine's own answer time for comparison.
async fn screen_pops(offers: u64, rate: u64) {
    const OPERATORS: usize = 20;
    const CUSTOMERS: usize = 1000;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("crm.db"), Arc::new(SystemClock))
        .await
        .unwrap();
    let people = (0..OPERATORS)
        .map(|n| crm::auth::ConfiguredUser {
            login: format!("op{n:02}"),
            name: format!("Operator {n}"),
            roles: crm_store::Roles::only(crm_store::StaffRole::Operator).unwrap(),
            enabled: true,
            password: crm::auth::ConfiguredPassword::Clear(crm::auth::Password::new(
                "bench-password-1234",
            )),
        })
        .collect();
    crm::auth::apply_configured_users(&store, people, crm::auth::HashCost::cheap_for_tests())
        .await
        .unwrap();
    let plan = NumberingPlan::italy();
    let drafts = (0..CUSTOMERS)
        .map(|n| crm_store::CustomerDraft {
            party: crm_store::Party::Person {
                given_name: None,
                family_name: Some(common::Pii::new("Rossi".into())),
                tax_code: None,
            },
            display_name: common::Pii::new(format!("Customer {n}")),
            phones: vec![crm_store::PhoneDraft {
                label: "home".into(),
                number: common::Pii::new(format!("+3905510{n:05}")),
            }],
            emails: Vec::new(),
            guest: false,
            pin: Default::default(),
        })
        .collect();
    use crm_store::CustomerStore;
    let customers = store.import_customers(drafts, &plan).await.unwrap();
    let (client, url, stop, crm) = start_crm(store).await;

    // Every operator logs in and watches their desk.
    let sent: Arc<dashmap::DashMap<String, Instant>> = Arc::new(dashmap::DashMap::new());
    let (popped_tx, mut popped) = tokio::sync::mpsc::unbounded_channel();
    for n in 0..OPERATORS {
        let mut anonymous = cti_proto::crm::connect(url.clone(), None).await.unwrap();
        let token = anonymous
            .login(cti_proto::crm::LoginRequest {
                login: format!("op{n:02}"),
                password: "bench-password-1234".into(),
            })
            .await
            .unwrap()
            .into_inner()
            .token;
        let mut desk = cti_proto::crm::connect(url.clone(), Some(token))
            .await
            .unwrap()
            .watch_desk(cti_proto::crm::WatchDeskRequest::default())
            .await
            .unwrap()
            .into_inner();
        let sent = sent.clone();
        let popped_tx = popped_tx.clone();
        tokio::spawn(async move {
            while let Ok(Some(event)) = desk.message().await {
                if let Some(cti_proto::crm::desk_event::Event::Offered(pop)) = event.event
                    && let Some((_, at)) = sent.remove(&pop.call_id)
                {
                    let complete = pop.customer.is_some_and(|c| !c.recent_requests.is_empty());
                    let _ = popped_tx.send((at.elapsed(), complete));
                }
            }
        });
    }
    drop(popped_tx);

    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let t = Instant::now();
    for n in 0..offers {
        ticker.tick().await;
        let client = client.clone();
        let tx = tx.clone();
        let sent = sent.clone();
        let customer = customers[n as usize % CUSTOMERS].0;
        tokio::spawn(async move {
            let call_id = format!("pop-{n:08}");
            let start = Instant::now();
            sent.insert(call_id.clone(), start);
            let result = client
                .report_call_offered(cti_proto::CallOffered {
                    call_id,
                    caller_number: format!("05510{:05}", n as usize % CUSTOMERS),
                    caller_number_e164: Some(format!("+3905510{:05}", n as usize % CUSTOMERS)),
                    dialled_number: "800123456".into(),
                    channel: "phone".into(),
                    ivr_data: vec![cti_proto::IvrDatum::new("service_area", "technology")],
                    queue: "technology".into(),
                    waited_ms: 5_000,
                    agent_id: format!("op{:02}", n as usize % OPERATORS),
                    offered_at_unix_ms: 1_795_000_000_000,
                    customer_id: Some(customer.to_string()),
                })
                .await;
            let _ = tx.send((start.elapsed(), result.is_ok()));
        });
    }
    drop(tx);
    let mut acks = Vec::new();
    let mut failed = 0;
    while let Some((latency, ok)) = rx.recv().await {
        acks.push(latency);
        failed += usize::from(!ok);
    }
    let elapsed = t.elapsed();
    // The pops still on their way, then every desk stream ends with the CRM.
    let mut pops = Vec::new();
    let mut complete = 0;
    let wait = Instant::now() + Duration::from_secs(10);
    while pops.len() < offers as usize - failed && Instant::now() < wait {
        match tokio::time::timeout(Duration::from_secs(1), popped.recv()).await {
            Ok(Some((latency, whole))) => {
                pops.push(latency);
                complete += usize::from(whole);
            }
            _ => break,
        }
    }
    acks.sort();
    pops.sort();
    println!(
        "\n## Screen pop: engine offer → operator's desk stream (gRPC WatchDesk), SQLite store, {OPERATORS} operators watching, {CUSTOMERS} customers"
    );
    println!(
        "| offers | offered rate | achieved | failed | pops received (with customer and recent SRs) | pop p50 | pop p99 | pop max | engine's answer p50 / p99 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {offers} | {rate}/s | {:.0}/s | {failed} | {} ({complete}) | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} / {:.1} ms |",
        offers as f64 / elapsed.as_secs_f64(),
        pops.len(),
        ms(percentile(&pops, 0.5)),
        ms(percentile(&pops, 0.99)),
        ms(pops.last().copied().unwrap_or_default()),
        ms(percentile(&acks, 0.5)),
        ms(percentile(&acks, 0.99)),
    );
    let _ = stop.send(());
    let _ = crm.await;
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let calls = env_or("CALLS", 5000);
        let dir = tempfile::tempdir().unwrap();
        let fsync = fsync_baseline(dir.path());
        println!("# cti_throughput on this machine");
        println!("\nfsync (4 KiB append + fdatasync) p50 on this disk: {:.3} ms", ms(fsync));
        outbox_cost(calls, fsync).await;

        println!("\n## CRM: SR auto-open rate over gRPC (a new call's first fact opens its record, SR and case; facts group-committed)");
        println!("| store | calls | concurrent engines' calls | SRs opened/s |");
        println!("|---|---|---|---|");
        let store = SqliteStore::open(dir.path().join("crm.db"), Arc::new(SystemClock))
            .await
            .unwrap();
        sr_open_rate("sqlite", store, calls).await;
        if let Ok(url) = std::env::var("CENTRALINO_TEST_POSTGRES_URL") {
            let name = format!("centralino_bench_{}", std::process::id());
            use sqlx::Connection;
            let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .execute(&mut admin)
                .await
                .unwrap();
            let options = sqlx::postgres::PgConnectOptions::from_str(&url)
                .unwrap()
                .database(&name);
            let store = crm_store::PgStore::connect_with(options, Arc::new(SystemClock))
                .await
                .unwrap();
            sr_open_rate("postgres", store.clone(), calls).await;
            store.close().await;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await
            .unwrap();
        } else {
            println!("| postgres | skipped: CENTRALINO_TEST_POSTGRES_URL is not set | | |");
        }

        screen_pops(env_or("OFFERS", 5000), env_or("OFFER_RATE", 500)).await;
    });
}
