//! What the memory store's writes record besides the catalog: the change
//! log, the idempotency records and the next ids. Held under the write lock,
//! so its order is the order writes took effect.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use catalog_core::write::{ChangeEntry, ChangePage, ChangeQuery, WriteAnswer};

/// The most change-log entries the memory store keeps: past it, the oldest
/// tenth is dropped, so a store taking writes for days does not grow
/// without bound (a read after a dropped entry is told so: `ChangesGone`).
pub(crate) const MAX_CHANGES_KEPT: usize = 1_000_000;

/// How long an idempotency record is kept (the contract's "at least 24 h").
pub(crate) const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// The first answer to an `Idempotency-Key`.
pub(crate) struct Record {
    pub(crate) fingerprint: String,
    pub(crate) answer: WriteAnswer,
}

/// The change log, the idempotency records and the id counters.
pub(crate) struct Journal {
    /// The most entries kept ([`MAX_CHANGES_KEPT`]; smaller in tests).
    max_changes: usize,
    next_product: i32,
    next_style: i32,
    next_sku: i32,
    /// The latest entries in `seq` order; entry `i` has `seq` `first_seq + i`.
    changes: VecDeque<ChangeEntry>,
    first_seq: i64,
    records: HashMap<(String, String), Record>,
    /// When each record was made, oldest first, to forget them after the TTL.
    record_times: VecDeque<(Instant, (String, String))>,
}

/// Which kind of id to hand out.
#[derive(Debug, Clone, Copy)]
pub(crate) enum IdKind {
    Product,
    Style,
    Sku,
}

impl Journal {
    /// An empty journal whose new ids follow `(product, style, sku)`, the largest imported.
    pub(crate) fn new((product, style, sku): (i32, i32, i32)) -> Journal {
        Journal {
            max_changes: MAX_CHANGES_KEPT,
            next_product: product.saturating_add(1),
            next_style: style.saturating_add(1),
            next_sku: sku.saturating_add(1),
            changes: VecDeque::new(),
            first_seq: 1,
            records: HashMap::new(),
            record_times: VecDeque::new(),
        }
    }

    /// Hands out the next id of `kind`; `None` when the ids ran out.
    pub(crate) fn take_id(&mut self, kind: IdKind) -> Option<i32> {
        let next = match kind {
            IdKind::Product => &mut self.next_product,
            IdKind::Style => &mut self.next_style,
            IdKind::Sku => &mut self.next_sku,
        };
        let id = *next;
        *next = id.checked_add(1)?;
        Some(id)
    }

    /// The `seq` the next entry gets.
    pub(crate) fn next_seq(&self) -> i64 {
        self.first_seq + self.changes.len() as i64
    }

    /// Appends `entry`, whose `seq` must be [`next_seq`](Self::next_seq),
    /// dropping the oldest tenth of the log when it is full.
    pub(crate) fn append(&mut self, entry: ChangeEntry) {
        debug_assert_eq!(entry.seq, self.next_seq());
        if self.changes.len() >= self.max_changes {
            let dropped = (self.max_changes / 10).max(1).min(self.changes.len());
            self.changes.drain(..dropped);
            self.first_seq += dropped as i64;
        }
        self.changes.push_back(entry);
    }

    /// The entries `query` asks for; `Err(oldest)` when entries right after
    /// `after` were dropped.
    pub(crate) fn read(&self, query: ChangeQuery) -> Result<ChangePage, i64> {
        if query.after < self.first_seq - 1 {
            return Err(self.first_seq);
        }
        let start = usize::try_from(query.after - (self.first_seq - 1))
            .unwrap_or(usize::MAX)
            .min(self.changes.len());
        let end = start.saturating_add(query.limit as usize).min(self.changes.len());
        let changes: Vec<ChangeEntry> = self.changes.range(start..end).cloned().collect();
        let next = changes.last().map_or(query.after, |entry| entry.seq);
        Ok(ChangePage { changes, next })
    }

    /// The record of `key` under `token`, if one is kept.
    pub(crate) fn record(&mut self, token: &str, key: &str) -> Option<&Record> {
        self.forget_expired(Instant::now());
        self.records.get(&(token.to_owned(), key.to_owned()))
    }

    /// Keeps `record` as the answer to `key` under `token`.
    pub(crate) fn keep(&mut self, token: &str, key: &str, record: Record) {
        let id = (token.to_owned(), key.to_owned());
        self.record_times.push_back((Instant::now(), id.clone()));
        self.records.insert(id, record);
    }

    fn forget_expired(&mut self, now: Instant) {
        while let Some((made, _)) = self.record_times.front()
            && now.duration_since(*made) > IDEMPOTENCY_TTL
        {
            if let Some((_, id)) = self.record_times.pop_front() {
                self.records.remove(&id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use catalog_core::write::ChangeKind;

    use super::*;

    fn entry(seq: i64) -> ChangeEntry {
        ChangeEntry {
            seq,
            at: String::new(),
            token: String::new(),
            request_id: String::new(),
            kind: ChangeKind::SkuAdjusted,
            product_id: Some(1),
            style_id: None,
            sku_id: None,
            before: None,
            after: None,
            reason: None,
        }
    }

    #[test]
    fn a_full_log_drops_its_oldest_entries_and_says_so() {
        let mut journal = Journal::new((0, 0, 0));
        journal.max_changes = 10;
        for _ in 0..25 {
            let seq = journal.next_seq();
            journal.append(entry(seq));
        }
        assert_eq!(journal.next_seq(), 26);
        let query = |after| ChangeQuery { after, limit: 100 };
        assert_eq!(journal.read(query(3)).map(|page| page.next), Err(16));
        assert_eq!(journal.read(query(14)).map(|page| page.next), Err(16));
        let page = journal.read(query(15)).expect("held");
        assert_eq!(page.changes.first().map(|e| e.seq), Some(16));
        assert_eq!((page.changes.len(), page.next), (10, 25));
        assert_eq!(journal.read(query(25)).map(|page| page.next), Ok(25));
    }
}
