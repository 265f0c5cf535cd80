//! Limits that protect the service ([`crate::Limits`]): admission control on new calls, the
//! longest a call may last, and calls whose RTP has stopped.
//!
//! Admission is measured by the core itself: the calls it holds and a token bucket of new
//! calls per second (a one-second burst). A caller beyond either gets `503 Service
//! Unavailable` with `Retry-After`, before any port or record is spent on the call; operators'
//! feature codes are not counted. A call that reaches `max_call_duration`, or whose phone
//! stopped sending RTP for `rtp_timeout` (the media driver reports
//! [`MediaEvent::Inactive`](crate::MediaEvent::Inactive)), is hung up on both sides and
//! recorded with end reason `max_duration` or `media_timeout`.

use std::time::Instant;

use common::call::EndReason;
use sip_transaction::ServerTxId;
use tracing::{debug, info};

use crate::CallControl;
use crate::call::CallTimer;

/// What a refused caller is told to wait before trying again, in seconds.
pub const RETRY_AFTER_SECS: u32 = 5;

impl CallControl {
    /// Whether a new call may be accepted now; spends one token of the rate if so.
    pub(crate) fn admit(&mut self, now: Instant) -> Result<(), &'static str> {
        let limits = &self.config.limits;
        if self.calls.len() >= limits.max_calls {
            return Err("calls in progress at the limit");
        }
        if limits.max_call_rate == 0 {
            return Ok(());
        }
        let rate = f64::from(limits.max_call_rate);
        let elapsed = now
            .saturating_duration_since(self.admission_filled)
            .as_secs_f64();
        self.admission_filled = now;
        self.admission_tokens = (self.admission_tokens + elapsed * rate).min(rate);
        if self.admission_tokens < 1.0 {
            return Err("new calls per second at the limit");
        }
        self.admission_tokens -= 1.0;
        Ok(())
    }

    /// Answers an INVITE refused by admission control.
    pub(crate) fn refuse_overload(&mut self, now: Instant, tx: ServerTxId, why: &'static str) {
        self.stats.calls_rejected += 1;
        self.stats.calls_refused_overload += 1;
        debug!(why, "call refused by admission control");
        if self.stats.calls_refused_overload.is_power_of_two() {
            info!(
                refused = self.stats.calls_refused_overload,
                why, "overload: new calls refused with 503"
            );
        }
        if let Ok(mut r) = self.endpoint.response(tx, 503, "Service Unavailable") {
            r.headers.push("Retry-After", RETRY_AFTER_SECS.to_string());
            self.respond_with(now, tx, r);
        }
    }

    /// Arms the call's longest-duration deadline.
    pub(crate) fn arm_max_duration(&mut self, now: Instant, id: acd::CallId) {
        let at = now + self.config.limits.max_call_duration;
        if let Some(call) = self.calls.get_mut(&id) {
            call.ends_by = at;
        }
        self.arm(at, id, CallTimer::MaxDuration);
    }

    /// A call reached its longest duration.
    pub(crate) fn max_duration_reached(&mut self, now: Instant, id: acd::CallId) {
        if let Some(call) = self.calls.get(&id) {
            info!(call = %call.call_ref, "longest call duration reached: hanging up");
        }
        self.stats.calls_ended_by_limits += 1;
        self.end_call(now, id, EndReason::MaxDuration, None);
    }

    /// A leg of the call sent no RTP for the configured time.
    pub(crate) fn media_inactive(&mut self, now: Instant, id: acd::CallId) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.phase.is_unanswered() || matches!(call.phase, crate::call::Phase::AwaitingAck) {
            // Before our answer is acknowledged a phone owes us no RTP (an answer never
            // ACKed ends at Timer H).
            return;
        }
        info!(call = %call.call_ref, "no rtp from a phone for the configured time: hanging up");
        self.stats.calls_ended_by_limits += 1;
        self.end_call(now, id, EndReason::MediaTimeout, None);
    }
}
