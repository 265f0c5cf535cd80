//! The embedded store: one SQLite file in WAL mode.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use common::Clock;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Sqlite, Transaction};

use crate::{CaseIntake, StoreError};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// The embedded default store (SQLite, WAL journal).
#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    pub(crate) clock: Arc<dyn Clock>,
    /// Where the cases of calls open and which queues they follow.
    pub(crate) intake: Arc<CaseIntake>,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database file at `path` and migrates it.
    pub async fn open(path: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        Self::connect_with(SqliteConnectOptions::new().filename(path), clock).await
    }

    /// Opens a `sqlite:` URL, e.g. `sqlite:///var/lib/centralino/crm.db`.
    pub async fn connect(url: &str, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        Self::connect_with(SqliteConnectOptions::from_str(url)?, clock).await
    }

    /// Opens with the given options, adding what the store relies on: the file is created if
    /// missing, WAL lets HTTP readers run beside the CTI writer, and writers wait for each
    /// other instead of failing with `SQLITE_BUSY`.
    pub async fn connect_with(
        options: SqliteConnectOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().connect_with(options).await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self {
            pool,
            clock,
            intake: Arc::new(CaseIntake::default()),
        })
    }

    /// Waits for the connections to close: call before the file is removed or copied.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// `BEGIN IMMEDIATE` takes the write lock up front: a deferred transaction that reads
    /// first and writes later can fail with `SQLITE_BUSY` instead of waiting.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

impl crate::sql::SrBatchDialect for SqliteStore {
    type Db = Sqlite;
    /// One writer holds the database at a time (`BEGIN IMMEDIATE`): sharing a batch out would
    /// only queue the shares.
    const WRITERS: usize = 1;

    async fn number_srs(
        tx: &mut Transaction<'static, Sqlite>,
        numbered: Vec<(i64, String)>,
    ) -> Result<(), sqlx::Error> {
        // In-process statements: no round trips to save.
        for (id, number) in numbered {
            sqlx::query(crate::sql::NUMBER_SR)
                .bind(id)
                .bind(number)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    async fn get_many(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, crate::ServiceRequest>, StoreError> {
        let mut found = HashMap::with_capacity(ids.len());
        for &id in ids {
            if let Some(sr) = crate::ServiceRequestStore::get(self, id).await? {
                found.insert(id, sr);
            }
        }
        Ok(found)
    }
}

crate::sql::impl_service_request_store!(SqliteStore);
crate::users_sql::impl_user_store!(SqliteStore);
