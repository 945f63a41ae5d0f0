//! Emptying the response cache when the store's catalog is replaced.

use std::sync::Arc;
use std::time::Duration;

use catalog_core::CatalogStore;
use tokio::time::MissedTickBehavior;

use crate::cache::ResponseCache;

/// Asks `store` every `period` which generation of the catalog it serves
/// ([`CatalogStore::generation`]) and empties `cache` whenever that changes,
/// so a re-import shows within about `period` (plus the replicas' replay
/// delay) instead of the cache's time to live. Spawn it beside the service;
/// it runs until dropped, and returns at once for a store without
/// generations. A failed ask is logged and tried again a period later.
pub async fn follow_generations(store: Arc<dyn CatalogStore>, cache: ResponseCache, period: Duration) {
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut known = None;
    loop {
        ticks.tick().await;
        match store.generation().await {
            Ok(None) => return,
            Ok(Some(current)) => {
                if let Some(previous) = known.replace(current)
                    && previous != current
                {
                    cache.invalidate_all();
                    tracing::info!(previous, current, "the catalog was replaced; response cache emptied");
                }
            }
            Err(err) => tracing::warn!(%err, "cannot ask the store which catalog generation it serves"),
        }
    }
}
