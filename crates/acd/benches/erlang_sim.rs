//! A seeded discrete-event simulation with the ACD as the system under test.
//!
//! 1. Erlang C: one queue, `n` operators, Poisson arrivals, exponential handle times, callers
//!    who never give up and operators who answer at once: the M/M/n queue, whose service level
//!    and mean wait Erlang C gives exactly. The simulated figures must be within a few percent.
//!    Each run also measures the wait estimate given at joining against the real wait.
//! 2. A busy day of a national service: 1.5 million calls over 12 hours into 50 queues, 5,000
//!    operators each in 3 queues, a morning and an afternoon peak, 3 s to pick up, 10 s of
//!    wrap-up, callers who give up (mean patience 4 minutes), announcements every 30 s, overflow
//!    after 45 s to the group's last queue and from there to voicemail. Timed.
//!
//! `cargo bench -p acd --bench erlang_sim` (both), `-- erlang` or `-- day` for one.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, Instant};

use acd::{
    Acd, AcdConfig, AnnounceConfig, CallId, Destination, Event, Input, Membership, OperatorId,
    OperatorProfile, Output, QueueConfig, Report, ServiceTargets,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Arrival,
    Answer(CallId, OperatorId),
    End(CallId),
    GiveUp(CallId),
}

struct Model {
    /// Arrivals per second at simulated second `t`.
    rate: Box<dyn Fn(f64) -> f64>,
    max_rate: f64,
    queues: usize,
    mean_handle: f64,
    /// Mean patience in seconds; `None`: callers never give up.
    patience: Option<f64>,
    pick_up: Duration,
    calls: u64,
    /// Calls before the measured day starts (warm-up).
    warm_up: u64,
}

struct Run {
    report: Report,
    estimate_errors: Vec<f64>,
    /// Errors of an oracle that knows the true handle time: `position × mean ÷ operators`.
    oracle_errors: Vec<f64>,
    exits: u64,
    journal_entries: u64,
    sim_seconds: f64,
}

fn exp(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    -mean * (1.0 - rng.random::<f64>()).ln()
}

