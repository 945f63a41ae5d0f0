//! Adjustments patch the one quantity of their SKU in the product's styles
//! read model row instead of rendering it again: after single adjustments
//! and batches over many SKUs (ids of one, two and three digits, so one id
//! is a suffix of another), every row still equals `product_styles_render`
//! of the tables, byte for byte, and shows the new quantities.

mod common;

use catalog_core::write::{Adjustment, Batch, BatchItem, BodySkuId, Delta, WriteOp, WriteRequest};
use catalog_core::{CatalogWriter, SkuId};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

fn request(op: WriteOp) -> WriteRequest {
    common::write_request(op, "test")
}

fn sku(id: i32) -> SkuId {
    SkuId::new(id).expect("an id")
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

#[derive(QueryableByName)]
struct Holds {
    #[diesel(sql_type = Bool)]
    holds: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patched_rows_equal_a_full_render() {
    let (db, store) = common::imported_store(40, 9, |_| {}).await;
    let mut moved = 0;
    for id in [1, 2, 3, 12, 23, 123, 7, 70] {
        let adjust = Adjustment {
            delta: Delta(5),
            reason: None,
        };
        let written = store
            .write(request(WriteOp::AdjustSku(sku(id), adjust)))
            .await
            .expect("a write");
        assert_eq!(written.answer.status, 200, "{}", written.answer.body);
        moved += 1;
    }
    let adjustments = [4, 40, 104, 1, 11, 111]
        .into_iter()
        .map(|id| BatchItem {
            sku_id: BodySkuId(sku(id)),
            delta: Delta(3),
        })
        .collect();
    let batch = store
        .write(request(WriteOp::AdjustBatch(Batch {
            adjustments,
            reason: None,
        })))
        .await
        .expect("a batch");
    assert_eq!(batch.answer.status, 200, "{}", batch.answer.body);
    assert!(moved > 0);

    let mut conn = PgConnection::establish(db.url()).expect("connect");
    diesel::sql_query("SET search_path = catalog")
        .execute(&mut conn)
        .expect("search path");
    let differing: Count = diesel::sql_query(
        "SELECT count(*) AS count FROM catalog.product_styles \
         WHERE results IS DISTINCT FROM catalog.product_styles_render(product_id)",
    )
    .get_result(&mut conn)
    .expect("compare");
    assert_eq!(differing.count, 0, "every row equals its render");
    for (id, delta) in [(1, 8), (123, 5), (12, 5), (111, 3)] {
        let shown: Holds = diesel::sql_query(
            "SELECT strpos(p.results, '\"' || k.id || '\":{\"quantity\":' || k.quantity || ',') > 0 AS holds \
             FROM catalog.skus k JOIN catalog.styles s ON s.id = k.style_id \
             JOIN catalog.product_styles p ON p.product_id = s.product_id WHERE k.id = $1",
        )
        .bind::<diesel::sql_types::Integer, _>(id)
        .get_result(&mut conn)
        .expect("read");
        assert!(shown.holds, "SKU {id} (moved by {delta}) shows its quantity");
    }
}
