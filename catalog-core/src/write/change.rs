//! The change log: one entry per change, in commit order, read by `seq`.

use serde::{Deserialize, Serialize};

use super::Touched;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChangeKind {
    /// A product was created.
    #[serde(rename = "product.created")]
    ProductCreated,
    /// A product's fields or features changed.
    #[serde(rename = "product.updated")]
    ProductUpdated,
    /// A product was deleted, with its styles, photos, SKUs and links.
    #[serde(rename = "product.deleted")]
    ProductDeleted,
    /// A style was created, with its photos and SKUs.
    #[serde(rename = "style.created")]
    StyleCreated,
    /// A style's fields or photos changed.
    #[serde(rename = "style.updated")]
    StyleUpdated,
    /// A style was deleted, with its photos and SKUs.
    #[serde(rename = "style.deleted")]
    StyleDeleted,
    /// A SKU was created.
    #[serde(rename = "sku.created")]
    SkuCreated,
    /// A SKU's size or quantity was set.
    #[serde(rename = "sku.updated")]
    SkuUpdated,
    /// A SKU's quantity moved by a delta.
    #[serde(rename = "sku.adjusted")]
    SkuAdjusted,
    /// A SKU was deleted.
    #[serde(rename = "sku.deleted")]
    SkuDeleted,
    /// A related link was added.
    #[serde(rename = "related.added")]
    RelatedAdded,
    /// A related link was removed.
    #[serde(rename = "related.removed")]
    RelatedRemoved,
    /// An import replaced the whole catalog.
    #[serde(rename = "catalog.imported")]
    CatalogImported,
}

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeEntry {
    /// Its place in commit order: rises strictly.
    pub seq: i64,
    /// When it was committed, RFC 3339 in UTC with milliseconds.
    pub at: String,
    /// The name of the token that made it (empty for an import).
    pub token: String,
    /// The id of the request that made it.
    pub request_id: String,
    /// What changed.
    pub kind: ChangeKind,
    /// The product, on every entry but `catalog.imported`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<i32>,
    /// The style, on style and SKU entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style_id: Option<i32>,
    /// The SKU, on SKU entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku_id: Option<i32>,
    /// The changed fields before (absent for a creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
    /// The changed fields after (absent for a deletion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<serde_json::Value>,
    /// The reason given with an adjustment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ChangeEntry {
    /// An entry `seq` of `kind` on `product_id` with nothing else recorded
    /// (no time, token, style, SKU or values): for the tests and tools that
    /// only need what an entry touched.
    pub fn bare(seq: i64, kind: ChangeKind, product_id: Option<i32>) -> ChangeEntry {
        ChangeEntry {
            seq,
            at: String::new(),
            token: String::new(),
            request_id: String::new(),
            kind,
            product_id,
            style_id: None,
            sku_id: None,
            before: None,
            after: None,
            reason: None,
        }
    }

    /// The answers this entry made stale, for a cache that learns of the
    /// change from the log (another instance's write); `None` means all of
    /// them: an import, or a deleted product (whose id other products'
    /// related answers may name).
    pub fn touched(&self) -> Option<Vec<Touched>> {
        use ChangeKind::*;
        let product = self.product_id?;
        Some(match self.kind {
            ProductCreated | ProductUpdated => vec![Touched::Product(product), Touched::Listing],
            StyleCreated | StyleUpdated | StyleDeleted | SkuCreated | SkuUpdated | SkuAdjusted | SkuDeleted => {
                vec![Touched::Styles(product)]
            }
            RelatedAdded | RelatedRemoved => vec![Touched::Related(product)],
            ProductDeleted | CatalogImported => return None,
        })
    }
}

/// The most entries one read of the change log returns.
pub const MAX_CHANGES_LIMIT: u32 = 1000;

/// A read of the change log: `GET /changes?after=SEQ&limit=N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeQuery {
    /// Entries with a greater `seq` than this.
    pub after: i64,
    /// At most this many (1 to [`MAX_CHANGES_LIMIT`]).
    pub limit: u32,
}

