//! The state changes: classification, first-level outcomes, second-level work, rejection and
//! reassignment, cancellation. Each function checks its rules, then records its changes; the
//! caller ([`crate::Case::apply`]) has already checked closure, lock, links and desk.

use common::Pii;

use crate::case::check_text;
use crate::catalogue::{Catalogue, Service};
use crate::command::CommandKind as K;
use crate::history::Tx;
use crate::ids::{GroupCode, ServiceCode};
use crate::refusal::Rule;
use crate::states::{Rejection, Status, Suspension};
use crate::vocab::{CancelReason, Communication, ContactReason as R, Profile, RejectReason};

/// Classification on the catalogue \[classificazione\]: service and contact reason.
pub(crate) fn classify(
    tx: &mut Tx<'_>,
    catalogue: &Catalogue,
    service: ServiceCode,
    reason: R,
) -> Result<(), Rule> {
    require(tx, K::Classify, |s| matches!(s, Status::Open))?;
    if tx.case.parent.is_some() {
        return Err(Rule::ClassificationFixedByLink);
    }
    let found = catalogue
        .service(&service)
        .ok_or_else(|| Rule::UnknownService {
            service: service.clone(),
        })?;
    if !found.profile.allows(reason) {
        return Err(Rule::ReasonNotInProfile {
            reason,
            profile: found.profile,
        });
    }
    tx.set_service(&service);
    tx.set_contact_reason(reason);
    Ok(())
}

/// Resolved at first level (seed 004, sections 4.1 and 6). Complaints, reports, reminders and
/// notifications have their own paths; information about a request needs the request.
pub(crate) fn resolve_first_level(
    tx: &mut Tx<'_>,
    catalogue: &Catalogue,
    communication: Communication,
) -> Result<(), Rule> {
    require(tx, K::ResolveFirstLevel, |s| matches!(s, Status::Open))?;
    let (_, reason) = tx.case.classification(catalogue)?;
    match reason {
        R::Information | R::Grievance | R::Booking => {}
        R::InformationAboutRequest if tx.case.parent.is_some() => {}
        R::InformationAboutRequest => return Err(Rule::InformationAboutNeedsParent),
        R::Complaint => return Err(Rule::ComplaintGoesToSecondLevel),
        R::Report => return Err(Rule::ReportIsForwarded),
        R::Reminder | R::Notification => return Err(Rule::FollowerNeedsParent { reason }),
    }
    match communication {
        Communication::Communicated => {}
        Communication::ToCommunicate => return Err(Rule::ToCommunicateIsSecondLevels),
        // Seed 004, section 6: "solo per gestione off line".
        Communication::NotCommunicated | Communication::NotCommunicable => {
            if tx.case.channel.is_live() {
                return Err(Rule::CallIsCommunicated);
            }
        }
    }
    tx.set_status(Status::ResolvedFirstLevel { communication });
    Ok(())
}

/// Live transfer: call and case to a second-level group together (seed 004, section 4.2),
/// for a specialist information request on an advanced service.
pub(crate) fn transfer_live(
    tx: &mut Tx<'_>,
    catalogue: &Catalogue,
    group: GroupCode,
) -> Result<(), Rule> {
    require(tx, K::TransferLive, |s| matches!(s, Status::Open))?;
    let (service, reason) = tx.case.classification(catalogue)?;
    if service.profile == Profile::Basic {
        return Err(Rule::BasicHasNoSecondLevel);
    }
    match reason {
        R::Information => {}
        R::Reminder | R::Notification => return Err(Rule::FollowerNeedsParent { reason }),
        _ => return Err(Rule::TransferIsForInformation),
    }
    if !tx.case.channel.is_live() {
        return Err(Rule::LiveTransferNeedsCall);
    }
    check_serves(catalogue, service, &group)?;
    tx.set_status(Status::Transferred);
    tx.set_queue(&group);
    tx.hand_over();
    Ok(())
}

/// Assignment to a second-level group, off line (seed 004, section 4.3): specialist
/// information and complaints on an advanced service.
pub(crate) fn assign(tx: &mut Tx<'_>, catalogue: &Catalogue, group: GroupCode) -> Result<(), Rule> {
    require(tx, K::Assign, |s| matches!(s, Status::Open))?;
    let (service, reason) = tx.case.classification(catalogue)?;
    if service.profile == Profile::Basic {
        return Err(Rule::BasicHasNoSecondLevel);
    }
    match reason {
        R::Information | R::Complaint => {}
        R::Reminder | R::Notification => return Err(Rule::FollowerNeedsParent { reason }),
        _ => return Err(Rule::NotAssignable { reason }),
    }
    check_serves(catalogue, service, &group)?;
    tx.set_status(Status::Assigned);
    tx.set_queue(&group);
    tx.hand_over();
    Ok(())
}

