//! Story: the administrator changes the running service from her browser, without a restart.
//! In headless Chromium she logs in to `/admin/prompts`, uploads an MP3 as the new welcome
//! (the next SIPp caller hears it, sample for sample), is refused a file that is not audio
//! (the new welcome keeps playing) and the deletion of the welcome (the script plays it);
//! records a prompt from the microphone and deletes it; backs up every prompt and restores
//! the archive. On `/admin/ivr` a broken script is refused with its line shown on the page and
//! the next caller still gets the last good menu; a valid edit is activated and the next
//! caller's SR shows it ran; the first version is restored. Every change is in the audit, with
//! who made it. An operator cannot open the administration pages.
//!
//! Real peers: SIPp as the callers; Chromium (Debian) driven by playwright-core
//! (`tests/browser/admin.mjs`), which writes `docs/screenshots/{admin-prompts,
//! admin-ivr-refused,admin-ivr}.png` when UPDATE_SCREENSHOTS=1.
//! Run: `cargo test --test admin_pages` (about 90 s; needs `sipp`, `chromium` and
//! `tests/browser/node_modules`: `scripts/test-deps.sh` installs them).

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;

const ADMIN: (&str, &str) = ("admin", "demoadmin");

/// One caller: presses 2 (technology) at the top menu and hangs up in the queue. Returns what
/// they heard and their SR.
async fn one_call(
    engine: &centralino::Running,
    name: &str,
    logs: &Path,
) -> (Vec<RtpPacket>, serde_json::Value) {
    let ivr = IvrTiming::from_prompts();
    let plan = CallPlan::hangs_up_after(
        &['2'],
        // The new welcome is longer than the shipped one: wait for the menu after it.
        ivr.first_key() + Duration::from_secs(3),
        Duration::ZERO,
        Duration::from_secs(2),
        Duration::ZERO,
    );
    let caller = Caller::dial(engine.sip_addr, name, &plan, logs);
    caller.phone.expect_success(SIPP_TIMEOUT).await;
    let heard = caller.ear.stop();
    let sr =
        wait_for_service_request(engine.http_addr, &caller.call_id, Duration::from_secs(10)).await;
    (heard, sr)
}

fn get_json(engine: &centralino::Running, token: &str, path: &str) -> serde_json::Value {
    let (status, body) =
        http_request(engine.http_addr, "GET", path, Some(token), None).expect("the CRM answers");
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).expect("JSON")
}

