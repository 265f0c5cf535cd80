//! What people ask of the ACD from outside a call: an operator logging in or out, going ready
//! or not ready, ending wrap-up (from the desktop, through the CRM, or from their phone by a
//! feature code), and a supervisor forcing an operator's state or opening a special-event
//! queue. Each command is applied to the ACD at once and answered: done, or refused with the
//! ACD's reason.

use std::time::{Duration, Instant};

use acd::{Forced, OperatorId, QueueId, ReasonCode, Trigger};

use crate::CallControl;

/// A command for the ACD.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OperatorCommand {
    /// Log in to these queues of the operator's profile (`None`: all of them).
    LogIn {
        operator: String,
        queues: Option<Vec<String>>,
    },
    /// Log out of these queues (`None`: all). During a call, when it ends.
    LogOut {
        operator: String,
        queues: Option<Vec<String>>,
    },
    Ready {
        operator: String,
    },
    /// Pause with a reason code (`break`, `training`, `back_office`...). During a call, when
    /// it ends.
    NotReady {
        operator: String,
        reason: String,
    },
    EndWrapUp {
        operator: String,
    },
    ExtendWrapUp {
        operator: String,
        by: Duration,
    },
    /// A supervisor sets an operator's state; a conversation is never cut.
    Force {
        operator: String,
        state: ForcedState,
    },
    /// A supervisor opens or closes a queue (special-event queues).
    SetQueueOpen {
        queue: String,
        open: bool,
    },
    /// The operator answers the call ringing on their browser softphone.
    AnswerSoftphone {
        operator: String,
    },
    /// The operator rejects the call ringing on their browser softphone (back to the queue).
    RejectSoftphone {
        operator: String,
    },
    /// The operator hangs up the call on their browser softphone.
    HangUpSoftphone {
        operator: String,
    },
    /// The operator turns their browser softphone off: its session ends.
    DetachSoftphone {
        operator: String,
    },
}

/// What a supervisor may force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForcedState {
    Ready,
    NotReady { reason: String },
    LoggedOut,
}

/// Why a command was refused, in words an operator or a supervisor understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    #[error("no operator {0}")]
    UnknownOperator(String),
    #[error("no queue {0}")]
    UnknownQueue(String),
    #[error("reason codes are 1 to 32 of a-z, 0-9, '_', '-', '.'")]
    InvalidReason,
    #[error("{0}")]
    Refused(String),
}

fn reason(code: &str) -> Result<ReasonCode, CommandError> {
    ReasonCode::new(code).map_err(|_| CommandError::InvalidReason)
}

fn queues(list: Option<Vec<String>>) -> Option<Vec<QueueId>> {
    list.map(|qs| qs.into_iter().map(QueueId).collect())
}

impl CallControl {
    /// Applies `command` to the ACD now.
    pub fn handle_command(
        &mut self,
        now: Instant,
        command: OperatorCommand,
    ) -> Result<(), CommandError> {
        let input = match command {
            OperatorCommand::LogIn {
                operator,
                queues: q,
            } => acd::Input::Login {
                operator: OperatorId(operator),
                queues: queues(q),
            },
            OperatorCommand::LogOut {
                operator,
                queues: q,
            } => acd::Input::Logout {
                operator: OperatorId(operator),
                queues: queues(q),
            },
            OperatorCommand::Ready { operator } => acd::Input::Ready {
                operator: OperatorId(operator),
            },
            OperatorCommand::NotReady {
                operator,
                reason: r,
            } => acd::Input::NotReady {
                operator: OperatorId(operator),
                reason: reason(&r)?,
            },
            OperatorCommand::EndWrapUp { operator } => acd::Input::EndWrapUp {
                operator: OperatorId(operator),
            },
            OperatorCommand::ExtendWrapUp { operator, by } => acd::Input::ExtendWrapUp {
                operator: OperatorId(operator),
                by,
            },
            OperatorCommand::Force { operator, state } => acd::Input::Force {
                operator: OperatorId(operator),
                state: match state {
                    ForcedState::Ready => Forced::Ready,
                    ForcedState::NotReady { reason: r } => Forced::NotReady {
                        reason: reason(&r)?,
                    },
                    ForcedState::LoggedOut => Forced::LoggedOut,
                },
            },
            OperatorCommand::SetQueueOpen { queue, open } => acd::Input::SetQueueOpen {
                queue: QueueId(queue),
                open,
                by: Trigger::Supervisor,
            },
            OperatorCommand::AnswerSoftphone { operator } => {
                return self.answer_browser(now, &operator);
            }
            OperatorCommand::RejectSoftphone { operator } => {
                return self.reject_browser(now, &operator);
            }
            OperatorCommand::HangUpSoftphone { operator } => {
                return self.hang_up_browser(now, &operator);
            }
            OperatorCommand::DetachSoftphone { operator } => {
                if !self.agents.contains_key(&operator) {
                    return Err(CommandError::UnknownOperator(operator));
                }
                self.detach_browser(now, &operator);
                return Ok(());
            }
        };
        let result = self.acd.handle_input(now, input).map_err(|e| match e {
            acd::AcdError::UnknownOperator(op) => CommandError::UnknownOperator(op.0),
            acd::AcdError::UnknownQueue(q) => CommandError::UnknownQueue(q.0),
            other => CommandError::Refused(other.to_string()),
        });
        // Whatever the ACD decided (an offer to a newly ready operator...) goes out now.
        self.pump_acd(now);
        result
    }
}
