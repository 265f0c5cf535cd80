//! Group commit for call facts: concurrent CTI calls hand their facts to one task, which
//! applies everything waiting together and answers each caller: in one transaction on SQLite,
//! in a few at once on PostgreSQL, shared out by call (see `crm_store`'s `SrBatchDialect`).
//! One commit (one `fsync` on SQLite, one round of WAL flush on PostgreSQL) then serves many
//! calls, which is what lets the CRM keep up with a busy engine; a lone fact is applied at
//! once.
//!
//! If a whole batch fails (a database error), each fact is retried on its own so that every
//! caller gets its own answer and nothing of one caller's fact depends on another's.

use std::sync::Arc;

use crm_store::{CallFact, Opened, ServiceRequestStore, StoreError};
use tokio::sync::{mpsc, oneshot};

/// Most facts applied in one transaction.
const MAX_BATCH: usize = 256;

type Job = (CallFact, oneshot::Sender<Result<Opened, StoreError>>);

/// The handle the CTI handlers send facts through.
#[derive(Debug, Clone)]
pub(crate) struct FactBatcher {
    jobs: mpsc::Sender<Job>,
}

impl FactBatcher {
    /// Starts the batching task on the current tokio runtime.
    pub(crate) fn start<S: ServiceRequestStore>(store: Arc<S>) -> Self {
        let (jobs, receiver) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(store, receiver));
        Self { jobs }
    }

    /// Applies `fact`, with whatever else is waiting.
    pub(crate) async fn apply(&self, fact: CallFact) -> Result<Opened, StoreError> {
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send((fact, answer))
            .await
            .map_err(|_| StoreError::Contention)?;
        answered.await.map_err(|_| StoreError::Contention)?
    }
}

async fn run<S: ServiceRequestStore>(store: Arc<S>, mut jobs: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (facts, answers): (Vec<CallFact>, Vec<_>) = batch.drain(..).unzip();
        match store.record_call_facts(facts.clone()).await {
            Ok(results) => {
                for (answer, result) in answers.into_iter().zip(results) {
                    let _ = answer.send(result);
                }
            }
            Err(batch_error) => {
                tracing::warn!(error = %batch_error, facts = facts.len(), "a batch of call facts failed: applying them one by one");
                for (answer, fact) in answers.into_iter().zip(facts) {
                    let _ = answer.send(store.record_call_fact(fact).await);
                }
            }
        }
    }
}
