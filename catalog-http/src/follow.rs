//! Following the change log: what other instances wrote leaves this
//! instance's response cache too.
//!
//! An instance drops what its own writes touched before it answers them
//! (see [`writes`](crate::writes)). Writes through other instances reach it
//! through the store's change log: the follower reads the entries after the
//! last one it has seen, whenever the store wakes it (PostgreSQL's
//! `LISTEN`/`NOTIFY`) and at least every `period`, and drops exactly what each
//! entry made stale ([`ChangeEntry::touched`]). When it cannot know what
//! changed (it cannot read the log, the log no longer holds where it was, or
//! it fell too far behind) it empties the whole cache rather than serve
//! stale answers.

use std::sync::Arc;
use std::time::Duration;

use catalog_core::write::{ChangeEntry, ChangeQuery, MAX_CHANGES_LIMIT};
use catalog_core::{CatalogWriter, StoreError};
use tokio::sync::Notify;

use crate::cache::ResponseCache;
use crate::writes::invalidation;

/// Pages of entries read in one catch-up before the follower gives up on
/// them one by one and empties the cache instead (10,000 entries).
const MAX_PAGES_BEHIND: u32 = 10;

/// How long after a wake-up the follower waits for more before it reads:
/// writes close together are read in one page. A read of the log takes its
/// barrier exclusively, so it waits for the writes in flight and holds new
/// ones back; the gather keeps that to one read per 25 ms per instance while
/// other instances write, within the propagation goal of 100 ms. (An
/// instance is never woken by its own writes: the listener skips them. That
/// skip, not the gather, is what took a single instance's cost from 16% of
/// its adjustments/s to 1%; the gather's cost with several writing
/// instances is not measured on its own.)
const GATHER: Duration = Duration::from_millis(25);

/// Follows `writer`'s change log into `cache`, woken by `wake` (if the store
/// gives wake-ups) and every `period` (at least a millisecond). Runs until
/// dropped.
pub async fn follow_changes(
    writer: Arc<dyn CatalogWriter>,
    cache: ResponseCache,
    wake: Option<Arc<Notify>>,
    period: Duration,
) {
    let period = period.max(Duration::from_millis(1));
    let mut follower = Follower {
        writer,
        cache,
        last: None,
        started: false,
        failing: false,
    };
    loop {
        follower.catch_up().await;
        match &wake {
            Some(wake) => {
                let _ = tokio::time::timeout(period, wake.notified()).await;
                tokio::time::sleep(GATHER).await;
            }
            None => tokio::time::sleep(period).await,
        }
    }
}

struct Follower {
    writer: Arc<dyn CatalogWriter>,
    cache: ResponseCache,
    /// The last `seq` applied; `None` until the log's end is known.
    last: Option<i64>,
    /// Whether the log's end was known once (the cache may hold answers).
    started: bool,
    /// Whether the last read of the log failed (said once, not every time).
    failing: bool,
}

impl Follower {
    /// Applies every entry after the last one seen.
    async fn catch_up(&mut self) {
        let Some(mut after) = self.last else {
            // Start at the log's end: the cache holds nothing older than now.
            match self.writer.last_seq().await {
                Ok(last) => {
                    self.recovered();
                    self.last = Some(last);
                    // Answers cached since the follower lost its place may
                    // be older than entries it will now never read.
                    if std::mem::replace(&mut self.started, true) {
                        self.cache.invalidate_all();
                    }
                }
                Err(err) => self.cannot_follow(&err),
            }
            return;
        };
        for _ in 0..MAX_PAGES_BEHIND {
            let query = ChangeQuery {
                after,
                limit: MAX_CHANGES_LIMIT,
            };
            match self.writer.changes(query).await {
                Ok(page) => {
                    self.recovered();
                    for entry in &page.changes {
                        self.apply(entry).await;
                    }
                    after = page.next;
                    self.last = Some(after);
                    if page.changes.len() < MAX_CHANGES_LIMIT as usize {
                        return;
                    }
                }
                Err(err) => {
                    self.cannot_follow(&err);
                    return;
                }
            }
        }
        tracing::warn!(after, "the change log's follower fell behind; response cache emptied");
        self.cache.invalidate_all();
        self.last = None;
    }

    /// Drops what `entry` made stale.
    async fn apply(&self, entry: &ChangeEntry) {
        match entry.touched() {
            Some(touched) => self.cache.invalidate(touched.iter().map(invalidation)).await,
            None => self.cache.invalidate_all(),
        }
    }

