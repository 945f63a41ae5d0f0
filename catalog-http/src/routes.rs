//! The four catalog read routes over any store: their handlers, and the
//! embeddable warp filter of them alone.

use std::future::Future;
use std::sync::Arc;

use catalog_core::{CatalogStore, InternalKind, InvalidInput, Page, ProductId, StoreError};
use percent_encoding::percent_decode_str;
use serde::Serialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use warp::hyper::body::Bytes;

use crate::answer::Answer;
use crate::cache::{CacheKey, ResponseCache};
use crate::reply::{Freshness, Reply, bad_request, no_such_route, store_error};
use crate::route_table::{self, Access, Matched, MethodOutcome, Route};
use crate::surrogate;

/// The four routes of the contract over `store`:
/// `GET /products`, `/products/:id`, `/products/:id/styles`, `/products/:id/related`.
///
/// Bad input (ids, `page`, `count`) and other methods on these paths are
/// answered here with JSON errors; any other path is rejected as not found,
/// so the filter can be mounted beside other routes or under a prefix.
pub fn routes(store: Arc<dyn CatalogStore>) -> BoxedFilter<(Reply,)> {
    routes_with_cache(store, None)
}

/// [`routes`] with answers served from `cache` when it holds them.
pub fn routes_with_cache(store: Arc<dyn CatalogStore>, cache: Option<ResponseCache>) -> BoxedFilter<(Reply,)> {
    warp::method()
        .and(warp::path::tail())
        .and(raw_query())
        .and_then(move |method: Method, tail: warp::path::Tail, query: String| {
            let store = Arc::clone(&store);
            let cache = cache.clone();
            async move {
                let path = format!("/{}", tail.as_str());
                let matched = route_table::lookup(&path).filter(|matched| matched.spec.catalog);
                match matched {
                    Some(matched) => Ok(answer(&*store, cache.as_ref(), &method, matched, &query).await),
                    None => Err(warp::reject::not_found()),
                }
            }
        })
        .boxed()
}

/// The raw query string, empty when there is none.
pub(crate) fn raw_query() -> impl Filter<Extract = (String,), Error = std::convert::Infallible> + Clone {
    warp::query::raw().or(warp::any().map(String::new)).unify()
}

/// The answer of `method` on the matched catalog route (for the embeddable filter).
async fn answer(
    store: &dyn CatalogStore,
    cache: Option<&ResponseCache>,
    method: &Method,
    matched: Matched<'_>,
    query: &str,
) -> Reply {
    match matched.spec.method(method) {
        MethodOutcome::Run(Access::Public) => read(store, cache, matched, query).await,
        // The embeddable filter serves the reads alone; writes need the service.
        MethodOutcome::Run(Access::Token) => method_not_allowed(matched, method),
        MethodOutcome::Options => options(matched),
        MethodOutcome::NotAllowed => method_not_allowed(matched, method),
    }
}

/// A 204 to a plain `OPTIONS`, naming the route's methods.
pub(crate) fn options(matched: Matched<'_>) -> Reply {
    Reply::no_store(StatusCode::NO_CONTENT, Bytes::new()).with_header(header::ALLOW, allow(matched))
}

/// A 405 naming the route's methods.
pub(crate) fn method_not_allowed(matched: Matched<'_>, method: &Method) -> Reply {
    let allowed = matched.spec.allow();
    let message = format!("method {method} is not allowed; use {allowed}");
    Reply::error(StatusCode::METHOD_NOT_ALLOWED, &message).with_header(header::ALLOW, allow(matched))
}

fn allow(matched: Matched<'_>) -> HeaderValue {
    HeaderValue::from_str(&matched.spec.allow()).unwrap_or_else(|_| HeaderValue::from_static("GET, HEAD, OPTIONS"))
}

