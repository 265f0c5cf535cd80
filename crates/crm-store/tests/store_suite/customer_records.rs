//! The customer records over time, on every backend: discrepancy flags, revisions and
//! concurrent saves, limits, searches, and the recent service requests of the screen pop.

use std::time::Duration;

use common::phone::CallerNumber;
use crm_store::{
    CallFact, CallOutcome, CustomerDraft, CustomerField, CustomerId, CustomerQuery, CustomerStore,
    FactKind, Party, RecentMatch, SearchBy, ServiceRequestStore, StoreError, customer_limits,
};

use super::customers::{email, invalid_field, italy, names, organisation, person, phone};
use super::{Fixture, MARCH_2026, arrived, ended};

pub(super) async fn discrepancies_are_flagged_with_a_note_and_cleared<S: CustomerStore>(
    f: Fixture<S>,
) {
    let mario = f
        .store
        .create_customer(
            person("Mario Rossi", vec![phone("home", "055 1234567")]),
            &italy(),
        )
        .await
        .unwrap();
    assert_eq!(mario.discrepancy, None);
    f.clock.advance(Duration::from_secs(60));
    let flagged = f
        .store
        .mark_discrepancy(
            mario.id,
            "a woman answers at this number\nsays Rossi moved"
                .to_string()
                .into(),
        )
        .await
        .unwrap();
    let discrepancy = flagged.discrepancy.clone().expect("flagged");
    assert_eq!(
        discrepancy.note.expose(),
        "a woman answers at this number\nsays Rossi moved"
    );
    assert_eq!(discrepancy.marked_at_unix_ms, MARCH_2026 + 60_000);
    assert_eq!(flagged.revision, 2);
    assert_eq!(flagged.updated_at_unix_ms, MARCH_2026 + 60_000);

    // An edit keeps the flag: clearing it is a decision of its own.
    let edited = f
        .store
        .update_customer(mario.id, 2, person("Mario Rossi", vec![]), &italy())
        .await
        .unwrap();
    assert_eq!(edited.discrepancy, Some(discrepancy));
    let cleared = f.store.clear_discrepancy(mario.id).await.unwrap();
    assert_eq!(cleared.discrepancy, None);
    assert_eq!(cleared.revision, 4);
    let again = f.store.clear_discrepancy(mario.id).await.unwrap();
    assert_eq!(again.revision, 4, "clearing nothing changes nothing");

    assert!(matches!(
        f.store
            .mark_discrepancy(CustomerId(424242), "x".to_string().into())
            .await,
        Err(StoreError::CustomerNotFound)
    ));
    assert!(matches!(
        f.store.clear_discrepancy(CustomerId(424242)).await,
        Err(StoreError::CustomerNotFound)
    ));
    assert_eq!(
        invalid_field(
            f.store
                .mark_discrepancy(mario.id, "n".repeat(1 << 20).into())
                .await
        ),
        CustomerField::DiscrepancyNote
    );
}