fn simulate(config: AcdConfig, model: &Model, seed: u64) -> Run {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let t0 = Instant::now();
    let targets = config.targets;
    let operators: Vec<OperatorId> = config.operators.iter().map(|o| o.id.clone()).collect();
    let mut acd = Acd::new(config, t0).expect("valid config");
    for operator in operators.clone() {
        acd.handle_input(
            t0,
            Input::Login {
                operator,
                queues: None,
            },
        )
        .expect("login");
    }
    let mut heap: BinaryHeap<Reverse<(Duration, u64, Ev)>> = BinaryHeap::new();
    let seq = std::cell::Cell::new(0u64);
    let push = |heap: &mut BinaryHeap<Reverse<(Duration, u64, Ev)>>, at: Duration, ev: Ev| {
        seq.set(seq.get() + 1);
        heap.push(Reverse((at, seq.get(), ev)));
    };
    // Arrivals of a non-homogeneous Poisson process, by thinning.
    let next_arrival = |rng: &mut ChaCha8Rng, from: f64| -> f64 {
        let mut t = from;
        loop {
            t += exp(rng, 1.0 / model.max_rate);
            if rng.random::<f64>() * model.max_rate <= (model.rate)(t) {
                return t;
            }
        }
    };
    let first = next_arrival(&mut rng, 0.0);
    push(&mut heap, Duration::from_secs_f64(first), Ev::Arrival);
    let mut report = Report::new(targets);
    let mut estimates: HashMap<CallId, (Instant, Duration)> = HashMap::new();
    let mut estimate_errors = Vec::new();
    let mut oracle_errors = Vec::new();
    let mut oracle: HashMap<CallId, f64> = HashMap::new();
    let staffed = operators.len() as f64 / model.queues as f64;
    let mut exits = 0u64;
    let mut connected: HashMap<CallId, ()> = HashMap::new();
    let mut arrived = 0u64;
    let mut journal_entries = 0u64;
    let mut measuring = model.warm_up == 0;
    let mut now = t0;
    loop {
        let next_sim = heap.peek().map(|Reverse((at, _, _))| t0 + *at);
        let next_acd = acd.poll_timeout();
        let (at, ev) = match (next_sim, next_acd) {
            (None, None) => break,
            (Some(s), Some(a)) if a < s => (a, None),
            (None, Some(a)) => (a, None),
            _ => {
                let Reverse((at, _, ev)) = heap.pop().expect("peeked");
                (t0 + at, Some(ev))
            }
        };
        now = at;
        match ev {
            None => acd.handle_timeout(now),
            Some(Ev::Arrival) => {
                arrived += 1;
                if arrived == model.warm_up + 1 && model.warm_up > 0 {
                    acd.handle_input(now, Input::StartDay).expect("start day");
                    measuring = true;
                }
                let call = CallId(arrived);
                let queue = format!("q{}", rng.random_range(0..model.queues));
                let queue: acd::QueueId = queue.as_str().into();
                acd.handle_input(
                    now,
                    Input::Join {
                        call,
                        queue: queue.clone(),
                        priority: 0,
                    },
                )
                .expect("join");
                if model.queues == 1 && measuring {
                    let position = acd.waiting(&queue).map_or(0, |w| w.len());
                    oracle.insert(call, position as f64 * model.mean_handle / staffed);
                }
                if let Some(p) = model.patience {
                    let give_up = (now - t0).as_secs_f64() + exp(&mut rng, p);
                    push(
                        &mut heap,
                        Duration::from_secs_f64(give_up),
                        Ev::GiveUp(call),
                    );
                }
                if arrived < model.calls {
                    let t = next_arrival(&mut rng, (now - t0).as_secs_f64());
                    push(&mut heap, Duration::from_secs_f64(t), Ev::Arrival);
                }
            }
            Some(Ev::Answer(call, operator)) => {
                // The offer may have been withdrawn meanwhile (caller gone): then it is refused.
                let _ = acd.handle_input(now, Input::Accept { call, operator });
            }
            Some(Ev::End(call)) => {
                connected.remove(&call);
                acd.handle_input(now, Input::Complete { call })
                    .expect("complete");
            }
            Some(Ev::GiveUp(call)) => {
                if !connected.contains_key(&call) {
                    let _ = acd.handle_input(now, Input::Abandon { call });
                }
            }
        }
        while let Some(output) = acd.poll_output() {
            match output {
                Output::Offer { call, operator, .. } => {
                    let at = (now - t0) + model.pick_up;
                    push(&mut heap, at, Ev::Answer(call, operator));
                }
                Output::Exit { .. } => exits += 1,
                Output::Journal(entry) => {
                    journal_entries += 1;
                    match &entry.event {
                        Event::Joined {
                            call,
                            estimate: Some(e),
                            ..
                        } if measuring => {
                            estimates.insert(*call, (entry.at, *e));
                        }
                        Event::Connected { call, .. } => {
                            connected.insert(*call, ());
                            if let Some((joined, e)) = estimates.remove(call) {
                                let actual = (entry.at - joined).as_secs_f64();
                                if let Some(o) = oracle.remove(call)
                                    && (actual > 0.0 || o > 0.0)
                                {
                                    oracle_errors.push(o - actual);
                                }
                                // Calls that had to wait: those told a wait or that waited.
                                if actual > 0.0 || !e.is_zero() {
                                    estimate_errors.push(e.as_secs_f64() - actual);
                                }
                            }
                            let end = (now - t0).as_secs_f64() + exp(&mut rng, model.mean_handle);
                            push(&mut heap, Duration::from_secs_f64(end), Ev::End(*call));
                        }
                        _ => {}
                    }
                    report.record(&entry);
                }
                _ => {}
            }
        }
    }
    Run {
        report,
        estimate_errors,
        oracle_errors,
        exits,
        journal_entries,
        sim_seconds: (now - t0).as_secs_f64(),
    }
}

