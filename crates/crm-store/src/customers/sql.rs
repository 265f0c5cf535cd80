//! The customer directory's SQL, shared by both backends, and the one implementation of
//! [`super::CustomerStore`] that both instantiate (like `crate::sql` for service requests).
//!
//! Prefix searches are index ranges, `key >= $from AND key < $until`, on keys the store
//! derives (lower case, accents folded): they use the index on SQLite (`BINARY` collation) and
//! on PostgreSQL (the key columns are `COLLATE "C"`), whatever the parameters, where `LIKE`
//! with a bound pattern would not.

use std::sync::LazyLock;

use sqlx::AssertSqlSafe;

use super::model::{
    Customer, CustomerEmail, CustomerId, CustomerKind, CustomerPhone, Discrepancy, Party,
    RecentMatch, RecentServiceRequest,
};
use crate::{CallOutcome, StoreError};
use service_request::State as SrState;

macro_rules! customer_select {
    () => {
        "SELECT c.id, c.kind, c.display_name, c.given_name, c.family_name, c.tax_code, \
         c.vat_number, (c.pin_hash IS NOT NULL) AS has_pin, c.guest, c.discrepancy, \
         c.discrepancy_note, c.discrepancy_at_unix_ms, c.revision, c.created_at_unix_ms, \
         c.updated_at_unix_ms "
    };
}

pub(crate) const INSERT_CUSTOMER: &str = "INSERT INTO customers (kind, display_name, \
     display_name_key, given_name, family_name, family_name_key, tax_code, vat_number, pin_hash, \
     guest, discrepancy, revision, created_at_unix_ms, updated_at_unix_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, FALSE, 1, $11, $11) \
     RETURNING id";

/// Applies only if the customer is still at revision `$2`; returns the new revision.
/// `$11` says whether the PIN changes, `$12` is its new hash (or NULL to clear it).
pub(crate) const UPDATE_CUSTOMER: &str = "UPDATE customers SET kind = $3, display_name = $4, \
     display_name_key = $5, given_name = $6, family_name = $7, family_name_key = $8, \
     tax_code = $9, vat_number = $10, \
     pin_hash = CASE WHEN $11 THEN $12 ELSE pin_hash END, \
     guest = $13, revision = revision + 1, updated_at_unix_ms = $14 \
     WHERE id = $1 AND revision = $2 \
     RETURNING revision";

pub(crate) const REVISION_OF: &str = "SELECT revision FROM customers WHERE id = $1";
pub(crate) const PIN_HASH_OF: &str = "SELECT pin_hash FROM customers WHERE id = $1";
pub(crate) const DELETE_PHONES: &str = "DELETE FROM customer_phones WHERE customer_id = $1";
pub(crate) const DELETE_EMAILS: &str = "DELETE FROM customer_emails WHERE customer_id = $1";

pub(crate) const MARK_DISCREPANCY: &str = "UPDATE customers SET discrepancy = TRUE, \
     discrepancy_note = $2, discrepancy_at_unix_ms = $3, revision = revision + 1, \
     updated_at_unix_ms = $3 WHERE id = $1 RETURNING id";

/// Changes nothing (and returns no row) if the customer has no discrepancy.
pub(crate) const CLEAR_DISCREPANCY: &str = "UPDATE customers SET discrepancy = FALSE, \
     discrepancy_note = NULL, discrepancy_at_unix_ms = NULL, revision = revision + 1, \
     updated_at_unix_ms = $2 WHERE id = $1 AND discrepancy RETURNING id";

pub(crate) const BY_ID: &str = concat!(customer_select!(), "FROM customers c WHERE c.id = $1");

/// Everyone reachable at a number key, identified customers before guests.
pub(crate) const BY_NUMBER: &str = concat!(
    customer_select!(),
    "FROM customer_phones p JOIN customers c ON c.id = p.customer_id \
     WHERE p.number_key = $1 \
     ORDER BY c.guest, c.display_name_key, c.id LIMIT $2"
);

pub(crate) const SEARCH_NAME: &str = concat!(
    customer_select!(),
    "FROM customers c WHERE c.id IN ( \
       SELECT id FROM customers WHERE display_name_key >= $1 AND display_name_key < $2 \
       UNION SELECT id FROM customers WHERE family_name_key >= $1 AND family_name_key < $2) \
     ORDER BY c.display_name_key, c.id LIMIT $3 OFFSET $4"
);

