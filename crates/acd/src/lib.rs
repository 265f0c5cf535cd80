//! Sans-IO automatic call distribution: FIFO queues, longest-idle agent selection.
//!
//! Rules (seed 001, section 5.4, in `DOMAIN.md`): calls are served in arrival order; a call
//! goes to a free agent, and when several are free to the one idle the longest; no agent gets
//! two offers at once; no call is lost. Agents may serve several queues: when one frees up, it
//! takes the call that has waited longest among its queues. The choice itself is the pure
//! function [`assign`]; [`Acd`] keeps the state around it, the ring timeouts and the position
//! announcements. Feed [`Input`]s with [`Acd::handle_input`], drain [`Acd::poll_output`] until it
//! returns `None`, and call again with [`Input::Timeout`] at [`Acd::poll_timeout`]. Time is an
//! input: the ACD never reads a clock.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use acd::{Acd, AcdConfig, AgentId, CallId, Input, Output, QueueConfig};
//!
//! let mut acd = Acd::new(AcdConfig {
//!     queues: vec![QueueConfig {
//!         name: "technology".into(),
//!         announce_every: Some(Duration::from_secs(30)),
//!         ring_timeout: Duration::from_secs(20),
//!     }],
//! })
//! .expect("queue names are unique");
//!
//! let t0 = Instant::now(); // a driver's clock; tests use a fixed base instant
//! let anna = AgentId::from("anna");
//! let mut inputs = vec![
//!     Input::AgentReady { agent: anna.clone(), queues: vec!["technology".into()], now: t0 },
//!     Input::CallQueued { call: CallId(7), queue: "technology".into(), now: t0 },
//! ];
//! let mut offered = None;
//! while !inputs.is_empty() {
//!     for input in inputs.drain(..) {
//!         acd.handle_input(input).expect("valid input");
//!     }
//!     while let Some(output) = acd.poll_output() {
//!         if let Output::Offer { call, agent, .. } = output {
//!             // A real driver rings the agent's phone; here the agent answers at once.
//!             offered = Some((call, agent.clone()));
//!             inputs.push(Input::OfferAccepted { call, agent, now: t0 });
//!         }
//!     }
//!     // A driver sleeps until `acd.poll_timeout()` or the next input.
//! }
//! assert_eq!(offered, Some((CallId(7), anna)));
//! assert_eq!(acd.snapshot(t0).queues[0].answered, 1);
//! ```
#![forbid(unsafe_code)]

mod assign;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

pub use assign::{FreeAgent, WaitingCall, assign};

/// How many recent answered waits the announced average is computed over.
pub const RECENT_WAITS: usize = 20;

/// A call, as numbered by the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call {}", self.0)
    }
}

/// An agent (operator) login.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgentId(pub String);

impl From<&str> for AgentId {
    fn from(s: &str) -> Self {
        AgentId(s.to_string())
    }
}

impl fmt::Display for AgentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "agent {}", self.0)
    }
}

/// One queue [gruppo di competenza].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    pub name: String,
    /// Interval of the position and average-wait announcements; `None`: never. The first
    /// comes after the call has waited this long.
    pub announce_every: Option<Duration>,
    /// How long an offered call rings an agent before [`Output::OfferTimedOut`].
    pub ring_timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AcdConfig {
    pub queues: Vec<QueueConfig>,
}

