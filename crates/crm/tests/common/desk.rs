//! Working cases over HTTP: calls that open them, and the requests of an operator's page.

use serde_json::Value;

use super::{Answer, Crm, MARCH_2026};

/// A call from `caller` offered in `queue` to operator 1001.
pub fn offered(call_id: &str, queue: &str, caller: &str) -> cti_proto::CallOffered {
    cti_proto::CallOffered {
        call_id: call_id.into(),
        caller_number: caller.into(),
        dialled_number: "800123456".into(),
        channel: "phone".into(),
        queue: queue.into(),
        waited_ms: 5_000,
        agent_id: "1001".into(),
        offered_at_unix_ms: MARCH_2026,
        ..Default::default()
    }
}

impl Crm {
    /// The engine offers a call from `caller` in `queue` to operator 1001: the CRM opens its
    /// SR and case, which follows the call to the queue. Returns the SR number.
    pub async fn offer_call(&self, call_id: &str, queue: &str, caller: &str) -> String {
        self.offer(offered(call_id, queue, caller)).await
    }

    /// The engine reports `offer`; returns the number of the call's SR.
    pub async fn offer(&self, offer: cti_proto::CallOffered) -> String {
        let pop = self
            .cti()
            .await
            .report_call_offered(offer)
            .await
            .expect("the CRM takes the offer");
        pop.service_request.expect("the pop carries the SR").number
    }

    /// `GET /api/v1/cases/{number}` as the holder of `token`.
    pub async fn case(&self, token: &str, number: &str) -> Answer {
        self.get_as(Some(token), &format!("/api/v1/cases/{number}"))
            .await
    }

    /// The case's current revision, read as the holder of `token`.
    pub async fn revision(&self, token: &str, number: &str) -> u64 {
        let answer = self.case(token, number).await;
        assert_eq!(answer.status, 200, "{answer:?}");
        let revision = answer.json["case"]["revision"]
            .as_u64()
            .expect("a revision");
        assert_eq!(
            answer.header("etag"),
            Some(format!("\"{revision}\"").as_str()),
            "the ETag is the revision"
        );
        revision
    }

    /// `POST /api/v1/cases/{number}/commands` with `If-Match: "<revision>"` when given.
    pub async fn command(
        &self,
        token: &str,
        number: &str,
        revision: Option<u64>,
        command: Value,
    ) -> Answer {
        let tag = revision.map(|r| format!("\"{r}\""));
        let headers: Vec<(&str, &str)> = tag.iter().map(|t| ("If-Match", t.as_str())).collect();
        self.request_with(
            "POST",
            &format!("/api/v1/cases/{number}/commands"),
            Some(token),
            &headers,
            Some(&command.to_string()),
        )
        .await
    }

    /// [`Crm::command`] on the current revision; panics unless it is accepted.
    pub async fn work(&self, token: &str, number: &str, command: Value) -> Value {
        let revision = self.revision(token, number).await;
        let answer = self
            .command(token, number, Some(revision), command.clone())
            .await;
        assert_eq!(answer.status, 200, "{command}: {answer:?}");
        answer.json
    }

    /// The whole history of a case.
    pub async fn history(&self, token: &str, number: &str) -> Vec<Value> {
        let answer = self
            .get_as(Some(token), &format!("/api/v1/cases/{number}/history"))
            .await;
        assert_eq!(answer.status, 200, "{answer:?}");
        answer.json["entries"].as_array().expect("entries").clone()
    }
}
