//! The way back from the CRM to the engine: commands for the ACD (an operator logs in or goes
//! ready from the desktop, a supervisor forces a state or opens a queue) and administrators'
//! changes to the engine's prompts and IVR script ([`EngineLink::administer`]). The engine follows
//! the commands over a stream it keeps open (`FollowCommands`) and answers each
//! (`ReportCommandResult`); [`EngineLink::send`] waits for that answer, so the person who
//! asked learns at once whether it was done, or why not.
//!
//! Nothing is queued for an engine that is not there: a command sent while none follows is
//! refused (503), and one the engine does not answer within [`ANSWER_TIMEOUT`] too, so that a
//! "ready" never fires long after the operator asked.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cti_proto::v1 as proto;
use dashmap::DashMap;
use tokio::sync::{mpsc, oneshot};

use crate::CrmError;

/// How long a command waits for the engine's answer.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(3);
/// How long an administrator's command waits (an upload of 10 minutes of audio is decoded
/// and resampled before the answer).
pub const ADMIN_ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a command waits for an engine that is not following (yet).
pub const RECONNECT_GRACE: Duration = Duration::from_secs(1);
/// Commands in flight to the engine at most (past it: 503).
const IN_FLIGHT: usize = 256;

#[derive(Debug, Default)]
pub struct EngineLink {
    /// The engine following now: its generation and its stream.
    follower: Mutex<Option<(u64, mpsc::Sender<proto::EngineCommand>)>>,
    pending: DashMap<u64, oneshot::Sender<proto::CommandResult>>,
    next_id: AtomicU64,
    generation: AtomicU64,
}

impl EngineLink {
    pub fn new() -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self::default())
    }

    /// An engine starts following: the commands from now on go to the stream returned (a
    /// previous follower's stream ends).
    pub fn follow(&self, node: &str) -> mpsc::Receiver<proto::EngineCommand> {
        let (sender, commands) = mpsc::channel(IN_FLIGHT);
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        *self.follower.lock().unwrap_or_else(|e| e.into_inner()) = Some((generation, sender));
        tracing::info!(node, "the engine follows the acd commands");
        commands
    }

    /// Ends the engine's stream (the CRM is shutting down; the engine follows again when it
    /// is back).
    pub fn close(&self) {
        self.follower
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }

    /// Whether an engine follows now.
    pub fn is_connected(&self) -> bool {
        self.follower
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|(_, s)| !s.is_closed())
    }

    /// The engine's answer to a command.
    pub fn resolve(&self, result: proto::CommandResult) {
        if let Some((_, waiting)) = self.pending.remove(&result.id) {
            let _ = waiting.send(result);
        }
    }

    /// Sends `command` to the engine and waits for its answer.
    pub async fn send(&self, command: proto::engine_command::Command) -> Result<(), CrmError> {
        self.send_for_answer(command).await.map(drop)
    }

    /// Sends `command` to the engine and waits for its answer: what the engine answered
    /// (the SDP answer to a softphone offer; empty for other commands).
    pub async fn send_for_answer(
        &self,
        command: proto::engine_command::Command,
    ) -> Result<String, CrmError> {
        let result = self.exchange(command, ANSWER_TIMEOUT).await?;
        if result.done {
            Ok(result.answer)
        } else {
            Err(CrmError::CommandRefused(result.refusal))
        }
    }

    /// Sends an administrator's command to the engine and waits for its answer (longer than
    /// for the ACD's: converting an upload takes a while): what it did, or its refusal with
    /// what to show beside it (a script's problems).
    pub async fn administer(
        &self,
        action: proto::admin_command::Action,
    ) -> Result<Result<proto::AdminAnswer, AdminRefusal>, CrmError> {
        let command = proto::engine_command::Command::Admin(proto::AdminCommand {
            action: Some(action),
        });
        let result = self.exchange(command, ADMIN_ANSWER_TIMEOUT).await?;
        let answer = result.admin.unwrap_or_default();
        Ok(if result.done {
            Ok(answer)
        } else {
            Err(AdminRefusal {
                reason: result.refusal,
                answer,
            })
        })
    }

    async fn exchange(
        &self,
        command: proto::engine_command::Command,
        timeout: Duration,
    ) -> Result<proto::CommandResult, CrmError> {
        const NO_ENGINE: &str = "the telephony engine is not connected: try again shortly";
        // An engine that is (re)connecting gets a moment: the CRM may have just started.
        let deadline = tokio::time::Instant::now() + RECONNECT_GRACE;
        let sender = loop {
            let current = self
                .follower
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
                .map(|(_, s)| s.clone())
                .filter(|s| !s.is_closed());
            match current {
                Some(sender) => break sender,
                None if tokio::time::Instant::now() >= deadline => {
                    return Err(CrmError::EngineUnavailable(NO_ENGINE));
                }
                None => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (answer, answered) = oneshot::channel();
        self.pending.insert(id, answer);
        let sent = sender.try_send(proto::EngineCommand {
            id,
            command: Some(command),
        });
        if sent.is_err() {
            self.pending.remove(&id);
            return Err(CrmError::EngineUnavailable(NO_ENGINE));
        }
        let result = tokio::time::timeout(timeout, answered).await;
        self.pending.remove(&id);
        match result {
            Ok(Ok(result)) => Ok(result),
            _ => Err(CrmError::EngineUnavailable(
                "the telephony engine did not answer in time: try again",
            )),
        }
    }
}

/// The engine's refusal of an administrator's command.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminRefusal {
    /// Why, in words.
    pub reason: String,
    /// What else to show (a refused script's problems, by line).
    pub answer: proto::AdminAnswer,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready() -> proto::engine_command::Command {
        proto::engine_command::Command::Operator(proto::OperatorCommand {
            operator: "1001".into(),
            action: proto::OperatorAction::Ready.into(),
            ..Default::default()
        })
    }

    #[tokio::test]
    async fn without_an_engine_a_command_is_refused_at_once() {
        let link = EngineLink::new();
        assert!(matches!(
            link.send(ready()).await,
            Err(CrmError::EngineUnavailable(_))
        ));
    }

    #[tokio::test]
    async fn the_engine_answers_done_or_why_not() {
        let link = EngineLink::new();
        let mut commands = link.follow("node1");
        let engine = {
            let link = link.clone();
            tokio::spawn(async move {
                for done in [true, false] {
                    let command = commands.recv().await.expect("a command");
                    link.resolve(proto::CommandResult {
                        id: command.id,
                        done,
                        refusal: if done {
                            String::new()
                        } else {
                            "on a call".into()
                        },
                        answer: String::new(),
                        admin: None,
                    });
                }
            })
        };
        link.send(ready()).await.expect("done");
        match link.send(ready()).await {
            Err(CrmError::CommandRefused(why)) => assert_eq!(why, "on a call"),
            other => panic!("refused expected: {other:?}"),
        }
        engine.await.expect("engine task");
        assert!(link.pending.is_empty(), "nothing left waiting");
    }
}

