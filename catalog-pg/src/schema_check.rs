//! The check that the catalog schema, as the latest migration made it,
//! exists where reads go; and the gate that holds every query of a store
//! until that check has passed, for a store opened while PostgreSQL refused
//! connections for the moment.

use std::sync::atomic::{AtomicBool, Ordering};

use catalog_core::{StoreError, UnavailableKind};
use diesel::QueryDsl;
use futures_util::FutureExt;

use crate::error::ReadError;
use crate::routing::Reads;
use crate::schema::catalog::built;

/// What PostgreSQL says when it is up but takes no connection for now: every
/// slot taken (SQLSTATE 53300, for the server, a role or a database), or the
/// server starting, stopping or recovering (57P03). Matched in English, as
/// [`read_error`](crate::error::read_error) does.
const REFUSED_FOR_NOW: [&str; 4] = [
    "too many clients",
    "too many connections",
    "connection slots are reserved",
    "the database system is",
];

/// Whether `err` is PostgreSQL refusing a connection for now (see
/// [`REFUSED_FOR_NOW`]), as opposed to no server, a wrong URL or a refused
/// password. The whole chain of sources is read: the pool wraps the
/// server's message.
pub(crate) fn refused_for_now(err: &ReadError) -> bool {
    let ReadError::Unreachable(source) = err else {
        return false;
    };
    let first: &(dyn std::error::Error + 'static) = source.as_ref();
    std::iter::successors(Some(first), |err| err.source()).any(|err| {
        let message = err.to_string();
        REFUSED_FOR_NOW.iter().any(|refusal| message.contains(refusal))
    })
}

/// Whether the schema of the latest migration exists where reads go
/// (`catalog.built` came with it).
pub(crate) async fn schema_present(reads: &Reads) -> Result<bool, ReadError> {
    // Here only: its `load` would shadow the atomics' below.
    use diesel_async::RunQueryDsl;
    reads
        .read(move |conn| {
            async move {
                match built::table.select(built::generation).load::<i64>(&mut &*conn).await {
                    Ok(_) => Ok(true),
                    Err(diesel::result::Error::DatabaseError(_, info)) if info.message().contains("does not exist") => {
                        Ok(false)
                    }
                    Err(err) => Err(err),
                }
            }
            .boxed()
        })
        .await
}

/// Holds a store's queries until the schema check has passed (at connect,
/// or later for a store opened while the server refused connections). While
/// shut, each query first runs the check, one at a time (the others are
/// answered 503 at once, so a busy instance does not knock on a full server
/// once per request).
pub(crate) struct SchemaGate {
    open: AtomicBool,
    checking: tokio::sync::Mutex<()>,
}

impl SchemaGate {
    /// A shut gate: the first query runs the check.
    pub(crate) fn new() -> SchemaGate {
        SchemaGate {
            open: AtomicBool::new(false),
            checking: tokio::sync::Mutex::new(()),
        }
    }

    /// An open gate, for tests of pools on databases with no catalog.
    #[cfg(test)]
    pub(crate) fn opened() -> SchemaGate {
        let gate = SchemaGate::new();
        gate.open.store(true, Ordering::Release);
        gate
    }

    /// Runs the schema check now: `true`, and the gate opens, when the
    /// schema is there.
    pub(crate) async fn check(&self, reads: &Reads) -> Result<bool, ReadError> {
        let present = schema_present(reads).await?;
        if present && !self.open.swap(true, Ordering::AcqRel) {
            tracing::info!("PostgreSQL accepts connections and has the catalog schema: serving");
        }
        Ok(present)
    }

    /// `Ok` once the schema check has passed; until then runs it (or fails
    /// at once while another query runs it). A server that still refuses,
    /// or has no catalog schema yet, makes the query unavailable (a 503).
    pub(crate) async fn pass(&self, reads: &Reads) -> Result<(), ReadError> {
        if self.open.load(Ordering::Acquire) {
            return Ok(());
        }
        let Ok(_checking) = self.checking.try_lock() else {
            return Err(ReadError::Unreachable(
                "PostgreSQL has refused connections since the service started; a check is under way".into(),
            ));
        };
        if self.open.load(Ordering::Acquire) || self.check(reads).await? {
            Ok(())
        } else {
            Err(ReadError::Store(StoreError::unavailable(
                UnavailableKind::Unreachable,
                "the database has no catalog schema yet; run `catalog-http migrate` or `catalog-http import`",
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("connection error: {source}")]
    struct Wrapped {
        source: Box<dyn std::error::Error + Send + Sync>,
    }

    #[test]
    fn a_full_or_starting_server_refuses_for_now_even_when_wrapped() {
        for message in [
            "FATAL:  sorry, too many clients already",
            "FATAL:  too many connections for role \"shop\"",
            "FATAL:  remaining connection slots are reserved for non-replication superuser connections",
            "FATAL:  the database system is starting up",
        ] {
            let wrapped = Wrapped { source: message.into() };
            assert!(refused_for_now(&ReadError::Unreachable(Box::new(wrapped))), "{message}");
        }
    }

    #[test]
    fn no_server_a_wrong_password_or_a_fault_is_not_refused_for_now() {
        for message in [
            "Connection refused (os error 111)",
            "FATAL:  password authentication failed for user \"shop\"",
            "FATAL:  database \"nope\" does not exist",
        ] {
            assert!(!refused_for_now(&ReadError::Unreachable(message.into())), "{message}");
        }
        let fault = ReadError::Store(StoreError::internal(
            catalog_core::InternalKind::Query,
            "too many clients",
        ));
        assert!(!refused_for_now(&fault));
    }
}
