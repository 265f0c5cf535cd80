//! The customer directory over the CRM's gRPC API: an operator registers a caller, finds them
//! again by their number in any form, pages through a search, and loses a race to a colleague
//! (ABORTED, nothing overwritten); the screen pop shows the customer's calls; the engine's
//! IVR identifies a caller by PIN with its service credential, and learns nothing from a
//! wrong PIN or an unknown customer.

mod common;

use common::grpc::refused;
use common::{Crm, OPERATOR, SUPERVISOR};
use cti_proto::crm::{self as wire, pin_change, search_customers_request::By};
use tonic::Code;

fn mario() -> wire::CustomerDraft {
    wire::CustomerDraft {
        kind: wire::CustomerKind::Person.into(),
        display_name: "Mario Rossi".into(),
        given_name: Some("Mario".into()),
        family_name: Some("Rossi".into()),
        tax_code: Some("RSSMRA80A01H501U".into()),
        vat_number: None,
        phones: vec![wire::CustomerPhone {
            label: "home".into(),
            number: "055 1234567".into(),
            e164: None,
        }],
        emails: vec![wire::CustomerEmail {
            label: "personal".into(),
            address: "mario.rossi@example.it".into(),
        }],
        guest: false,
        pin: Some(wire::PinChange {
            change: Some(pin_change::Change::Set("2468".into())),
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_register_find_and_update_customers() {
    let crm = Crm::start().await;
    let mut anna = crm.staff_client(OPERATOR).await;
    let mut sara = crm.staff_client(SUPERVISOR).await;

    let created = anna
        .create_customer(wire::CreateCustomerRequest {
            customer: Some(mario()),
        })
        .await
        .expect("a new customer")
        .into_inner();
    assert_eq!(created.revision, 1);
    assert!(created.has_pin);
    assert_eq!(created.phones[0].e164.as_deref(), Some("+390551234567"));
    assert_eq!(created.tax_code.as_deref(), Some("RSSMRA80A01H501U"));

    // Found by the number as a trunk or a person writes it.
    for number in ["+39 055 1234567", "0039 055 1234567", "tel:+39-055-1234567"] {
        let found = sara
            .lookup_customers_by_number(wire::LookupCustomersByNumberRequest {
                number: number.into(),
                page_size: 0,
            })
            .await
            .expect("a look-up")
            .into_inner();
        let ids: Vec<i64> = found.customers.iter().map(|c| c.id).collect();
        assert_eq!(ids, [created.id], "{number}");
        assert!(!found.more);
    }

    // Two operators edit the same customer: the second one, on the old revision, loses.
    let moved = wire::CustomerDraft {
        phones: vec![wire::CustomerPhone {
            label: "mobile".into(),
            number: "347 7654321".into(),
            e164: None,
        }],
        pin: None,
        ..mario()
    };
    let updated = anna
        .update_customer(wire::UpdateCustomerRequest {
            id: created.id,
            expected_revision: 1,
            customer: Some(moved),
        })
        .await
        .expect("the first update")
        .into_inner();
    assert_eq!(updated.revision, 2);
    assert!(updated.has_pin, "no pin change keeps the PIN");
    let late = refused(
        sara.update_customer(wire::UpdateCustomerRequest {
            id: created.id,
            expected_revision: 1,
            customer: Some(wire::CustomerDraft {
                display_name: "Mario Rossi (old)".into(),
                ..mario()
            }),
        })
        .await,
    );
    assert_eq!(late.code(), Code::Aborted, "{late:?}");
    assert!(late.message().contains("revision 1"), "{}", late.message());
    let now = sara
        .get_customer(wire::GetCustomerRequest { id: created.id })
        .await
        .expect("the customer")
        .into_inner();
    assert_eq!(now.revision, 2);
    assert_eq!(now.display_name, "Mario Rossi");
    assert_eq!(now.phones[0].number, "347 7654321");

    // Bad input names the field and never quotes the value.
    let bad = refused(
        anna.create_customer(wire::CreateCustomerRequest {
            customer: Some(wire::CustomerDraft {
                tax_code: Some("RSSMRA80A01H501X".into()),
                ..mario()
            }),
        })
        .await,
    );
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(bad.message().contains("tax_code"), "{}", bad.message());
    assert!(!bad.message().contains("RSSMRA"), "{}", bad.message());
    let missing = refused(
        anna.get_customer(wire::GetCustomerRequest { id: 999 })
            .await,
    );
    assert_eq!(missing.code(), Code::NotFound);
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn searches_page_and_the_screen_pop_shows_the_customers_calls() {
    let crm = Crm::start().await;
    let mut anna = crm.staff_client(OPERATOR).await;
    let mut ids = Vec::new();
    for given in ["Anna", "Bruno", "Carla", "Dario", "Elena"] {
        let customer = anna
            .create_customer(wire::CreateCustomerRequest {
                customer: Some(wire::CustomerDraft {
                    kind: wire::CustomerKind::Person.into(),
                    display_name: format!("Rossi {given}"),
                    family_name: Some("Rossi".into()),
                    ..Default::default()
                }),
            })
            .await
            .expect("a customer")
            .into_inner();
        ids.push(customer.id);
    }
    let mut found = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = anna
            .search_customers(wire::SearchCustomersRequest {
                by: Some(By::Name("ross".into())),
                page_size: 2,
                page_token: token,
            })
            .await
            .expect("a page")
            .into_inner();
        pages += 1;
        assert!(page.customers.len() <= 2);
        found.extend(page.customers.into_iter().map(|c| c.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(pages, 3);
    assert_eq!(found, ids, "by display name, each once");
    let too_big = refused(
        anna.search_customers(wire::SearchCustomersRequest {
            by: Some(By::Name("ross".into())),
            page_size: 51,
            page_token: String::new(),
        })
        .await,
    );
    assert_eq!(too_big.code(), Code::InvalidArgument);

    // The IVR identified Anna Rossi on a call: her pop shows it.
    let number = crm
        .offered_call("c-1", "+390551234567", "technology", Some(ids[0]))
        .await;
    let pop = anna
        .customer_pop(wire::CustomerPopRequest {
            customer_id: ids[0],
            recent_limit: 0,
        })
        .await
        .expect("the pop")
        .into_inner();
    assert_eq!(pop.customer.expect("the customer").id, ids[0]);
    let recent: Vec<(&str, wire::RecentMatch)> = pop
        .recent_requests
        .iter()
        .map(|sr| (sr.number.as_str(), sr.matched_by()))
        .collect();
    assert_eq!(recent, [(number.as_str(), wire::RecentMatch::Customer)]);
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ivr_checks_a_pin_with_the_engines_credential_only() {
    let crm = Crm::start().await;
    let mut anna = crm.staff_client(OPERATOR).await;
    let mario = anna
        .create_customer(wire::CreateCustomerRequest {
            customer: Some(mario()),
        })
        .await
        .expect("a customer")
        .into_inner();
    let check = |customer_id: i64, pin: &str| wire::VerifyCustomerPinRequest {
        customer_id,
        pin: pin.into(),
    };

    let mut engine = crm.engine_client().await;
    let identified = engine
        .verify_customer_pin(check(mario.id, "2468"))
        .await
        .expect("the right PIN identifies the caller")
        .into_inner();
    assert_eq!(identified.customer_id, mario.id);
    assert_eq!(identified.display_name, "Mario Rossi");
    assert!(!identified.guest);

    // A wrong PIN, a PIN of the wrong shape and an unknown customer read the same.
    let mut answers = Vec::new();
    for (id, pin) in [(mario.id, "1357"), (mario.id, "12"), (999, "2468")] {
        let status = refused(engine.verify_customer_pin(check(id, pin)).await);
        answers.push((status.code(), status.message().to_owned()));
    }
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, Code::NotFound);

    // Staff sessions and strangers may not ask.
    let staff = refused(anna.verify_customer_pin(check(mario.id, "2468")).await);
    assert_eq!(staff.code(), Code::PermissionDenied);
    let mut stranger = crm.crm_client(None).await;
    let anonymous = refused(stranger.verify_customer_pin(check(mario.id, "2468")).await);
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    let mut forger = crm
        .crm_client(Some("test-engine-credential-012345678X"))
        .await;
    let forged = refused(forger.verify_customer_pin(check(mario.id, "2468")).await);
    assert_eq!(forged.code(), Code::Unauthenticated);
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ivr_identifies_callers_by_number_and_by_pin() {
    let crm = Crm::start().await;
    let mut anna = crm.staff_client(OPERATOR).await;
    let mario_rossi = anna
        .create_customer(wire::CreateCustomerRequest {
            customer: Some(mario()),
        })
        .await
        .expect("a customer")
        .into_inner();
    let identify = |number: &str, pin: Option<&str>| wire::IdentifyCallerRequest {
        number: number.into(),
        pin: pin.map(Into::into),
    };
    let mut engine = crm.engine_client().await;

    // Alone on his number: the number is enough, in the form the trunk sends.
    let by_number = engine
        .identify_caller(identify("+390551234567", None))
        .await
        .expect("mario alone on his number")
        .into_inner();
    assert_eq!(by_number.customer_id, mario_rossi.id);
    assert_eq!(by_number.display_name, "Mario Rossi");

    // His wife shares the home phone: the number no longer says who calls; the PIN does.
    let mut lucia = mario();
    lucia.display_name = "Lucia Rossi".into();
    lucia.given_name = Some("Lucia".into());
    lucia.tax_code = None;
    lucia.emails.clear();
    lucia.pin = Some(wire::PinChange {
        change: Some(pin_change::Change::Set("97531".into())),
    });
    let lucia = anna
        .create_customer(wire::CreateCustomerRequest {
            customer: Some(lucia),
        })
        .await
        .expect("a second customer on the number")
        .into_inner();
    let shared = refused(engine.identify_caller(identify("0551234567", None)).await);
    assert_eq!(shared.code(), Code::NotFound);
    for (pin, who) in [("2468", mario_rossi.id), ("97531", lucia.id)] {
        let found = engine
            .identify_caller(identify("+39 055 1234567", Some(pin)))
            .await
            .expect("the PIN picks the caller")
            .into_inner();
        assert_eq!(found.customer_id, who);
    }

    // A wrong PIN, a PIN from an unknown number and a withheld number read the same.
    let mut answers = Vec::new();
    for (number, pin) in [
        ("+390551234567", Some("1111")),
        ("+390699999999", Some("2468")),
        ("", Some("2468")),
        ("", None),
        ("+390699999999", None),
    ] {
        let status = refused(engine.identify_caller(identify(number, pin)).await);
        answers.push((status.code(), status.message().to_owned()));
    }
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, Code::NotFound);

    // Staff may not use the IVR's door.
    let staff = refused(anna.identify_caller(identify("+390551234567", None)).await);
    assert_eq!(staff.code(), Code::PermissionDenied);
    crm.stop().await.expect("clean shutdown");
}
