//! The interpreter: one [`Session`] per call, driven by inputs, polled for outputs.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Pii;

use crate::hours::{HoursOverride, LocalTime};
use crate::script::{Cond, IdentifyMethod, IdentifySpec, Instr, Script};

/// Facts about the call, fixed when it starts.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// The calling number (ANI/CLI), used by `identify ani`.
    pub caller: Pii<String>,
    /// The number the caller dialled.
    pub dialled: String,
    /// Calendar time of the call in the administration's time zone.
    pub local_time: LocalTime,
    /// Deployment override of every `hours` schedule (e.g. always open for a demo).
    pub hours: HoursOverride,
}

/// A customer found by the engine's lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// The CRM's identifier.
    pub id: String,
    pub display_name: Pii<String>,
}

/// What happens to the call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Input {
    /// The call was answered: run the script from `start`.
    Start(Instant),
    /// The last [`Output::Play`] finished. Not reported for a playback stopped by
    /// [`Output::StopPlayback`] or replaced by a new `Play`: the driver drops such
    /// completions.
    PlaybackFinished(Instant),
    /// A DTMF key: `0`-`9`, `*`, `#`, `A`-`D`.
    Digit(char, Instant),
    /// [`Session::poll_timeout`]'s deadline (or any time): due timers fire.
    Timeout(Instant),
    /// The answer to [`Output::IdentifyCaller`]: `None` when nobody matched.
    IdentifyResult(Option<Customer>),
}

/// Why the IVR hung up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HangupReason {
    /// The script said `hangup`.
    ScriptEnd,
    /// The script said `hangup` after finding the service closed.
    OutOfHours,
    /// The script said `hangup` in a menu's failure action.
    TooManyInvalidInputs,
    /// A broken invariant of the validated script (never expected): the call is closed
    /// rather than left hanging.
    ScriptError,
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// Play the prompts in sequence, replacing anything playing, then report
    /// [`Input::PlaybackFinished`]. With `barge_in`, a key stops the playback.
    Play {
        prompts: Vec<String>,
        barge_in: bool,
    },
    /// Stop the current playback at once (a key arrived while a menu prompt played).
    StopPlayback,
    /// Look the caller up and answer with [`Input::IdentifyResult`].
    IdentifyCaller {
        method: IdentifyMethod,
        input: Pii<String>,
    },
    /// Put the call in `queue`. Terminal: the IVR is done with the call.
    Enqueue { queue: String, data: CallData },
    /// Play `beep`, record at most `max` into `mailbox`, then hang up. Terminal.
    RecordVoicemail {
        mailbox: String,
        beep: String,
        max: Duration,
        data: CallData,
    },
    /// Hang up (after the last playback finished). Terminal; the data is in [`Session::data`].
    Hangup { reason: HangupReason },
}

/// A menu choice the caller made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuChoice {
    pub menu: String,
    pub key: char,
    pub label: String,
}

/// One step of the path a call took through the script, for the service request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathStep {
    /// Entered a step or menu.
    Enter(String),
    /// Tested a schedule.
    Hours {
        name: String,
        open: bool,
    },
    /// A valid key in a menu.
    Chose {
        menu: String,
        key: char,
    },
    /// A key that is not a choice of the menu.
    Invalid {
        menu: String,
        key: char,
    },
    /// No key before the timeout.
    NoInput {
        menu: String,
    },
    /// Too many failures: the menu's failure action runs.
    GaveUp {
        menu: String,
    },
    Identified,
    /// Identification failed: the call goes on unidentified.
    Guest,
}

impl fmt::Display for PathStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathStep::Enter(b) => write!(f, "{b}"),
            PathStep::Hours { name, open: true } => write!(f, "{name}:open"),
            PathStep::Hours { name, open: false } => write!(f, "{name}:closed"),
            PathStep::Chose { menu, key } => write!(f, "{menu}:{key}"),
            PathStep::Invalid { menu, key } => write!(f, "{menu}:invalid({key})"),
            PathStep::NoInput { menu } => write!(f, "{menu}:no-input"),
            PathStep::GaveUp { menu } => write!(f, "{menu}:failure"),
            PathStep::Identified => f.write_str("identified"),
            PathStep::Guest => f.write_str("guest"),
        }
    }
}

/// What the IVR collected: it goes to the call record and the service request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallData {
    /// `set` fields in the order first set (service_area, category, request_type, ...).
    pub fields: Vec<(String, String)>,
    /// Every valid menu choice, in order, with its label.
    pub choices: Vec<MenuChoice>,
    /// The identified customer; `None` for a guest or when no identification ran.
    pub customer: Option<Customer>,
    /// The path taken.
    pub path: Vec<PathStep>,
}

