//! The driver's part of the browser softphone: the page's offer (through the CRM's command
//! link) attaches a softphone to the operator in the core and opens its WebRTC leg, whose SDP
//! answer goes back to the page. Everything else (ringing, answering, the bridge, the end) is
//! the core's, with the leg's media events.

use std::time::Instant;

use call_control::{CallControl, CommandError};

use crate::media_driver::MediaManager;

/// Opens `operator`'s softphone session for the page's `offer`: the SDP answer, or why not
/// (an unknown operator, a call on the current session, an offer the leg refuses).
pub(crate) fn open(
    core: &mut CallControl,
    media: &mut MediaManager,
    now: Instant,
    operator: &str,
    offer: &str,
) -> Result<String, CommandError> {
    let leg = core.attach_browser(now, operator)?;
    match media.open_webrtc(leg, offer) {
        Ok(answer) => Ok(answer),
        Err(why) => {
            core.detach_browser(now, operator);
            Err(CommandError::Refused(why))
        }
    }
}
