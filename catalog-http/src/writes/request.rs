//! The parts of a write request besides its operation: the body read within
//! its limit, its content type, `If-Match` and `Idempotency-Key`.

use catalog_core::entity_tag;
use catalog_core::write::{IdempotencyKey, Precondition};
use futures_util::{Stream, StreamExt};
use warp::Buf;
use warp::http::{HeaderMap, Method, StatusCode, header};
use warp::hyper::body::Bytes;

use crate::reply::Reply;

/// The largest body a write accepts: 64 KiB (64 KiB exactly is accepted).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The request header that makes a `POST` safe to retry.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Reads the request body, refusing one over [`MAX_BODY_BYTES`] (413)
/// whether or not it says its length up front.
pub(crate) async fn read_body<S, B>(headers: &HeaderMap, body: S) -> Result<Bytes, Reply>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let too_large = || {
        Reply::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the body is larger than {MAX_BODY_BYTES} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let mut collected = Vec::new();
    let mut body = std::pin::pin!(body);
    while let Some(chunk) = body.next().await {
        let mut chunk = chunk.map_err(|err| {
            tracing::debug!(%err, "request body unreadable");
            Reply::error(StatusCode::BAD_REQUEST, "the request body could not be read")
        })?;
        if collected.len() + chunk.remaining() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        while chunk.has_remaining() {
            let piece = chunk.chunk();
            collected.extend_from_slice(piece);
            let read = piece.len();
            chunk.advance(read);
        }
    }
    Ok(Bytes::from(collected))
}

/// Checks that a body is declared as JSON: `application/json` (any
/// `charset=utf-8`), or `application/merge-patch+json` for a `PATCH`; 415 otherwise.
pub(crate) fn check_content_type(headers: &HeaderMap, method: &Method) -> Result<(), Reply> {
    let unsupported = || {
        let accepted = if method == Method::PATCH {
            "application/json or application/merge-patch+json"
        } else {
            "application/json"
        };
        Reply::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!("the body must be sent as {accepted}"),
        )
    };
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return Err(unsupported());
    };
    let mut parts = value.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default().to_ascii_lowercase();
    let json = essence == "application/json" || (method == Method::PATCH && essence == "application/merge-patch+json");
    let charset_ok = parts.all(|parameter| match parameter.split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
            value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        _ => true,
    });
    if json && charset_ok { Ok(()) } else { Err(unsupported()) }
}

/// The request's `If-Match`, if any: `*`, or its strong tags with a content
/// coding's suffix taken off (a tag of a compressed answer names the same
/// state); weak tags are kept as they are, so they never match.
pub(crate) fn precondition(headers: &HeaderMap) -> Option<Precondition> {
    let values: Vec<&str> = headers
        .get_all(header::IF_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    if values.is_empty() {
        return None;
    }
    let mut tags = Vec::new();
    for tag in values.iter().flat_map(|value| value.split(',')).map(str::trim) {
        if tag == "*" {
            return Some(Precondition::Any);
        }
        if !tag.is_empty() {
            tags.push(identity_tag(tag));
        }
    }
    Some(Precondition::Tags(tags))
}

/// A tag without the `-br` or `-gzip` suffix the service gives compressed forms.
fn identity_tag(tag: &str) -> String {
    for suffix in ["-br\"", "-gzip\""] {
        if let Some(stripped) = tag.strip_suffix(suffix)
            && !stripped.starts_with("W/")
        {
            return format!("{stripped}\"");
        }
    }
    tag.to_owned()
}

/// The request's `Idempotency-Key`, if any, with the fingerprint of the
/// request it comes with; 400 for a key that is not 1 to 255 visible ASCII characters.
pub(crate) fn idempotency_key(
    headers: &HeaderMap,
    method: &Method,
    path: &str,
    body: &[u8],
) -> Result<Option<IdempotencyKey>, Reply> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value.as_bytes();
    if key.is_empty() || key.len() > 255 || !key.iter().all(|b| b.is_ascii_graphic()) {
        return Err(Reply::error(
            StatusCode::BAD_REQUEST,
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
        ));
    }
    let mut request = Vec::with_capacity(method.as_str().len() + path.len() + body.len() + 2);
    for part in [method.as_str().as_bytes(), b"\n", path.as_bytes(), b"\n", body] {
        request.extend_from_slice(part);
    }
    Ok(Some(IdempotencyKey {
        key: String::from_utf8_lossy(key).into_owned(),
        fingerprint: entity_tag(&request),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use warp::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn json_is_the_only_body_type() {
        let ok = |value, method: Method| check_content_type(&headers(&[("content-type", value)]), &method).is_ok();
        assert!(ok("application/json", Method::POST));
        assert!(ok("Application/JSON; charset=UTF-8", Method::POST));
        assert!(ok("application/merge-patch+json", Method::PATCH));
        assert!(!ok("application/merge-patch+json", Method::POST));
        assert!(!ok("application/json; charset=latin1", Method::POST));
        assert!(!ok("text/plain", Method::POST));
        assert!(check_content_type(&HeaderMap::new(), &Method::POST).is_err());
    }

    #[test]
    fn if_match_reads_stars_lists_and_coded_tags() {
        assert_eq!(precondition(&HeaderMap::new()), None);
        assert_eq!(precondition(&headers(&[("if-match", "*")])), Some(Precondition::Any));
        assert_eq!(
            precondition(&headers(&[("if-match", "\"a\", \"b-br\""), ("if-match", "W/\"c\"")])),
            Some(Precondition::Tags(vec![
                "\"a\"".into(),
                "\"b\"".into(),
                "W/\"c\"".into()
            ]))
        );
    }

    #[test]
    fn keys_are_visible_ascii_and_fingerprint_the_request() {
        let key = |value| {
            idempotency_key(
                &headers(&[("idempotency-key", value)]),
                &Method::POST,
                "/adjustments",
                b"{}",
            )
        };
        assert!(key("order-1001").is_ok_and(|key| key.is_some()));
        assert!(key("has space").is_err());
        assert!(key("").is_err());
        let first = key("k").ok().flatten().expect("a key");
        let other_body = idempotency_key(
            &headers(&[("idempotency-key", "k")]),
            &Method::POST,
            "/adjustments",
            b"{ }",
        )
        .ok()
        .flatten()
        .expect("a key");
        assert_ne!(first.fingerprint, other_body.fingerprint);
    }
}
