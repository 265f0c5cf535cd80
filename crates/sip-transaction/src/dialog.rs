//! Dialogs (RFC 3261 12): identity, route set, remote target and CSeq bookkeeping.
//!
//! A dialog is owned by the TU. The endpoint generates the tags (see
//! [`Endpoint::new_tag`](crate::Endpoint::new_tag) and [`Endpoint::response`](crate::Endpoint::response)).

use sip_message::{Headers, Method, NameAddr, ParseError, Request, Response, SipHeaders, Uri};

use crate::util::{get_param, header_is, split_list, tag_of};

/// Why a dialog could not be created or a request does not fit it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DialogError {
    #[error("response has no to tag")]
    MissingToTag,
    #[error("no contact to use as remote target")]
    MissingContact,
    #[error("response status {0} does not create a dialog")]
    NotDialogCreating(u16),
    #[error("request does not belong to this dialog")]
    NotInDialog,
    /// RFC 3261 12.2.2: answer with 500.
    #[error("cseq {got} is not above the last remote cseq {last}")]
    CSeqOutOfOrder { got: u32, last: u32 },
    #[error("malformed message: {0}")]
    Message(#[from] ParseError),
}

/// Call-ID and tags (RFC 3261 12). Tags missing in RFC 2543 peers are empty strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    pub call_id: String,
    pub local_tag: String,
    pub remote_tag: String,
}

impl DialogId {
    /// The dialog a received request belongs to (RFC 3261 12.2.2): To tag is ours.
    pub fn of_incoming_request(request: &Request) -> Result<Self, ParseError> {
        Ok(Self {
            call_id: request.call_id()?.to_owned(),
            local_tag: tag_or_empty(&request.to_hdr()?),
            remote_tag: tag_or_empty(&request.from_hdr()?),
        })
    }

    /// The dialog a response to our request belongs to: From tag is ours.
    pub fn of_response(response: &Response) -> Result<Self, ParseError> {
        Ok(Self {
            call_id: response.call_id()?.to_owned(),
            local_tag: tag_or_empty(&response.from_hdr()?),
            remote_tag: tag_or_empty(&response.to_hdr()?),
        })
    }
}

fn tag_or_empty(addr: &NameAddr) -> String {
    tag_of(addr).unwrap_or_default().to_owned()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    /// Created by a provisional response with a To tag.
    Early,
    Confirmed,
}

/// Dialog state (RFC 3261 12.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    id: DialogId,
    state: DialogState,
    /// Empty for a UAS dialog until our first request (RFC 3261 12.1.1).
    local_seq: Option<u32>,
    remote_seq: Option<u32>,
    local_uri: NameAddr,
    remote_uri: NameAddr,
    remote_target: Uri,
    route_set: Vec<NameAddr>,
    local_contact: Option<NameAddr>,
}

impl Dialog {
    /// UAS side (RFC 3261 12.1.1): from the request we received and the response we sent
    /// (101-299, with our To tag, e.g. from [`Endpoint::response`](crate::Endpoint::response)).
    pub fn uas(request: &Request, response: &Response) -> Result<Self, DialogError> {
        if !(101..=299).contains(&response.status) {
            return Err(DialogError::NotDialogCreating(response.status));
        }
        let local_uri = response.to_hdr()?;
        let local_tag = tag_of(&local_uri)
            .ok_or(DialogError::MissingToTag)?
            .to_owned();
        let remote_uri = request.from_hdr()?;
        let remote_target = first_contact(request)?
            .ok_or(DialogError::MissingContact)?
            .uri;
        Ok(Self {
            id: DialogId {
                call_id: request.call_id()?.to_owned(),
                local_tag,
                remote_tag: tag_or_empty(&remote_uri),
            },
            state: state_for(response.status),
            local_seq: None,
            remote_seq: Some(request.cseq()?.seq),
            local_uri,
            remote_uri,
            remote_target,
            // Record-Route in order (12.1.1).
            route_set: record_route(&request.headers)?,
            local_contact: first_contact(response)?,
        })
    }

