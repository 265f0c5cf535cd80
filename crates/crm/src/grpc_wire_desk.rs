//! Desk events and staff roles on the wire of the `Crm` service.

use cti_proto::crm::v1 as wire;

use crate::desk::{self, DeskEvent, DeskEventKind};
use crate::grpc_wire_cases as cases;
use crate::grpc_wire_customers as customers;

pub(crate) fn staff_role(role: crm_store::StaffRole) -> wire::StaffRole {
    use crm_store::StaffRole as R;
    match role {
        R::Operator => wire::StaffRole::Operator,
        R::SecondLevel => wire::StaffRole::SecondLevel,
        R::Rejections => wire::StaffRole::Rejections,
        R::Supervisor => wire::StaffRole::Supervisor,
        R::Administrator => wire::StaffRole::Administrator,
        #[allow(unreachable_patterns)]
        _ => wire::StaffRole::Unspecified,
    }
}

/// A desk event on the wire.
pub(crate) fn desk_event(event: &DeskEvent) -> wire::DeskEvent {
    use wire::desk_event::Event;
    let call = |c: &desk::DeskCall| wire::DeskCall {
        call_id: c.call_id.clone(),
        service_request: Some(cases::service_request(c.service_request.clone())),
    };
    let kind = match &event.kind {
        DeskEventKind::Offered(pop) => Event::Offered(wire::ScreenPop {
            call_id: pop.call_id.clone(),
            service_request: Some(cases::service_request(pop.service_request.clone())),
            waited_ms: pop.waited_ms,
            customer: pop.customer.clone().map(customers::pop),
            candidates: pop
                .candidates
                .iter()
                .cloned()
                .map(customers::customer)
                .collect(),
        }),
        DeskEventKind::Connected(c) => Event::Connected(call(c)),
        DeskEventKind::Ended(c) => Event::Ended(call(c)),
        DeskEventKind::Lagged { missed } => Event::Lagged(wire::StreamLagged { missed: *missed }),
        DeskEventKind::StateChanged(state) => Event::State(state.clone()),
    };
    wire::DeskEvent {
        at_unix_ms: event.at_unix_ms,
        event: Some(kind),
    }
}
