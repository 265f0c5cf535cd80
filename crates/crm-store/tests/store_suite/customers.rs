//! The customer directory, on every backend: the stories of DOMAIN.md step 6 (identify the
//! caller by number or PIN, or keep them as a guest), and the helpers that
//! `customer_records.rs` shares.

use common::phone::{CallerNumber, NumberingPlan};
use crm_store::{
    CustomerDraft, CustomerEmail, CustomerField, CustomerId, CustomerInputError, CustomerStore,
    Party, PhoneDraft, PinChange, StoreError,
};

use super::{Fixture, MARCH_2026};

pub(super) fn italy() -> NumberingPlan {
    NumberingPlan::italy()
}

pub(super) fn phone(label: &str, number: &str) -> PhoneDraft {
    PhoneDraft {
        label: label.into(),
        number: number.to_string().into(),
    }
}

pub(super) fn email(address: &str) -> CustomerEmail {
    CustomerEmail {
        label: "personal".into(),
        address: address.to_string().into(),
    }
}

pub(super) fn person(display_name: &str, phones: Vec<PhoneDraft>) -> CustomerDraft {
    let (given, family) = display_name
        .split_once(' ')
        .unwrap_or((display_name, display_name));
    CustomerDraft {
        party: Party::Person {
            given_name: Some(given.to_string().into()),
            family_name: Some(family.to_string().into()),
            tax_code: None,
        },
        display_name: display_name.to_string().into(),
        phones,
        emails: vec![],
        guest: false,
        pin: PinChange::Keep,
    }
}

pub(super) fn organisation(display_name: &str, phones: Vec<PhoneDraft>) -> CustomerDraft {
    CustomerDraft {
        party: Party::Organisation {
            vat_number: Some("12345678903".to_string().into()),
        },
        display_name: display_name.to_string().into(),
        phones,
        emails: vec![],
        guest: false,
        pin: PinChange::Keep,
    }
}

pub(super) fn names(customers: &[crm_store::Customer]) -> Vec<String> {
    customers
        .iter()
        .map(|c| c.display_name.expose().clone())
        .collect()
}

pub(super) fn invalid_field(result: Result<impl std::fmt::Debug, StoreError>) -> CustomerField {
    match result {
        Err(StoreError::InvalidCustomer(
            CustomerInputError::TooLong { field, .. }
            | CustomerInputError::TooMany { field, .. }
            | CustomerInputError::Empty { field }
            | CustomerInputError::Malformed { field, .. }
            | CustomerInputError::Duplicate { field }
            | CustomerInputError::OutOfRange { field, .. },
        )) => field,
        other => panic!("expected an invalid customer field, got {other:?}"),
    }
}