/// `PUT path` with a body of `len` bytes and the bearer `token`: the status and body of the
/// answer. The server may answer before it has read the whole body (and close): what is not
/// written then is dropped.
fn put_large(addr: std::net::SocketAddr, path: &str, token: &str, len: usize) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: audio/mpeg\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let body = std::thread::spawn(move || {
        let chunk = vec![0x41u8; 64 * 1024];
        let mut left = len;
        while left > 0 {
            let n = left.min(chunk.len());
            if writer.write_all(&chunk[..n]).is_err() {
                return;
            }
            left -= n;
        }
    });
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let _ = body.join();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_administrator_changes_prompts_and_script_from_the_browser() {
    let _serial = one_story_at_a_time().await;
    // The engine's own copy of the script and the prompts, for the administrator to change.
    let (engine, data, _assets, script, prompts_dir) = start_demo_with_own_assets().await;
    let logs = log_dir(&data);
    let original = std::fs::read_to_string(&script).unwrap();

    // An operator is not let in.
    let mut page = PageScript::start(
        "admin.mjs",
        engine.http_addr,
        ("1001", "demo1001"),
        &[("MODE", "operator")],
    );
    let refused = page.step("done", Duration::from_secs(60)).await;
    page.finish(Duration::from_secs(20)).await;
    assert_eq!(refused["api"], 403, "{refused}");
    assert_eq!(refused["pages"]["/admin/prompts"], 403, "{refused}");

    // An upload past the limit is refused at the edge, saying why; the welcome stays.
    let token = http_login(engine.http_addr, ADMIN).expect("the administrator logs in");
    let welcome_file = std::fs::read(prompts_dir.join("welcome.wav")).unwrap();
    let (status, body) = put_large(
        engine.http_addr,
        "/api/v1/admin/prompts/welcome",
        &token,
        cti_proto::MAX_UPLOAD_BYTES + 1,
    );
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("larger than 16 MiB"), "{body}");
    assert_eq!(
        std::fs::read(prompts_dir.join("welcome.wav")).unwrap(),
        welcome_file
    );

    // The administrator's session in the browser.
    let mp3 = repo_root().join("crates/prompts/tests/fixtures/speech_it.mp3");
    // The page waits at each step where a caller dials until the story lets it go on.
    let gates = tempfile::tempdir().unwrap();
    let resume = |step: &str| std::fs::write(gates.path().join(step), b"").unwrap();
    let mut page = PageScript::start(
        "admin.mjs",
        engine.http_addr,
        ADMIN,
        &[
            ("ADMIN_MP3", mp3.to_str().unwrap()),
            ("GATES", gates.path().to_str().unwrap()),
        ],
    );

    // 1. The MP3 replaced the welcome: converted once to 8 kHz, on disk and to the next caller.
    let uploaded = page.step("uploaded", Duration::from_secs(90)).await;
    let expected = prompts::import(
        &std::fs::read(&mp3).unwrap(),
        &engine::reload::admin::upload_limits(),
    )
    .expect("the fixture converts");
    let new_welcome = prompts::PromptDir::new(&prompts_dir)
        .load("welcome")
        .unwrap()
        .expect("installed");
    assert_eq!(&new_welcome.samples[..], &expected.samples[..]);
    assert_ne!(new_welcome.samples, prompt("welcome").samples);
    assert_eq!(
        uploaded["played"]["bytes"].as_u64(),
        Some(
            std::fs::metadata(prompts_dir.join("welcome.wav"))
                .unwrap()
                .len()
        ),
        "the page plays the installed file: {uploaded}"
    );
    assert!(
        uploaded["garbage"]
            .as_str()
            .unwrap()
            .contains("not an audio file"),
        "{uploaded}"
    );
    assert!(
        uploaded["delete_refused"]
            .as_str()
            .unwrap()
            .contains(&format!("{}:", script.display())),
        "the refusal names the script's lines that play it: {uploaded}"
    );
    let (heard, _) = one_call(&engine, "after-upload", &logs).await;
    let stream = payload_stream(&heard, 0);
    assert_eq!(
        find_prompt(&stream, &new_welcome, PROMPT_FRAMES),
        Some(0),
        "the caller's first audio is the uploaded welcome; {}",
        describe_audio(&heard)
    );
    assert!(
        find_prompt(&stream, &prompt("welcome"), PROMPT_FRAMES).is_none(),
        "the old welcome is not played any more"
    );
    assert_heard_prompt(&heard, "main_menu");
    resume("uploaded");

    // 2. Recorded, listed, deleted; backed up and restored.
    let prompts_step = page.step("prompts", Duration::from_secs(90)).await;
    assert!(
        !prompts_dir.join("recorded_note.wav").exists(),
        "{prompts_step}"
    );
    assert!(
        prompts_step["restored"]
            .as_str()
            .unwrap()
            .contains("replaced"),
        "{prompts_step}"
    );
    let restored_welcome = prompts::PromptDir::new(&prompts_dir)
        .load("welcome")
        .unwrap()
        .unwrap();
    assert_eq!(restored_welcome.samples, new_welcome.samples);

    // 3. A broken script: refused with its line, on the page; the file and the menu unchanged.
    let broken = page.step("script-refused", Duration::from_secs(60)).await;
    let line = original
        .lines()
        .position(|l| l.trim() == "play welcome")
        .unwrap()
        + 1;
    for list in ["checked", "problems"] {
        let problems = broken[list].as_array().expect("problems");
        assert!(
            problems.iter().any(|p| p["line"] == line
                && p["text"].as_str().unwrap().contains(&format!(
                    "{}:{line}: prompt `welcom` is not in",
                    script.display()
                ))),
            "{list}: file, line and reason: {broken}"
        );
    }
    assert_eq!(std::fs::read_to_string(&script).unwrap(), original);
    let (heard, sr) = one_call(&engine, "after-typo", &logs).await;
    assert_eq!(
        find_prompt(&payload_stream(&heard, 0), &new_welcome, PROMPT_FRAMES),
        Some(0)
    );
    assert_heard_prompt(&heard, "main_menu");
    assert_eq!(ivr_value(&sr, "script_version"), None);
    resume("script-refused");

    // 4. A valid edit, activated: the next caller runs it.
    let activated = page.step("activated", Duration::from_secs(60)).await;
    assert!(
        std::fs::read_to_string(&script)
            .unwrap()
            .contains("set script_version = 2"),
        "{activated}"
    );
    let (heard, sr) = one_call(&engine, "after-activate", &logs).await;
    assert_eq!(ivr_value(&sr, "script_version").as_deref(), Some("2"));
    assert_heard_prompt(&heard, "main_menu");
    resume("activated");

    // 5. The first version restored.
    page.step("done", Duration::from_secs(60)).await;
    page.finish(Duration::from_secs(20)).await;
    assert_eq!(std::fs::read_to_string(&script).unwrap(), original);

    // Every change done is in the audit, newest first, with who made it; refusals are not.
    let audit = get_json(&engine, &token, "/api/v1/admin/audit");
    let changes: Vec<(String, String, String)> = audit["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["login"].as_str().unwrap().to_owned(),
                c["action"].as_str().unwrap().to_owned(),
                c["subject"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("script_restored", ""),
        ("script_activated", "ivr script"),
        ("prompts_restored", "prompts"),
        ("prompt_deleted", "recorded_note"),
        ("prompt_added", "recorded_note"),
        ("prompt_replaced", "welcome"),
    ]
    .iter()
    .map(|(a, s)| ("admin".to_owned(), (*a).to_owned(), (*s).to_owned()))
    .collect();
    assert_eq!(changes.len(), expected.len(), "{audit:#}");
    for (got, want) in changes.iter().zip(&expected) {
        assert_eq!((&got.0, &got.1), (&want.0, &want.1), "{audit:#}");
        if !want.2.is_empty() {
            assert_eq!(got.2, want.2, "{audit:#}");
        }
    }
    // The page showed the same.
    let shown = activated["audit"].as_array().unwrap();
    assert!(
        shown.iter().any(|r| r["action"] == "prompt_replaced"
            && r["subject"] == "welcome"
            && r["who"] == "admin"),
        "{activated}"
    );
    assert_eq!(uploaded["forged"]["status"], 403, "{uploaded}");
    // Programs (bearer tokens) are held to the same role.
    let operator = http_login(engine.http_addr, ("1001", "demo1001")).unwrap();
    let (status, _) = http_request(
        engine.http_addr,
        "GET",
        "/api/v1/admin/audit",
        Some(&operator),
        None,
    )
    .unwrap();
    assert_eq!(status, 403);

    engine.shutdown().await;
    keep_logs_if_asked(data);
}