/// What happened, as told by the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Input {
    /// A call enters `queue` (usually from the IVR's enqueue).
    CallQueued {
        call: CallId,
        queue: String,
        now: Instant,
    },
    /// The caller hung up while waiting or while being offered.
    CallAbandoned { call: CallId, now: Instant },
    /// The agent is ready for calls of `queues`, idle since `now`. An agent already ready
    /// only changes queues and keeps its place.
    AgentReady {
        agent: AgentId,
        queues: Vec<String>,
        now: Instant,
    },
    /// The agent takes no more calls. A pending offer is withdrawn; a busy agent becomes
    /// not-ready when the call ends.
    AgentNotReady { agent: AgentId, now: Instant },
    /// The agent answered: busy until [`Input::CallEnded`]. The call leaves the ACD.
    OfferAccepted {
        call: CallId,
        agent: AgentId,
        now: Instant,
    },
    /// The offer failed (busy, no answer, error). The call goes back to its queue in its
    /// arrival place, i.e. ahead of every later call; the agent becomes not-ready, so that an
    /// absent agent does not swallow the queue (ring-no-answer rule).
    OfferRejected {
        call: CallId,
        agent: AgentId,
        now: Instant,
    },
    /// The agent's call ended: idle since `now` (wrap-up time is not modelled yet).
    CallEnded { agent: AgentId, now: Instant },
    /// Due timers fire.
    Timeout(Instant),
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// Ring `agent` with `call` (the CTI pop shows `queue` and `waited`).
    Offer {
        call: CallId,
        agent: AgentId,
        queue: String,
        waited: Duration,
    },
    /// Tell the waiting caller their position (1 = next) and the recent average wait
    /// (`None` before any call of the queue was answered).
    Announce {
        call: CallId,
        position: usize,
        average_wait: Option<Duration>,
    },
    /// The offer rang `ring_timeout` without an answer: stop ringing. Handled like a
    /// rejection: the call is back in its queue, the agent not-ready.
    OfferTimedOut { call: CallId, agent: AgentId },
    /// Stop ringing: the offer is void (the caller hung up, or the agent went not-ready).
    OfferCancelled { call: CallId, agent: AgentId },
}

/// Driver mistakes and inputs about unknown things: the state is left unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AcdError {
    #[error("queue `{0}` is configured twice")]
    DuplicateQueue(String),
    #[error("no queue named `{0}`")]
    UnknownQueue(String),
    #[error("{0} is already queued")]
    DuplicateCall(CallId),
    #[error("{0} is not in the acd")]
    UnknownCall(CallId),
    #[error("{0} is not known")]
    UnknownAgent(AgentId),
    #[error("{0} has a call or an offer")]
    AgentBusy(AgentId),
    #[error("{call} is not offered to {agent}")]
    NoSuchOffer { call: CallId, agent: AgentId },
    #[error("{0} has no call")]
    AgentNotBusy(AgentId),
}

/// An agent's state, for the supervisor view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentState {
    Ready { idle_since: Instant },
    Ringing { call: CallId, since: Instant },
    Busy { call: CallId, since: Instant },
    NotReady,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentView {
    pub agent: AgentId,
    pub queues: Vec<String>,
    pub state: AgentState,
    /// Will go not-ready when the current call ends.
    pub not_ready_after_call: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStats {
    pub name: String,
    /// Calls in the queue, not ringing an agent.
    pub waiting: usize,
    /// Calls of the queue ringing an agent.
    pub ringing: usize,
    /// Wait of the oldest call (waiting or ringing).
    pub oldest_wait: Option<Duration>,
    pub agents_ready: usize,
    /// Agents of the queue ringing or on a call.
    pub agents_busy: usize,
    pub answered: u64,
    pub abandoned: u64,
    /// Mean wait of every answered call since start.
    pub avg_wait: Option<Duration>,
}

/// A consistent picture of the ACD for the supervisor view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcdSnapshot {
    pub queues: Vec<QueueStats>,
    pub agents: Vec<AgentView>,
}

#[derive(Debug)]
struct Queue {
    config: QueueConfig,
    /// Waiting (not ringing) calls, ordered by arrival sequence.
    waiting: VecDeque<CallId>,
    answered: u64,
    abandoned: u64,
    total_wait: Duration,
    recent_waits: VecDeque<Duration>,
}

#[derive(Debug)]
struct Call {
    queue: usize,
    arrived: Instant,
    /// Arrival order, unique: breaks ties between equal instants.
    seq: u64,
    offered_to: Option<AgentId>,
    next_announce: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
enum Status {
    /// `order` breaks ties between equal `idle_since`.
    Ready {
        idle_since: Instant,
        order: u64,
    },
    Ringing {
        call: CallId,
        since: Instant,
        deadline: Option<Instant>,
        /// Where the agent stands if the offer is withdrawn without its fault.
        idle_since: Instant,
        order: u64,
    },
    Busy {
        call: CallId,
        since: Instant,
    },
    NotReady,
}

#[derive(Debug)]
struct Agent {
    queues: Vec<usize>,
    status: Status,
    not_ready_after_call: bool,
}

/// The automatic call distributor.
#[derive(Debug)]
pub struct Acd {
    queues: Vec<Queue>,
    queue_index: HashMap<String, usize>,
    calls: BTreeMap<CallId, Call>,
    agents: BTreeMap<AgentId, Agent>,
    out: VecDeque<Output>,
    next_seq: u64,
}

impl Acd {
    /// Fails when two queues have the same name.
    pub fn new(config: AcdConfig) -> Result<Acd, AcdError> {
        let mut queue_index = HashMap::new();
        let mut queues = Vec::new();
        for q in config.queues {
            if queue_index.insert(q.name.clone(), queues.len()).is_some() {
                return Err(AcdError::DuplicateQueue(q.name));
            }
            queues.push(Queue {
                config: q,
                waiting: VecDeque::new(),
                answered: 0,
                abandoned: 0,
                total_wait: Duration::ZERO,
                recent_waits: VecDeque::new(),
            });
        }
        Ok(Acd {
            queues,
            queue_index,
            calls: BTreeMap::new(),
            agents: BTreeMap::new(),
            out: VecDeque::new(),
            next_seq: 0,
        })
    }

    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    fn queue(&self, name: &str) -> Result<usize, AcdError> {
        self.queue_index
            .get(name)
            .copied()
            .ok_or_else(|| AcdError::UnknownQueue(name.to_string()))
    }

