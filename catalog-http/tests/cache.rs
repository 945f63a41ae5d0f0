//! The response cache: one store query per key under concurrent misses,
//! errors never cached, a byte bound, invalidation, expiry, emptying on a
//! new catalog generation, and the off switch.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use catalog_core::{
    CatalogStore, Feature, Page, Price, Product, ProductDetail, ProductId, ProductStyles, StoreError, UnavailableKind,
};
use catalog_http::{CacheConfig, ResponseCache, ServiceConfig, follow_generations, service};

/// A store that counts its calls, answers slowly, and fails its first `failures` calls.
#[derive(Default)]
struct CountingStore {
    calls: AtomicUsize,
    failures: AtomicUsize,
    delay: Duration,
    feature_bytes: usize,
    /// The catalog generation it reports; `None`: it has none.
    generation: Option<AtomicI64>,
    /// How many times asking for the generation fails first.
    generation_failures: AtomicUsize,
}

impl CountingStore {
    fn called(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    async fn call(&self) -> Result<(), StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        let failing = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            Err(StoreError::unavailable(UnavailableKind::Unreachable, "down"))
        } else {
            Ok(())
        }
    }

    fn product_of(&self, id: i32) -> Product {
        Product {
            id,
            name: format!("Product {id}"),
            slogan: String::new(),
            description: String::new(),
            category: String::new(),
            default_price: Price::default(),
        }
    }
}

#[async_trait]
impl CatalogStore for CountingStore {
    async fn products(&self, page: Page) -> Result<Vec<Product>, StoreError> {
        self.call().await?;
        Ok(vec![self.product_of(page.page())])
    }
    async fn product(&self, id: ProductId) -> Result<ProductDetail, StoreError> {
        self.call().await?;
        let features = vec![Feature {
            feature: "Blob".into(),
            value: Some("x".repeat(self.feature_bytes)),
        }];
        Ok(ProductDetail::new(self.product_of(id.get()), features))
    }
    async fn styles(&self, id: ProductId) -> Result<ProductStyles, StoreError> {
        self.call().await?;
        Ok(ProductStyles {
            product_id: id,
            results: Vec::new(),
        })
    }
    async fn related(&self, _: ProductId) -> Result<Vec<i32>, StoreError> {
        self.call().await?;
        Ok(vec![2, 3])
    }
    async fn generation(&self) -> Result<Option<i64>, StoreError> {
        let failing = self
            .generation_failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Err(StoreError::unavailable(UnavailableKind::Unreachable, "down"));
        }
        Ok(self
            .generation
            .as_ref()
            .map(|generation| generation.load(Ordering::SeqCst)))
    }
}

fn cached_service(
    store: Arc<CountingStore>,
    cache: Option<ResponseCache>,
) -> warp::filters::BoxedFilter<(warp::reply::Response,)> {
    service(
        store,
        &ServiceConfig {
            cache,
            ..ServiceConfig::default()
        },
    )
}

