//! Migrating forward: a database whose catalog the earlier migrations'
//! functions made, with products in it, ends up as the SQL files make one.

use catalog_core::{CatalogStore, ProductId};
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_migrations::MigrationHarness;

use super::{MIGRATIONS, run_pending};
use crate::config::PgConfig;
use crate::store::PgStore;
use crate::testing::TestDatabase;

/// The four migrations before the catalog's DDL became files.
const EARLIER_MIGRATIONS: usize = 4;

/// A product with two styles, written as the earlier import left them.
const ROWS: &str = r#"
INSERT INTO catalog.products VALUES (1, 0, 'Quote " and \ slash', 's', 'd', 'c', 10);
INSERT INTO catalog.styles VALUES (1, 1, 'Plain', 5.5, 10, true), (2, 1, 'Bare', NULL, 12.3, false);
INSERT INTO catalog.photos VALUES (1, 1, 'https://u', 'https://t');
INSERT INTO catalog.skus VALUES (3, 1, 'XS', 8), (10, 1, 'S', 0);
DROP TABLE catalog.product_styles;
SELECT catalog_create_read_models('catalog');
"#;

/// What the catalog looks like: every column, constraint and index.
#[derive(QueryableByName, Debug, PartialEq)]
struct Shape {
    #[diesel(sql_type = Text)]
    item: String,
}

fn shape(conn: &mut PgConnection) -> Vec<String> {
    diesel::sql_query(
        "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' '
                || coalesce(column_default, '') AS item
         FROM information_schema.columns WHERE table_schema = 'catalog'
         UNION ALL
         SELECT conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
         WHERE connamespace = 'catalog'::regnamespace
         UNION ALL
         SELECT indexdef FROM pg_indexes WHERE schemaname = 'catalog'
         ORDER BY 1",
    )
    .load::<Shape>(conn)
    .expect("the catalog's shape")
    .into_iter()
    .map(|shape| shape.item)
    .collect()
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_the_earlier_migrations_migrates_forward_to_the_files_catalog() {
    let old = TestDatabase::empty();
    let mut conn = PgConnection::establish(old.url()).expect("connect");
    for _ in 0..EARLIER_MIGRATIONS {
        conn.run_next_migration(MIGRATIONS).expect("an earlier migration");
    }
    conn.batch_execute(ROWS).expect("rows as the earlier import wrote them");

    let applied = run_pending(&mut conn).expect("migrate forward");
    assert_eq!(applied.len(), 2, "{applied:?}"); // the declarative catalog, the write side
    let functions = diesel::sql_query("SELECT count(*) AS count FROM pg_proc WHERE proname LIKE 'catalog\\_%'")
        .get_result::<Count>(&mut conn)
        .expect("functions");
    assert_eq!(functions.count, 0, "the DDL functions are gone");

    let fresh = TestDatabase::empty();
    let mut fresh_conn = PgConnection::establish(fresh.url()).expect("connect");
    run_pending(&mut fresh_conn).expect("migrate a new database");
    assert_eq!(
        shape(&mut conn),
        shape(&mut fresh_conn),
        "the same catalog as the files make"
    );

    let store = PgStore::connect(&PgConfig::new(old.url())).await.expect("connect");
    let id = ProductId::new(1).unwrap();
    let body = store.styles_body(id).await.expect("the product kept its styles");
    let expected = serde_json::to_vec(&store.styles(id).await.expect("styles")).unwrap();
    assert_eq!(String::from_utf8_lossy(&body), String::from_utf8_lossy(&expected));
    assert_eq!(
        String::from_utf8_lossy(&body),
        concat!(
            r#"{"product_id":"1","results":[{"style_id":1,"name":"Plain","original_price":"10.00","sale_price":"5.50","#,
            r#""default?":true,"photos":[{"thumbnail_url":"https://t","url":"https://u"}],"#,
            r#""skus":{"3":{"quantity":8,"size":"XS"},"10":{"quantity":0,"size":"S"}}},"#,
            r#"{"style_id":2,"name":"Bare","original_price":"12.30","sale_price":null,"default?":false,"#,
            r#""photos":[{"thumbnail_url":null,"url":null}],"skus":{"null":{"quantity":null,"size":null}}}]}"#
        )
    );
}