/// What an operator or a supervisor asks, before it becomes an engine command: the checks
/// both faces (HTTP and gRPC) share.
pub mod ask {
    use cti_proto::v1 as proto;

    use crate::CrmError;
    use crate::auth::Principal;
    use crm_store::StaffRole;

    /// Longest reason code (the ACD's limit) and queue name.
    const REASON_LEN: usize = 32;
    const QUEUE_LEN: usize = 256;
    const QUEUES: usize = 64;

    /// An action by its wire name: `log_in`, `log_out`, `ready`, `not_ready`, `end_wrap_up`.
    pub fn action(name: &str) -> Result<proto::OperatorAction, CrmError> {
        Ok(match name {
            "log_in" => proto::OperatorAction::LogIn,
            "log_out" => proto::OperatorAction::LogOut,
            "ready" => proto::OperatorAction::Ready,
            "not_ready" => proto::OperatorAction::NotReady,
            "end_wrap_up" => proto::OperatorAction::EndWrapUp,
            _ => {
                return Err(CrmError::InvalidArgument(
                    "action is log_in, log_out, ready, not_ready or end_wrap_up",
                ));
            }
        })
    }

    /// `principal` sets `operator`'s state (empty: their own). Their own needs the operator
    /// role; someone else's is a supervisor's, and forced: ready, not ready or logged out.
    pub fn operator_command(
        principal: &Principal,
        operator: &str,
        action: proto::OperatorAction,
        reason: Option<String>,
        queues: Vec<String>,
    ) -> Result<proto::engine_command::Command, CrmError> {
        let own = operator.is_empty() || operator == principal.login;
        if own && !principal.has(StaffRole::Operator) {
            return Err(CrmError::Forbidden);
        }
        if !own && !principal.has(StaffRole::Supervisor) {
            return Err(CrmError::Forbidden);
        }
        if operator.len() > 64 {
            return Err(CrmError::InvalidArgument("operator is at most 64 bytes"));
        }
        let forced = !own;
        if forced
            && !matches!(
                action,
                proto::OperatorAction::Ready
                    | proto::OperatorAction::NotReady
                    | proto::OperatorAction::LogOut
            )
        {
            return Err(CrmError::InvalidArgument(
                "a supervisor sets ready, not_ready or log_out",
            ));
        }
        match (&reason, action) {
            (None, proto::OperatorAction::NotReady) => {
                return Err(CrmError::InvalidArgument(
                    "not_ready needs a reason (break, training, back_office...)",
                ));
            }
            (Some(r), _) if r.is_empty() || r.len() > REASON_LEN => {
                return Err(CrmError::InvalidArgument("reason is 1 to 32 bytes"));
            }
            _ => {}
        }
        if queues.len() > QUEUES || queues.iter().any(|q| q.is_empty() || q.len() > QUEUE_LEN) {
            return Err(CrmError::InvalidArgument(
                "queues: at most 64 names of 1 to 256 bytes",
            ));
        }
        Ok(proto::engine_command::Command::Operator(
            proto::OperatorCommand {
                operator: if own {
                    principal.login.clone()
                } else {
                    operator.to_owned()
                },
                action: action.into(),
                reason,
                queues,
                forced,
            },
        ))
    }

    /// A supervisor opens or closes a queue.
    pub fn queue_command(
        principal: &Principal,
        queue: &str,
        open: bool,
    ) -> Result<proto::engine_command::Command, CrmError> {
        if !principal.has(StaffRole::Supervisor) {
            return Err(CrmError::Forbidden);
        }
        if queue.is_empty() || queue.len() > QUEUE_LEN {
            return Err(CrmError::InvalidArgument("queue is 1 to 256 bytes"));
        }
        Ok(proto::engine_command::Command::Queue(proto::QueueCommand {
            queue: queue.to_owned(),
            open,
        }))
    }
}
