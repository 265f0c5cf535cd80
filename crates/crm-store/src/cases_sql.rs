//! The SQL of cases, shared by both backends, and the one implementation of [`CaseStore`]
//! that both instantiate. Like `sql.rs`: `$N` placeholders on both, one body in a macro so
//! that SQLite and PostgreSQL cannot drift apart; what differs (row locks, JSON functions,
//! read snapshots) is in [`CaseDialect`].
//!
//! [`CaseStore`]: crate::CaseStore

use crate::cases_rows::case_columns;
use crate::sql::sr_columns;

/// What SQLite and PostgreSQL spell differently.
pub(crate) trait CaseDialect {
    /// Loads a case for a change. PostgreSQL locks its row until the transaction ends
    /// (`FOR UPDATE`), so that commands on one case run one after the other; SQLite's
    /// `BEGIN IMMEDIATE` already holds the whole database's write lock.
    const CASE_FOR_UPDATE: &'static str;
    /// The links of the cases whose ids are in the JSON array `$1`.
    const LINKS_OF_IDS: &'static str;
    /// Starts a read that sees one snapshot across its statements (a case row and its
    /// links, a page and its links).
    const BEGIN_READ: &'static str;
}

macro_rules! case_from {
    () => {
        " FROM cases k JOIN service_requests sr ON sr.id = k.sr_id \
         LEFT JOIN call_records c ON c.call_id = sr.call_id "
    };
}

const CASE_FOR_UPDATE_SQLITE: &str = concat!(
    "SELECT ",
    case_columns!(),
    " FROM cases k WHERE k.sr_id = $1"
);

impl CaseDialect for crate::SqliteStore {
    const CASE_FOR_UPDATE: &'static str = CASE_FOR_UPDATE_SQLITE;
    const LINKS_OF_IDS: &'static str = "SELECT child_id, parent_id, kind FROM case_links \
         WHERE parent_id IN (SELECT value FROM json_each($1)) \
         OR child_id IN (SELECT value FROM json_each($1)) \
         ORDER BY parent_seq";
    // Deferred: the snapshot is taken at the first read (WAL mode).
    const BEGIN_READ: &'static str = "BEGIN";
}

impl CaseDialect for crate::PgStore {
    const CASE_FOR_UPDATE: &'static str = concat!(
        "SELECT ",
        case_columns!(),
        " FROM cases k WHERE k.sr_id = $1 FOR UPDATE"
    );
    const LINKS_OF_IDS: &'static str = "SELECT child_id, parent_id, kind FROM case_links \
         WHERE parent_id IN (SELECT value::bigint FROM jsonb_array_elements_text($1)) \
         OR child_id IN (SELECT value::bigint FROM jsonb_array_elements_text($1)) \
         ORDER BY parent_seq";
    const BEGIN_READ: &'static str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
}

pub(crate) const ID_OF_NUMBER: &str = "SELECT id FROM service_requests WHERE number = $1";
pub(crate) const CASE_EXISTS: &str = "SELECT sr_id FROM cases WHERE sr_id = $1";

pub(crate) const VIEW_BY_ID: &str = concat!(
    "SELECT ",
    sr_columns!(),
    ", ",
    case_columns!(),
    case_from!(),
    "WHERE k.sr_id = $1"
);

pub(crate) const LIST_VIEWS: &str = concat!(
    "SELECT ",
    sr_columns!(),
    ", ",
    case_columns!(),
    case_from!(),
    "WHERE ($1 IS NULL OR k.queue = $1) \
     AND ($2 IS NULL OR k.state = $2) \
     AND ($3 IS NULL OR k.owner = $3) \
     AND ($4 IS NULL OR k.service = $4) \
     AND ($5 IS NULL OR (k.outcome IS NOT NULL) = $5) \
     ORDER BY k.sr_id DESC LIMIT $6 OFFSET $7"
);

pub(crate) const LINKS_OF_CASE: &str = "SELECT child_id, parent_id, kind FROM case_links \
     WHERE child_id = $1 OR parent_id = $1 ORDER BY parent_seq";

