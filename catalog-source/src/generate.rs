//! A deterministic synthetic catalog in the source format, with optional dirty rows.
//!
//! The proportions follow the full source set (per product: about 2.2
//! features, 1.96 styles, 4.5 related links; per style: about 2.9 photos and
//! 5.8 SKUs; about 2% of styles have no photos and 2% no SKUs). Dirty rows are *extra* lines written after a clean row, each of a
//! kind the import must refuse; they consume a fresh row id where they have a
//! valid one, so accepted ids have gaps, and no clean row ever refers to a
//! dirty one. Every dirty line is listed in [`GenerateSummary::dirty`] and in
//! `dirty.csv` beside the six files, with the reject kind the import must give.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::SourceFile;

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
    pub kind: &'static str,
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

/// A product id no generated row has, for orphan references.
const MISSING_ID: i32 = 2_000_000_000;

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
    let mut manifest = BufWriter::new(File::create(dir.join(DIRTY_MANIFEST))?);
    writeln!(manifest, "file,line,kind")?;
    for dirty in &summary.dirty {
        writeln!(manifest, "{},{},{}", dirty.file, dirty.line, dirty.kind)?;
    }
    manifest.flush()?;
    Ok(summary)
}

struct Generator<'a> {
    config: &'a GenerateConfig,
    dir: &'a Path,
    summary: GenerateSummary,
}

impl Generator<'_> {
    fn rng(&self, salt: u64) -> fastrand::Rng {
        fastrand::Rng::with_seed(self.config.seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15))
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
                .price(&mut rng, 500);
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
                if features.dirty_now(&mut rng) {
                    match rng.u8(..4) {
                        0 => features
                            .int(next_feature)
                            .int(MISSING_ID)
                            .text("Sole")
                            .raw("null")
                            .dirty("unknown_product")?,
                        1 => features
                            .int(next_feature)
                            .raw("seven")
                            .text("Sole")
                            .raw("null")
                            .dirty("invalid_id")?,
                        2 => features.int(next_feature).int(id).text("Sole").dirty("field_count")?,
                        _ => features.duplicate()?,
                    }
                    next_feature += 1;
                }
            }
            if products.dirty_now(&mut rng) {
                let dirty_id = next_product;
                next_product += 1;
                match rng.u8(..5) {
                    0 => products
                        .int(dirty_id)
                        .text("Odd Kicks")
                        .text("")
                        .text("")
                        .text("Kicks")
                        .raw("12.x4")
                        .dirty("invalid_price")?,
                    1 => products
                        .int(dirty_id)
                        .text("")
                        .text("s")
                        .text("d")
                        .text("Kicks")
                        .raw("10")
                        .dirty("empty_field")?,
                    2 => products
                        .int(dirty_id)
                        .text("Short Row")
                        .text("s")
                        .text("d")
                        .text("Kicks")
                        .dirty("field_count")?,
                    3 => products
                        .raw(&format!("{dirty_id}a"))
                        .text("Bad Id")
                        .text("")
                        .text("")
                        .text("Kicks")
                        .raw("10")
                        .dirty("invalid_id")?,
                    _ => products.duplicate()?,
                }
            }
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
                if styles.dirty_now(&mut rng) {
                    let id = next_style;
                    next_style += 1;
                    match rng.u8(..4) {
                        0 => styles
                            .int(id)
                            .int(product_id)
                            .text("Dusk")
                            .raw("null")
                            .raw("ten")
                            .raw("0")
                            .dirty("invalid_price")?,
                        1 => styles
                            .int(id)
                            .int(MISSING_ID)
                            .text("Dusk")
                            .raw("null")
                            .raw("10")
                            .raw("0")
                            .dirty("unknown_product")?,
                        2 => styles
                            .int(id)
                            .int(product_id)
                            .text("Dusk")
                            .raw("null")
                            .raw("10")
                            .raw("yes")
                            .dirty("invalid_boolean")?,
                        _ => styles.duplicate()?,
                    }
                }
                for _ in 0..weighted(&mut rng, &[2, 10, 20, 35, 25, 8]) {
                    let (url, thumbnail) = photo_urls(&mut rng);
                    photos
                        .int(next_photo)
                        .int(style_id)
                        .text(&url)
                        .text(&thumbnail)
                        .clean()?;
                    next_photo += 1;
                    if photos.dirty_now(&mut rng) {
                        match rng.u8(..4) {
                            0 => {
                                let line = format!("{next_photo},{style_id},\"{url},{thumbnail}");
                                photos.raw(&line).dirty("unterminated_quote")?;
                            }
                            1 => photos
                                .int(next_photo)
                                .int(MISSING_ID)
                                .text(&url)
                                .text(&thumbnail)
                                .dirty("unknown_style")?,
                            2 => photos
                                .int(next_photo)
                                .int(style_id)
                                .text("")
                                .text(&thumbnail)
                                .dirty("empty_field")?,
                            _ => photos.duplicate()?,
                        }
                        next_photo += 1;
                    }
                }
                for size in sizes(&mut rng) {
                    skus.int(next_sku)
                        .int(style_id)
                        .text(size)
                        .int(rng.i32(0..=60))
                        .clean()?;
                    next_sku += 1;
                    if skus.dirty_now(&mut rng) {
                        match rng.u8(..4) {
                            0 => skus
                                .int(next_sku)
                                .int(style_id)
                                .text("M")
                                .raw("-3")
                                .dirty("invalid_quantity")?,
                            1 => skus
                                .int(next_sku)
                                .int(MISSING_ID)
                                .text("M")
                                .raw("3")
                                .dirty("unknown_style")?,
                            2 => skus.int(next_sku).int(style_id).text("M").dirty("field_count")?,
                            _ => skus.duplicate()?,
                        }
                        next_sku += 1;
                    }
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
                    if related.dirty_now(&mut rng) {
                        match rng.u8(..4) {
                            0 => related.int(next_id).int(product_id).int(0).dirty("related_to_zero")?,
                            1 => related
                                .int(next_id)
                                .int(product_id)
                                .int(product_id)
                                .dirty("related_to_self")?,
                            2 => related
                                .int(next_id)
                                .int(product_id)
                                .int(MISSING_ID)
                                .dirty("unknown_product")?,
                            _ => related.duplicate()?,
                        }
                        next_id += 1;
                    }
                }
            }
        }
        self.close(related)
    }
}

