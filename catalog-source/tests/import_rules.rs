//! Every import rule of the contract, on small hand-written source files.

use std::fs;
use std::path::Path;

use catalog_source::{
    FeatureRow, ImportError, ImportReport, PhotoRow, ProductRow, RejectFile, RejectRecord, RelatedRow, RowSink,
    SinkError, SkuRow, SourceFile, StyleRow, import,
};

/// Records accepted rows as short strings, to see exactly what got through.
#[derive(Default)]
struct Rows(Vec<String>);

impl RowSink for Rows {
    fn product(&mut self, r: &ProductRow<'_>) -> Result<(), SinkError> {
        self.0.push(format!(
            "product {} {} [{}] {}",
            r.id, r.name, r.category, r.default_price
        ));
        Ok(())
    }
    fn feature(&mut self, r: &FeatureRow<'_>) -> Result<(), SinkError> {
        self.0.push(format!(
            "feature {} of {} {}={:?}",
            r.id, r.product_id, r.feature, r.value
        ));
        Ok(())
    }
    fn style(&mut self, r: &StyleRow<'_>) -> Result<(), SinkError> {
        let sale = r.sale_price.map(|p| p.to_string());
        self.0.push(format!(
            "style {} of {} {:?} {} {}",
            r.id, r.product_id, sale, r.original_price, r.default_style
        ));
        Ok(())
    }
    fn photo(&mut self, r: &PhotoRow<'_>) -> Result<(), SinkError> {
        self.0.push(format!(
            "photo {} of {} {} {}",
            r.id, r.style_id, r.url, r.thumbnail_url
        ));
        Ok(())
    }
    fn sku(&mut self, r: &SkuRow<'_>) -> Result<(), SinkError> {
        self.0
            .push(format!("sku {} of {} {} {}", r.id, r.style_id, r.size, r.quantity));
        Ok(())
    }
    fn related(&mut self, r: &RelatedRow) -> Result<(), SinkError> {
        self.0.push(format!(
            "related {} {}->{}",
            r.id, r.current_product_id, r.related_product_id
        ));
        Ok(())
    }
}

const HEADERS: [(&str, &str); 6] = [
    ("product.csv", "id,name,slogan,description,category,default_price\n"),
    ("features.csv", "id,product_id,feature,value\n"),
    (
        "styles.csv",
        "id,productId,name,sale_price,original_price,default_style\n",
    ),
    ("photos.csv", "id,styleId,url,thumbnail_url\n"),
    ("skus.csv", "id,styleId,size,quantity\n"),
    ("related.csv", "id,current_product_id,related_product_id\n"),
];

/// Writes the six files, each its header plus the given body.
fn source(bodies: [&str; 6]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for ((name, header), body) in HEADERS.iter().zip(bodies) {
        fs::write(dir.path().join(name), format!("{header}{body}")).unwrap();
    }
    dir
}

fn run(dir: &Path) -> (ImportReport, Vec<String>, Vec<RejectRecord>) {
    let mut rows = Rows::default();
    let mut rejects = Vec::new();
    let report = import(dir, &mut rows, &mut rejects).unwrap();
    assert!(report.reconciles(), "{report}");
    (report, rows.0, rejects)
}

/// (file, line, kind) of each reject, for compact assertions.
fn kinds(rejects: &[RejectRecord]) -> Vec<(&'static str, u64, &'static str)> {
    rejects
        .iter()
        .map(|r| (r.file.file_name(), r.line, r.reason.kind().as_str()))
        .collect()
}

