//! The ACD live: the engine publishes its view over the CTI; supervisors watch it (gRPC and
//! SSE), stale once the engine goes quiet; operators may not, but their own desk hears when
//! their state changes.

mod common;

use std::time::Duration;

use common::grpc::refused;
use common::{Crm, OPERATOR, SUPERVISOR};
use cti_proto::crm::{self as wire, desk_event::Event};
use cti_proto::{LiveView, OperatorLive, QueueLive};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tonic::Code;

fn view(waiting: u32, anna: &str, reason: Option<&str>) -> LiveView {
    LiveView {
        node: "node1".into(),
        at_unix_ms: common::MARCH_2026,
        queues: vec![QueueLive {
            name: "technology".into(),
            open: true,
            strategy: "longest_idle".into(),
            waiting_count: waiting,
            warning: waiting > 0,
            ..Default::default()
        }],
        operators: vec![OperatorLive {
            operator: "anna".into(),
            state: anna.into(),
            reason: reason.map(Into::into),
            queues: vec!["technology".into()],
            ..Default::default()
        }],
    }
}

async fn next_update(stream: &mut tonic::Streaming<wire::LiveViewUpdate>) -> wire::LiveViewUpdate {
    tokio::time::timeout(Duration::from_secs(8), stream.message())
        .await
        .expect("an update in time")
        .expect("healthy")
        .expect("goes on")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisors_watch_the_acd_live_and_operators_hear_their_state() {
    let crm = Crm::start().await;
    let cti = crm.cti().await;
    cti.publish_live_view(view(0, "ready", None))
        .await
        .expect("the engine publishes");

    // An operator may not watch the board; her desk hears her own state instead.
    let mut anna = crm.staff_client(OPERATOR).await;
    let denied = refused(anna.watch_live_view(wire::WatchLiveViewRequest {}).await);
    assert_eq!(denied.code(), Code::PermissionDenied);
    let mut desk = anna
        .watch_desk(wire::WatchDeskRequest::default())
        .await
        .expect("her desk")
        .into_inner();

    let mut sara = crm.staff_client(SUPERVISOR).await;
    let mut board = sara
        .watch_live_view(wire::WatchLiveViewRequest {})
        .await
        .expect("a supervisor watches")
        .into_inner();
    let first = next_update(&mut board).await;
    assert!(!first.stale);
    assert_eq!(first.view.expect("a view").queues[0].waiting_count, 0);

    // Two callers queue, Anna takes a break.
    cti.publish_live_view(view(2, "not_ready", Some("break")))
        .await
        .expect("published");
    let update = next_update(&mut board).await;
    let queue = &update.view.expect("a view").queues[0];
    assert_eq!((queue.waiting_count, queue.warning), (2, true));
    let event = tokio::time::timeout(Duration::from_secs(5), desk.message())
        .await
        .expect("in time")
        .expect("healthy")
        .expect("goes on");
    let Some(Event::State(state)) = event.event else {
        panic!("a state change: {event:?}");
    };
    assert_eq!(
        (state.state.as_str(), state.reason.as_deref()),
        ("not_ready", Some("break"))
    );

    // A view with the same state for Anna tells her desk nothing new.
    cti.publish_live_view(view(1, "not_ready", Some("break")))
        .await
        .expect("published");
    assert_eq!(
        next_update(&mut board).await.view.expect("a view").queues[0].waiting_count,
        1
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(300), desk.message())
            .await
            .is_err(),
        "no state event without a change"
    );

    // The engine goes quiet: after 5 s the board says the view is stale.
    let stale = next_update(&mut board).await;
    assert!(stale.stale, "{stale:?}");

    // Oversized views are refused at the edge.
    let mut huge = view(0, "ready", None);
    huge.node = "n".repeat(1000);
    let refused_view = cti.publish_live_view(huge).await.expect_err("refused");
    assert_eq!(refused_view.code(), Code::InvalidArgument);
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wallboard_reads_the_same_view_as_server_sent_events() {
    let crm = Crm::start().await;
    crm.cti()
        .await
        .publish_live_view(view(3, "on_call", None))
        .await
        .expect("published");
    let operator = crm.token(OPERATOR).await;
    let refused = crm.get_as(Some(&operator), "/api/v1/supervisor/live").await;
    assert_eq!(refused.status, 403);

    let token = crm.token(SUPERVISOR).await;
    let mut tcp = tokio::net::TcpStream::connect(crm.http_addr)
        .await
        .expect("connect");
    tcp.write_all(
        format!(
            "GET /api/v1/supervisor/live HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\r\n",
            crm.http_addr
        )
        .as_bytes(),
    )
    .await
    .expect("sent");
    let mut lines = BufReader::new(tcp).lines();
    let data = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(line) = lines.next_line().await.expect("read") {
            if let Some(data) = line.strip_prefix("data: ") {
                return data.to_owned();
            }
        }
        panic!("the stream ended");
    })
    .await
    .expect("the current view at once");
    let live: serde_json::Value = serde_json::from_str(&data).expect("JSON");
    assert_eq!(live["stale"], false);
    assert_eq!(live["view"]["queues"][0]["name"], "technology");
    assert_eq!(live["view"]["queues"][0]["waiting_count"], 3);
    assert_eq!(live["view"]["operators"][0]["state"], "on_call");
    tokio::time::timeout(Duration::from_secs(10), crm.stop())
        .await
        .expect("shutdown does not wait for the wallboard")
        .expect("clean shutdown");
}