/// One output file: builds a line field by field, then writes it as clean or dirty.
struct Out {
    file: SourceFile,
    writer: BufWriter<File>,
    line: String,
    last_clean: String,
    line_number: u64,
    dirty_rate: f64,
    dirty: Vec<DirtyLine>,
}

impl Out {
    fn create(dir: &Path, file: SourceFile, dirty_rate: f64) -> io::Result<Out> {
        let mut writer = BufWriter::with_capacity(1 << 20, File::create(dir.join(file.file_name()))?);
        writeln!(writer, "{}", file.header())?;
        let line = String::new();
        Ok(Out {
            file,
            writer,
            line,
            last_clean: String::new(),
            line_number: 1,
            dirty_rate,
            dirty: Vec::new(),
        })
    }

    fn separate(&mut self) {
        if !self.line.is_empty() {
            self.line.push(',');
        }
    }

    /// Appends a field exactly as given.
    fn raw(&mut self, text: &str) -> &mut Out {
        self.separate();
        self.line.push_str(text);
        self
    }

    fn int(&mut self, value: i32) -> &mut Out {
        self.raw(itoa::Buffer::new().format(value))
    }

    /// Appends a quoted text field, doubling inner quotes as the source does.
    fn text(&mut self, text: &str) -> &mut Out {
        self.separate();
        self.line.push('"');
        for part in text.split_inclusive('"') {
            self.line.push_str(part);
            if part.ends_with('"') {
                self.line.push('"');
            }
        }
        self.line.push('"');
        self
    }