#[test]
fn clean_rows_are_accepted_with_nulls_and_quotes() {
    let dir = source([
        "1,\"Camo Onesie\",\"Blend in\",\"The \"\"So\"\" Fatigues, yes\",\"Jackets\",140\n2,Shoes,,,,\"19.9\"\n",
        "1,1,\"Sole\",\"Rubber\"\n2,1,Material,null\n3,2,Cut,\n",
        "1,1,\"Forest Green & Black\",null,140,1\n2,1,Red,100,140.00,false\n3,2,Blue,,10,true\n",
        "1,1,\"https://a/1\",\"https://a/t1\"\n",
        "1,1,XS,8\n2,1,\"7.5\",0\n",
        "1,1,2\n2,2,1\n",
    ]);
    let (report, rows, rejects) = run(dir.path());
    assert!(rejects.is_empty(), "{rejects:?}");
    assert_eq!(report.rejected(), 0);
    assert_eq!(
        rows,
        [
            "product 1 Camo Onesie [Jackets] 140.00",
            "product 2 Shoes [] 19.90",
            "feature 1 of 1 Sole=Some(\"Rubber\")",
            "feature 2 of 1 Material=None",
            "feature 3 of 2 Cut=None",
            "style 1 of 1 None 140.00 true",
            "style 2 of 1 Some(\"100.00\") 140.00 false",
            "style 3 of 2 None 10.00 true",
            "photo 1 of 1 https://a/1 https://a/t1",
            "sku 1 of 1 XS 8",
            "sku 2 of 1 7.5 0",
            "related 1 1->2",
            "related 2 2->1",
        ]
    );
}

#[test]
fn malformed_rows_are_rejected_with_their_line_and_reason() {
    let dir = source([
        "1,A,s,d,c,10\n2,B,s,d,c\n3x,C,s,d,c,10\n4,,s,d,c,10\n5,E,s,d,c,1.234\n6,F,s,d,c,-5\n1,G,s,d,c,10\n\n7,H,s,d,c,10\n",
        "1,1,Sole,x\n2,abc,Sole,x\n3,1,,x\n1,1,Sole,y\n",
        "1,1,S,null,10,1\n2,1,S,cheap,10,0\n3,1,S,null,10,maybe\n4,0,S,null,10,1\n",
        "1,1,\"https://a/1,https://a/t1\n2,1,u,t\n3,1,u\n",
        "1,1,M,-1\n2,1,M,1.5\n3,1,M,\n4,1,M,2\n",
        "1,1,0\n2,1,1\n3,1,7\n4,7,1\n",
    ]);
    let (_, rows, rejects) = run(dir.path());
    assert_eq!(
        kinds(&rejects),
        [
            ("product.csv", 3, "field_count"),
            ("product.csv", 4, "invalid_id"),
            ("product.csv", 5, "empty_field"),
            ("product.csv", 6, "invalid_price"),
            ("product.csv", 7, "invalid_price"),
            ("product.csv", 8, "duplicate_id"),
            ("product.csv", 9, "field_count"),
            ("features.csv", 3, "invalid_id"),
            ("features.csv", 4, "empty_field"),
            ("features.csv", 5, "duplicate_id"),
            ("styles.csv", 3, "invalid_price"),
            ("styles.csv", 4, "invalid_boolean"),
            ("styles.csv", 5, "invalid_id"),
            ("photos.csv", 2, "unterminated_quote"),
            ("photos.csv", 4, "field_count"),
            ("skus.csv", 2, "invalid_quantity"),
            ("skus.csv", 3, "invalid_quantity"),
            ("skus.csv", 4, "empty_field"),
            ("related.csv", 2, "related_to_zero"),
            ("related.csv", 3, "related_to_self"),
        ]
    );
    // The line after the open quote was read on its own and accepted.
    assert!(rows.contains(&"photo 2 of 1 u t".to_owned()), "{rows:?}");
    assert!(rows.contains(&"product 7 H [c] 10.00".to_owned()));
    assert_eq!(rejects[0].reason.to_string(), "has 5 fields, expected 6");
    assert_eq!(rejects[0].raw, "2,B,s,d,c");
    assert_eq!(rejects[13].raw, "1,1,\"https://a/1,https://a/t1");
}

