//! The CRM's gRPC API carries personal data and secrets both ways (customers, notes, PINs,
//! passwords, session tokens) and writes none of them to its logs: everything logged at TRACE
//! level, by us and by tonic, h2 and hyper under us, while staff log in, register and find a
//! customer, note a call on a case and the IVR checks a PIN, is searched for them.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::grpc::desk_catalogue;
use common::{Crm, OPERATOR};
use cti_proto::crm::{self as wire, pin_change};

const NAME: &str = "Giuseppina Verdone";
const TAX_CODE: &str = "VRDGPP80A41H501Y";
const PHONE: &str = "055 9876543";
const PIN: &str = "864213";
const NOTE: &str = "Giuseppina asked about her pension";
const PASSWORD_TRIED: &str = "Tr1ed-Pa55word";

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
async fn customers_notes_pins_and_tokens_never_reach_the_logs() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter("trace")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let crm = Crm::start_with_catalogue(desk_catalogue()).await;
    let mut anonymous = crm.crm_client(None).await;
    anonymous
        .login(wire::LoginRequest {
            login: OPERATOR.0.into(),
            password: PASSWORD_TRIED.into(),
        })
        .await
        .expect_err("a wrong password");
    let login = crm.grpc_login(OPERATOR).await;
    let mut anna = crm.crm_client(Some(&login.token)).await;

    let customer = anna
        .create_customer(wire::CreateCustomerRequest {
            customer: Some(wire::CustomerDraft {
                kind: wire::CustomerKind::Person.into(),
                display_name: NAME.into(),
                tax_code: Some(TAX_CODE.into()),
                phones: vec![wire::CustomerPhone {
                    label: "home".into(),
                    number: PHONE.into(),
                    e164: None,
                }],
                pin: Some(wire::PinChange {
                    change: Some(pin_change::Change::Set(PIN.into())),
                }),
                ..Default::default()
            }),
        })
        .await
        .expect("a customer")
        .into_inner();
    anna.lookup_customers_by_number(wire::LookupCustomersByNumberRequest {
        number: PHONE.into(),
        page_size: 0,
    })
    .await
    .expect("a look-up");
    let mut engine = crm.engine_client().await;
    for pin in [PIN, "000000"] {
        let _ = engine
            .verify_customer_pin(wire::VerifyCustomerPinRequest {
                customer_id: customer.id,
                pin: pin.into(),
            })
            .await;
    }
    let number = crm
        .offered_call("call-pii", "+390559876543", "it-help", Some(customer.id))
        .await;
    anna.add_note(wire::AddNoteRequest {
        case: Some(wire::CaseKey {
            key: Some(wire::case_key::Key::Number(number)),
        }),
        kind: wire::NoteKind::CallReceived.into(),
        text: NOTE.into(),
        ..Default::default()
    })
    .await
    .expect("a note");
    anna.search_service_requests(wire::SearchServiceRequestsRequest {
        query: PHONE.into(),
        ..Default::default()
    })
    .await
    .expect("a search");
    crm.stop().await.expect("clean shutdown");

    let logs = String::from_utf8(logs.0.lock().expect("not poisoned").clone()).expect("utf-8 logs");
    for event in [
        "login refused",
        "logged in",
        "customer created over grpc",
        "customer pin checked for the ivr",
        "case command applied over grpc",
    ] {
        assert!(logs.contains(event), "{event} was logged:\n{logs}");
    }
    for secret in [
        NAME,
        "Verdone",
        TAX_CODE,
        "9876543",
        PIN,
        NOTE,
        PASSWORD_TRIED,
        OPERATOR.1,
        &login.token,
        common::TOKEN,
    ] {
        assert!(
            !logs.contains(secret),
            "{secret} leaked into the logs:\n{logs}"
        );
    }
}
