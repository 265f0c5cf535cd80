//! The small named vocabularies of a case: channels, contact reasons, communication
//! attributes, note kinds, reasons, profiles. Every name is stable: it is stored in SQLite and
//! PostgreSQL and shown in the HTTP API, and serde uses the same names.

use serde::{Deserialize, Serialize};

/// How the request reached the service desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Channel {
    /// A call answered by an operator: the on-line channel [canale on line, sincrono].
    Phone,
    /// Off-line channels [canali off line, asincroni]: nobody is on the line.
    Email,
    WebForm,
    Fax,
    /// A message left out of hours [segreteria telefonica].
    Voicemail,
}

named!(Channel {
    Phone => "phone",
    Email => "email",
    WebForm => "web_form",
    Fax => "fax",
    Voicemail => "voicemail",
});

impl Channel {
    /// On the phone the caller is on the line while the operator works the case.
    pub fn is_live(self) -> bool {
        self == Channel::Phone
    }
}

/// Why the citizen got in touch [motivo di contatto] (seed 004, section 3.1). Set when the
/// case is classified; the service's profile decides which are available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ContactReason {
    /// Who, where, when, how \[informazione\]; at first level, or specialist on an advanced
    /// service.
    Information,
    /// The state of a case already assigned to the second level [informazione su case].
    InformationAboutRequest,
    /// An objective complaint that must be answered \[reclamo\]; the caller is identified.
    Complaint,
    /// A generic grievance, possibly anonymous, with no answer due \[lamentela\].
    Grievance,
    /// A report of an event or a fault: potholes, broken street lights \[segnalazione\].
    Report,
    /// Chasing an answer on a case already assigned \[sollecito\].
    Reminder,
    /// New data for an open case, or its withdrawal [notifica per informazione].
    Notification,
    /// An appointment for a service \[prenotazione\].
    Booking,
}

named!(ContactReason {
    Information => "information",
    InformationAboutRequest => "information_about_request",
    Complaint => "complaint",
    Grievance => "grievance",
    Report => "report",
    Reminder => "reminder",
    Notification => "notification",
    Booking => "booking",
});

/// Whether the answer has reached the citizen \[attributo\] (seed 004, section 6). Carried by
/// the two resolved states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Communication {
    /// The citizen has been told \[comunicato\].
    Communicated,
    /// The answer is ready, the first attempts to reach the citizen failed, more will follow
    /// [non comunicato].
    NotCommunicated,
    /// The second level found the answer and asks the first level to call the citizen back
    /// [da comunicare, contact back].
    ToCommunicate,
    /// The answer is ready but the citizen cannot be reached [non comunicabile].
    NotCommunicable,
}

named!(Communication {
    Communicated => "communicated",
    NotCommunicated => "not_communicated",
    ToCommunicate => "to_communicate",
    NotCommunicable => "not_communicable",
});

impl Communication {
    /// Communicated and not communicable end the case; the other two wait for a contact.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Communication::Communicated | Communication::NotCommunicable
        )
    }
}

/// The four kinds of annotation [comunicazioni interne] (seed 002, section 4.4.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NoteKind {
    /// Work done, findings \[nota\].
    InternalNote,
    /// A phone call placed to the citizen or someone else [telefonata effettuata].
    CallMade,
    /// A phone call received about the case [telefonata ricevuta].
    CallReceived,
    /// An e-mail sent about the case [posta in uscita].
    OutgoingMail,
}

named!(NoteKind {
    InternalNote => "internal_note",
    CallMade => "call_made",
    CallReceived => "call_received",
    OutgoingMail => "outgoing_mail",
});

/// Why a case is cancelled \[annullato\] (seed 004, section 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CancelReason {
    /// Not a matter for the contact center [non di competenza].
    NotOurCompetence,
    /// The caller hung up or the contact was lost [contatto abbandonato].
    ContactAbandoned,
    /// Opened by mistake, or a duplicate typed twice \[errore\].
    OpenedInError,
    /// The citizen withdrew the request, e.g. through a notification.
    WithdrawnByCitizen,
}

named!(CancelReason {
    NotOurCompetence => "not_our_competence",
    ContactAbandoned => "contact_abandoned",
    OpenedInError => "opened_in_error",
    WithdrawnByCitizen => "withdrawn_by_citizen",
});

/// Why the second level refuses an assignment \[rigetto\] (seed 004, section 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RejectReason {
    /// Ambiguous, or on the border between organisational units.
    AmbiguousCompetence,
    /// The knowledge base did not say which group is competent.
    MissingKnowledge,
    /// The first-level operator picked the wrong group.
    OperatorError,
}

named!(RejectReason {
    AmbiguousCompetence => "ambiguous_competence",
    MissingKnowledge => "missing_knowledge",
    OperatorError => "operator_error",
});

