//! A simulated driver for IVR sessions: virtual time, no audio.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use ivr::{CallContext, HoursOverride, Input, LocalTime, Output, Script, Session, Weekday};

pub const TOLL_FREE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../ivr-scripts/toll-free.ivr"
);

pub fn toll_free() -> Arc<Script> {
    let text = std::fs::read_to_string(TOLL_FREE).expect("the shipped script is readable");
    Arc::new(Script::parse("toll-free.ivr", &text).unwrap_or_else(|e| panic!("{e}")))
}

pub fn context(weekday: Weekday, hour: u8, minute: u8, hours: HoursOverride) -> CallContext {
    CallContext {
        caller: "+390551234567".to_string().into(),
        dialled: "800100200".into(),
        local_time: LocalTime::new(weekday, hour, minute).expect("valid test time"),
        hours,
    }
}

/// Tuesday 10:00, inside office hours.
pub fn office_hours() -> CallContext {
    context(Weekday::Tue, 10, 0, HoursOverride::FollowSchedule)
}

/// One call in simulated time.
pub struct Call {
    pub session: Session,
    pub now: Instant,
    /// The session's deadline after the last drain.
    pub deadline: Option<Instant>,
    /// Answer every caller look-up at once with "nobody" (a guest), as a driver without a
    /// customer directory does, and leave the look-ups out of the outputs.
    pub guest: bool,
    /// Look-ups answered that way.
    pub lookups: usize,
}

impl Call {
    pub fn new(script: Arc<Script>, ctx: CallContext) -> Call {
        Call {
            session: Session::new(script, ctx),
            now: Instant::now(),
            deadline: None,
            guest: false,
            lookups: 0,
        }
    }

    /// A call whose caller nobody identifies (see [`Call::guest`]).
    pub fn guest(script: Arc<Script>, ctx: CallContext) -> Call {
        Call {
            guest: true,
            ..Call::new(script, ctx)
        }
    }

    /// Feeds one input and returns every output up to (not including) the `Timeout`.
    pub fn input(&mut self, input: Input) -> Vec<Output> {
        self.session
            .handle_input(input)
            .expect("the test drives the session correctly");
        self.drain()
    }

    pub fn drain(&mut self) -> Vec<Output> {
        let mut out = Vec::new();
        while let Some(o) = self.session.poll_output() {
            if self.guest && matches!(o, Output::IdentifyCaller { .. }) {
                self.lookups += 1;
                self.session
                    .handle_input(Input::IdentifyResult(None))
                    .expect("a look-up was asked for");
                continue;
            }
            out.push(o);
        }
        self.deadline = self.session.poll_timeout();
        out
    }

    pub fn start(&mut self) -> Vec<Output> {
        self.input(Input::Start(self.now))
    }

    /// The current playback takes `secs` seconds and ends.
    pub fn played(&mut self, secs: u64) -> Vec<Output> {
        self.now += Duration::from_secs(secs);
        self.input(Input::PlaybackFinished(self.now))
    }

    pub fn press(&mut self, key: char) -> Vec<Output> {
        self.now += Duration::from_millis(300);
        self.input(Input::Digit(key, self.now))
    }

    /// Silence until the pending deadline fires.
    pub fn wait_for_timeout(&mut self) -> Vec<Output> {
        let d = self.deadline.expect("a deadline is pending");
        self.now = d;
        self.input(Input::Timeout(self.now))
    }
}

pub fn play(prompts: &[&str], barge_in: bool) -> Output {
    Output::Play {
        prompts: prompts.iter().map(|p| p.to_string()).collect(),
        barge_in,
    }
}