/// Runs the read route `matched` names (a catalog route; any other is a 404).
pub(crate) async fn read(
    store: &dyn CatalogStore,
    cache: Option<&ResponseCache>,
    matched: Matched<'_>,
    query: &str,
) -> Reply {
    let id = || product_id(matched.id.unwrap_or_default());
    match matched.spec.route {
        Route::List => match page(query) {
            Ok(page) => {
                let key = CacheKey::List {
                    page: page.page(),
                    count: page.count(),
                };
                respond(cache, key, || serialized(store.products(page))).await
            }
            Err(message) => bad_request(&message),
        },
        Route::Product => match id() {
            Ok(id) => respond(cache, CacheKey::Product(id.get()), || serialized(store.product(id))).await,
            Err(err) => bad_request(&err),
        },
        Route::Styles => match id() {
            Ok(id) => {
                let body = || async move { store.styles_body(id).await.map(Bytes::from) };
                respond(cache, CacheKey::Styles(id.get()), body).await
            }
            Err(err) => bad_request(&err),
        },
        Route::Related => match id() {
            Ok(id) => respond(cache, CacheKey::Related(id.get()), || serialized(store.related(id))).await,
            Err(err) => bad_request(&err),
        },
        _ => no_such_route(),
    }
}

/// The body of `query`'s result, serialized as the contract's JSON.
async fn serialized<T: Serialize>(query: impl Future<Output = Result<T, StoreError>>) -> Result<Bytes, StoreError> {
    let value = query.await?;
    serde_json::to_vec(&value)
        .map(Bytes::from)
        .map_err(|err| StoreError::internal(InternalKind::Encoding, err))
}

/// A shared reply with the body a future of `load` gives, through `cache`
/// when there is one, with its `Surrogate-Key` and, for styles, the stock
/// answers' freshness.
async fn respond<L, F>(cache: Option<&ResponseCache>, key: CacheKey, load: L) -> Reply
where
    L: Fn() -> F,
    F: Future<Output = Result<Bytes, StoreError>>,
{
    let freshness = match key {
        CacheKey::Styles(_) => Freshness::Stock,
        _ => Freshness::Catalog,
    };
    let answer = match cache {
        Some(cache) => cache
            .get_or_load(key, load)
            .await
            .map_err(|shared| store_error(&shared)),
        None => load()
            .await
            .map(|body| Arc::new(Answer::new(body)))
            .map_err(|err| store_error(&err)),
    };
    match answer {
        Ok(answer) => Reply::shared(answer, freshness).with_header(
            HeaderName::from_static(surrogate::SURROGATE_KEY),
            surrogate::of_answer(key),
        ),
        Err(reply) => reply,
    }
}

/// The product id of a path segment, percent-decoded first as query values
/// are (`%31` is `1`, an equivalent URI), then held to the contract's rules
/// (`%201`, a space before the digit, is refused).
fn product_id(segment: &str) -> Result<ProductId, InvalidInput> {
    decoded_id(segment)
}

/// An id of a path segment (a product, style or SKU id), percent-decoded
/// first, then held to the contract's rules.
pub(crate) fn decoded_id<T: std::str::FromStr<Err = InvalidInput>>(segment: &str) -> Result<T, InvalidInput> {
    percent_decode_str(segment).decode_utf8_lossy().parse()
}

/// Reads `page` and `count` from the query; other parameters are ignored,
/// repeats refused.
fn page(query: &str) -> Result<Page, String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|err| format!("the query string cannot be read: {err}"))?;
    let single = |name: &'static str| {
        let mut values = pairs
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
    use super::{page, product_id};

    #[test]
    fn ids_are_percent_decoded_then_held_to_the_contract() {
        assert_eq!(product_id("%31").unwrap().get(), 1);
        assert_eq!(product_id("4%32").unwrap().get(), 42);
        for refused in ["%201", "1%20", "%2B1", "%E2%82%AC", "%FF", "%", "1%3"] {
            assert!(product_id(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn pages_read_their_two_parameters_once_each() {
        let parsed = page("page=2&count=7&sort=x").unwrap();
        assert_eq!((parsed.page(), parsed.count()), (2, 7));
        assert!(page("page=1&page=2").is_err());
        assert_eq!(page("").unwrap().count(), 5);
    }
}
