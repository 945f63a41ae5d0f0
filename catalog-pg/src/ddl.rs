//! The catalog's DDL: the SQL files of `catalog-pg/catalog/`, embedded, are
//! the whole definition of the catalog every import builds (migrations keep
//! only what lives outside the swapped schema). The files use unqualified
//! names and run with `search_path` set to the schema they build.

use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use crate::error::PgError;

/// The key of the transaction-level advisory lock an import holds from start
/// to swap: a second import on the same database fails at once with
/// [`PgError::ImportRunning`] instead of waiting for the first, and the
/// migrations that change catalogs wait for it. (The migrations spell it in
/// decimal: 7161132844275689249.)
pub const IMPORT_LOCK_KEY: i64 = 0x6361_7461_6c6f_6721; // "catalog!"

/// The key of the write gate: an import holds it exclusively (transaction
/// level) from its start to its swap's commit, and every write transaction
/// first tries to take it in shared mode without waiting, so a write that
/// arrives while an import runs fails at once (503 with `Retry-After`) and is
/// never applied to a catalog the swap is about to replace. Distinct from
/// [`IMPORT_LOCK_KEY`], so a running write never makes an import think another
/// import runs.
pub const WRITE_GATE_KEY: i64 = 0x6361_7461_6c6f_6757; // "catalogW"

/// The key of the change log's barrier: a writer holds it in shared mode
/// from just before it draws its entries' `seq` to its commit; a reader of the
/// change log takes it exclusively before its snapshot, so every `seq` drawn
/// before the read has committed by then (see `write::log`).
pub(crate) const CHANGES_BARRIER_KEY: i64 = 0x6361_7461_6c6f_6753; // "catalogS"

/// The channel every transaction that appends to the change log notifies
/// (at its commit), so followers of the log read it at once instead of at
/// their next poll (see [`PgStore::follow_notifications`](crate::PgStore::follow_notifications)).
pub(crate) const CHANGES_CHANNEL: &str = "catalog_changes";

/// The schema an import builds before it becomes `catalog`.
pub(crate) const NEXT_SCHEMA: &str = "catalog_next";

/// The bare tables, for `COPY`.
const TABLES: &str = include_str!("../catalog/01_tables.sql");
/// The styles read model's bare table and the functions the writes use.
const READ_MODEL: &str = include_str!("../catalog/02_read_model.sql");
/// Primary keys and indexes of the tables.
const KEYS: &str = include_str!("../catalog/03_keys.sql");
/// The read model's primary key.
const READ_MODEL_KEY: &str = include_str!("../catalog/03_keys_read_model.sql");
/// Foreign keys, not validated.
const FOREIGN_KEYS: &str = include_str!("../catalog/04_foreign_keys.sql");
/// The generation stamp.
const GENERATION: &str = include_str!("../catalog/05_generation.sql");

/// Has PostgreSQL check every foreign key of the current schema that was
/// added without a check.
const VALIDATE_FOREIGN_KEYS: &str = "DO $$ DECLARE c record; BEGIN
  FOR c IN SELECT conrelid::regclass AS tab, conname FROM pg_constraint
           WHERE NOT convalidated AND connamespace = current_schema()::regnamespace LOOP
    EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', c.tab, c.conname);
  END LOOP;
END $$";

/// Rebuilds the bare read model of a catalog that has its other tables and
/// keys, one `product_styles_render` call per product: for `migrate`, only on
/// a catalog made before the read model took its form, and slow at scale
/// (minutes at 1M products, with the import lock and the write gate held,
/// so writes wait for it; a re-import is the faster way).
/// (Its key and foreign key follow: [`READ_MODEL_KEY`], [`READ_MODEL_FOREIGN_KEY`].)
const REBUILD_READ_MODEL: &str = "INSERT INTO product_styles \
     SELECT id, product_styles_render(id) FROM products ORDER BY id";

/// The read model's foreign key, checked (for [`REBUILD_READ_MODEL`]).
const READ_MODEL_FOREIGN_KEY: &str = "ALTER TABLE product_styles ADD FOREIGN KEY (product_id) REFERENCES products (id)";

/// In the transaction open on `conn`: a new, empty [`NEXT_SCHEMA`] (dropping
/// one left by an import that stopped) with the bare tables (the read
/// model's too), and `search_path` set to it until the transaction ends.
pub(crate) fn create_tables(conn: &mut PgConnection) -> QueryResult<()> {
    conn.batch_execute(&format!(
        "SET LOCAL search_path = {NEXT_SCHEMA}, public; \
         DROP SCHEMA IF EXISTS {NEXT_SCHEMA} CASCADE; CREATE SCHEMA {NEXT_SCHEMA};"
    ))?;
    conn.batch_execute(TABLES)?;
    conn.batch_execute(READ_MODEL)
}

