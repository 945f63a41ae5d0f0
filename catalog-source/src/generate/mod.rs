//! A deterministic synthetic catalog in the source format, with optional dirty rows.
//!
//! The proportions follow the full source set (per product: about 2.2
//! features, 1.96 styles, 4.5 related links; per style: about 2.9 photos and
//! 5.8 SKUs; about 2% of styles have no photos and 2% no SKUs). Dirty rows
//! are *extra* lines written after a clean row, each of a kind the import
//! must refuse; they consume a fresh row id where they have a valid one, so
//! accepted ids have gaps, and no clean row ever refers to a dirty one. Every
//! dirty line is listed in [`GenerateSummary::dirty`] and in `dirty.csv`
//! beside the six files, with the reject kind the import must give.
//!
//! This module draws the rows; `writer` writes them as CSV lines, `dirty`
//! holds the catalogue of dirty lines each file may get, and `words` the
//! names, colours, sizes and URLs the rows are made of.

mod dirty;
mod words;
mod writer;

use std::fs;
use std::io;
use std::path::Path;

use fastrand::Rng;

use crate::{RejectKind, SourceFile};
use dirty::Context;
use words::{CATEGORIES, FEATURES, SLOGANS, description, name, photo_urls, pick, sizes, style_name};
use writer::Out;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateConfig {
    /// Number of clean products.
    pub products: u32,
    /// Seed: the same seed and count give the same files, byte for byte.
    pub seed: u64,
    /// Chance, after each clean row, of adding one dirty line (0 for none).
    pub dirty_rate: f64,
}

/// One line the generator made dirty, and the reject kind expected for it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DirtyLine {
    /// The file.
    pub file: SourceFile,
    /// The 1-based line number (the header is line 1).
    pub line: u64,
    /// The expected [`RejectReason::kind`](crate::RejectReason::kind).
    pub kind: RejectKind,
}

/// What [`generate()`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    /// Data lines written per file (dirty ones included), in load order.
    pub lines: Vec<(SourceFile, u64)>,
    /// Every dirty line, file by file in line order.
    pub dirty: Vec<DirtyLine>,
}

/// The name of the dirty-line manifest written beside the six files.
pub const DIRTY_MANIFEST: &str = "dirty.csv";

/// Writes the six files of a synthetic catalog into `dir` (created if needed).
pub fn generate(config: &GenerateConfig, dir: &Path) -> io::Result<GenerateSummary> {
    fs::create_dir_all(dir)?;
    let mut generator = Generator {
        config,
        dir,
        summary: GenerateSummary::default(),
    };
    let product_ids = generator.products_and_features()?;
    generator.styles_photos_and_skus(&product_ids)?;
    generator.related(&product_ids)?;
    let summary = generator.summary;
    writer::write_manifest(&dir.join(DIRTY_MANIFEST), &summary.dirty)?;
    Ok(summary)
}

/// The reject kinds of the dirty lines the generator may write into `file`:
/// together, every [`RejectKind`] but `invalid_utf8` and `nul_byte`, since
/// the generated files are UTF-8 text without NUL bytes.
pub fn dirty_kinds(file: SourceFile) -> impl Iterator<Item = RejectKind> {
    dirty::catalogue(file).iter().map(|row| row.kind())
}

struct Generator<'a> {
    config: &'a GenerateConfig,
    dir: &'a Path,
    summary: GenerateSummary,
}

