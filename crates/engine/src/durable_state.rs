//! What the engine keeps of its own state across restarts, beside the call facts in the
//! outbox file: the ACD's journal (operators' states, queue facts: replayed at start) and the
//! operators' phone registrations (restored at start, so that calls reach the phones at once).

use call_control::StoredBinding;
use call_control::acd;
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::outbox::{Outbox, OutboxError};

/// One ACD journal entry as stored: its number, wall time and event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredJournalEntry {
    pub seq: u64,
    pub at_unix_ms: i64,
    pub event: acd::Event,
}

/// Appends journal entries and replaces registrations, inside the caller's transaction.
pub(crate) async fn store(
    conn: &mut SqliteConnection,
    journal: &[StoredJournalEntry],
    registrations: &[(String, Vec<StoredBinding>)],
) -> Result<(), OutboxError> {
    for entry in journal {
        let event = serde_json::to_string(&entry.event).expect("an ACD event always serialises");
        sqlx::query(
            "INSERT INTO acd_journal (seq, at_unix_ms, event) VALUES ($1, $2, $3) \
             ON CONFLICT (seq) DO NOTHING",
        )
        .bind(i64::try_from(entry.seq).unwrap_or(i64::MAX))
        .bind(entry.at_unix_ms)
        .bind(event)
        .execute(&mut *conn)
        .await?;
    }
    for (aor, bindings) in registrations {
        sqlx::query("DELETE FROM registrations WHERE aor = $1")
            .bind(aor)
            .execute(&mut *conn)
            .await?;
        for b in bindings {
            sqlx::query(
                "INSERT INTO registrations (aor, contact, source, expires_at_unix_ms, call_id, cseq) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (aor, contact) DO UPDATE SET \
                 source = excluded.source, expires_at_unix_ms = excluded.expires_at_unix_ms, \
                 call_id = excluded.call_id, cseq = excluded.cseq",
            )
            .bind(aor)
            .bind(&b.contact)
            .bind(b.source.to_string())
            .bind(b.expires_at_unix_ms)
            .bind(&b.call_id)
            .bind(i64::from(b.cseq))
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

impl Outbox {
    /// The stored ACD journal, in order.
    pub async fn acd_journal(&self) -> Result<Vec<StoredJournalEntry>, OutboxError> {
        let rows: Vec<(i64, i64, String)> =
            sqlx::query_as("SELECT seq, at_unix_ms, event FROM acd_journal ORDER BY seq")
                .fetch_all(self.pool())
                .await?;
        rows.into_iter()
            .map(|(seq, at_unix_ms, event)| {
                Ok(StoredJournalEntry {
                    seq: u64::try_from(seq).unwrap_or(0),
                    at_unix_ms,
                    event: serde_json::from_str(&event)
                        .map_err(|source| OutboxError::Corrupt { seq, source })?,
                })
            })
            .collect()
    }

    /// Moves the stored journal aside (it no longer replays against the configuration): a
    /// new one starts. Returns the archive's generation.
    pub async fn archive_acd_journal(&self) -> Result<i64, OutboxError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let generation: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(generation), 0) + 1 FROM acd_journal_archive")
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO acd_journal_archive (generation, seq, at_unix_ms, event) \
             SELECT $1, seq, at_unix_ms, event FROM acd_journal",
        )
        .bind(generation)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM acd_journal")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(generation)
    }

    /// The registrations kept, by address-of-record, still valid at `now_unix_ms`.
    pub async fn registrations(
        &self,
        now_unix_ms: i64,
    ) -> Result<Vec<(String, StoredBinding)>, OutboxError> {
        let rows: Vec<(String, String, String, i64, String, i64)> = sqlx::query_as(
            "SELECT aor, contact, source, expires_at_unix_ms, call_id, cseq FROM registrations \
             WHERE expires_at_unix_ms > $1 ORDER BY aor, contact",
        )
        .bind(now_unix_ms)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(
                |(aor, contact, source, expires_at_unix_ms, call_id, cseq)| {
                    Some((
                        aor,
                        StoredBinding {
                            contact,
                            source: source.parse().ok()?,
                            expires_at_unix_ms,
                            call_id,
                            cseq: u32::try_from(cseq).ok()?,
                        },
                    ))
                },
            )
            .collect())
    }
}