/// How a child case relates to its parent. Derived from the child's contact reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LinkKind {
    /// Chases the parent \[sollecito\]; follows it and closes with it.
    Reminder,
    /// Brings new data for the parent \[notifica\]; follows it and closes with it.
    Notification,
    /// The same fault reported again [disservizio già segnalato] (seed 000, section 6);
    /// follows the parent and closes with it.
    Duplicate,
    /// Asks about the parent [informazione su case]; answered at first level at once.
    InformationAbout,
}

named!(LinkKind {
    Reminder => "reminder",
    Notification => "notification",
    Duplicate => "duplicate",
    InformationAbout => "information_about",
});

impl LinkKind {
    /// The link a case with this contact reason makes to a parent, if it may have one.
    pub fn for_reason(reason: ContactReason) -> Option<LinkKind> {
        match reason {
            ContactReason::Reminder => Some(LinkKind::Reminder),
            ContactReason::Notification => Some(LinkKind::Notification),
            ContactReason::Report => Some(LinkKind::Duplicate),
            ContactReason::InformationAboutRequest => Some(LinkKind::InformationAbout),
            ContactReason::Information
            | ContactReason::Complaint
            | ContactReason::Grievance
            | ContactReason::Booking => None,
        }
    }

    /// A follower takes the parent's group and state, and closes when the parent closes.
    pub fn follows_parent(self) -> bool {
        !matches!(self, LinkKind::InformationAbout)
    }
}

/// How a closed case ended (seed 002, section 4.4.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// The request was satisfied [chiusura con successo].
    Success,
    /// It could not be satisfied, or the citizen could not be told; the responsible checks
    /// why [chiusura senza successo].
    WithoutSuccess,
}

named!(Outcome {
    Success => "success",
    WithoutSuccess => "without_success",
});

/// What a service's second level accepts \[profilo\] (seed 004, section 3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Profile {
    /// First level only [profilo base]: information, grievances, reports. What it cannot
    /// answer is recorded as not resolvable and shown to the second level for information.
    Basic,
    /// The second level takes assignments and live transfers [profilo avanzato].
    Advanced,
}

named!(Profile {
    Basic => "basic",
    Advanced => "advanced",
});

impl Profile {
    /// The contact reasons a case of a service with this profile may have.
    pub fn allows(self, reason: ContactReason) -> bool {
        match self {
            Profile::Basic => matches!(
                reason,
                ContactReason::Information | ContactReason::Grievance | ContactReason::Report
            ),
            Profile::Advanced => true,
        }
    }
}

/// The kind of group a queue belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum GroupLevel {
    /// A first-level queue: cases open here (the ACD queue of the call).
    First,
    /// A second-level group [gruppo di competenza]: takes assignments and transfers.
    Second,
    /// The rejections group [Gestione Rigetti]: takes rejected cases and reassigns them.
    Rejections,
}

named!(GroupLevel {
    First => "first",
    Second => "second",
    Rejections => "rejections",
});

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as ValueError, StrDeserializer};

    /// The serde name of every variant is its stored name, and names round-trip.
    fn check_names<T>(all: &[T])
    where
        T: Copy + PartialEq + std::fmt::Debug + std::fmt::Display + for<'de> Deserialize<'de>,
    {
        for value in all {
            let name = value.to_string();
            let de: StrDeserializer<'_, ValueError> = name.as_str().into_deserializer();
            assert_eq!(T::deserialize(de).ok(), Some(*value), "{name}");
        }
    }

    #[test]
    fn names_are_stable_and_match_serde() {
        check_names(Channel::ALL);
        check_names(ContactReason::ALL);
        check_names(Communication::ALL);
        check_names(NoteKind::ALL);
        check_names(CancelReason::ALL);
        check_names(RejectReason::ALL);
        check_names(LinkKind::ALL);
        check_names(Outcome::ALL);
        check_names(Profile::ALL);
        check_names(GroupLevel::ALL);
        for reason in ContactReason::ALL {
            assert_eq!(ContactReason::from_name(reason.as_str()), Some(*reason));
        }
        assert_eq!(ContactReason::from_name("Complaint"), None);
        assert_eq!(Channel::from_name(""), None);
    }

    #[test]
    fn a_basic_profile_takes_three_reasons() {
        let basic: Vec<_> = ContactReason::ALL
            .iter()
            .filter(|r| Profile::Basic.allows(**r))
            .collect();
        assert_eq!(
            basic,
            [
                &ContactReason::Information,
                &ContactReason::Grievance,
                &ContactReason::Report
            ]
        );
        assert!(
            ContactReason::ALL
                .iter()
                .all(|r| Profile::Advanced.allows(*r))
        );
    }

    #[test]
    fn followers_are_reminders_notifications_and_duplicates() {
        let followers: Vec<_> = ContactReason::ALL
            .iter()
            .filter_map(|r| LinkKind::for_reason(*r))
            .filter(|k| k.follows_parent())
            .collect();
        assert_eq!(
            followers,
            [
                LinkKind::Duplicate,
                LinkKind::Reminder,
                LinkKind::Notification
            ]
        );
    }
}
