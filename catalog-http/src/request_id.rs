//! Request ids: the caller's `X-Request-Id` (nginx sets one) when it is a
//! sane value, a new random one otherwise; echoed in the answer and logged,
//! so one request can be followed from the edge to the service's log.

use warp::http::{HeaderMap, HeaderName, HeaderValue};

/// The header that carries a request's id.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Longest caller-given id kept; a longer one is replaced.
const MAX_LEN: usize = 128;

/// The id of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(HeaderValue);

impl RequestId {
    /// The id `headers` carry, if it is 1 to 128 visible ASCII characters;
    /// otherwise a new random (UUID v4) one.
    pub fn from_headers(headers: &HeaderMap) -> RequestId {
        let given = headers.get(&REQUEST_ID_HEADER).filter(|value| {
            let bytes = value.as_bytes();
            (1..=MAX_LEN).contains(&bytes.len()) && bytes.iter().all(|byte| byte.is_ascii_graphic())
        });
        match given {
            Some(value) => RequestId(value.clone()),
            None => RequestId::generate(),
        }
    }

    /// A new random id.
    pub fn generate() -> RequestId {
        let id = uuid::Uuid::new_v4().simple().to_string();
        RequestId(HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("unknown")))
    }

    /// The id as a header value.
    pub fn header_value(&self) -> &HeaderValue {
        &self.0
    }

    /// The id as text (always visible ASCII).
    pub fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_of(value: &[u8]) -> RequestId {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID_HEADER, HeaderValue::from_bytes(value).unwrap());
        RequestId::from_headers(&headers)
    }

    #[test]
    fn a_sane_caller_id_is_kept_and_anything_else_replaced() {
        assert_eq!(id_of(b"abc-123").as_str(), "abc-123");
        for insane in [&b"has space"[..], b"", &[b'x'; 129][..], "é".as_bytes()] {
            let replaced = id_of(insane);
            assert_eq!(replaced.as_str().len(), 32, "{insane:?}");
            assert!(replaced.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
        }
        assert_ne!(RequestId::generate(), RequestId::generate());
        assert_eq!(RequestId::from_headers(&HeaderMap::new()).as_str().len(), 32);
    }
}
