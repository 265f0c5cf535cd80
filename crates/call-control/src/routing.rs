//! Routing: the IVR session that decides where a call goes, and the ACD queue that decides
//! which operator takes it.

use std::time::{Duration, Instant};

use common::call::{CallStage, EndReason};
use tracing::{debug, info, warn};

use crate::call::{CallTimer, Phase};
use crate::events::{CallFact, LookupId, MediaCommand};
use crate::{CallControl, HOLD_MUSIC, IDENTIFY_TIMEOUT, Output};
use common::phone::NumberKind;

/// Where the IVR left the call.
enum IvrExit {
    Enqueue(String),
    Release(Option<String>),
}

impl CallControl {
    pub(crate) fn ivr_input(&mut self, now: Instant, id: acd::CallId, input: ivr::Input) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Phase::Ivr { session, .. } = &mut call.phase else {
            return;
        };
        if let Err(e) = session.handle_input(input) {
            debug!(error = %e, "ivr input refused");
        }
        let mut exit = None;
        let mut commands = Vec::new();
        let mut identify = None;
        while let Some(output) = session.poll_output() {
            match output {
                ivr::Output::Play { prompts, .. } => {
                    let token = self.next_token;
                    self.next_token += 1;
                    call.play_token = token;
                    commands.push(MediaCommand::Play {
                        prompts,
                        then_loop: None,
                        token,
                    });
                }
                ivr::Output::StopPlayback => {
                    call.play_token = 0;
                    commands.push(MediaCommand::StopPlayback);
                }
                ivr::Output::IdentifyCaller { method, input } => {
                    let lookup = LookupId {
                        call: id,
                        n: self.next_token,
                    };
                    self.next_token += 1;
                    let number = match call.caller.kind() {
                        NumberKind::Withheld => None,
                        _ => Some(call.caller.best().to_owned()),
                    };
                    let pin = (method == ivr::IdentifyMethod::Pin).then_some(input);
                    identify = Some((lookup, number, pin));
                }
                ivr::Output::Enqueue { queue, .. } => {
                    exit = Some(IvrExit::Enqueue(queue));
                    break;
                }
                ivr::Output::RecordVoicemail { .. } => {
                    // Voicemail recording is not built yet: close the call politely.
                    exit = Some(IvrExit::Release(Some("voicemail_not_available".into())));
                    break;
                }
                ivr::Output::Hangup { reason } => {
                    exit = Some(IvrExit::Release(Some(format!("{reason:?}"))));
                    break;
                }
                _ => {}
            }
        }
        let deadline = session.poll_timeout();
        let leg = call.leg;
        let lookup_until = identify.as_ref().map(|_| now + IDENTIFY_TIMEOUT);
        if let Phase::Ivr {
            deadline: armed,
            lookup,
            ..
        } = &mut call.phase
        {
            *armed = deadline;
            if let (Some((id, _, _)), Some(until)) = (&identify, lookup_until) {
                *lookup = Some((*id, until));
            }
        }
        if let (Some((lookup, number, pin)), Some(until)) = (identify, lookup_until) {
            self.outputs.push_back(Output::IdentifyCaller {
                lookup,
                number,
                pin,
            });
            self.arm(until, id, CallTimer::Lookup);
        }
        for command in commands {
            self.media(leg, command);
        }
        // What the IVR learned is a fact as soon as it is learned: a caller who hangs up (or
        // an engine that dies) a moment later keeps it in the record.
        self.note_ivr_data(id);
        match exit {
            Some(IvrExit::Enqueue(queue)) => self.enqueue(now, id, queue),
            Some(IvrExit::Release(reason)) => {
                if let Some(reason) = reason
                    && let Some(call) = self.calls.get_mut(&id)
                {
                    call.ivr_data.push(("ivr_hangup_reason".into(), reason));
                }
                self.end_call(now, id, EndReason::IvrReleased, None);
            }
            None => {
                if let Some(at) = deadline {
                    self.arm(at, id, CallTimer::Ivr);
                }
            }
        }
    }

    pub(crate) fn identified(
        &mut self,
        now: Instant,
        lookup: LookupId,
        customer: Option<ivr::Customer>,
    ) {
        let id = lookup.call;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Phase::Ivr {
            lookup: waiting, ..
        } = &mut call.phase
        else {
            return;
        };
        if waiting.map(|(l, _)| l) != Some(lookup) {
            debug!(%lookup, "late caller look-up ignored");
            return;
        }
        *waiting = None;
        self.ivr_input(now, id, ivr::Input::IdentifyResult(customer));
    }

    /// The look-up took longer than [`IDENTIFY_TIMEOUT`]: the IVR goes on as for a guest.
    pub(crate) fn lookup_timed_out(&mut self, now: Instant, id: acd::CallId) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Phase::Ivr { lookup, .. } = &mut call.phase else {
            return;
        };
        if let Some((l, _)) = lookup.take() {
            warn!(call = %call.call_ref, lookup = %l, "caller look-up timed out: the caller goes on as a guest");
            self.ivr_input(now, id, ivr::Input::IdentifyResult(None));
        }
    }

    /// Copies the IVR session's findings into the call, and reports them if they changed.
    fn note_ivr_data(&mut self, id: acd::CallId) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Phase::Ivr { session, .. } = &call.phase else {
            return;
        };
        let data = flatten_call_data(session.data());
        if data != call.ivr_data {
            call.ivr_data = data;
            let stage = call.stage;
            self.progress(id, stage);
        }
    }

    /// The call reached `stage` (or its data changed): a fact for the outbox.
    pub(crate) fn progress(&mut self, id: acd::CallId, stage: common::call::CallStage) {
        let at_unix_ms = self.clock.now_unix_ms();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.stage = call.stage.max(stage);
        let fact = CallFact::Progress {
            call: call.call_ref.clone(),
            stage: call.stage,
            ivr_data: call.ivr_data.clone(),
            queue: call.queue.clone(),
            at_unix_ms,
        };
        self.fact(fact);
    }

    fn enqueue(&mut self, now: Instant, id: acd::CallId, queue: String) {
        let token = self.new_token();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.phase = Phase::Queued {
            since: now,
            offer: None,
        };
        call.queue = Some(queue.clone());
        call.play_token = token;
        info!(call = %call.call_ref, queue = %queue, "queued");
        let leg = call.leg;
        self.progress(id, CallStage::Queued);
        // The script says what the caller hears before queueing (`please_hold`); from here
        // on, hold music between announcements.
        self.media(
            leg,
            MediaCommand::Play {
                prompts: Vec::new(),
                then_loop: Some(HOLD_MUSIC.into()),
                token,
            },
        );
        if let Err(e) = self.acd.handle_input(
            now,
            acd::Input::Join {
                call: id,
                queue: acd::QueueId(queue),
                priority: 0,
            },
        ) {
            warn!(error = %e, "queue refused the call");
            self.end_call(now, id, EndReason::QueueRefused, None);
            return;
        }
        self.pump_acd(now);
    }

    pub(crate) fn acd_input(&mut self, now: Instant, input: acd::Input) {
        if let Err(e) = self.acd.handle_input(now, input) {
            debug!(error = %e, "acd input refused");
        }
    }

    /// The ACD sent the call away: a message then the end, or the end at once.
    fn queue_exit(&mut self, now: Instant, id: acd::CallId, destination: acd::Destination) {
        let prompts = match destination {
            acd::Destination::Message { prompt } => vec![prompt],
            // No voicemail recording yet: say goodbye instead.
            acd::Destination::Voicemail => vec!["goodbye".to_string()],
            // Another queue is the ACD's own business; hang-up is immediate.
            _ => Vec::new(),
        };
        if prompts.is_empty() {
            self.end_call(now, id, EndReason::QueueExit, None);
            return;
        }
        let token = self.new_token();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if let Phase::Queued { offer: Some(_), .. } = call.phase {
            self.drop_operator_leg(now, id, None, "the queue sent the call away", None);
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.phase = Phase::Closing { token };
        call.play_token = token;
        let leg = call.leg;
        self.media(
            leg,
            MediaCommand::Play {
                prompts,
                then_loop: None,
                token,
            },
        );
    }

    pub(crate) fn pump_acd(&mut self, now: Instant) {
        while let Some(output) = self.acd.poll_output() {
            match output {
                acd::Output::Offer { .. } if self.hanging_up => {
                    // The grace period is over and every call is being ended: ring nobody.
                }
                acd::Output::Offer {
                    call,
                    queue,
                    operator,
                    waited,
                    ..
                } => {
                    // An overflowed call is offered from the queue it moved to: the screen
                    // pop and the record name the queue that serves it.
                    if let Some(c) = self.calls.get_mut(&call) {
                        c.queue = Some(queue.0);
                    }
                    self.offer(now, call, operator.0, waited)
                }
                acd::Output::Announce {
                    call,
                    position,
                    estimate,
                } => self.announce(call, position, Some(estimate)),
                // The ACD already put the call back in its queue (and, on a timeout, the
                // operator out of rotation): only the ringing phone is left to stop.
                acd::Output::CancelOffer { call, .. } => {
                    self.drop_operator_leg(now, call, None, "offer timed out or withdrawn", None);
                }
                acd::Output::Exit {
                    call,
                    reason,
                    destination,
                    ..
                } => {
                    info!(call = ?call, ?reason, "the queue sent the call away");
                    self.queue_exit(now, call, destination);
                }
                acd::Output::Warning {
                    queue,
                    kind,
                    raised,
                } => {
                    if raised {
                        warn!(queue = %queue.0, ?kind, "queue warning");
                    } else {
                        info!(queue = %queue.0, ?kind, "queue warning cleared");
                    }
                }
                acd::Output::Journal(entry) => {
                    // Wall time of the entry: the journal outlives this process's clock.
                    let ago = now.saturating_duration_since(entry.at);
                    let at_unix_ms = self.clock.now_unix_ms()
                        - i64::try_from(ago.as_millis()).unwrap_or(i64::MAX);
                    self.outputs
                        .push_back(Output::AcdJournal { entry, at_unix_ms });
                }
                _ => {}
            }
        }
        self.acd_deadline = self.acd.poll_timeout();
    }

    fn announce(&mut self, id: acd::CallId, position: usize, average_wait: Option<Duration>) {
        let token = self.new_token();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if !matches!(call.phase, Phase::Queued { offer: None, .. }) {
            return;
        }
        let [
            queue_position,
            average_wait_word,
            less_than_one_minute,
            minutes_word,
        ] = ANNOUNCEMENT_PROMPTS;
        let mut prompts = vec![queue_position.to_string()];
        prompts.extend(number_prompts(position as u64));
        if let Some(avg) = average_wait {
            prompts.push(average_wait_word.into());
            let minutes = avg.as_secs() / 60;
            if minutes == 0 {
                prompts.push(less_than_one_minute.into());
            } else {
                prompts.extend(number_prompts(minutes));
                prompts.push(minutes_word.into());
            }
        }
        call.play_token = token;
        let leg = call.leg;
        self.media(
            leg,
            MediaCommand::Play {
                prompts,
                then_loop: Some(HOLD_MUSIC.into()),
                token,
            },
        );
    }
}

/// The words of the position and wait announcements, besides the digits.
pub(crate) const ANNOUNCEMENT_PROMPTS: [&str; 4] = [
    "queue_position",
    "average_wait",
    "less_than_one_minute",
    "minutes",
];

/// The prompt that says the digit `d`.
pub(crate) fn digit_prompt(d: impl std::fmt::Display) -> String {
    format!("digit_{d}")
}

/// Prompts that say a number digit by digit ("1", "2" for 12): enough until number prompts
/// exist.
fn number_prompts(n: u64) -> Vec<String> {
    n.to_string().chars().map(digit_prompt).collect()
}

/// The IVR's findings as ordered key/values for the call record and the SR.
fn flatten_call_data(data: &ivr::CallData) -> Vec<(String, String)> {
    let mut out = data.fields.clone();
    for c in &data.choices {
        out.push((
            format!("choice.{}", c.menu),
            format!("{} {}", c.key, c.label),
        ));
    }
    if let Some(customer) = &data.customer {
        out.push(("customer_id".into(), customer.id.clone()));
    }
    out.push(("ivr_path".into(), data.path_text()));
    out
}