/// A report, taken at first level and shown to the competent group for information:
/// assigned-resolved (seed 004, section 4.1, "Segnalazione").
pub(crate) fn report_for_information(
    tx: &mut Tx<'_>,
    catalogue: &Catalogue,
    group: GroupCode,
) -> Result<(), Rule> {
    require(tx, K::ReportForInformation, |s| matches!(s, Status::Open))?;
    let (service, reason) = tx.case.classification(catalogue)?;
    if reason != R::Report {
        return Err(Rule::OnlyReportsAreForwarded);
    }
    check_serves(catalogue, service, &group)?;
    tx.set_status(Status::AssignedResolved);
    tx.set_queue(&group);
    Ok(())
}

/// No answer in the knowledge base, and a basic service has no second level to ask: not
/// resolvable, shown to the service's group for information (seed 004, sections 3.2, 4.1).
pub(crate) fn record_not_resolvable(
    tx: &mut Tx<'_>,
    catalogue: &Catalogue,
    report_to: GroupCode,
) -> Result<(), Rule> {
    require(tx, K::RecordNotResolvable, |s| matches!(s, Status::Open))?;
    let (service, reason) = tx.case.classification(catalogue)?;
    if service.profile == Profile::Advanced {
        return Err(Rule::AdvancedEscalates);
    }
    if reason != R::Information {
        return Err(Rule::NotResolvableIsForInformation);
    }
    check_serves(catalogue, service, &report_to)?;
    tx.set_status(Status::NotResolvable);
    tx.set_queue(&report_to);
    Ok(())
}

/// Resolved by the second level, with the attribute: communicated, not communicated (still
/// trying), to communicate (contact back: the first level calls), not communicable.
pub(crate) fn resolve_second_level(
    tx: &mut Tx<'_>,
    catalogue: &Catalogue,
    communication: Communication,
) -> Result<(), Rule> {
    require(tx, K::ResolveSecondLevel, |s| {
        matches!(
            s,
            Status::Assigned | Status::Transferred | Status::Suspended(_)
        )
    })?;
    let (service, _) = tx.case.classification(catalogue)?;
    if communication == Communication::ToCommunicate {
        return contact_back(tx, service);
    }
    tx.set_status(Status::ResolvedSecondLevel { communication });
    Ok(())
}

/// A later attempt to tell the citizen, on a resolved case still waiting for it.
pub(crate) fn record_communication(
    tx: &mut Tx<'_>,
    catalogue: &Catalogue,
    communication: Communication,
) -> Result<(), Rule> {
    use Communication as C;
    match (&tx.case.status, communication) {
        (
            Status::ResolvedFirstLevel { communication: now },
            C::Communicated | C::NotCommunicable,
        ) if !now.is_final() => {
            tx.set_status(Status::ResolvedFirstLevel { communication });
            Ok(())
        }
        (Status::ResolvedFirstLevel { communication: now }, C::ToCommunicate)
            if !now.is_final() =>
        {
            Err(Rule::ToCommunicateIsSecondLevels)
        }
        (
            Status::ResolvedSecondLevel {
                communication: C::NotCommunicated | C::ToCommunicate,
            },
            C::Communicated | C::NotCommunicable,
        ) => {
            tx.set_status(Status::ResolvedSecondLevel { communication });
            Ok(())
        }
        // The second level gives up calling and asks the first level to.
        (
            Status::ResolvedSecondLevel {
                communication: C::NotCommunicated,
            },
            C::ToCommunicate,
        ) => {
            let (service, _) = tx.case.classification(catalogue)?;
            contact_back(tx, service)
        }
        (
            Status::ResolvedSecondLevel {
                communication: C::ToCommunicate,
            },
            C::NotCommunicated,
        ) => Err(Rule::CallBackStaysToCommunicate),
        (Status::ResolvedFirstLevel { communication: now }, same)
        | (Status::ResolvedSecondLevel { communication: now }, same)
            if *now == same =>
        {
            Err(Rule::NoChange)
        }
        _ => Err(Rule::WrongState {
            command: K::RecordCommunication,
        }),
    }
}