async fn get(filter: &warp::filters::BoxedFilter<(warp::reply::Response,)>, path: &str) -> (u16, Vec<u8>) {
    let response = warp::test::request().path(path).reply(filter).await;
    (response.status().as_u16(), response.body().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_misses_on_one_key_query_the_store_once() {
    let store = Arc::new(CountingStore {
        delay: Duration::from_millis(100),
        ..CountingStore::default()
    });
    let cache = ResponseCache::new(CacheConfig::default());
    let filter = cached_service(store.clone(), Some(cache.clone()));
    let requests = (0..32).map(|_| {
        let filter = filter.clone();
        tokio::spawn(async move { get(&filter, "/products/7/styles").await })
    });
    let answers: Vec<(u16, Vec<u8>)> = futures_join(requests).await;
    assert!(
        answers
            .iter()
            .all(|answer| *answer == (200, br#"{"product_id":"7","results":[]}"#.to_vec()))
    );
    assert_eq!(store.called(), 1);
    let stats = cache.stats();
    assert_eq!((stats.misses, stats.hits), (1, 31));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_misses_on_one_key_share_one_failure() {
    // Long enough for every request to join the first one's load even on a
    // busy machine (one that came after the failure would ask again).
    let store = Arc::new(CountingStore {
        delay: Duration::from_millis(500),
        failures: AtomicUsize::new(1),
        ..CountingStore::default()
    });
    let cache = ResponseCache::new(CacheConfig::default());
    let filter = cached_service(store.clone(), Some(cache.clone()));
    let requests = (0..16).map(|_| {
        let filter = filter.clone();
        tokio::spawn(async move { get(&filter, "/products/7/styles").await.0 })
    });
    let statuses: Vec<u16> = futures_join(requests).await;
    assert_eq!(statuses, vec![503; 16], "every waiting request gets the one failure");
    assert_eq!(store.called(), 1, "the waiting requests did not each ask again");
    assert_eq!(
        get(&filter, "/products/7/styles").await.0,
        200,
        "the failure was not kept"
    );
    assert_eq!(store.called(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_a_lifetime_concurrent_misses_still_share_one_load() {
    // Long enough for every request to join the first one's load even on a busy machine.
    let store = Arc::new(CountingStore {
        delay: Duration::from_millis(500),
        ..CountingStore::default()
    });
    let cache = ResponseCache::new(CacheConfig {
        time_to_live: Duration::ZERO,
        ..CacheConfig::default()
    });
    let filter = cached_service(store.clone(), Some(cache));
    let requests = (0..32).map(|_| {
        let filter = filter.clone();
        tokio::spawn(async move { get(&filter, "/products/7/related").await })
    });
    let answers: Vec<(u16, Vec<u8>)> = futures_join(requests).await;
    assert!(answers.iter().all(|answer| *answer == (200, b"[2,3]".to_vec())));
    assert_eq!(store.called(), 1, "the waiting requests each asked again");
    get(&filter, "/products/7/related").await;
    assert_eq!(
        store.called(),
        2,
        "an answer with no lifetime was served from the cache"
    );
}

/// The outputs of the tasks `handles` spawns, every one spawned before the
/// first is awaited (the iterator is lazy: awaiting as it yields would run
/// them one after another).
async fn futures_join<T: Send + 'static>(handles: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let handles: Vec<_> = handles.collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("request task"));
    }
    out
}

#[tokio::test]
async fn errors_are_not_cached() {
    let store = Arc::new(CountingStore {
        failures: AtomicUsize::new(1),
        ..CountingStore::default()
    });
    let filter = cached_service(store.clone(), Some(ResponseCache::new(CacheConfig::default())));
    assert_eq!(get(&filter, "/products/3/related").await.0, 503);
    assert_eq!(get(&filter, "/products/3/related").await, (200, b"[2,3]".to_vec()));
    assert_eq!(get(&filter, "/products/3/related").await.0, 200);
    assert_eq!(store.called(), 2);
}

#[tokio::test]
async fn the_cache_stays_within_its_byte_bound() {
    let store = Arc::new(CountingStore {
        feature_bytes: 1_000,
        ..CountingStore::default()
    });
    let cache = ResponseCache::new(CacheConfig {
        max_bytes: 20_000,
        ..CacheConfig::default()
    });
    let filter = cached_service(store.clone(), Some(cache.clone()));
    for id in 1..=100 {
        assert_eq!(get(&filter, &format!("/products/{id}")).await.0, 200);
    }
    let size = cache.weighted_size();
    assert!(size <= 20_000, "cached {size} bytes");
    assert!(
        size >= 10_000,
        "the cache should still hold recent answers, holds {size} bytes"
    );
}

#[tokio::test]
async fn invalidating_a_product_drops_its_answers_and_the_pages() {
    let store = Arc::new(CountingStore::default());
    let cache = ResponseCache::new(CacheConfig::default());
    let filter = cached_service(store.clone(), Some(cache.clone()));
    for path in ["/products/5", "/products/5/styles", "/products?page=1", "/products/6"] {
        get(&filter, path).await;
        get(&filter, path).await;
    }
    assert_eq!(store.called(), 4);
    cache.invalidate_product(5).await;
    for path in ["/products/5", "/products/5/styles", "/products?page=1", "/products/6"] {
        get(&filter, path).await;
    }
    assert_eq!(
        store.called(),
        7,
        "product 5's answers and the page are asked again, product 6 is not"
    );
    cache.invalidate_all();
    get(&filter, "/products/6").await;
    assert_eq!(store.called(), 8);
}

#[tokio::test]
async fn answers_expire() {
    let store = Arc::new(CountingStore::default());
    let cache = ResponseCache::new(CacheConfig {
        time_to_live: Duration::from_millis(200),
        ..CacheConfig::default()
    });
    let filter = cached_service(store.clone(), Some(cache));
    get(&filter, "/products/1").await;
    get(&filter, "/products/1").await;
    assert_eq!(store.called(), 1);
    tokio::time::sleep(Duration::from_millis(400)).await;
    get(&filter, "/products/1").await;
    assert_eq!(store.called(), 2);
}

#[tokio::test]
async fn without_a_cache_every_request_asks_the_store() {
    let store = Arc::new(CountingStore::default());
    let filter = cached_service(store.clone(), None);
    for _ in 0..3 {
        assert_eq!(get(&filter, "/products/1/styles").await.0, 200);
    }
    assert_eq!(store.called(), 3);
}

#[tokio::test]
async fn a_new_catalog_generation_empties_the_cache() {
    let store = Arc::new(CountingStore {
        generation: Some(AtomicI64::new(7)),
        ..CountingStore::default()
    });
    let cache = ResponseCache::new(CacheConfig::default());
    let filter = cached_service(store.clone(), Some(cache.clone()));
    let period = Duration::from_millis(20);
    let follower = tokio::spawn(follow_generations(store.clone(), cache.clone(), period));
    get(&filter, "/products/1").await;
    // Many periods with the same generation: the answer stays cached.
    tokio::time::sleep(period * 10).await;
    get(&filter, "/products/1").await;
    assert_eq!((store.called(), cache.stats().flushes), (1, 0));

    store.generation.as_ref().unwrap().store(8, Ordering::SeqCst);
    wait_for_a_flush(&cache, period).await;
    get(&filter, "/products/1").await;
    assert_eq!(store.called(), 2, "the store is asked again after the new generation");
    assert_eq!(cache.stats().flushes, 1, "emptied once per change");
    follower.abort();
}

/// Waits, checking every `period`, until `cache` has been emptied once.
async fn wait_for_a_flush(cache: &ResponseCache, period: Duration) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while cache.stats().flushes == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the cache was never emptied");
        tokio::time::sleep(period).await;
    }
}

#[tokio::test]
async fn following_a_store_without_generations_ends_at_once() {
    let store = Arc::new(CountingStore::default());
    let cache = ResponseCache::new(CacheConfig::default());
    let follow = follow_generations(store, cache, Duration::from_millis(10));
    tokio::time::timeout(Duration::from_secs(5), follow)
        .await
        .expect("returns for a store that has no generations");
}

#[tokio::test]
async fn an_answer_read_while_the_cache_is_emptied_is_not_kept() {
    let store = Arc::new(CountingStore {
        delay: Duration::from_millis(300),
        ..CountingStore::default()
    });
    let cache = ResponseCache::new(CacheConfig::default());
    let filter = cached_service(store.clone(), Some(cache.clone()));
    let in_flight = tokio::spawn({
        let filter = filter.clone();
        async move { get(&filter, "/products/4").await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    cache.invalidate_all();
    assert_eq!(in_flight.await.unwrap().0, 200, "the request in flight is answered");
    get(&filter, "/products/4").await;
    assert_eq!(
        store.called(),
        2,
        "the answer read across the flush may be old: asked again"
    );
}

#[tokio::test]
async fn answers_cached_while_the_generation_was_unknown_are_dropped_once_it_is_known() {
    let store = Arc::new(CountingStore {
        generation: Some(AtomicI64::new(3)),
        generation_failures: AtomicUsize::new(2),
        ..CountingStore::default()
    });
    let cache = ResponseCache::new(CacheConfig::default());
    let filter = cached_service(store.clone(), Some(cache.clone()));
    get(&filter, "/products/1").await;
    let period = Duration::from_millis(20);
    let follower = tokio::spawn(follow_generations(store.clone(), cache.clone(), period));
    wait_for_a_flush(&cache, period).await;
    tokio::time::sleep(period * 10).await;
    assert_eq!(
        cache.stats().flushes,
        1,
        "emptied once, then the generation is known and the same"
    );
    get(&filter, "/products/1").await;
    assert_eq!(store.called(), 2);
    follower.abort();
}
