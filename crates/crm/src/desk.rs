//! The operators' desks: one live stream of events per operator, pushed as the engine's call
//! facts arrive. When a call is offered to an operator, the CTI handler builds the screen pop
//! (the call's SR, already open, the identified customer with their latest SRs, or the
//! customers reached at the caller's number) and publishes it on that operator's desk; the
//! answer and the end of the call follow. gRPC (`WatchDesk`) and HTTP (SSE,
//! `GET /api/v1/desk/events`) serve the same events.
//!
//! Bounds: a desk exists only while someone watches it (an authenticated operator or
//! supervisor), so the table holds at most one entry per watched login; each watcher has a
//! buffer of [`DESK_BUFFER`] events, past which it is told how many it missed
//! ([`DeskEventKind::Lagged`]) rather than holding memory for a stalled client. A stream ends
//! when its session expires or is logged out (checked every [`SESSION_CHECK`]), when the
//! client goes away, and when the CRM shuts down ([`Desks::close`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::phone::NumberingPlan;
use crm_store::{Customer, CustomerId, CustomerPop, CustomerStore, ServiceRequest, UserStore};
use dashmap::DashMap;
use tokio::sync::{broadcast, mpsc};

use crate::CrmError;
use crate::auth::{Access, Authenticator, Principal};
use crm_store::StaffRole;

/// Longest login (as `crm_store`'s users).
const MAX_LOGIN_LEN: usize = 64;
/// Events a watcher may fall behind by before it is told it missed some.
pub const DESK_BUFFER: usize = 64;
/// How often a stream checks that its session is still valid (by default).
pub const SESSION_CHECK: Duration = Duration::from_secs(30);
/// Latest SRs of an identified caller in the pop.
pub const POP_RECENT: u32 = 5;
/// Customers reached at an unidentified caller's number, offered to pick from.
pub const POP_CANDIDATES: u32 = 3;

/// One event of an operator's desk.
#[derive(Debug, Clone)]
pub struct DeskEvent {
    /// The engine's time of the fact (unix ms).
    pub at_unix_ms: i64,
    pub kind: DeskEventKind,
}

#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DeskEventKind {
    /// A call rings at the operator's phone.
    Offered(Box<ScreenPop>),
    /// The operator answered.
    Connected(DeskCall),
    /// The call ended; the SR holds its record.
    Ended(DeskCall),
    /// The watcher fell behind: this many events were dropped before the next one.
    Lagged { missed: u64 },
    /// The operator's state changed (as the engine's live view says).
    StateChanged(cti_proto::OperatorLive),
}

/// What the operator's screen shows as their phone rings.
#[derive(Debug, Clone)]
pub struct ScreenPop {
    pub call_id: String,
    /// The call's SR, already open, with what the IVR learned.
    pub service_request: ServiceRequest,
    pub waited_ms: Option<u64>,
    /// The caller the IVR identified, with their latest SRs.
    pub customer: Option<CustomerPop>,
    /// Not identified: the customers reached at the caller's number.
    pub candidates: Vec<Customer>,
}

#[derive(Debug, Clone)]
pub struct DeskCall {
    pub call_id: String,
    pub service_request: ServiceRequest,
}

/// Every watched desk, by operator login.
#[derive(Debug)]
pub struct Desks {
    desks: DashMap<String, broadcast::Sender<Arc<DeskEvent>>>,
    closed: AtomicBool,
    session_check: Duration,
}

/// A watcher of one desk; leaving takes the desk out of the table when it was the last.
#[derive(Debug)]
pub struct Watcher {
    desks: Arc<Desks>,
    operator: String,
    events: Option<broadcast::Receiver<Arc<DeskEvent>>>,
}

impl Watcher {
    /// The next event; `None` when the desk was closed (shutdown).
    pub async fn next(&mut self) -> Option<Arc<DeskEvent>> {
        let events = self.events.as_mut()?;
        match events.recv().await {
            Ok(event) => Some(event),
            Err(broadcast::error::RecvError::Lagged(missed)) => Some(Arc::new(DeskEvent {
                at_unix_ms: 0,
                kind: DeskEventKind::Lagged { missed },
            })),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        // Our receiver first, so that the count below no longer includes it.
        drop(self.events.take());
        self.desks
            .desks
            .remove_if(&self.operator, |_, sender| sender.receiver_count() == 0);
    }
}

impl Desks {
    /// Streams check their session every [`SESSION_CHECK`].
    pub fn new() -> Arc<Self> {
        Self::with_session_check(SESSION_CHECK)
    }

    /// Streams check their session every `every`.
    pub fn with_session_check(every: Duration) -> Arc<Self> {
        Arc::new(Self {
            desks: DashMap::new(),
            closed: AtomicBool::new(false),
            session_check: every,
        })
    }

    /// Starts watching `operator`'s desk; `None` once the CRM is shutting down.
    pub fn watch(self: &Arc<Self>, operator: &str) -> Option<Watcher> {
        if self.closed.load(Ordering::Acquire) {
            return None;
        }
        let events = self
            .desks
            .entry(operator.to_owned())
            .or_insert_with(|| broadcast::channel(DESK_BUFFER).0)
            .subscribe();
        Some(Watcher {
            desks: Arc::clone(self),
            operator: operator.to_owned(),
            events: Some(events),
        })
    }

    /// Whether anyone watches `operator`'s desk (building a pop is only worth it then).
    pub fn is_watched(&self, operator: &str) -> bool {
        self.desks
            .get(operator)
            .is_some_and(|sender| sender.receiver_count() > 0)
    }

