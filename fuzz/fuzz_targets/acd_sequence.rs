//! Sequence fuzzing of the ACD: bytes become inputs (calls, operators, answers, supervisor
//! actions, time). Never a panic (the ACD's own invariant checks are debug assertions, on in
//! fuzz builds), never two offers to one operator, a gap-free journal, and a replay of the
//! journal that lands in the same state.
#![no_main]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use acd::{
    Acd, AcdConfig, AnnounceConfig, CallId, Destination, Forced, Input, Membership, NoAnswerPolicy,
    OperatorId, OperatorProfile, Output, QueueConfig, ReasonCode, RejectReason, Strategy, Trigger,
};
use libfuzzer_sys::fuzz_target;

const QUEUES: [&str; 3] = ["a", "b", "c"];

fn config() -> AcdConfig {
    let strategies = [Strategy::LongestIdle, Strategy::RingAll, Strategy::Skills];
    let queues = QUEUES
        .iter()
        .zip(strategies)
        .enumerate()
        .map(|(i, (name, strategy))| {
            let mut q = QueueConfig::new(name);
            q.strategy = strategy;
            q.ring_timeout = Duration::from_secs(5);
            q.wrap_up = Duration::from_secs(3 * i as u64);
            q.announce = Some(AnnounceConfig {
                every: Duration::from_secs(10),
                skip_below: Duration::from_secs(1),
            });
            q.max_wait = Some(Duration::from_secs(40));
            q.on_max_wait = Destination::Queue {
                queue: QUEUES[(i + 1) % 3].into(),
            };
            q.max_len = Some(5);
            q.leave_when_empty = i == 1;
            q.no_answer = if i == 2 {
                NoAnswerPolicy::StayReady
            } else {
                NoAnswerPolicy::NotReady
            };
            q
        })
        .collect();
    let mut c = AcdConfig::new(queues);
    c.operators = (0..4)
        .map(|o| OperatorProfile {
            id: OperatorId(format!("op{o}")),
            queues: QUEUES
                .iter()
                .enumerate()
                .filter(|(q, _)| (o + q) % 4 != 0)
                .map(|(q, name)| Membership {
                    queue: (*name).into(),
                    skill: (10 * (o + q)) as u8,
                })
                .collect(),
        })
        .collect();
    c
}

fuzz_target!(|data: &[u8]| {
    let t0 = Instant::now();
    let Ok(mut acd) = Acd::new(config(), t0) else {
        return;
    };
    let mut now = t0;
    let mut offers: HashMap<OperatorId, CallId> = HashMap::new();
    let mut journal = Vec::new();
    for pair in data.chunks(2) {
        let (op, arg) = (pair[0], pair.get(1).copied().unwrap_or(0));
        let operator = OperatorId(format!("op{}", arg % 4));
        let call = CallId(u64::from(arg % 16));
        let queue = QUEUES[usize::from(op / 16 % 3)];
        let offered = offers.get(&operator).copied().unwrap_or(call);
        let input = match op % 16 {
            0 | 1 => Input::Join {
                call,
                queue: queue.into(),
                priority: op / 48,
            },
            2 => Input::Abandon { call },
            3 => Input::RequestCallback { call },
            4 | 5 => Input::Accept {
                call: offered,
                operator,
            },
            6 => Input::Reject {
                call: offered,
                operator,
                reason: RejectReason::Busy,
            },
            7 => Input::Complete { call },
            8 => Input::Transfer {
                call,
                to: queue.into(),
                priority: 1,
            },
            9 => Input::Login {
                operator,
                queues: (op & 0x40 != 0).then(|| vec![queue.into()]),
            },
            10 => Input::Logout {
                operator,
                queues: (op & 0x40 != 0).then(|| vec![queue.into()]),
            },
            11 => Input::Ready { operator },
            12 => Input::NotReady {
                operator,
                reason: ReasonCode::new("break").expect("a valid code"),
            },
            13 => match op / 16 % 4 {
                0 => Input::EndWrapUp { operator },
                1 => Input::ExtendWrapUp {
                    operator,
                    by: Duration::from_secs(u64::from(arg)),
                },
                2 => Input::Force {
                    operator,
                    state: Forced::LoggedOut,
                },
                _ => Input::SetQueueOpen {
                    queue: queue.into(),
                    open: arg % 2 == 0,
                    by: Trigger::Supervisor,
                },
            },
            14 => Input::StartDay,
            _ => {
                now += Duration::from_millis(u64::from(arg) * 250);
                acd.handle_timeout(now);
                drain(&mut acd, &mut offers, &mut journal);
                continue;
            }
        };
        let accepted = match &input {
            Input::Accept { operator, .. } | Input::Reject { operator, .. } => {
                Some(operator.clone())
            }
            _ => None,
        };
        if acd.handle_input(now, input).is_ok()
            && let Some(operator) = accepted
        {
            offers.remove(&operator);
        }
        drain(&mut acd, &mut offers, &mut journal);
    }
    let replayed = Acd::replay(config(), t0, journal).expect("the journal replays");
    assert_eq!(
        replayed.snapshot(now),
        acd.snapshot(now),
        "replay reaches the same state"
    );
});

fn drain(
    acd: &mut Acd,
    offers: &mut HashMap<OperatorId, CallId>,
    journal: &mut Vec<acd::JournalEntry>,
) {
    while let Some(output) = acd.poll_output() {
        match output {
            Output::Offer { call, operator, .. } => {
                assert!(
                    offers.insert(operator, call).is_none(),
                    "two offers to one operator"
                );
            }
            Output::CancelOffer { operator, .. } => {
                assert!(
                    offers.remove(&operator).is_some(),
                    "cancelled an offer never made"
                );
            }
            Output::Journal(entry) => {
                assert_eq!(entry.seq, journal.len() as u64, "journal gap");
                journal.push(entry);
            }
            _ => {}
        }
    }
}
