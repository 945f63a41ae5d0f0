//! Errors of the PostgreSQL store and import, and their mapping to [`StoreError`].

use catalog_core::{BoxError, InternalKind, StoreError, UnavailableKind};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// What went wrong talking to PostgreSQL.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// Cannot connect (server down, bad URL, timeout).
    #[error("cannot connect to PostgreSQL: {source}")]
    Connect {
        /// Why the connection failed.
        #[source]
        source: BoxError,
    },
    /// The schema migrations failed.
    #[error("cannot migrate the database: {source}")]
    Migrate {
        /// Why the migrations failed.
        #[source]
        source: BoxError,
    },
    /// The database has no catalog yet, or one from before the latest migration.
    #[error(
        "the database has no catalog schema, or an outdated one; run `catalog-http migrate` or `catalog-http import` first"
    )]
    NotMigrated,
    /// Another import is running on the same database.
    #[error("another import is running on this database; try again when it has finished")]
    ImportRunning,
    /// The bulk load stopped (the COPY writer failed or went away).
    #[error("the bulk load failed: {source}")]
    Load {
        /// Why the load stopped.
        #[source]
        source: BoxError,
    },
    /// A query failed.
    #[error("query failed: {0}")]
    Query(#[from] DieselError),
    /// The source files could not be imported.
    #[error(transparent)]
    Import(#[from] catalog_source::ImportError),
}

impl PgError {
    /// A [`PgError::Connect`] caused by `source`.
    pub(crate) fn connect(source: impl Into<BoxError>) -> PgError {
        PgError::Connect { source: source.into() }
    }
}

/// Why a read failed on one server; it decides whether the read is asked
/// again elsewhere (see `routing`), then becomes a [`StoreError`].
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The server refused or dropped the connection, is shutting down or
    /// starting up, or did not answer in time: a replica is left out for a while.
    Unreachable(BoxError),
    /// A replica cancelled the statement to replay the primary's changes (a
    /// recovery conflict): the replica is fine, the read is asked of the primary.
    RecoveryConflict(BoxError),
    /// Every connection of the pool stayed in use for the whole wait: on a
    /// replica, the read is asked of the primary; on the primary, a 503.
    Busy(BoxError),
    /// Anything else, answered as it is (a statement timeout is a 503, a
    /// fault a 500).
    Store(StoreError),
}

impl From<ReadError> for StoreError {
    fn from(err: ReadError) -> StoreError {
        match err {
            ReadError::Unreachable(source) => StoreError::unavailable(UnavailableKind::Unreachable, source),
            ReadError::RecoveryConflict(source) => StoreError::unavailable(UnavailableKind::Conflict, source),
            ReadError::Busy(source) => StoreError::unavailable(UnavailableKind::PoolExhausted, source),
            ReadError::Store(err) => err,
        }
    }
}

/// Classifies a query error. PostgreSQL's messages are matched in English (its
/// default `lc_messages`, and RDS's), as diesel keeps only some SQLSTATEs.
pub(crate) fn read_error(err: DieselError) -> ReadError {
    enum Class {
        Unreachable,
        RecoveryConflict,
        Timeout,
        Internal,
    }
    let class = match &err {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _)
        | DieselError::BrokenTransactionManager => Class::Unreachable,
        // 40001, and the 40P01 / 57P04 forms of "... due to conflict with recovery".
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => Class::RecoveryConflict,
        DieselError::DatabaseError(_, info) if info.message().contains("conflict with recovery") => {
            Class::RecoveryConflict
        }
        DieselError::DatabaseError(_, info) => {
            let message = info.message();
            if message.contains("canceling statement") {
                // 57014: the statement timeout (or a cancel request); the server is up.
                Class::Timeout
            } else if message.contains("connection") // "terminating connection ...", "... connection closed"
                || message.contains("shutting down")
                || message.contains("starting up")
                || message.contains("recovery mode")
            {
                Class::Unreachable
            } else {
                Class::Internal
            }
        }
        _ => Class::Internal,
    };
    match class {
        Class::Unreachable => ReadError::Unreachable(err.into()),
        Class::RecoveryConflict => ReadError::RecoveryConflict(err.into()),
        Class::Timeout => ReadError::Store(StoreError::unavailable(UnavailableKind::Timeout, err)),
        Class::Internal => ReadError::Store(StoreError::internal(InternalKind::Query, err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn lost_connections_and_stopping_servers_are_unreachable() {
        for err in [
            database_error(DatabaseErrorKind::ClosedConnection, "server closed the connection"),
            database_error(
                DatabaseErrorKind::UnableToSendCommand,
                "error communicating with the server",
            ),
            database_error(
                DatabaseErrorKind::Unknown,
                "terminating connection due to administrator command",
            ),
            database_error(DatabaseErrorKind::Unknown, "the database system is shutting down"),
            database_error(DatabaseErrorKind::Unknown, "the database system is starting up"),
        ] {
            assert!(matches!(read_error(err), ReadError::Unreachable(_)));
        }
    }

    #[test]
    fn recovery_conflicts_are_told_apart_from_a_lost_server() {
        for err in [
            database_error(
                DatabaseErrorKind::SerializationFailure,
                "canceling statement due to conflict with recovery",
            ),
            database_error(
                DatabaseErrorKind::Unknown,
                "terminating connection due to conflict with recovery",
            ),
        ] {
            assert!(matches!(read_error(err), ReadError::RecoveryConflict(_)));
        }
    }

    #[test]
    fn a_statement_timeout_is_a_503_from_a_server_that_is_up() {
        let err = database_error(
            DatabaseErrorKind::Unknown,
            "canceling statement due to statement timeout",
        );
        assert!(matches!(
            read_error(err),
            ReadError::Store(StoreError::Unavailable {
                kind: UnavailableKind::Timeout,
                ..
            })
        ));
    }

    #[test]
    fn other_failures_are_internal() {
        let err = database_error(
            DatabaseErrorKind::Unknown,
            "relation \"catalog.products\" does not exist",
        );
        assert!(matches!(
            read_error(err),
            ReadError::Store(StoreError::Internal {
                kind: InternalKind::Query,
                ..
            })
        ));
        assert!(matches!(
            read_error(DieselError::NotFound),
            ReadError::Store(StoreError::Internal {
                kind: InternalKind::Query,
                ..
            })
        ));
    }
}
