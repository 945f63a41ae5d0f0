//! The PostgreSQL [`CatalogStore`](catalog_core::CatalogStore), its schema
//! migrations, and the bulk import.
//!
//! - [`migrate()`] applies the embedded migrations, and builds an empty
//!   catalog (schema `catalog`) where there is none.
//! - [`import()`] loads a source directory with binary `COPY` into a new
//!   schema, built by the SQL files of `catalog-pg/catalog/` (the whole
//!   definition of the catalog), and swaps it in atomically.
//! - [`PgStore`] answers the four queries over diesel-async pools: the
//!   primary's, and one per read replica when [`PgConfig::replica_urls`]
//!   names some (reads go to them in turn, the primary stands in). The styles
//!   answer is stored pre-rendered:
//!   [`styles_body`](catalog_core::CatalogStore::styles_body) sends its bytes.
//! - [`PgStore`] is also a [`CatalogWriter`](catalog_core::CatalogWriter):
//!   every write is one transaction on the primary with `synchronous_commit`
//!   on, its change-log entries and idempotency record in schema
//!   `catalog_meta`, which imports never swap.

mod config;
mod connect;
mod ddl;
mod error;
mod health;
mod import;
mod listen;
mod migrate;
mod money;
mod pool;
mod prepared;
mod routing;
mod schema;
mod schema_check;
mod statements;
mod store;
mod styles_document;
#[cfg(feature = "testing")]
pub mod testing;
mod write;

pub use config::PgConfig;
pub use connect::WAITERS_PER_CONNECTION;
pub use ddl::{IMPORT_LOCK_KEY, WRITE_GATE_KEY};
pub use error::PgError;
pub use import::{PgImport, import, import_with_observer};
pub use migrate::migrate;
pub use statements::statements;
pub use store::PgStore;
#[cfg(feature = "bench-styles-forms")]
pub use store::bench_forms::create_style_details_view;
