//! A bounded in-process cache of serialized answers, in front of any store,
//! with their tags and compressed forms.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use catalog_core::StoreError;
use quick_cache::sync::Cache;
use quick_cache::{OptionsBuilder, Weighter};
use warp::hyper::body::Bytes;

use crate::answer::Answer;
use crate::compression::MIN_COMPRESSED_LEN;

mod epochs;
use epochs::{Epoch, Epochs};

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
    /// The bound is split into shards of at least 4 MiB (one shard of all of
    /// it when smaller); an answer heavier than 97% of a shard is served but
    /// not kept.
    pub max_bytes: u64,
    /// How long an answer may be served from the cache, counted from when
    /// its load ended; the requests that were waiting for that load get it
    /// whatever this is (zero: answers are only shared by concurrent misses).
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
///
/// A request that waited for another's load counts as a hit when it is
/// answered and as nothing when that load failed; a request that found an
/// answer older than itself and asked again counts once, for how it was
/// answered in the end. A load whose request went away before it ended
/// counts as a miss, and so does the load of the waiting request that takes
/// it over.
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
/// answer; errors are never cached. [`invalidate`](Self::invalidate) (what a
/// change touched) and [`invalidate_all`](Self::invalidate_all) are the hooks
/// for write paths and re-imports.
///
/// Every key has an epoch that each invalidation touching it raises, and
/// every cached answer remembers the epoch its load began in. An answer
/// whose epoch is no longer its key's is never served to a request that
/// began after the invalidation, and never kept: a load that straddles an
/// invalidation answers only the requests that were already waiting for it.
#[derive(Clone)]
pub struct ResponseCache {
    entries: Arc<Cache<CacheKey, Entry, BodyWeight>>,
    time_to_live: Duration,
    epochs: Arc<Epochs>,
    counters: Arc<Counters>,
}

/// What an invalidation touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalidation {
    /// One cached answer.
    Key(CacheKey),
    /// Every cached page of the product list.
    ListPages,
    /// Everything (a new catalog).
    All,
}

/// What one load gave, with the epoch of its key when it began and the time
/// when it ended. An error is handed to the callers waiting for its load,
/// then removed (a request that comes in between may find it, and counts as
/// one of those callers).
#[derive(Clone)]
struct Entry {
    epoch: Epoch,
    made_at: Instant,
    outcome: Result<Arc<Answer>, Arc<StoreError>>,
}

impl Entry {
    /// Whether `other` is this very load's entry (not a later one of its key).
    fn is(&self, other: &Entry) -> bool {
        match (&self.outcome, &other.outcome) {
            (Ok(mine), Ok(theirs)) => Arc::ptr_eq(mine, theirs),
            (Err(mine), Err(theirs)) => Arc::ptr_eq(mine, theirs),
            _ => false,
        }
    }
}

/// Weighs an entry by its body (see [`CacheConfig::max_bytes`]).
#[derive(Clone)]
struct BodyWeight;

impl Weighter<CacheKey, Entry> for BodyWeight {
    fn weight(&self, _: &CacheKey, entry: &Entry) -> u64 {
        // Never zero: quick_cache never evicts an entry that weighs nothing.
        entry
            .outcome
            .as_ref()
            .map_or(1, |answer| weight(answer.body().len()).max(1))
    }
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
            .field("entries", &self.entries.len())
            .finish()
    }
}

/// How many times a request finds an answer older than itself and asks
/// again before it loads without the cache (each time means another
/// invalidation of its key landed meanwhile).
const MAX_STALE_FINDS: usize = 3;

impl ResponseCache {
    /// An empty cache bounded by `config`.
    pub fn new(config: CacheConfig) -> ResponseCache {
        let estimated_items = usize::try_from(config.max_bytes / TYPICAL_WEIGHT).map_or(usize::MAX, |n| n.max(1));
        let options = OptionsBuilder::new()
            .shards(shard_count(config.max_bytes))
            .estimated_items_capacity(estimated_items)
            .weight_capacity(config.max_bytes)
            .build()
            .expect("both capacities are set");
        ResponseCache {
            entries: Arc::new(Cache::with_options(
                options,
                BodyWeight,
                Default::default(),
                Default::default(),
            )),
            time_to_live: config.time_to_live,
            epochs: Arc::new(Epochs::new()),
            counters: Arc::default(),
        }
    }

