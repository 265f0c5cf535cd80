//! Announcements: position and estimated wait at the queue's interval, only when meaningful
//! (not about to be served, not with an unknown estimate); the estimate is position × mean
//! handle time ÷ staffed operators; what was predicted is in the journal, and the report
//! measures its error.

mod common;

use acd::{AnnounceConfig, CallId, Event, Output, QueueConfig, Report, ServiceTargets};
use common::{Sim, config, offers, profile, secs};

fn desk() -> Sim {
    let mut desk = QueueConfig::new("desk");
    desk.announce = Some(AnnounceConfig {
        every: secs(30),
        skip_below: secs(60),
    });
    let mut fresh = QueueConfig::new("fresh");
    fresh.announce = desk.announce.clone();
    Sim::new(config(
        vec![desk, fresh],
        vec![
            profile("anna", &[("desk", 50)]),
            profile("bruno", &[("desk", 50)]),
            profile("carla", &[("fresh", 50)]),
        ],
    ))
}

fn announce(call: u64, position: usize, estimate: u64) -> Output {
    Output::Announce {
        call: CallId(call),
        position,
        estimate: secs(estimate),
    }
}

/// Two calls of 100 s each: the desk's mean handle time is known.
fn with_history(sim: &mut Sim) {
    sim.login(0, "anna");
    sim.login(0, "bruno");
    sim.join(0, 1, "desk");
    sim.accept(0, 1, "anna");
    sim.complete(100, 1);
    let (call, operator) = offers(&sim.join(100, 2, "desk")).pop().unwrap();
    sim.accept(100, call, &operator);
    sim.complete(200, 2);
}

#[test]
fn waiting_callers_hear_position_and_estimate_when_it_means_something() {
    let mut sim = desk();
    with_history(&mut sim);
    for call in [3, 4] {
        let (c, o) = offers(&sim.join(200, call, "desk")).pop().unwrap();
        sim.accept(200, c, &o);
    }
    for (t, call) in [(201, 5), (202, 6), (203, 7)] {
        sim.join(t, call, "desk");
    }
    let estimates: Vec<Option<u64>> = sim
        .journal
        .iter()
        .filter_map(|e| match &e.event {
            Event::Joined { call, estimate, .. } if call.0 >= 5 => {
                Some(estimate.map(|d| d.as_secs()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        estimates,
        vec![Some(50), Some(100), Some(150)],
        "p × 100 s ÷ 2"
    );
    // At 231 s call 5 would hear 50 s: below 60 s it is about to be served, so nothing.
    let out = sim.advance_to(233);
    assert_eq!(out, vec![announce(6, 2, 100), announce(7, 3, 150)]);
    // Call 3 ends: call 5 is answered, everyone moves up.
    let (c, o) = offers(&sim.complete(250, 3)).pop().unwrap();
    sim.accept(250, c, &o);
    // Call 3 talked 50 s: the mean handle time is now 250 s ÷ 3. Call 6, next in line, would
    // hear 42 s (about to be served, skipped); call 7 hears position 2, 83 s.
    let out = sim.advance_to(263);
    let told: Vec<(u64, usize, u64)> = out
        .iter()
        .filter_map(|o| match o {
            Output::Announce {
                call,
                position,
                estimate,
            } => Some((call.0, *position, estimate.as_secs())),
            _ => None,
        })
        .collect();
    assert_eq!(told, vec![(7, 2, 83)]);

    let report = Report::from_journal(ServiceTargets::default(), &sim.journal);
    // Call 5: told 50 s at 201 s, answered at 250 s: 1 s too long.
    assert_eq!(report.estimates.at_join.last().copied(), Some(1.0));
}

#[test]
fn nothing_is_announced_while_the_estimate_is_unknown() {
    let mut sim = desk();
    sim.login(0, "carla");
    sim.join(0, 1, "fresh");
    sim.accept(0, 1, "carla");
    sim.join(1, 2, "fresh");
    // No call of `fresh` has ended yet: no handle time, no estimate, no announcement.
    assert!(sim.advance_to(200).is_empty());
    assert_eq!(sim.acd.snapshot(sim.now).queues[1].estimate_now, None);
    assert!(
        sim.acd.poll_timeout().is_some(),
        "the next announcement is still scheduled"
    );
}
