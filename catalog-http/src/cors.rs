//! CORS for the store's front end on another origin, driven by the route
//! table: a preflight may ask for exactly the methods of its path, and every
//! answer is safe for shared caches (nginx, a CDN), which keep one copy for
//! every caller.
//!
//! warp's own `cors()` wrapper answers preflights and refusals before any
//! route is looked up, with one global method list, and echoes the caller's
//! origin (or sends nothing without one), so a shared copy would carry one
//! site's permission to every other; it also cannot be observed by the
//! request log and metrics. This module keeps its rules (origin, then method,
//! then headers; a refusal is a 403) and fixes those three things.

use std::time::Duration;

use warp::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use warp::hyper::body::Bytes;

use crate::reply::{HttpResponse, Reply};
use crate::route_table::{self, Matched};

/// Request headers a browser may ask to send (a preflight's
/// `Access-Control-Request-Headers`).
const ALLOWED_HEADERS: [&str; 10] = [
    "accept",
    "accept-language",
    "content-type",
    "cache-control",
    "if-none-match",
    "if-modified-since",
    "x-request-id",
    "authorization",
    "if-match",
    "idempotency-key",
];

/// Answer headers a page's script may read besides the safelisted ones.
const EXPOSED_HEADERS: &str = "etag, location, retry-after, idempotent-replayed, x-request-id, www-authenticate";

/// The CORS rules of one service.
#[derive(Debug, Clone)]
pub(crate) struct Cors {
    /// Allowed origins; `None` allows any.
    origins: Option<Vec<HeaderValue>>,
    max_age: HeaderValue,
    allowed_headers: HeaderValue,
}

/// What the CORS rules make of a request.
pub(crate) enum CorsCheck {
    /// Not refused: run the route (the answer is then [`decorated`](Cors::decorate)).
    Proceed,
    /// A preflight: this is the whole answer.
    Preflight(Reply),
    /// Refused: the whole answer is this 403.
    Forbidden(Reply),
}

impl Cors {
    /// Rules allowing `origins` (empty: any), with preflights cached for `max_age`.
    pub(crate) fn new(origins: &[String], max_age: Duration) -> Cors {
        let origins = (!origins.is_empty()).then(|| {
            origins
                .iter()
                .filter_map(|origin| HeaderValue::from_str(origin.trim()).ok())
                .collect()
        });
        Cors {
            origins,
            max_age: HeaderValue::from(max_age.as_secs()),
            allowed_headers: HeaderValue::from_str(&ALLOWED_HEADERS.join(", "))
                .unwrap_or_else(|_| HeaderValue::from_static("accept")),
        }
    }

    fn origin_allowed(&self, origin: &HeaderValue) -> bool {
        self.origins.as_ref().is_none_or(|origins| origins.contains(origin))
    }

    /// Checks a request with `method` and `headers` on the `matched` route (if any).
    pub(crate) fn check(&self, method: &Method, headers: &HeaderMap, matched: Option<Matched<'_>>) -> CorsCheck {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return CorsCheck::Proceed;
        };
        if !self.origin_allowed(origin) {
            return forbidden("origin not allowed");
        }
        if method != Method::OPTIONS {
            return CorsCheck::Proceed;
        }
        let Some(asked) = headers.get(header::ACCESS_CONTROL_REQUEST_METHOD) else {
            return CorsCheck::Proceed;
        };
        let methods = match matched {
            Some(matched) => matched.spec.allow(),
            None => join(&route_table::all_methods()),
        };
        let asked_allowed = asked
            .to_str()
            .is_ok_and(|asked| methods.split(", ").any(|allowed| allowed == asked));
        if !asked_allowed {
            return forbidden("request-method not allowed");
        }
        if let Some(asked) = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
            let allowed = asked.to_str().is_ok_and(|asked| {
                asked
                    .split(',')
                    .map(str::trim)
                    .filter(|name| !name.is_empty())
                    .all(|name| ALLOWED_HEADERS.iter().any(|allowed| allowed.eq_ignore_ascii_case(name)))
            });
            if !allowed {
                return forbidden("header not allowed");
            }
        }
        let methods =
            HeaderValue::from_str(&methods).unwrap_or_else(|_| HeaderValue::from_static("GET, HEAD, OPTIONS"));
        let reply = Reply::no_store(StatusCode::OK, Bytes::new())
            .with_header(header::ACCESS_CONTROL_ALLOW_METHODS, methods)
            .with_header(header::ACCESS_CONTROL_ALLOW_HEADERS, self.allowed_headers.clone())
            .with_header(header::ACCESS_CONTROL_MAX_AGE, self.max_age.clone());
        CorsCheck::Preflight(reply)
    }

    /// Adds the CORS headers of an answer to a request with `headers`: with
    /// any origin allowed, `*` on every answer (with or without an `Origin`);
    /// with a list, the caller's origin when it is allowed, and `Vary: origin`
    /// on every answer, so shared caches keep a copy per origin.
    pub(crate) fn decorate(&self, response: &mut HttpResponse, headers: &HeaderMap) {
        let response_headers = response.headers_mut();
        response_headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
        match &self.origins {
            None => {
                response_headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
            }
            Some(_) => {
                if let Some(origin) = headers.get(header::ORIGIN).filter(|origin| self.origin_allowed(origin)) {
                    response_headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
                }
                let vary = match response_headers.get(header::VARY).and_then(|value| value.to_str().ok()) {
                    Some(existing) => HeaderValue::from_str(&format!("{existing}, origin")).ok(),
                    None => Some(HeaderValue::from_static("origin")),
                };
                if let Some(vary) = vary {
                    response_headers.insert(header::VARY, vary);
                }
            }
        }
    }
}

fn forbidden(why: &str) -> CorsCheck {
    CorsCheck::Forbidden(Reply::error(
        StatusCode::FORBIDDEN,
        &format!("CORS request forbidden: {why}"),
    ))
}

fn join(methods: &[Method]) -> String {
    methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (header::HeaderName::from_static(name), HeaderValue::from_static(value)))
            .collect()
    }

    fn status(check: CorsCheck) -> Option<u16> {
        match check {
            CorsCheck::Proceed => None,
            CorsCheck::Preflight(reply) | CorsCheck::Forbidden(reply) => Some(reply.status().as_u16()),
        }
    }

    #[test]
    fn preflights_are_held_to_origin_method_and_headers() {
        let cors = Cors::new(&["https://shop.example".into()], Duration::from_secs(600));
        let styles = route_table::lookup("/products/1/styles");
        let preflight =
            |pairs: &[(&'static str, &'static str)]| status(cors.check(&Method::OPTIONS, &request(pairs), styles));
        let shop = ("origin", "https://shop.example");
        assert_eq!(preflight(&[shop, ("access-control-request-method", "GET")]), Some(200));
        assert_eq!(
            preflight(&[shop, ("access-control-request-method", "PATCH")]),
            Some(403)
        );
        assert_eq!(
            preflight(&[
                shop,
                ("access-control-request-method", "GET"),
                ("access-control-request-headers", "If-None-Match, accept")
            ]),
            Some(200)
        );
        assert_eq!(
            preflight(&[
                shop,
                ("access-control-request-method", "GET"),
                ("access-control-request-headers", "x-secret")
            ]),
            Some(403)
        );
        assert_eq!(
            preflight(&[
                ("origin", "https://evil.example"),
                ("access-control-request-method", "GET")
            ]),
            Some(403)
        );
        assert_eq!(preflight(&[shop]), None, "a plain OPTIONS goes to the route");
        assert_eq!(status(cors.check(&Method::GET, &request(&[]), styles)), None);
    }
}