    /// The cached answer for `key`, or the one made from the body a future
    /// of `load` produces (run once for all concurrent callers of the same
    /// key; an error is returned to them, not cached). Never an answer whose
    /// load began before an invalidation of `key` that came before this call.
    pub(crate) async fn get_or_load<L, F>(&self, key: CacheKey, load: L) -> Result<Arc<Answer>, Arc<StoreError>>
    where
        L: Fn() -> F,
        F: Future<Output = Result<Bytes, StoreError>>,
    {
        let asked_at = Instant::now();
        for _ in 0..MAX_STALE_FINDS {
            let began = self.epochs.of(&key);
            let entry = match self.entries.get_value_or_guard_async(&key).await {
                Ok(found) => found,
                Err(guard) => {
                    self.counters.misses.fetch_add(1, Ordering::Relaxed);
                    let outcome = load().await.map(|body| Arc::new(Answer::new(body))).map_err(Arc::new);
                    let entry = Entry {
                        epoch: began,
                        made_at: Instant::now(),
                        outcome,
                    };
                    // The callers waiting for this load get it even when it is not kept.
                    let _ = guard.insert(entry.clone());
                    if entry.outcome.is_err() || entry.epoch != self.epochs.of(&key) {
                        // An error, or an answer whose key was invalidated while it loaded.
                        self.remove(&key, &entry);
                    }
                    return entry.outcome;
                }
            };
            // Zero for a load this request waited for: it is never too old for it.
            let expired = asked_at.saturating_duration_since(entry.made_at) > self.time_to_live;
            if expired || entry.epoch != self.epochs.of(&key) {
                // Too old to keep: past its lifetime, or its key was invalidated after its load began.
                self.remove(&key, &entry);
            }
            if entry.epoch == began && !expired {
                // Loaded in this call's epoch: it answers this request (an
                // error only to the callers that were waiting for its load).
                if entry.outcome.is_ok() {
                    self.counters.hits.fetch_add(1, Ordering::Relaxed);
                }
                return entry.outcome;
            }
            // Older than this request (a stale find, counted neither way): ask again.
        }
        self.counters.misses.fetch_add(1, Ordering::Relaxed);
        Ok(Arc::new(Answer::new(load().await?)))
    }

    /// Removes `entry` from `key`, unless a later load's entry replaced it.
    fn remove(&self, key: &CacheKey, entry: &Entry) {
        self.entries.remove_if(key, |kept| kept.is(entry));
    }

    /// Drops what `invalidations` touch; from now on no answer loaded before
    /// this call is served or kept for those keys.
    pub async fn invalidate(&self, invalidations: impl IntoIterator<Item = Invalidation>) {
        for invalidation in invalidations {
            match invalidation {
                Invalidation::Key(key) => {
                    // Raised first: a load that ends after this is not kept.
                    self.epochs.raise(&key);
                    self.entries.remove(&key);
                }
                // Stale pages are dropped when next found (their epoch tells).
                Invalidation::ListPages => {
                    self.epochs.raise_pages();
                }
                Invalidation::All => self.invalidate_all(),
            }
        }
    }

    /// Drops the answers about product `id` (its detail, styles and related
    /// ids) and every cached page of the list. When a product is removed, use
    /// [`invalidate_all`](Self::invalidate_all) or name the products whose
    /// related lists named it, since those lists change too.
    pub async fn invalidate_product(&self, id: i32) {
        self.invalidate([
            Invalidation::Key(CacheKey::Product(id)),
            Invalidation::Key(CacheKey::Styles(id)),
            Invalidation::Key(CacheKey::Related(id)),
            Invalidation::ListPages,
        ])
        .await;
    }

