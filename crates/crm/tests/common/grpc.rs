//! The CRM's own gRPC API (`centralino.crm.v1.Crm`) from a test: a real tonic client over
//! loopback, logins over gRPC, a service catalogue to work cases by, and calls reported over
//! the CTI to open SRs.

use cti_proto::crm::{self as wire, Client};
use service_request::Catalogue;

use super::{Crm, MARCH_2026, TOKEN};

/// The desks of these tests: calls open in `intake` and follow the call to `it-help` (first
/// level); `it-desk` is the second level of the advanced service `email-account` (the test
/// second-level member is in it); `rejections` reassigns.
pub fn desk_catalogue() -> Catalogue {
    toml::from_str(
        r#"
        entities = [{ code = "dag", name = "Department of General Administration" }]
        units = [{ code = "technology", entity = "dag", name = "Technology support" }]
        groups = [
            { code = "intake", name = "Intake", level = "first" },
            { code = "it-help", name = "IT help desk", level = "first" },
            { code = "it-desk", name = "IT back office", level = "second" },
            { code = "rejections", name = "Rejections", level = "rejections" },
        ]
        services = [
            { code = "email-account", unit = "technology", name = "E-mail accounts",
              profile = "advanced", groups = ["it-desk"] },
        ]
        "#,
    )
    .expect("the test catalogue is valid")
}

/// The status code of a refused call; panics if it succeeded.
pub fn refused<T: std::fmt::Debug>(
    result: Result<tonic::Response<T>, tonic::Status>,
) -> tonic::Status {
    match result {
        Ok(answer) => panic!("expected a refusal, got {answer:?}"),
        Err(status) => status,
    }
}

impl Crm {
    /// A client of the CRM's API sending `token` (`None`: anonymous).
    pub async fn crm_client(&self, token: Option<&str>) -> Client {
        wire::connect(self.grpc_url.clone(), token.map(str::to_owned))
            .await
            .expect("connect to the CRM's gRPC API")
    }

    /// Logs in over gRPC; panics if refused.
    pub async fn grpc_login(&self, (login, password): (&str, &str)) -> wire::LoginResponse {
        self.crm_client(None)
            .await
            .login(wire::LoginRequest {
                login: login.into(),
                password: password.into(),
            })
            .await
            .unwrap_or_else(|e| panic!("login as {login}: {e}"))
            .into_inner()
    }

    /// A client logged in as `who` over gRPC.
    pub async fn staff_client(&self, who: (&str, &str)) -> Client {
        let token = self.grpc_login(who).await.token;
        self.crm_client(Some(&token)).await
    }

    /// The engine: a client with the service credential.
    pub async fn engine_client(&self) -> Client {
        self.crm_client(Some(TOKEN)).await
    }

    /// A call offered from `caller` in `queue` (the customer the IVR identified, if any),
    /// reported over the CTI: opens its SR. Returns the SR number.
    pub async fn offered_call(
        &self,
        call_id: &str,
        caller: &str,
        queue: &str,
        customer_id: Option<i64>,
    ) -> String {
        let pop = self
            .cti()
            .await
            .report_call_offered(cti_proto::CallOffered {
                call_id: call_id.into(),
                caller_number: caller.into(),
                caller_number_e164: Some(caller.into()),
                dialled_number: "800123456".into(),
                channel: "phone".into(),
                queue: queue.into(),
                waited_ms: 1_000,
                agent_id: "anna".into(),
                offered_at_unix_ms: MARCH_2026,
                customer_id: customer_id.map(|id| id.to_string()),
                ..Default::default()
            })
            .await
            .expect("the CTI takes the offer");
        pop.service_request.expect("an SR").number
    }
}
