//! The four catalog routes as one warp filter, for any store.

use std::future::Future;
use std::sync::Arc;

use catalog_core::{CatalogStore, InternalKind, InvalidInput, Page, ProductId, StoreError};
use percent_encoding::percent_decode_str;
use serde::Serialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::{HeaderValue, Method, StatusCode, header};
use warp::hyper::body::Bytes;

use crate::answer::Answer;
use crate::cache::{CacheKey, ResponseCache};
use crate::reply::{
    ALLOWED_METHODS, JsonResponse, json_bytes, json_error, method_not_allowed, store_error, unavailable,
};

/// What a route does after its path matched.
enum Route {
    List(Vec<(String, String)>),
    Product(String),
    Styles(String),
    Related(String),
}

/// The four routes of the contract over `store`:
/// `GET /products`, `/products/:id`, `/products/:id/styles`, `/products/:id/related`.
///
/// Bad input (ids, `page`, `count`) and other methods on these paths are
/// answered here with JSON errors; any other path is rejected as not found,
/// so the filter can be mounted beside other routes or under a prefix.
pub fn routes(store: Arc<dyn CatalogStore>) -> BoxedFilter<(JsonResponse,)> {
    routes_with_cache(store, None)
}

/// [`routes`] with answers served from `cache` when it holds them.
pub fn routes_with_cache(store: Arc<dyn CatalogStore>, cache: Option<ResponseCache>) -> BoxedFilter<(JsonResponse,)> {
    let query = warp::query::<Vec<(String, String)>>();
    let list = warp::path!("products").and(query).map(Route::List);
    let product = warp::path!("products" / String).map(Route::Product);
    let styles = warp::path!("products" / String / "styles").map(Route::Styles);
    let related = warp::path!("products" / String / "related").map(Route::Related);
    let route = list.or(product).unify().or(styles).unify().or(related).unify();
    warp::method()
        .and(route)
        .then(move |method: Method, route: Route| {
            let store = Arc::clone(&store);
            let cache = cache.clone();
            async move { answer(&*store, cache.as_ref(), &method, route).await }
        })
        .boxed()
}

/// `GET /healthz`: the process is up (never touches the store).
pub fn healthz() -> BoxedFilter<(JsonResponse,)> {
    warp::path!("healthz")
        .and(warp::method())
        .map(|method: Method| {
            allowed(&method).unwrap_or_else(|| uncacheable(json_bytes(StatusCode::OK, &br#"{"status":"ok"}"#[..])))
        })
        .boxed()
}

/// `GET /readyz`: the store can answer now (200), or not (503, whatever the
/// store's error), so a load balancer sends traffic only to instances whose
/// database is reachable.
pub fn readyz(store: Arc<dyn CatalogStore>) -> BoxedFilter<(JsonResponse,)> {
    warp::path!("readyz")
        .and(warp::method())
        .then(move |method: Method| {
            let store = Arc::clone(&store);
            async move {
                if let Some(response) = allowed(&method) {
                    return response;
                }
                let response = match store.ready().await {
                    Ok(()) => json_bytes(StatusCode::OK, &br#"{"status":"ready"}"#[..]),
                    Err(err) => {
                        tracing::warn!(%err, "not ready");
                        unavailable()
                    }
                };
                uncacheable(response)
            }
        })
        .boxed()
}

/// Marks a health answer as never to be stored by a cache.
fn uncacheable(mut response: JsonResponse) -> JsonResponse {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `None` when `method` may proceed; otherwise the response to give instead.
pub(crate) fn allowed(method: &Method) -> Option<JsonResponse> {
    match *method {
        Method::GET | Method::HEAD => None,
        Method::OPTIONS => {
            let mut response = json_bytes(StatusCode::NO_CONTENT, Vec::new());
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(ALLOWED_METHODS));
            Some(response)
        }
        _ => Some(method_not_allowed(method)),
    }
}

async fn answer(
    store: &dyn CatalogStore,
    cache: Option<&ResponseCache>,
    method: &Method,
    route: Route,
) -> JsonResponse {
    if let Some(response) = allowed(method) {
        return response;
    }
    match route {
        Route::List(query) => match page(&query) {
            Ok(page) => {
                let key = CacheKey::List {
                    page: page.page(),
                    count: page.count(),
                };
                respond(cache, key, store.products(page)).await
            }
            Err(message) => bad_request(&message),
        },
        Route::Product(id) => match product_id(&id) {
            Ok(id) => respond(cache, CacheKey::Product(id.get()), store.product(id)).await,
            Err(err) => bad_request(&err),
        },
        Route::Styles(id) => match product_id(&id) {
            Ok(id) => respond(cache, CacheKey::Styles(id.get()), store.styles(id)).await,
            Err(err) => bad_request(&err),
        },
        Route::Related(id) => match product_id(&id) {
            Ok(id) => respond(cache, CacheKey::Related(id.get()), store.related(id)).await,
            Err(err) => bad_request(&err),
        },
    }
}

/// Answers with the serialized result of `query`, through `cache` when there
/// is one. The [`Answer`] rides along in the response's extensions, so the
/// HTTP caching layer reuses its tags and compressed forms.
async fn respond<T: Serialize>(
    cache: Option<&ResponseCache>,
    key: CacheKey,
    query: impl Future<Output = Result<T, StoreError>>,
) -> JsonResponse {
    let load = async {
        let value = query.await?;
        serde_json::to_vec(&value)
            .map(Bytes::from)
            .map_err(|err| StoreError::internal(InternalKind::Encoding, err))
    };
    let answer = match cache {
        Some(cache) => cache
            .get_or_load(key, load)
            .await
            .map_err(|shared| store_error(&shared)),
        None => load
            .await
            .map(|body| Arc::new(Answer::new(body)))
            .map_err(|err| store_error(&err)),
    };
    match answer {
        Ok(answer) => {
            let mut response = json_bytes(StatusCode::OK, answer.body().clone());
            response.extensions_mut().insert(answer);
            response
        }
        Err(response) => response,
    }
}

/// The product id of a path segment, percent-decoded first as query values
/// are (`%31` is `1`, an equivalent URI), then held to the contract's rules
/// (`%201`, a space before the digit, is refused).
fn product_id(segment: &str) -> Result<ProductId, InvalidInput> {
    percent_decode_str(segment).decode_utf8_lossy().parse()
}

/// A 400 saying what was wrong with the request.
fn bad_request(what: &dyn std::fmt::Display) -> JsonResponse {
    json_error(StatusCode::BAD_REQUEST, &what.to_string())
}

/// Reads `page` and `count` from the query pairs; others are ignored, repeats refused.
fn page(query: &[(String, String)]) -> Result<Page, String> {
    let single = |name: &'static str| {
        let mut values = query
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str());
        let first = values.next();
        match values.next() {
            Some(_) => Err(format!("{name} is given more than once")),
            None => Ok(first),
        }
    };
    Page::parse(single("page")?, single("count")?).map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::product_id;

    #[test]
    fn ids_are_percent_decoded_then_held_to_the_contract() {
        assert_eq!(product_id("%31").unwrap().get(), 1);
        assert_eq!(product_id("4%32").unwrap().get(), 42);
        for refused in ["%201", "1%20", "%2B1", "%E2%82%AC", "%FF", "%", "1%3"] {
            assert!(product_id(refused).is_err(), "{refused}");
        }
    }
}