    /// Drops everything (for example after a new import; see
    /// [`follow_generations`](crate::follow_generations)).
    pub fn invalidate_all(&self) {
        // Raised first: an answer whose load began before this and that is
        // inserted after it is dropped when next found.
        self.epochs.raise_all();
        self.counters.flushes.fetch_add(1, Ordering::Relaxed);
        self.entries.clear();
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.counters.hits.load(Ordering::Relaxed),
            misses: self.counters.misses.load(Ordering::Relaxed),
            flushes: self.counters.flushes.load(Ordering::Relaxed),
        }
    }

    /// The weight of the cached bodies (see [`CacheConfig::max_bytes`]).
    pub fn weighted_size(&self) -> u64 {
        self.entries.weight()
    }
}

/// The least weight limit of one shard of the cache (unless the whole cache
/// is lighter): quick_cache keeps an answer only when it weighs at most 97% of
/// its shard, and a page of 1000 sample products weighs about 400 KB.
const MIN_SHARD_BYTES: u64 = 4 << 20;

/// How many shards a cache of `max_bytes` has: quick_cache's default (four
/// per core), fewer when a shard would weigh less than [`MIN_SHARD_BYTES`];
/// a power of two, since quick_cache rounds the count up to one.
fn shard_count(max_bytes: u64) -> usize {
    let per_cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get) * 4;
    let by_weight = usize::try_from(max_bytes / MIN_SHARD_BYTES).unwrap_or(usize::MAX);
    let shards = per_cores.min(by_weight).max(1);
    1 << shards.ilog2()
}

/// The weight of a typical answer (a styles answer of about 2 KB), from which
/// the cache estimates how many entries it holds.
const TYPICAL_WEIGHT: u64 = 3 << 10;

