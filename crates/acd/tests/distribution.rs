//! Distribution: longest idle by default, round robin, fewest calls, skills; FIFO within a
//! priority class; an operator of several queues takes the call with the largest weighted wait,
//! until the ageing bound makes the oldest call win.

mod common;

use acd::{AcdConfig, CallId, Input, QueueConfig, Strategy};
use common::{Sim, config, offer, offers, profile, secs};

fn one_queue(strategy: Strategy, skills: &[(&str, u8)]) -> Sim {
    let mut q = QueueConfig::new("desk");
    q.strategy = strategy;
    Sim::new(config(
        vec![q],
        skills
            .iter()
            .map(|(o, s)| profile(o, &[("desk", *s)]))
            .collect(),
    ))
}

/// One call after another, each answered and ended at once: who got each.
fn serve(sim: &mut Sim, from: u64, calls: u64) -> Vec<String> {
    let mut who = Vec::new();
    for i in 0..calls {
        let t = from + 10 * i;
        let out = sim.join(t, 100 + i, "desk");
        let (call, operator) = offers(&out).pop().expect("an operator is free");
        sim.accept(t, call, &operator);
        sim.complete(t + 1, call);
        who.push(operator);
    }
    who
}

#[test]
fn the_operator_idle_longest_gets_the_call() {
    let mut sim = one_queue(Strategy::LongestIdle, &[("anna", 50), ("bruno", 50)]);
    sim.login(0, "bruno");
    sim.login(10, "anna");
    assert_eq!(sim.join(20, 1, "desk"), vec![offer(1, "bruno", "desk", 0)]);
    assert_eq!(sim.join(21, 2, "desk"), vec![offer(2, "anna", "desk", 0)]);
    sim.accept(22, 1, "bruno");
    sim.accept(22, 2, "anna");
    sim.complete(100, 2);
    sim.complete(200, 1);
    assert_eq!(sim.join(300, 3, "desk"), vec![offer(3, "anna", "desk", 0)]);
}

#[test]
fn round_robin_takes_operators_in_turn() {
    let mut sim = one_queue(
        Strategy::RoundRobin,
        &[("anna", 50), ("bruno", 50), ("carla", 50)],
    );
    sim.login(0, "carla");
    sim.login(1, "anna");
    sim.login(2, "bruno");
    assert_eq!(
        serve(&mut sim, 10, 5),
        ["carla", "anna", "bruno", "carla", "anna"]
    );
}

#[test]
fn fewest_calls_evens_out_the_load() {
    let mut sim = one_queue(Strategy::FewestCalls, &[("anna", 50), ("bruno", 50)]);
    sim.login(0, "anna");
    assert_eq!(serve(&mut sim, 1, 2), ["anna", "anna"]);
    sim.login(30, "bruno");
    // Anna has been idle longer, but Bruno has answered fewer calls today.
    assert_eq!(serve(&mut sim, 40, 3), ["bruno", "bruno", "anna"]);
    // A new day evens the counts again: longest idle breaks the tie (Bruno since 51 s).
    sim.input(100, Input::StartDay);
    assert_eq!(serve(&mut sim, 110, 1), ["bruno"]);
}

#[test]
fn skills_prefer_the_highest_level_then_the_longest_idle() {
    let mut sim = one_queue(
        Strategy::Skills,
        &[("anna", 30), ("bruno", 90), ("carla", 90)],
    );
    sim.login(0, "anna");
    sim.login(1, "carla");
    sim.login(2, "bruno");
    assert_eq!(sim.join(10, 1, "desk"), vec![offer(1, "carla", "desk", 0)]);
    assert_eq!(sim.join(11, 2, "desk"), vec![offer(2, "bruno", "desk", 0)]);
    assert_eq!(sim.join(12, 3, "desk"), vec![offer(3, "anna", "desk", 0)]);
}

#[test]
fn callers_are_served_in_arrival_order_within_a_priority_class() {
    let mut sim = one_queue(Strategy::LongestIdle, &[("anna", 50)]);
    for (t, call, priority) in [(0, 1, 0), (1, 2, 0), (2, 3, 2), (3, 4, 0), (4, 5, 2)] {
        sim.input(
            t,
            Input::Join {
                call: CallId(call),
                queue: "desk".into(),
                priority,
            },
        );
    }
    assert_eq!(
        sim.acd.waiting(&"desk".into()),
        Some([3, 5, 1, 2, 4].map(CallId).to_vec())
    );
    let waits: Vec<usize> = sim.acd.snapshot(sim.now).queues[0]
        .waiting
        .iter()
        .map(|w| w.position)
        .collect();
    assert_eq!(waits, vec![1, 2, 3, 4, 5]);
}

fn two_queues(ageing: u64) -> Sim {
    let mut vip = QueueConfig::new("vip");
    vip.weight = 3;
    let mut c: AcdConfig = config(
        vec![vip, QueueConfig::new("standard")],
        vec![profile("anna", &[("vip", 50), ("standard", 50)])],
    );
    c.ageing_bound = secs(ageing);
    let mut sim = Sim::new(c);
    sim.join(0, 1, "standard");
    sim.join(20, 2, "vip");
    sim
}

#[test]
fn a_shared_operator_takes_the_largest_weighted_wait() {
    // At 40 s: standard waited 40 s × 1, vip 20 s × 3 = 60: vip first.
    let mut sim = two_queues(120);
    assert_eq!(offers(&sim.login(40, "anna")), [(2, "anna".to_string())]);
}

#[test]
fn the_ageing_bound_keeps_weights_from_starving_a_queue() {
    // With a 30 s bound the standard caller (40 s) outranks the vip one (20 s).
    let mut sim = two_queues(30);
    assert_eq!(offers(&sim.login(40, "anna")), [(1, "anna".to_string())]);
}
