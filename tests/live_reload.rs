//! Story: an administrator changes the running service without a restart.
//! - She imports a new welcome recording (a 44.1 kHz stereo WAV) with `centralino prompts
//!   import` into the prompts directory of the running engine: the next caller hears the new
//!   welcome, sample for sample.
//! - She edits the IVR script (the welcome step now notes `script_version = 2`): the next
//!   caller's SR carries it, and the version is kept for a later restore.
//! - She saves a broken script (`play welcom`): it is refused with file, line and reason, and
//!   the next caller still gets the last good version.
//!
//! Run: `cargo test --test live_reload` (about 60 s; needs `sipp`).

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use tokio::sync::watch;

/// A 1.5 s, 44.1 kHz stereo recording of a 600 Hz tone: nothing like the shipped welcome.
fn studio_wav(path: &Path) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..(1.5 * 44_100.0) as usize {
        let x = (2.0 * std::f64::consts::PI * 600.0 * i as f64 / 44_100.0).sin();
        let sample = (x * 9_000.0) as i16;
        writer.write_sample(sample).unwrap();
        writer.write_sample(sample).unwrap();
    }
    writer.finalize().unwrap();
}

/// Waits until the engine's live reload status satisfies `done`.
async fn reloaded(
    status: &mut watch::Receiver<engine::reload::Status>,
    what: &str,
    done: impl Fn(&engine::reload::Status) -> bool,
) -> engine::reload::Status {
    let waited = tokio::time::timeout(Duration::from_secs(20), status.wait_for(|s| done(s)))
        .await
        .map(|r| r.map(|s| s.clone()));
    match waited {
        Ok(Ok(s)) => s,
        _ => panic!("{what}: not picked up in 20 s: {:?}", *status.borrow()),
    }
}

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
        ivr.first_key(),
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

#[tokio::test(flavor = "multi_thread")]
async fn prompts_and_scripts_change_under_a_running_engine() {
    let _serial = one_story_at_a_time().await;
    // The engine's own copy of the script and the prompts, for the administrator to change.
    let (engine, data, assets, script, prompts_dir) = start_demo_with_own_assets().await;
    let logs = log_dir(&data);
    let mut status = engine.reload.clone();

    // 1. A new welcome, imported from a studio recording with the command line.
    let recording = assets.path().join("benvenuto.wav");
    studio_wav(&recording);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_centralino"))
        .args(["prompts", "import"])
        .arg(&recording)
        .args(["--name", "welcome", "--prompts"])
        .arg(&prompts_dir)
        .output()
        .expect("the centralino binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    reloaded(&mut status, "the new welcome", |s| s.prompts_reloaded >= 1).await;
    let new_welcome = prompts::PromptDir::new(&prompts_dir)
        .load("welcome")
        .unwrap()
        .expect("installed");
    assert_ne!(new_welcome.samples, prompt("welcome").samples);

    let (heard, sr) = one_call(&engine, "after-prompt", &logs).await;
    let stream = payload_stream(&heard, 0);
    assert_eq!(
        find_prompt(&stream, &new_welcome, PROMPT_FRAMES),
        Some(0),
        "the caller's first audio is the new welcome; {}",
        describe_audio(&heard)
    );
    assert!(
        find_prompt(&stream, &prompt("welcome"), PROMPT_FRAMES).is_none(),
        "the old welcome is not played any more"
    );
    assert_heard_prompt(&heard, "main_menu");
    assert_eq!(ivr_value(&sr, "script_version"), None);

    // 2. The script edited in place (saved atomically, as editors and `centralino ivr
    //    activate` do): the next caller's SR shows the new version ran.
    let v1 = std::fs::read_to_string(&script).unwrap();
    let v2 = v1.replacen(
        "  play welcome\n",
        "  play welcome\n  set script_version = 2\n",
        1,
    );
    assert_ne!(v1, v2, "the shipped script plays welcome in its start step");
    engine::reload::versions::replace_atomically(&script, &v2).unwrap();
    reloaded(&mut status, "the edited script", |s| {
        s.scripts_activated >= 1
    })
    .await;
    let (heard, sr) = one_call(&engine, "after-script", &logs).await;
    assert_eq!(ivr_value(&sr, "script_version").as_deref(), Some("2"));
    assert_heard_prompt(&heard, "main_menu");

    // 3. A typo: refused with file, line and reason; the last good version keeps serving.
    let line = v2.lines().position(|l| l.trim() == "play welcome").unwrap() + 1;
    engine::reload::versions::replace_atomically(
        &script,
        &v2.replacen("play welcome", "play welcom", 1),
    )
    .unwrap();
    let refused = reloaded(&mut status, "the broken script", |s| s.refusals >= 1).await;
    let why = refused.last_refusal.expect("a reason");
    assert!(
        why.contains(&format!(
            "{}:{line}: prompt `welcom` is not in",
            script.display()
        )),
        "file, line and reason: {why}"
    );
    assert_eq!(refused.scripts_activated, 1, "nothing else activated");
    let (heard, sr) = one_call(&engine, "after-typo", &logs).await;
    assert_eq!(
        ivr_value(&sr, "script_version").as_deref(),
        Some("2"),
        "the last good version answered"
    );
    assert_eq!(
        find_prompt(&payload_stream(&heard, 0), &new_welcome, PROMPT_FRAMES),
        Some(0)
    );

    // Both versions that served are kept for a restore, oldest first.
    let kept =
        engine::reload::versions::list(&data.path().join(centralino::IVR_VERSIONS_DIR)).unwrap();
    let texts: Vec<String> = kept
        .iter()
        .map(|v| std::fs::read_to_string(&v.path).unwrap())
        .collect();
    assert_eq!(texts, [v1, v2]);

    engine.shutdown().await;
    keep_logs_if_asked(data);
}
