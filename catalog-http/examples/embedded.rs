//! A small service of its own that embeds the catalog: its `/hello` route
//! beside the four catalog routes mounted under `/catalog`, all over a memory
//! store built from a generated catalog.
//!
//! Run: `cargo run -p catalog-http --example embedded`, then
//! `curl localhost:3030/catalog/products/1/styles` and `curl localhost:3030/hello`.

use std::sync::Arc;

use catalog_core::CatalogStore;
use catalog_mem::MemStore;
use catalog_source::{GenerateConfig, RejectRecord, generate};
use warp::Filter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    generate(
        &GenerateConfig {
            products: 1_000,
            seed: 1,
            dirty_rate: 0.0,
        },
        dir.path(),
    )?;
    let mut rejects: Vec<RejectRecord> = Vec::new();
    let (store, report) = MemStore::load(dir.path(), &mut rejects)?;
    println!("{report}");
    let store: Arc<dyn CatalogStore> = Arc::new(store);

    let hello = warp::path!("hello").map(|| "hello from the host service");
    let app = warp::path("catalog").and(catalog_http::routes(store)).or(hello);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3030").await?;
    println!("listening on http://{}", listener.local_addr()?);
    warp::serve(app)
        .incoming(listener)
        .graceful(async { tokio::signal::ctrl_c().await.unwrap_or(()) })
        .run()
        .await;
    Ok(())
}