    /// Applies one input; on error nothing changed.
    pub fn handle_input(&mut self, input: Input) -> Result<(), AcdError> {
        let now = match input {
            Input::CallQueued { call, queue, now } => {
                let q = self.queue(&queue)?;
                if self.calls.contains_key(&call) {
                    return Err(AcdError::DuplicateCall(call));
                }
                let seq = self.seq();
                let next_announce = self.queues[q]
                    .config
                    .announce_every
                    .and_then(|every| now.checked_add(every));
                self.calls.insert(
                    call,
                    Call {
                        queue: q,
                        arrived: now,
                        seq,
                        offered_to: None,
                        next_announce,
                    },
                );
                self.queues[q].waiting.push_back(call);
                now
            }
            Input::CallAbandoned { call, now } => {
                let c = self
                    .calls
                    .remove(&call)
                    .ok_or(AcdError::UnknownCall(call))?;
                self.queues[c.queue].abandoned += 1;
                match c.offered_to {
                    Some(agent) => {
                        if let Some(a) = self.agents.get_mut(&agent)
                            && let Status::Ringing {
                                idle_since, order, ..
                            } = a.status
                        {
                            // Not the agent's fault: it keeps its place.
                            a.status = Status::Ready { idle_since, order };
                        }
                        self.out.push_back(Output::OfferCancelled { call, agent });
                    }
                    None => self.queues[c.queue].waiting.retain(|&w| w != call),
                }
                now
            }
            Input::AgentReady { agent, queues, now } => {
                let mut idx = Vec::with_capacity(queues.len());
                for q in &queues {
                    let i = self.queue(q)?;
                    if !idx.contains(&i) {
                        idx.push(i);
                    }
                }
                let order = self.seq();
                match self.agents.get_mut(&agent) {
                    None => {
                        self.agents.insert(
                            agent,
                            Agent {
                                queues: idx,
                                status: Status::Ready {
                                    idle_since: now,
                                    order,
                                },
                                not_ready_after_call: false,
                            },
                        );
                    }
                    Some(a) => match a.status {
                        Status::Ringing { .. } | Status::Busy { .. } => {
                            return Err(AcdError::AgentBusy(agent));
                        }
                        Status::Ready { .. } => a.queues = idx,
                        Status::NotReady => {
                            a.queues = idx;
                            a.status = Status::Ready {
                                idle_since: now,
                                order,
                            };
                        }
                    },
                }
                now
            }
            Input::AgentNotReady { agent, now } => {
                let a = self
                    .agents
                    .get_mut(&agent)
                    .ok_or_else(|| AcdError::UnknownAgent(agent.clone()))?;
                match a.status {
                    Status::Ready { .. } | Status::NotReady => a.status = Status::NotReady,
                    Status::Busy { .. } => a.not_ready_after_call = true,
                    Status::Ringing { call, .. } => {
                        a.status = Status::NotReady;
                        self.requeue(call);
                        self.out.push_back(Output::OfferCancelled { call, agent });
                    }
                }
                now
            }
            Input::OfferAccepted { call, agent, now } => {
                self.check_offer(call, &agent)?;
                let c = self
                    .calls
                    .remove(&call)
                    .expect("check_offer found the call");
                let waited = now.saturating_duration_since(c.arrived);
                let q = &mut self.queues[c.queue];
                q.answered += 1;
                q.total_wait = q.total_wait.saturating_add(waited);
                if q.recent_waits.len() == RECENT_WAITS {
                    q.recent_waits.pop_front();
                }
                q.recent_waits.push_back(waited);
                if let Some(a) = self.agents.get_mut(&agent) {
                    a.status = Status::Busy { call, since: now };
                }
                now
            }
            Input::OfferRejected { call, agent, now } => {
                self.check_offer(call, &agent)?;
                self.offer_failed(call, &agent);
                now
            }
            Input::CallEnded { agent, now } => {
                let order = self.seq();
                let a = self
                    .agents
                    .get_mut(&agent)
                    .ok_or_else(|| AcdError::UnknownAgent(agent.clone()))?;
                if !matches!(a.status, Status::Busy { .. }) {
                    return Err(AcdError::AgentNotBusy(agent));
                }
                a.status = if std::mem::take(&mut a.not_ready_after_call) {
                    Status::NotReady
                } else {
                    Status::Ready {
                        idle_since: now,
                        order,
                    }
                };
                now
            }
            Input::Timeout(now) => {
                self.fire_timers(now);
                now
            }
        };
        self.dispatch(now);
        Ok(())
    }

