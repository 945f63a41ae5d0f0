//! A bounded in-process cache of serialized answers, in front of any store,
//! with their tags and compressed forms.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use catalog_core::StoreError;
use moka::future::Cache;
use warp::hyper::body::Bytes;

use crate::answer::Answer;
use crate::compression::MIN_COMPRESSED_LEN;

/// What a cached answer answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheKey {
    /// A page of the product list.
    List {
        /// Page number.
        page: i32,
        /// Page size.
        count: i32,
    },
    /// One product with features.
    Product(i32),
    /// A product's styles.
    Styles(i32),
    /// A product's related ids.
    Related(i32),
}

/// Size and lifetime of a [`ResponseCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// Most bytes of cached bodies, counting a body that can be compressed
    /// half as much again for its brotli and gzip forms (together about 40%
    /// of it; made when first asked for); keys and bookkeeping not counted.
    pub max_bytes: u64,
    /// How long an answer may be served from the cache.
    pub time_to_live: Duration,
}

impl Default for CacheConfig {
    /// 64 MiB for 60 seconds.
    fn default() -> CacheConfig {
        CacheConfig {
            max_bytes: 64 << 20,
            time_to_live: Duration::from_secs(60),
        }
    }
}

/// Hits and misses since the cache was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Answers served from the cache.
    pub hits: u64,
    /// Answers that had to ask the store.
    pub misses: u64,
    /// Times the whole cache was emptied ([`ResponseCache::invalidate_all`]).
    pub flushes: u64,
}

/// Serialized 200 answers keyed by what they answer, each with its entity
/// tags and, once asked for, its compressed forms; a cheap-to-clone handle.
///
/// Concurrent misses on one key run the store query once and share its
/// answer; errors are never cached. [`invalidate_product`](Self::invalidate_product)
/// and [`invalidate_all`](Self::invalidate_all) are the hooks for write paths.
#[derive(Clone)]
pub struct ResponseCache {
    entries: Cache<CacheKey, Entry>,
    counters: Arc<Counters>,
}

/// A cached answer, with how many times the cache had been emptied when its
/// load began.
#[derive(Clone)]
struct Entry {
    loaded_after: u64,
    answer: Arc<Answer>,
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    flushes: AtomicU64,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("entries", &self.entries.entry_count())
            .finish()
    }
}

impl ResponseCache {
    /// An empty cache bounded by `config`.
    pub fn new(config: CacheConfig) -> ResponseCache {
        let entries = Cache::builder()
            .max_capacity(config.max_bytes)
            .weigher(|_: &CacheKey, entry: &Entry| weight(entry.answer.body().len()))
            .time_to_live(config.time_to_live)
            .support_invalidation_closures()
            .build();
        ResponseCache {
            entries,
            counters: Arc::default(),
        }
    }

    /// The cached answer for `key`, or the one made from the body `load`
    /// produces (run once for all concurrent callers of the same key; an
    /// error is returned, not cached).
    pub(crate) async fn get_or_load<F>(&self, key: CacheKey, load: F) -> Result<Arc<Answer>, Arc<StoreError>>
    where
        F: Future<Output = Result<Bytes, StoreError>>,
    {
        let flushes = self.counters.flushes.load(Ordering::Acquire);
        let loaded = AtomicBool::new(false);
        let result = self
            .entries
            .try_get_with(key, async {
                loaded.store(true, Ordering::Relaxed);
                load.await.map(|body| Entry {
                    loaded_after: flushes,
                    answer: Arc::new(Answer::new(body)),
                })
            })
            .await;
        let counter = if loaded.load(Ordering::Relaxed) {
            &self.counters.misses
        } else {
            &self.counters.hits
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let entry = result?;
        // Read before the cache was last emptied, and kept because it was
        // inserted after (`invalidate_all` spares those): it may come from
        // the old catalog. It answers the requests that were waiting for it,
        // and no later one.
        if entry.loaded_after != self.counters.flushes.load(Ordering::Acquire) {
            self.entries.invalidate(&key).await;
        }
        Ok(entry.answer)
    }

    /// Drops the answers about product `id` and every cached page of the list
    /// (use [`invalidate_all`](Self::invalidate_all) when a product is removed,
    /// since other products' related lists may name it).
    pub async fn invalidate_product(&self, id: i32) {
        for key in [CacheKey::Product(id), CacheKey::Styles(id), CacheKey::Related(id)] {
            self.entries.invalidate(&key).await;
        }
        // Registered predicates hide matching entries from then on; they are
        // removed in the background.
        let pages = self
            .entries
            .invalidate_entries_if(|key, _| matches!(key, CacheKey::List { .. }));
        if let Err(err) = pages {
            tracing::warn!(%err, "cannot invalidate cached pages; dropping the whole cache");
            self.invalidate_all();
        }
    }

    /// Drops everything (for example after a new import; see
    /// [`follow_generations`](crate::follow_generations)).
    pub fn invalidate_all(&self) {
        // Counted first: an answer whose load began before this and that is
        // inserted after it is dropped when next found (see `get_or_load`).
        self.counters.flushes.fetch_add(1, Ordering::Release);
        self.entries.invalidate_all();
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.counters.hits.load(Ordering::Relaxed),
            misses: self.counters.misses.load(Ordering::Relaxed),
            flushes: self.counters.flushes.load(Ordering::Relaxed),
        }
    }

    /// Bytes of cached bodies, after pending evictions are applied.
    pub async fn weighted_size(&self) -> u64 {
        self.entries.run_pending_tasks().await;
        self.entries.weighted_size()
    }
}

/// The cache weight of an answer whose body is `len` bytes (see
/// [`CacheConfig::max_bytes`]).
fn weight(len: usize) -> u32 {
    let weight = if len >= MIN_COMPRESSED_LEN {
        len.saturating_add(len / 2)
    } else {
        len
    };
    u32::try_from(weight).unwrap_or(u32::MAX)
}
