//! Stories: the CRM goes away under load and comes back, and nothing is lost or doubled.
//!
//! 1. The CRM process is killed with SIGKILL while SIPp calls flow through a separate engine,
//!    and started again 30 s later: the engine kept every call's facts in its outbox, and
//!    every call ends up with exactly one SR carrying its call record.
//! 2. The same with the CRM on PostgreSQL, and PostgreSQL stopped for 15 s under load.
//!
//! Run: `cargo test --test crm_outage` (about two and a half minutes; needs `sipp`, and a
//! PostgreSQL from `scripts/test-deps.sh` for the second story).

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

/// Calls per story, and how fast they come.
const CALLS: u32 = 40;
const RATE: u32 = 2;

fn crm_args(
    grpc: SocketAddr,
    http: SocketAddr,
    data: &Path,
    database_url: Option<&str>,
) -> Vec<String> {
    let mut args = vec![
        "crm".into(),
        "--assets-dir".into(),
        repo_root().display().to_string(),
        "--grpc-listen".into(),
        grpc.to_string(),
        "--http-listen".into(),
        http.to_string(),
        "--data-dir".into(),
        data.display().to_string(),
    ];
    if let Some(url) = database_url {
        args.extend(["--database-url".into(), url.to_owned()]);
    }
    args
}

fn engine_args(sip: SocketAddr, grpc: SocketAddr, data: &Path) -> Vec<String> {
    vec![
        "run".into(),
        "--assets-dir".into(),
        repo_root().display().to_string(),
        "--sip-listen".into(),
        sip.to_string(),
        "--crm-url".into(),
        format!("http://{grpc}"),
        // The engine's own CRM listeners are unused in remote mode.
        "--grpc-listen".into(),
        "127.0.0.1:0".into(),
        "--http-listen".into(),
        "127.0.0.1:0".into(),
        "--data-dir".into(),
        data.display().to_string(),
    ]
}

