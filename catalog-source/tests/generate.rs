//! The generator's output imports with exactly the rejects it says it made.

use std::collections::HashSet;

use catalog_source::generate::dirty_kinds;
use catalog_source::{
    FeatureRow, GenerateConfig, PhotoRow, ProductRow, RejectRecord, RelatedRow, RowSink, SinkError, SkuRow, SourceFile,
    StyleRow, generate, import,
};

/// Counts accepted rows per file.
#[derive(Default)]
struct Counts([u64; 6]);

impl RowSink for Counts {
    fn product(&mut self, _: &ProductRow<'_>) -> Result<(), SinkError> {
        self.0[0] += 1;
        Ok(())
    }
    fn feature(&mut self, _: &FeatureRow<'_>) -> Result<(), SinkError> {
        self.0[1] += 1;
        Ok(())
    }
    fn style(&mut self, _: &StyleRow<'_>) -> Result<(), SinkError> {
        self.0[2] += 1;
        Ok(())
    }
    fn photo(&mut self, _: &PhotoRow<'_>) -> Result<(), SinkError> {
        self.0[3] += 1;
        Ok(())
    }
    fn sku(&mut self, _: &SkuRow<'_>) -> Result<(), SinkError> {
        self.0[4] += 1;
        Ok(())
    }
    fn related(&mut self, _: &RelatedRow) -> Result<(), SinkError> {
        self.0[5] += 1;
        Ok(())
    }
}

#[test]
fn rejects_match_the_dirty_manifest_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let config = GenerateConfig {
        products: 2_000,
        seed: 42,
        dirty_rate: 0.03,
    };
    let summary = generate(&config, dir.path()).unwrap();
    let mut counts = Counts::default();
    let mut rejects: Vec<RejectRecord> = Vec::new();
    let report = import(dir.path(), &mut counts, &mut rejects).unwrap();

    assert!(report.reconciles());
    let got: HashSet<_> = rejects.iter().map(|r| (r.file, r.line, r.reason.kind())).collect();
    let expected: HashSet<_> = summary.dirty.iter().map(|d| (d.file, d.line, d.kind)).collect();
    assert_eq!(got.len(), rejects.len());
    assert_eq!(got, expected);
    for file in SourceFile::ALL {
        let kinds: HashSet<_> = summary
            .dirty
            .iter()
            .filter(|d| d.file == file)
            .map(|d| d.kind)
            .collect();
        let claimed: HashSet<_> = dirty_kinds(file).collect();
        assert_eq!(kinds, claimed, "{file}: every dirty kind should show up");
    }
    for ((file, lines), file_report) in summary.lines.iter().zip(&report.files) {
        assert_eq!((*file, *lines), (file_report.file, file_report.read));
    }
    assert_eq!(counts.0[0], 2_000);
}

#[test]
fn proportions_follow_the_full_set() {
    let dir = tempfile::tempdir().unwrap();
    let config = GenerateConfig {
        products: 5_000,
        seed: 1,
        dirty_rate: 0.0,
    };
    let summary = generate(&config, dir.path()).unwrap();
    assert!(summary.dirty.is_empty());
    let lines: Vec<f64> = summary.lines.iter().map(|(_, n)| *n as f64).collect();
    let per_product = |n: f64| n / 5_000.0;
    let (features, styles, related) = (per_product(lines[1]), per_product(lines[2]), per_product(lines[5]));
    let (photos, skus) = (lines[3] / lines[2], lines[4] / lines[2]);
    assert!((2.0..2.4).contains(&features), "features per product {features}");
    assert!((1.85..2.1).contains(&styles), "styles per product {styles}");
    assert!((2.7..3.1).contains(&photos), "photos per style {photos}");
    assert!((5.5..6.1).contains(&skus), "skus per style {skus}");
    assert!((4.3..4.7).contains(&related), "related per product {related}");
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let config = GenerateConfig {
        products: 300,
        seed: 9,
        dirty_rate: 0.05,
    };
    generate(&config, a.path()).unwrap();
    generate(&config, b.path()).unwrap();
    generate(&GenerateConfig { seed: 10, ..config }, c.path()).unwrap();
    for file in SourceFile::ALL {
        let read = |dir: &tempfile::TempDir| std::fs::read(dir.path().join(file.file_name())).unwrap();
        assert_eq!(read(&a), read(&b), "{file}");
        assert_ne!(read(&a), read(&c), "{file} should change with the seed");
    }
}
