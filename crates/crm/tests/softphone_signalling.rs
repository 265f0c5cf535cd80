//! The browser softphone's signalling through the CRM: the desk page's SDP offer goes to the
//! engine following the command link, for the logged-in operator only, and the engine's SDP
//! answer comes back; answer/reject/hang-up too. Refused with a clear error: without the
//! operator role, an offer too big or empty, an unknown action, a cookie without its CSRF
//! token, no engine connected.

mod common;

use common::{Crm, OPERATOR, SUPERVISOR};
use cti_proto::v1 as wire;
use serde_json::json;

/// Plays the engine: follows the commands and answers each softphone command with `answer`
/// (an OFFER) or done; returns the commands it saw.
async fn engine(crm: &Crm, count: usize) -> tokio::task::JoinHandle<Vec<wire::SoftphoneCommand>> {
    let client = crm.cti().await;
    let mut commands = client
        .follow_commands("node-test")
        .await
        .expect("the engine follows");
    tokio::spawn(async move {
        let mut seen = Vec::new();
        while seen.len() < count {
            let command = commands
                .message()
                .await
                .expect("the stream")
                .expect("a command");
            let Some(wire::engine_command::Command::Softphone(s)) = command.command else {
                panic!("a softphone command: {command:?}");
            };
            let answer = if s.action == wire::SoftphoneAction::Offer as i32 {
                format!("answer to {}", s.offer)
            } else {
                String::new()
            };
            client
                .report_command_result(wire::CommandResult {
                    id: command.id,
                    done: true,
                    refusal: String::new(),
                    answer,
                    admin: None,
                })
                .await
                .expect("reported");
            seen.push(s);
        }
        seen
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offer_goes_to_the_engine_for_the_operator_and_its_answer_comes_back() {
    let crm = Crm::start().await;
    let token = crm.token(OPERATOR).await;
    let engine = engine(&crm, 3).await;

    let offer = json!({"offer": "v=0 offer"}).to_string();
    let answer = crm
        .request("POST", "/api/v1/desk/softphone", Some(&token), Some(&offer))
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json["answer"], "answer to v=0 offer");

    let answer_call = json!({"action": "answer"}).to_string();
    let done = crm
        .request(
            "POST",
            "/api/v1/desk/softphone/call",
            Some(&token),
            Some(&answer_call),
        )
        .await;
    assert_eq!(done.status, 204, "{done:?}");
    let closed = crm
        .request("DELETE", "/api/v1/desk/softphone", Some(&token), None)
        .await;
    assert_eq!(closed.status, 204, "{closed:?}");

    let seen = engine.await.expect("the engine task");
    assert!(seen.iter().all(|s| s.operator == OPERATOR.0), "{seen:?}");
    let actions: Vec<i32> = seen.iter().map(|s| s.action).collect();
    assert_eq!(
        actions,
        [
            wire::SoftphoneAction::Offer as i32,
            wire::SoftphoneAction::Answer as i32,
            wire::SoftphoneAction::Close as i32
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_softphone_requests_are_refused_with_the_reason() {
    let crm = Crm::start().await;
    let token = crm.token(OPERATOR).await;
    let offer = json!({"offer": "v=0"}).to_string();

    // No engine: 503 with words.
    let answer = crm
        .request("POST", "/api/v1/desk/softphone", Some(&token), Some(&offer))
        .await;
    assert_eq!(answer.status, 503, "{answer:?}");

    // Not an operator.
    let supervisor = crm.token(SUPERVISOR).await;
    let answer = crm
        .request(
            "POST",
            "/api/v1/desk/softphone",
            Some(&supervisor),
            Some(&offer),
        )
        .await;
    assert_eq!(answer.status, 403, "{answer:?}");

    // Too big, empty, or naming someone else (no such field).
    let big = json!({"offer": "a".repeat(40 * 1024)}).to_string();
    for body in [
        big,
        json!({"offer": ""}).to_string(),
        json!({"offer": "v=0", "operator": "other"}).to_string(),
    ] {
        let answer = crm
            .request("POST", "/api/v1/desk/softphone", Some(&token), Some(&body))
            .await;
        assert_eq!(answer.status, 400, "{answer:?}");
        assert!(
            answer.json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let answer = crm
        .request(
            "POST",
            "/api/v1/desk/softphone/call",
            Some(&token),
            Some(&json!({"action": "dance"}).to_string()),
        )
        .await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(
        answer.json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("answer, reject or hang_up")),
        "{answer:?}"
    );

    // The session cookie alone (no CSRF token) changes nothing.
    let login = json!({"login": OPERATOR.0, "password": OPERATOR.1, "cookie": true}).to_string();
    let logged = crm
        .request("POST", "/api/v1/login", None, Some(&login))
        .await;
    let cookie = logged
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("a cookie")
        .to_owned();
    let answer = crm
        .request_with(
            "POST",
            "/api/v1/desk/softphone",
            None,
            &[("Cookie", cookie.as_str())],
            Some(&offer),
        )
        .await;
    assert_eq!(answer.status, 403, "{answer:?}");
}