/// Every SR of the calls whose SIP Call-ID starts with `prefix`, by SIP Call-ID, or `None`
/// while the CRM does not answer.
fn srs_of(http: SocketAddr, prefix: &str) -> Option<BTreeMap<String, Vec<serde_json::Value>>> {
    let mut by_call: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    let mut offset = 0;
    loop {
        let (status, body) = http_get(
            http,
            &format!("/api/v1/service-requests?limit=200&offset={offset}"),
        )
        .ok()?;
        if status != 200 {
            return None;
        }
        let body: serde_json::Value = serde_json::from_str(&body).ok()?;
        let page = body["service_requests"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if page.is_empty() {
            return Some(by_call);
        }
        offset += page.len();
        for sr in page {
            if let Some(sip) = field(&sr, "call.sip_call_id").filter(|s| s.starts_with(prefix)) {
                by_call.entry(sip).or_default().push(sr);
            }
        }
    }
}

/// Places `CALLS` calls at `RATE` a second: the first half press 2 and wait in the
/// technology queue for the operator (or give up after 15 s), the other half press
/// nothing and are released by the IVR.
fn place_calls(sip: SocketAddr, prefix: &str, logs: &Path) -> (Sipp, Sipp) {
    let ivr = IvrTiming::from_prompts();
    let queued = SippCommand::new(
        &format!("{prefix}-queued"),
        scenario("caller_one_digit.xml"),
        logs,
    )
    .remote(sip)
    .service(TOLL_FREE)
    .call_id_prefix(&format!("{prefix}-q"))
    .calls(CALLS / 2)
    .concurrent(CALLS, RATE)
    .key("caller", CALLER_NUMBER)
    .key("sink_port", RtpSink::bind().port())
    .key("pre_digits_ms", ms(ivr.first_key()))
    .key("digit1_pcap", dtmf_pcap('2').display())
    .key("queue_wait_ms", 15_000)
    .key("talk_ms", 0)
    .key("speech_pcap", speech_pcap().display())
    .spawn();
    let released = SippCommand::new(
        &format!("{prefix}-ivr"),
        scenario("caller_hangup_by_server.xml"),
        logs,
    )
    .remote(sip)
    .service(TOLL_FREE)
    .call_id_prefix(&format!("{prefix}-i"))
    .calls(CALLS / 2)
    .concurrent(CALLS, RATE)
    .key("caller", CALLER_NUMBER)
    .key("sink_port", RtpSink::bind().port())
    .key("pre_digits_ms", ms(ivr.first_key()))
    .key("digits_pause", ms(ivr.retry_top()))
    .key("digit1_pcap", dtmf_pcap('9').display())
    .key("digit2_pcap", dtmf_pcap('9').display())
    .key("speech_pcap", speech_pcap().display())
    .spawn();
    (queued, released)
}

/// After the outage: every call of `prefix` has exactly one SR with its call record.
async fn every_call_has_one_record(http: SocketAddr, prefix: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let srs = loop {
        if let Some(srs) = srs_of(http, prefix)
            && srs.len() as u32 == CALLS
            && srs
                .values()
                .flatten()
                .all(|sr| field(sr, "call.outcome").is_some())
        {
            break srs;
        }
        assert!(
            Instant::now() < deadline,
            "not every call has its record 120 s after the CRM came back: {:?}",
            srs_of(http, prefix).map(|s| s.len())
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for (sip_call_id, srs) in &srs {
        assert_eq!(srs.len(), 1, "exactly one SR for {sip_call_id}: {srs:#?}");
        *outcomes
            .entry(field(&srs[0], "call.outcome").unwrap_or_default())
            .or_default() += 1;
        if sip_call_id.starts_with(&format!("{prefix}-i")) {
            assert_outcome(&srs[0], "released_by_ivr");
        }
    }
    assert_eq!(
        outcomes.get("released_by_ivr").copied().unwrap_or(0) as u32,
        CALLS / 2,
        "{outcomes:?}"
    );
    assert!(
        outcomes.get("answered").copied().unwrap_or(0) >= 1,
        "the operator answered calls during the outage: {outcomes:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crm_killed_for_30_seconds_loses_and_doubles_nothing() {
    let _serial = one_story_at_a_time().await;
    let data = tempfile::tempdir().unwrap();
    let logs = data.path().join("sipp");
    std::fs::create_dir_all(&logs).unwrap();
    let sip: SocketAddr = format!("127.0.0.1:{}", free_udp_port()).parse().unwrap();
    let grpc: SocketAddr = format!("127.0.0.1:{}", free_tcp_port()).parse().unwrap();
    let http: SocketAddr = format!("127.0.0.1:{}", free_tcp_port()).parse().unwrap();
    let crm_data = data.path().join("crm");

    let crm = Process::spawn(&crm_args(grpc, http, &crm_data, None));
    wait_for_http(http, "the CRM").await;
    let engine = Process::spawn(&engine_args(sip, grpc, &data.path().join("engine")));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _operator = OperatorPhone::register(
        sip,
        "1001",
        OperatorBehaviour::AnswersAndHangsUp {
            talk: Duration::from_secs(1),
        },
        CALLS,
        &logs,
    )
    .await;

    let (queued, released) = place_calls(sip, "crm-kill", &logs);
    tokio::time::sleep(Duration::from_secs(5)).await;
    crm.kill_hard();
    tokio::time::sleep(Duration::from_secs(30)).await;
    let crm = Process::spawn(&crm_args(grpc, http, &crm_data, None));
    wait_for_http(http, "the CRM after its outage").await;

    for mut caller in [queued, released] {
        let _ = caller.wait_blocking(Duration::from_secs(120));
    }
    every_call_has_one_record(http, "crm-kill").await;

    assert!(engine.terminate().success());
    assert!(crm.terminate().success());
    keep_logs_if_asked(data);
}

/// `pg_ctl stop` / `start` of the test cluster that `scripts/test-deps.sh` set up, started
/// again with the options it ran with (`postmaster.opts`: its port and socket).
fn pg_ctl(action: &str) {
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (scripts/test-deps.sh)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin/pg_ctl")))
        .filter(|p| p.exists())
        .max()
        .expect("a pg_ctl");
    let dir =
        std::env::var("CENTRALINO_PG_DIR").unwrap_or_else(|_| "/var/tmp/centralino-pg".into());
    let data_dir = format!("{dir}/data");
    let mut command = Command::new("runuser");
    command
        .args(["-u", "postgres", "--"])
        .arg(bin)
        .args(["-D", &data_dir, "-w", "-t", "60", "-m", "fast", action]);
    if action == "start" {
        // `"-D" "<dir>" "-c" "listen_addresses=..." "-p" "55432" ...`: keep what follows -D.
        let opts = std::fs::read_to_string(format!("{data_dir}/postmaster.opts"))
            .expect("postmaster.opts of the running cluster");
        let args: Vec<&str> = opts.split('"').skip(1).step_by(2).collect();
        let after_data = args.iter().position(|a| *a == "-D").map_or(0, |i| i + 2);
        command.args(["-o", &args[after_data..].join(" ")]);
        command.args(["-l", &format!("{dir}/server.log")]);
    }
    let status = command.status().expect("run pg_ctl");
    assert!(status.success(), "pg_ctl {action}");
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_stopped_under_load_loses_and_doubles_nothing() {
    let Ok(admin_url) = std::env::var("CENTRALINO_TEST_POSTGRES_URL") else {
        assert_eq!(
            std::env::var("CENTRALINO_SKIP_POSTGRES").as_deref(),
            Ok("1"),
            "CENTRALINO_TEST_POSTGRES_URL is not set: run `eval \"$(scripts/test-deps.sh)\"` as root \
             or set CENTRALINO_SKIP_POSTGRES=1"
        );
        eprintln!("skipped: PostgreSQL outage story (CENTRALINO_SKIP_POSTGRES=1)");
        return;
    };
    let _serial = one_story_at_a_time().await;
    // A database of the story's own.
    let name = format!("centralino_outage_{}", std::process::id());
    let psql = |sql: &str| {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path().join("bin/psql")))
            .filter(|p| p.exists())
            .max()
            .unwrap();
        let status = Command::new(bin)
            .arg(&admin_url)
            .args(["-qc", sql])
            .env("PGOPTIONS", "--client-min-messages=warning")
            .status()
            .unwrap();
        assert!(status.success(), "psql {sql}");
    };
    psql(&format!("DROP DATABASE IF EXISTS {name}"));
    psql(&format!("CREATE DATABASE {name}"));
    let database_url = admin_url
        .rsplit_once('/')
        .map(|(base, _)| format!("{base}/{name}"))
        .unwrap();

    let data = tempfile::tempdir().unwrap();
    let logs = data.path().join("sipp");
    std::fs::create_dir_all(&logs).unwrap();
    let sip: SocketAddr = format!("127.0.0.1:{}", free_udp_port()).parse().unwrap();
    let grpc: SocketAddr = format!("127.0.0.1:{}", free_tcp_port()).parse().unwrap();
    let http: SocketAddr = format!("127.0.0.1:{}", free_tcp_port()).parse().unwrap();

    let crm = Process::spawn(&crm_args(
        grpc,
        http,
        &data.path().join("crm"),
        Some(&database_url),
    ));
    wait_for_http(http, "the CRM").await;
    let engine = Process::spawn(&engine_args(sip, grpc, &data.path().join("engine")));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _operator = OperatorPhone::register(
        sip,
        "1001",
        OperatorBehaviour::AnswersAndHangsUp {
            talk: Duration::from_secs(1),
        },
        CALLS,
        &logs,
    )
    .await;

    let (queued, released) = place_calls(sip, "pg-stop", &logs);
    tokio::time::sleep(Duration::from_secs(5)).await;
    pg_ctl("stop");
    tokio::time::sleep(Duration::from_secs(15)).await;
    pg_ctl("start");

    for mut caller in [queued, released] {
        let _ = caller.wait_blocking(Duration::from_secs(120));
    }
    every_call_has_one_record(http, "pg-stop").await;

    assert!(engine.terminate().success());
    assert!(crm.terminate().success());
    psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    keep_logs_if_asked(data);
}
