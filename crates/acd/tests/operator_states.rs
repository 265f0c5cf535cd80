//! Operators' states: login to all queues or some, ready and not ready with a reason, wrap-up
//! (timed, extended within its cap, ended early), changes asked for during a call, supervisor
//! forcing, and refused inputs that leave everything as it was.

mod common;

use acd::{
    AcdError, CallId, Cause, Event, Forced, Input, OperatorState, Output, Pending, QueueConfig,
    ReasonCode, Status, StatusKind, WarningKind,
};
use common::{Sim, config, offer, profile, secs};

fn desk() -> Sim {
    let mut tech = QueueConfig::new("technology");
    tech.wrap_up = secs(30);
    tech.max_wrap_up = secs(60);
    Sim::new(config(
        vec![tech, QueueConfig::new("personnel")],
        vec![
            profile("anna", &[("technology", 80), ("personnel", 40)]),
            profile("bruno", &[("personnel", 50)]),
        ],
    ))
}

fn reason(code: &str) -> ReasonCode {
    ReasonCode::new(code).unwrap()
}

#[test]
fn login_to_some_queues_then_all_with_the_skill_of_each() {
    let mut sim = desk();
    sim.input(
        0,
        Input::Login {
            operator: "anna".into(),
            queues: Some(vec!["personnel".into()]),
        },
    );
    let view = sim.acd.operator(&"anna".into(), sim.now).unwrap();
    assert_eq!(view.queues, vec![("personnel".into(), 40)]);
    assert_eq!(view.kind, StatusKind::Ready);
    // A call of a queue she is not logged in to waits.
    assert!(common::offers(&sim.join(1, 1, "technology")).is_empty());
    // Logging in to the rest brings it to her at once, and clears the supervisors' warning.
    assert_eq!(
        sim.login(5, "anna"),
        vec![
            offer(1, "anna", "technology", 4),
            Output::Warning {
                queue: "technology".into(),
                kind: WarningKind::CallersWithoutOperators,
                raised: false
            }
        ]
    );
    let view = sim.acd.operator(&"anna".into(), sim.now).unwrap();
    assert_eq!(
        view.queues,
        vec![("technology".into(), 80), ("personnel".into(), 40)]
    );
    assert_eq!(
        sim.try_input(
            6,
            Input::Login {
                operator: "bruno".into(),
                queues: Some(vec!["technology".into()]),
            }
        ),
        Err(AcdError::NotAMember {
            operator: "bruno".into(),
            queue: "technology".into()
        })
    );
}

