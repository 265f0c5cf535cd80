//! The ACD live, as the engine publishes it (`PublishLiveView`): the latest view for the
//! supervisors (gRPC `WatchLiveView`, SSE `GET /api/v1/supervisor/live`), and each operator's
//! state changes for their desk.
//!
//! The board keeps one view, the latest; a watcher is sent it at once and then every new one
//! (a slow watcher skips to the newest: views replace each other). A board the engine stopped
//! feeding for [`STALE_AFTER`] says so (`stale`), so a wallboard never shows yesterday's
//! calm as today's.

pub mod history;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cti_proto::{LiveView, OperatorLive};
use tokio::sync::{mpsc, watch};

use crate::CrmError;
use crate::auth::Authenticator;

/// The service-level thresholds of DOMAIN.md (docs/domain.md) the wallboard measures
/// against: SLA.C.2 (answered within 30 s: at least 90 %, none over 90 s) and SLA.C.3
/// (abandoned while waiting: at most 5 %). The engine's `meets_targets` is its own verdict,
/// with the thresholds its ACD is configured with; these are what the page draws.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ServiceTargets {
    pub answer_within_ms: u64,
    pub on_time_share: f64,
    pub never_over_ms: u64,
    pub max_abandoned_share: f64,
}

/// DOMAIN.md's thresholds.
pub const DOMAIN_TARGETS: ServiceTargets = ServiceTargets {
    answer_within_ms: 30_000,
    on_time_share: 0.90,
    never_over_ms: 90_000,
    max_abandoned_share: 0.05,
};

/// A view older than this is stale: the engine is down or cut off.
pub const STALE_AFTER: Duration = Duration::from_secs(5);

/// Limits on a view, past which it is refused (INVALID_ARGUMENT).
pub mod limits {
    pub const QUEUES: usize = 1_000;
    pub const OPERATORS: usize = 20_000;
    pub const WAITING_LISTED: usize = 100;
    pub const QUEUES_PER_OPERATOR: usize = 64;
    pub const TEXT: usize = 256;
}

/// The latest view and when it came.
#[derive(Debug, Clone)]
pub struct Latest {
    pub view: Arc<LiveView>,
    pub received: Instant,
}

/// What a watcher is sent.
#[derive(Debug, Clone)]
pub struct LiveUpdate {
    pub view: Arc<LiveView>,
    pub stale: bool,
}

#[derive(Debug)]
pub struct LiveBoard {
    latest: watch::Sender<Option<Latest>>,
    /// Operator states of the latest view, to tell desks what changed.
    states: Mutex<HashMap<String, (String, Option<String>)>>,
    closed: watch::Sender<bool>,
    session_check: Duration,
    /// The last hours, a sample a minute.
    history: Mutex<history::History>,
}

impl LiveBoard {
    pub fn new(session_check: Duration) -> Arc<Self> {
        Arc::new(Self {
            latest: watch::channel(None).0,
            states: Mutex::new(HashMap::new()),
            closed: watch::channel(false).0,
            session_check,
            history: Mutex::new(history::History::new()),
        })
    }

    /// Takes a new view from the engine; returns the operators whose state changed since the
    /// last one (all of them for the first view).
    pub fn publish(&self, view: LiveView) -> Result<Vec<OperatorLive>, CrmError> {
        check(&view)?;
        let changed = {
            let mut states = self.states.lock().unwrap_or_else(|e| e.into_inner());
            let mut changed = Vec::new();
            let mut next = HashMap::with_capacity(view.operators.len());
            for op in &view.operators {
                let state = (op.state.clone(), op.reason.clone());
                if states.get(&op.operator) != Some(&state) {
                    changed.push(op.clone());
                }
                next.insert(op.operator.clone(), state);
            }
            *states = next;
            changed
        };
        self.history
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(&view);
        self.latest.send_replace(Some(Latest {
            view: Arc::new(view),
            received: Instant::now(),
        }));
        Ok(changed)
    }

    /// The samples of the last `minutes` minutes (at most [`history::SAMPLES`]).
    pub fn history(&self, minutes: usize) -> Vec<history::Sample> {
        self.history
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .last(minutes.min(history::SAMPLES))
    }

    /// The latest view, if the engine sent one.
    pub fn latest(&self) -> Option<Latest> {
        self.latest.borrow().clone()
    }