    fn check_offer(&self, call: CallId, agent: &AgentId) -> Result<(), AcdError> {
        let c = self.calls.get(&call).ok_or(AcdError::UnknownCall(call))?;
        if c.offered_to.as_ref() != Some(agent) {
            return Err(AcdError::NoSuchOffer {
                call,
                agent: agent.clone(),
            });
        }
        Ok(())
    }

    /// Rejection or ring timeout: call back in its arrival place, agent not-ready.
    fn offer_failed(&mut self, call: CallId, agent: &AgentId) {
        if let Some(a) = self.agents.get_mut(agent) {
            a.status = Status::NotReady;
        }
        self.requeue(call);
    }

    /// Puts an offered call back among the waiting ones, ahead of every later arrival.
    fn requeue(&mut self, call: CallId) {
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        c.offered_to = None;
        let (queue, seq) = (c.queue, c.seq);
        let calls = &self.calls;
        let waiting = &mut self.queues[queue].waiting;
        let at = waiting.partition_point(|w| calls.get(w).is_some_and(|o| o.seq < seq));
        waiting.insert(at, call);
    }

    fn fire_timers(&mut self, now: Instant) {
        let timed_out: Vec<(CallId, AgentId)> = self
            .agents
            .iter()
            .filter_map(|(id, a)| match a.status {
                Status::Ringing {
                    call,
                    deadline: Some(d),
                    ..
                } if d <= now => Some((call, id.clone())),
                _ => None,
            })
            .collect();
        for (call, agent) in timed_out {
            self.offer_failed(call, &agent);
            self.out.push_back(Output::OfferTimedOut { call, agent });
        }
        for q in &self.queues {
            let Some(every) = q.config.announce_every else {
                continue;
            };
            let average_wait = average(&q.recent_waits);
            for (i, call) in q.waiting.iter().enumerate() {
                let Some(c) = self.calls.get_mut(call) else {
                    continue;
                };
                if c.next_announce.is_some_and(|t| t <= now) {
                    c.next_announce = now.checked_add(every);
                    self.out.push_back(Output::Announce {
                        call: *call,
                        position: i + 1,
                        average_wait,
                    });
                }
            }
        }
    }

