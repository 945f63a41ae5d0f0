//! HTTP caching of answers by browsers, CDNs and proxies: a strong `ETag` on
//! every 200, `If-None-Match` answered with 304, `Cache-Control` from a
//! [`CachePolicy`], and brotli or gzip as `Accept-Encoding` asks, with
//! `Vary: Accept-Encoding`. (Errors carry `Cache-Control: no-store` from `reply`.)

use std::time::Duration;

use warp::http::{HeaderValue, StatusCode, header};
use warp::hyper::body::Bytes;

use crate::compression::{self, Coding};
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
}

/// Adds the caching headers to `response`, the answer to a request that
/// sent `if_none_match` and `accept_encoding`: a 200 gets its `ETag`,
/// `cache_control` (a [`CachePolicy::cache_control`], made once per service)
/// and `Vary`, is compressed when the client accepts
/// brotli or gzip and the body is large enough, and becomes a bodiless 304
/// when the client already holds that version. Other answers, and 200s
/// that set their own `Cache-Control` (the health checks), are left as they are.
pub(crate) fn apply(
    cache_control: &HeaderValue,
    if_none_match: Option<&str>,
    accept_encoding: Option<&str>,
    mut response: JsonResponse,
) -> JsonResponse {
    if response.status() != StatusCode::OK || response.headers().contains_key(header::CACHE_CONTROL) {
        return response;
    }
    let identity_tag = etag(response.body());
    let coding = accept_encoding
        .filter(|_| response.body().len() >= compression::MIN_COMPRESSED_LEN)
        .and_then(compression::negotiate);
    let tag = coding.map_or_else(|| identity_tag.clone(), |coding| coded_tag(&identity_tag, coding));
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, cache_control.clone());
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if if_none_match.is_some_and(|condition| matches_any(condition, &tag)) {
        set_etag(&mut response, &tag);
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        *response.body_mut() = Bytes::new();
        response.headers_mut().remove(header::CONTENT_TYPE);
        return response;
    }
    match coding.and_then(|coding| Some((coding, coding.compress(response.body())?))) {
        Some((coding, compressed)) => {
            set_etag(&mut response, &tag);
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding.token()));
            *response.body_mut() = Bytes::from(compressed);
        }
        None => set_etag(&mut response, &identity_tag),
    }
    response
}

fn set_etag(response: &mut JsonResponse, tag: &str) {
    if let Ok(value) = HeaderValue::from_str(tag) {
        response.headers_mut().insert(header::ETAG, value);
    }
}

/// The tag of the `coding` form of the body tagged `identity_tag`: each
/// representation has its own strong tag, as RFC 9110 §8.8.3 requires.
fn coded_tag(identity_tag: &str, coding: Coding) -> String {
    format!("{}-{}\"", identity_tag.trim_end_matches('"'), coding.token())
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
    fn coded_tags_differ_by_coding_and_stay_quoted() {
        let tag = etag(b"x");
        let br = coded_tag(&tag, Coding::Brotli);
        assert!(
            br.starts_with(tag.trim_end_matches('"')) && br.ends_with("-br\""),
            "{br}"
        );
        assert_ne!(br, coded_tag(&tag, Coding::Gzip));
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