pub(super) async fn customers_are_found_by_any_number_in_any_form<S: CustomerStore>(f: Fixture<S>) {
    let mut draft = person(
        "Mario Rossi",
        vec![
            phone("home", "055 1234567"),
            phone("mobile", "+39 347 123 4567"),
            phone("office", "tel:1001;phone-context=example.com"),
        ],
    );
    draft.party = Party::Person {
        given_name: Some("Mario".to_string().into()),
        family_name: Some("Rossi".to_string().into()),
        tax_code: Some("rssmra80a01h501u".to_string().into()),
    };
    draft.emails = vec![email("Mario.Rossi@example.it")];
    let mario = f.store.create_customer(draft, &italy()).await.unwrap();
    assert_eq!(mario.revision, 1);
    assert_eq!(mario.created_at_unix_ms, MARCH_2026);
    assert_eq!(
        mario
            .phones
            .iter()
            .map(|p| (
                p.label.as_str(),
                p.e164.as_ref().map(|e| e.expose().as_str())
            ))
            .collect::<Vec<_>>(),
        [
            ("home", Some("+390551234567")),
            ("mobile", Some("+393471234567")),
            ("office", None)
        ]
    );
    assert_eq!(
        mario.phones[0].number.expose(),
        "055 1234567",
        "kept as given"
    );
    assert!(
        matches!(&mario.party, Party::Person { tax_code: Some(t), .. } if t.expose() == "RSSMRA80A01H501U")
    );
    assert_eq!(
        f.store.get_customer(mario.id).await.unwrap(),
        Some(mario.clone())
    );

    for form in [
        "0551234567",
        "055 1234567",
        "+390551234567",
        "0039 055 1234567",
        "tel:+39-055-1234567",
        "tel:055-1234567;phone-context=+39",
        "3471234567",
        "+39 347 1234567",
        "tel:0039347.123.4567",
        "1001",
        "tel:10-01",
    ] {
        let found = f
            .store
            .customers_by_number(form, &italy(), 10)
            .await
            .unwrap();
        assert_eq!(found.customers.len(), 1, "{form}");
        assert_eq!(found.customers[0], mario, "{form}");
        assert!(!found.more);
    }
    for nobody in ["0557654321", "anonymous", "", "alice", "+44 20 7946 0958"] {
        let found = f
            .store
            .customers_by_number(nobody, &italy(), 10)
            .await
            .unwrap();
        assert!(found.customers.is_empty(), "{nobody}");
    }
    assert_eq!(
        f.store.get_customer(CustomerId(424242)).await.unwrap(),
        None
    );
}

pub(super) async fn a_shared_number_returns_every_customer_in_order<S: CustomerStore>(
    f: Fixture<S>,
) {
    let switchboard = || phone("switchboard", "055 2768000");
    let guest = f
        .store
        .create_customer(
            CustomerDraft::guest(&CallerNumber::normalise("+390552768000", &italy())),
            &italy(),
        )
        .await
        .unwrap();
    for draft in [
        person(
            "Luca Verdi",
            vec![switchboard(), phone("mobile", "333 1111111")],
        ),
        organisation("Comune di Firenze", vec![switchboard()]),
        person(
            "Anna Bianchi",
            vec![phone("direct", "055 2768111"), switchboard()],
        ),
    ] {
        f.store.create_customer(draft, &italy()).await.unwrap();
    }
    let all = f
        .store
        .customers_by_number("0552768000", &italy(), 10)
        .await
        .unwrap();
    assert_eq!(
        names(&all.customers),
        ["Anna Bianchi", "Comune di Firenze", "Luca Verdi", ""],
        "identified customers by name, then the guest"
    );
    assert_eq!(all.customers[3].id, guest.id);
    assert!(!all.more);
    assert_eq!(
        all.customers[0].phones.len(),
        2,
        "each with all their numbers"
    );

    let page = f
        .store
        .customers_by_number("0552768000", &italy(), 2)
        .await
        .unwrap();
    assert_eq!(
        names(&page.customers),
        ["Anna Bianchi", "Comune di Firenze"]
    );
    assert!(page.more, "two more share the number");
    let bounded = f
        .store
        .customers_by_number("0552768000", &italy(), u32::MAX)
        .await
        .unwrap();
    assert_eq!(bounded.customers.len(), 4);
}

