//! Commands for the ACD from the CRM (operators' desktops, supervisors): [`follow`] keeps the
//! `FollowCommands` stream open (and opens it again after a break), hands each command to the
//! driver, which applies it to the core at once, and reports the result back.

use std::time::Duration;

use call_control::{CommandError, ForcedState, OperatorCommand};
use cti_proto::CtiClient;
use cti_proto::v1 as proto;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

/// What the driver is asked: a command for the core, or a browser softphone's offer (the
/// driver opens its WebRTC leg).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Command(OperatorCommand),
    SoftphoneOffer { operator: String, offer: String },
}

impl From<OperatorCommand> for Request {
    fn from(command: OperatorCommand) -> Self {
        Request::Command(command)
    }
}

/// A request on its way to the driver, with where its result goes: done (with the SDP answer
/// for a softphone offer, else empty) or why not.
pub type Queued = (Request, oneshot::Sender<Result<String, CommandError>>);

/// Commands waiting for the driver at most.
pub const QUEUE: usize = 64;

/// The driver's request for a wire command, or why there is none.
pub fn request_from_wire(command: proto::engine_command::Command) -> Result<Request, String> {
    use proto::SoftphoneAction as S;
    let proto::engine_command::Command::Softphone(s) = command else {
        return from_wire(command).map(Request::Command);
    };
    let operator = s.operator;
    if operator.is_empty() || operator.len() > 64 {
        return Err("operator is 1 to 64 bytes".into());
    }
    Ok(
        match S::try_from(s.action).map_err(|_| "unknown action".to_owned())? {
            S::Offer if s.offer.len() > webrtc_leg::MAX_OFFER_LEN => {
                return Err(format!(
                    "the offer is more than {} bytes",
                    webrtc_leg::MAX_OFFER_LEN
                ));
            }
            S::Offer => Request::SoftphoneOffer {
                operator,
                offer: s.offer,
            },
            S::Answer => OperatorCommand::AnswerSoftphone { operator }.into(),
            S::Reject => OperatorCommand::RejectSoftphone { operator }.into(),
            S::HangUp => OperatorCommand::HangUpSoftphone { operator }.into(),
            S::Close => OperatorCommand::DetachSoftphone { operator }.into(),
            S::Unspecified => return Err("no action".into()),
        },
    )
}

/// The core's command for a wire one, or why there is none.
pub fn from_wire(command: proto::engine_command::Command) -> Result<OperatorCommand, String> {
    use proto::OperatorAction as A;
    match command {
        proto::engine_command::Command::Softphone(_) => {
            Err("a softphone command is the driver's (request_from_wire)".into())
        }
        proto::engine_command::Command::Admin(_) => {
            Err("an administration command is not for the acd".into())
        }
        proto::engine_command::Command::Queue(q) => Ok(OperatorCommand::SetQueueOpen {
            queue: q.queue,
            open: q.open,
        }),
        proto::engine_command::Command::Operator(o) => {
            let queues = (!o.queues.is_empty()).then_some(o.queues);
            let action = A::try_from(o.action).map_err(|_| "unknown action".to_owned())?;
            let reason = || {
                o.reason
                    .clone()
                    .ok_or_else(|| "not ready needs a reason".to_owned())
            };
            Ok(match (action, o.forced) {
                (A::Ready, true) => OperatorCommand::Force {
                    operator: o.operator,
                    state: ForcedState::Ready,
                },
                (A::NotReady, true) => OperatorCommand::Force {
                    state: ForcedState::NotReady { reason: reason()? },
                    operator: o.operator,
                },
                (A::LogOut, true) => OperatorCommand::Force {
                    operator: o.operator,
                    state: ForcedState::LoggedOut,
                },
                (_, true) => return Err("a supervisor sets ready, not ready or logged out".into()),
                (A::LogIn, false) => OperatorCommand::LogIn {
                    operator: o.operator,
                    queues,
                },
                (A::LogOut, false) => OperatorCommand::LogOut {
                    operator: o.operator,
                    queues,
                },
                (A::Ready, false) => OperatorCommand::Ready {
                    operator: o.operator,
                },
                (A::NotReady, false) => OperatorCommand::NotReady {
                    reason: reason()?,
                    operator: o.operator,
                },
                (A::EndWrapUp, false) => OperatorCommand::EndWrapUp {
                    operator: o.operator,
                },
                (A::Unspecified, false) => return Err("no action".into()),
            })
        }
    }
}