pub(super) async fn updates_based_on_an_old_revision_are_refused<S: CustomerStore>(f: Fixture<S>) {
    let mario = f
        .store
        .create_customer(
            person("Mario Rossi", vec![phone("home", "055 1234567")]),
            &italy(),
        )
        .await
        .unwrap();
    f.clock.advance(Duration::from_secs(5));
    let moved = f
        .store
        .update_customer(
            mario.id,
            1,
            person("Mario Rossi", vec![phone("home", "06 7654321")]),
            &italy(),
        )
        .await
        .unwrap();
    assert_eq!(moved.revision, 2);
    assert_eq!(moved.created_at_unix_ms, MARCH_2026);
    assert_eq!(moved.updated_at_unix_ms, MARCH_2026 + 5_000);
    let old = f
        .store
        .customers_by_number("0551234567", &italy(), 10)
        .await
        .unwrap();
    assert!(
        old.customers.is_empty(),
        "the replaced number no longer finds him"
    );
    let new = f
        .store
        .customers_by_number("067654321", &italy(), 10)
        .await
        .unwrap();
    assert_eq!(new.customers, std::slice::from_ref(&moved));

    let stale = f
        .store
        .update_customer(mario.id, 1, person("Mario Bianchi", vec![]), &italy())
        .await;
    assert!(
        matches!(
            stale,
            Err(StoreError::RevisionConflict {
                expected: 1,
                current: 2
            })
        ),
        "{stale:?}"
    );
    assert_eq!(f.store.get_customer(mario.id).await.unwrap(), Some(moved));
    assert!(matches!(
        f.store
            .update_customer(
                CustomerId(424242),
                1,
                person("Nobody Here", vec![]),
                &italy()
            )
            .await,
        Err(StoreError::CustomerNotFound)
    ));

    // Operators saving the same revision at once: exactly one wins.
    let mut tasks = Vec::new();
    for n in 0..6 {
        let store = f.store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .update_customer(
                    mario.id,
                    2,
                    person(&format!("Mario Rossi{n}"), vec![]),
                    &italy(),
                )
                .await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(customer) => {
                won += 1;
                assert_eq!(customer.revision, 3);
            }
            Err(StoreError::RevisionConflict {
                expected: 2,
                current: 3,
            }) => {}
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!(won, 1);
}

pub(super) async fn oversized_or_malformed_customers_are_refused_and_store_nothing<
    S: CustomerStore,
>(
    f: Fixture<S>,
) {
    use customer_limits::*;
    let plan = italy();
    let create = |draft: CustomerDraft| f.store.create_customer(draft, &plan);
    assert_eq!(
        invalid_field(create(person(&"x".repeat(4 << 20), vec![])).await),
        CustomerField::DisplayName
    );
    assert_eq!(
        invalid_field(create(person("", vec![])).await),
        CustomerField::DisplayName
    );
    assert_eq!(
        invalid_field(
            create(person(
                "Mario Rossi",
                vec![phone("home", "055 1234567"); PHONES + 1]
            ))
            .await
        ),
        CustomerField::Phones
    );
    assert_eq!(
        invalid_field(
            create(person(
                "Mario Rossi",
                vec![
                    phone("home", "055 1234567"),
                    phone("mobile", "+39 0551234567")
                ]
            ))
            .await
        ),
        CustomerField::PhoneNumber(1)
    );
    assert_eq!(
        invalid_field(
            create(person(
                "Mario Rossi",
                vec![phone("home", &"5".repeat(PHONE_LEN + 1))]
            ))
            .await
        ),
        CustomerField::PhoneNumber(0)
    );
    assert_eq!(
        invalid_field(
            create(person(
                "Mario Rossi",
                vec![phone(&"l".repeat(LABEL_LEN + 1), "055 1234567")]
            ))
            .await
        ),
        CustomerField::PhoneLabel(0)
    );
    let mut draft = person("Mario Rossi", vec![]);
    draft.emails = vec![email(&format!("{}@example.it", "m".repeat(EMAIL_LEN)))];
    assert_eq!(
        invalid_field(create(draft).await),
        CustomerField::EmailAddress(0)
    );
    let mut draft = person("Mario Rossi", vec![]);
    draft.party = Party::Person {
        given_name: Some("g".repeat(NAME_LEN + 1).into()),
        family_name: None,
        tax_code: None,
    };
    assert_eq!(invalid_field(create(draft).await), CustomerField::GivenName);
    let mut draft = person("Mario Rossi", vec![]);
    draft.party = Party::Person {
        given_name: None,
        family_name: None,
        tax_code: Some("RSSMRA80A01H501V".to_string().into()),
    };
    assert_eq!(invalid_field(create(draft).await), CustomerField::TaxCode);
    let mut draft = organisation("Comune", vec![]);
    draft.party = Party::Organisation {
        vat_number: Some("1".repeat(FISCAL_INPUT_LEN + 1).into()),
    };
    assert_eq!(invalid_field(create(draft).await), CustomerField::VatNumber);

    let mut batch: Vec<CustomerDraft> = (0..5)
        .map(|n| person(&format!("Batch Person{n}"), vec![]))
        .collect();
    batch[2].display_name = "\u{0}".to_string().into();
    let error = f.store.import_customers(batch, &italy()).await.unwrap_err();
    assert!(
        matches!(error, StoreError::InvalidCustomerInBatch { index: 2, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("display_name"), "{error}");
    let too_many = vec![person("Mario Rossi", vec![]); crm_store::MAX_IMPORT_BATCH + 1];
    assert!(matches!(
        f.store.import_customers(too_many, &italy()).await,
        Err(StoreError::InvalidInput(_))
    ));
    let found = f
        .store
        .search_customers(CustomerQuery::new(SearchBy::Name("ma".into())))
        .await
        .unwrap();
    let more = f
        .store
        .search_customers(CustomerQuery::new(SearchBy::Name("ba".into())))
        .await
        .unwrap();
    assert!(found.is_empty() && more.is_empty(), "nothing was stored");
}

pub(super) async fn searches_match_prefixes_in_bounded_pages<S: CustomerStore>(f: Fixture<S>) {
    // 150 customers in one import: more than one multi-row chunk of children, and a rest.
    let drafts: Vec<CustomerDraft> = (0..150)
        .map(|n| {
            let mut draft = person(
                &format!("{} Rossì{n:03}", if n % 2 == 0 { "Mario" } else { "Maria" }),
                vec![
                    phone("mobile", &format!("347 1{n:06}")),
                    phone("home", &format!("055 2{n:06}")),
                ],
            );
            draft.emails = vec![email(&format!("User.{n:03}@Example.it"))];
            draft
        })
        .collect();
    let ids = f.store.import_customers(drafts, &italy()).await.unwrap();
    assert_eq!(ids.len(), 150);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids in the order given"
    );
    let last = f.store.get_customer(ids[149]).await.unwrap().unwrap();
    assert_eq!(last.display_name.expose(), "Maria Rossì149");
    assert_eq!(
        last.phones[1].e164.as_ref().map(|e| e.expose().as_str()),
        Some("+390552000149")
    );
    assert_eq!(last.emails[0].address.expose(), "User.149@Example.it");
    let by_number = f
        .store
        .customers_by_number("3471000077", &italy(), 10)
        .await
        .unwrap();
    assert_eq!(by_number.customers[0].id, ids[77]);

    let mut with_tax_code = person("Zeno Bianchi", vec![]);
    with_tax_code.party = Party::Person {
        given_name: Some("Zeno".to_string().into()),
        family_name: Some("Bianchi".to_string().into()),
        tax_code: Some("RSSMRA80A01H501U".to_string().into()),
    };
    let zeno = f
        .store
        .create_customer(with_tax_code, &italy())
        .await
        .unwrap();
    let comune = f
        .store
        .create_customer(organisation("Comune di Firenze", vec![]), &italy())
        .await
        .unwrap();

    let search = |by: SearchBy, limit: u32, offset: u32| {
        let store = f.store.clone();
        async move {
            names(
                &store
                    .search_customers(CustomerQuery { by, limit, offset })
                    .await
                    .unwrap(),
            )
        }
    };
    // Family name, any case, accents folded.
    let page = search(SearchBy::Name("ROSSI0".into()), 3, 0).await;
    assert_eq!(
        page,
        ["Maria Rossì001", "Maria Rossì003", "Maria Rossì005"],
        "by display name"
    );
    let next = search(SearchBy::Name("rossi0".into()), 3, 3).await;
    assert_eq!(next, ["Maria Rossì007", "Maria Rossì009", "Maria Rossì011"]);
    assert_eq!(
        search(SearchBy::Name("mario rossì14".into()), 10, 0)
            .await
            .len(),
        5
    );
    assert_eq!(
        search(SearchBy::Name("Rossi".into()), 1000, 0).await.len(),
        CustomerQuery::MAX_LIMIT as usize
    );
    assert_eq!(
        search(SearchBy::Name("bianchi".into()), 10, 0).await,
        ["Zeno Bianchi"]
    );
    assert_eq!(
        search(SearchBy::Name("comune di".into()), 10, 0).await,
        ["Comune di Firenze"]
    );
    assert!(
        search(SearchBy::Name("rossa".into()), 10, 0)
            .await
            .is_empty()
    );
    // Tax code or VAT number.
    assert_eq!(
        search(SearchBy::TaxCode("rss mra".into()), 10, 0).await,
        ["Zeno Bianchi"]
    );
    assert_eq!(
        search(SearchBy::TaxCode("IT 123456".into()), 10, 0).await,
        ["Comune di Firenze"]
    );
    // E-mail, any case.
    assert_eq!(
        search(SearchBy::Email("USER.14".into()), 20, 0).await.len(),
        10
    );
    assert_eq!(
        search(SearchBy::Email("user.149@".into()), 20, 0).await,
        ["Maria Rossì149"]
    );
    let _ = (zeno, comune);

    assert_eq!(
        invalid_field(
            f.store
                .search_customers(CustomerQuery {
                    by: SearchBy::Name("ro".into()),
                    limit: 10,
                    offset: CustomerQuery::MAX_OFFSET + 1,
                })
                .await
        ),
        CustomerField::Offset
    );
    assert_eq!(
        invalid_field(
            f.store
                .search_customers(CustomerQuery::new(SearchBy::Name("r".into())))
                .await
        ),
        CustomerField::Search
    );
    assert_eq!(
        invalid_field(
            f.store
                .search_customers(CustomerQuery::new(SearchBy::Email("x".repeat(1 << 16))))
                .await
        ),
        CustomerField::Search
    );
}

fn offered_with_customer(call_id: &str, customer: Option<String>) -> CallFact {
    let mut fact = super::offered(call_id, "op-1", 1_000);
    if let FactKind::Offered(o) = &mut fact.kind {
        o.customer = customer.map(Into::into);
    }
    fact
}

fn arrived_from(call_id: &str, number: &str) -> CallFact {
    let mut fact = arrived(call_id);
    let caller = CallerNumber::normalise(number, &italy());
    if let FactKind::Arrived(a) = &mut fact.kind {
        a.caller.raw = caller.raw().to_owned().into();
        a.caller.e164 = caller.e164().map(|e| e.to_owned().into());
    }
    fact
}

pub(super) async fn recent_requests_follow_the_customer_and_their_numbers<
    S: CustomerStore + ServiceRequestStore,
>(
    f: Fixture<S>,
) {
    // The fixture's caller is 055 1234567: Mario's home number.
    let mario = f
        .store
        .create_customer(
            person(
                "Mario Rossi",
                vec![phone("home", "055 1234567"), phone("desk", "1001")],
            ),
            &italy(),
        )
        .await
        .unwrap();
    let id = mario.id.to_string();
    let open = |fact: CallFact| {
        f.clock.advance(Duration::from_secs(60));
        let store = f.store.clone();
        async move { store.record_call_fact(fact).await.unwrap().request }
    };
    let from_home = open(arrived("r-1")).await; // unidentified, from his number
    let from_mobile = open(arrived_from("r-2", "333 9999999")).await;
    open(offered_with_customer("r-2", Some(id.clone()))).await; // identified by PIN
    let other = open(arrived("r-3")).await; // his number, but identified as someone else
    open(offered_with_customer("r-3", Some("999".into()))).await;
    open(arrived_from("r-4", "06 1111111")).await; // someone else entirely
    let from_desk = open(arrived_from("r-5", "1001")).await; // his extension
    open(ended("r-1", CallOutcome::Answered)).await;

    let recent = f.store.recent_service_requests(mario.id, 10).await.unwrap();
    let seen: Vec<(&str, RecentMatch)> = recent
        .iter()
        .map(|r| (r.call_id.as_deref().unwrap_or(""), r.matched_by))
        .collect();
    assert_eq!(
        seen,
        [
            ("r-5", RecentMatch::CallerNumber),
            ("r-2", RecentMatch::Customer),
            ("r-1", RecentMatch::CallerNumber),
        ],
        "newest first; r-3 was someone else's, r-4 another number"
    );
    assert_eq!(recent[2].number, from_home.number);
    assert_eq!(recent[2].outcome, Some(CallOutcome::Answered));
    assert_eq!(recent[1].number, from_mobile.number);
    assert_eq!(recent[1].outcome, None, "no call record yet");
    assert_eq!(recent[1].service_area.as_deref(), Some("2"));
    assert_eq!(recent[0].number, from_desk.number);
    assert_eq!(recent[0].created_at_unix_ms, from_desk.created_at_unix_ms);
    let _ = other;

    assert_eq!(
        f.store
            .recent_service_requests(mario.id, 1)
            .await
            .unwrap()
            .len(),
        1
    );
    let pop = f
        .store
        .customer_pop(mario.id, 2)
        .await
        .unwrap()
        .expect("pop");
    assert_eq!(pop.customer, mario);
    assert_eq!(pop.recent_requests, recent[..2]);
    let json = serde_json::to_value(&pop).unwrap();
    assert_eq!(json["customer"]["display_name"], "Mario Rossi");
    assert_eq!(json["recent_requests"][0]["matched_by"], "caller_number");
    assert_eq!(json["recent_requests"][1]["state"], "open");
    assert_eq!(
        f.store.customer_pop(CustomerId(424242), 5).await.unwrap(),
        None
    );
    let nobody = f
        .store
        .recent_service_requests(CustomerId(424242), 5)
        .await
        .unwrap();
    assert!(nobody.is_empty());
}

pub(super) async fn customer_personal_data_stays_out_of_debug_and_errors<S: CustomerStore>(
    f: Fixture<S>,
) {
    let mut draft = person("Mario Rossi", vec![phone("home", "055 1234567")]);
    draft.emails = vec![email("mario@example.it")];
    let mario = f.store.create_customer(draft, &italy()).await.unwrap();
    let pop = f.store.customer_pop(mario.id, 5).await.unwrap();
    let text = format!("{mario:?} {pop:?}");
    for secret in ["Mario", "Rossi", "1234567", "mario@"] {
        assert!(!text.contains(secret), "{text}");
    }
    let error = f
        .store
        .create_customer(
            person("Mario Rossi", vec![phone("home", "secret-number")]),
            &italy(),
        )
        .await
        .unwrap_err();
    assert!(!error.to_string().contains("secret"), "{error}");
}