pub(super) async fn pins_answer_alike_for_wrong_pins_and_unknown_customers<S: CustomerStore>(
    f: Fixture<S>,
) {
    let mut draft = person("Mario Rossi", vec![]);
    draft.pin = PinChange::Set("24680".to_string().into());
    let mario = f.store.create_customer(draft, &italy()).await.unwrap();
    assert!(mario.has_pin);
    let json = serde_json::to_string(&mario).unwrap();
    assert!(
        !json.contains("24680") && !json.contains("argon2"),
        "{json}"
    );

    let by_pin = |id: CustomerId, pin: &str| f.store.customer_by_pin(id, pin.to_string().into());
    assert_eq!(
        by_pin(mario.id, "24680").await.unwrap(),
        Some(mario.clone())
    );
    assert_eq!(by_pin(mario.id, "24681").await.unwrap(), None);
    assert_eq!(by_pin(mario.id, "2468").await.unwrap(), None);
    assert_eq!(
        by_pin(mario.id, "abcd").await.unwrap(),
        None,
        "no customer has such a PIN"
    );
    assert_eq!(by_pin(CustomerId(424242), "24680").await.unwrap(), None);
    let without = f
        .store
        .create_customer(person("Anna Bianchi", vec![]), &italy())
        .await
        .unwrap();
    assert!(!without.has_pin);
    assert_eq!(by_pin(without.id, "24680").await.unwrap(), None);
    assert_eq!(
        invalid_field(by_pin(mario.id, &"1".repeat(4096)).await),
        CustomerField::Pin
    );

    // An update that does not mention the PIN keeps it; Clear removes it; Set replaces it.
    let kept = f
        .store
        .update_customer(mario.id, 1, person("Mario Rossi", vec![]), &italy())
        .await
        .unwrap();
    assert!(kept.has_pin);
    assert!(by_pin(mario.id, "24680").await.unwrap().is_some());
    let mut change = person("Mario Rossi", vec![]);
    change.pin = PinChange::Set("1357".to_string().into());
    f.store
        .update_customer(mario.id, 2, change, &italy())
        .await
        .unwrap();
    assert_eq!(by_pin(mario.id, "24680").await.unwrap(), None);
    assert!(by_pin(mario.id, "1357").await.unwrap().is_some());
    let mut clear = person("Mario Rossi", vec![]);
    clear.pin = PinChange::Clear;
    let cleared = f
        .store
        .update_customer(mario.id, 3, clear, &italy())
        .await
        .unwrap();
    assert!(!cleared.has_pin);
    assert_eq!(by_pin(mario.id, "1357").await.unwrap(), None);
}

pub(super) async fn guests_are_kept_and_can_be_identified_later<S: CustomerStore>(f: Fixture<S>) {
    let caller = CallerNumber::normalise("tel:+39-347-7654321", &italy());
    let guest = f
        .store
        .create_customer(CustomerDraft::guest(&caller), &italy())
        .await
        .unwrap();
    assert!(guest.guest);
    assert_eq!(guest.display_name.expose(), "");
    let found = f
        .store
        .customers_by_number("347 7654321", &italy(), 10)
        .await
        .unwrap();
    assert_eq!(found.customers, std::slice::from_ref(&guest));

    let withheld = f
        .store
        .create_customer(
            CustomerDraft::guest(&CallerNumber::normalise("anonymous", &italy())),
            &italy(),
        )
        .await
        .unwrap();
    assert!(withheld.guest && withheld.phones.is_empty());

    // The operator learns who called: the guest becomes a customer, same id.
    let mut known = person("Giulia Neri", vec![phone("mobile", "347 7654321")]);
    known.guest = false;
    let identified = f
        .store
        .update_customer(guest.id, guest.revision, known, &italy())
        .await
        .unwrap();
    assert_eq!(identified.id, guest.id);
    assert!(!identified.guest);
    let found = f
        .store
        .customers_by_number("+393477654321", &italy(), 10)
        .await
        .unwrap();
    assert_eq!(names(&found.customers), ["Giulia Neri"]);
}

#[tokio::test]
async fn any_store_serves_customers() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("centralino.db").display());
    let clock: std::sync::Arc<dyn common::Clock> =
        std::sync::Arc::new(common::ManualClock::new(MARCH_2026));
    let store = crm_store::AnyStore::connect(&url, clock)
        .await
        .expect("open by url");
    let mario = store
        .create_customer(
            person("Mario Rossi", vec![phone("home", "055 1234567")]),
            &italy(),
        )
        .await
        .unwrap();
    let found = store
        .customers_by_number("+390551234567", &italy(), 5)
        .await
        .unwrap();
    assert_eq!(found.customers, [mario]);
    store.close().await;
}
