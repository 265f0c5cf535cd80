//! Sans-IO IVR: script language, validation with line numbers, interpreter.
//!
//! Administrators write IVR trees as text (`ivr-scripts/*.ivr`, reference in
//! `docs/ivr-scripts.md`). [`Script::parse`] refuses a broken script with every error found,
//! each as `file:line: reason`; a valid one is shared by all calls through an `Arc`. Each call
//! gets a [`Session`]: feed it [`Input`]s, drain [`Session::poll_output`] until it returns
//! `None`, and feed [`Input::Timeout`] at [`Session::poll_timeout`]. The session never reads a clock or touches audio: time is an input and
//! playing, looking up and enqueueing are outputs for the driver.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::{Duration, Instant};
//! use ivr::{CallContext, HoursOverride, Input, LocalTime, Output, Script, Weekday};
//!
//! let text = "
//! menu start
//!   prompt main_menu
//!   1 \"Technology\" -> set service_area = technology; queue technology
//!   failure -> play goodbye; hangup
//! end
//! ";
//! let script = Arc::new(Script::parse("demo.ivr", text).expect("valid script"));
//! let mut call = ivr::Session::new(script, CallContext {
//!     caller: "+390551234567".to_string().into(),
//!     dialled: "800123456".into(),
//!     local_time: LocalTime::new(Weekday::Mon, 10, 0).unwrap(),
//!     hours: HoursOverride::FollowSchedule,
//! });
//!
//! let mut now = Instant::now(); // a driver's clock; tests use a fixed base instant
//! let mut inputs = vec![Input::Start(now)];
//! let queue = loop {
//!     for input in inputs.drain(..) {
//!         call.handle_input(input).expect("driver follows the protocol");
//!     }
//!     let Some(output) = call.poll_output() else {
//!         let deadline = call.poll_timeout().expect("a menu waits for a key");
//!         inputs.push(Input::Timeout(deadline));
//!         continue;
//!     };
//!     match output {
//!         // A real driver plays audio; here the caller presses 1 once the menu has played.
//!         Output::Play { .. } => {
//!             now += Duration::from_secs(3);
//!             inputs.push(Input::PlaybackFinished(now));
//!             inputs.push(Input::Digit('1', now));
//!         }
//!         Output::Enqueue { queue, data } => {
//!             assert_eq!(data.get("service_area"), Some("technology"));
//!             break queue;
//!         }
//!         other => panic!("unexpected {other:?}"),
//!     }
//! };
//! assert_eq!(queue, "technology");
//! ```
#![forbid(unsafe_code)]

mod diag;
mod hours;
mod script;
mod session;

pub use diag::{Diagnostic, Problem, ScriptErrors, Severity};
pub use hours::{
    ClosedDay, Date, DaylightSaving, HoursOverride, LocalTime, PublicHolidays, Schedule, Weekday,
};
pub use script::{
    DEFAULT_BEEP_PROMPT, DEFAULT_DIGIT_TIMEOUT, DEFAULT_FAILURES, DEFAULT_INVALID_PROMPT,
    DEFAULT_PIN_DIGITS, DEFAULT_VOICEMAIL_MAX, IdentifyMethod, Script,
};
pub use session::{
    CallContext, CallData, Customer, HangupReason, Input, MenuChoice, Output, PathStep, Session,
    SessionError,
};