impl CallData {
    /// The value of a `set` field.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn set(&mut self, key: &str, value: &str) {
        match self.fields.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value.to_string(),
            None => self.fields.push((key.to_string(), value.to_string())),
        }
    }

    /// The path as text, e.g. `start > main > main:1 > personnel`.
    pub fn path_text(&self) -> String {
        let steps: Vec<String> = self.path.iter().map(ToString::to_string).collect();
        steps.join(" > ")
    }
}

/// Misuse of a [`Session`] by its driver.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    #[error("the session has not been started")]
    NotStarted,
    #[error("the session was already started")]
    AlreadyStarted,
    #[error("the session is finished")]
    Finished,
    #[error("{0:?} is not a dtmf key")]
    InvalidDigit(char),
    #[error("no identification was requested")]
    UnexpectedIdentifyResult,
}

#[derive(Debug, Clone)]
enum State {
    NotStarted,
    /// Waiting for the end of a `play` (no barge-in); then run from `next`.
    Playing {
        next: usize,
    },
    /// In a menu; `deadline` is `None` while its prompt plays.
    Menu {
        menu: usize,
        failures: u8,
        deadline: Option<Instant>,
    },
    /// Collecting a PIN for the `identify` at `at`; `deadline` is `None` while prompting.
    Pin {
        at: usize,
        failures: u8,
        digits: String,
        deadline: Option<Instant>,
    },
    /// Waiting for the lookup of the `identify` at `at`.
    Identifying {
        at: usize,
        failures: u8,
    },
    /// Between instructions (only inside `run`).
    Running,
    Done,
}

/// One call's walk through a script.
#[derive(Debug)]
pub struct Session {
    script: Arc<Script>,
    ctx: CallContext,
    state: State,
    pc: usize,
    out: VecDeque<Output>,
    data: CallData,
    /// The reason a `hangup` reached now would carry.
    hangup_reason: HangupReason,
}

fn identify_spec(script: &Script, at: usize) -> Option<&IdentifySpec> {
    match script.code.get(at) {
        Some(Instr::Identify(spec)) => Some(spec),
        _ => None,
    }
}

impl Session {
    pub fn new(script: Arc<Script>, ctx: CallContext) -> Session {
        Session {
            script,
            ctx,
            state: State::NotStarted,
            pc: 0,
            out: VecDeque::new(),
            data: CallData::default(),
            hangup_reason: HangupReason::ScriptEnd,
        }
    }

    /// What was collected so far (complete once the session is finished).
    pub fn data(&self) -> &CallData {
        &self.data
    }

    /// The path taken so far.
    pub fn path(&self) -> &[PathStep] {
        &self.data.path
    }

