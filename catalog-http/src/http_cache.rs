//! HTTP caching of answers by browsers, CDNs and proxies: a strong `ETag` on
//! every 200, `If-None-Match` answered with 304, `Cache-Control` from a
//! [`CachePolicy`], and brotli or gzip as `Accept-Encoding` asks, with
//! `Vary: Accept-Encoding`, for the replies whose type says caches may keep
//! them; every other reply says `Cache-Control: no-store`.

use std::time::Duration;

use warp::http::{HeaderValue, StatusCode, header};
use warp::hyper::body::Bytes;

#[cfg(doc)]
use crate::answer::Answer;
use crate::compression;
use crate::reply::{Cacheability, Freshness, HttpResponse, Reply};

/// How long shared caches and browsers may keep successful answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// `max-age`: how long an answer is fresh.
    pub max_age: Duration,
    /// `stale-while-revalidate`: how long past `max_age` a cache may serve the
    /// stale answer while it fetches a new one in the background.
    pub stale_while_revalidate: Duration,
    /// `stale-if-error`: how long past `max_age` a cache may serve the stale
    /// answer when the service fails or cannot be reached.
    pub stale_if_error: Duration,
}

impl Default for CachePolicy {
    /// Fresh for 60 s, then served stale for 60 s while revalidating, or for
    /// 10 minutes when the service is failing.
    fn default() -> CachePolicy {
        CachePolicy {
            max_age: Duration::from_secs(60),
            stale_while_revalidate: Duration::from_secs(60),
            stale_if_error: Duration::from_secs(600),
        }
    }
}

impl CachePolicy {
    /// The default for answers that carry stock (styles, SKUs), which every
    /// sale moves: fresh for 1 s, then served stale for 1 s while
    /// revalidating (so a shared cache shows a sale within about 3 s, see
    /// docs/deploy.md), or for 10 minutes when the service is failing.
    pub fn stock() -> CachePolicy {
        CachePolicy {
            max_age: Duration::from_secs(1),
            stale_while_revalidate: Duration::from_secs(1),
            ..CachePolicy::default()
        }
    }

    /// The `Cache-Control` value of a successful answer.
    pub fn cache_control(&self) -> HeaderValue {
        let value = format!(
            "public, max-age={}, stale-while-revalidate={}, stale-if-error={}",
            self.max_age.as_secs(),
            self.stale_while_revalidate.as_secs(),
            self.stale_if_error.as_secs()
        );
        HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("no-cache"))
    }
}

/// The `Cache-Control` values of one service's two policies, made once, and
/// the fixed one of answers only a browser may keep.
pub(crate) struct CacheControls {
    catalog: HeaderValue,
    stock: HeaderValue,
    browser: HeaderValue,
}

impl CacheControls {
    /// The values of `catalog` (products, pages, related ids) and `stock`
    /// (styles, SKUs).
    pub(crate) fn new(catalog: &CachePolicy, stock: &CachePolicy) -> CacheControls {
        CacheControls {
            catalog: catalog.cache_control(),
            stock: stock.cache_control(),
            browser: HeaderValue::from_static("private, no-cache"),
        }
    }

    fn of(&self, freshness: Freshness) -> &HeaderValue {
        match freshness {
            Freshness::Catalog => &self.catalog,
            Freshness::Stock => &self.stock,
            Freshness::Browser => &self.browser,
        }
    }
}

/// The response to a request that sent `if_none_match` and
/// `accept_encoding`, whose route replied `reply`. A shared reply gets its
/// `ETag`, the `Cache-Control` of its freshness and `Vary`, is compressed when the client accepts brotli or gzip
/// and the body is large enough, and becomes a bodiless 304 when the client
/// already holds that version; tags and compressed forms come from the
/// reply's [`Answer`] (shared with the response cache, so made once per
/// cached answer). Any other reply says `no-store` and nothing else.
pub(crate) fn finish(
    reply: Reply,
    cache_controls: &CacheControls,
    if_none_match: Option<&str>,
    accept_encoding: Option<&str>,
) -> HttpResponse {
    let Cacheability::Shared(answer, freshness) = reply.cacheability.clone() else {
        return reply.into_http();
    };
    let coding = accept_encoding
        .filter(|_| answer.body().len() >= compression::MIN_COMPRESSED_LEN)
        .and_then(compression::negotiate);
    let tag = answer.tag(coding);
    let mut response = reply.into_http();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, cache_controls.of(freshness).clone());
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if if_none_match.is_some_and(|condition| matches_any(condition, tag.to_str().unwrap_or_default())) {
        headers.insert(header::ETAG, tag.clone());
        headers.remove(header::CONTENT_TYPE);
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        *response.body_mut() = Bytes::new();
        return response;
    }
    match coding.and_then(|coding| Some((coding, answer.coded(coding)?))) {
        Some((coding, compressed)) => {
            headers.insert(header::ETAG, tag.clone());
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding.token()));
            *response.body_mut() = compressed.clone();
        }
        None => {
            headers.insert(header::ETAG, answer.tag(None).clone());
        }
    }
    response
}

/// Whether an `If-None-Match` value names `tag` (or is `*`). The comparison is
/// weak, as RFC 9110 asks for `If-None-Match`: a `W/` prefix is ignored.
fn matches_any(if_none_match: &str, tag: &str) -> bool {
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_lists_wildcards_and_weak_tags_match() {
        let tag = catalog_core::entity_tag(b"x");
        assert!(matches_any(&tag, &tag));
        assert!(matches_any(&format!("\"other\", W/{tag}"), &tag));
        assert!(matches_any(" * ", &tag));
        assert!(!matches_any("\"other\"", &tag));
        assert!(!matches_any("", &tag));
        assert!(!matches_any(tag.trim_matches('"'), &tag));
    }

    #[test]
    fn the_policy_spells_every_directive() {
        let policy = CachePolicy {
            max_age: Duration::from_secs(5),
            stale_while_revalidate: Duration::from_secs(6),
            stale_if_error: Duration::from_secs(7),
        };
        assert_eq!(
            policy.cache_control(),
            "public, max-age=5, stale-while-revalidate=6, stale-if-error=7"
        );
    }
}
