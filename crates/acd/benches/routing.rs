//! Routing decision latency with 10,000 operators and 500 queues.
//!
//! Every operator serves 5 of the 500 queues (seeded at random, skills at random). The ACD is
//! kept near saturation: calls arrive at random queues and operators finish random calls, so
//! that both decisions occur: a call joins and the queue's index names an operator ("call
//! side"), and an operator frees up and picks the best head call of their queues ("operator
//! side"). Each `handle_input` is timed on its own, its outputs drained outside the timing.
//! Plain `main` (harness = false): it prints p50, p99 and max per decision.
//!
//! `cargo bench -p acd --bench routing`

use std::time::{Duration, Instant};

use acd::{Acd, AcdConfig, CallId, Input, Membership, OperatorProfile, Output, QueueConfig};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const OPERATORS: usize = 10_000;
const QUEUES: usize = 500;
const QUEUES_PER_OPERATOR: usize = 5;
const ROUNDS: usize = 400_000;

fn main() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let queues: Vec<QueueConfig> = (0..QUEUES)
        .map(|q| {
            let mut c = QueueConfig::new(&format!("q{q}"));
            c.weight = 1 + (q % 3) as u32;
            c.strategy = match q % 10 {
                0 => acd::Strategy::Skills,
                1 => acd::Strategy::RoundRobin,
                2 => acd::Strategy::FewestCalls,
                _ => acd::Strategy::LongestIdle,
            };
            c
        })
        .collect();
    let mut config = AcdConfig::new(queues);
    config.operators = (0..OPERATORS)
        .map(|o| {
            let mut qs: Vec<usize> = Vec::new();
            while qs.len() < QUEUES_PER_OPERATOR {
                let q = rng.random_range(0..QUEUES);
                if !qs.contains(&q) {
                    qs.push(q);
                }
            }
            OperatorProfile {
                id: format!("op{o}").as_str().into(),
                queues: qs
                    .into_iter()
                    .map(|q| Membership {
                        queue: format!("q{q}").as_str().into(),
                        skill: rng.random_range(0..=100),
                    })
                    .collect(),
            }
        })
        .collect();
    let t0 = Instant::now();
    let mut now = t0;
    let mut acd = Acd::new(config, t0).expect("valid config");
    let setup = Instant::now();
    for o in 0..OPERATORS {
        let op = format!("op{o}").as_str().into();
        acd.handle_input(
            now,
            Input::Login {
                operator: op,
                queues: None,
            },
        )
        .expect("login");
    }
    while acd.poll_output().is_some() {}
    println!(
        "setup: {OPERATORS} operators logged in to {QUEUES_PER_OPERATOR} of {QUEUES} queues each in {:.1} ms",
        setup.elapsed().as_secs_f64() * 1e3
    );

    let mut connected: Vec<CallId> = Vec::new();
    let mut call_side = Vec::with_capacity(ROUNDS);
    let mut operator_side = Vec::with_capacity(ROUNDS);
    let mut next_call = 0u64;
    let mut offers = Vec::new();
    for round in 0..ROUNDS {
        now += Duration::from_millis(10);
        // Arrivals slightly outpace completions until 9,900 operators are busy, then balance.
        let arrive = connected.len() < 9_900 || rng.random_bool(0.5);
        let (input, side) = if arrive || connected.is_empty() {
            next_call += 1;
            let q = rng.random_range(0..QUEUES);
            let input = Input::Join {
                call: CallId(next_call),
                queue: format!("q{q}").as_str().into(),
                priority: 0,
            };
            (input, &mut call_side)
        } else {
            let i = rng.random_range(0..connected.len());
            let call = connected.swap_remove(i);
            (Input::Complete { call }, &mut operator_side)
        };
        let start = Instant::now();
        let result = acd.handle_input(now, input);
        let took = start.elapsed();
        result.expect("valid input");
        while let Some(o) = acd.poll_output() {
            if let Output::Offer { call, operator, .. } = o {
                offers.push((call, operator));
            }
        }
        // Decisions that made an offer count; a join that only waited is not a decision.
        if !offers.is_empty() {
            side.push(took);
        }
        for (call, operator) in offers.drain(..) {
            acd.handle_input(now, Input::Accept { call, operator })
                .expect("accept");
            connected.push(call);
        }
        while acd.poll_output().is_some() {}
        if round == ROUNDS / 2 {
            let snap = acd.snapshot(now);
            let waiting: usize = snap.queues.iter().map(|q| q.waiting.len()).sum();
            println!(
                "mid-run: {} calls connected, {waiting} waiting",
                connected.len()
            );
        }
    }
    report(
        "call side (a call joins, an operator is chosen)",
        &mut call_side,
    );
    report(
        "operator side (an operator frees up, a call is chosen)",
        &mut operator_side,
    );
    let start = Instant::now();
    let snap = acd.snapshot(now);
    println!(
        "supervisor snapshot of {} queues and {} operators: {:.2} ms",
        snap.queues.len(),
        snap.operators.len(),
        start.elapsed().as_secs_f64() * 1e3
    );
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    println!(
        "{what}: {} decisions, p50 {:.2} µs, p99 {:.2} µs, p99.9 {:.2} µs, max {:.1} µs",
        samples.len(),
        at(0.5),
        at(0.99),
        at(0.999),
        at(1.0)
    );
}
