//! Checks of the write protocol: tokens and scopes, bodies and their limits,
//! preconditions, idempotency, the change log's paging, CORS.

use std::time::{Duration, Instant};

use catalog_core::write::Scope;
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{Call, WriteApp};

/// One call of every write route, with a body where it takes one.
fn every_write_route() -> Vec<(Method, &'static str, Option<serde_json::Value>)> {
    vec![
        (Method::POST, "/products", Some(json!({"name": "n", "default_price": "1"}))),
        (Method::PATCH, "/products/1", Some(json!({"name": "n"}))),
        (Method::DELETE, "/products/1", None),
        (Method::POST, "/products/1/styles", Some(json!({"name": "n", "original_price": "1"}))),
        (Method::PATCH, "/styles/1", Some(json!({"name": "n"}))),
        (Method::DELETE, "/styles/1", None),
        (Method::POST, "/styles/1/skus", Some(json!({"size": "M"}))),
        (Method::PATCH, "/skus/1", Some(json!({"size": "M"}))),
        (Method::POST, "/skus/1/adjustments", Some(json!({"delta": 1}))),
        (Method::POST, "/adjustments", Some(json!({"adjustments": [{"sku_id": 1, "delta": 1}]}))),
        (Method::DELETE, "/skus/1", None),
        (Method::PUT, "/products/1/related/2", None),
        (Method::DELETE, "/products/1/related/2", None),
        (Method::GET, "/changes", None),
    ]
}

/// Missing, malformed and unknown tokens are 401 with `WWW-Authenticate:
/// Bearer` on every write route, before anything else (even a bad body),
/// and nothing changes.
pub async fn writes_need_a_valid_token(app: &WriteApp) {
    let before = app.sku(1).await.text;
    let unknown = format!("cat_{}", "A".repeat(43));
    for (method, path, body) in every_write_route() {
        for token in [None, Some("not-a-token"), Some(unknown.as_str())] {
            let mut call = Call::new(method.clone(), path).raw(b"{not json".to_vec());
            if let Some(body) = &body {
                call = call.json(body);
            }
            if let Some(token) = token {
                call = call.token(token);
            }
            let answer = app.send(call).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {path} {token:?}: {}", answer.text);
            assert!(answer.header("www-authenticate").starts_with("Bearer"), "{method} {path}");
            assert!(answer.json()["error"].is_string(), "{method} {path}: {}", answer.text);
            assert_eq!(answer.header("cache-control"), "no-store");
        }
    }
    let bad_body = Call::new(Method::POST, "/products").raw(b"{".to_vec());
    assert_eq!(app.send(bad_body).await.status, StatusCode::UNAUTHORIZED, "401 before 400");
    assert_eq!(app.sku(1).await.text, before, "nothing changed");
    assert_eq!(app.get("/products/1").await.status, StatusCode::OK, "reads stay public");
}

/// A token without the route's scope is 403, and nothing changes:
/// `catalog:write` does not include `inventory:write`, nor the reverse.
pub async fn scopes_are_enforced(app: &WriteApp) {
    let before = app.sku(1).await.text;
    let catalog = &app.tokens.catalog;
    let inventory = &app.tokens.inventory;
    let tag = app.sku(1).await.header("etag").to_owned();
    let refused = [
        Call::new(Method::POST, "/skus/1/adjustments").token(catalog).json(&json!({"delta": 1})),
        Call::new(Method::POST, "/adjustments")
            .token(catalog)
            .json(&json!({"adjustments": [{"sku_id": 1, "delta": 1}]})),
        Call::new(Method::PATCH, "/skus/1")
            .token(catalog)
            .json(&json!({"quantity": 5}))
            .header("if-match", tag.clone()),
        Call::new(Method::PATCH, "/skus/1")
            .token(inventory)
            .json(&json!({"size": "XL"})),
        Call::new(Method::PATCH, "/skus/1")
            .token(inventory)
            .json(&json!({"size": "XL", "quantity": 5}))
            .header("if-match", tag.clone()),
        Call::new(Method::POST, "/products")
            .token(inventory)
            .json(&json!({"name": "n", "default_price": "1"})),
        Call::new(Method::DELETE, "/skus/1").token(inventory),
        Call::new(Method::PUT, "/products/1/related/2").token(inventory),
    ];
    for call in refused {
        let answer = app.send(call).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.text);
    }
    assert_eq!(app.sku(1).await.text, before, "nothing changed");
    let allowed = Call::new(Method::POST, "/skus/1/adjustments")
        .token(inventory)
        .json(&json!({"delta": 1}));
    assert_eq!(app.send(allowed).await.status, StatusCode::OK);
    let allowed = Call::new(Method::PATCH, "/skus/1").token(catalog).json(&json!({"size": "XL"}));
    assert_eq!(app.send(allowed).await.status, StatusCode::OK);
    for token in [catalog, inventory] {
        let changes = app.send(Call::new(Method::GET, "/changes").token(token)).await;
        assert_eq!(changes.status, StatusCode::OK, "either write scope reads the change log");
    }
}

