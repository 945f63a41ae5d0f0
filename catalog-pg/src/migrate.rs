//! The schema migrations, embedded in the binary, and bringing the catalog
//! up to its SQL files afterwards (see [`ddl::upgrade`]).

use diesel::Connection;
use diesel::pg::PgConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::ddl;
use crate::error::PgError;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Applies the pending migrations to the database at `database_url`, then
/// builds an empty catalog where there is none (or brings an existing one's
/// read model up to date); returns the names of the migrations applied.
pub fn migrate(database_url: &str) -> Result<Vec<String>, PgError> {
    let mut conn = PgConnection::establish(database_url).map_err(PgError::connect)?;
    run_pending(&mut conn)
}

pub(crate) fn run_pending(conn: &mut PgConnection) -> Result<Vec<String>, PgError> {
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|source| PgError::Migrate { source })?;
    let applied = applied.iter().map(ToString::to_string).collect();
    ddl::upgrade(conn)?;
    Ok(applied)
}

#[cfg(test)]
mod tests;
