//! Key presses sent as SIP INFO (`application/dtmf-relay`, as Cisco and many PBXs and
//! carriers send them, and `application/dtmf`): they feed the IVR exactly as RFC 4733 packets
//! do. An INFO without a body (a keep-alive) is answered 200; one with another body, 415.

use std::time::Instant;

use sip_message::{Request, SipHeaders};
use sip_transaction::ServerTxId;

use crate::CallControl;
use crate::call::{Phase, Side};

/// The key of an INFO body, if it is one of the DTMF bodies.
pub(crate) fn digit(content_type: &str, body: &[u8]) -> Result<Option<char>, ()> {
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let text = std::str::from_utf8(body).map_err(|_| ())?;
    let signal = match media_type.as_str() {
        // "Signal=5\r\nDuration=160\r\n"
        "application/dtmf-relay" => text
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once('=')?;
                k.trim().eq_ignore_ascii_case("signal").then(|| v.trim())
            })
            .ok_or(())?,
        // "5"
        "application/dtmf" => text.trim(),
        _ => return Err(()),
    };
    Ok(key(signal))
}

/// `5`, `*`, `#`, `A`..`D`, or the RFC 4733 event numbers 10 (`*`), 11 (`#`), 12-15 (A-D):
/// the mapping of RTP key events ([`media::dtmf`]).
fn key(signal: &str) -> Option<char> {
    let event = match signal.parse::<u8>() {
        Ok(number) => number,
        Err(_) => {
            let mut chars = signal.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => media::dtmf::char_to_event(c)?,
                _ => return None,
            }
        }
    };
    media::dtmf::event_to_char(event)
}

impl CallControl {
    pub(crate) fn handle_info(&mut self, now: Instant, tx: ServerTxId, request: &Request) {
        if request.body.is_empty() {
            self.respond(now, tx, 200, "OK");
            return;
        }
        let content_type = request.content_type().unwrap_or("").to_owned();
        let Ok(key) = digit(&content_type, &request.body) else {
            if let Ok(mut r) = self.endpoint.response(tx, 415, "Unsupported Media Type") {
                r.headers
                    .push("Accept", "application/dtmf-relay, application/dtmf");
                self.respond_with(now, tx, r);
            }
            return;
        };
        self.respond(now, tx, 200, "OK");
        let Some(key) = key else {
            return;
        };
        // Only the caller's keys, and only while the IVR listens (as for RFC 4733).
        if let Some((id, Side::Caller)) = self.lookup(request)
            && self
                .calls
                .get(&id)
                .is_some_and(|c| matches!(c.phase, Phase::Ivr { .. }))
        {
            tracing::debug!(digit = %key, "dtmf (sip info)");
            self.ivr_input(now, id, ivr::Input::Digit(key, now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::digit;

    #[test]
    fn dtmf_bodies() {
        let relay = "application/dtmf-relay";
        assert_eq!(digit(relay, b"Signal=5\r\nDuration=160\r\n"), Ok(Some('5')));
        assert_eq!(digit(relay, b"Signal= #\r\nDuration=100"), Ok(Some('#')));
        assert_eq!(digit(relay, b"signal=10"), Ok(Some('*')));
        assert_eq!(digit(relay, b"Signal=d"), Ok(Some('D')));
        assert_eq!(digit(relay, b"Duration=160"), Err(()), "no signal");
        assert_eq!(digit(relay, b"Signal=x"), Ok(None), "not a key: ignored");
        assert_eq!(digit("application/dtmf", b"7\r\n"), Ok(Some('7')));
        assert_eq!(digit("application/dtmf", b"11"), Ok(Some('#')));
        assert_eq!(digit("text/plain", b"5"), Err(()));
        assert_eq!(digit(relay, &[0xff, 0xfe]), Err(()));
    }
}
