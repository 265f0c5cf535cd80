//! Feature codes: an operator changes their ACD state from the SIP phone itself, by dialling
//! a star code, and hears what happened.
//!
//! | dial | does |
//! |---|---|
//! | `*20` | log in to all the operator's queues |
//! | `*29` | log out of all of them (during a call: when it ends) |
//! | `*21` | ready |
//! | `*22` | not ready, reason `phone` |
//! | `*23` | end wrap-up |
//!
//! The INVITE must be authenticated with the operator's SIP credentials (a digest challenge,
//! the same nonces, replay refusal and lockouts as registrations); the state change is the
//! same [`OperatorCommand`] the desktop sends. The engine answers, plays a short confirmation
//! (or `feature_refused` when the ACD refused the change), and hangs up. A feature call is
//! not a citizen's call: it leaves no call facts, no call record and no SR. An unknown code
//! gets `404 Unknown Feature Code`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use sip_message::Request;
use sip_transaction::ServerTxId;
use tracing::info;

use crate::CallControl;
use crate::commands::OperatorCommand;

/// The prompts of the confirmations, which the engine plays besides the IVR script's.
pub const FEATURE_PROMPTS: [&str; 6] = [
    "feature_logged_in",
    "feature_logged_out",
    "feature_ready",
    "feature_not_ready",
    "feature_wrap_up_ended",
    "feature_refused",
];

/// The command a code stands for, and the confirmation played when it is applied.
fn command(code: &str, operator: &str) -> Option<(OperatorCommand, &'static str)> {
    let operator = operator.to_owned();
    Some(match code {
        "*20" => (
            OperatorCommand::LogIn {
                operator,
                queues: None,
            },
            "feature_logged_in",
        ),
        "*29" => (
            OperatorCommand::LogOut {
                operator,
                queues: None,
            },
            "feature_logged_out",
        ),
        "*21" => (OperatorCommand::Ready { operator }, "feature_ready"),
        "*22" => (
            OperatorCommand::NotReady {
                operator,
                reason: "phone".into(),
            },
            "feature_not_ready",
        ),
        "*23" => (
            OperatorCommand::EndWrapUp { operator },
            "feature_wrap_up_ended",
        ),
        _ => return None,
    })
}

/// Whether the dialled number is a feature code (starts with `*`).
pub(crate) fn is_feature_code(dialled: &str) -> bool {
    dialled.starts_with('*')
}

impl CallControl {
    /// An INVITE to a feature code. Returns the script the call runs (play the confirmation,
    /// hang up) once the operator is authenticated and the code applied; `None` when the
    /// INVITE was answered already (challenge, refusal, unknown code).
    pub(crate) fn feature_call(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        request: &Request,
        source: SocketAddr,
        code: &str,
    ) -> Option<Arc<ivr::Script>> {
        let agents = &self.agents;
        let passwords = |user: &str| agents.get(user).map(|a| a.password.clone());
        let operator = match self
            .registrar
            .authenticate(now, request, source, &passwords)
        {
            Ok(user) => user,
            Err(challenge_or_refusal) => {
                self.respond_with(now, tx, *challenge_or_refusal);
                return None;
            }
        };
        if !self.agents.contains_key(&operator) {
            self.respond(now, tx, 403, "Not An Operator");
            return None;
        }
        let Some((command, confirmation)) = command(code, &operator) else {
            self.respond(now, tx, 404, "Unknown Feature Code");
            return None;
        };
        let prompt = match self.handle_command(now, command) {
            Ok(()) => {
                info!(agent = %operator, code, "feature code applied");
                confirmation
            }
            Err(refused) => {
                info!(agent = %operator, code, reason = %refused, "feature code refused by the acd");
                "feature_refused"
            }
        };
        let text = format!("step start\n  play {prompt}\n  hangup\nend\n");
        let script = ivr::Script::parse("feature-code", &text).expect("a valid one-step script");
        Some(Arc::new(script))
    }
}