#[test]
fn references_are_checked_after_each_files_own_rejects() {
    let dir = source([
        "1,A,s,d,c,10\n2,B,s,d,c,bad\n3,C,s,d,c,10\n",
        "1,2,Sole,x\n2,3,Sole,x\n",
        "1,2,S,null,10,1\n2,3,S,null,10,1\n3,3,S,null,oops,0\n",
        "1,1,u,t\n2,2,u,t\n3,3,u,t\n",
        "1,1,M,1\n2,3,M,1\n",
        "1,1,2\n2,1,3\n3,9,1\n4,1,3\n",
    ]);
    let (report, rows, rejects) = run(dir.path());
    assert_eq!(
        kinds(&rejects),
        [
            ("product.csv", 3, "invalid_price"),
            ("features.csv", 2, "unknown_product"),
            ("styles.csv", 2, "unknown_product"),
            ("styles.csv", 4, "invalid_price"),
            ("photos.csv", 2, "unknown_style"),
            ("photos.csv", 4, "unknown_style"),
            ("skus.csv", 2, "unknown_style"),
            ("skus.csv", 3, "unknown_style"),
            ("related.csv", 2, "unknown_product"),
            ("related.csv", 4, "unknown_product"),
        ]
    );
    assert_eq!(
        rejects[1].reason.to_string(),
        "product_id 2 refers to no accepted product"
    );
    // A repeated link with a new row id is accepted: the service collapses it.
    assert!(rows.contains(&"related 2 1->3".to_owned()) && rows.contains(&"related 4 1->3".to_owned()));
    let related = report.file(SourceFile::Related).unwrap();
    assert_eq!((related.read, related.accepted, related.rejected), (4, 2, 2));
}

#[test]
fn a_rejected_rows_id_stays_free() {
    let dir = source(["1,A,s,d,c,x\n1,B,s,d,c,10\n", "", "", "", "", ""]);
    let (_, rows, rejects) = run(dir.path());
    assert_eq!(kinds(&rejects), [("product.csv", 2, "invalid_price")]);
    assert_eq!(rows, ["product 1 B [c] 10.00"]);
}

#[test]
fn crlf_bom_and_a_missing_final_newline_are_fine() {
    let dir = source(["1,A,s,d,c,10\r\n2,B,s,d,c,20", "", "", "", "", ""]);
    let product = dir.path().join("product.csv");
    let text = fs::read_to_string(&product)
        .unwrap()
        .replace("default_price\n", "default_price\r\n");
    fs::write(&product, format!("\u{feff}{text}")).unwrap();
    let (_, rows, rejects) = run(dir.path());
    assert!(rejects.is_empty(), "{rejects:?}");
    assert_eq!(rows, ["product 1 A [c] 10.00", "product 2 B [c] 20.00"]);
}

#[test]
fn a_wrong_header_refuses_the_import_before_any_row() {
    let dir = source(["1,A,s,d,c,10\n", "", "", "", "", ""]);
    fs::write(dir.path().join("skus.csv"), "id,style_id,size,quantity\n1,1,M,1\n").unwrap();
    let mut rows = Rows::default();
    let err = import(dir.path(), &mut rows, &mut Vec::new()).unwrap_err();
    assert!(rows.0.is_empty(), "nothing may be half-loaded");
    assert_eq!(
        err.to_string(),
        "skus.csv has header \"id,style_id,size,quantity\", expected \"id,styleId,size,quantity\""
    );
}

#[test]
fn a_missing_file_is_named() {
    let dir = source(["", "", "", "", "", ""]);
    fs::remove_file(dir.path().join("related.csv")).unwrap();
    let err = import(dir.path(), &mut Rows::default(), &mut Vec::new()).unwrap_err();
    assert!(matches!(err, ImportError::Io { .. }));
    assert!(err.to_string().contains("related.csv"), "{err}");
}

#[test]
fn the_reject_file_holds_file_line_reason_and_raw_line() {
    let dir = source(["1,A,s,d,c,10\n2,\"B, \"\"the\"\" one\",s,d,c,?\n", "", "", "", "", ""]);
    let path = dir.path().join("rejects.csv");
    let mut file = RejectFile::new(&path);
    import(dir.path(), &mut Rows::default(), &mut file).unwrap();
    file.finish().unwrap();
    assert_eq!(file.written(), 1);
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(
        records[0].iter().collect::<Vec<_>>(),
        [
            "product.csv",
            "3",
            "invalid_price",
            "default_price not a decimal number",
            "2,\"B, \"\"the\"\" one\",s,d,c,?"
        ]
    );
}

#[test]
fn a_clean_import_creates_no_reject_file() {
    let dir = source(["1,A,s,d,c,10\n", "", "", "", "", ""]);
    let path = dir.path().join("rejects.csv");
    let mut file = RejectFile::new(&path);
    import(dir.path(), &mut Rows::default(), &mut file).unwrap();
    assert!(!path.exists());
}
