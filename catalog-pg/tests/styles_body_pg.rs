//! The styles answer as PostgreSQL stores it: `styles_body` gives, byte for
//! byte, what serializing the typed answer gives, on the memory store (an
//! independent reading of the same files) and on PostgreSQL's own typed read,
//! for a generated catalog and for hand-written awkward text.

use std::path::Path;

use catalog_contract::Fixture;
use catalog_core::{CatalogStore, ProductId, StoreError};
use catalog_mem::MemStore;
use catalog_pg::testing::TestDatabase;
use catalog_pg::{PgConfig, PgStore, import};

/// Imports `dir` into a fresh database and loads it into memory.
async fn both_stores(dir: &Path) -> (TestDatabase, PgStore, MemStore) {
    let db = TestDatabase::empty();
    let (url, path) = (db.url().to_owned(), dir.to_owned());
    tokio::task::spawn_blocking(move || import(&url, &path, &mut Vec::new()).expect("import"))
        .await
        .unwrap();
    let (mem, _) = MemStore::load(dir, &mut Vec::new()).expect("load");
    let pg = PgStore::connect(&PgConfig::new(db.url())).await.expect("connect");
    (db, pg, mem)
}

/// The serialized typed answer, or the error's message.
fn serialized(answer: Result<catalog_core::ProductStyles, StoreError>) -> Result<Vec<u8>, String> {
    answer
        .map(|styles| serde_json::to_vec(&styles).unwrap())
        .map_err(|err| err.to_string())
}

