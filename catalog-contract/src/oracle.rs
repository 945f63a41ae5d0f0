//! The expected answers, computed naively from the source files.
//!
//! The oracle shares no code with the import or any store: it drops the lines
//! the generator's manifest lists as dirty, reads the rest with the `csv`
//! crate, and builds each expected JSON body with `serde_json::json!`.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::Path;

use catalog_source::generate::DIRTY_MANIFEST;
use serde_json::{Value, json};

/// One clean product row, with its text exactly as in the source.
#[derive(Debug, Clone)]
struct ProductRow {
    name: String,
    slogan: String,
    description: String,
    category: String,
    default_price: String,
}

/// Everything the contract promises about a generated catalog.
#[derive(Debug, Default)]
pub struct Oracle {
    products: BTreeMap<i32, ProductRow>,
    /// Per product: (feature id, name, value).
    features: BTreeMap<i32, Vec<(i32, String, Option<String>)>>,
    /// Per product: style ids; per style: its JSON without photos and skus.
    styles: BTreeMap<i32, Vec<i32>>,
    style_json: BTreeMap<i32, Value>,
    /// Per style: (photo id, thumbnail_url, url) and (sku id, quantity, size).
    photos: BTreeMap<i32, Vec<(i32, String, String)>>,
    skus: BTreeMap<i32, Vec<(i32, i64, String)>>,
    /// Per product: (row id, related product id).
    related: BTreeMap<i32, Vec<(i32, i32)>>,
}

impl Oracle {
    /// Reads a generated source directory (with its `dirty.csv` manifest).
    pub fn from_generated(dir: &Path) -> Oracle {
        let dirty = dirty_lines(dir);
        let mut oracle = Oracle::default();
        for r in clean_records(dir, "product.csv", &dirty) {
            let row = ProductRow {
                name: r[1].clone(),
                slogan: r[2].clone(),
                description: r[3].clone(),
                category: r[4].clone(),
                default_price: money(&r[5]),
            };
            oracle.products.insert(int(&r[0]), row);
        }
        for r in clean_records(dir, "features.csv", &dirty) {
            let value = nullable(&r[3]);
            oracle
                .features
                .entry(int(&r[1]))
                .or_default()
                .push((int(&r[0]), r[2].clone(), value));
        }
        for r in clean_records(dir, "styles.csv", &dirty) {
            let (id, product) = (int(&r[0]), int(&r[1]));
            oracle.styles.entry(product).or_default().push(id);
            let style = json!({
                "style_id": id,
                "name": r[2],
                "original_price": money(&r[4]),
                "sale_price": nullable(&r[3]).map(|price| money(&price)),
                "default?": r[5] == "1" || r[5] == "true",
            });
            oracle.style_json.insert(id, style);
        }
        for r in clean_records(dir, "photos.csv", &dirty) {
            oracle
                .photos
                .entry(int(&r[1]))
                .or_default()
                .push((int(&r[0]), r[3].clone(), r[2].clone()));
        }
        for r in clean_records(dir, "skus.csv", &dirty) {
            let quantity = r[3].parse().expect("clean quantity");
            oracle
                .skus
                .entry(int(&r[1]))
                .or_default()
                .push((int(&r[0]), quantity, r[2].clone()));
        }
        for r in clean_records(dir, "related.csv", &dirty) {
            oracle
                .related
                .entry(int(&r[1]))
                .or_default()
                .push((int(&r[0]), int(&r[2])));
        }
        for list in oracle.features.values_mut() {
            list.sort_by_key(|(id, ..)| *id);
        }
        oracle
    }

    /// All product ids, ascending.
    pub fn product_ids(&self) -> Vec<i32> {
        self.products.keys().copied().collect()
    }

    /// Ids below the largest product id that have no product (rejected rows).
    pub fn gap_ids(&self) -> Vec<i32> {
        let max = self.products.keys().last().copied().unwrap_or(0);
        (1..max).filter(|id| !self.products.contains_key(id)).collect()
    }

