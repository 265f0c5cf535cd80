//! Configuration: queues, operators' profiles and service-level targets. Every type
//! deserialises from TOML (durations in seconds), so administrators configure queues in the
//! same file as the rest of the engine.

use std::collections::HashSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{ConfigError, OperatorId, QueueId};

/// The whole ACD.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AcdConfig {
    pub queues: Vec<QueueConfig>,
    /// Operators and the queues they may log in to, with a skill level per queue. More can be
    /// added or changed at run time with [`crate::Input::SetProfile`].
    #[serde(default)]
    pub operators: Vec<OperatorProfile>,
    /// Multi-queue fairness: a call that has waited this long outranks every call that has not,
    /// whatever the queue weights (see [`QueueConfig::weight`]).
    #[serde(default = "defaults::ageing_bound", with = "secs")]
    pub ageing_bound: Duration,
    /// Service-level thresholds the snapshot and the reports measure against.
    #[serde(default)]
    pub targets: ServiceTargets,
}

/// How a queue picks among several ready operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The operator ready the longest (seed 001, section 5.4).
    #[default]
    LongestIdle,
    /// Every ready operator rings at once; the first to answer takes the call.
    RingAll,
    /// Operators in turn, in the order they logged in to the queue.
    RoundRobin,
    /// The operator who answered the fewest calls of this queue today; then longest idle.
    FewestCalls,
    /// The highest skill level for this queue; then longest idle.
    Skills,
}

/// What happens to an operator whose phone rang for the whole ring timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoAnswerPolicy {
    /// Not ready with reason `no_answer`: an absent operator does not swallow the queue.
    #[default]
    NotReady,
    /// Stays ready, but is offered nothing for [`QueueConfig::retry_delay`].
    StayReady,
}

/// Where a call goes when it leaves a queue without an operator: another queue (the ACD moves
/// it itself), or an action of the driver's.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(tag = "to", rename_all = "snake_case", deny_unknown_fields)]
pub enum Destination {
    Queue {
        queue: QueueId,
    },
    /// Leave a message (segreteria telefonica).
    Voicemail,
    /// Play a prompt, then hang up.
    Message {
        prompt: String,
    },
    /// Hang up politely.
    #[default]
    Hangup,
}

/// One queue (gruppo di competenza).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    pub name: QueueId,
    #[serde(default)]
    pub strategy: Strategy,
    /// Multi-queue weight, 1 to 1000: an operator of several queues takes the call with the
    /// largest `wait × weight` (until the ageing bound, see [`AcdConfig::ageing_bound`]).
    #[serde(default = "defaults::weight")]
    pub weight: u32,
    /// How long an offer rings before it counts as not answered.
    #[serde(default = "defaults::ring_timeout", with = "secs")]
    pub ring_timeout: Duration,
    #[serde(default)]
    pub no_answer: NoAnswerPolicy,
    /// After a busy or rejected offer (and a no-answer under `stay_ready`), how long the
    /// operator is offered nothing.
    #[serde(default = "defaults::retry_delay", with = "secs")]
    pub retry_delay: Duration,
    /// After-call work (post-chiamata) following each call of this queue; zero for none.
    #[serde(default, with = "secs")]
    pub wrap_up: Duration,
    /// Longest total wrap-up an operator can extend to.
    #[serde(default = "defaults::max_wrap_up", with = "secs")]
    pub max_wrap_up: Duration,
    /// Position and estimated-wait announcements; none when absent.
    #[serde(default)]
    pub announce: Option<AnnounceConfig>,
    /// Longest wait in this queue; then the call goes to `on_max_wait`.
    #[serde(default, with = "opt_secs", skip_serializing_if = "Option::is_none")]
    pub max_wait: Option<Duration>,
    #[serde(default)]
    pub on_max_wait: Destination,
    /// Most calls waiting at once; a caller beyond it is sent to `on_full`.
    #[serde(default)]
    pub max_len: Option<usize>,
    #[serde(default)]
    pub on_full: Destination,
    /// Whether a call may join while no operator is logged in to the queue.
    #[serde(default = "defaults::yes")]
    pub join_when_empty: bool,
    /// Whether waiting callers leave when the last operator logs out.
    #[serde(default)]
    pub leave_when_empty: bool,
    /// Where callers go when refused or sent away because nobody is logged in.
    #[serde(default)]
    pub on_empty: Destination,
    /// Whether the queue takes calls at start; special-event queues start closed and are
    /// opened by a schedule or a supervisor ([`crate::Input::SetQueueOpen`]).
    #[serde(default = "defaults::yes")]
    pub open: bool,
    /// Where callers go when the queue is closed.
    #[serde(default)]
    pub on_closed: Destination,
    /// Whether a waiting caller may ask to be called back, keeping their place.
    #[serde(default = "defaults::yes")]
    pub callback: bool,
}