/// A body as text, for readable failures.
fn shown(body: &Result<Vec<u8>, String>) -> Result<String, String> {
    body.clone().map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

/// Checks `styles_body` for each of `ids` against both typed answers.
async fn assert_bodies(pg: &PgStore, mem: &MemStore, ids: impl IntoIterator<Item = i32>) -> usize {
    let mut checked = 0;
    for id in ids {
        let id = ProductId::new(id).unwrap();
        let body = pg.styles_body(id).await.map_err(|err| err.to_string());
        let expected = serialized(mem.styles(id).await);
        assert_eq!(
            shown(&body),
            shown(&expected),
            "product {id}: the memory store's answer"
        );
        assert_eq!(body, serialized(pg.styles(id).await), "product {id}: the typed read");
        checked += 1;
    }
    checked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stored_body_is_the_serialized_answer_for_every_generated_product() {
    let fixture = Fixture::standard();
    let (_db, pg, mem) = both_stores(fixture.path()).await;
    let oracle = &fixture.oracle;
    let ids = oracle
        .product_ids()
        .into_iter()
        .chain(oracle.gap_ids())
        .chain([i32::MAX]);
    assert!(assert_bodies(&pg, &mem, ids).await > 100);
}

/// The files of `source` with the lines after each header in reverse order.
fn reversed_copy(source: &Path, target: &Path) {
    for entry in std::fs::read_dir(source).expect("the fixture's files") {
        let path = entry.expect("a fixture file").path();
        let text = std::fs::read_to_string(&path).expect("a fixture file");
        let mut lines = text.lines();
        let header = lines.next().unwrap_or_default();
        let mut reversed: Vec<&str> = lines.collect();
        reversed.reverse();
        let body: String = reversed.iter().map(|line| format!("{line}\n")).collect();
        std::fs::write(target.join(path.file_name().unwrap()), format!("{header}\n{body}")).expect("write");
    }
}

/// The import keeps products, and parks photos and SKUs, as they come, and
/// sorts them itself: files in descending id order give the documents and
/// the product pages of the memory store (which sorts on its own).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_in_descending_order_give_the_same_documents_and_pages() {
    let fixture = Fixture::standard();
    let dir = tempfile::tempdir().expect("temporary directory");
    reversed_copy(fixture.path(), dir.path());
    let (_db, pg, mem) = both_stores(dir.path()).await;
    let ids = fixture.oracle.product_ids();
    assert!(assert_bodies(&pg, &mem, ids.iter().copied()).await > 100);
    for page in [1, 2, 7] {
        let page = catalog_core::Page::new(page, 50).unwrap();
        let (from_pg, from_mem) = (pg.products(page).await.unwrap(), mem.products(page).await.unwrap());
        assert_eq!(from_pg, from_mem, "{page:?}");
        assert!(!from_pg.is_empty() && from_pg.is_sorted_by_key(|product| product.id));
    }
}

/// Product, style, photo and SKU text that JSON must escape, or must not.
const AWKWARD: [&str; 6] = [
    r#"Quote "" and back\slash \" \\"#,
    "tab\there, bell\u{7}, unit\u{1f}, escape\u{1b}, delete\u{7f}, form\u{c}feed, back\u{8}space",
    "</script><script>alert(1)</script> & <b>",
    "Ünïcødé — ✓ 😀 \u{2028}\u{2029} \u{feff}",
    "slash / and \\/ and \\u0041",
    "",
];

fn write_awkward_catalog(dir: &Path) {
    let quoted = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
    let mut product = String::from("id,name,slogan,description,category,default_price\n");
    let mut styles = String::from("id,productId,name,sale_price,original_price,default_style\n");
    let mut photos = String::from("id,styleId,url,thumbnail_url\n");
    let mut skus = String::from("id,styleId,size,quantity\n");
    for (index, text) in AWKWARD.iter().enumerate() {
        let n = index + 1;
        let name = if text.is_empty() {
            "plain".to_owned()
        } else {
            quoted(text)
        };
        product.push_str(&format!(
            "{n},{name},{},{},{},{n}.50\n",
            quoted(text),
            quoted(text),
            quoted(text)
        ));
        // Two styles per product: one on sale with photos and SKUs (ids out of
        // text order: 10 after 9), one with neither.
        styles.push_str(&format!("{},{n},{name},{n}.05,{n}0.00,1\n", 2 * n));
        styles.push_str(&format!("{},{n},{name} bare,null,0,0\n", 2 * n + 1));
        photos.push_str(&format!(
            "{n},{},{},{}\n",
            2 * n,
            quoted(&format!("https://x/{text}")),
            quoted(text)
        ));
        skus.push_str(&format!("{},{},{name},{n}\n", 9 + 2 * index, 2 * n));
        skus.push_str(&format!("{},{},{},0\n", 10 + 2 * index, 2 * n, quoted(text)));
    }
    // A product without styles.
    product.push_str("99,Lonely,,,,0\n");
    let files = [
        ("product.csv", product),
        ("features.csv", "id,product_id,feature,value\n".to_owned()),
        ("styles.csv", styles),
        ("photos.csv", photos),
        ("skus.csv", skus),
        ("related.csv", "id,current_product_id,related_product_id\n".to_owned()),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write a source file");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awkward_text_is_escaped_as_serde_json_escapes_it() {
    let dir = tempfile::tempdir().expect("temporary directory");
    write_awkward_catalog(dir.path());
    let (_db, pg, mem) = both_stores(dir.path()).await;
    let ids: Vec<i32> = (1..=AWKWARD.len() as i32).chain([99, 100]).collect();
    assert_eq!(assert_bodies(&pg, &mem, ids).await, AWKWARD.len() + 2);
    let first = pg.styles(ProductId::new(1).unwrap()).await.expect("styles");
    assert_eq!(first.results.len(), 2, "every hand-written style was accepted");
    assert_eq!(first.results[0].name, AWKWARD[0]);
    assert_eq!(first.results[0].skus.0.len(), 2);
}

/// The earlier forms the benchmarks compare (feature `bench-styles-forms`,
/// on in a workspace-wide test run through the benches' dependency) still
/// give the read model's answers, so the comparison stays fair.
#[cfg(feature = "bench-styles-forms")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_benchmarked_forms_answer_as_the_read_model() {
    let dir = tempfile::tempdir().expect("temporary directory");
    write_awkward_catalog(dir.path());
    let (db, pg, _mem) = both_stores(dir.path()).await;
    let url = db.url().to_owned();
    tokio::task::spawn_blocking(move || catalog_pg::create_style_details_view(&url))
        .await
        .unwrap()
        .expect("the view");
    for id in (1..=AWKWARD.len() as i32).chain([99, 100]) {
        let id = ProductId::new(id).unwrap();
        let read_model = serialized(pg.styles(id).await);
        assert_eq!(serialized(pg.styles_pipelined(id).await), read_model, "pipelined, {id}");
        assert_eq!(
            serialized(pg.styles_aggregated(id).await),
            read_model,
            "aggregated, {id}"
        );
    }
}

/// The writes rebuild one product's row with `product_styles_render` (SQL);
/// the import renders every row in Rust: the two give the same bytes for
/// every product of a generated catalog.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_product_render_is_the_imports_rendering_byte_for_byte() {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        differ: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        rows: i64,
    }
    let fixture = Fixture::standard();
    let (db, _pg, _mem) = both_stores(fixture.path()).await;
    let mut conn = diesel::PgConnection::establish(db.url()).unwrap();
    diesel::connection::SimpleConnection::batch_execute(&mut conn, "SET search_path = catalog").unwrap();
    let count = diesel::sql_query(
        "SELECT count(*) FILTER (WHERE results IS DISTINCT FROM product_styles_render(product_id)) AS differ, \
                count(*) AS rows FROM product_styles",
    )
    .get_result::<Count>(&mut conn)
    .unwrap();
    assert!(count.rows > 0);
    assert_eq!(count.differ, 0, "of {} rows", count.rows);
}