/// Content types (415), JSON (400) and the rules of a body (422, naming the field).
pub async fn bodies_are_checked(app: &WriteApp) {
    let admin = &app.tokens.admin;
    let post = |body: &str| {
        Call::new(Method::POST, "/products")
            .token(admin)
            .raw(body.as_bytes().to_vec())
    };
    assert_eq!(app.send(post("{}").content_type("text/plain")).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let merge = post(r#"{"name":"n","default_price":"1"}"#).content_type("application/merge-patch+json");
    assert_eq!(app.send(merge).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "merge patch is for PATCH");
    let charset = post(r#"{"name":"n","default_price":"1"}"#).content_type("application/json; charset=utf-8");
    assert_eq!(app.send(charset).await.status, StatusCode::CREATED);
    for not_json in ["{", "nope", ""] {
        assert_eq!(app.send(post(not_json)).await.status, StatusCode::BAD_REQUEST, "{not_json:?}");
    }
    for (body, field) in [
        (r#"{"default_price":"1"}"#, "name"),
        (r#"{"name":"","default_price":"1"}"#, "name"),
        (r#"{"name":"n","default_price":19.9}"#, "default_price"),
        (r#"{"name":"n","default_price":"1.999"}"#, "default_price"),
        (r#"{"name":"n","default_price":"-1"}"#, "default_price"),
        (r#"{"name":"n","default_price":"10000000000000"}"#, "default_price"),
        (r#"{"name":"n","default_price":"1","colour":"red"}"#, "colour"),
        (r#"{"name":"n","default_price":"1","features":[{"feature":"f","value":1}]}"#, "features"),
    ] {
        let answer = app.send(post(body)).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", answer.text);
        assert!(answer.json()["error"].as_str().unwrap_or("").contains(field), "{body}: {}", answer.text);
    }
    let style = |body: serde_json::Value| Call::new(Method::POST, "/products/1/styles").token(admin).json(&body);
    for (body, field) in [
        (json!({"name": "s", "original_price": "1", "photos": [{"url": "/x.jpg", "thumbnail_url": "https://h/t.jpg"}]}), "url"),
        (json!({"name": "s", "original_price": "1", "skus": [{"size": "M", "quantity": -1}]}), "quantity"),
        (json!({"name": "s", "original_price": "1", "skus": vec![json!({"size": "M"}); 101]}), "skus"),
    ] {
        let answer = app.send(style(body)).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.text);
        assert!(answer.text.contains(field), "{}", answer.text);
    }
    let adjust = |body: serde_json::Value| Call::new(Method::POST, "/skus/1/adjustments").token(admin).json(&body);
    for body in [json!({"delta": 0}), json!({"delta": 1.5}), json!({"delta": 1, "reason": "r".repeat(201)}), json!({})] {
        assert_eq!(app.send(adjust(body)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let bad_ids = [
        Call::new(Method::PATCH, "/products/abc").token(admin).json(&json!({"name": "n"})),
        Call::new(Method::POST, "/skus/0/adjustments").token(admin).json(&json!({"delta": 1})),
        Call::new(Method::PUT, "/products/1/related/x").token(admin),
        Call::new(Method::GET, "/changes?after=-1").token(admin),
        Call::new(Method::GET, "/changes?limit=1001").token(admin),
    ];
    for call in bad_ids {
        assert_eq!(app.send(call).await.status, StatusCode::BAD_REQUEST);
    }
    let missing = [
        Call::new(Method::PATCH, "/products/999999").token(admin).json(&json!({"name": "n"})),
        Call::new(Method::PATCH, "/styles/999999").token(admin).json(&json!({"name": "n"})),
        Call::new(Method::POST, "/skus/999999/adjustments").token(admin).json(&json!({"delta": 1})),
        Call::new(Method::DELETE, "/skus/999999").token(admin),
    ];
    for call in missing {
        assert_eq!(app.send(call).await.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(app.get("/skus/999999").await.status, StatusCode::NOT_FOUND);
}

/// A body over 64 KiB is 413, declared or chunked; 64 KiB exactly is read.
pub async fn oversized_bodies_are_413(app: &WriteApp) {
    let limit = 64 * 1024;
    let padded = |len: usize| {
        let head = r#"{"name":"n","default_price":"1","description":""#;
        let tail = r#""}"#;
        let mut body = head.to_owned();
        body.push_str(&"d".repeat(len - head.len() - tail.len()));
        body.push_str(tail);
        body
    };
    let call = |body: String| Call::new(Method::POST, "/products").token(&app.tokens.admin).raw(body);
    assert_eq!(app.send(call(padded(limit))).await.status, StatusCode::CREATED, "64 KiB exactly");
    assert_eq!(app.send(call(padded(limit + 1))).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..17).map(|_| Ok(vec![b' '; 4096])).collect();
    let chunked = app
        .client
        .post(format!("{}/products", app.base_url))
        .header("authorization", format!("Bearer {}", app.tokens.admin))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .expect("send a chunked body");
    assert_eq!(chunked.status(), StatusCode::PAYLOAD_TOO_LARGE, "chunked");
}

/// Random damage to valid bodies, on every route, gives a 4xx or a 2xx, never a 5xx.
pub async fn bad_bodies_never_give_a_5xx(app: &WriteApp) {
    let mut rng = fastrand::Rng::with_seed(7);
    let samples = [
        (Method::POST, "/products", r#"{"name":"n","slogan":"s","default_price":"12.50","features":[{"feature":"f","value":null}]}"#),
        (Method::PATCH, "/products/2", r#"{"slogan":null,"category":"c","features":[]}"#),
        (Method::POST, "/products/2/styles", r#"{"name":"s","original_price":"3","sale_price":null,"default?":true,"photos":[{"url":"https://h/a","thumbnail_url":"http://h/b"}],"skus":[{"size":"M","quantity":3}]}"#),
        (Method::PATCH, "/styles/2", r#"{"sale_price":"1.00","photos":null}"#),
        (Method::POST, "/styles/2/skus", r#"{"size":"L","quantity":4}"#),
        (Method::POST, "/skus/2/adjustments", r#"{"delta":-1,"reason":"order"}"#),
        (Method::POST, "/adjustments", r#"{"adjustments":[{"sku_id":3,"delta":1},{"sku_id":4,"delta":-1}]}"#),
        (Method::PATCH, "/skus/3", r#"{"size":"XS"}"#),
    ];
    let alphabet = br#"{}[]":,0123456789-.eE nul\ab"#;
    for round in 0..400 {
        let (method, path, body) = &samples[round % samples.len()];
        let mut bytes = body.as_bytes().to_vec();
        for _ in 0..rng.usize(1..4) {
            let at = rng.usize(..bytes.len());
            match rng.u8(..3) {
                0 => bytes[at] = alphabet[rng.usize(..alphabet.len())],
                1 => bytes.insert(at, alphabet[rng.usize(..alphabet.len())]),
                _ => {
                    bytes.remove(at);
                }
            }
            if bytes.is_empty() {
                break;
            }
        }
        let call = Call::new(method.clone(), *path).token(&app.tokens.admin).raw(bytes.clone());
        let answer = app.send(call).await;
        assert!(
            !answer.status.is_server_error(),
            "{method} {path} {:?}: {} {}",
            String::from_utf8_lossy(&bytes),
            answer.status,
            answer.text
        );
    }
}

/// `If-Match` with a stale tag is 412 and changes nothing; the current tag
/// (of any coding) or `*` passes; setting a quantity without it is 428.
pub async fn preconditions_guard_patches_and_deletes(app: &WriteApp) {
    let admin = &app.tokens.admin;
    let product = app.get("/products/3").await;
    let tag = product.header("etag").to_owned();
    let patch = |tag: &str, name: &str| {
        Call::new(Method::PATCH, "/products/3")
            .token(admin)
            .json(&json!({"name": name}))
            .header("if-match", tag.to_owned())
    };
    let changed = app.send(patch(&tag, "First")).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    let new_tag = changed.header("etag").to_owned();
    assert_eq!(new_tag, app.get("/products/3").await.header("etag"), "the answer's tag is the GET's");
    let stale = app.send(patch(&tag, "Second")).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.get("/products/3").await.json()["name"], "First", "a 412 changes nothing");
    let coded = format!("{}-gzip\"", new_tag.trim_end_matches('"'));
    assert_eq!(app.send(patch(&coded, "Third")).await.status, StatusCode::OK, "a coded tag names the same state");
    assert_eq!(app.send(patch("*", "Fourth")).await.status, StatusCode::OK);

    let sku_tag = app.sku(1).await.header("etag").to_owned();
    let set = |tag: Option<&str>| {
        let call = Call::new(Method::PATCH, "/skus/1").token(admin).json(&json!({"quantity": 9}));
        match tag {
            Some(tag) => call.header("if-match", tag.to_owned()),
            None => call,
        }
    };
    assert_eq!(app.send(set(None)).await.status, StatusCode::PRECONDITION_REQUIRED);
    let adjust = Call::new(Method::POST, "/skus/1/adjustments").token(admin).json(&json!({"delta": 1}));
    assert_eq!(app.send(adjust).await.status, StatusCode::OK);
    assert_eq!(app.send(set(Some(&sku_tag))).await.status, StatusCode::PRECONDITION_FAILED, "a sale came between");
    let current = app.sku(1).await.header("etag").to_owned();
    assert_eq!(app.send(set(Some(&current))).await.status, StatusCode::OK);
    assert_eq!(app.sku(1).await.json()["quantity"], 9);

    let styles_tag = app.get("/products/1/styles").await.header("etag").to_owned();
    let style_id = app.get("/products/1/styles").await.json()["results"][0]["style_id"].clone();
    let delete_style = |tag: &str| {
        Call::new(Method::DELETE, format!("/styles/{style_id}"))
            .token(admin)
            .header("if-match", tag.to_owned())
    };
    assert_eq!(app.send(delete_style("\"stale\"")).await.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.send(delete_style(&styles_tag)).await.status, StatusCode::NO_CONTENT);
}

/// A repeated `POST` with the same key and body gets the first answer with
/// `Idempotent-Replayed: true` and changes nothing; another body is 422; the
/// key is scoped to the token; a malformed key is 400.
pub async fn idempotent_posts_replay(app: &WriteApp) {
    let before = app.sku(2).await.json()["quantity"].as_i64().expect("a quantity");
    fn adjust<'a>(token: &'a str, delta: i64, key: &str) -> Call<'a> {
        Call::new(Method::POST, "/skus/2/adjustments")
            .token(token)
            .json(&json!({"delta": delta}))
            .header("idempotency-key", key.to_owned())
    }
    let first = app.send(adjust(&app.tokens.admin, -1, "order-1")).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("idempotent-replayed"), "");
    let again = app.send(adjust(&app.tokens.admin, -1, "order-1")).await;
    assert_eq!((again.status, again.text.as_str()), (first.status, first.text.as_str()));
    assert_eq!(again.header("idempotent-replayed"), "true");
    assert_eq!(app.sku(2).await.json()["quantity"].as_i64(), Some(before - 1), "applied once");
    let other = app.send(adjust(&app.tokens.admin, -2, "order-1")).await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    let other_token = app.send(adjust(&app.tokens.inventory, -1, "order-1")).await;
    assert_eq!(other_token.header("idempotent-replayed"), "", "keys are scoped to the token");
    assert_eq!(app.sku(2).await.json()["quantity"].as_i64(), Some(before - 2));
    for bad in ["has space", &"k".repeat(256)] {
        assert_eq!(app.send(adjust(&app.tokens.admin, -1, bad)).await.status, StatusCode::BAD_REQUEST);
    }
    // Refusals are kept too: a 409 is replayed even after a restock.
    let too_much = app.send(adjust(&app.tokens.admin, -1_000_000, "order-2")).await;
    assert_eq!(too_much.status, StatusCode::CONFLICT);
    let restock = Call::new(Method::POST, "/skus/2/adjustments")
        .token(&app.tokens.admin)
        .json(&json!({"delta": 1_000_000}));
    assert_eq!(app.send(restock).await.status, StatusCode::OK);
    let replayed = app.send(adjust(&app.tokens.admin, -1_000_000, "order-2")).await;
    assert_eq!((replayed.status, replayed.header("idempotent-replayed")), (StatusCode::CONFLICT, "true"));
    let created = Call::new(Method::POST, "/products")
        .token(&app.tokens.admin)
        .json(&json!({"name": "Once", "default_price": "1"}))
        .header("idempotency-key", "create-1");
    let first = app.send(created).await;
    let again = Call::new(Method::POST, "/products")
        .token(&app.tokens.admin)
        .json(&json!({"name": "Once", "default_price": "1"}))
        .header("idempotency-key", "create-1");
    let again = app.send(again).await;
    assert_eq!((first.status, again.status), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(first.header("location"), again.header("location"), "one product, not two");
}

/// Twenty concurrent requests with one key make one change and give identical answers.
pub async fn concurrent_repeats_of_one_key_change_once(app: &WriteApp) {
    let before = app.sku(5).await.json()["quantity"].as_i64().expect("a quantity");
    let entries_before = app.all_changes(1000).await.len();
    let answers = futures_util::future::join_all((0..20).map(|_| {
        app.send(
            Call::new(Method::POST, "/skus/5/adjustments")
                .token(&app.tokens.admin)
                .json(&json!({"delta": 3}))
                .header("idempotency-key", "restock-77"),
        )
    }))
    .await;
    let done: Vec<_> = answers.iter().filter(|a| a.status == StatusCode::OK).collect();
    assert!(!done.is_empty());
    for answer in &answers {
        assert!(
            answer.status == StatusCode::OK || answer.status == StatusCode::CONFLICT,
            "{}: {}",
            answer.status,
            answer.text
        );
    }
    assert!(done.iter().all(|a| a.text == done[0].text), "identical answers");
    assert_eq!(app.sku(5).await.json()["quantity"].as_i64(), Some(before + 3), "one change");
    assert_eq!(app.all_changes(1000).await.len(), entries_before + 1, "one entry");
}

/// Every answer of a write route, errors included, is `no-store`.
pub async fn write_answers_are_never_stored(app: &WriteApp) {
    let (_, skus) = app.product_with_skus(1, 3).await;
    let calls = [
        Call::new(Method::POST, format!("/skus/{}/adjustments", skus[0]))
            .token(&app.tokens.admin)
            .json(&json!({"delta": 1})),
        Call::new(Method::POST, format!("/skus/{}/adjustments", skus[0]))
            .token(&app.tokens.admin)
            .json(&json!({"delta": -100})),
        Call::new(Method::POST, "/products").token(&app.tokens.admin).raw("{"),
        Call::new(Method::DELETE, format!("/skus/{}", skus[0])).token(&app.tokens.admin),
        Call::new(Method::GET, "/changes").token(&app.tokens.admin),
    ];
    for call in calls {
        let answer = app.send(call).await;
        assert_eq!(answer.header("cache-control"), "no-store", "{} {}", answer.status, answer.text);
    }
}

/// `GET /changes` pages in `seq` order: strictly rising, `next` the last
/// `seq`, `limit` honoured, nothing before `after`.
pub async fn changes_page_in_commit_order(app: &WriteApp) {
    for delta in [1, 2, 3, -1, -2] {
        let call = Call::new(Method::POST, "/skus/6/adjustments")
            .token(&app.tokens.admin)
            .json(&json!({"delta": delta, "reason": format!("move {delta}")}));
        assert_eq!(app.send(call).await.status, StatusCode::OK);
    }
    let entries = app.all_changes(2).await;
    assert_eq!(entries.len(), 5);
    let seqs: Vec<i64> = entries.iter().map(|e| e["seq"].as_i64().expect("seq")).collect();
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]), "{seqs:?}");
    let first = &entries[0];
    assert_eq!(first["kind"], "sku.adjusted");
    assert_eq!(first["token"], "admin");
    assert_eq!(first["sku_id"], 6);
    assert_eq!(first["reason"], "move 1");
    assert!(first["product_id"].is_i64() && first["style_id"].is_i64());
    assert!(first["request_id"].as_str().is_some_and(|id| !id.is_empty()));
    let at = first["at"].as_str().expect("at");
    assert!(at.len() == 24 && at.ends_with('Z') && at.as_bytes()[10] == b'T', "{at}");
    let page = app
        .send(Call::new(Method::GET, format!("/changes?after={}&limit=1", seqs[2])).token(&app.tokens.admin))
        .await
        .json();
    assert_eq!(page["changes"][0]["seq"].as_i64(), Some(seqs[3]));
    assert_eq!(page["next"].as_i64(), Some(seqs[3]));
    let tagged = Call::new(Method::POST, "/skus/6/adjustments")
        .token(&app.tokens.admin)
        .json(&json!({"delta": 1}))
        .header("x-request-id", "req-suite-42");
    assert_eq!(app.send(tagged).await.status, StatusCode::OK);
    let last = app.all_changes(1000).await.pop().expect("an entry");
    assert_eq!(last["request_id"], "req-suite-42");
}

/// A token created while the service runs works within 5 s; once revoked,
/// it is refused within 5 s; no restart.
pub async fn tokens_are_picked_up_while_running(app: &WriteApp) {
    let created = catalog_auth::create(&app.tokens.file, "late", &[Scope::InventoryWrite], None).expect("create");
    let token = created.secret.expose().to_owned();
    let adjust = || {
        Call::new(Method::POST, "/skus/1/adjustments")
            .token(&token)
            .json(&json!({"delta": 1}))
    };
    let status_within = |want: StatusCode| async move {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let status = app.send(adjust()).await.status;
            if status == want || Instant::now() > deadline {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    assert_eq!(status_within(StatusCode::OK).await, StatusCode::OK, "a new token works within 5 s");
    catalog_auth::revoke(&app.tokens.file, "late").expect("revoke");
    assert_eq!(
        status_within(StatusCode::UNAUTHORIZED).await,
        StatusCode::UNAUTHORIZED,
        "a revoked token is refused within 5 s"
    );
}

/// A browser on another origin may send every write method with the
/// headers writes use, and read the headers their answers carry.
pub async fn write_preflights_are_allowed(app: &WriteApp) {
    for (method, path) in [
        ("PATCH", "/skus/1"),
        ("POST", "/adjustments"),
        ("DELETE", "/products/1"),
        ("PUT", "/products/1/related/2"),
    ] {
        let call = Call::new(Method::OPTIONS, path)
            .header("origin", "https://shop.example")
            .header("access-control-request-method", method)
            .header(
                "access-control-request-headers",
                "authorization, content-type, if-match, idempotency-key",
            );
        let answer = app.send(call).await;
        assert!(answer.status.is_success(), "{method} {path}: {} {}", answer.status, answer.text);
        assert!(answer.header("access-control-allow-methods").contains(method));
    }
    let answer = app.sku(1).await;
    let exposed = answer.header("access-control-expose-headers").to_ascii_lowercase();
    for name in ["etag", "location", "idempotent-replayed"] {
        assert!(exposed.contains(name), "{exposed}");
    }
}
