//! The write contract suite (`shared/contract.md`, Writes): plain async
//! checks over a running service with a fresh store each, run against every
//! store through [`write_contract_tests!`](crate::write_contract_tests).
//!
//! Each check drives real HTTP: the tokens are made with `catalog-auth` in a
//! tokens file the service reads, as `catalog-http token create` does.

pub mod protocol;
pub mod resources;
pub mod stock;

use std::path::{Path, PathBuf};

use catalog_core::write::Scope;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The tokens of a write suite's service.
#[derive(Debug, Clone)]
pub struct SuiteTokens {
    /// The tokens file the service reads.
    pub file: PathBuf,
    /// Both scopes.
    pub admin: String,
    /// `catalog:write` only.
    pub catalog: String,
    /// `inventory:write` only.
    pub inventory: String,
}

impl SuiteTokens {
    /// Creates the suite's three tokens in a new tokens file in `dir`.
    pub fn create(dir: &Path) -> SuiteTokens {
        let file = dir.join("catalog-tokens");
        let make = |name: &str, scopes: &[Scope]| {
            catalog_auth::create(&file, name, scopes, None)
                .expect("create a token")
                .secret
                .expose()
                .to_owned()
        };
        SuiteTokens {
            admin: make("admin", &[Scope::CatalogWrite, Scope::InventoryWrite]),
            catalog: make("merchant", &[Scope::CatalogWrite]),
            inventory: make("warehouse", &[Scope::InventoryWrite]),
            file,
        }
    }
}

/// A running service with a fresh, writable store.
pub struct WriteApp {
    /// Base URL such as `http://127.0.0.1:40123`.
    pub base_url: String,
    /// Its tokens.
    pub tokens: SuiteTokens,
    /// An HTTP client reused across requests.
    pub client: reqwest::Client,
    /// Keeps the server (and its temporary files) alive.
    pub guard: Box<dyn std::any::Any + Send + Sync>,
}

/// An answer, read whole.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub text: String,
}

impl Answer {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// A header as text, or `""`.
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

/// A request to send: method, path, token, JSON body and extra headers.
pub struct Call<'a> {
    method: Method,
    path: String,
    token: Option<&'a str>,
    body: Option<Vec<u8>>,
    content_type: &'a str,
    headers: Vec<(&'a str, String)>,
}

impl<'a> Call<'a> {
    /// A call of `method` on `path` with no token and no body.
    pub fn new(method: Method, path: impl Into<String>) -> Call<'a> {
        Call {
            method,
            path: path.into(),
            token: None,
            body: None,
            content_type: "application/json",
            headers: Vec::new(),
        }
    }

    /// With `Authorization: Bearer token`.
    pub fn token(mut self, token: &'a str) -> Call<'a> {
        self.token = Some(token);
        self
    }

    /// With `body` as JSON.
    pub fn json(mut self, body: &Value) -> Call<'a> {
        self.body = Some(serde_json::to_vec(body).expect("serialize"));
        self
    }

