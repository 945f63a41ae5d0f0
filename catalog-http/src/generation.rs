//! Emptying the response cache when the store's catalog is replaced.

use std::sync::Arc;
use std::time::Duration;

use catalog_core::CatalogStore;
use tokio::time::MissedTickBehavior;

use crate::cache::ResponseCache;

/// Asks `store` every `period` (at least a millisecond) which generation of
/// the catalog it serves ([`CatalogStore::generation`]) and empties `cache`
/// whenever that changes, so a re-import shows within about `period` (plus
/// the replicas' replay delay) instead of the cache's time to live. Spawn it
/// beside the service; it runs until dropped, and returns at once for a store
/// without generations. While the store cannot tell, the cache is left as it
/// is (its time to live still bounds it), and emptied once the store answers
/// again if the generation cannot be known to be the same.
pub async fn follow_generations(store: Arc<dyn CatalogStore>, cache: ResponseCache, period: Duration) {
    let mut ticks = tokio::time::interval(period.max(Duration::from_millis(1)));
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut known = None;
    let mut failing = false;
    loop {
        ticks.tick().await;
        match store.generation().await {
            Ok(None) => return,
            Ok(Some(current)) => {
                // The first answer is the baseline, unless asking failed
                // before it: then answers may have been cached across a change.
                let previous = known.replace(current);
                let changed = previous.map_or(failing, |previous| previous != current);
                if changed {
                    cache.invalidate_all();
                    tracing::info!(
                        ?previous,
                        current,
                        "the catalog may have been replaced; response cache emptied"
                    );
                }
                if failing {
                    failing = false;
                    tracing::info!(current, "the store tells its catalog generation again");
                }
            }
            Err(err) => {
                if !failing {
                    failing = true;
                    tracing::warn!(%err, "cannot ask the store which catalog generation it serves; asking on");
                }
            }
        }
    }
}