pub(crate) const SEARCH_TAX_CODE: &str = concat!(
    customer_select!(),
    "FROM customers c WHERE c.id IN ( \
       SELECT id FROM customers WHERE tax_code >= $1 AND tax_code < $2 \
       UNION SELECT id FROM customers WHERE vat_number >= $1 AND vat_number < $2) \
     ORDER BY c.display_name_key, c.id LIMIT $3 OFFSET $4"
);

pub(crate) const SEARCH_EMAIL: &str = concat!(
    customer_select!(),
    "FROM customers c WHERE c.id IN ( \
       SELECT customer_id FROM customer_emails WHERE address_key >= $1 AND address_key < $2) \
     ORDER BY c.display_name_key, c.id LIMIT $3 OFFSET $4"
);

/// SRs whose call was identified as customer `$1` (its decimal id, as the call record keeps
/// it), or came unidentified from one of customer `$2`'s numbers: by E.164, or by the digits
/// of a number that has no E.164 form.
///
/// "Unidentified" and "no E.164 form" are written `COALESCE(column, '') = ''` so that no
/// index can serve them: an index on `customer IS NULL` would walk every unidentified call
/// ever made. Each branch starts from the customer's few numbers instead.
pub(crate) const RECENT_REQUESTS: &str = "SELECT sr.number, k.state, sr.created_at_unix_ms, \
     sr.call_id, sr.channel, sr.service_area, sr.request_type, c.outcome, \
     COALESCE(c.customer = $1, FALSE) AS by_customer \
     FROM service_requests sr JOIN call_records c ON c.call_id = sr.call_id \
     JOIN cases k ON k.sr_id = sr.id \
     WHERE sr.call_id IN ( \
       SELECT call_id FROM call_records WHERE customer = $1 \
       UNION SELECT r.call_id FROM customer_phones p \
         JOIN call_records r ON r.caller_number_e164 = p.number_e164 \
         WHERE p.customer_id = $2 AND COALESCE(r.customer, '') = '' \
       UNION SELECT r.call_id FROM customer_phones p \
         JOIN call_records r ON r.caller_number = p.number_key \
         WHERE p.customer_id = $2 AND p.number_e164 IS NULL \
           AND COALESCE(r.caller_number_e164, '') = '' AND COALESCE(r.customer, '') = '') \
     ORDER BY sr.id DESC LIMIT $3";

pub(crate) const INSERT_PHONE: &str = "INSERT INTO customer_phones \
     (customer_id, position, label, number, number_e164, number_key) \
     VALUES ($1, $2, $3, $4, $5, $6)";
pub(crate) const INSERT_EMAIL: &str = "INSERT INTO customer_emails \
     (customer_id, position, label, address, address_key) VALUES ($1, $2, $3, $4, $5)";

/// Rows per multi-row insert of an import; the rest of a batch goes row by row, so that
/// only one statement text per table is ever prepared.
pub(crate) const CHILD_CHUNK: usize = 64;

fn multi_row_insert(head: &str, columns: usize, rows: usize) -> String {
    let mut sql = String::from(head);
    sql.push_str(" VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", row * columns + column + 1));
        }
        sql.push(')');
    }
    sql
}

pub(crate) static INSERT_PHONES_CHUNK: LazyLock<String> = LazyLock::new(|| {
    multi_row_insert(
        "INSERT INTO customer_phones \
         (customer_id, position, label, number, number_e164, number_key)",
        6,
        CHILD_CHUNK,
    )
});

pub(crate) static INSERT_EMAILS_CHUNK: LazyLock<String> = LazyLock::new(|| {
    multi_row_insert(
        "INSERT INTO customer_emails (customer_id, position, label, address, address_key)",
        5,
        CHILD_CHUNK,
    )
});

/// How many ids one child look-up binds: the number of customers is rounded up to one of
/// these (padding with a repeated id), so that a handful of statement texts serve every page.
const ID_BUCKETS: [usize; 4] = [1, 8, 32, 128];

fn in_list_select(head: &str, ids: usize, tail: &str) -> String {
    let placeholders: Vec<String> = (1..=ids).map(|n| format!("${n}")).collect();
    format!("{head} IN ({}) {tail}", placeholders.join(", "))
}

static PHONES_OF: LazyLock<Vec<String>> = LazyLock::new(|| {
    ID_BUCKETS
        .iter()
        .map(|&n| {
            in_list_select(
                "SELECT customer_id, label, number, number_e164 FROM customer_phones \
                 WHERE customer_id",
                n,
                "ORDER BY customer_id, position",
            )
        })
        .collect()
});