/// `$1..$24` in the order of [`crate::cases_rows::CaseColumns`].
pub(crate) const INSERT_CASE: &str = "INSERT INTO cases (sr_id, channel, caller_number, \
     customer, opened_at_unix_ms, updated_at_unix_ms, revision, state, communication, \
     cancel_reason, reject_reason, reject_detail, suspend_reason, suspended_until_unix_ms, \
     outcome, queue, first_level_queue, service, contact_reason, owner, responsible, \
     lock_holder, locked_since_unix_ms, satisfaction) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
     $19, $20, $21, $22, $23, $24)";

/// Like [`INSERT_CASE`], and `$25` is the revision the change started from: a second guard
/// behind the row lock.
pub(crate) const UPDATE_CASE: &str = "UPDATE cases SET channel = $2, caller_number = $3, \
     customer = $4, opened_at_unix_ms = $5, updated_at_unix_ms = $6, revision = $7, \
     state = $8, communication = $9, cancel_reason = $10, reject_reason = $11, \
     reject_detail = $12, suspend_reason = $13, suspended_until_unix_ms = $14, outcome = $15, \
     queue = $16, first_level_queue = $17, service = $18, contact_reason = $19, owner = $20, \
     responsible = $21, lock_holder = $22, locked_since_unix_ms = $23, satisfaction = $24 \
     WHERE sr_id = $1 AND revision = $25";

pub(crate) const INSERT_HISTORY: &str = "INSERT INTO case_history (sr_id, seq, at_unix_ms, \
     actor_id, actor_role, actor_group, kind, change, old_value, new_value) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

pub(crate) const HISTORY_PAGE: &str = "SELECT sr_id, seq, at_unix_ms, actor_id, actor_role, \
     actor_group, change FROM case_history WHERE sr_id = $1 AND seq > $2 \
     ORDER BY seq LIMIT $3";

pub(crate) const INSERT_LINK: &str =
    "INSERT INTO case_links (child_id, parent_id, kind, parent_seq) VALUES ($1, $2, $3, $4)";

/// Whether anyone but the platform has changed the case: from then on the platform no
/// longer routes it (an operator's own move must stand).
pub(crate) const WORKED_BY_PEOPLE: &str = "SELECT COUNT(*) FROM case_history \
     WHERE sr_id = $1 AND actor_role <> 'system'";

/// What the call of an SR says about where its case belongs.
pub(crate) const CALL_OF_SR: &str = "SELECT sr.channel, sr.service_area, c.queue, \
     c.caller_number, c.caller_number_e164, c.customer \
     FROM service_requests sr LEFT JOIN call_records c ON c.call_id = sr.call_id \
     WHERE sr.id = $1";

/// A case with its SR and call, as [`VIEW_BY_ID`] and [`LIST_VIEWS`] return it.
#[derive(sqlx::FromRow)]
pub(crate) struct ViewRow {
    #[sqlx(flatten)]
    pub(crate) sr: crate::sql::SrRow,
    #[sqlx(flatten)]
    pub(crate) case: crate::cases_rows::CaseRow,
}

/// See [`CALL_OF_SR`].
#[derive(sqlx::FromRow)]
pub(crate) struct CallOfSr {
    channel: String,
    service_area: Option<String>,
    pub(crate) queue: Option<String>,
    caller_number: Option<String>,
    caller_number_e164: Option<String>,
    customer: Option<String>,
}

impl CallOfSr {
    /// The call of an SR just opened on `channel` with the IVR's `service_area`, from its
    /// call's row as the opening fact left it.
    pub(crate) fn of_new_sr(
        channel: &str,
        service_area: Option<&str>,
        call: crate::sql::CallColumns,
    ) -> Self {
        Self {
            channel: channel.to_owned(),
            service_area: service_area.map(str::to_owned),
            queue: call.queue,
            caller_number: call.caller_number,
            caller_number_e164: call.caller_number_e164,
            customer: call.customer,
        }
    }

    pub(crate) fn service_area(&self) -> Option<&str> {
        self.service_area.as_deref()
    }

    /// The new case of this call. A CTI fact is a call: a channel name the case does not
    /// know is a phone call.
    pub(crate) fn new_case(
        self,
        id: i64,
        queue: service_request::GroupCode,
    ) -> service_request::NewCase {
        let non_empty = |s: Option<String>| s.filter(|s| !s.is_empty());
        let caller_number =
            non_empty(self.caller_number_e164).or_else(|| non_empty(self.caller_number));
        service_request::NewCase {
            id: service_request::CaseId(id),
            channel: service_request::Channel::from_name(&self.channel)
                .unwrap_or(service_request::Channel::Phone),
            queue,
            caller_number: caller_number.map(common::Pii::new),
            customer: non_empty(self.customer).map(common::Pii::new),
        }
    }
}

