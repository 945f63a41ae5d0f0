//! HTTP caching of answers by browsers, CDNs and proxies: a strong `ETag` on
//! every 200, `If-None-Match` answered with 304, and `Cache-Control` from a
//! [`CachePolicy`]. (Errors carry `Cache-Control: no-store` from `reply`.)

use std::time::Duration;

use warp::http::{HeaderValue, StatusCode, header};
use warp::hyper::body::Bytes;

use crate::reply::JsonResponse;

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

    /// Adds the caching headers to `response`, the answer to a request that
    /// sent `if_none_match`: a 200 gets its `ETag` and `Cache-Control`, and
    /// becomes a bodiless 304 when the client already holds that version.
    /// Other answers, and 200s that set their own `Cache-Control` (the health
    /// checks), are left as they are.
    pub(crate) fn apply(&self, if_none_match: Option<&str>, mut response: JsonResponse) -> JsonResponse {
        if response.status() != StatusCode::OK || response.headers().contains_key(header::CACHE_CONTROL) {
            return response;
        }
        let tag = etag(response.body());
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, self.cache_control());
        if let Ok(value) = HeaderValue::from_str(&tag) {
            headers.insert(header::ETAG, value);
        }
        if if_none_match.is_some_and(|condition| matches_any(condition, &tag)) {
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            *response.body_mut() = Bytes::new();
            response.headers_mut().remove(header::CONTENT_TYPE);
        }
        response
    }
}

/// The strong entity tag of `body`: its 128-bit XXH3 hash, quoted. It depends
/// on the bytes alone, so every instance serving the same data gives the same tag.
pub(crate) fn etag(body: &[u8]) -> String {
    format!("\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(body))
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
    fn tags_are_quoted_hashes_that_follow_the_bytes() {
        let tag = etag(br#"{"id":1}"#);
        assert_eq!(tag.len(), 34);
        assert!(tag.starts_with('"') && tag.ends_with('"'));
        assert_eq!(tag, etag(br#"{"id":1}"#));
        assert_ne!(tag, etag(br#"{"id":2}"#));
    }

    #[test]
    fn if_none_match_lists_wildcards_and_weak_tags_match() {
        let tag = etag(b"x");
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