    /// UAC side (RFC 3261 12.1.2): from the request as sent
    /// ([`Endpoint::client_request`](crate::Endpoint::client_request)) and a 101-299 response
    /// with a To tag.
    pub fn uac(request: &Request, response: &Response) -> Result<Self, DialogError> {
        if !(101..=299).contains(&response.status) {
            return Err(DialogError::NotDialogCreating(response.status));
        }
        let remote_uri = response.to_hdr()?;
        let remote_tag = tag_of(&remote_uri)
            .ok_or(DialogError::MissingToTag)?
            .to_owned();
        let local_uri = request.from_hdr()?;
        let remote_target = match first_contact(response)? {
            Some(contact) => contact.uri,
            // An early dialog from a provisional without Contact: keep the Request-URI until
            // the 2xx brings the target.
            None if response.status < 200 => request.uri.clone(),
            None => return Err(DialogError::MissingContact),
        };
        let mut route_set = record_route(&response.headers)?;
        route_set.reverse(); // 12.1.2: reverse order
        Ok(Self {
            id: DialogId {
                call_id: request.call_id()?.to_owned(),
                local_tag: tag_or_empty(&local_uri),
                remote_tag,
            },
            state: state_for(response.status),
            local_seq: Some(request.cseq()?.seq),
            remote_seq: None,
            local_uri,
            remote_uri,
            remote_target,
            route_set,
            local_contact: first_contact(request)?,
        })
    }

    pub fn id(&self) -> &DialogId {
        &self.id
    }

    pub fn state(&self) -> DialogState {
        self.state
    }

    pub fn remote_target(&self) -> &Uri {
        &self.remote_target
    }

    pub fn route_set(&self) -> &[NameAddr] {
        &self.route_set
    }

    pub fn local_seq(&self) -> Option<u32> {
        self.local_seq
    }

    pub fn remote_seq(&self) -> Option<u32> {
        self.remote_seq
    }

    /// Set the Contact put in target-refresh requests (INVITE, UPDATE, ...).
    pub fn set_local_contact(&mut self, contact: NameAddr) {
        self.local_contact = Some(contact);
    }

    /// Does a received request belong to this dialog (Call-ID, To tag ours, From tag theirs)?
    pub fn matches_request(&self, request: &Request) -> bool {
        DialogId::of_incoming_request(request).is_ok_and(|id| id == self.id)
    }

    /// Does a response to one of our requests belong to this dialog?
    pub fn matches_response(&self, response: &Response) -> bool {
        DialogId::of_response(response).is_ok_and(|id| id == self.id)
    }

    /// A request received in this dialog (RFC 3261 12.2.2): CSeq ordering and target refresh.
    /// On [`DialogError::CSeqOutOfOrder`] answer 500; on `NotInDialog` 481.
    pub fn handle_request(&mut self, request: &Request) -> Result<(), DialogError> {
        if !self.matches_request(request) {
            return Err(DialogError::NotInDialog);
        }
        let seq = request.cseq()?.seq;
        // ACK and CANCEL reuse the INVITE's number.
        if !matches!(request.method, Method::Ack | Method::Cancel) {
            if let Some(last) = self.remote_seq
                && seq <= last
            {
                return Err(DialogError::CSeqOutOfOrder { got: seq, last });
            }
            self.remote_seq = Some(seq);
        }
        if is_target_refresh(&request.method)
            && let Some(contact) = first_contact(request)?
        {
            self.remote_target = contact.uri;
        }
        Ok(())
    }

    /// A response to a request we sent in this dialog: a 2xx confirms an early dialog
    /// (recomputing the route set, 12.1.2) and a 2xx to a target refresh updates the remote
    /// target (12.2.1.2).
    pub fn handle_response(&mut self, response: &Response) -> Result<(), DialogError> {
        if !self.matches_response(response) {
            return Err(DialogError::NotInDialog);
        }
        if !(200..=299).contains(&response.status) {
            return Ok(());
        }
        let method = response.cseq()?.method;
        if self.state == DialogState::Early {
            self.state = DialogState::Confirmed;
            let mut route_set = record_route(&response.headers)?;
            route_set.reverse();
            self.route_set = route_set;
        }
        if is_target_refresh(&method)
            && let Some(contact) = first_contact(response)?
        {
            self.remote_target = contact.uri;
        }
        Ok(())
    }