/// The cache weight of an answer whose body is `len` bytes (see
/// [`CacheConfig::max_bytes`]).
fn weight(len: usize) -> u64 {
    let weight = if len >= MIN_COMPRESSED_LEN {
        len.saturating_add(len / 2)
    } else {
        len
    };
    u64::try_from(weight).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::oneshot;

    fn body(text: &'static str) -> Result<Bytes, StoreError> {
        Ok(Bytes::from_static(text.as_bytes()))
    }

    /// Starts a load of `key` that answers `old` once released, and waits until it runs.
    async fn slow_load(
        cache: &ResponseCache,
        key: CacheKey,
    ) -> (
        oneshot::Sender<()>,
        tokio::task::JoinHandle<Result<Arc<Answer>, Arc<StoreError>>>,
    ) {
        let (release, released) = oneshot::channel::<()>();
        let (started, running) = oneshot::channel::<()>();
        let loading = {
            let cache = cache.clone();
            tokio::spawn(async move {
                let once = std::sync::Mutex::new(Some((started, released)));
                cache
                    .get_or_load(key, || {
                        let signals = once.lock().unwrap().take();
                        async move {
                            if let Some((started, released)) = signals {
                                let _ = started.send(());
                                let _ = released.await;
                            }
                            body("old")
                        }
                    })
                    .await
            })
        };
        running.await.expect("the load runs");
        (release, loading)
    }

    async fn get(cache: &ResponseCache, key: CacheKey, text: &'static str) -> Bytes {
        cache
            .get_or_load(key, || async { body(text) })
            .await
            .unwrap()
            .body()
            .clone()
    }

    #[tokio::test]
    async fn a_load_that_straddles_an_invalidation_answers_its_request_but_is_not_kept() {
        for key in [CacheKey::Styles(1), CacheKey::List { page: 1, count: 5 }] {
            let cache = ResponseCache::new(CacheConfig::default());
            let (release, loading) = slow_load(&cache, key).await;
            cache.invalidate_product(1).await;
            release.send(()).unwrap();
            assert_eq!(loading.await.unwrap().unwrap().body(), "old", "{key:?}: it began first");
            assert_eq!(get(&cache, key, "new").await, "new", "{key:?}: the old answer was kept");
            assert_eq!(
                get(&cache, key, "newer").await,
                "new",
                "{key:?}: the new answer is kept"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_after_an_invalidation_never_joins_a_load_that_began_before_it() {
        // A key's invalidation removes the load in flight; the pages' leaves
        // it, so the later request waits for it and must refuse its answer.
        let page = CacheKey::List { page: 2, count: 5 };
        for (key, invalidation) in [
            (CacheKey::Product(7), Invalidation::Key(CacheKey::Product(7))),
            (page, Invalidation::ListPages),
        ] {
            let cache = ResponseCache::new(CacheConfig::default());
            let (release, loading) = slow_load(&cache, key).await;
            cache.invalidate([invalidation]).await;
            let later = {
                let cache = cache.clone();
                tokio::spawn(async move { get(&cache, key, "new").await })
            };
            tokio::time::sleep(Duration::from_millis(50)).await;
            release.send(()).unwrap();
            assert_eq!(loading.await.unwrap().unwrap().body(), "old", "{key:?}");
            assert_eq!(later.await.unwrap(), "new", "{key:?}");
            assert_eq!(
                get(&cache, key, "newer").await,
                "new",
                "{key:?}: the new answer is kept"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_waiting_request_takes_over_a_load_whose_request_went_away() {
        let cache = ResponseCache::new(CacheConfig::default());
        let key = CacheKey::Styles(3);
        let (_release, loading) = slow_load(&cache, key).await;
        let waiting = {
            let cache = cache.clone();
            tokio::spawn(async move { get(&cache, key, "new").await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        loading.abort();
        let answer = tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("the waiting request is not left waiting")
            .unwrap();
        assert_eq!(answer, "new");
        assert_eq!(get(&cache, key, "newer").await, "new", "its answer is kept");
    }

    #[tokio::test]
    async fn a_heavy_answer_is_kept_whatever_the_number_of_cores() {
        // 8 MiB would be 8 shards of 1 MiB or less by quick_cache's default.
        let cache = ResponseCache::new(CacheConfig {
            max_bytes: 8 << 20,
            ..CacheConfig::default()
        });
        let heavy = Bytes::from(vec![b'x'; 2 << 20]);
        let first = cache
            .get_or_load(CacheKey::Related(1), || async { Ok(heavy.clone()) })
            .await;
        assert_eq!(first.unwrap().body().len(), 2 << 20);
        let second = cache
            .get_or_load(CacheKey::Related(1), || async { body("asked again") })
            .await;
        assert_eq!(second.unwrap().body().len(), 2 << 20, "the heavy answer was not kept");
    }

    #[test]
    fn shards_weigh_at_least_the_minimum_unless_the_cache_is_lighter() {
        for max_bytes in [0, 1, 1 << 20, 5 << 20, 12 << 20, 64 << 20, 1 << 40, u64::MAX] {
            let shards = shard_count(max_bytes);
            assert!(shards.is_power_of_two(), "{max_bytes}: {shards}");
            let per_shard = max_bytes / shards as u64;
            assert!(per_shard >= max_bytes.min(MIN_SHARD_BYTES), "{max_bytes}: {shards}");
        }
    }

    #[tokio::test]
    async fn an_invalidation_touches_only_its_keys() {
        let cache = ResponseCache::new(CacheConfig::default());
        let page = CacheKey::List { page: 1, count: 5 };
        for key in [CacheKey::Product(1), CacheKey::Product(2), page] {
            get(&cache, key, "old").await;
        }
        cache.invalidate([Invalidation::Key(CacheKey::Product(1))]).await;
        assert_eq!(get(&cache, CacheKey::Product(1), "new").await, "new");
        assert_eq!(get(&cache, page, "new").await, "old");
        // Product 2 may share product 1's stripe; then it is only a miss.
        let same_stripe = std::ptr::eq(
            cache.epochs.counter(&CacheKey::Product(1)),
            cache.epochs.counter(&CacheKey::Product(2)),
        );
        let expected = if same_stripe { "new" } else { "old" };
        assert_eq!(get(&cache, CacheKey::Product(2), "new").await, expected);
        cache.invalidate([Invalidation::ListPages]).await;
        assert_eq!(get(&cache, page, "new").await, "new");
    }
}
