//! The journal: gap-free, serialisable, and enough to rebuild the ACD after a restart (with the
//! instants mapped to the new process's clock); reports and service levels computed from it by
//! a pure reducer agree with the supervisor snapshot.

mod common;

use std::time::Duration;

use acd::{
    Acd, CallId, Event, Input, JournalEntry, QueueConfig, ReasonCode, Report, ServiceTargets,
};
use common::{Sim, config, offers, profile, secs};

fn busy_morning() -> Sim {
    let mut desk = QueueConfig::new("desk");
    desk.wrap_up = secs(20);
    desk.ring_timeout = secs(120);
    desk.announce = Some(acd::AnnounceConfig {
        every: secs(30),
        skip_below: secs(0),
    });
    let mut sim = Sim::new(config(
        vec![desk, QueueConfig::new("back-office")],
        vec![
            profile("anna", &[("desk", 60), ("back-office", 40)]),
            profile("bruno", &[("desk", 50)]),
        ],
    ));
    sim.login(0, "anna");
    sim.login(0, "bruno");
    sim.join(1, 1, "desk");
    sim.accept(2, 1, "anna");
    sim.join(3, 2, "desk");
    sim.accept(4, 2, "bruno");
    sim.join(5, 3, "desk");
    sim.join(6, 4, "back-office");
    sim.input(7, Input::RequestCallback { call: CallId(3) });
    sim.complete(60, 1);
    sim.input(
        61,
        Input::NotReady {
            operator: "bruno".into(),
            reason: ReasonCode::new("break").unwrap(),
        },
    );
    sim.advance_to(75);
    sim
}

#[test]
fn a_restart_rebuilds_the_acd_from_the_stored_journal() {
    let mut live = busy_morning();
    assert!(live.journal.windows(2).all(|w| w[1].seq == w[0].seq + 1));
    // The driver stores (seq, time since its epoch, event as JSON) ...
    let stored: Vec<(u64, Duration, String)> = live
        .journal
        .iter()
        .map(|e| {
            (
                e.seq,
                e.at - live.t0,
                serde_json::to_string(&e.event).unwrap(),
            )
        })
        .collect();
    // ... and a new process, whose clock reads differently, maps them back.
    let epoch = live.t0 + secs(10_000);
    let entries: Vec<JournalEntry> = stored
        .iter()
        .map(|(seq, offset, json)| JournalEntry {
            seq: *seq,
            at: epoch + *offset,
            event: serde_json::from_str(json).unwrap(),
        })
        .collect();
    let mut restarted = Acd::replay(live.config.clone(), epoch, entries).unwrap();
    let shift = secs(10_000);
    let mut theirs = restarted.snapshot(live.now + shift);
    theirs.at = live.now;
    for o in &mut theirs.operators {
        if let acd::OperatorState::WrapUp { until: Some(u) } = &mut o.state {
            *u -= shift;
        }
    }
    assert_eq!(theirs, live.acd.snapshot(live.now));

    // Both go on alike: Bruno's call ends, the callback is offered, the wrap-up ends.
    let mut out = live.advance_to(90);
    out.extend(live.complete(90, 2));
    restarted
        .handle_input(live.now + shift, Input::Complete { call: CallId(2) })
        .unwrap();
    let mut twin = Vec::new();
    while let Some(o) = restarted.poll_output() {
        twin.push(o);
    }
    let events = |v: &[acd::Output]| -> Vec<Event> {
        v.iter()
            .filter_map(|o| match o {
                acd::Output::Journal(e) => Some(e.event.clone()),
                _ => None,
            })
            .collect()
    };
    let last = live.journal.len() - events(&twin).len();
    let live_events: Vec<Event> = live.journal[last..]
        .iter()
        .map(|e| e.event.clone())
        .collect();
    assert_eq!(events(&twin), live_events);
    let actions: Vec<acd::Output> = twin
        .into_iter()
        .filter(|o| !matches!(o, acd::Output::Journal(_)))
        .collect();
    assert!(actions.contains(&acd::Output::Offer {
        call: CallId(3),
        queue: "desk".into(),
        operator: "anna".into(),
        kind: acd::OfferKind::Callback,
        waited: secs(75),
    }));
    assert_eq!(actions, out);
}

#[test]
fn service_levels_come_from_the_journal_and_match_the_snapshot() {
    let mut q = QueueConfig::new("desk");
    q.ring_timeout = secs(120);
    let mut sim = Sim::new(config(vec![q], vec![profile("anna", &[("desk", 50)])]));
    sim.login(0, "anna");
    let mut t = 10;
    for (call, wait) in [5, 10, 10, 20, 25, 28, 30, 12, 8, 95]
        .into_iter()
        .enumerate()
    {
        let call = call as u64 + 1;
        assert_eq!(offers(&sim.join(t, call, "desk")).len(), 1);
        sim.accept(t + wait, call, "anna");
        sim.complete(t + wait + 60, call);
        t += wait + 100;
    }
    sim.join(t, 99, "desk");
    sim.input(t + 40, Input::Abandon { call: CallId(99) });

    let report = Report::from_journal(ServiceTargets::default(), &sim.journal);
    let day = report.today().unwrap();
    let desk = day.queues[&"desk".into()];
    let level = desk.service_level(&report.targets);
    assert_eq!((desk.answered, desk.abandoned), (10, 1));
    assert_eq!(level.on_time_share, Some(0.9), "answered within 30 s");
    assert_eq!(level.answered_late, 1, "one over 90 s");
    assert_eq!(level.abandoned_share, Some(1.0 / 11.0));
    assert_eq!(level.meets_targets, Some(false));
    assert_eq!(desk.longest_answer_wait, secs(95));
    let snap = sim.acd.snapshot(sim.now);
    assert_eq!(snap.queues[0].today, desk);
    assert_eq!(snap.queues[0].service_level, level);

    // A new day: today's figures start again, yesterday's stay in the report.
    sim.input(t + 100, Input::StartDay);
    sim.join(t + 110, 100, "desk");
    sim.accept(t + 113, 100, "anna");
    let report = Report::from_journal(ServiceTargets::default(), &sim.journal);
    assert_eq!(report.days.len(), 2);
    let today = report.today().unwrap().queues[&"desk".into()];
    assert_eq!(today.answered, 1);
    assert_eq!(
        today.service_level(&report.targets).meets_targets,
        Some(true)
    );
    assert_eq!(sim.acd.snapshot(sim.now).queues[0].today, today);
    assert_eq!(Report::total(&report.days[0]).answered, 10, "yesterday");
}
