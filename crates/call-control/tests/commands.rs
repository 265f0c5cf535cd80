//! Operators and supervisors command the ACD from outside a call (desktop, feature code,
//! supervisor), in simulated time: a paused operator is not offered calls, going ready takes
//! the waiting one at once; bad commands are refused with a reason.

mod sim;

use call_control::{CommandError, ForcedState, OperatorCommand};
use sim::*;
use sip_message::Method;

#[test]
fn a_paused_operator_gets_no_call_and_going_ready_takes_the_waiting_one() {
    let mut sim = Sim::new(&["1001"]);
    sim.register("1001", PHONE_1001);
    let now = sim.now;
    sim.core
        .handle_command(
            now,
            OperatorCommand::NotReady {
                operator: "1001".into(),
                reason: "break".into(),
            },
        )
        .expect("a break");
    let d = queue_call(&mut sim, "cmd-1", "3330000001");
    assert!(
        offered_caller(&d, PHONE_1001).is_none(),
        "nobody rings while 1001 is on a break"
    );
    let now = sim.now;
    sim.core
        .handle_command(
            now,
            OperatorCommand::Ready {
                operator: "1001".into(),
            },
        )
        .expect("back");
    let d = sim.drain();
    assert_eq!(
        d.requests(Method::Invite)
            .iter()
            .filter(|(to, _)| to.to_string() == PHONE_1001)
            .count(),
        1,
        "ready again: the waiting caller is offered at once"
    );
}

#[test]
fn bad_commands_are_refused_with_a_reason() {
    let mut sim = Sim::new(&["1001"]);
    let now = sim.now;
    assert_eq!(
        sim.core.handle_command(
            now,
            OperatorCommand::Ready {
                operator: "9999".into()
            }
        ),
        Err(CommandError::UnknownOperator("9999".into()))
    );
    assert_eq!(
        sim.core.handle_command(
            now,
            OperatorCommand::NotReady {
                operator: "1001".into(),
                reason: "Coffee Break!".into()
            }
        ),
        Err(CommandError::InvalidReason)
    );
    assert_eq!(
        sim.core.handle_command(
            now,
            OperatorCommand::SetQueueOpen {
                queue: "nowhere".into(),
                open: true
            }
        ),
        Err(CommandError::UnknownQueue("nowhere".into()))
    );
    // Logged out, 1001 cannot go ready; a supervisor's force logs them in ready.
    let refused = sim.core.handle_command(
        now,
        OperatorCommand::Ready {
            operator: "1001".into(),
        },
    );
    assert!(
        matches!(refused, Err(CommandError::Refused(ref why)) if why.contains("logged")),
        "{refused:?}"
    );
    sim.core
        .handle_command(
            now,
            OperatorCommand::LogIn {
                operator: "1001".into(),
                queues: None,
            },
        )
        .expect("log in");
    sim.core
        .handle_command(
            now,
            OperatorCommand::Force {
                operator: "1001".into(),
                state: ForcedState::LoggedOut,
            },
        )
        .expect("a supervisor logs 1001 out");
    let view = sim.core.acd_snapshot(now);
    let op = view
        .operators
        .iter()
        .find(|o| o.operator.0 == "1001")
        .expect("1001");
    assert_eq!(op.kind, call_control::acd::StatusKind::LoggedOut);
}
