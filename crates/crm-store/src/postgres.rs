//! The production store: PostgreSQL.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use common::Clock;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use crate::{CaseIntake, StoreError};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The production store (PostgreSQL).
#[derive(Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    pub(crate) clock: Arc<dyn Clock>,
    /// Where the cases of calls open and which queues they follow.
    pub(crate) intake: Arc<CaseIntake>,
}

impl PgStore {
    /// Connects to a `postgres://` URL and migrates the database.
    pub async fn connect(url: &str, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        Self::connect_with(PgConnectOptions::from_str(url)?, clock).await
    }

    pub async fn connect_with(
        options: PgConnectOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new().connect_with(options).await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self {
            pool,
            clock,
            intake: Arc::new(CaseIntake::default()),
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// READ COMMITTED is enough: the counter row lock serialises the numbering of opens, and
    /// a conflicting insert sees the committed row of the open that won.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

impl crate::sql::SrBatchDialect for PgStore {
    type Db = Postgres;
    const WRITERS: usize = 4;

    async fn number_srs(
        tx: &mut Transaction<'static, Postgres>,
        numbered: Vec<(i64, String)>,
    ) -> Result<(), sqlx::Error> {
        let (ids, numbers): (Vec<i64>, Vec<String>) = numbered.into_iter().unzip();
        sqlx::query(
            "UPDATE service_requests AS s SET number = v.number \
             FROM UNNEST($1::BIGINT[], $2::TEXT[]) AS v(id, number) WHERE s.id = v.id",
        )
        .bind(ids)
        .bind(numbers)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn get_many(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, crate::ServiceRequest>, StoreError> {
        let rows: Vec<crate::sql::SrRow> = sqlx::query_as(crate::sql::BY_IDS_ARRAY)
            .bind(ids)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|row| crate::ServiceRequest::try_from(row).map(|sr| (sr.id, sr)))
            .collect()
    }
}

crate::sql::impl_service_request_store!(PgStore);
crate::users_sql::impl_user_store!(PgStore);
