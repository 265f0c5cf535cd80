//! A store chosen at run time from a URL, without boxing futures.

use std::sync::Arc;

use common::Clock;

use crate::{
    CallFact, ListFilter, Opened, PgStore, ServiceRequest, ServiceRequestStore, SqliteStore,
    StoreError,
};

/// Either backend, picked by the scheme of a database URL (`sqlite:` or `postgres:`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl AnyStore {
    pub async fn connect(url: &str, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        match scheme {
            "sqlite" => Ok(Self::Sqlite(SqliteStore::connect(url, clock).await?)),
            "postgres" | "postgresql" => Ok(Self::Postgres(PgStore::connect(url, clock).await?)),
            other => Err(StoreError::UnsupportedUrl(other.to_owned())),
        }
    }

    pub async fn close(&self) {
        match self {
            Self::Sqlite(store) => store.close().await,
            Self::Postgres(store) => store.close().await,
        }
    }
}

macro_rules! delegate {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($store) => $call.await,
            AnyStore::Postgres($store) => $call.await,
        }
    };
}

impl ServiceRequestStore for AnyStore {
    async fn record_call_facts(
        &self,
        facts: Vec<CallFact>,
    ) -> Result<Vec<Result<Opened, StoreError>>, StoreError> {
        delegate!(self, store => store.record_call_facts(facts))
    }

    async fn get(&self, id: i64) -> Result<Option<ServiceRequest>, StoreError> {
        delegate!(self, store => store.get(id))
    }

    async fn get_by_number(&self, number: &str) -> Result<Option<ServiceRequest>, StoreError> {
        delegate!(self, store => store.get_by_number(number))
    }

    async fn get_by_call_id(&self, call_id: &str) -> Result<Option<ServiceRequest>, StoreError> {
        delegate!(self, store => store.get_by_call_id(call_id))
    }

    async fn list(&self, filter: ListFilter) -> Result<Vec<ServiceRequest>, StoreError> {
        delegate!(self, store => store.list(filter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unknown_schemes_are_refused_without_echoing_the_url() {
        let clock: Arc<dyn Clock> = Arc::new(common::SystemClock);
        let error = AnyStore::connect("mysql://user:secret@host/db", clock)
            .await
            .unwrap_err();
        let text = error.to_string();
        assert!(matches!(error, StoreError::UnsupportedUrl(_)), "{text}");
        assert!(!text.contains("secret"), "{text}");
    }
}
