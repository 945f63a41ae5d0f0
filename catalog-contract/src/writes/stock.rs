//! Checks of stock under concurrency: adjustments, batches, oversell, and
//! the change log reconciling with the quantities.

use std::collections::HashMap;

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Call, WriteApp};

fn adjust<'a>(app: &'a WriteApp, sku: i64, delta: i64) -> Call<'a> {
    Call::new(Method::POST, format!("/skus/{sku}/adjustments"))
        .token(&app.tokens.inventory)
        .json(&json!({"delta": delta}))
}

fn batch<'a>(app: &'a WriteApp, moves: &[(i64, i64)]) -> Call<'a> {
    let adjustments: Vec<Value> = moves
        .iter()
        .map(|(sku, delta)| json!({"sku_id": sku, "delta": delta}))
        .collect();
    Call::new(Method::POST, "/adjustments")
        .token(&app.tokens.inventory)
        .json(&json!({"adjustments": adjustments, "reason": "order"}))
}

async fn quantity(app: &WriteApp, sku: i64) -> i64 {
    app.sku(sku).await.json()["quantity"].as_i64().expect("a quantity")
}

/// A sale takes stock and answers the SKU; one too big is 409 with
/// `available` and changes nothing; past the largest quantity is 422.
pub async fn adjustments_move_stock_or_say_what_is_left(app: &WriteApp) {
    let (product, skus) = app.product_with_skus(1, 5).await;
    let sold = app.send(adjust(app, skus[0], -2)).await;
    assert_eq!(sold.status, StatusCode::OK, "{}", sold.text);
    let body = sold.json();
    assert_eq!(body["quantity"], 3);
    assert_eq!(body["product_id"].as_i64(), Some(product));
    assert_eq!(sold.text, app.sku(skus[0]).await.text);
    assert_eq!(sold.header("etag"), app.sku(skus[0]).await.header("etag"));
    let short = app.send(adjust(app, skus[0], -4)).await;
    assert_eq!(short.status, StatusCode::CONFLICT);
    assert_eq!(short.json()["available"], 3);
    assert!(short.json()["error"].is_string());
    assert_eq!(quantity(app, skus[0]).await, 3, "a 409 changes nothing");
    assert_eq!(app.send(adjust(app, skus[0], -3)).await.json()["quantity"], 0);
    app.set_quantity(skus[0], i64::from(i32::MAX) - 1).await;
    assert_eq!(
        app.send(adjust(app, skus[0], 2)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(app.send(adjust(app, skus[0], 1)).await.json()["quantity"], i32::MAX);
    let styles = app.get(&format!("/products/{product}/styles")).await.json();
    assert_eq!(styles["results"][0]["skus"][skus[0].to_string()]["quantity"], i32::MAX);
}

/// Brings SKU `sku` to `quantity` by one adjustment (so an imported SKU's
/// product stays as imported, where a store may keep stock apart).
async fn restock_to(app: &WriteApp, sku: i64, quantity: i64) {
    let delta = quantity - self::quantity(app, sku).await;
    if delta != 0 {
        assert_eq!(app.send(adjust(app, sku, delta)).await.status, StatusCode::OK);
    }
}

/// 200 concurrent sales of one unit at quantity 50: exactly 50 succeed,
/// 150 are 409, the quantity ends at 0 and is never seen below it; for a SKU
/// created by a write and for one imported.
pub async fn no_oversell_under_concurrency(app: &WriteApp) {
    let (_, skus) = app.product_with_skus(1, 50).await;
    sell_200_of_50(app, skus[0]).await;
    restock_to(app, 7, 50).await;
    sell_200_of_50(app, 7).await;
}

async fn sell_200_of_50(app: &WriteApp, sku: i64) {
    let sales = join_all((0..200).map(|_| app.send(adjust(app, sku, -1)))).await;
    let ok = sales.iter().filter(|a| a.status == StatusCode::OK).count();
    let refused = sales.iter().filter(|a| a.status == StatusCode::CONFLICT).count();
    assert_eq!(
        (ok, refused),
        (50, 150),
        "{:?}",
        sales.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    let mut seen: Vec<i64> = sales
        .iter()
        .filter(|a| a.status == StatusCode::OK)
        .map(|a| a.json()["quantity"].as_i64().expect("a quantity"))
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..50).collect::<Vec<_>>(), "each sale saw its own unit");
    assert_eq!(quantity(app, sku).await, 0);
}

/// Concurrent sales and restocks sum exactly, on SKUs created by writes and
/// on imported ones: no lost update.
pub async fn concurrent_deltas_sum_exactly(app: &WriteApp) {
    let (_, mut skus) = app.product_with_skus(2, 1000).await;
    for imported in [8, 9] {
        restock_to(app, imported, 1000).await;
        skus.push(imported);
    }
    let deltas: Vec<(i64, i64)> = (0..240).map(|i| (skus[i % 2], [-3, 5, -1, 2, -7, 4][i % 6])).collect();
    let answers = join_all(deltas.iter().map(|&(sku, delta)| app.send(adjust(app, sku, delta)))).await;
    assert!(answers.iter().all(|a| a.status == StatusCode::OK));
    for &sku in &skus {
        let sum: i64 = deltas.iter().filter(|(s, _)| *s == sku).map(|(_, d)| d).sum();
        assert_eq!(quantity(app, sku).await, 1000 + sum);
    }
}

/// A batch with one short SKU changes none and lists every short one; an
/// unknown SKU is 422 naming it; a good batch answers each SKU in order.
pub async fn batches_are_all_or_nothing(app: &WriteApp) {
    let (_, skus) = app.product_with_skus(3, 2).await;
    let (_, other) = app.product_with_skus(1, 1).await;
    let refused = app
        .send(batch(
            app,
            &[(skus[0], -1), (skus[1], -5), (other[0], -2), (skus[2], -1)],
        ))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert_eq!(
        refused.json()["short"],
        json!([{"sku_id": skus[1], "available": 2}, {"sku_id": other[0], "available": 1}])
    );
    for &sku in skus.iter().chain(&other) {
        assert!(quantity(app, sku).await > 0, "nothing changed");
    }
    assert_eq!(quantity(app, skus[0]).await, 2);
    let unknown = app.send(batch(app, &[(skus[0], -1), (999_999, 1)])).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.text.contains("999999"), "{}", unknown.text);
    assert_eq!(quantity(app, skus[0]).await, 2, "nothing changed");
    let done = app
        .send(batch(app, &[(other[0], -1), (skus[2], 3), (skus[0], -2)]))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(!done.header("etag").is_empty(), "a success with a body carries an ETag");
    let answered: Vec<(i64, i64)> = done.json()["skus"]
        .as_array()
        .expect("skus")
        .iter()
        .map(|s| {
            (
                s["sku_id"].as_i64().expect("id"),
                s["quantity"].as_i64().expect("quantity"),
            )
        })
        .collect();
    assert_eq!(answered, [(other[0], 0), (skus[2], 5), (skus[0], 0)]);
}