impl QueueConfig {
    /// A queue with every default: longest idle, 20 s ring, no wrap-up, no announcements, no
    /// limits.
    pub fn new(name: &str) -> Self {
        QueueConfig {
            name: QueueId::from(name),
            strategy: Strategy::default(),
            weight: defaults::weight(),
            ring_timeout: defaults::ring_timeout(),
            no_answer: NoAnswerPolicy::default(),
            retry_delay: defaults::retry_delay(),
            wrap_up: Duration::ZERO,
            max_wrap_up: defaults::max_wrap_up(),
            announce: None,
            max_wait: None,
            on_max_wait: Destination::default(),
            max_len: None,
            on_full: Destination::default(),
            join_when_empty: true,
            leave_when_empty: false,
            on_empty: Destination::default(),
            open: true,
            on_closed: Destination::default(),
            callback: true,
        }
    }
}

/// When waiting callers hear their position and estimated wait.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AnnounceConfig {
    /// Interval; the first comes after the caller has waited this long.
    #[serde(with = "secs")]
    pub every: Duration,
    /// No announcement when the estimate is below this: the caller is about to be served.
    #[serde(default = "defaults::announce_skip_below", with = "secs")]
    pub skip_below: Duration,
}

/// An operator and the queues they may log in to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorProfile {
    pub id: OperatorId,
    pub queues: Vec<Membership>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    pub queue: QueueId,
    /// 0 to 100; higher is better. Used by the `skills` strategy.
    #[serde(default = "defaults::skill")]
    pub skill: u8,
}

/// The thresholds of DOMAIN.md, SLA.C.2 and SLA.C.3.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceTargets {
    /// Answered within this wait counts as on time (30 s).
    #[serde(with = "secs")]
    pub answer_within: Duration,
    /// Share of answered calls that must be on time (0.90).
    pub on_time_share: f64,
    /// No answered call may have waited longer (90 s).
    #[serde(with = "secs")]
    pub never_over: Duration,
    /// Most abandoned calls, as a share of answered plus abandoned (0.05).
    pub max_abandoned_share: f64,
}

impl Default for ServiceTargets {
    fn default() -> Self {
        ServiceTargets {
            answer_within: Duration::from_secs(30),
            on_time_share: 0.90,
            never_over: Duration::from_secs(90),
            max_abandoned_share: 0.05,
        }
    }
}

/// Hops a call may make through `Destination::Queue` before the ACD hangs it up, so that a
/// cycle of overflowing queues cannot move a call forever.
pub const MAX_OVERFLOW_HOPS: u8 = 8;

impl AcdConfig {
    pub fn new(queues: Vec<QueueConfig>) -> Self {
        AcdConfig {
            queues,
            operators: Vec::new(),
            ageing_bound: defaults::ageing_bound(),
            targets: ServiceTargets::default(),
        }
    }

    /// Checks names, references and ranges.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut names = HashSet::new();
        for q in &self.queues {
            if !names.insert(&q.name) {
                return Err(ConfigError::DuplicateQueue(q.name.clone()));
            }
        }
        let known = |q: &QueueId| names.contains(q);
        for q in &self.queues {
            if !(1..=1000).contains(&q.weight) {
                return Err(ConfigError::Weight(q.name.clone(), q.weight));
            }
            if q.ring_timeout.is_zero() {
                return Err(ConfigError::ZeroRingTimeout(q.name.clone()));
            }
            if q.announce.as_ref().is_some_and(|a| a.every.is_zero()) {
                return Err(ConfigError::ZeroAnnounceInterval(q.name.clone()));
            }
            for d in [&q.on_max_wait, &q.on_full, &q.on_empty, &q.on_closed] {
                if let Destination::Queue { queue } = d
                    && !known(queue)
                {
                    return Err(ConfigError::UnknownDestination {
                        queue: q.name.clone(),
                        to: queue.clone(),
                    });
                }
            }
        }
        let mut ids = HashSet::new();
        for o in &self.operators {
            if !ids.insert(&o.id) {
                return Err(ConfigError::DuplicateOperator(o.id.clone()));
            }
            validate_profile(o, known)?;
        }
        Ok(())
    }
}

pub(crate) fn validate_profile(
    o: &OperatorProfile,
    known: impl Fn(&QueueId) -> bool,
) -> Result<(), ConfigError> {
    let mut seen = HashSet::new();
    for m in &o.queues {
        if !known(&m.queue) {
            return Err(ConfigError::UnknownQueue {
                operator: o.id.clone(),
                queue: m.queue.clone(),
            });
        }
        if !seen.insert(&m.queue) {
            return Err(ConfigError::DuplicateMembership {
                operator: o.id.clone(),
                queue: m.queue.clone(),
            });
        }
        if m.skill > 100 {
            return Err(ConfigError::Skill(o.id.clone(), m.skill));
        }
    }
    Ok(())
}