    /// With `body` as it is.
    pub fn raw(mut self, body: impl Into<Vec<u8>>) -> Call<'a> {
        self.body = Some(body.into());
        self
    }

    /// With another `Content-Type`.
    pub fn content_type(mut self, content_type: &'a str) -> Call<'a> {
        self.content_type = content_type;
        self
    }

    /// With header `name: value`.
    pub fn header(mut self, name: &'a str, value: impl Into<String>) -> Call<'a> {
        self.headers.push((name, value.into()));
        self
    }
}

impl WriteApp {
    /// Sends `call` and reads the whole answer.
    pub async fn send(&self, call: Call<'_>) -> Answer {
        let url = format!("{}{}", self.base_url, call.path);
        let mut request = self.client.request(call.method.clone(), &url);
        if let Some(token) = call.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(body) = call.body {
            request = request.header("content-type", call.content_type).body(body);
        }
        for (name, value) in call.headers {
            request = request.header(name, value);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|err| panic!("{} {}: {err}", call.method, call.path));
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("read the body");
        Answer { status, headers, text }
    }

    /// `GET path`, public.
    pub async fn get(&self, path: &str) -> Answer {
        self.send(Call::new(Method::GET, path)).await
    }

    /// `method path` with the admin token and `body`.
    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut call = Call::new(method, path).token(&self.tokens.admin);
        if let Some(body) = body {
            call = call.json(&body);
        }
        self.send(call).await
    }

    /// A SKU's current answer, asserted 200.
    pub async fn sku(&self, id: i64) -> Answer {
        let answer = self.get(&format!("/skus/{id}")).await;
        assert_eq!(answer.status, StatusCode::OK, "GET /skus/{id}: {}", answer.text);
        answer
    }

    /// Sets SKU `id` to `quantity` with `If-Match`, asserted 200.
    pub async fn set_quantity(&self, id: i64, quantity: i64) {
        let tag = self.sku(id).await.header("etag").to_owned();
        let call = Call::new(Method::PATCH, format!("/skus/{id}"))
            .token(&self.tokens.admin)
            .json(&serde_json::json!({ "quantity": quantity }))
            .header("if-match", tag);
        let answer = self.send(call).await;
        assert_eq!(answer.status, StatusCode::OK, "set quantity: {}", answer.text);
    }

    /// A new product with one style of `skus` SKUs, each at `quantity`:
    /// the product id and the SKU ids.
    pub async fn product_with_skus(&self, skus: usize, quantity: i64) -> (i64, Vec<i64>) {
        let created = self
            .admin(
                Method::POST,
                "/products",
                Some(serde_json::json!({"name": "Suite Tee", "default_price": "20"})),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let product = created.json()["id"].as_i64().expect("an id");
        let sizes: Vec<Value> = (0..skus)
            .map(|i| serde_json::json!({"size": format!("S{i}"), "quantity": quantity}))
            .collect();
        let style = self
            .admin(
                Method::POST,
                &format!("/products/{product}/styles"),
                Some(serde_json::json!({"name": "Plain", "original_price": "20", "skus": sizes})),
            )
            .await;
        assert_eq!(style.status, StatusCode::CREATED, "{}", style.text);
        let ids = sku_ids(&style.json());
        assert_eq!(ids.len(), skus);
        (product, ids)
    }

    /// Every change-log entry, read in pages of `limit`.
    pub async fn all_changes(&self, limit: u32) -> Vec<Value> {
        let mut after = 0;
        let mut entries = Vec::new();
        loop {
            let path = format!("/changes?after={after}&limit={limit}");
            let page = self
                .send(Call::new(Method::GET, path).token(&self.tokens.inventory))
                .await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.text);
            let page = page.json();
            let changes = page["changes"].as_array().cloned().unwrap_or_default();
            let next = page["next"].as_i64().expect("next");
            if changes.is_empty() {
                assert_eq!(next, after, "next stays put at the end");
                return entries;
            }
            after = next;
            entries.extend(changes);
        }
    }
}

/// The SKU ids of a style answer (`skus` keyed by id), in id order.
pub fn sku_ids(style: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = style["skus"]
        .as_object()
        .map(|skus| skus.keys().filter_map(|key| key.parse().ok()).collect())
        .unwrap_or_default();
    ids.sort_unstable();
    ids
}

/// Defines one `#[tokio::test]` per write check, each calling `$setup().await`
/// for a fresh [`WriteApp`].
#[macro_export]
macro_rules! write_contract_tests {
    ($setup:path) => {
        $crate::write_contract_tests!(@each $setup;
            protocol::writes_need_a_valid_token, protocol::scopes_are_enforced, protocol::bodies_are_checked,
            protocol::oversized_bodies_are_413, protocol::bad_bodies_never_give_a_5xx,
            protocol::preconditions_guard_patches_and_deletes, protocol::idempotent_posts_replay,
            protocol::concurrent_repeats_of_one_key_change_once, protocol::write_answers_are_never_stored,
            protocol::changes_page_in_commit_order, protocol::tokens_are_picked_up_while_running,
            protocol::write_preflights_are_allowed,
            resources::products_are_created_patched_and_deleted, resources::styles_are_created_patched_and_deleted,
            resources::skus_are_created_patched_and_deleted, resources::related_links_are_added_and_removed,
            resources::reads_see_writes_at_once,
            stock::adjustments_move_stock_or_say_what_is_left, stock::no_oversell_under_concurrency,
            stock::concurrent_deltas_sum_exactly, stock::batches_are_all_or_nothing,
            stock::opposite_batches_never_deadlock, stock::the_change_log_reconciles_with_quantities);
    };
    (@each $setup:path; $($module:ident :: $check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let app: $crate::writes::WriteApp = $setup().await;
                $crate::writes::$module::$check(&app).await;
            }
        )*
    };
}
