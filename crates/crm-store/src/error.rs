use thiserror::Error;

/// Why a store operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The request itself is wrong (remote input): retrying it cannot help.
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    /// The database cannot be reached now (pool timeout, connection lost): retry later.
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// Any other database failure.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// Concurrent opens of one call kept racing: should never happen, since SRs are never
    /// deleted.
    #[error("service request kept changing under concurrent opens")]
    Contention,
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The change contradicts what is stored (a login that is taken, a user that the
    /// configuration file manages): retrying it cannot help.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A stored row breaks the schema's invariants (e.g. an unknown state name).
    #[error("corrupt row: {column} has unexpected value {value:?}")]
    CorruptRow { column: &'static str, value: String },
    /// A database URL whose scheme is neither `sqlite:` nor `postgres:`. Only the scheme is
    /// kept: the rest of a URL may hold a password.
    #[error("unsupported database url scheme {0:?}")]
    UnsupportedUrl(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(error),
            other => StoreError::Database(other),
        }
    }
}