    fn cents(&mut self, cents: u64) -> &mut Out {
        let text = if cents.is_multiple_of(100) {
            format!("{}", cents / 100)
        } else {
            format!("{}.{:02}", cents / 100, cents % 100)
        };
        self.raw(&text)
    }

    fn price(&mut self, rng: &mut fastrand::Rng, max_dollars: u64) -> &mut Out {
        let dollars = rng.u64(1..=max_dollars);
        let cents = if rng.u8(..5) == 0 { rng.u64(1..100) } else { 0 };
        self.cents(dollars * 100 + cents)
    }

    fn write_line(&mut self) -> io::Result<u64> {
        self.writer.write_all(self.line.as_bytes())?;
        self.writer.write_all(b"\n")?;
        self.line_number += 1;
        Ok(self.line_number)
    }

    fn clean(&mut self) -> io::Result<()> {
        self.write_line()?;
        std::mem::swap(&mut self.line, &mut self.last_clean);
        self.line.clear();
        Ok(())
    }

    fn dirty_now(&self, rng: &mut fastrand::Rng) -> bool {
        self.dirty_rate > 0.0 && rng.f64() < self.dirty_rate
    }

    fn dirty(&mut self, kind: &'static str) -> io::Result<()> {
        let line = self.write_line()?;
        self.line.clear();
        self.dirty.push(DirtyLine {
            file: self.file,
            line,
            kind,
        });
        Ok(())
    }

    /// Writes the last clean line again: a row whose id repeats an earlier one.
    fn duplicate(&mut self) -> io::Result<()> {
        self.line.clone_from(&self.last_clean);
        self.dirty("duplicate_id")
    }

    fn finish(mut self) -> io::Result<(SourceFile, u64, Vec<DirtyLine>)> {
        self.writer.flush()?;
        Ok((self.file, self.line_number - 1, self.dirty))
    }
}

fn pick<'a>(rng: &mut fastrand::Rng, items: &[&'a str]) -> &'a str {
    items[rng.usize(..items.len())]
}

/// Draws an index with probability proportional to `weights`.
fn weighted(rng: &mut fastrand::Rng, weights: &[u32]) -> usize {
    let mut roll = rng.u32(..weights.iter().sum::<u32>());
    for (index, &weight) in weights.iter().enumerate() {
        if roll < weight {
            return index;
        }
        roll -= weight;
    }
    weights.len() - 1
}

fn name(rng: &mut fastrand::Rng) -> String {
    let (first, second) = (pick(rng, NAME_FIRST), pick(rng, NAME_SECOND));
    match rng.u8(..4) {
        0 => format!("{first} {second} {}", rng.u16(1..1000)),
        _ => format!("{first} {second}"),
    }
}

fn description(rng: &mut fastrand::Rng) -> String {
    let sentences: Vec<&str> = (0..rng.usize(1..=3)).map(|_| pick(rng, DESCRIPTIONS)).collect();
    sentences.join(" ")
}

fn style_name(rng: &mut fastrand::Rng) -> String {
    match rng.u8(..3) {
        0 => pick(rng, COLORS).to_owned(),
        _ => format!("{} & {}", pick(rng, COLORS), pick(rng, COLORS)),
    }
}

fn style_price_cents(rng: &mut fastrand::Rng) -> u64 {
    let dollars = rng.u64(5..=1000);
    dollars * 100 + if rng.u8(..5) == 0 { 99 } else { 0 }
}

fn photo_urls(rng: &mut fastrand::Rng) -> (String, String) {
    let photo = format!(
        "photo-{}-{:012x}",
        rng.u64(1_400_000_000_000..1_600_000_000_000),
        rng.u64(..1 << 48)
    );
    let long = if rng.u16(..500) == 0 {
        format!("&ixid={}", "M3wxMjA3fDB8MXxzZWFyY2h8".repeat(60))
    } else {
        String::new()
    };
    let base = "https://images.unsplash.com";
    let query = "ixlib=rb-1.2.1&auto=format&fit=crop";
    (
        format!("{base}/{photo}?{query}&w=668&q=80{long}"),
        format!("{base}/{photo}?{query}&w=300&q=80{long}"),
    )
}