impl Generator<'_> {
    fn rng(&self, salt: u64) -> Rng {
        Rng::with_seed(self.config.seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    fn open(&self, file: SourceFile) -> io::Result<Out> {
        Out::create(self.dir, file, self.config.dirty_rate)
    }

    fn close(&mut self, out: Out) -> io::Result<()> {
        let (file, lines, dirty) = out.finish()?;
        self.summary.lines.push((file, lines));
        self.summary.dirty.extend(dirty);
        Ok(())
    }

    /// Writes `product.csv` and `features.csv`; returns the clean product ids.
    fn products_and_features(&mut self) -> io::Result<Vec<i32>> {
        let mut rng = self.rng(1);
        let mut products = self.open(SourceFile::Products)?;
        let mut features = self.open(SourceFile::Features)?;
        let mut ids = Vec::with_capacity(self.config.products as usize);
        let (mut next_product, mut next_feature) = (1, 1);
        for _ in 0..self.config.products {
            let id = next_product;
            next_product += 1;
            ids.push(id);
            products.int(id).text(&name(&mut rng)).text(pick(&mut rng, SLOGANS));
            products
                .text(&description(&mut rng))
                .text(pick(&mut rng, CATEGORIES))
                .cents(product_price_cents(&mut rng));
            products.clean()?;
            for _ in 0..weighted(&mut rng, &[5, 20, 35, 25, 15]) {
                let (feature, values) = FEATURES[rng.usize(..FEATURES.len())];
                features.int(next_feature).int(id).text(feature);
                next_feature += 1;
                match rng.u8(..10) {
                    0 => features.raw("null"),
                    1 => features.raw(""),
                    _ => features.text(pick(&mut rng, values)),
                };
                features.clean()?;
                dirty::maybe_write(&mut features, &mut rng, &mut next_feature, &Context::parent(id))?;
            }
            dirty::maybe_write(&mut products, &mut rng, &mut next_product, &Context::default())?;
        }
        self.close(products)?;
        self.close(features)?;
        Ok(ids)
    }

    /// Writes `styles.csv`, `photos.csv` and `skus.csv`.
    fn styles_photos_and_skus(&mut self, product_ids: &[i32]) -> io::Result<()> {
        let mut rng = self.rng(2);
        let mut styles = self.open(SourceFile::Styles)?;
        let mut photos = self.open(SourceFile::Photos)?;
        let mut skus = self.open(SourceFile::Skus)?;
        let (mut next_style, mut next_photo, mut next_sku) = (1, 1, 1);
        for &product_id in product_ids {
            for index in 0..weighted(&mut rng, &[3, 30, 40, 20, 7]) {
                let style_id = next_style;
                next_style += 1;
                styles.int(style_id).int(product_id).text(&style_name(&mut rng));
                let original_cents = style_price_cents(&mut rng);
                if rng.u8(..10) < 3 {
                    styles.cents(original_cents * rng.u64(50..95) / 100);
                } else {
                    styles.raw("null");
                }
                styles.cents(original_cents);
                let default = index == 0;
                styles.raw(match (default, rng.u8(..20)) {
                    (true, 0) => "true",
                    (false, 0) => "false",
                    (true, _) => "1",
                    (false, _) => "0",
                });
                styles.clean()?;
                dirty::maybe_write(&mut styles, &mut rng, &mut next_style, &Context::parent(product_id))?;
                for _ in 0..weighted(&mut rng, &[2, 10, 20, 35, 25, 8]) {
                    let (url, thumbnail) = photo_urls(&mut rng);
                    photos
                        .int(next_photo)
                        .int(style_id)
                        .text(&url)
                        .text(&thumbnail)
                        .clean()?;
                    next_photo += 1;
                    let context = Context::photo(style_id, &url, &thumbnail);
                    dirty::maybe_write(&mut photos, &mut rng, &mut next_photo, &context)?;
                }
                for size in sizes(&mut rng) {
                    skus.int(next_sku)
                        .int(style_id)
                        .text(size)
                        .int(rng.i32(0..=60))
                        .clean()?;
                    next_sku += 1;
                    dirty::maybe_write(&mut skus, &mut rng, &mut next_sku, &Context::parent(style_id))?;
                }
            }
        }
        self.close(styles)?;
        self.close(photos)?;
        self.close(skus)
    }

    /// Writes `related.csv`, with some repeated links for the service to collapse.
    fn related(&mut self, product_ids: &[i32]) -> io::Result<()> {
        let mut rng = self.rng(3);
        let mut related = self.open(SourceFile::Related)?;
        let mut next_id = 1;
        if product_ids.len() >= 2 {
            for &product_id in product_ids {
                let mut previous = None;
                for _ in 0..rng.u32(3..=6) {
                    let target = match previous {
                        Some(target) if rng.u8(..30) == 0 => target,
                        _ => loop {
                            let candidate = product_ids[rng.usize(..product_ids.len())];
                            if candidate != product_id {
                                break candidate;
                            }
                        },
                    };
                    previous = Some(target);
                    related.int(next_id).int(product_id).int(target).clean()?;
                    next_id += 1;
                    dirty::maybe_write(&mut related, &mut rng, &mut next_id, &Context::parent(product_id))?;
                }
            }
        }
        self.close(related)
    }
}

/// Draws an index with probability proportional to `weights`.
fn weighted(rng: &mut Rng, weights: &[u32]) -> usize {
    let mut roll = rng.u32(..weights.iter().sum::<u32>());
    for (index, &weight) in weights.iter().enumerate() {
        if roll < weight {
            return index;
        }
        roll -= weight;
    }
    weights.len() - 1
}

/// A product's price in cents: 1 to 500 dollars, a fifth of them with cents.
fn product_price_cents(rng: &mut Rng) -> u64 {
    let dollars = rng.u64(1..=500);
    let cents = if rng.u8(..5) == 0 { rng.u64(1..100) } else { 0 };
    dollars * 100 + cents
}

/// A style's original price in cents: 5 to 1000 dollars, a fifth of them at .99.
fn style_price_cents(rng: &mut Rng) -> u64 {
    let dollars = rng.u64(5..=1000);
    dollars * 100 + if rng.u8(..5) == 0 { 99 } else { 0 }
}