/// The second level found the answer and asks the first level to call the citizen back
/// [contact back] (seed 004, section 4.2), where the service allows it.
fn contact_back(tx: &mut Tx<'_>, service: &Service) -> Result<(), Rule> {
    if !service.contact_back {
        return Err(Rule::ContactBackDisabled {
            service: service.code.clone(),
        });
    }
    let first_level_queue = tx.case.first_level_queue.clone();
    tx.set_status(Status::ResolvedSecondLevel {
        communication: Communication::ToCommunicate,
    });
    tx.set_queue(&first_level_queue);
    tx.hand_over();
    Ok(())
}

/// The second level waits for a specialist or for the citizen \[sospeso\].
pub(crate) fn suspend(
    tx: &mut Tx<'_>,
    reason: Pii<String>,
    until_unix_ms: Option<i64>,
    now_unix_ms: i64,
) -> Result<(), Rule> {
    require(tx, K::Suspend, |s| {
        matches!(s, Status::Assigned | Status::Transferred)
    })?;
    check_text("suspension reason", &reason)?;
    if until_unix_ms.is_some_and(|until| until <= now_unix_ms) {
        return Err(Rule::SuspensionEndsInThePast);
    }
    tx.set_status(Status::Suspended(Suspension {
        reason,
        until_unix_ms,
    }));
    Ok(())
}

/// Back to work after a suspension: assigned (a live transfer is no longer live).
pub(crate) fn resume(tx: &mut Tx<'_>) -> Result<(), Rule> {
    require(tx, K::Resume, |s| matches!(s, Status::Suspended(_)))?;
    tx.set_status(Status::Assigned);
    Ok(())
}

/// Wrong assignment: to the rejections group (seed 004, section 4.3, "Rigetto").
pub(crate) fn reject(
    tx: &mut Tx<'_>,
    catalogue: &Catalogue,
    reason: RejectReason,
    detail: Pii<String>,
) -> Result<(), Rule> {
    require(tx, K::Reject, |s| {
        matches!(s, Status::Assigned | Status::Transferred)
    })?;
    check_text("rejection detail", &detail)?;
    let rejections = catalogue
        .rejections_group()
        .ok_or(Rule::NoRejectionsGroup)?
        .code
        .clone();
    tx.set_status(Status::Rejected(Rejection { reason, detail }));
    tx.set_queue(&rejections);
    tx.hand_over();
    Ok(())
}

/// The rejections group sends the case to the competent group, correcting the service if
/// that was the mistake \[riassegnazione\].
pub(crate) fn reassign(
    tx: &mut Tx<'_>,
    catalogue: &Catalogue,
    group: GroupCode,
    service: Option<ServiceCode>,
) -> Result<(), Rule> {
    require(tx, K::Reassign, |s| matches!(s, Status::Rejected(_)))?;
    let code = service
        .or_else(|| tx.case.service.clone())
        .ok_or(Rule::Unclassified)?;
    let reason = tx.case.contact_reason.ok_or(Rule::Unclassified)?;
    let found = catalogue
        .service(&code)
        .ok_or_else(|| Rule::UnknownService {
            service: code.clone(),
        })?;
    if found.profile == Profile::Basic {
        return Err(Rule::BasicHasNoSecondLevel);
    }
    if !found.profile.allows(reason) {
        return Err(Rule::ReasonNotInProfile {
            reason,
            profile: found.profile,
        });
    }
    check_serves(catalogue, found, &group)?;
    tx.set_service(&code);
    tx.set_status(Status::Assigned);
    tx.set_queue(&group);
    tx.hand_over();
    Ok(())
}

/// Closed without work \[annullato\]: not for the contact center, abandoned, an error,
/// withdrawn. Not once resolved: the answer exists, only its communication is pending.
pub(crate) fn cancel(tx: &mut Tx<'_>, reason: CancelReason) -> Result<(), Rule> {
    require(tx, K::Cancel, |s| {
        matches!(
            s,
            Status::Open
                | Status::Assigned
                | Status::Transferred
                | Status::Suspended(_)
                | Status::Rejected(_)
        )
    })?;
    tx.set_status(Status::Cancelled { reason });
    Ok(())
}

fn require(tx: &Tx<'_>, command: K, allowed: impl Fn(&Status) -> bool) -> Result<(), Rule> {
    if allowed(&tx.case.status) {
        Ok(())
    } else {
        Err(Rule::WrongState { command })
    }
}

/// `group` exists and is one of the service's second-level groups.
fn check_serves(catalogue: &Catalogue, service: &Service, group: &GroupCode) -> Result<(), Rule> {
    if catalogue.group(group).is_none() {
        return Err(Rule::UnknownGroup {
            group: group.clone(),
        });
    }
    if !service.is_served_by(group) {
        return Err(Rule::GroupNotServing {
            group: group.clone(),
            service: service.code.clone(),
        });
    }
    Ok(())
}
