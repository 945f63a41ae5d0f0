//! `Surrogate-Key`: the names a CDN can purge an answer by, and the names a
//! change-log entry makes stale, from one mapping so they always meet.
//!
//! Every shared answer carries `catalog` and the key of what it answers:
//! `products` (every page of the list), `product-P`, `styles-P` (a product's
//! styles, and `GET /skus/:id` of its SKUs) or `related-P`. A purger that
//! follows `GET /changes` purges [`of_change`]'s keys for each entry; an
//! entry that may touch anything (a deleted product, an import) purges
//! `catalog`.

use catalog_core::write::{ChangeEntry, Touched};
use warp::http::HeaderValue;

use crate::cache::CacheKey;

/// The header's name.
pub const SURROGATE_KEY: &str = "surrogate-key";

/// The key every shared answer carries: purging it purges them all.
pub const EVERYTHING: &str = "catalog";

/// The key of the answers `touched` names.
fn key_of(touched: Touched) -> String {
    match touched {
        Touched::Listing => "products".to_owned(),
        Touched::Product(id) => format!("product-{id}"),
        Touched::Styles(id) => format!("styles-{id}"),
        Touched::Related(id) => format!("related-{id}"),
    }
}

/// What the answer cached under `key` answers, as the change log names it.
fn touched_by(key: CacheKey) -> Touched {
    match key {
        CacheKey::List { .. } => Touched::Listing,
        CacheKey::Product(id) => Touched::Product(id),
        CacheKey::Styles(id) => Touched::Styles(id),
        CacheKey::Related(id) => Touched::Related(id),
    }
}

/// The `Surrogate-Key` value of the answer cached under `key`.
pub(crate) fn of_answer(key: CacheKey) -> HeaderValue {
    header(touched_by(key))
}

/// The `Surrogate-Key` value of `GET /skus/:id` for a SKU of product
/// `product_id`: its product's styles key, which every change of the SKU
/// (and of its style) purges.
pub(crate) fn of_sku(product_id: i32) -> HeaderValue {
    header(Touched::Styles(product_id))
}

fn header(touched: Touched) -> HeaderValue {
    HeaderValue::from_str(&format!("{EVERYTHING} {}", key_of(touched))).unwrap_or(HeaderValue::from_static(EVERYTHING))
}

/// The keys to purge for `entry`: what it touched, or [`EVERYTHING`] when
/// it may have touched anything.
pub fn of_change(entry: &ChangeEntry) -> Vec<String> {
    match entry.touched() {
        Some(touched) => touched.into_iter().map(key_of).collect(),
        None => vec![EVERYTHING.to_owned()],
    }
}

#[cfg(test)]
mod tests {
    use catalog_core::write::ChangeKind;

    use super::*;

    fn entry(kind: ChangeKind, product_id: Option<i32>) -> ChangeEntry {
        ChangeEntry::bare(1, kind, product_id)
    }

    /// Whether purging `purged` removes the answer carrying `header`.
    fn purges(purged: &[String], header: &HeaderValue) -> bool {
        let carried: Vec<&str> = header.to_str().unwrap().split(' ').collect();
        purged.iter().any(|key| carried.contains(&key.as_str()))
    }

    #[test]
    fn every_answer_a_change_makes_stale_is_purged_by_its_keys_and_no_other_product_is() {
        let answers = |id| {
            [
                CacheKey::List { page: 1, count: 5 },
                CacheKey::Product(id),
                CacheKey::Styles(id),
                CacheKey::Related(id),
            ]
        };
        for kind in [
            ChangeKind::ProductCreated,
            ChangeKind::ProductUpdated,
            ChangeKind::StyleCreated,
            ChangeKind::StyleUpdated,
            ChangeKind::StyleDeleted,
            ChangeKind::SkuCreated,
            ChangeKind::SkuUpdated,
            ChangeKind::SkuAdjusted,
            ChangeKind::SkuDeleted,
            ChangeKind::RelatedAdded,
            ChangeKind::RelatedRemoved,
        ] {
            let change = entry(kind, Some(7));
            let purged = of_change(&change);
            let stale: Vec<CacheKey> = change.touched().unwrap().into_iter().map(answer_of).collect();
            for key in answers(7) {
                assert_eq!(
                    purges(&purged, &of_answer(key)),
                    stale.contains(&key),
                    "{kind:?} {key:?}"
                );
            }
            for key in answers(8).into_iter().skip(1) {
                assert!(!purges(&purged, &of_answer(key)), "{kind:?} purges {key:?}");
            }
            let sku_purged = stale.contains(&CacheKey::Styles(7));
            assert_eq!(purges(&purged, &of_sku(7)), sku_purged, "{kind:?} and a SKU answer");
        }
        for kind in [ChangeKind::ProductDeleted, ChangeKind::CatalogImported] {
            let purged = of_change(&entry(kind, Some(7)));
            assert!(
                answers(8).into_iter().all(|key| purges(&purged, &of_answer(key))),
                "{kind:?}"
            );
            assert!(purges(&purged, &of_sku(8)), "{kind:?}");
        }
    }

    /// The answer `touched` names (a page stands for every page).
    fn answer_of(touched: Touched) -> CacheKey {
        match touched {
            Touched::Listing => CacheKey::List { page: 1, count: 5 },
            Touched::Product(id) => CacheKey::Product(id),
            Touched::Styles(id) => CacheKey::Styles(id),
            Touched::Related(id) => CacheKey::Related(id),
        }
    }
}
