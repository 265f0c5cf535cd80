//! The board remembers its last hours, a sample a minute, for the wallboard's chart: the
//! most callers waiting in each minute and the day's figures, with DOMAIN.md's thresholds.
//! Supervisors only.

mod common;

use common::{Crm, MARCH_2026, OPERATOR};
use cti_proto::{DayFigures, LiveView, QueueLive};

fn view(at_unix_ms: i64, waiting: u32, abandoned: u64) -> LiveView {
    LiveView {
        node: "node1".into(),
        at_unix_ms,
        queues: vec![QueueLive {
            name: "technology".into(),
            open: true,
            waiting_count: waiting,
            oldest_wait_ms: (waiting > 0).then_some(12_000),
            today: Some(DayFigures {
                abandoned,
                ..Default::default()
            }),
            ..Default::default()
        }],
        operators: vec![],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisors_read_the_last_hours_a_minute_at_a_time() {
    let crm = Crm::start().await;
    let empty = crm.get("/api/v1/supervisor/history").await;
    assert_eq!(empty.0, 200, "{:?}", empty.1);
    assert_eq!(
        empty.1["samples"],
        serde_json::json!([]),
        "nothing before the first view"
    );

    let cti = crm.cti().await;
    for (at, waiting, abandoned) in [
        (MARCH_2026, 1, 0),
        (MARCH_2026 + 20_000, 2, 0),
        (MARCH_2026 + 50_000, 1, 0),
        (MARCH_2026 + 61_000, 0, 2),
    ] {
        cti.publish_live_view(view(at, waiting, abandoned))
            .await
            .expect("the engine publishes");
    }
    let (status, history) = crm.get("/api/v1/supervisor/history?minutes=60").await;
    assert_eq!(status, 200, "{history}");
    assert_eq!(history["every_ms"], 60_000);
    assert_eq!(history["targets"]["on_time_share"], 0.9);
    assert_eq!(history["targets"]["max_abandoned_share"], 0.05);
    assert_eq!(history["targets"]["answer_within_ms"], 30_000);
    let samples = history["samples"].as_array().expect("samples");
    assert_eq!(samples.len(), 2, "{history:#}");
    assert_eq!(samples[0]["at_unix_ms"], MARCH_2026);
    let first = &samples[0]["queues"][0];
    assert_eq!(first["name"], "technology");
    assert_eq!(
        first["waiting_max"], 2,
        "the minute's peak, not its last view"
    );
    assert_eq!(first["oldest_wait_max_ms"], 12_000);
    let second = &samples[1]["queues"][0];
    assert_eq!(second["waiting_max"], 0);
    assert_eq!(second["abandoned"], 2);

    let (status, last) = crm.get("/api/v1/supervisor/history?minutes=1").await;
    assert_eq!(status, 200);
    assert_eq!(last["samples"].as_array().map(Vec::len), Some(1));
    for bad in ["?minutes=0", "?minutes=721", "?hours=2"] {
        let (status, body) = crm.get(&format!("/api/v1/supervisor/history{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }

    let anna = crm.token(OPERATOR).await;
    let refused = crm.get_as(Some(&anna), "/api/v1/supervisor/history").await;
    assert_eq!(refused.status, 403, "operators see no board");
    let anonymous = crm.get_as(None, "/api/v1/supervisor/history").await;
    assert_eq!(anonymous.status, 401);
    crm.stop().await.expect("clean shutdown");
}