/// Loads a case (no view) with its links: `Option<Case>`. `$conn` is an executor
/// expression (`&mut *tx`), `$sql` a query of `case_columns!` for `$1 = id`.
macro_rules! fetch_case {
    ($conn:expr, $sql:expr, $id:expr) => {{
        let id: i64 = $id;
        let row: Option<$crate::cases_rows::CaseRow> =
            sqlx::query_as($sql).bind(id).fetch_optional($conn).await?;
        match row {
            None => None,
            Some(row) => {
                let links: Vec<$crate::cases_rows::LinkRow> =
                    sqlx::query_as($crate::cases_sql::LINKS_OF_CASE)
                        .bind(id)
                        .fetch_all($conn)
                        .await?;
                Some(row.into_case(&links)?)
            }
        }
    }};
}
pub(crate) use fetch_case;

/// Loads the view of a case: `Option<CaseView>`.
macro_rules! fetch_view {
    ($conn:expr, $id:expr) => {{
        let id: i64 = $id;
        let row: Option<$crate::cases_sql::ViewRow> = sqlx::query_as($crate::cases_sql::VIEW_BY_ID)
            .bind(id)
            .fetch_optional($conn)
            .await?;
        match row {
            None => None,
            Some(row) => {
                let links: Vec<$crate::cases_rows::LinkRow> =
                    sqlx::query_as($crate::cases_sql::LINKS_OF_CASE)
                        .bind(id)
                        .fetch_all($conn)
                        .await?;
                let case = row.case.into_case(&links)?;
                let sr = $crate::ServiceRequest::try_from(row.sr)?;
                Some($crate::CaseView::new(sr, case))
            }
        }
    }};
}
pub(crate) use fetch_view;

/// Binds a [`crate::cases_rows::CaseColumns`] onto `$1..$24` of `$query`.
macro_rules! bind_case {
    ($query:expr, $columns:expr) => {{
        let c: $crate::cases_rows::CaseColumns = $columns;
        $query
            .bind(c.sr_id)
            .bind(c.channel)
            .bind(c.caller_number)
            .bind(c.customer)
            .bind(c.opened_at_unix_ms)
            .bind(c.updated_at_unix_ms)
            .bind(c.revision)
            .bind(c.state)
            .bind(c.communication)
            .bind(c.cancel_reason)
            .bind(c.reject_reason)
            .bind(c.reject_detail)
            .bind(c.suspend_reason)
            .bind(c.suspended_until_unix_ms)
            .bind(c.outcome)
            .bind(c.queue)
            .bind(c.first_level_queue)
            .bind(c.service)
            .bind(c.contact_reason)
            .bind(c.owner)
            .bind(c.responsible)
            .bind(c.lock_holder)
            .bind(c.locked_since_unix_ms)
            .bind(c.satisfaction)
    }};
}
pub(crate) use bind_case;