    /// Products with repeated related links, to check they are collapsed.
    pub fn ids_with_repeated_links(&self) -> Vec<i32> {
        let repeated = |links: &Vec<(i32, i32)>| {
            let targets: HashSet<i32> = links.iter().map(|(_, target)| *target).collect();
            targets.len() < links.len()
        };
        self.related
            .iter()
            .filter(|(_, links)| repeated(links))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Products with no styles, no features or no related links.
    pub fn ids_without_children(&self) -> Vec<i32> {
        let bare = |id: &i32| {
            !self.styles.contains_key(id) || !self.features.contains_key(id) || !self.related.contains_key(id)
        };
        self.products.keys().copied().filter(bare).collect()
    }

    /// Products with a style that has no photos or no SKUs, in ascending id order.
    pub fn ids_with_bare_styles(&self) -> Vec<i32> {
        let bare = |style_id: &i32| !self.photos.contains_key(style_id) || !self.skus.contains_key(style_id);
        self.products
            .keys()
            .copied()
            .filter(|id| self.styles.get(id).is_some_and(|styles| styles.iter().any(bare)))
            .collect()
    }

    fn product_json(&self, id: i32) -> serde_json::Map<String, Value> {
        let p = &self.products[&id];
        let value = json!({
            "id": id, "name": p.name, "slogan": p.slogan, "description": p.description,
            "category": p.category, "default_price": p.default_price,
        });
        match value {
            Value::Object(map) => map,
            _ => unreachable!("json! of an object literal"),
        }
    }

    /// The body of `GET /products?page=&count=`.
    pub fn list(&self, page: usize, count: usize) -> String {
        let ids = self.product_ids();
        let start = (page - 1).saturating_mul(count).min(ids.len());
        let end = start.saturating_add(count).min(ids.len());
        let products: Vec<Value> = ids[start..end]
            .iter()
            .map(|&id| Value::Object(self.product_json(id)))
            .collect();
        Value::Array(products).to_string()
    }

    /// The body of `GET /products/:id`, if the product exists.
    pub fn product(&self, id: i32) -> Option<String> {
        self.products.get(&id)?;
        let mut product = self.product_json(id);
        let features: Vec<Value> = self
            .features
            .get(&id)
            .into_iter()
            .flatten()
            .map(|(_, feature, value)| json!({"feature": feature, "value": value}))
            .collect();
        product.insert("features".into(), Value::Array(features));
        Some(Value::Object(product).to_string())
    }

    /// The body of `GET /products/:id/styles`, if the product exists.
    pub fn styles(&self, id: i32) -> Option<String> {
        self.products.get(&id)?;
        let mut style_ids = self.styles.get(&id).cloned().unwrap_or_default();
        style_ids.sort_unstable();
        let results: Vec<Value> = style_ids.iter().map(|style_id| self.style(*style_id)).collect();
        Some(json!({"product_id": id.to_string(), "results": results}).to_string())
    }

    fn style(&self, style_id: i32) -> Value {
        let mut photos = self.photos.get(&style_id).cloned().unwrap_or_default();
        photos.sort_by_key(|(id, ..)| *id);
        let mut skus = self.skus.get(&style_id).cloned().unwrap_or_default();
        skus.sort_by_key(|(id, ..)| *id);
        let mut style = self.style_json[&style_id].clone();
        // No photos or no SKUs: the original API's all-null row (contract, styles route).
        let mut photos: Vec<Value> = photos
            .iter()
            .map(|(_, thumb, url)| json!({"thumbnail_url": thumb, "url": url}))
            .collect();
        if photos.is_empty() {
            photos.push(json!({"thumbnail_url": null, "url": null}));
        }
        let mut sku_map = serde_json::Map::new();
        for (id, quantity, size) in skus {
            sku_map.insert(id.to_string(), json!({"quantity": quantity, "size": size}));
        }
        if sku_map.is_empty() {
            sku_map.insert("null".into(), json!({"quantity": null, "size": null}));
        }
        style["photos"] = Value::Array(photos);
        style["skus"] = Value::Object(sku_map);
        style
    }

    /// The body of `GET /products/:id/related`, if the product exists.
    pub fn related(&self, id: i32) -> Option<String> {
        self.products.get(&id)?;
        let mut links = self.related.get(&id).cloned().unwrap_or_default();
        links.sort_by_key(|(row, _)| *row);
        let mut seen = HashSet::new();
        let ids: Vec<i32> = links
            .into_iter()
            .map(|(_, target)| target)
            .filter(|target| *target != id && self.products.contains_key(target) && seen.insert(*target))
            .collect();
        Some(serde_json::to_string(&ids).expect("a list of integers"))
    }
}

/// (file name, line number) of every dirty line the generator recorded.
fn dirty_lines(dir: &Path) -> HashSet<(String, u64)> {
    let mut reader = csv::Reader::from_path(dir.join(DIRTY_MANIFEST)).expect("a generated dir has a dirty manifest");
    reader
        .records()
        .map(|record| {
            let record = record.expect("manifest row");
            (record[0].to_owned(), record[1].parse().expect("manifest line number"))
        })
        .collect()
}

/// The records of `file` without its header and its dirty lines.
fn clean_records(dir: &Path, file: &str, dirty: &HashSet<(String, u64)>) -> Vec<Vec<String>> {
    let text = fs::read_to_string(dir.join(file)).expect("generated files are UTF-8");
    let clean: Vec<&str> = text
        .lines()
        .enumerate()
        .skip(1)
        .filter(|(index, _)| !dirty.contains(&(file.to_owned(), *index as u64 + 1)))
        .map(|(_, line)| line)
        .collect();
    let joined = clean.join("\n");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(joined.as_bytes())
        .records()
        .map(|record| record.expect("clean line").iter().map(str::to_owned).collect())
        .collect()
}

fn int(text: &str) -> i32 {
    text.parse().expect("clean integer")
}

fn nullable(text: &str) -> Option<String> {
    (!text.is_empty() && text != "null").then(|| text.to_owned())
}

/// A source price written with two fraction digits, by string surgery alone.
fn money(text: &str) -> String {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    format!("{whole}.{:0<2}", &fraction[..fraction.len().min(2)])
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_pads_to_two_digits() {
        assert_eq!(super::money("140"), "140.00");
        assert_eq!(super::money("19.9"), "19.90");
        assert_eq!(super::money("0.05"), "0.05");
        assert_eq!(super::money("007"), "7.00");
    }
}