    /// Offers waiting calls to free agents, as [`assign`] decides.
    fn dispatch(&mut self, now: Instant) {
        let mut free: Vec<(u64, FreeAgent)> = self
            .agents
            .iter()
            .filter_map(|(id, a)| match a.status {
                Status::Ready { idle_since, order } => Some((
                    order,
                    FreeAgent {
                        agent: id.clone(),
                        queues: a.queues.clone(),
                        idle_since,
                    },
                )),
                _ => None,
            })
            .collect();
        if free.is_empty() || self.queues.iter().all(|q| q.waiting.is_empty()) {
            return;
        }
        free.sort_by_key(|(order, a)| (a.idle_since, *order));
        let free: Vec<FreeAgent> = free.into_iter().map(|(_, a)| a).collect();
        let mut waiting: Vec<(u64, WaitingCall)> = self
            .queues
            .iter()
            .enumerate()
            .flat_map(|(qi, q)| q.waiting.iter().map(move |call| (qi, *call)))
            .filter_map(|(queue, call)| {
                self.calls.get(&call).map(|c| {
                    (
                        c.seq,
                        WaitingCall {
                            call,
                            queue,
                            arrived: c.arrived,
                        },
                    )
                })
            })
            .collect();
        waiting.sort_by_key(|(seq, w)| (w.arrived, *seq));
        let waiting: Vec<WaitingCall> = waiting.into_iter().map(|(_, w)| w).collect();

        for (call, agent) in assign(&waiting, &free) {
            let Some(c) = self.calls.get_mut(&call) else {
                continue;
            };
            let queue = &mut self.queues[c.queue];
            let Some(a) = self.agents.get_mut(&agent) else {
                continue;
            };
            let Status::Ready { idle_since, order } = a.status else {
                continue;
            };
            queue.waiting.retain(|&w| w != call);
            c.offered_to = Some(agent.clone());
            a.status = Status::Ringing {
                call,
                since: now,
                deadline: now.checked_add(queue.config.ring_timeout),
                idle_since,
                order,
            };
            self.out.push_back(Output::Offer {
                call,
                agent,
                queue: queue.config.name.clone(),
                waited: now.saturating_duration_since(c.arrived),
            });
        }
    }

    /// The next thing to do; `None` when nothing is left until an input or
    /// [`Acd::poll_timeout`].
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When [`Input::Timeout`] is next due: a ring timeout or an announcement.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let ring = self.agents.values().filter_map(|a| match a.status {
            Status::Ringing { deadline, .. } => deadline,
            _ => None,
        });
        let announce = self
            .calls
            .values()
            .filter(|c| c.offered_to.is_none())
            .filter_map(|c| c.next_announce);
        ring.chain(announce).min()
    }

    /// Queue and agent figures at `now`, for the supervisor view.
    pub fn snapshot(&self, now: Instant) -> AcdSnapshot {
        let queues = self
            .queues
            .iter()
            .enumerate()
            .map(|(qi, q)| {
                let of_queue = self.calls.values().filter(|c| c.queue == qi);
                let oldest_wait = of_queue
                    .clone()
                    .map(|c| now.saturating_duration_since(c.arrived))
                    .max();
                let ringing = of_queue.filter(|c| c.offered_to.is_some()).count();
                let serving = self.agents.values().filter(|a| a.queues.contains(&qi));
                let agents_ready = serving
                    .clone()
                    .filter(|a| matches!(a.status, Status::Ready { .. }))
                    .count();
                let agents_busy = serving
                    .filter(|a| matches!(a.status, Status::Ringing { .. } | Status::Busy { .. }))
                    .count();
                let avg_wait = u32::try_from(q.answered)
                    .ok()
                    .filter(|&n| n > 0)
                    .map(|n| q.total_wait / n);
                QueueStats {
                    name: q.config.name.clone(),
                    waiting: q.waiting.len(),
                    ringing,
                    oldest_wait,
                    agents_ready,
                    agents_busy,
                    answered: q.answered,
                    abandoned: q.abandoned,
                    avg_wait,
                }
            })
            .collect();
        let agents = self
            .agents
            .iter()
            .map(|(id, a)| AgentView {
                agent: id.clone(),
                queues: a
                    .queues
                    .iter()
                    .map(|&q| self.queues[q].config.name.clone())
                    .collect(),
                state: match a.status {
                    Status::Ready { idle_since, .. } => AgentState::Ready { idle_since },
                    Status::Ringing { call, since, .. } => AgentState::Ringing { call, since },
                    Status::Busy { call, since } => AgentState::Busy { call, since },
                    Status::NotReady => AgentState::NotReady,
                },
                not_ready_after_call: a.not_ready_after_call,
            })
            .collect();
        AcdSnapshot { queues, agents }
    }

    /// The waiting (not ringing) calls of `queue`, in the order they will be served.
    pub fn waiting(&self, queue: &str) -> Option<Vec<CallId>> {
        let q = self.queue_index.get(queue)?;
        Some(self.queues[*q].waiting.iter().copied().collect())
    }
}

fn average(waits: &VecDeque<Duration>) -> Option<Duration> {
    let n = u32::try_from(waits.len()).ok().filter(|&n| n > 0)?;
    // Saturating: absurd instants from a driver must not overflow into a panic.
    let total = waits
        .iter()
        .fold(Duration::ZERO, |t, w| t.saturating_add(*w));
    Some(total / n)
}
