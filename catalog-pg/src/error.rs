//! Errors of the PostgreSQL store and import, and their mapping to [`StoreError`].

use catalog_core::StoreError;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// What went wrong talking to PostgreSQL.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// Cannot connect (server down, bad URL, timeout).
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(String),
    /// The schema migrations failed.
    #[error("cannot migrate the database: {0}")]
    Migrate(String),
    /// The database has no catalog yet.
    #[error("the database has no catalog schema; run `catalog-http migrate` or `catalog-http import` first")]
    NotMigrated,
    /// The bulk load stopped (the COPY writer failed or went away).
    #[error("the bulk load failed: {0}")]
    Load(String),
    /// A query failed.
    #[error("query failed: {0}")]
    Query(#[from] DieselError),
    /// The source files could not be imported.
    #[error(transparent)]
    Import(#[from] catalog_source::ImportError),
}

/// Maps a query error: lost connections and timeouts are the store being
/// unavailable (503), everything else an internal fault.
pub(crate) fn query_error(err: DieselError) -> StoreError {
    let unavailable = match &err {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        DieselError::DatabaseError(_, info) => {
            let message = info.message();
            message.contains("statement timeout")
                || message.contains("terminating connection")
                || message.contains("shutting down")
                || message.contains("connection")
        }
        DieselError::BrokenTransactionManager => true,
        _ => false,
    };
    if unavailable {
        StoreError::Unavailable(err.to_string())
    } else {
        StoreError::Internal(err.to_string())
    }
}