mod defaults {
    use std::time::Duration;

    pub fn ageing_bound() -> Duration {
        Duration::from_secs(120)
    }
    pub fn weight() -> u32 {
        1
    }
    pub fn ring_timeout() -> Duration {
        Duration::from_secs(20)
    }
    pub fn retry_delay() -> Duration {
        Duration::from_secs(5)
    }
    pub fn max_wrap_up() -> Duration {
        Duration::from_secs(600)
    }
    pub fn announce_skip_below() -> Duration {
        Duration::from_secs(20)
    }
    pub fn skill() -> u8 {
        50
    }
    pub fn yes() -> bool {
        true
    }
}

/// Durations as seconds (integer or fraction), 0 to one day.
mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        if !(0.0..=86_400.0).contains(&secs) {
            return Err(serde::de::Error::custom(
                "seconds must be between 0 and 86400",
            ));
        }
        Ok(Duration::from_secs_f64(secs))
    }

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

mod opt_secs {
    use std::time::Duration;

    use serde::{Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        super::secs::deserialize(d).map(Some)
    }

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::secs::serialize(d, s),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_configure_in_toml() {
        let config: AcdConfig = toml::from_str(
            r#"
            ageing_bound = 90
            [[queues]]
            name = "technology"
            strategy = "skills"
            weight = 2
            ring_timeout = 15
            wrap_up = 10
            announce = { every = 30 }
            max_wait = 300
            on_max_wait = { to = "queue", queue = "back-office" }
            max_len = 50
            on_full = { to = "message", prompt = "busy_try_later" }

            [[queues]]
            name = "back-office"
            no_answer = "stay_ready"
            leave_when_empty = true
            on_empty = { to = "voicemail" }

            [[queues]]
            name = "tender"
            open = false

            [[operators]]
            id = "1001"
            queues = [{ queue = "technology", skill = 80 }, { queue = "back-office" }]

            [targets]
            answer_within = 20
            "#,
        )
        .expect("valid TOML");
        config.validate().expect("valid config");
        let tech = &config.queues[0];
        assert_eq!(tech.strategy, Strategy::Skills);
        assert_eq!(tech.max_wait, Some(Duration::from_secs(300)));
        assert_eq!(
            tech.on_max_wait,
            Destination::Queue {
                queue: "back-office".into()
            }
        );
        assert_eq!(
            tech.announce.as_ref().map(|a| a.skip_below),
            Some(Duration::from_secs(20))
        );
        assert!(!config.queues[2].open);
        assert_eq!(config.operators[0].queues[1].skill, 50);
        assert_eq!(config.targets.answer_within, Duration::from_secs(20));
        assert_eq!(config.targets.never_over, Duration::from_secs(90));
    }

    #[test]
    fn the_example_in_the_administrators_guide_is_valid() {
        let guide = include_str!("../../../docs/acd.md");
        let start = guide.find("```toml").expect("a TOML example") + "```toml".len();
        let len = guide[start..].find("```").expect("the example ends");
        let config: AcdConfig = toml::from_str(&guide[start..start + len]).expect("valid TOML");
        config.validate().expect("a valid config");
        assert_eq!(config.queues.len(), 3);
    }

    #[test]
    fn bad_configs_are_refused() {
        let mut config = AcdConfig::new(vec![QueueConfig::new("a"), QueueConfig::new("a")]);
        assert_eq!(
            config.validate(),
            Err(ConfigError::DuplicateQueue("a".into()))
        );
        config.queues[1].name = "b".into();
        config.queues[1].on_full = Destination::Queue { queue: "c".into() };
        assert!(matches!(
            config.validate(),
            Err(ConfigError::UnknownDestination { .. })
        ));
        config.queues[1].on_full = Destination::Hangup;
        config.queues[0].weight = 0;
        assert!(matches!(config.validate(), Err(ConfigError::Weight(..))));
        config.queues[0].weight = 1;
        config.operators.push(OperatorProfile {
            id: "x".into(),
            queues: vec![Membership {
                queue: "z".into(),
                skill: 1,
            }],
        });
        assert!(matches!(
            config.validate(),
            Err(ConfigError::UnknownQueue { .. })
        ));
        assert!(
            toml::from_str::<AcdConfig>("[[queues]]\nname = \"a\"\nring_timeout = -1").is_err()
        );
        assert!(toml::from_str::<AcdConfig>("[[queues]]\nname = \"a\"\ncolour = 1").is_err());
    }
}