/// Erlang C: probability of waiting with `n` servers and offered load `a` Erlangs.
fn erlang_c(n: u32, a: f64) -> f64 {
    let mut b = 1.0; // Erlang B, by recursion
    for k in 1..=n {
        b = a * b / (f64::from(k) + a * b);
    }
    let n = f64::from(n);
    n * b / (n - a * (1.0 - b))
}

fn erlang() {
    println!("## Erlang C: one queue, 20 operators, mean handle 180 s, answer target 20 s");
    println!(
        "| load | answered | SL formula | SL simulated | diff | mean wait formula | simulated | diff | estimate error median / p90, mean | oracle median / p90 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let n = 20u32;
    let aht = 180.0;
    let target = 20.0;
    for (rho, calls) in [
        (0.70, 1_500_000u64),
        (0.80, 1_000_000),
        (0.90, 1_500_000),
        (0.95, 3_000_000),
    ] {
        let a = rho * f64::from(n);
        let lambda = a / aht;
        let mut q = QueueConfig::new("q0");
        q.ring_timeout = Duration::from_secs(60);
        let mut config = AcdConfig::new(vec![q]);
        config.targets = ServiceTargets {
            answer_within: Duration::from_secs_f64(target),
            ..ServiceTargets::default()
        };
        config.operators = (0..n)
            .map(|o| OperatorProfile {
                id: format!("op{o}").as_str().into(),
                queues: vec![Membership {
                    queue: "q0".into(),
                    skill: 50,
                }],
            })
            .collect();
        let model = Model {
            rate: Box::new(move |_| lambda),
            max_rate: lambda,
            queues: 1,
            mean_handle: aht,
            patience: None,
            pick_up: Duration::ZERO,
            calls,
            warm_up: calls / 20,
        };
        let wall = Instant::now();
        let run = simulate(config, &model, 42);
        let c = erlang_c(n, a);
        let sl_formula = 1.0 - c * (-(f64::from(n) - a) * target / aht).exp();
        let w_formula = c * aht / (f64::from(n) - a);
        let day = run.report.today().expect("a day");
        let s = day.queues[&"q0".into()];
        let sl = s.answered_on_time as f64 / s.answered as f64;
        let w = s.total_answer_wait.as_secs_f64() / s.answered as f64;
        let e = acd::EstimateAccuracy::summary(&run.estimate_errors).expect("samples");
        let o = acd::EstimateAccuracy::summary(&run.oracle_errors).expect("samples");
        println!(
            "| {rho:.2} | {} | {:.2}% | {:.2}% | {:+.2} pt | {:.1} s | {:.1} s | {:+.1}% | {:.1} s / {:.1} s, {:+.1} s ({} waited; {:.1} s wall) | {:.1} s / {:.1} s |",
            s.answered,
            100.0 * sl_formula,
            100.0 * sl,
            100.0 * (sl - sl_formula),
            w_formula,
            w,
            100.0 * (w - w_formula) / w_formula,
            e.median_abs,
            e.p90_abs,
            e.mean_signed,
            e.samples,
            wall.elapsed().as_secs_f64(),
            o.median_abs,
            o.p90_abs,
        );
    }
}

fn busy_day() {
    const QUEUES: usize = 50;
    const OPERATORS: usize = 5_000;
    const CALLS: u64 = 1_500_000;
    let hours = 12.0;
    let aht = 120.0;
    // Two peaks (10:00 and 15:00 in a day from 08:00): rate ∝ 1 + 0.6·bumps, scaled so that the
    // day carries 1.5 million calls.
    let shape = |t: f64| {
        let h = t / 3600.0;
        1.0 + 0.6 * (-(h - 2.0).powi(2) / 2.0).exp() + 0.5 * (-(h - 7.0).powi(2) / 2.0).exp()
    };
    let steps = 10_000;
    let integral: f64 = (0..steps)
        .map(|i| shape((i as f64 + 0.5) * hours * 3600.0 / steps as f64))
        .sum::<f64>()
        * hours
        * 3600.0
        / steps as f64;
    let scale = CALLS as f64 / integral;
    let max_rate = scale * 1.7;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let queues: Vec<QueueConfig> = (0..QUEUES)
        .map(|q| {
            let mut c = QueueConfig::new(&format!("q{q}"));
            c.wrap_up = Duration::from_secs(10);
            c.announce = Some(AnnounceConfig {
                every: Duration::from_secs(30),
                skip_below: Duration::from_secs(20),
            });
            c.max_wait = Some(Duration::from_secs(45));
            c.on_max_wait = if q % 10 == 9 {
                Destination::Voicemail
            } else {
                Destination::Queue {
                    queue: format!("q{}", q / 10 * 10 + 9).as_str().into(),
                }
            };
            c
        })
        .collect();
    let mut config = AcdConfig::new(queues);
    config.operators = (0..OPERATORS)
        .map(|o| {
            let home = o % QUEUES;
            let mut qs = vec![home];
            while qs.len() < 3 {
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
                        skill: 50,
                    })
                    .collect(),
            }
        })
        .collect();
    let model = Model {
        rate: Box::new(move |t| scale * shape(t)),
        max_rate,
        queues: QUEUES,
        mean_handle: aht,
        patience: Some(240.0),
        pick_up: Duration::from_secs(3),
        calls: CALLS,
        warm_up: 0,
    };
    println!(
        "## Busy day: {CALLS} calls over {hours} h into {QUEUES} queues, {OPERATORS} operators in 3 queues each"
    );
    let wall = Instant::now();
    let run = simulate(config, &model, 11);
    let took = wall.elapsed().as_secs_f64();
    let day = run.report.today().expect("a day");
    let total = Report::total(day);
    let level = total.service_level(&run.report.targets);
    println!(
        "simulated {:.1} h in {took:.1} s of wall time ({:.0} calls/s, {:.0}× real time); {} journal entries ({:.0}/s)",
        run.sim_seconds / 3600.0,
        CALLS as f64 / took,
        run.sim_seconds / took,
        run.journal_entries,
        run.journal_entries as f64 / took
    );
    println!(
        "answered {} ({:.1}% within 30 s, {} over 90 s), abandoned {} ({:.1}%), overflowed to another queue {}, to voicemail {} (joins {})",
        total.answered,
        100.0 * level.on_time_share.unwrap_or(0.0),
        total.answered_late,
        total.abandoned,
        100.0 * level.abandoned_share.unwrap_or(0.0),
        total.left - run.exits,
        run.exits,
        total.joined
    );
    println!(
        "mean answer wait {:.1} s, longest answered wait {:.1} s, longest abandoned wait {:.1} s",
        level.mean_answer_wait.unwrap_or_default().as_secs_f64(),
        total.longest_answer_wait.as_secs_f64(),
        total.longest_abandoned_wait.as_secs_f64()
    );
    if let Some(e) = acd::EstimateAccuracy::summary(&run.estimate_errors) {
        println!(
            "estimate at joining (all answered calls, 3 s pick-up included): median error {:.1} s, p90 {:.1} s, mean {:+.1} s ({} calls)",
            e.median_abs, e.p90_abs, e.mean_signed, e.samples
        );
    }
    match acd::EstimateAccuracy::summary(&run.report.estimates.announced) {
        Some(e) => println!(
            "announced estimates: median error {:.1} s, p90 {:.1} s, mean {:+.1} s ({} announcements)",
            e.median_abs, e.p90_abs, e.mean_signed, e.samples
        ),
        None => println!("no announcement was meaningful (every estimate under 20 s)"),
    }
}

fn main() {
    let which: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let want = |name: &str| which.is_empty() || which.iter().any(|w| w == name);
    if want("erlang") {
        erlang();
    }
    if want("day") {
        busy_day();
    }
}