    /// The log cannot be read (or no longer holds where this follower was):
    /// empty the cache, since writes may go unseen, and start again at the
    /// log's end once it can be read.
    fn cannot_follow(&mut self, err: &StoreError) {
        if !self.failing {
            tracing::warn!(%err, "cannot read the change log; response cache emptied until it can");
            self.failing = true;
        }
        self.cache.invalidate_all();
        self.last = None;
    }

    fn recovered(&mut self) {
        if self.failing {
            self.failing = false;
            tracing::info!("the change log can be read again");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use catalog_core::write::{ChangeKind, ChangePage, WriteError, WriteRequest, Written};
    use catalog_core::{SkuDetail, SkuId, UnavailableKind};

    use super::*;
    use crate::cache::CacheConfig;

    /// A change log that answers what the test queued, then empty pages.
    struct ScriptedLog {
        pages: Mutex<Vec<Result<ChangePage, StoreError>>>,
    }

    #[async_trait]
    impl CatalogWriter for ScriptedLog {
        async fn write(&self, _: WriteRequest) -> Result<Written, WriteError> {
            unreachable!("the follower only reads")
        }
        async fn sku(&self, id: SkuId) -> Result<SkuDetail, StoreError> {
            Err(StoreError::SkuNotFound(id.get()))
        }
        async fn changes(&self, query: ChangeQuery) -> Result<ChangePage, StoreError> {
            let mut pages = self.pages.lock().expect("the script");
            if pages.is_empty() {
                return Ok(ChangePage {
                    changes: Vec::new(),
                    next: query.after,
                });
            }
            pages.remove(0)
        }
        async fn last_seq(&self) -> Result<i64, StoreError> {
            Ok(0)
        }
    }

    fn entry(seq: i64) -> ChangeEntry {
        ChangeEntry {
            style_id: Some(1),
            sku_id: Some(1),
            ..ChangeEntry::bare(seq, ChangeKind::SkuAdjusted, Some(1))
        }
    }

    fn full_page(from: i64) -> Result<ChangePage, StoreError> {
        let changes: Vec<ChangeEntry> = (from..from + i64::from(MAX_CHANGES_LIMIT)).map(entry).collect();
        let next = changes.last().map_or(from, |entry| entry.seq);
        Ok(ChangePage { changes, next })
    }

    async fn follower(pages: Vec<Result<ChangePage, StoreError>>) -> (Follower, ResponseCache) {
        let cache = ResponseCache::new(CacheConfig::default());
        let mut follower = Follower {
            writer: Arc::new(ScriptedLog {
                pages: Mutex::new(pages),
            }),
            cache: cache.clone(),
            last: None,
            started: false,
            failing: false,
        };
        follower.catch_up().await; // finds the log's end
        (follower, cache)
    }

    #[tokio::test]
    async fn a_log_that_cannot_be_read_empties_the_cache() {
        let unavailable = StoreError::unavailable(UnavailableKind::Unreachable, "down");
        let (mut follower, cache) = follower(vec![Err(unavailable)]).await;
        assert_eq!(cache.stats().flushes, 0);
        follower.catch_up().await;
        assert_eq!(cache.stats().flushes, 1, "emptied when the log could not be read");
        assert_eq!(follower.last, None);
        // Back at the log's end, emptied once more: answers cached meanwhile
        // may be older than entries it will never read.
        follower.catch_up().await;
        assert_eq!((follower.last, cache.stats().flushes), (Some(0), 2));
    }

    #[tokio::test]
    async fn a_follower_too_far_behind_empties_the_cache() {
        let pages = (0..MAX_PAGES_BEHIND + 1).map(|page| full_page(1 + i64::from(page * MAX_CHANGES_LIMIT)));
        let (mut follower, cache) = follower(pages.collect()).await;
        follower.catch_up().await;
        assert_eq!(cache.stats().flushes, 1);
        assert_eq!(follower.last, None, "it starts again at the log's end");
    }

    #[tokio::test]
    async fn entries_read_in_time_drop_only_their_keys() {
        let (mut follower, cache) = follower(vec![full_page(1)]).await;
        follower.catch_up().await;
        assert_eq!(cache.stats().flushes, 0);
        assert_eq!(follower.last, Some(i64::from(MAX_CHANGES_LIMIT)));
    }
}
