//! The CRM's gRPC API lets in whom the HTTP API lets in: staff log in (over either) and get a
//! session that works on both; anonymous calls and unknown tokens get UNAUTHENTICATED on every
//! RPC, a role that does not fit PERMISSION_DENIED, both before anything is looked up, so that
//! neither says whether the thing asked for exists. The PIN check is the engine's alone.

mod common;

use common::grpc::refused;
use common::{ADMIN, Crm, OPERATOR, OPERATOR_NAME, SUPERVISOR, TOKEN};
use cti_proto::crm::{self as wire, Client};
use tonic::Code;

/// Calls every RPC but Login with harmless arguments; the codes, by RPC name.
async fn every_rpc(client: &mut Client) -> Vec<(&'static str, Code)> {
    fn code<T>(result: Result<tonic::Response<T>, tonic::Status>) -> Code {
        result.map_or_else(|status| status.code(), |_| Code::Ok)
    }
    let key = || {
        Some(wire::CaseKey {
            key: Some(wire::case_key::Key::Number("SR-2026-000001".into())),
        })
    };
    let lock = wire::CaseCommand {
        command: Some(wire::case_command::Command::Lock(
            wire::case_command::Lock {},
        )),
    };
    let draft = wire::CustomerDraft {
        kind: wire::CustomerKind::Person.into(),
        display_name: "Mario Rossi".into(),
        ..Default::default()
    };
    vec![
        ("Logout", code(client.logout(wire::LogoutRequest {}).await)),
        (
            "GetServiceRequest",
            code(
                client
                    .get_service_request(wire::GetServiceRequestRequest {
                        key: Some(wire::get_service_request_request::Key::Id(1)),
                    })
                    .await,
            ),
        ),
        (
            "ListServiceRequests",
            code(
                client
                    .list_service_requests(wire::ListServiceRequestsRequest::default())
                    .await,
            ),
        ),
        (
            "SearchServiceRequests",
            code(
                client
                    .search_service_requests(wire::SearchServiceRequestsRequest {
                        query: "SR-2026-000001".into(),
                        ..Default::default()
                    })
                    .await,
            ),
        ),
        (
            "GetCase",
            code(client.get_case(wire::GetCaseRequest { case: key() }).await),
        ),
        (
            "CaseHistory",
            code(
                client
                    .case_history(wire::CaseHistoryRequest {
                        case: key(),
                        ..Default::default()
                    })
                    .await,
            ),
        ),
        (
            "ApplyCaseCommand",
            code(
                client
                    .apply_case_command(wire::ApplyCaseCommandRequest {
                        case: key(),
                        command: Some(lock),
                        ..Default::default()
                    })
                    .await,
            ),
        ),
        (
            "AttachCase",
            code(
                client
                    .attach_case(wire::AttachCaseRequest {
                        child: key(),
                        parent: Some(wire::CaseKey {
                            key: Some(wire::case_key::Key::Id(2)),
                        }),
                        ..Default::default()
                    })
                    .await,
            ),
        ),
        (
            "AddNote",
            code(
                client
                    .add_note(wire::AddNoteRequest {
                        case: key(),
                        kind: wire::NoteKind::InternalNote.into(),
                        text: "called back".into(),
                        ..Default::default()
                    })
                    .await,
            ),
        ),
        (
            "LookupCustomersByNumber",
            code(
                client
                    .lookup_customers_by_number(wire::LookupCustomersByNumberRequest {
                        number: "055 1234567".into(),
                        page_size: 0,
                    })
                    .await,
            ),
        ),
        (
            "VerifyCustomerPin",
            code(
                client
                    .verify_customer_pin(wire::VerifyCustomerPinRequest {
                        customer_id: 1,
                        pin: "2468".into(),
                    })
                    .await,
            ),
        ),
        (
            "GetCustomer",
            code(
                client
                    .get_customer(wire::GetCustomerRequest { id: 1 })
                    .await,
            ),
        ),
        (
            "CreateCustomer",
            code(
                client
                    .create_customer(wire::CreateCustomerRequest {
                        customer: Some(draft.clone()),
                    })
                    .await,
            ),
        ),
        (
            "UpdateCustomer",
            code(
                client
                    .update_customer(wire::UpdateCustomerRequest {
                        id: 1,
                        expected_revision: 1,
                        customer: Some(draft),
                    })
                    .await,
            ),
        ),
        (
            "SearchCustomers",
            code(
                client
                    .search_customers(wire::SearchCustomersRequest {
                        by: Some(wire::search_customers_request::By::Name("rossi".into())),
                        ..Default::default()
                    })
                    .await,
            ),
        ),
        (
            "CustomerPop",
            code(
                client
                    .customer_pop(wire::CustomerPopRequest {
                        customer_id: 1,
                        recent_limit: 0,
                    })
                    .await,
            ),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_calls_and_unknown_tokens_are_refused_on_every_rpc() {
    let crm = Crm::start().await;
    crm.offered_call("c-1", "+390551234567", "technology", None)
        .await;
    let garbage = "0".repeat(64);
    for token in [None, Some(garbage.as_str()), Some("not-a-token")] {
        let mut client = crm.crm_client(token).await;
        let codes = every_rpc(&mut client).await;
        assert_eq!(codes.len(), 16, "every RPC but Login");
        for (rpc, code) in codes {
            assert_eq!(code, Code::Unauthenticated, "{rpc} with {token:?}");
        }
    }

    // An SR that exists and one that does not get the same refusal, word for word.
    let mut anonymous = crm.crm_client(None).await;
    let mut messages = Vec::new();
    for id in [1, 999] {
        let status = refused(
            anonymous
                .get_service_request(wire::GetServiceRequestRequest {
                    key: Some(wire::get_service_request_request::Key::Id(id)),
                })
                .await,
        );
        messages.push((status.code(), status.message().to_owned()));
    }
    assert_eq!(messages[0], messages[1]);
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_log_in_over_grpc_and_the_session_works_on_both_apis() {
    let crm = Crm::start().await;
    let anna = crm.grpc_login(OPERATOR).await;
    assert_eq!(anna.token.len(), 64);
    let user = anna.user.as_ref().expect("who logged in");
    assert_eq!(user.login, "anna");
    assert_eq!(user.name, OPERATOR_NAME);
    assert_eq!(user.roles, [wire::StaffRole::Operator as i32]);
    assert!(
        !format!("{anna:?}").contains(&anna.token),
        "Debug hides the token"
    );

    // The gRPC session is an HTTP session, and the other way round.
    let me = crm.get_as(Some(&anna.token), "/api/v1/me").await;
    assert_eq!(me.status, 200, "{me:?}");
    let http_token = crm.token(SUPERVISOR).await;
    let mut sara = crm.crm_client(Some(&http_token)).await;
    let page = sara
        .list_service_requests(wire::ListServiceRequestsRequest::default())
        .await
        .expect("an HTTP session lists SRs over gRPC")
        .into_inner();
    assert!(page.service_requests.is_empty());

    // A wrong password is refused like an unknown login.
    let mut anonymous = crm.crm_client(None).await;
    for (login, password) in [("anna", "wrong-password"), ("nobody", "anna-password")] {
        let status = refused(
            anonymous
                .login(wire::LoginRequest {
                    login: login.into(),
                    password: password.into(),
                })
                .await,
        );
        assert_eq!(status.code(), Code::Unauthenticated, "{login}");
        assert_eq!(status.message(), "wrong login or password");
    }

    // Logging out ends the session on both APIs.
    let mut anna_client = crm.crm_client(Some(&anna.token)).await;
    anna_client
        .logout(wire::LogoutRequest {})
        .await
        .expect("logout");
    let after = refused(
        anna_client
            .list_service_requests(wire::ListServiceRequestsRequest::default())
            .await,
    );
    assert_eq!(after.code(), Code::Unauthenticated);
    assert_eq!(
        crm.get_as(Some(&anna.token), "/api/v1/me").await.status,
        401
    );
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_that_does_not_fit_is_refused_before_any_look_up() {
    let crm = Crm::start().await;
    // Administration is no case role: commands are refused whether the case exists or not.
    let mut admin = crm.staff_client(ADMIN).await;
    let sr = crm
        .offered_call("c-1", "+390551234567", "technology", None)
        .await;
    for number in [sr.as_str(), "SR-2026-999999"] {
        let status = refused(
            admin
                .add_note(wire::AddNoteRequest {
                    case: Some(wire::CaseKey {
                        key: Some(wire::case_key::Key::Number(number.into())),
                    }),
                    kind: wire::NoteKind::InternalNote.into(),
                    text: "looked at it".into(),
                    ..Default::default()
                })
                .await,
        );
        assert_eq!(status.code(), Code::PermissionDenied, "{number}");
    }
    // ...but an administrator is staff, and reads.
    admin
        .get_case(wire::GetCaseRequest {
            case: Some(wire::CaseKey {
                key: Some(wire::case_key::Key::Number(sr.clone())),
            }),
        })
        .await
        .expect("an administrator reads cases");

    // An operator may not act as a supervisor they are not.
    let mut anna = crm.staff_client(OPERATOR).await;
    let status = refused(
        anna.apply_case_command(wire::ApplyCaseCommandRequest {
            case: Some(wire::CaseKey {
                key: Some(wire::case_key::Key::Number("SR-2026-999999".into())),
            }),
            command: Some(wire::CaseCommand {
                command: Some(wire::case_command::Command::Lock(
                    wire::case_command::Lock {},
                )),
            }),
            act_as: Some(wire::ActAs {
                role: wire::CaseRole::Supervisor.into(),
                group: None,
            }),
            ..Default::default()
        })
        .await,
    );
    assert_eq!(status.code(), Code::PermissionDenied);

    // The PIN check is the engine's: a staff session is the wrong role, the engine's
    // credential is not a session anywhere else.
    let status = refused(
        anna.verify_customer_pin(wire::VerifyCustomerPinRequest {
            customer_id: 1,
            pin: "2468".into(),
        })
        .await,
    );
    assert_eq!(status.code(), Code::PermissionDenied);
    let mut engine = crm.crm_client(Some(TOKEN)).await;
    let status = refused(
        engine
            .list_service_requests(wire::ListServiceRequestsRequest::default())
            .await,
    );
    assert_eq!(status.code(), Code::Unauthenticated);
    crm.stop().await.expect("clean shutdown");
}
