//! Checks of each resource's writes: products, styles, SKUs and related
//! links, each read back through the public routes.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Call, WriteApp, sku_ids};

/// The largest product id the catalog lists now.
async fn max_listed_id(app: &WriteApp) -> i64 {
    let mut page = 1;
    let mut max = 0;
    loop {
        let list = app.get(&format!("/products?page={page}&count=1000")).await.json();
        let products = list.as_array().cloned().unwrap_or_default();
        if products.is_empty() {
            return max;
        }
        max = products.iter().filter_map(|p| p["id"].as_i64()).fold(max, i64::max);
        page += 1;
    }
}

/// `POST /products` is 201 with `Location` and the `GET` body and tag, a
/// new id above every other; `PATCH` merges; `DELETE` takes it out of every
/// answer, the related answers of other products included.
pub async fn products_are_created_patched_and_deleted(app: &WriteApp) {
    let max_before = max_listed_id(app).await;
    let body = json!({
        "name": "Trail Runner", "slogan": "Go far", "default_price": "89.9",
        "features": [{"feature": "Sole", "value": "Rubber"}, {"feature": "Laces", "value": null}]
    });
    let created = app.admin(Method::POST, "/products", Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json()["id"].as_i64().expect("an id");
    assert!(id > max_before, "{id} > {max_before}");
    assert_eq!(created.header("location"), format!("/products/{id}"));
    let read = app.get(&format!("/products/{id}")).await;
    assert_eq!(read.text, created.text, "the answer is the GET body");
    assert_eq!(read.header("etag"), created.header("etag"));
    let detail = read.json();
    assert_eq!(detail["default_price"], "89.90");
    assert_eq!(detail["description"], "");
    assert_eq!(detail["features"][1], json!({"feature": "Laces", "value": null}));
    assert_eq!(max_listed_id(app).await, id, "listed last");
    assert_eq!(
        app.get(&format!("/products/{id}/styles")).await.json()["results"],
        json!([])
    );

    let patch = Call::new(Method::PATCH, format!("/products/{id}"))
        .token(&app.tokens.catalog)
        .content_type("application/merge-patch+json")
        .json(&json!({"slogan": null, "category": "Shoes", "features": [{"feature": "Drop", "value": "8mm"}]}));
    let patched = app.send(patch).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    let detail = app.get(&format!("/products/{id}")).await.json();
    assert_eq!(
        (detail["slogan"].clone(), detail["category"].clone()),
        (json!(""), json!("Shoes"))
    );
    assert_eq!(detail["name"], "Trail Runner", "untouched fields stay");
    assert_eq!(detail["features"], json!([{"feature": "Drop", "value": "8mm"}]));
    let null_name = app
        .admin(Method::PATCH, &format!("/products/{id}"), Some(json!({"name": null})))
        .await;
    assert_eq!(null_name.status, StatusCode::UNPROCESSABLE_ENTITY);

    let link = app.admin(Method::PUT, &format!("/products/1/related/{id}"), None).await;
    assert_eq!(link.status, StatusCode::NO_CONTENT);
    assert!(related(app, 1).await.contains(&id));
    let deleted = app.admin(Method::DELETE, &format!("/products/{id}"), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.text.is_empty());
    for path in [
        format!("/products/{id}"),
        format!("/products/{id}/styles"),
        format!("/products/{id}/related"),
    ] {
        assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert!(!related(app, 1).await.contains(&id), "it leaves every related answer");
    assert_eq!(max_listed_id(app).await, max_before);
    let again = app.admin(Method::DELETE, &format!("/products/{id}"), None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let next = app
        .admin(
            Method::POST,
            "/products",
            Some(json!({"name": "After", "default_price": "1"})),
        )
        .await;
    assert!(next.json()["id"].as_i64().expect("an id") > id, "ids are never reused");
}

async fn related(app: &WriteApp, id: i64) -> Vec<i64> {
    let answer = app.get(&format!("/products/{id}/related")).await.json();
    answer
        .as_array()
        .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

/// A style's whole life: created with photos and SKUs (ids in body order),
/// answered as one entry of `results` tagged with the styles answer's tag,
/// patched (sale price off with `null`, photos replaced), deleted.
pub async fn styles_are_created_patched_and_deleted(app: &WriteApp) {
    let body = json!({
        "name": "Ocean", "original_price": "120", "sale_price": "99.99", "default?": true,
        "photos": [{"url": "https://img.example/a.jpg", "thumbnail_url": "https://img.example/a-t.jpg"}],
        "skus": [{"size": "S", "quantity": 4}, {"size": "M"}]
    });
    let created = app.admin(Method::POST, "/products/2/styles", Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let style = created.json();
    let style_id = style["style_id"].as_i64().expect("a style id");
    assert_eq!(created.header("location"), format!("/styles/{style_id}"));
    let ids = sku_ids(&style);
    assert_eq!(style["skus"][ids[0].to_string()], json!({"quantity": 4, "size": "S"}));
    assert_eq!(
        style["skus"][ids[1].to_string()],
        json!({"quantity": 0, "size": "M"}),
        "quantity defaults to 0"
    );
    assert_eq!(style["sale_price"], "99.99");
    let styles = app.get("/products/2/styles").await;
    assert_eq!(
        created.header("etag"),
        styles.header("etag"),
        "tagged as the styles answer"
    );
    let results = styles.json()["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.last(), Some(&style), "listed last, as answered");

    let patch = json!({"sale_price": null, "photos": [
        {"url": "https://img.example/b.jpg", "thumbnail_url": "https://img.example/b-t.jpg"},
        {"url": "https://img.example/c.jpg", "thumbnail_url": "https://img.example/c-t.jpg"}
    ]});
    let patched = app
        .admin(Method::PATCH, &format!("/styles/{style_id}"), Some(patch))
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    let now = patched.json();
    assert_eq!(now["sale_price"], Value::Null);
    assert_eq!(now["photos"][1]["url"], "https://img.example/c.jpg");
    assert_eq!(now["name"], "Ocean");
    assert_eq!(
        patched.header("etag"),
        app.get("/products/2/styles").await.header("etag")
    );

    let sku = app
        .admin(
            Method::POST,
            &format!("/styles/{style_id}/skus"),
            Some(json!({"size": "L", "quantity": 2})),
        )
        .await;
    assert_eq!(sku.status, StatusCode::CREATED, "{}", sku.text);
    let sku_id = sku.json()["sku_id"].as_i64().expect("a SKU id");
    assert!(sku_id > ids[1]);
    assert_eq!(sku.header("location"), format!("/skus/{sku_id}"));
    assert_eq!(sku.json()["style_id"].as_i64(), Some(style_id));

    let deleted = app.admin(Method::DELETE, &format!("/styles/{style_id}"), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let results = app.get("/products/2/styles").await.json()["results"].clone();
    assert!(
        !results.to_string().contains(&format!("\"style_id\":{style_id}")),
        "gone"
    );
    for id in ids.iter().chain([&sku_id]) {
        assert_eq!(
            app.get(&format!("/skus/{id}")).await.status,
            StatusCode::NOT_FOUND,
            "its SKUs go with it"
        );
    }
    let missing = app.admin(
        Method::POST,
        "/products/999999/styles",
        Some(json!({"name": "x", "original_price": "1"})),
    );
    assert_eq!(missing.await.status, StatusCode::NOT_FOUND);
}

/// `GET /skus/:id` names its style and product; `PATCH` changes the size;
/// `DELETE` takes it out of its style.
pub async fn skus_are_created_patched_and_deleted(app: &WriteApp) {
    let (product, skus) = app.product_with_skus(2, 5).await;
    let sku = app.sku(skus[0]).await;
    let body = sku.json();
    assert_eq!(body["product_id"].as_i64(), Some(product));
    assert_eq!(
        (body["size"].clone(), body["quantity"].clone()),
        (json!("S0"), json!(5))
    );
    assert!(!sku.header("etag").is_empty());
    let patched = app
        .admin(
            Method::PATCH,
            &format!("/skus/{}", skus[0]),
            Some(json!({"size": "XL"})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(patched.text, app.sku(skus[0]).await.text, "the answer is the GET body");
    assert_eq!(patched.header("etag"), app.sku(skus[0]).await.header("etag"));
    let styles = app.get(&format!("/products/{product}/styles")).await.json();
    assert_eq!(styles["results"][0]["skus"][skus[0].to_string()]["size"], "XL");
    let empty = app
        .admin(Method::PATCH, &format!("/skus/{}", skus[0]), Some(json!({})))
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let deleted = app.admin(Method::DELETE, &format!("/skus/{}", skus[0]), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/skus/{}", skus[0])).await.status,
        StatusCode::NOT_FOUND
    );
    let styles = app.get(&format!("/products/{product}/styles")).await.json();
    assert!(styles["results"][0]["skus"].get(skus[0].to_string()).is_none());
    let last = app.admin(Method::DELETE, &format!("/skus/{}", skus[1]), None).await;
    assert_eq!(last.status, StatusCode::NO_CONTENT);
    let styles = app.get(&format!("/products/{product}/styles")).await.json();
    assert_eq!(
        styles["results"][0]["skus"],
        json!({"null": {"quantity": null, "size": null}}),
        "a style without SKUs reads as storefronts expect"
    );
}

/// `PUT` links (idempotently, one change-log entry), `DELETE` unlinks; 404
/// for a missing product or link, 422 for the product itself.
pub async fn related_links_are_added_and_removed(app: &WriteApp) {
    let (product, _) = app.product_with_skus(1, 1).await;
    let path = format!("/products/3/related/{product}");
    let entries = app.all_changes(1000).await.len();
    assert_eq!(app.admin(Method::PUT, &path, None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.admin(Method::PUT, &path, None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(related(app, 3).await.last(), Some(&product));
    assert_eq!(related(app, 3).await.iter().filter(|&&id| id == product).count(), 1);
    let log = app.all_changes(1000).await;
    assert_eq!(log.len(), entries + 1, "a repeated PUT appends nothing");
    assert_eq!(log.last().map(|e| e["kind"].clone()), Some(json!("related.added")));
    assert_eq!(
        app.admin(Method::PUT, "/products/3/related/3", None).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.admin(Method::PUT, "/products/3/related/999999", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.admin(Method::PUT, "/products/999999/related/3", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.admin(Method::DELETE, &path, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(!related(app, 3).await.contains(&product));
    assert_eq!(
        app.admin(Method::DELETE, &path, None).await.status,
        StatusCode::NOT_FOUND
    );
}

/// Reads right after a write show it through every answer derived from the
/// changed rows, however warm the caches were: the list, the product, the
/// styles, related, and their tags.
pub async fn reads_see_writes_at_once(app: &WriteApp) {
    let warm = |path: &'static str| async move {
        for _ in 0..3 {
            app.get(path).await;
        }
        app.get(path).await
    };
    let styles_before = warm("/products/1/styles").await;
    let list_before = warm("/products?page=1&count=5").await;
    let product_before = warm("/products/1").await;
    let sku = sku_ids(&styles_before.json()["results"][0])[0];
    let quantity = app.sku(sku).await.json()["quantity"].as_i64().expect("a quantity");
    let adjusted = app
        .admin(
            Method::POST,
            &format!("/skus/{sku}/adjustments"),
            Some(json!({"delta": 7})),
        )
        .await;
    assert_eq!(adjusted.status, StatusCode::OK);
    let styles = app.get("/products/1/styles").await;
    assert_eq!(
        styles.json()["results"][0]["skus"][sku.to_string()]["quantity"].as_i64(),
        Some(quantity + 7)
    );
    assert_ne!(styles.header("etag"), styles_before.header("etag"));
    let renamed = app
        .admin(Method::PATCH, "/products/1", Some(json!({"name": "Renamed One"})))
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(app.get("/products/1").await.json()["name"], "Renamed One");
    assert_ne!(
        app.get("/products/1").await.header("etag"),
        product_before.header("etag")
    );
    assert_eq!(
        app.get("/products?page=1&count=5").await.json()[0]["name"],
        "Renamed One"
    );
    assert_ne!(app.get("/products?page=1&count=5").await.text, list_before.text);
    let conditional =
        Call::new(Method::GET, "/products/1/styles").header("if-none-match", styles_before.header("etag"));
    assert_eq!(
        app.send(conditional).await.status,
        StatusCode::OK,
        "an old tag no longer gets a 304"
    );
}
