//! Picking up after a restart: the ACD's journal is replayed (operators come back logged in,
//! ready or paused as they were, with the day's figures), and the operators' phone
//! registrations are put back, so that the first call after a restart rings a phone at once.
//!
//! The calls themselves do not survive a restart: the engine's outbox closes them. Whatever
//! the replayed ACD still holds of them (callers waiting, offers ringing, operators on a call)
//! is therefore ended here, which the journal records like any other fact.

use std::time::{Duration, Instant};

use sip_message::NameAddr;
use sip_transaction::Binding;
use tracing::{info, warn};

use crate::CallControl;
use crate::events::StoredBinding;

/// One journal entry as the driver kept it: number, wall time, event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    pub seq: u64,
    pub at_unix_ms: i64,
    pub event: acd::Event,
}

/// What a restore found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Restored {
    /// Journal entries replayed.
    pub journal_entries: usize,
    /// Calls the replayed ACD still held, now ended.
    pub calls_closed: usize,
    /// Phone registrations put back.
    pub registrations: usize,
}

/// The journal does not replay against the current configuration (queues renamed or removed,
/// operators changed): the driver should set it aside and start a new one.
#[derive(Debug, thiserror::Error)]
#[error("the acd journal does not replay against this configuration: {0}")]
pub struct JournalMismatch(#[source] pub acd::ReplayError);

impl CallControl {
    /// Restores the state kept across a restart. Call once, right after [`CallControl::new`]
    /// and before any input. With an empty journal the ACD starts fresh and registered phones
    /// make their operators ready, as a new registration would.
    pub fn restore(
        &mut self,
        now: Instant,
        journal: Vec<StoredEntry>,
        bindings: Vec<(String, StoredBinding)>,
    ) -> Result<Restored, JournalMismatch> {
        let mut restored = Restored::default();
        let wall_now = self.clock.now_unix_ms();
        // Wall times back to this process's instants, never going back in time (a clock
        // step between entries must not break the replay).
        let instant_of = |at_unix_ms: i64| {
            let ago = u64::try_from(wall_now.saturating_sub(at_unix_ms)).unwrap_or(0);
            now.checked_sub(Duration::from_millis(ago)).unwrap_or(now)
        };
        if !journal.is_empty() {
            let origin = instant_of(journal[0].at_unix_ms);
            let mut last = origin;
            let entries: Vec<acd::JournalEntry> = journal
                .into_iter()
                .map(|e| {
                    last = instant_of(e.at_unix_ms).max(last);
                    acd::JournalEntry {
                        seq: e.seq,
                        at: last,
                        event: e.event,
                    }
                })
                .collect();
            restored.journal_entries = entries.len();
            let acd = acd::Acd::replay(self.acd_config.clone(), origin, entries)
                .map_err(JournalMismatch)?;
            self.acd = acd;
            restored.calls_closed = self.close_orphaned_acd_calls(now);
        }
        for (aor, stored) in bindings {
            let Ok(contact) = NameAddr::parse(&stored.contact) else {
                warn!(agent = %aor, "a kept registration's contact no longer parses: dropped");
                continue;
            };
            let remaining = u64::try_from(stored.expires_at_unix_ms - wall_now).unwrap_or(0);
            if remaining == 0 {
                continue;
            }
            let binding = Binding {
                contact: contact.clone(),
                source: stored.source,
                expires_at: now + Duration::from_millis(remaining),
                call_id: stored.call_id,
                cseq: stored.cseq,
            };
            self.registrar.restore(&aor, binding.clone());
            let change = sip_transaction::BindingChange::Registered {
                aor_user: aor.clone(),
                contact,
                source: binding.source,
                expires_at: binding.expires_at,
            };
            if restored.journal_entries > 0 {
                // The journal already says whether the operator is ready: only the phone's
                // address comes back.
                if let Some(agent) = self.agents.get_mut(&aor) {
                    agent.contact = Some((
                        binding.contact.uri.clone(),
                        crate::caller::uri_socket_addr(&binding.contact.uri)
                            .unwrap_or(binding.source),
                    ));
                }
            } else {
                self.apply_binding_change(now, change);
            }
            restored.registrations += 1;
        }
        self.pump_acd(now);
        info!(
            journal = restored.journal_entries,
            closed = restored.calls_closed,
            registrations = restored.registrations,
            "state restored after a restart"
        );
        Ok(restored)
    }

    /// Ends what the replayed ACD still holds of calls that died with the last process.
    fn close_orphaned_acd_calls(&mut self, now: Instant) -> usize {
        let snapshot = self.acd.snapshot(now);
        let mut calls: Vec<(acd::CallId, bool)> = Vec::new();
        for queue in &snapshot.queues {
            calls.extend(queue.waiting.iter().map(|w| (w.call, false)));
        }
        for operator in &snapshot.operators {
            match operator.state {
                acd::OperatorState::Reserved { call } => calls.push((call, false)),
                acd::OperatorState::OnCall { call } => calls.push((call, true)),
                _ => {}
            }
        }
        calls.sort();
        calls.dedup_by_key(|(call, _)| *call);
        for &(call, connected) in &calls {
            let input = if connected {
                acd::Input::Complete { call }
            } else {
                acd::Input::Abandon { call }
            };
            self.acd_input(now, input);
        }
        calls.len()
    }
}