static EMAILS_OF: LazyLock<Vec<String>> = LazyLock::new(|| {
    ID_BUCKETS
        .iter()
        .map(|&n| {
            in_list_select(
                "SELECT customer_id, label, address FROM customer_emails WHERE customer_id",
                n,
                "ORDER BY customer_id, position",
            )
        })
        .collect()
});

/// The statements that fetch the phones and e-mails of `ids` (at most 128), and the ids
/// padded to the statements' size.
pub(crate) fn children_of(
    ids: &[i64],
) -> Option<(
    AssertSqlSafe<&'static str>,
    AssertSqlSafe<&'static str>,
    Vec<i64>,
)> {
    let bucket = ID_BUCKETS.iter().position(|&n| n >= ids.len())?;
    let first = *ids.first()?;
    let mut padded = ids.to_vec();
    padded.resize(ID_BUCKETS[bucket], first);
    Some((
        AssertSqlSafe(PHONES_OF[bucket].as_str()),
        AssertSqlSafe(EMAILS_OF[bucket].as_str()),
        padded,
    ))
}

/// Most customers one child look-up serves; pages and matches are bounded below it.
pub(crate) const MAX_IDS_PER_LOOKUP: usize = 128;

#[derive(sqlx::FromRow)]
pub(crate) struct CustomerRow {
    id: i64,
    kind: String,
    display_name: String,
    given_name: Option<String>,
    family_name: Option<String>,
    tax_code: Option<String>,
    vat_number: Option<String>,
    has_pin: bool,
    guest: bool,
    discrepancy: bool,
    discrepancy_note: Option<String>,
    discrepancy_at_unix_ms: Option<i64>,
    revision: i64,
    created_at_unix_ms: i64,
    updated_at_unix_ms: i64,
}