/// After the load, in the same transaction as [`create_tables`]: the
/// primary keys and indexes, the read model's too.
pub(crate) fn build_keys(conn: &mut PgConnection) -> QueryResult<()> {
    build_table_keys(conn)?;
    build_read_model_key(conn)
}

/// After the tables' load, in the same transaction as [`create_tables`]:
/// their primary keys and indexes.
pub(crate) fn build_table_keys(conn: &mut PgConnection) -> QueryResult<()> {
    conn.batch_execute(KEYS)
}

/// After the read model's load, in the same transaction as
/// [`create_tables`]: its primary key.
pub(crate) fn build_read_model_key(conn: &mut PgConnection) -> QueryResult<()> {
    conn.batch_execute(READ_MODEL_KEY)
}

/// After [`build_keys`]: the foreign keys, which PostgreSQL enforces from
/// now on without checking the loaded rows (the reader did).
pub(crate) fn add_foreign_keys(conn: &mut PgConnection) -> QueryResult<()> {
    conn.batch_execute(FOREIGN_KEYS)
}

/// Last: the generation stamp of the finished catalog.
pub(crate) fn stamp_generation(conn: &mut PgConnection) -> QueryResult<()> {
    conn.batch_execute(GENERATION)
}

/// Brings the catalog that serves up to the files, after the migrations ran:
/// builds an empty one where there is none (a new database), and rebuilds in
/// place a read model of an earlier form. Only when there is something to
/// do does it take the import lock (waiting for a running import), so an
/// import that finds another running is still refused at once.
pub(crate) fn upgrade(conn: &mut PgConnection) -> Result<(), PgError> {
    if outdated(conn)?.is_none() {
        return Ok(());
    }
    conn.transaction(|conn| {
        conn.batch_execute(&format!(
            "SELECT pg_advisory_xact_lock({IMPORT_LOCK_KEY}); SELECT pg_advisory_xact_lock({WRITE_GATE_KEY})"
        ))?;
        match outdated(conn)? {
            Some(Outdated::Missing) => {
                create_tables(conn)?;
                build_keys(conn)?;
                add_foreign_keys(conn)?;
                conn.batch_execute(VALIDATE_FOREIGN_KEYS)?; // on empty tables: at once
                stamp_generation(conn)?;
                conn.batch_execute(&format!("ALTER SCHEMA {NEXT_SCHEMA} RENAME TO catalog"))?;
            }
            Some(Outdated::ReadModel) => {
                conn.batch_execute(
                    "SET LOCAL search_path = catalog, public; DROP TABLE IF EXISTS product_styles; \
                     CREATE INDEX IF NOT EXISTS related_target ON related (related_product_id)",
                )?;
                conn.batch_execute(READ_MODEL)?;
                conn.batch_execute(REBUILD_READ_MODEL)?;
                build_read_model_key(conn)?;
                conn.batch_execute(READ_MODEL_FOREIGN_KEY)?;
            }
            None => {}
        }
        Ok(())
    })
}

/// How the catalog that serves differs from the files.
enum Outdated {
    /// There is none.
    Missing,
    /// Its read model has an earlier form, or it lacks what the writes
    /// need (the read model's functions, the index of related targets).
    ReadModel,
}

fn outdated(conn: &mut PgConnection) -> QueryResult<Option<Outdated>> {
    if !holds(conn, "SELECT FROM pg_namespace WHERE nspname = 'catalog'")? {
        return Ok(Some(Outdated::Missing));
    }
    let current = holds(
        conn,
        "SELECT FROM information_schema.columns \
         WHERE table_schema = 'catalog' AND table_name = 'product_styles' AND column_name = 'results'",
    )? && holds(
        conn,
        "SELECT FROM pg_proc WHERE proname = 'product_styles_render' AND pronamespace = 'catalog'::regnamespace",
    )? && holds(
        conn,
        "SELECT FROM pg_indexes WHERE schemaname = 'catalog' AND indexname = 'related_target'",
    )?;
    Ok((!current).then_some(Outdated::ReadModel))
}

/// Whether `query` gives a row.
fn holds(conn: &mut PgConnection, query: &str) -> QueryResult<bool> {
    diesel::select(sql::<Bool>(&format!("EXISTS ({query})"))).get_result(conn)
}