/// Follows the CRM's commands for engine `node` until the driver stops taking them. ACD
/// commands go to the driver, one at a time; administrators' commands to the live-reload
/// watcher (`admin`), each answered on its own task so that a long upload never holds up an
/// operator's "ready".
pub async fn follow(
    client: CtiClient,
    node: String,
    driver: mpsc::Sender<Queued>,
    admin: mpsc::Sender<crate::reload::admin::Request>,
) {
    let mut backoff = Duration::from_millis(250);
    loop {
        if driver.is_closed() {
            return;
        }
        match client.follow_commands(&node).await {
            Ok(mut commands) => {
                info!("following the crm's acd commands");
                backoff = Duration::from_millis(250);
                loop {
                    let next = tokio::select! {
                        next = commands.message() => next,
                        () = driver.closed() => return,
                    };
                    match next {
                        Ok(Some(proto::EngineCommand {
                            id,
                            command: Some(proto::engine_command::Command::Admin(admin_command)),
                        })) => {
                            tokio::spawn(administer(
                                client.clone(),
                                admin.clone(),
                                id,
                                admin_command.action,
                            ));
                        }
                        Ok(Some(command)) => {
                            let result = apply(&driver, command.command).await;
                            let (done, refusal, answer) = match result {
                                Ok(answer) => (true, String::new(), answer),
                                Err(why) => (false, why, String::new()),
                            };
                            if let Err(status) = client
                                .report_command_result(proto::CommandResult {
                                    id: command.id,
                                    done,
                                    refusal,
                                    answer,
                                    admin: None,
                                })
                                .await
                            {
                                debug!(code = ?status.code(), "command result not delivered");
                            }
                        }
                        Ok(None) => break,
                        Err(status) => {
                            debug!(code = ?status.code(), "the command stream broke");
                            break;
                        }
                    }
                }
            }
            Err(status) => debug!(code = ?status.code(), "cannot follow the crm's commands yet"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// Longest refusal the CRM takes.
const REFUSAL_LEN: usize = 1024;

/// Has the watcher carry out an administrator's command and reports its answer.
async fn administer(
    client: CtiClient,
    admin: mpsc::Sender<crate::reload::admin::Request>,
    id: u64,
    action: Option<proto::admin_command::Action>,
) {
    use crate::reload::admin::Refused;
    let answer = match action {
        None => Err(Refused::new("an empty administration command")),
        Some(action) => {
            let (reply, answered) = oneshot::channel();
            if admin.send((action, reply)).await.is_err() {
                Err(Refused::new("the engine is stopping"))
            } else {
                answered
                    .await
                    .unwrap_or_else(|_| Err(Refused::new("the engine is stopping")))
            }
        }
    };
    let result = match answer {
        Ok(answer) => proto::CommandResult {
            id,
            done: true,
            refusal: String::new(),
            answer: String::new(),
            admin: Some(answer),
        },
        Err(refused) => {
            info!(reason = %refused.reason, "administration command refused");
            let mut refusal = refused.reason;
            if refusal.len() > REFUSAL_LEN {
                let mut end = REFUSAL_LEN - 3;
                while !refusal.is_char_boundary(end) {
                    end -= 1;
                }
                refusal.truncate(end);
                refusal.push_str("...");
            }
            proto::CommandResult {
                id,
                done: false,
                refusal,
                answer: String::new(),
                admin: Some(*refused.answer),
            }
        }
    };
    if let Err(status) = client.report_command_result(result).await {
        warn!(code = ?status.code(), "administration result not delivered");
    }
}

async fn apply(
    driver: &mpsc::Sender<Queued>,
    command: Option<proto::engine_command::Command>,
) -> Result<String, String> {
    let command = request_from_wire(command.ok_or("an empty command")?)?;
    let (answer, answered) = oneshot::channel();
    driver
        .send((command, answer))
        .await
        .map_err(|_| "the engine is stopping".to_owned())?;
    match answered.await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(refused)) => {
            warn!(reason = %refused, "acd command refused");
            Err(refused.to_string())
        }
        Err(_) => Err("the engine is stopping".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn softphone(
        operator: &str,
        action: proto::SoftphoneAction,
        offer: String,
    ) -> Result<Request, String> {
        request_from_wire(proto::engine_command::Command::Softphone(
            proto::SoftphoneCommand {
                operator: operator.into(),
                action: action.into(),
                offer,
            },
        ))
    }

    #[test]
    fn softphone_commands_become_requests_or_are_refused() {
        use proto::SoftphoneAction as S;
        assert_eq!(
            softphone("1001", S::Offer, "v=0".into()),
            Ok(Request::SoftphoneOffer {
                operator: "1001".into(),
                offer: "v=0".into()
            })
        );
        assert_eq!(
            softphone("1001", S::HangUp, String::new()),
            Ok(Request::Command(OperatorCommand::HangUpSoftphone {
                operator: "1001".into()
            }))
        );
        let big = "a".repeat(webrtc_leg::MAX_OFFER_LEN + 1);
        assert!(softphone("1001", S::Offer, big).is_err_and(|e| e.contains("more than")));
        assert!(softphone("", S::Answer, String::new()).is_err());
        assert!(softphone(&"x".repeat(65), S::Answer, String::new()).is_err());
        assert!(softphone("1001", S::Unspecified, String::new()).is_err());
    }
}
