//! Sequence fuzzing of the ACD: bytes become inputs (calls, agents, answers, time). Never a
//! panic, never two offers to one agent.
#![no_main]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use acd::{Acd, AcdConfig, AgentId, CallId, Input, Output, QueueConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let queues = ["a", "b", "c"];
    let Ok(mut acd) = Acd::new(AcdConfig {
        queues: queues
            .iter()
            .map(|q| QueueConfig {
                name: q.to_string(),
                announce_every: Some(Duration::from_secs(10)),
                ring_timeout: Duration::from_secs(5),
            })
            .collect(),
    }) else {
        return;
    };
    let mut now = Instant::now();
    let mut offers: HashMap<AgentId, CallId> = HashMap::new();
    for pair in data.chunks(2) {
        let (op, arg) = (pair[0], pair.get(1).copied().unwrap_or(0));
        let agent = AgentId(format!("agent{}", arg % 4));
        let call = CallId(u64::from(arg % 16));
        let input = match op % 8 {
            0 => Input::CallQueued { call, queue: queues[usize::from(op / 8 % 3)].into(), now },
            1 => Input::CallAbandoned { call, now },
            2 => Input::AgentReady {
                agent,
                queues: queues.iter().enumerate().filter(|(i, _)| op / 8 & (1 << i) != 0).map(|(_, q)| q.to_string()).collect(),
                now,
            },
            3 => Input::AgentNotReady { agent, now },
            4 => Input::OfferAccepted { call: offers.get(&agent).copied().unwrap_or(call), agent, now },
            5 => Input::OfferRejected { call: offers.get(&agent).copied().unwrap_or(call), agent, now },
            6 => Input::CallEnded { agent, now },
            _ => {
                now += Duration::from_secs(u64::from(arg));
                Input::Timeout(now)
            }
        };
        if acd.handle_input(input.clone()).is_ok() {
            if let Input::OfferAccepted { agent, .. } | Input::OfferRejected { agent, .. } = &input {
                offers.remove(agent);
            }
        }
        while let Some(output) = acd.poll_output() {
            match output {
                Output::Offer { call, agent, .. } => {
                    assert!(offers.insert(agent, call).is_none(), "two offers to one agent");
                }
                Output::OfferTimedOut { agent, .. } | Output::OfferCancelled { agent, .. } => {
                    assert!(offers.remove(&agent).is_some());
                }
                _ => {}
            }
        }
    }
});
