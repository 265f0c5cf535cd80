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
    /// The case of a call could not be opened: the life cycle refused what the store's
    /// catalogue said (see [`crate::CaseIntake`]). Should never happen.
    #[error("the case of a call could not be opened")]
    Intake(#[source] service_request::Refusal),
    /// A database URL whose scheme is neither `sqlite:` nor `postgres:`. Only the scheme is
    /// kept: the rest of a URL may hold a password.
    #[error("unsupported database url scheme {0:?}")]
    UnsupportedUrl(String),
    /// A customer record or search breaks a limit or a format; the error names the field.
    #[error("invalid customer: {0}")]
    InvalidCustomer(#[from] crate::customers::CustomerInputError),
    /// One record of an import batch is invalid; nothing of the batch was stored.
    #[error("invalid customer at position {index} of the batch: {error}")]
    InvalidCustomerInBatch {
        index: usize,
        error: crate::customers::CustomerInputError,
    },
    #[error("no such customer")]
    CustomerNotFound,
    /// Someone changed the customer since the revision an update was based on: reload it,
    /// and apply the change again if it still makes sense.
    #[error(
        "customer changed: the update was based on revision {expected}, it is now at {current}"
    )]
    RevisionConflict { expected: i64, current: i64 },
    /// Hashing or checking a PIN failed (no randomness for a salt, the blocking pool is gone).
    #[error("pin hashing failed")]
    PinHashing,
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
