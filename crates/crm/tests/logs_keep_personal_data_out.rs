//! The CRM shows the caller's number to operators, but never writes it to its logs
//! (STYLE.md, Privacy): everything logged at TRACE level, by us and by the libraries under us,
//! while calls are popped, recorded, read and refused, while staff log in (right and wrong),
//! work the case and keep the customer directory, is searched for it, for passwords, staff
//! names, notes and customers' data.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{Crm, MARCH_2026};
use cti_proto::{CallOffered, CallOutcome, CallRecord, CallStage, EndReason, IvrDatum};
use serde_json::json;

const CALLER: &str = "+390559876543";
const CUSTOMER: &str = "VRDGPP80A01H501Z";
const PASSWORD_TRIED: &str = "Tr1ed-Pa55word";
const MADE_UP_LOGIN: &str = "maybe.a.password";
const TAX_CODE: &str = "VRDGPP80A01H501U";
const NOTE: &str = "Signora Verdi richiama dopo le 17";
const CUSTOMER_NAME: &str = "Giuseppina Verdi";
const CUSTOMER_PHONE: &str = "055 7654321";
const DISCREPANCY: &str = "numero di casa della sorella";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("log buffer lock is never poisoned")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_numbers_never_reach_the_logs() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter("trace")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let crm = Crm::start().await;
    let cti = crm.cti().await;
    let offered = CallOffered {
        call_id: "call-pii".into(),
        caller_number: CALLER.into(),
        dialled_number: "800123456".into(),
        channel: "phone".into(),
        ivr_data: vec![IvrDatum::new("service_area", "1")],
        queue: "personnel".into(),
        waited_ms: 1_000,
        agent_id: "op-1".into(),
        offered_at_unix_ms: MARCH_2026,
        customer_id: Some(CUSTOMER.into()),
        ..Default::default()
    };
    cti.report_call_offered(offered.clone())
        .await
        .expect("offer");
    cti.report_call_offered(offered).await.expect("re-offer");
    cti.report_call_ended(CallRecord {
        call_id: "call-pii".into(),
        caller_number: CALLER.into(),
        outcome: CallOutcome::Answered.into(),
        end_reason: EndReason::OperatorHungUp.into(),
        stage: CallStage::Talking.into(),
        customer_id: Some(CUSTOMER.into()),
        ..Default::default()
    })
    .await
    .expect("record");
    cti.report_call_offered(CallOffered {
        call_id: String::new(),
        caller_number: CALLER.into(),
        ..Default::default()
    })
    .await
    .expect_err("refused");
    // Logins, right and wrong, log neither passwords nor names nor made-up logins.
    assert_eq!(
        crm.login(common::OPERATOR.0, PASSWORD_TRIED).await.status,
        401
    );
    assert_eq!(crm.login(MADE_UP_LOGIN, PASSWORD_TRIED).await.status, 401);
    crm.token(common::OPERATOR).await;
    let (status, body) = crm.get("/api/v1/calls/call-pii/service-request").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["call"]["caller_number"], CALLER,
        "the API does show it"
    );
    assert_eq!(body["call"]["customer"], CUSTOMER);

    // The case is worked, with a note and a refusal; a customer is created, found, flagged.
    let anna = crm.token(common::OPERATOR).await;
    let number = body["number"].as_str().expect("an SR number");
    let note = json!({"command": "add_note", "kind": "call_received", "text": NOTE});
    assert_eq!(crm.command(&anna, number, None, note).await.status, 200);
    let refused = json!({"command": "resolve_first_level", "communication": "communicated"});
    assert_eq!(
        crm.command(&anna, number, Some(2), refused).await.status,
        422
    );
    let customer = json!({
        "kind": "person",
        "display_name": CUSTOMER_NAME,
        "tax_code": TAX_CODE,
        "phones": [{"label": "home", "number": CUSTOMER_PHONE}],
        "pin": {"set": "13579"},
    })
    .to_string();
    let created = crm
        .request("POST", "/api/v1/customers", Some(&anna), Some(&customer))
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let found = crm
        .get_as(Some(&anna), "/api/v1/customers?caller_number=0557654321")
        .await;
    assert_eq!(found.json["customers"][0]["display_name"], CUSTOMER_NAME);
    let flag = json!({"note": DISCREPANCY}).to_string();
    let path = format!("/api/v1/customers/{}/discrepancy", created.json["id"]);
    assert_eq!(
        crm.request("POST", &path, Some(&anna), Some(&flag))
            .await
            .status,
        200
    );
    crm.stop().await.expect("clean shutdown");

    let logs = String::from_utf8(logs.0.lock().expect("not poisoned").clone()).expect("utf-8 logs");
    assert!(
        logs.contains("call-pii"),
        "the calls were logged at all:\n{logs}"
    );
    assert!(
        logs.contains("call fact stored"),
        "our own events were logged:\n{logs}"
    );
    assert!(
        logs.contains("login refused"),
        "failed logins are logged:\n{logs}"
    );
    assert!(logs.contains("logged in"), "logins are logged:\n{logs}");
    assert!(
        logs.contains("case command applied") && logs.contains("case command refused"),
        "case work is logged:\n{logs}"
    );
    assert!(
        logs.contains("customer created"),
        "customer changes are logged:\n{logs}"
    );
    for secret in [
        CALLER,
        "9876543",
        CUSTOMER,
        PASSWORD_TRIED,
        MADE_UP_LOGIN,
        common::OPERATOR.1,
        common::OPERATOR_NAME,
        NOTE,
        "Signora",
        TAX_CODE,
        CUSTOMER_NAME,
        "Giuseppina",
        "7654321",
        DISCREPANCY,
        "13579",
    ] {
        assert!(
            !logs.contains(secret),
            "{secret} leaked into the logs:\n{logs}"
        );
    }
}