/// Writes a case (inserted when `$before` is `None`, else updated from `$before`'s
/// revision) and appends its history entries, inside the transaction `$tx`.
macro_rules! write_case {
    ($tx:expr, $before:expr, $after:expr, $history:expr) => {{
        let before: Option<&service_request::Case> = $before;
        let after: &service_request::Case = $after;
        let columns = $crate::cases_rows::CaseColumns::of(after)?;
        match before {
            None => {
                $crate::cases_sql::bind_case!(sqlx::query($crate::cases_sql::INSERT_CASE), columns)
                    .execute(&mut *$tx)
                    .await?;
            }
            Some(before) => {
                let from = $crate::cases_rows::to_i64(before.revision, "revision")?;
                let updated = $crate::cases_sql::bind_case!(
                    sqlx::query($crate::cases_sql::UPDATE_CASE),
                    columns
                )
                .bind(from)
                .execute(&mut *$tx)
                .await?;
                // The row is locked: nobody else can have moved it on.
                if updated.rows_affected() != 1 {
                    return Err($crate::StoreError::Contention.into());
                }
            }
        }
        let history: &[service_request::HistoryEntry] = $history;
        for entry in history {
            let (old_value, new_value) = $crate::cases_rows::old_and_new(&entry.change);
            sqlx::query($crate::cases_sql::INSERT_HISTORY)
                .bind(entry.case.0)
                .bind($crate::cases_rows::to_i64(entry.seq, "seq")?)
                .bind(entry.at_unix_ms)
                .bind(entry.actor.id.as_str())
                .bind(entry.actor.role.as_str())
                .bind(entry.actor.role.group().map(|g| g.as_str()))
                .bind(entry.change.name())
                .bind(sqlx::types::Json(&entry.change))
                .bind(old_value)
                .bind(new_value)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(crate) use write_case;

/// The columns of [`INSERT_CASE`] and [`INSERT_HISTORY`], for the multi-row inserts of
/// [`insert_new_cases`].
pub(crate) const CASE_INSERT_HEAD: &str = "INSERT INTO cases (sr_id, channel, caller_number, \
     customer, opened_at_unix_ms, updated_at_unix_ms, revision, state, communication, \
     cancel_reason, reject_reason, reject_detail, suspend_reason, suspended_until_unix_ms, \
     outcome, queue, first_level_queue, service, contact_reason, owner, responsible, \
     lock_holder, locked_since_unix_ms, satisfaction) ";
pub(crate) const HISTORY_INSERT_HEAD: &str = "INSERT INTO case_history (sr_id, seq, at_unix_ms, \
     actor_id, actor_role, actor_group, kind, change, old_value, new_value) ";

/// Inserts the cases the platform opened in this transaction (`$pending`: each case with its
/// history, drained) in two statements, whatever their number: a batch of new calls costs two
/// round trips, not two per call. `$db` is the backend's database type.
macro_rules! insert_new_cases {
    ($tx:expr, $db:ty, $pending:expr) => {{
        let pending: &mut Vec<(service_request::Case, Vec<service_request::HistoryEntry>)> =
            $pending;
        if !pending.is_empty() {
            let opened: Vec<(service_request::Case, Vec<service_request::HistoryEntry>)> =
                std::mem::take(pending);
            // At most 24 parameters a case and 10 an entry: 256 facts stay far below the
            // databases' limits on parameters.
            let mut columns = Vec::with_capacity(opened.len());
            for (case, _) in &opened {
                columns.push($crate::cases_rows::CaseColumns::of(case)?);
            }
            let mut cases = sqlx::QueryBuilder::<$db>::new($crate::cases_sql::CASE_INSERT_HEAD);
            cases.push_values(columns, |mut row, c| {
                row.push_bind(c.sr_id)
                    .push_bind(c.channel)
                    .push_bind(c.caller_number)
                    .push_bind(c.customer)
                    .push_bind(c.opened_at_unix_ms)
                    .push_bind(c.updated_at_unix_ms)
                    .push_bind(c.revision)
                    .push_bind(c.state)
                    .push_bind(c.communication)
                    .push_bind(c.cancel_reason)
                    .push_bind(c.reject_reason)
                    .push_bind(c.reject_detail)
                    .push_bind(c.suspend_reason)
                    .push_bind(c.suspended_until_unix_ms)
                    .push_bind(c.outcome)
                    .push_bind(c.queue)
                    .push_bind(c.first_level_queue)
                    .push_bind(c.service)
                    .push_bind(c.contact_reason)
                    .push_bind(c.owner)
                    .push_bind(c.responsible)
                    .push_bind(c.lock_holder)
                    .push_bind(c.locked_since_unix_ms)
                    .push_bind(c.satisfaction);
            });
            cases.build().execute(&mut *$tx).await?;
            let mut entries = Vec::new();
            for entry in opened.iter().flat_map(|(_, history)| history) {
                let (old_value, new_value) = $crate::cases_rows::old_and_new(&entry.change);
                entries.push((
                    entry.case.0,
                    $crate::cases_rows::to_i64(entry.seq, "seq")?,
                    entry.at_unix_ms,
                    entry.actor.id.as_str(),
                    entry.actor.role.as_str(),
                    entry.actor.role.group().map(|g| g.as_str()),
                    entry.change.name(),
                    sqlx::types::Json(&entry.change),
                    old_value,
                    new_value,
                ));
            }
            if !entries.is_empty() {
                let mut history =
                    sqlx::QueryBuilder::<$db>::new($crate::cases_sql::HISTORY_INSERT_HEAD);
                history.push_values(entries, |mut row, e| {
                    row.push_bind(e.0)
                        .push_bind(e.1)
                        .push_bind(e.2)
                        .push_bind(e.3)
                        .push_bind(e.4)
                        .push_bind(e.5)
                        .push_bind(e.6)
                        .push_bind(e.7)
                        .push_bind(e.8)
                        .push_bind(e.9);
                });
                history.build().execute(&mut *$tx).await?;
            }
        }
    }};
}
pub(crate) use insert_new_cases;

/// Inside `record_call_fact`'s transaction: the SR `$sr_id` of a call has a case, opened by
/// the platform in the best queue the call's facts name; when `$may_route`, a case nobody
/// has taken follows the call to the queue it reached.
macro_rules! case_follows_call {
    ($store:expr, $tx:expr, $sr_id:expr, $new_sr:expr, $may_route:expr, $now:expr, $pending:expr) => {{
        use service_request::{Actor, Case, Command, Status};
        let sr_id: i64 = $sr_id;
        // `$new_sr`: the call of an SR opened in this transaction, which has no case yet.
        let new_sr: Option<$crate::cases_sql::CallOfSr> = $new_sr;
        let sr_created = new_sr.is_some();
        let call: $crate::cases_sql::CallOfSr = match new_sr {
            Some(call) => call,
            None => {
                sqlx::query_as($crate::cases_sql::CALL_OF_SR)
                    .bind(sr_id)
                    .fetch_one(&mut *$tx)
                    .await?
            }
        };
        let intake = &$store.intake;
        let queue = intake.queue_for(call.queue.as_deref(), call.service_area());
        let existing: Option<Case> = if sr_created {
            None
        } else {
            $crate::cases_sql::fetch_case!(
                &mut *$tx,
                <Self as $crate::cases_sql::CaseDialect>::CASE_FOR_UPDATE,
                sr_id
            )
        };
        match existing {
            // A new SR, or one that lost its case: the platform opens it.
            None => {
                let opened = Case::open(
                    call.new_case(sr_id, queue),
                    &Actor::system(),
                    intake.catalogue(),
                    $now,
                )
                .map_err($crate::StoreError::Intake)?;
                if sr_created {
                    // Written with the transaction's other new cases (`insert_new_cases`).
                    $pending.push((opened.case, opened.history));
                } else {
                    $crate::cases_sql::write_case!($tx, None, &opened.case, &opened.history);
                }
            }
            Some(case)
                if $may_route
                    && case.queue != queue
                    && case.status == Status::Open
                    && case.owner.is_none()
                    && case.lock.is_none() =>
            {
                let worked: i64 = sqlx::query_scalar($crate::cases_sql::WORKED_BY_PEOPLE)
                    .bind(sr_id)
                    .fetch_one(&mut *$tx)
                    .await?;
                let route = Command::Move { queue };
                // A refusal (the rules changed their mind) leaves the case where it is: the
                // fact itself must be stored whatever the case does.
                if worked == 0
                    && let Ok(routed) =
                        case.apply(route, &Actor::system(), intake.catalogue(), $now)
                {
                    $crate::cases_sql::write_case!($tx, Some(&case), &routed.case, &routed.history);
                }
            }
            Some(_) => {}
        }
    }};
}
pub(crate) use case_follows_call;

/// The SR id of a [`crate::CaseKey`], or `CaseError::NotFound`.
macro_rules! resolve_key {
    ($conn:expr, $key:expr) => {{
        match $key {
            $crate::CaseKey::Id(id) => id.0,
            $crate::CaseKey::Number(number) => {
                let id: Option<i64> = sqlx::query_scalar($crate::cases_sql::ID_OF_NUMBER)
                    .bind(number)
                    .fetch_optional($conn)
                    .await?;
                id.ok_or($crate::CaseError::NotFound)?
            }
        }
    }};
}
pub(crate) use resolve_key;

/// Implements [`crate::CaseStore`] for a store type with fields `pool`, `clock` and
/// `intake`, a method `begin_write()`, and a [`CaseDialect`].
macro_rules! impl_case_store {
    ($store:ty) => {
        impl $crate::CaseStore for $store {
            async fn apply(
                &self,
                key: $crate::CaseKey,
                command: service_request::Command,
                actor: &service_request::Actor,
                expected_revision: Option<u64>,
                catalogue: &service_request::Catalogue,
            ) -> Result<$crate::CaseUpdate, $crate::CaseError> {
                use $crate::cases_sql::CaseDialect;
                let mut tx = self.begin_write().await?;
                let id = $crate::cases_sql::resolve_key!(&mut *tx, key);
                let case = fetch_case!(&mut *tx, <Self as CaseDialect>::CASE_FOR_UPDATE, id)
                    .ok_or($crate::CaseError::NotFound)?;
                $crate::cases::check_revision(&case, expected_revision)?;
                let now = self.clock.now_unix_ms();
                // A refusal returns here: the transaction rolls back, nothing is stored.
                let applied = case.apply(command, actor, catalogue, now)?;
                write_case!(tx, Some(&case), &applied.case, &applied.history);
                let mut closed_children = Vec::new();
                for closure in &applied.child_closures {
                    let child = fetch_case!(
                        &mut *tx,
                        <Self as CaseDialect>::CASE_FOR_UPDATE,
                        closure.child.0
                    )
                    .ok_or($crate::StoreError::CorruptRow {
                        column: "case_links.child_id",
                        value: closure.child.0.to_string(),
                    })?;
                    let closed = child
                        .apply(
                            closure.command(),
                            &service_request::Actor::system(),
                            catalogue,
                            now,
                        )
                        .map_err(|refusal| $crate::CaseError::ChildClosureRefused {
                            parent: case.id,
                            child: closure.child,
                            refusal,
                        })?;
                    write_case!(tx, Some(&child), &closed.case, &closed.history);
                    closed_children.push(closure.child);
                }
                let view = fetch_view!(&mut *tx, id).ok_or($crate::CaseError::NotFound)?;
                tx.commit().await?;
                Ok($crate::CaseUpdate {
                    case: view,
                    appended: applied.history,
                    closed: applied.closed,
                    closed_children,
                })
            }

            async fn attach_to_parent(
                &self,
                child: $crate::CaseKey,
                parent: $crate::CaseKey,
                actor: &service_request::Actor,
                expected_revision: Option<u64>,
                catalogue: &service_request::Catalogue,
            ) -> Result<$crate::Attached, $crate::CaseError> {
                use $crate::cases_sql::CaseDialect;
                let mut tx = self.begin_write().await?;
                let child_id = $crate::cases_sql::resolve_key!(&mut *tx, child);
                let parent_id = $crate::cases_sql::resolve_key!(&mut *tx, parent);
                // The parent is locked before the child, as closing a parent does.
                let parent =
                    fetch_case!(&mut *tx, <Self as CaseDialect>::CASE_FOR_UPDATE, parent_id)
                        .ok_or($crate::CaseError::NotFound)?;
                let child = fetch_case!(&mut *tx, <Self as CaseDialect>::CASE_FOR_UPDATE, child_id)
                    .ok_or($crate::CaseError::NotFound)?;
                $crate::cases::check_revision(&child, expected_revision)?;
                let now = self.clock.now_unix_ms();
                let linked = child.attach_to(&parent, actor, catalogue, now)?;
                write_case!(tx, Some(&child), &linked.child.case, &linked.child.history);
                write_case!(
                    tx,
                    Some(&parent),
                    &linked.parent.case,
                    &linked.parent.history
                );
                let link = linked
                    .child
                    .case
                    .parent
                    .ok_or($crate::StoreError::CorruptRow {
                        column: "case_links.parent_id",
                        value: "an attached child without its parent".into(),
                    })?;
                // The position of the parent's `child_linked` entry orders its children.
                let parent_seq = linked
                    .parent
                    .history
                    .iter()
                    .find(|e| matches!(e.change, service_request::Change::ChildLinked { .. }))
                    .map_or(linked.parent.case.revision, |e| e.seq);
                sqlx::query($crate::cases_sql::INSERT_LINK)
                    .bind(child_id)
                    .bind(parent_id)
                    .bind(link.kind.as_str())
                    .bind($crate::cases_rows::to_i64(parent_seq, "parent_seq")?)
                    .execute(&mut *tx)
                    .await?;
                let child = fetch_view!(&mut *tx, child_id).ok_or($crate::CaseError::NotFound)?;
                let parent = fetch_view!(&mut *tx, parent_id).ok_or($crate::CaseError::NotFound)?;
                tx.commit().await?;
                Ok($crate::Attached { child, parent })
            }

            async fn get_case(
                &self,
                key: $crate::CaseKey,
            ) -> Result<Option<$crate::CaseView>, $crate::StoreError> {
                use $crate::cases_sql::CaseDialect;
                let mut tx = self
                    .pool
                    .begin_with(<Self as CaseDialect>::BEGIN_READ)
                    .await?;
                let id = match key {
                    $crate::CaseKey::Id(id) => id.0,
                    $crate::CaseKey::Number(number) => {
                        let id: Option<i64> = sqlx::query_scalar($crate::cases_sql::ID_OF_NUMBER)
                            .bind(number)
                            .fetch_optional(&mut *tx)
                            .await?;
                        match id {
                            Some(id) => id,
                            None => return Ok(None),
                        }
                    }
                };
                let view = $crate::cases_sql::fetch_view!(&mut *tx, id);
                tx.commit().await?;
                Ok(view)
            }

            async fn history(
                &self,
                key: $crate::CaseKey,
                page: $crate::HistoryPage,
            ) -> Result<Vec<service_request::HistoryEntry>, $crate::CaseError> {
                let id = $crate::cases_sql::resolve_key!(&self.pool, key);
                let exists: Option<i64> = sqlx::query_scalar($crate::cases_sql::CASE_EXISTS)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                if exists.is_none() {
                    return Err($crate::CaseError::NotFound);
                }
                let after = match page.after_seq {
                    Some(seq) => $crate::cases_rows::to_i64(seq, "after_seq")?,
                    None => -1,
                };
                let limit = page.limit.clamp(1, $crate::HistoryPage::MAX_LIMIT);
                let rows: Vec<$crate::cases_rows::HistoryRow> =
                    sqlx::query_as($crate::cases_sql::HISTORY_PAGE)
                        .bind(id)
                        .bind(after)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(TryInto::try_into)
                    .collect::<Result<_, $crate::StoreError>>()?)
            }

            async fn list_cases(
                &self,
                filter: $crate::CaseFilter,
            ) -> Result<Vec<$crate::CaseView>, $crate::StoreError> {
                use $crate::cases_sql::CaseDialect;
                if filter.offset > $crate::CaseFilter::MAX_OFFSET {
                    return Err($crate::StoreError::InvalidInput(
                        "offset is beyond 100000: narrow the filter instead",
                    ));
                }
                let limit = filter.limit.clamp(1, $crate::CaseFilter::MAX_LIMIT);
                let mut tx = self
                    .pool
                    .begin_with(<Self as CaseDialect>::BEGIN_READ)
                    .await?;
                let rows: Vec<$crate::cases_sql::ViewRow> =
                    sqlx::query_as($crate::cases_sql::LIST_VIEWS)
                        .bind(filter.queue.map(|q| q.0))
                        .bind(filter.state.map(service_request::State::as_str))
                        .bind(filter.owner.map(|o| o.0))
                        .bind(filter.service.map(|s| s.0))
                        .bind(filter.closed)
                        .bind(i64::from(limit))
                        .bind(i64::from(filter.offset))
                        .fetch_all(&mut *tx)
                        .await?;
                let ids: Vec<i64> = rows.iter().map(|r| r.case.id()).collect();
                let links: Vec<$crate::cases_rows::LinkRow> = if ids.is_empty() {
                    Vec::new()
                } else {
                    sqlx::query_as(<Self as CaseDialect>::LINKS_OF_IDS)
                        .bind(sqlx::types::Json(&ids))
                        .fetch_all(&mut *tx)
                        .await?
                };
                tx.commit().await?;
                rows.into_iter()
                    .map(|row| {
                        let case = row.case.into_case(&links)?;
                        let sr = $crate::ServiceRequest::try_from(row.sr)?;
                        Ok($crate::CaseView::new(sr, case))
                    })
                    .collect()
            }

            fn catalogue(&self) -> std::sync::Arc<service_request::Catalogue> {
                self.intake.shared_catalogue()
            }
        }
    };
}

impl_case_store!(crate::SqliteStore);
impl_case_store!(crate::PgStore);
