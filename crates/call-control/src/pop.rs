//! The screen pop on the operator's phone itself: even a plain SIP phone shows what the call
//! is while it rings. The INVITE's From display name names the call's SR and service area
//! (`SR-2026-000042 personnel`), and a `Call-Info` header links the SR's page on the desk
//! (`<https://crm.example.org/desk/sr/SR-2026-000042>;purpose=info`, RFC 3261 20.9), which
//! many phones offer to open.
//!
//! The SR's number comes from the CRM's answer to the call's arrival
//! ([`CallControl::handle_service_request`]); if that answer has not come by the time the call
//! is offered (the CRM is down, say), the phone shows the caller's number and the service
//! area, and no link. Everything put in a header is reduced to a small safe alphabet and
//! bounded, whatever the CRM or the script said.

use crate::CallControl;
use crate::call::Call;
use crate::events::CallRef;

/// Longest SR number taken from the CRM.
pub const MAX_SR_NUMBER_LEN: usize = 40;
/// Longest service area shown.
const MAX_AREA_LEN: usize = 32;

impl CallControl {
    /// The CRM opened SR `number` for `call`: the operator's phone will show it when the call
    /// is offered. Unknown calls (already ended) are ignored; a number that is empty or not
    /// made of letters, digits, `-`, `_`, `.` and `/` (at most [`MAX_SR_NUMBER_LEN`]) is not
    /// used.
    pub fn handle_service_request(&mut self, call: &CallRef, number: &str) {
        let Some(id) = self.by_ref.get(call) else {
            return;
        };
        let usable = !number.is_empty()
            && number.len() <= MAX_SR_NUMBER_LEN
            && number
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
        if let (true, Some(c)) = (usable, self.calls.get_mut(id)) {
            c.service_request = Some(number.to_owned());
        }
    }
}

/// The From display name of the INVITE to the operator: SR number and service area when
/// known, else the caller's number and the service area.
pub(crate) fn display_name(call: &Call) -> String {
    let area = call
        .ivr_data
        .iter()
        .rev()
        .find(|(k, _)| k == "service_area")
        .map(|(_, v)| safe(v, MAX_AREA_LEN))
        .filter(|a| !a.is_empty());
    let head = call
        .service_request
        .clone()
        .unwrap_or_else(|| safe(call.caller.best(), 32));
    match area {
        Some(area) => format!("{head} {area}"),
        None => head,
    }
}

/// The `Call-Info` value linking the SR's page, when both the desk's address and the SR are
/// known.
pub(crate) fn call_info(desk_url: Option<&str>, call: &Call) -> Option<String> {
    let base = desk_url?.trim_end_matches('/');
    let number = call.service_request.as_deref()?;
    desk_url_problem(base)
        .is_none()
        .then(|| format!("<{base}/desk/sr/{number}>;purpose=info"))
}

/// Why `url` cannot be the desk's address in a `Call-Info` header, if it cannot: it must be an
/// `http://` or `https://` address of at most 200 visible characters, none that would end or
/// split the header's `<...>` (`< > " \ , ;`).
pub fn desk_url_problem(url: &str) -> Option<&'static str> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        Some("is not an http:// or https:// address")
    } else if url.len() > 200
        || url
            .chars()
            .any(|c| !c.is_ascii_graphic() || "<>\"\\,;".contains(c))
    {
        Some("must be a plain address of at most 200 characters")
    } else {
        None
    }
}

/// `text` with anything outside letters, digits, space and `-_./+` dropped, cut to `max`
/// characters.
fn safe(text: &str, max: usize) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || " -_./+".contains(*c))
        .take(max)
        .collect::<String>()
        .trim()
        .to_owned()
}