#[test]
fn not_ready_with_a_reason_and_every_change_timestamped() {
    let mut sim = desk();
    sim.login(0, "anna");
    sim.input(
        10,
        Input::NotReady {
            operator: "anna".into(),
            reason: reason("training"),
        },
    );
    sim.advance_to(70);
    let view = sim.acd.operator(&"anna".into(), sim.now).unwrap();
    assert_eq!(
        view.state,
        OperatorState::NotReady {
            reason: reason("training")
        }
    );
    assert_eq!(view.in_state, secs(60));
    assert!(
        sim.join(80, 1, "technology").is_empty(),
        "not ready: no offer"
    );
    assert_eq!(
        sim.input(
            90,
            Input::Ready {
                operator: "anna".into()
            }
        ),
        vec![offer(1, "anna", "technology", 10)]
    );
    let changes: Vec<(f64, Status)> = sim
        .journal
        .iter()
        .filter_map(|e| match &e.event {
            Event::StateChanged { status, .. } => {
                Some(((e.at - sim.t0).as_secs_f64(), status.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        changes[1],
        (
            10.0,
            Status::NotReady {
                reason: reason("training")
            }
        )
    );
    assert_eq!(changes[2].0, 90.0);
    assert_eq!(changes[3], (90.0, Status::Reserved { call: CallId(1) }));
}

#[test]
fn wrap_up_runs_its_time_can_be_extended_to_its_cap_and_ended_early() {
    let mut sim = desk();
    sim.login(0, "anna");
    sim.join(10, 1, "technology");
    sim.accept(12, 1, "anna");
    sim.complete(100, 1);
    assert_eq!(
        sim.state("anna"),
        OperatorState::WrapUp {
            until: Some(sim.t0 + secs(130))
        }
    );
    // 30 s so far; the cap is 60 s in all: +50 is cut to +30.
    sim.input(
        110,
        Input::ExtendWrapUp {
            operator: "anna".into(),
            by: secs(50),
        },
    );
    assert_eq!(
        sim.state("anna"),
        OperatorState::WrapUp {
            until: Some(sim.t0 + secs(160))
        }
    );
    sim.join(120, 2, "technology");
    let out = sim.advance_to(160);
    assert_eq!(
        out,
        vec![offer(2, "anna", "technology", 40)],
        "ready at the end of wrap-up"
    );
    sim.accept(161, 2, "anna");
    sim.complete(170, 2);
    sim.input(
        175,
        Input::EndWrapUp {
            operator: "anna".into(),
        },
    );
    assert!(matches!(sim.state("anna"), OperatorState::Ready { .. }));
    assert_eq!(
        sim.try_input(
            176,
            Input::EndWrapUp {
                operator: "anna".into()
            }
        ),
        Err(AcdError::InvalidState {
            operator: "anna".into(),
            state: StatusKind::Ready,
            action: "end wrap-up"
        })
    );
}

#[test]
fn a_pause_or_logout_asked_for_during_a_call_waits_for_its_end() {
    let mut sim = desk();
    sim.login(0, "anna");
    sim.join(1, 1, "personnel");
    sim.accept(2, 1, "anna");
    sim.input(
        3,
        Input::NotReady {
            operator: "anna".into(),
            reason: reason("break"),
        },
    );
    let view = sim.acd.operator(&"anna".into(), sim.now).unwrap();
    assert_eq!(view.kind, StatusKind::OnCall);
    assert_eq!(
        view.pending,
        Some(Pending::NotReady {
            reason: reason("break")
        })
    );
    sim.join(4, 2, "personnel");
    assert!(
        sim.complete(50, 1).is_empty(),
        "no wrap-up in personnel, then the break"
    );
    assert_eq!(
        sim.state("anna"),
        OperatorState::NotReady {
            reason: reason("break")
        }
    );
    // Logout during a call: after it, and the call's wrap-up is skipped by nothing.
    sim.input(
        51,
        Input::Ready {
            operator: "anna".into(),
        },
    );
    sim.accept(51, 2, "anna");
    sim.input(
        52,
        Input::Logout {
            operator: "anna".into(),
            queues: None,
        },
    );
    assert_eq!(sim.state("anna"), OperatorState::OnCall { call: CallId(2) });
    sim.complete(60, 2);
    assert_eq!(sim.state("anna"), OperatorState::LoggedOut);
    assert!(
        sim.acd
            .operator(&"anna".into(), sim.now)
            .unwrap()
            .queues
            .is_empty()
    );
}

#[test]
fn a_supervisor_forces_states_and_the_journal_says_so() {
    let mut sim = desk();
    sim.login(0, "bruno");
    sim.input(
        5,
        Input::Force {
            operator: "bruno".into(),
            state: Forced::NotReady {
                reason: reason("meeting"),
            },
        },
    );
    sim.input(
        6,
        Input::Force {
            operator: "bruno".into(),
            state: Forced::Ready,
        },
    );
    sim.input(
        7,
        Input::Force {
            operator: "bruno".into(),
            state: Forced::LoggedOut,
        },
    );
    let forced: Vec<StatusKind> = sim
        .journal
        .iter()
        .filter_map(|e| match &e.event {
            Event::StateChanged {
                status,
                cause: Cause::Supervisor,
                ..
            } => Some(status.kind()),
            _ => None,
        })
        .collect();
    assert_eq!(
        forced,
        vec![
            StatusKind::NotReady,
            StatusKind::Ready,
            StatusKind::LoggedOut
        ]
    );
}

#[test]
fn refused_inputs_are_typed_and_change_nothing() {
    let mut sim = desk();
    sim.advance_to(1);
    let before = sim.acd.snapshot(sim.now);
    let seq = sim.acd.next_seq();
    let errors = [
        (
            Input::Ready {
                operator: "anna".into(),
            },
            AcdError::InvalidState {
                operator: "anna".into(),
                state: StatusKind::LoggedOut,
                action: "become ready",
            },
        ),
        (
            Input::Login {
                operator: "zoe".into(),
                queues: None,
            },
            AcdError::UnknownOperator("zoe".into()),
        ),
        (
            Input::Logout {
                operator: "anna".into(),
                queues: None,
            },
            AcdError::InvalidState {
                operator: "anna".into(),
                state: StatusKind::LoggedOut,
                action: "log out",
            },
        ),
        (
            Input::Complete { call: CallId(3) },
            AcdError::UnknownCall(CallId(3)),
        ),
        (
            Input::Join {
                call: CallId(3),
                queue: "nope".into(),
                priority: 0,
            },
            AcdError::UnknownQueue("nope".into()),
        ),
    ];
    for (input, error) in errors {
        assert_eq!(sim.try_input(1, input), Err(error));
    }
    assert_eq!(sim.acd.snapshot(sim.now), before);
    assert_eq!(sim.acd.next_seq(), seq, "nothing journalled");
    assert!(matches!(
        ReasonCode::new("a reason far too long for any wallboard cell"),
        Err(AcdError::InvalidReason { .. })
    ));
    sim.login(2, "anna");
    sim.join(3, 1, "technology");
    assert_eq!(
        sim.try_input(4, Input::Abandon { call: CallId(1) })
            .map(|_| ()),
        Ok(())
    );
    assert_eq!(
        sim.try_input(
            5,
            Input::Accept {
                call: CallId(1),
                operator: "anna".into()
            }
        ),
        Err(AcdError::UnknownCall(CallId(1)))
    );
}