impl CustomerRow {
    pub(crate) fn id(&self) -> i64 {
        self.id
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PhoneRow {
    customer_id: i64,
    label: String,
    number: String,
    number_e164: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct EmailRow {
    customer_id: i64,
    label: String,
    address: String,
}

/// Puts customers together from their rows and their children's rows (both in customer
/// order as the statements above return them, children by position).
pub(crate) fn assemble(
    rows: Vec<CustomerRow>,
    phones: Vec<PhoneRow>,
    emails: Vec<EmailRow>,
) -> Result<Vec<Customer>, StoreError> {
    let mut customers = Vec::with_capacity(rows.len());
    for row in rows {
        let kind = CustomerKind::from_name(&row.kind).ok_or_else(|| StoreError::CorruptRow {
            column: "kind",
            value: row.kind.clone(),
        })?;
        let party = match kind {
            CustomerKind::Person => Party::Person {
                given_name: row.given_name.map(Into::into),
                family_name: row.family_name.map(Into::into),
                tax_code: row.tax_code.map(Into::into),
            },
            CustomerKind::Organisation => Party::Organisation {
                vat_number: row.vat_number.map(Into::into),
            },
        };
        let discrepancy = if row.discrepancy {
            Some(Discrepancy {
                note: row.discrepancy_note.unwrap_or_default().into(),
                marked_at_unix_ms: row.discrepancy_at_unix_ms.unwrap_or(row.updated_at_unix_ms),
            })
        } else {
            None
        };
        customers.push(Customer {
            id: CustomerId(row.id),
            party,
            display_name: row.display_name.into(),
            phones: phones
                .iter()
                .filter(|p| p.customer_id == row.id)
                .map(|p| CustomerPhone {
                    label: p.label.clone(),
                    number: p.number.clone().into(),
                    e164: p.number_e164.clone().map(Into::into),
                })
                .collect(),
            emails: emails
                .iter()
                .filter(|e| e.customer_id == row.id)
                .map(|e| CustomerEmail {
                    label: e.label.clone(),
                    address: e.address.clone().into(),
                })
                .collect(),
            has_pin: row.has_pin,
            guest: row.guest,
            discrepancy,
            revision: row.revision,
            created_at_unix_ms: row.created_at_unix_ms,
            updated_at_unix_ms: row.updated_at_unix_ms,
        });
    }
    Ok(customers)
}

#[derive(sqlx::FromRow)]
pub(crate) struct RecentRow {
    number: String,
    state: String,
    created_at_unix_ms: i64,
    call_id: Option<String>,
    channel: String,
    service_area: Option<String>,
    request_type: Option<String>,
    outcome: Option<String>,
    by_customer: bool,
}

impl TryFrom<RecentRow> for RecentServiceRequest {
    type Error = StoreError;

    fn try_from(row: RecentRow) -> Result<Self, StoreError> {
        let state = SrState::from_name(&row.state).ok_or_else(|| StoreError::CorruptRow {
            column: "state",
            value: row.state.clone(),
        })?;
        let outcome = row
            .outcome
            .map(|name| {
                CallOutcome::from_name(&name).ok_or(StoreError::CorruptRow {
                    column: "outcome",
                    value: name,
                })
            })
            .transpose()?;
        Ok(RecentServiceRequest {
            number: row.number,
            state,
            created_at_unix_ms: row.created_at_unix_ms,
            call_id: row.call_id,
            channel: row.channel,
            service_area: row.service_area,
            request_type: row.request_type,
            outcome,
            matched_by: if row.by_customer {
                RecentMatch::Customer
            } else {
                RecentMatch::CallerNumber
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_row_inserts_number_every_placeholder() {
        assert_eq!(
            multi_row_insert("INSERT INTO t (a, b)", 2, 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert!(INSERT_PHONES_CHUNK.ends_with(&format!("${})", 6 * CHILD_CHUNK)));
    }

    #[test]
    fn child_lookups_pad_ids_to_a_few_sizes() {
        let (phones, _, ids) = children_of(&[7]).expect("one id");
        assert!(phones.0.contains("IN ($1) "), "{}", phones.0);
        assert_eq!(ids, [7]);
        let (_, emails, ids) = children_of(&[1, 2, 3]).expect("three ids");
        assert!(emails.0.contains("$8)"), "{}", emails.0);
        assert_eq!(ids, [1, 2, 3, 1, 1, 1, 1, 1]);
        assert!(children_of(&[]).is_none());
        assert!(children_of(&[1; MAX_IDS_PER_LOOKUP]).is_some());
        assert!(children_of(&[1; MAX_IDS_PER_LOOKUP + 1]).is_none());
    }

    /// What SQLite plans for `statement` (bound to `args` text values), one line per step.
    async fn plan(statement: &str, args: &[&str]) -> String {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = crate::SqliteStore::open(
            dir.path().join("plan.db"),
            std::sync::Arc::new(common::SystemClock),
        )
        .await
        .expect("open");
        let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN {statement}"
        )));
        for arg in args {
            query = query.bind(*arg);
        }
        let rows = query.fetch_all(&store.pool).await.expect("explain");
        store.close().await;
        rows.into_iter()
            .map(|(_, _, _, detail)| detail)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Scale without timing: every look-up an operator or the IVR makes is an index search,
    /// never a scan of the directory (figures in `benches/README-customers.md`).
    #[tokio::test]
    async fn look_ups_and_searches_use_their_indexes() {
        let by_number = plan(BY_NUMBER, &["+390551234567", "11"]).await;
        assert!(
            by_number.contains("customer_phones_by_number (number_key=?)"),
            "{by_number}"
        );
        assert!(
            by_number.contains("INTEGER PRIMARY KEY (rowid=?)"),
            "{by_number}"
        );
        assert!(!by_number.contains("SCAN c"), "{by_number}");

        let by_name = plan(SEARCH_NAME, &["ros", "rot", "10", "0"]).await;
        assert!(
            by_name
                .contains("customers_by_display_name (display_name_key>? AND display_name_key<?)"),
            "{by_name}"
        );
        assert!(
            by_name.contains("customers_by_family_name (family_name_key>? AND family_name_key<?)"),
            "{by_name}"
        );
        let by_tax = plan(SEARCH_TAX_CODE, &["RSS", "RST", "10", "0"]).await;
        assert!(by_tax.contains("customers_by_tax_code"), "{by_tax}");
        assert!(by_tax.contains("customers_by_vat_number"), "{by_tax}");
        let by_email = plan(SEARCH_EMAIL, &["mario", "marip", "10", "0"]).await;
        assert!(
            by_email.contains("customer_emails_by_address"),
            "{by_email}"
        );

        let recent = plan(RECENT_REQUESTS, &["42", "42", "10"]).await;
        assert!(
            recent.contains("call_records_by_customer (customer=?)"),
            "{recent}"
        );
        assert!(
            recent.contains("call_records_by_caller_e164 (caller_number_e164=?)"),
            "{recent}"
        );
        assert!(
            recent.contains("call_records_by_caller (caller_number=?)"),
            "{recent}"
        );
    }
}