    /// True after a terminal output (enqueue, voicemail, hangup).
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Feeds one input. Inputs that do not matter in the current state (a key during a
    /// prompt without barge-in, an early timeout, a stale playback end) are ignored.
    pub fn handle_input(&mut self, input: Input) -> Result<(), SessionError> {
        if let Input::Digit(c, _) = input
            && !matches!(c, '0'..='9' | '*' | '#' | 'A'..='D')
        {
            return Err(SessionError::InvalidDigit(c));
        }
        match (&self.state, input) {
            (State::Done, _) => Err(SessionError::Finished),
            (State::NotStarted, Input::Start(_)) => {
                let start = self.script.start;
                self.enter(start);
                self.run();
                Ok(())
            }
            (State::NotStarted, _) => Err(SessionError::NotStarted),
            (_, Input::Start(_)) => Err(SessionError::AlreadyStarted),
            (_, Input::PlaybackFinished(now)) => {
                self.playback_finished(now);
                Ok(())
            }
            (_, Input::Digit(key, now)) => {
                self.digit(key, now);
                Ok(())
            }
            (_, Input::Timeout(now)) => {
                self.timeout(now);
                Ok(())
            }
            (State::Identifying { .. }, Input::IdentifyResult(customer)) => {
                self.identify_result(customer);
                Ok(())
            }
            (_, Input::IdentifyResult(_)) => Err(SessionError::UnexpectedIdentifyResult),
        }
    }

    /// The next thing to do; `None` when there is nothing until an input or
    /// [`Session::poll_timeout`].
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When [`Input::Timeout`] is due: the digit timeout of a menu or a PIN entry.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Menu { deadline, .. } | State::Pin { deadline, .. } => deadline,
            _ => None,
        }
    }

    fn playback_finished(&mut self, now: Instant) {
        match &mut self.state {
            State::Playing { next } => {
                self.pc = *next;
                self.run();
            }
            State::Menu {
                menu,
                deadline: d @ None,
                ..
            } => {
                let timeout = self.script.menus[*menu].timeout;
                *d = now.checked_add(timeout);
            }
            State::Pin {
                at,
                deadline: d @ None,
                ..
            } => {
                let timeout =
                    identify_spec(&self.script, *at).map_or(Duration::ZERO, |s| s.timeout);
                *d = now.checked_add(timeout);
            }
            _ => {}
        }
    }

    fn digit(&mut self, key: char, now: Instant) {
        match &mut self.state {
            State::Menu {
                menu,
                failures,
                deadline,
            } => {
                let (menu, failures) = (*menu, *failures);
                if deadline.is_none() {
                    self.out.push_back(Output::StopPlayback);
                }
                self.menu_key(menu, failures, key);
            }
            State::Pin {
                at,
                failures,
                digits,
                deadline,
            } => {
                if deadline.is_none() {
                    self.out.push_back(Output::StopPlayback);
                }
                let (at, failures) = (*at, *failures);
                let max = identify_spec(&self.script, at).map_or(1, |s| usize::from(s.max_digits));
                match key {
                    '#' => {}
                    '0'..='9' => digits.push(key),
                    // `*` and A-D are not PIN digits: ignore them, but keep waiting.
                    _ => {}
                }
                if key == '#' || digits.len() >= max {
                    let digits = std::mem::take(digits);
                    self.submit_pin(at, failures, digits);
                } else {
                    let timeout =
                        identify_spec(&self.script, at).map_or(Duration::ZERO, |s| s.timeout);
                    *deadline = now.checked_add(timeout);
                }
            }
            // Keys during a prompt without barge-in, or while a lookup runs, are ignored.
            _ => {}
        }
    }

    fn timeout(&mut self, now: Instant) {
        match &mut self.state {
            State::Menu {
                menu,
                failures,
                deadline: Some(d),
            } if now >= *d => {
                let (menu, failures) = (*menu, *failures);
                let name = self.script.menus[menu].name.clone();
                self.data.path.push(PathStep::NoInput { menu: name });
                self.menu_failure(menu, failures + 1);
            }
            State::Pin {
                at,
                failures,
                digits,
                deadline: Some(d),
            } if now >= *d => {
                let (at, failures) = (*at, *failures);
                let digits = std::mem::take(digits);
                self.submit_pin(at, failures, digits);
            }
            _ => {}
        }
    }

    fn menu_key(&mut self, menu: usize, failures: u8, key: char) {
        let m = &self.script.menus[menu];
        match m.choices.iter().find(|c| c.key == key) {
            Some(choice) => {
                self.data.choices.push(MenuChoice {
                    menu: m.name.clone(),
                    key,
                    label: choice.label.clone(),
                });
                self.data.path.push(PathStep::Chose {
                    menu: m.name.clone(),
                    key,
                });
                self.hangup_reason = HangupReason::ScriptEnd;
                self.pc = choice.addr;
                self.run();
            }
            None => {
                self.data.path.push(PathStep::Invalid {
                    menu: m.name.clone(),
                    key,
                });
                self.menu_failure(menu, failures + 1);
            }
        }
    }

    /// A wrong or missing key: replay the menu, or at the last failure run its failure action
    /// (DOMAIN: "after the second failure").
    fn menu_failure(&mut self, menu: usize, failures: u8) {
        let script = Arc::clone(&self.script);
        let m = &script.menus[menu];
        if failures >= m.failures {
            self.data.path.push(PathStep::GaveUp {
                menu: m.name.clone(),
            });
            self.hangup_reason = HangupReason::TooManyInvalidInputs;
            match &m.failure {
                Some(r) => {
                    self.pc = r.start;
                    self.run();
                }
                None => self.finish_with_error(),
            }
        } else {
            let prompts = m.invalid.iter().chain(&m.prompts).cloned().collect();
            self.out.push_back(Output::Play {
                prompts,
                barge_in: true,
            });
            self.state = State::Menu {
                menu,
                failures,
                deadline: None,
            };
        }
    }

    fn submit_pin(&mut self, at: usize, failures: u8, digits: String) {
        if digits.is_empty() {
            // Nothing typed: a failure without a lookup.
            self.identify_result_at(at, failures, None);
        } else {
            self.out.push_back(Output::IdentifyCaller {
                method: IdentifyMethod::Pin,
                input: Pii::new(digits),
            });
            self.state = State::Identifying { at, failures };
        }
    }

    fn identify_result(&mut self, customer: Option<Customer>) {
        if let State::Identifying { at, failures } = self.state {
            self.identify_result_at(at, failures, customer);
        }
    }

    fn identify_result_at(&mut self, at: usize, failures: u8, customer: Option<Customer>) {
        let Some(spec) = identify_spec(&self.script, at).cloned() else {
            return self.finish_with_error();
        };
        if let Some(c) = customer {
            self.data.customer = Some(c);
            self.data.path.push(PathStep::Identified);
            self.pc = at + 1;
            return self.run();
        }
        let failures = failures + 1;
        // ANI: asking again would look up the same number, so one failure is final.
        if spec.method == IdentifyMethod::Ani || failures >= spec.failures {
            self.data.path.push(PathStep::Guest);
            self.pc = at + 1;
            return self.run();
        }
        let prompts = spec.invalid.iter().chain(&spec.prompts).cloned().collect();
        self.out.push_back(Output::Play {
            prompts,
            barge_in: true,
        });
        self.state = State::Pin {
            at,
            failures,
            digits: String::new(),
            deadline: None,
        };
    }

    fn enter(&mut self, block: usize) -> bool {
        match self.script.blocks.get(block) {
            Some(b) => {
                self.data.path.push(PathStep::Enter(b.name.clone()));
                self.pc = b.addr;
                true
            }
            None => false,
        }
    }

    fn holds(&mut self, cond: Cond) -> bool {
        let open = |h: usize| match self.ctx.hours {
            HoursOverride::AlwaysOpen => true,
            HoursOverride::AlwaysClosed => false,
            HoursOverride::FollowSchedule => self
                .script
                .schedules
                .get(h)
                .is_some_and(|s| s.is_open(self.ctx.local_time)),
        };
        match cond {
            Cond::Open(h) | Cond::Closed(h) => {
                let is_open = open(h);
                let name = self
                    .script
                    .schedules
                    .get(h)
                    .map_or_else(String::new, |s| s.name().to_string());
                self.data.path.push(PathStep::Hours {
                    name,
                    open: is_open,
                });
                if !is_open {
                    self.hangup_reason = HangupReason::OutOfHours;
                }
                is_open == matches!(cond, Cond::Open(_))
            }
            Cond::Identified => self.data.customer.is_some(),
            Cond::Guest => self.data.customer.is_none(),
        }
    }

    fn finish_with_error(&mut self) {
        self.out.push_back(Output::Hangup {
            reason: HangupReason::ScriptError,
        });
        self.state = State::Done;
    }

    /// Runs instructions from `pc` until one waits for the caller or ends the call.
    fn run(&mut self) {
        self.state = State::Running;
        let script = Arc::clone(&self.script);
        // The validator refuses loops that need no key from the caller, so one run passes each
        // block at most once; the budget only turns a broken invariant into a hangup.
        let mut budget = script.code.len() + script.blocks.len() + 1;
        loop {
            if budget == 0 {
                return self.finish_with_error();
            }
            budget -= 1;
            let Some(instr) = script.code.get(self.pc) else {
                return self.finish_with_error();
            };
            match instr {
                Instr::Play(prompts) => {
                    self.out.push_back(Output::Play {
                        prompts: prompts.clone(),
                        barge_in: false,
                    });
                    self.state = State::Playing { next: self.pc + 1 };
                    return;
                }
                Instr::Set { key, value } => {
                    self.data.set(key, value);
                    self.pc += 1;
                }
                Instr::Goto { block, .. } => {
                    if !self.enter(*block) {
                        return self.finish_with_error();
                    }
                }
                Instr::Unless { cond, to, .. } => {
                    self.pc = if self.holds(*cond) { self.pc + 1 } else { *to };
                }
                Instr::Menu(menu) => {
                    let Some(m) = script.menus.get(*menu) else {
                        return self.finish_with_error();
                    };
                    self.out.push_back(Output::Play {
                        prompts: m.prompts.clone(),
                        barge_in: true,
                    });
                    self.state = State::Menu {
                        menu: *menu,
                        failures: 0,
                        deadline: None,
                    };
                    return;
                }
                Instr::Identify(spec) => match spec.method {
                    IdentifyMethod::Ani => {
                        self.out.push_back(Output::IdentifyCaller {
                            method: IdentifyMethod::Ani,
                            input: self.ctx.caller.clone(),
                        });
                        self.state = State::Identifying {
                            at: self.pc,
                            failures: 0,
                        };
                        return;
                    }
                    IdentifyMethod::Pin => {
                        self.out.push_back(Output::Play {
                            prompts: spec.prompts.clone(),
                            barge_in: true,
                        });
                        self.state = State::Pin {
                            at: self.pc,
                            failures: 0,
                            digits: String::new(),
                            deadline: None,
                        };
                        return;
                    }
                },
                Instr::Queue(queue) => {
                    self.out.push_back(Output::Enqueue {
                        queue: queue.clone(),
                        data: self.data.clone(),
                    });
                    self.state = State::Done;
                    return;
                }
                Instr::Voicemail { mailbox, beep, max } => {
                    self.out.push_back(Output::RecordVoicemail {
                        mailbox: mailbox.clone(),
                        beep: beep.clone(),
                        max: *max,
                        data: self.data.clone(),
                    });
                    self.state = State::Done;
                    return;
                }
                Instr::Hangup => {
                    self.out.push_back(Output::Hangup {
                        reason: self.hangup_reason,
                    });
                    self.state = State::Done;
                    return;
                }
            }
        }
    }
}