    /// Publishes `event` on `operator`'s desk, if anyone watches it.
    pub fn publish(&self, operator: &str, event: DeskEvent) {
        if let Some(sender) = self.desks.get(operator) {
            // No receiver left: nothing to do (the last watcher's drop removes the entry).
            let _ = sender.send(Arc::new(event));
        }
    }

    /// How many desks are watched now.
    pub fn watched(&self) -> usize {
        self.desks.len()
    }

    /// Ends every stream and refuses new ones: the CRM is shutting down.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.desks.clear();
    }
}

/// Whose desk `principal` may watch when asking for `asked` (empty: their own): their own,
/// with a case role (the pop shows SRs and customers); anyone's, as a supervisor.
pub(crate) fn desk_to_watch(principal: &Principal, asked: &str) -> Result<String, CrmError> {
    principal.require(Access::CaseWork)?;
    if asked.len() > MAX_LOGIN_LEN {
        return Err(CrmError::InvalidArgument("operator is at most 64 bytes"));
    }
    if asked.is_empty() || asked == principal.login {
        return Ok(principal.login.clone());
    }
    if principal.has(StaffRole::Supervisor) {
        Ok(asked.to_owned())
    } else {
        Err(CrmError::Forbidden)
    }
}

/// Follows `operator`'s desk for the holder of `token` until the client goes away, the
/// session ends or the CRM shuts down: the events arrive on the returned channel. `None`
/// when the CRM is shutting down.
pub(crate) fn follow<S: UserStore>(
    desks: &Arc<Desks>,
    operator: &str,
    auth: Arc<Authenticator<S>>,
    token: String,
) -> Option<mpsc::Receiver<Arc<DeskEvent>>> {
    let mut watcher = desks.watch(operator)?;
    let (events, received) = mpsc::channel(16);
    let every = desks.session_check;
    tokio::spawn(async move {
        let mut check = tokio::time::interval(every);
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        check.tick().await;
        loop {
            tokio::select! {
                event = watcher.next() => {
                    let Some(event) = event else { break };
                    if events.send(event).await.is_err() {
                        break;
                    }
                }
                _ = check.tick() => {
                    if !matches!(auth.principal(&token).await, Ok(Some(_))) {
                        tracing::info!("desk stream ended: the session is over");
                        break;
                    }
                }
                () = events.closed() => break,
            }
        }
    });
    Some(received)
}

/// The screen pop of a call just offered: the SR, and the customer the IVR identified with
/// their latest SRs, or, for a caller nobody identified, the customers at their number.
/// Look-up failures leave the pop without them (logged): the pop itself must go out.
pub(crate) async fn screen_pop<S: CustomerStore>(
    store: &S,
    plan: &NumberingPlan,
    service_request: ServiceRequest,
    waited_ms: Option<u64>,
) -> ScreenPop {
    let call = &service_request.call;
    let identified = call
        .customer
        .as_ref()
        .and_then(|id| id.expose().parse::<i64>().ok())
        .map(CustomerId);
    let mut customer = None;
    let mut candidates = Vec::new();
    if let Some(id) = identified {
        match store.customer_pop(id, POP_RECENT).await {
            Ok(found) => customer = found,
            Err(e) => tracing::warn!(error = %e, "screen pop without the customer"),
        }
    } else {
        let number = call
            .caller_number_e164
            .as_ref()
            .unwrap_or(&call.caller_number)
            .expose()
            .to_owned();
        if !number.is_empty() {
            match store
                .customers_by_number(&number, plan, POP_CANDIDATES)
                .await
            {
                Ok(matches) => candidates = matches.customers,
                Err(e) => tracing::warn!(error = %e, "screen pop without candidates"),
            }
        }
    }
    ScreenPop {
        call_id: service_request.call_id.clone(),
        service_request,
        waited_ms,
        customer,
        candidates,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: i64) -> DeskEvent {
        DeskEvent {
            at_unix_ms: n,
            kind: DeskEventKind::Lagged { missed: 0 },
        }
    }

    #[tokio::test]
    async fn a_desk_lives_while_watched_and_only_its_watchers_see_its_events() {
        let desks = Desks::new();
        assert!(!desks.is_watched("1001"));
        desks.publish("1001", event(1)); // nobody watches: dropped, no desk created
        assert_eq!(desks.watched(), 0);

        let mut anna = desks.watch("1001").expect("open");
        let mut bruno = desks.watch("1002").expect("open");
        assert!(desks.is_watched("1001"));
        desks.publish("1001", event(2));
        assert_eq!(anna.next().await.expect("an event").at_unix_ms, 2);
        drop(anna);
        assert_eq!(desks.watched(), 1, "anna's desk left with its last watcher");
        desks.publish("1002", event(3));
        assert_eq!(bruno.next().await.expect("an event").at_unix_ms, 3);
    }

    #[tokio::test]
    async fn a_slow_watcher_is_told_what_it_missed_and_close_ends_every_stream() {
        let desks = Desks::new();
        let mut slow = desks.watch("1001").expect("open");
        for n in 0..(DESK_BUFFER as i64 + 10) {
            desks.publish("1001", event(n));
        }
        match &slow.next().await.expect("an event").kind {
            DeskEventKind::Lagged { missed } => assert_eq!(*missed, 10),
            other => panic!("expected lagged, got {other:?}"),
        }
        assert_eq!(slow.next().await.expect("the oldest kept").at_unix_ms, 10);
        desks.close();
        let mut left = 0;
        while slow.next().await.is_some() {
            left += 1;
        }
        assert_eq!(left, DESK_BUFFER - 1, "what was buffered, then the end");
        assert!(desks.watch("1001").is_none(), "no new streams after close");
    }
}