impl Default for ChangeQuery {
    fn default() -> ChangeQuery {
        ChangeQuery { after: 0, limit: 100 }
    }
}

impl ChangeQuery {
    /// Reads `after` (a decimal integer ≥ 0, default 0) and `limit`
    /// (1 to 1000, default 100) by the rules of the reads' parameters.
    pub fn parse(after: Option<&str>, limit: Option<&str>) -> Result<ChangeQuery, String> {
        let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        let mut query = ChangeQuery::default();
        if let Some(text) = after {
            query.after = text
                .parse::<i64>()
                .ok()
                .filter(|_| digits(text))
                .ok_or_else(|| format!("after must be a decimal integer from 0 to {}, got \"{text}\"", i64::MAX))?;
        }
        if let Some(text) = limit {
            query.limit = text
                .parse::<u32>()
                .ok()
                .filter(|limit| digits(text) && (1..=MAX_CHANGES_LIMIT).contains(limit))
                .ok_or_else(|| {
                    format!("limit must be a decimal integer from 1 to {MAX_CHANGES_LIMIT}, got \"{text}\"")
                })?;
        }
        Ok(query)
    }
}

/// A page of the change log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangePage {
    /// Entries in `seq` order.
    pub changes: Vec<ChangeEntry>,
    /// The `after` of the next read: the last entry's `seq`, or the query's
    /// `after` when there were none.
    pub next: i64,
}

/// Now, as the change log writes it: RFC 3339 in UTC with milliseconds.
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: ChangeKind, product_id: Option<i32>) -> ChangeEntry {
        ChangeEntry::bare(1, kind, product_id)
    }

    #[test]
    fn an_entry_touches_the_answers_its_write_touched() {
        let touched = |kind| entry(kind, Some(7)).touched();
        assert_eq!(touched(ChangeKind::SkuAdjusted), Some(vec![Touched::Styles(7)]));
        assert_eq!(touched(ChangeKind::StyleDeleted), Some(vec![Touched::Styles(7)]));
        assert_eq!(
            touched(ChangeKind::ProductUpdated),
            Some(vec![Touched::Product(7), Touched::Listing])
        );
        assert_eq!(touched(ChangeKind::RelatedAdded), Some(vec![Touched::Related(7)]));
        // Other products' related answers may name a deleted one.
        assert_eq!(touched(ChangeKind::ProductDeleted), None);
        assert_eq!(entry(ChangeKind::CatalogImported, None).touched(), None);
    }

    #[test]
    fn queries_follow_the_rules_of_the_reads() {
        assert_eq!(ChangeQuery::parse(None, None), Ok(ChangeQuery::default()));
        assert_eq!(
            ChangeQuery::parse(Some("41"), Some("1000")),
            Ok(ChangeQuery { after: 41, limit: 1000 })
        );
        for (after, limit) in [
            (Some("-1"), None),
            (Some("+1"), None),
            (None, Some("0")),
            (None, Some("1001")),
            (Some(""), None),
        ] {
            assert!(ChangeQuery::parse(after, limit).is_err(), "{after:?} {limit:?}");
        }
    }

    #[test]
    fn entries_carry_only_the_ids_they_have() {
        let entry = ChangeEntry {
            seq: 41,
            at: now_rfc3339(),
            token: "shop".into(),
            request_id: "r".into(),
            kind: ChangeKind::SkuAdjusted,
            product_id: Some(1),
            style_id: Some(1),
            sku_id: Some(3),
            before: Some(serde_json::json!({"quantity": 7})),
            after: Some(serde_json::json!({"quantity": 6})),
            reason: None,
        };
        let json = serde_json::to_string(&entry).unwrap();
        assert!(
            json.contains(r#""kind":"sku.adjusted","product_id":1,"style_id":1,"sku_id":3"#),
            "{json}"
        );
        assert!(!json.contains("reason"));
        assert_eq!(entry.at.len(), "2026-12-01T10:00:00.123Z".len());
        assert!(entry.at.ends_with('Z'));
    }
}