    /// A new in-dialog request (RFC 3261 12.2.1.1): next CSeq, tags, Call-ID, route set and
    /// remote target. Send it with [`Endpoint::send_request`](crate::Endpoint::send_request),
    /// which adds the Via.
    pub fn new_request(&mut self, method: Method) -> Request {
        let seq = match self.local_seq {
            Some(seq) => seq.wrapping_add(1),
            // 8.1.1.5: any value below 2^31.
            None => 1,
        };
        self.local_seq = Some(seq);
        let mut request = self.request_skeleton(method.clone(), seq);
        if is_target_refresh(&method)
            && let Some(contact) = &self.local_contact
        {
            request.headers.push("Contact", contact.to_string());
        }
        request
    }

    /// The ACK for a 2xx to `invite` (RFC 3261 13.2.2.4): the INVITE's CSeq number, its
    /// credentials, the dialog's route set. Send with
    /// [`Endpoint::send_ack_2xx`](crate::Endpoint::send_ack_2xx).
    pub fn ack_for_2xx(&self, invite: &Request) -> Result<Request, DialogError> {
        let seq = invite.cseq()?.seq;
        let mut ack = self.request_skeleton(Method::Ack, seq);
        for h in invite.headers.0.iter().filter(|h| {
            header_is(h, "Authorization", None) || header_is(h, "Proxy-Authorization", None)
        }) {
            ack.headers.push(h.name.clone(), h.value.clone());
        }
        Ok(ack)
    }

    fn request_skeleton(&self, method: Method, seq: u32) -> Request {
        let mut headers = Headers::default();
        // 12.2.1.1: loose routing when the first route has `lr`, strict routing otherwise.
        let uri = match self.route_set.first() {
            None => self.remote_target.clone(),
            Some(first) if is_loose(first) => {
                for route in &self.route_set {
                    headers.push("Route", route.to_string());
                }
                self.remote_target.clone()
            }
            Some(first) => {
                for route in &self.route_set[1..] {
                    headers.push("Route", route.to_string());
                }
                headers.push("Route", format!("<{}>", self.remote_target));
                first.uri.clone()
            }
        };
        headers.push("Max-Forwards", "70");
        headers.push("From", self.local_uri.to_string());
        headers.push("To", self.remote_uri.to_string());
        headers.push("Call-ID", self.id.call_id.clone());
        headers.push("CSeq", format!("{seq} {method}"));
        Request {
            method,
            uri,
            headers,
            body: Vec::new(),
        }
    }
}

fn state_for(status: u16) -> DialogState {
    if status < 200 {
        DialogState::Early
    } else {
        DialogState::Confirmed
    }
}

fn is_target_refresh(method: &Method) -> bool {
    matches!(
        method,
        Method::Invite | Method::Update | Method::Subscribe | Method::Notify | Method::Refer
    )
}

fn is_loose(route: &NameAddr) -> bool {
    match &route.uri {
        Uri::Sip(uri) => get_param(&uri.params, "lr").is_some(),
        Uri::Other { .. } => false,
    }
}

fn first_contact(msg: &impl SipHeaders) -> Result<Option<NameAddr>, ParseError> {
    Ok(msg.contacts()?.and_then(|c| c.into_iter().next()))
}

/// Record-Route values in wire order, lists split.
fn record_route(headers: &Headers) -> Result<Vec<NameAddr>, ParseError> {
    let mut out = Vec::new();
    for h in headers
        .0
        .iter()
        .filter(|h| header_is(h, "Record-Route", None))
    {
        for value in split_list(&h.value) {
            out.push(value.parse()?);
        }
    }
    Ok(out)
}
