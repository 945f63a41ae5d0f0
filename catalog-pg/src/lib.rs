//! The PostgreSQL [`CatalogStore`](catalog_core::CatalogStore), its schema
//! migrations, and the bulk import.
//!
//! - [`migrate()`] applies the embedded migrations (schema `catalog`).
//! - [`import()`] loads a source directory with binary `COPY` into a new
//!   schema and swaps it in atomically.
//! - [`PgStore`] answers the four queries over diesel-async pools: the
//!   primary's, and one per read replica when [`PgConfig::replica_urls`]
//!   names some (reads go to them in turn, the primary stands in).

mod config;
mod connect;
mod error;
mod health;
mod import;
mod migrate;
mod money;
mod pool;
mod routing;
mod schema;
mod statements;
mod store;
mod styles_document;
#[cfg(feature = "testing")]
pub mod testing;

pub use config::PgConfig;
pub use error::PgError;
pub use import::{IMPORT_LOCK_KEY, PgImport, import, import_with_observer};
pub use migrate::migrate;
pub use statements::statements;
pub use store::PgStore;
#[cfg(feature = "bench-styles-forms")]
pub use store::bench_forms::create_style_details_view;