fn sizes(rng: &mut fastrand::Rng) -> &'static [&'static str] {
    const CLOTHING: &[&str] = &["XS", "S", "M", "L", "XL", "XXL"];
    const SHOES: &[&str] = &["7", "7.5", "8", "8.5", "9", "9.5", "10", "10.5", "11", "11.5", "12"];
    match rng.u8(..50) {
        0..=32 => CLOTHING,
        33..=42 => {
            let start = rng.usize(..=2);
            &SHOES[start..start + 9]
        }
        43..=48 => &["One Size"],
        // Not stocked yet: the styles answer's all-null SKU placeholder.
        _ => &[],
    }
}

const NAME_FIRST: &[&str] = &[
    "Camo",
    "Air",
    "Heir",
    "Pumped Up",
    "Bright Future",
    "Morning Joy",
    "Slacker's",
    "Infinity",
    "Summer",
    "Retro",
    "Urban",
    "Trail",
    "Classic",
    "Midnight",
    "Cozy",
    "Swift",
    "Coastal",
    "Alpine",
];
const NAME_SECOND: &[&str] = &[
    "Onesie",
    "Minis",
    "Force",
    "Kicks",
    "Sunglasses",
    "Slacks",
    "Jacket",
    "Cap",
    "Hoodie",
    "Tee",
    "Shorts",
    "Socks",
    "Backpack",
    "Joggers",
    "Sneakers",
    "Beanie",
    "Parka",
    "Sandals",
];
const SLOGANS: &[&str] = &[
    "Blend in to your crowd",
    "Full court support",
    "Stay cool in style",
    "Where comfort meets speed",
    "You've got to wear shades",
    "Comfortable for everything, or nothing",
    "Built for the long haul",
    "Made to move",
    "Light as air",
    "Ready for anything",
];
const DESCRIPTIONS: &[&str] = &[
    "The So Fatigues will wake you up and fit you in.",
    "This optimized air cushion pocket reduces impact but keeps a perfect balance underfoot.",
    "Where you're going you might not need roads, but you definitely need some shades.",
    "I'll tell you how great they are after I nap for a bit.",
    "Our \"Everyday\" line, washed twice for softness, is made to last.",
    "Lightweight, breathable, and tough: it goes where you go.",
    "A classic cut with modern stretch, so you can bend, reach, and run.",
];
const CATEGORIES: &[&str] = &[
    "Jackets",
    "Accessories",
    "Pants",
    "Kicks",
    "Basketball Shoes",
    "Running Shoes",
    "Dress Shoes",
    "Heels",
    "Boots",
    "Tops",
    "Shorts",
    "Hats",
    "Socks",
    "Backpacks",
    "Sunglasses",
    "Sweatshirts",
];
const COLORS: &[&str] = &[
    "Forest Green",
    "Black",
    "Desert Brown",
    "Ocean Blue",
    "White",
    "Red",
    "Navy",
    "Gold",
    "Silver",
    "Maroon",
    "Olive",
    "Sky Blue",
    "Charcoal",
    "Cream",
    "Dark Grey",
    "Tan",
];
const FEATURES: &[(&str, &[&str])] = &[
    ("Sole", &["Rubber", "Foam", "Leather"]),
    ("Material", &["FullControlSkin", "Canvas", "Suede", "Cotton"]),
    (
        "Fabric",
        &["100% Cotton", "Double Stitch", "Canvas, with \"Dri-Fit\" lining"],
    ),
    ("Buttons", &["Brass", "Wood", "Plastic"]),
    ("Lenses", &["Ultrasheen", "Polarized", "Mirrored"]),
    ("Frame", &["AllLight", "Titanium", "Acetate"]),
    ("Stitching", &["Double Stitch", "Cross Stitch"]),
    ("Cut", &["Skinny", "Loose", "Straight"]),
    ("Non-GMO", &["true"]),
    ("Green Leaf Certified", &["true", "false"]),
];
