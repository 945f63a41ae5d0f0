//! Epochs of cache keys: each invalidation raises the epochs of what it
//! touches, and a cached answer remembers the epoch its load began in, so an
//! answer read before an invalidation is recognised after it.

use std::sync::atomic::{AtomicU64, Ordering};

use super::CacheKey;

/// The epoch of a key: the whole cache's, and its own stripe's (or the
/// list's, for pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Epoch {
    all: u64,
    key: u64,
}

/// Stripes of product keys' epochs: a key shares its stripe with others, so
/// an invalidation may drop a neighbour's answer too (a miss, never a stale
/// answer), and no lock or map is needed on the request path.
const EPOCH_STRIPES: usize = 4096;

/// The epochs of every key of one cache.
pub(super) struct Epochs {
    all: AtomicU64,
    pages: AtomicU64,
    stripes: Box<[AtomicU64]>,
}

impl Epochs {
    /// Every epoch at zero.
    pub(super) fn new() -> Epochs {
        Epochs {
            all: AtomicU64::new(0),
            pages: AtomicU64::new(0),
            stripes: (0..EPOCH_STRIPES).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// The counter of `key`: the list's for pages, its stripe's otherwise.
    pub(super) fn counter(&self, key: &CacheKey) -> &AtomicU64 {
        let product = match *key {
            CacheKey::List { .. } => return &self.pages,
            CacheKey::Product(id) => (id, 0),
            CacheKey::Styles(id) => (id, 1),
            CacheKey::Related(id) => (id, 2),
        };
        let mixed = (u64::from(product.0.unsigned_abs()) * 3 + product.1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        &self.stripes[(mixed >> 52) as usize % EPOCH_STRIPES]
    }

    /// The epoch of `key` now.
    pub(super) fn of(&self, key: &CacheKey) -> Epoch {
        Epoch {
            all: self.all.load(Ordering::Acquire),
            key: self.counter(key).load(Ordering::Acquire),
        }
    }

    /// Raises the epoch of `key` (and of its stripe's other keys).
    pub(super) fn raise(&self, key: &CacheKey) {
        self.counter(key).fetch_add(1, Ordering::AcqRel);
    }

    /// Raises the epoch of every page of the list.
    pub(super) fn raise_pages(&self) {
        self.pages.fetch_add(1, Ordering::AcqRel);
    }

    /// Raises the epoch of every key.
    pub(super) fn raise_all(&self) {
        self.all.fetch_add(1, Ordering::AcqRel);
    }
}