    /// Ends every watcher and refuses new ones: the CRM is shutting down.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Follows the board for the holder of `token` (a supervisor) until the client goes away,
    /// the session ends or the CRM shuts down. `None` when shutting down.
    pub(crate) fn follow<S: crm_store::UserStore>(
        self: &Arc<Self>,
        auth: Arc<Authenticator<S>>,
        token: String,
    ) -> Option<mpsc::Receiver<LiveUpdate>> {
        if *self.closed.borrow() {
            return None;
        }
        let mut views = self.latest.subscribe();
        let mut closed = self.closed.subscribe();
        let every = self.session_check;
        let (updates, received) = mpsc::channel(4);
        tokio::spawn(async move {
            let mut check = tokio::time::interval(every);
            check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            check.tick().await;
            // The current view at once.
            views.mark_changed();
            let mut stale_sent = false;
            loop {
                // When the latest view turns stale, if it has not yet.
                let stale_at = views
                    .borrow()
                    .as_ref()
                    .map(|l| l.received + STALE_AFTER)
                    .filter(|_| !stale_sent);
                let stale_sleep = async {
                    match stale_at {
                        Some(at) => tokio::time::sleep_until(at.into()).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    changed = views.changed() => {
                        if changed.is_err() {
                            break;
                        }
                        let latest = views.borrow_and_update().clone();
                        if let Some(latest) = latest {
                            stale_sent = false;
                            let update = LiveUpdate {
                                stale: latest.received.elapsed() >= STALE_AFTER,
                                view: latest.view,
                            };
                            if updates.send(update).await.is_err() {
                                break;
                            }
                        }
                    }
                    () = stale_sleep => {
                        stale_sent = true;
                        let latest = views.borrow().clone();
                        if let Some(latest) = latest
                            && updates.send(LiveUpdate { view: latest.view, stale: true }).await.is_err()
                        {
                            break;
                        }
                    }
                    _ = check.tick() => {
                        if !matches!(auth.principal(&token).await, Ok(Some(_))) {
                            break;
                        }
                    }
                    // The guard `wait_for` answers is not `Send`: drop it inside.
                    () = async { let _ = closed.wait_for(|c| *c).await; } => break,
                    () = updates.closed() => break,
                }
            }
        });
        Some(received)
    }
}

fn check(view: &LiveView) -> Result<(), CrmError> {
    use limits::*;
    let text = |s: &str, what: &'static str| {
        if s.len() > TEXT {
            Err(CrmError::InvalidArgument(what))
        } else {
            Ok(())
        }
    };
    text(&view.node, "node is at most 256 bytes")?;
    if view.queues.len() > QUEUES {
        return Err(CrmError::InvalidArgument("at most 1000 queues"));
    }
    if view.operators.len() > OPERATORS {
        return Err(CrmError::InvalidArgument("at most 20000 operators"));
    }
    for q in &view.queues {
        text(&q.name, "queue names are at most 256 bytes")?;
        text(&q.strategy, "strategy is at most 256 bytes")?;
        if q.waiting.len() > WAITING_LISTED {
            return Err(CrmError::InvalidArgument(
                "at most 100 waiting callers listed per queue",
            ));
        }
    }
    for o in &view.operators {
        text(&o.operator, "operator ids are at most 256 bytes")?;
        text(&o.state, "state is at most 256 bytes")?;
        text(
            o.reason.as_deref().unwrap_or(""),
            "reason is at most 256 bytes",
        )?;
        if o.queues.len() > QUEUES_PER_OPERATOR {
            return Err(CrmError::InvalidArgument("at most 64 queues per operator"));
        }
        for q in &o.queues {
            text(q, "queue names are at most 256 bytes")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(id: &str, state: &str) -> OperatorLive {
        OperatorLive {
            operator: id.into(),
            state: state.into(),
            ..Default::default()
        }
    }

    #[test]
    fn only_operators_whose_state_changed_are_reported() {
        let board = LiveBoard::new(Duration::from_secs(30));
        let view = |ops: Vec<OperatorLive>| LiveView {
            node: "n".into(),
            operators: ops,
            ..Default::default()
        };
        let first = board
            .publish(view(vec![op("1001", "ready"), op("1002", "logged_out")]))
            .expect("valid");
        assert_eq!(first.len(), 2, "the first view tells everyone");
        let next = board
            .publish(view(vec![op("1001", "on_call"), op("1002", "logged_out")]))
            .expect("valid");
        let ids: Vec<&str> = next.iter().map(|o| o.operator.as_str()).collect();
        assert_eq!(ids, ["1001"]);
        let mut paused = op("1002", "not_ready");
        paused.reason = Some("break".into());
        let next = board
            .publish(view(vec![op("1001", "on_call"), paused]))
            .expect("valid");
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].reason.as_deref(), Some("break"));
    }

    #[test]
    fn oversized_views_are_refused() {
        let board = LiveBoard::new(Duration::from_secs(30));
        let huge = LiveView {
            node: "x".repeat(300),
            ..Default::default()
        };
        assert!(board.publish(huge).is_err());
        assert!(board.latest().is_none(), "nothing of it was kept");
    }
}
