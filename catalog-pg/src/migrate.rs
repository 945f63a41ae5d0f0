//! The schema migrations, embedded in the binary.

use diesel::Connection;
use diesel::pg::PgConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::PgError;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Applies the pending migrations to the database at `database_url`;
/// returns the names of those applied.
pub fn migrate(database_url: &str) -> Result<Vec<String>, PgError> {
    let mut conn = PgConnection::establish(database_url).map_err(PgError::connect)?;
    run_pending(&mut conn)
}

pub(crate) fn run_pending(conn: &mut PgConnection) -> Result<Vec<String>, PgError> {
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|source| PgError::Migrate { source })?;
    Ok(applied.iter().map(ToString::to_string).collect())
}
