//! [`PgStore`]: the four queries over a pool of diesel-async connections.

use std::sync::Arc;

use async_trait::async_trait;
use catalog_core::{
    CatalogStore, Feature, Page, PoolStatus, Product, ProductDetail, ProductId, ProductStyles, StoreError,
};
use diesel::prelude::*;
use diesel_async::AsyncPgConnection;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use futures_util::future::try_join;

use crate::config::PgConfig;
use crate::error::PgError;
use crate::pool::Pools;
use crate::schema::catalog::built;
use crate::schema_check::refused_for_now;
use crate::statements::{self, ProductRow};

#[cfg(feature = "bench-styles-forms")]
pub(crate) mod bench_forms;
mod styles;

/// The catalog in PostgreSQL (schema `catalog`, see the migrations).
///
/// Queries use diesel's DSL so their prepared statements are cached per
/// connection; the several queries of one request are pipelined on one
/// connection (one round trip). Reads go to the replicas of
/// [`PgConfig::replica_urls`] in turn, falling back to the primary. The pools
/// skip the per-checkout test query and drop connections found closed, so
/// the store recovers by itself when a server comes back.
#[derive(Clone)]
pub struct PgStore {
    pub(crate) pools: Arc<Pools>,
    /// The primary's URL, for the change log's listener.
    pub(crate) primary_url: String,
    /// This store's id among the stores on the database: its writes'
    /// notifications carry it, so its own listener skips them.
    pub(crate) instance: Arc<str>,
}

/// An id unique among the stores on one database: the process id and the
/// time it connected, in nanoseconds.
fn instance_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

impl From<ProductRow> for Product {
    fn from(row: ProductRow) -> Product {
        let ProductRow {
            id,
            name,
            slogan,
            description,
            category,
            default_price,
        } = row;
        Product {
            id,
            name,
            slogan,
            description,
            category,
            default_price: default_price.0,
        }
    }
}

impl PgStore {
    /// Opens the pools of `config` and checks that the catalog schema, as the
    /// latest migration made it, exists where reads go. No server, a wrong
    /// URL or password, or no schema fail at once. A server that is up but
    /// takes no connection for now (every slot taken, starting up, shutting
    /// down) does not: the store answers [`StoreError::Unavailable`] (a 503,
    /// and `/readyz` not ready) until the server accepts a connection and the
    /// check passes, as a store whose server went away does.
    pub async fn connect(config: &PgConfig) -> Result<PgStore, PgError> {
        let store = PgStore {
            pools: Arc::new(Pools::new(config)?),
            primary_url: config.database_url.clone(),
            instance: instance_id().into(),
        };
        match store.pools.check_schema().await {
            Ok(true) => Ok(store),
            Ok(false) => Err(PgError::NotMigrated),
            Err(err) if refused_for_now(&err) => {
                tracing::warn!(
                    err = %StoreError::from(err),
                    "PostgreSQL takes no connection for now: answering 503 until it does"
                );
                Ok(store)
            }
            Err(err) => Err(PgError::connect(StoreError::from(err))),
        }
    }
}

#[async_trait]
impl CatalogStore for PgStore {
    async fn products(&self, page: Page) -> Result<Vec<Product>, StoreError> {
        let Ok(start) = i32::try_from(page.offset()) else {
            return Ok(Vec::new());
        };
        let end = start.saturating_add(page.count());
        let rows = self
            .pools
            .read(move |conn| async move { statements::page(start, end).load::<ProductRow>(&mut &*conn).await }.boxed())
            .await?;
        Ok(rows.into_iter().map(Product::from).collect())
    }

    async fn product(&self, id: ProductId) -> Result<ProductDetail, StoreError> {
        let (product, features) = self
            .pools
            .read(move |conn| {
                async move {
                    let product = statements::product(id.get()).get_result::<ProductRow>(&mut &*conn);
                    let features = statements::product_features(id.get()).load::<(String, Option<String>)>(&mut &*conn);
                    try_join(product.map(Result::optional), features).await
                }
                .boxed()
            })
            .await?;
        let product = product.ok_or(StoreError::ProductNotFound(id.get()))?;
        let features = features
            .into_iter()
            .map(|(feature, value)| Feature { feature, value })
            .collect();
        Ok(ProductDetail::new(product.into(), features))
    }

    async fn styles(&self, id: ProductId) -> Result<ProductStyles, StoreError> {
        Ok(ProductStyles {
            product_id: id,
            results: self.styles_read_model(id).await?,
        })
    }

    /// One primary-key lookup in the read model, whose stored `results` are
    /// sent as they are, without parsing.
    async fn styles_body(&self, id: ProductId) -> Result<Vec<u8>, StoreError> {
        let results = self.styles_results(id).await?;
        Ok(styles_body_of(id.get(), &results))
    }

    async fn related(&self, id: ProductId) -> Result<Vec<i32>, StoreError> {
        let (exists, mut targets) = self
            .pools
            .read(move |conn| {
                async move {
                    let exists = product_exists(conn, id);
                    let targets = statements::related_ids(id.get()).load::<i32>(&mut &*conn);
                    try_join(exists, targets).await
                }
                .boxed()
            })
            .await?;
        exists.ok_or(StoreError::ProductNotFound(id.get()))?;
        let mut seen = std::collections::HashSet::with_capacity(targets.len());
        targets.retain(|target| seen.insert(*target));
        Ok(targets)
    }

    /// A connection where reads go (a replica, or the primary) answers a
    /// trivial statement; a pool busy with requests counts as ready.
    async fn ready(&self) -> Result<(), StoreError> {
        self.pools
            .ready(move |conn| {
                async move {
                    diesel::select(1.into_sql::<diesel::sql_types::Integer>())
                        .get_result::<i32>(&mut &*conn)
                        .await
                        .map(drop)
                }
                .boxed()
            })
            .await
    }

    /// The oldest generation among the primary and the replicas that reads
    /// go to: right after an import it changes only once every replica has
    /// replayed it, so a cache emptied then holds no answer read from a
    /// replica that still served the previous catalog.
    async fn generation(&self) -> Result<Option<i64>, StoreError> {
        let generations = self
            .pools
            .read_everywhere(move |conn| built::table.select(built::generation).first::<i64>(&mut &*conn).boxed())
            .await?;
        Ok(generations.into_iter().min())
    }

    /// The primary's pool, then each replica's.
    fn pool_status(&self) -> Vec<PoolStatus> {
        self.pools.status()
    }
}

/// The styles answer of product `id` whose stored `results` are `results`
/// (the bytes `GET /products/:id/styles` sends, whose tag a style write checks).
pub(crate) fn styles_body_of(id: i32, results: &str) -> Vec<u8> {
    let mut body = Vec::with_capacity(results.len() + 40);
    body.extend_from_slice(b"{\"product_id\":\"");
    body.extend_from_slice(itoa::Buffer::new().format(id).as_bytes());
    body.extend_from_slice(b"\",\"results\":");
    body.extend_from_slice(results.as_bytes());
    body.push(b'}');
    body
}

/// The statement that tells whether product `id` exists (`Some(id)` if it
/// does), to pipeline beside the statements of a route whose empty answer
/// must be told apart from a missing product.
fn product_exists(
    conn: &AsyncPgConnection,
    id: ProductId,
) -> impl Future<Output = QueryResult<Option<i32>>> + Send + '_ {
    statements::product_exists(id.get())
        .get_result::<i32>(&mut &*conn)
        .map(Result::optional)
}