/// Concurrent batches over the same SKUs in opposite orders all finish
/// (no deadlock, no timeout) and sum exactly.
pub async fn opposite_batches_never_deadlock(app: &WriteApp) {
    let (_, skus) = app.product_with_skus(4, 10_000).await;
    let (_, more) = app.product_with_skus(2, 10_000).await;
    let all: Vec<i64> = skus.iter().chain(&more).copied().collect();
    let calls = (0..60).map(|i| {
        let mut moves: Vec<(i64, i64)> = all.iter().map(|&sku| (sku, -1)).collect();
        if i % 2 == 1 {
            moves.reverse();
        }
        app.send(batch(app, &moves))
    });
    let answers = join_all(calls).await;
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    }
    for &sku in &all {
        assert_eq!(quantity(app, sku).await, 10_000 - 60);
    }
}

/// For every SKU, its quantity now is its starting quantity (as imported,
/// or from the entry that created it) plus each later entry's
/// `after − before`; one `sku.adjusted` per SKU of a batch.
pub async fn the_change_log_reconciles_with_quantities(app: &WriteApp) {
    let imported = [1, 2, 3];
    let start: HashMap<i64, i64> = join_all(
        imported
            .iter()
            .map(|&sku| async move { (sku, quantity(app, sku).await) }),
    )
    .await
    .into_iter()
    .collect();
    let (_, skus) = app.product_with_skus(2, 9).await;
    let moves = [(1, 4), (2, 1), (skus[0], -2), (3, 6), (skus[1], -9)];
    for &(sku, delta) in &moves {
        assert_eq!(app.send(adjust(app, sku, delta)).await.status, StatusCode::OK);
    }
    let batched = app.send(batch(app, &[(1, -1), (skus[0], -1), (2, -1)])).await;
    assert_eq!(batched.status, StatusCode::OK);
    app.set_quantity(3, 40).await;
    let created = app
        .admin(
            Method::POST,
            &format!("/styles/{}/skus", style_of(app, skus[0]).await),
            Some(json!({"size": "XXL", "quantity": 12})),
        )
        .await;
    let new_sku = created.json()["sku_id"].as_i64().expect("a SKU id");
    assert_eq!(app.send(adjust(app, new_sku, -5)).await.status, StatusCode::OK);

    let entries = app.all_changes(3).await;
    let batch_entries = entries
        .iter()
        .filter(|e| e["kind"] == "sku.adjusted" && e["reason"] == "order")
        .count();
    assert_eq!(batch_entries, 3, "one entry per SKU of the batch");
    let mut replayed: HashMap<i64, i64> = start.clone();
    for entry in &entries {
        let sku = entry["sku_id"].as_i64();
        match entry["kind"].as_str().unwrap_or("") {
            "style.created" => {
                for created in entry["after"]["skus"].as_array().cloned().unwrap_or_default() {
                    let id = created["sku_id"].as_i64().expect("sku_id");
                    replayed.insert(id, created["quantity"].as_i64().expect("quantity"));
                }
            }
            "sku.created" => {
                replayed.insert(
                    sku.expect("sku_id"),
                    entry["after"]["quantity"].as_i64().expect("quantity"),
                );
            }
            "sku.adjusted" | "sku.updated" => {
                let (Some(before), Some(after)) = (
                    entry["before"]["quantity"].as_i64(),
                    entry["after"]["quantity"].as_i64(),
                ) else {
                    continue;
                };
                *replayed
                    .get_mut(&sku.expect("sku_id"))
                    .expect("a known starting quantity") += after - before;
            }
            _ => {}
        }
    }
    for (sku, expected) in replayed {
        assert_eq!(quantity(app, sku).await, expected, "SKU {sku}");
    }
}

async fn style_of(app: &WriteApp, sku: i64) -> i64 {
    app.sku(sku).await.json()["style_id"].as_i64().expect("a style id")
}
