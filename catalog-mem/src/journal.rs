//! What the memory store's writes record besides the catalog: the change
//! log, the idempotency records and the next ids. Held under the write lock,
//! so its order is the order writes took effect.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use catalog_core::write::{ChangeEntry, ChangePage, ChangeQuery, WriteAnswer};

/// How long an idempotency record is kept (the contract's "at least 24 h").
pub(crate) const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// The first answer to an `Idempotency-Key`.
pub(crate) struct Record {
    pub(crate) fingerprint: String,
    pub(crate) answer: WriteAnswer,
}

/// The change log, the idempotency records and the id counters.
pub(crate) struct Journal {
    next_product: i32,
    next_style: i32,
    next_sku: i32,
    /// Entries in `seq` order; entry `i` has `seq` `i + 1`.
    changes: Vec<ChangeEntry>,
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
            next_product: product.saturating_add(1),
            next_style: style.saturating_add(1),
            next_sku: sku.saturating_add(1),
            changes: Vec::new(),
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
        self.changes.len() as i64 + 1
    }

    /// Appends `entry`, whose `seq` must be [`next_seq`](Self::next_seq).
    pub(crate) fn append(&mut self, entry: ChangeEntry) {
        debug_assert_eq!(entry.seq, self.next_seq());
        self.changes.push(entry);
    }

    /// The entries `query` asks for.
    pub(crate) fn read(&self, query: ChangeQuery) -> ChangePage {
        let start = usize::try_from(query.after)
            .unwrap_or(usize::MAX)
            .min(self.changes.len());
        let end = start.saturating_add(query.limit as usize).min(self.changes.len());
        let changes = self.changes[start..end].to_vec();
        let next = changes.last().map_or(query.after, |entry| entry.seq);
        ChangePage { changes, next }
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
