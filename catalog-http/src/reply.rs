//! The typed reply of every route: status, JSON body, and whether caches may
//! keep it, said by its type rather than by a header a handler remembers to set.

use std::sync::Arc;

use catalog_core::StoreError;
use serde::Serialize;
use warp::http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode, header};
use warp::hyper::body::Bytes;

use crate::answer::Answer;

/// The response type the service produces.
pub type HttpResponse = Response<Bytes>;

/// The content type of every catalog answer.
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// Which of the service's `Cache-Control` policies a shared reply is kept under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// The catalog's own answers: products, pages, related ids.
    Catalog,
    /// Answers that carry stock (styles, SKUs), which every sale moves.
    Stock,
    /// Kept by the browser alone, revalidated each time (the API reference).
    Browser,
}

/// Whether caches may keep a reply.
#[derive(Clone)]
pub(crate) enum Cacheability {
    /// A 200 that caches may keep under the `Cache-Control` of its
    /// [`Freshness`] (browsers, shared caches and CDNs for the catalog's
    /// answers, browsers alone for [`Freshness::Browser`]): it gets an
    /// `ETag`, 304 answers and compressed forms, all derived from (and kept
    /// with) its [`Answer`].
    Shared(Arc<Answer>, Freshness),
    /// Never stored anywhere: `Cache-Control: no-store` and no `ETag`
    /// (errors, health, metrics).
    NoStore,
}

/// What a route answers: a status, a body with its content type, extra
/// headers, and its [`Cacheability`].
pub struct Reply {
    status: StatusCode,
    content_type: HeaderValue,
    body: Bytes,
    headers: HeaderMap,
    pub(crate) cacheability: Cacheability,
}

impl Reply {
    /// A 200 with `answer`'s body that caches may keep for as long as its
    /// `freshness` allows.
    pub(crate) fn shared(answer: Arc<Answer>, freshness: Freshness) -> Reply {
        Reply {
            status: StatusCode::OK,
            content_type: HeaderValue::from_static(JSON_CONTENT_TYPE),
            body: answer.body().clone(),
            headers: HeaderMap::new(),
            cacheability: Cacheability::Shared(answer, freshness),
        }
    }

    /// A JSON `body` with `status` that no cache may keep.
    pub(crate) fn no_store(status: StatusCode, body: impl Into<Bytes>) -> Reply {
        Reply {
            status,
            content_type: HeaderValue::from_static(JSON_CONTENT_TYPE),
            body: body.into(),
            headers: HeaderMap::new(),
            cacheability: Cacheability::NoStore,
        }
    }

    /// The contract's error form, `{"error": "<message>"}`, with `status`; never cached.
    pub(crate) fn error(status: StatusCode, message: &str) -> Reply {
        #[derive(Serialize)]
        struct ErrorBody<'a> {
            error: &'a str,
        }
        let body = serde_json::to_vec(&ErrorBody { error: message }).unwrap_or_default();
        Reply::no_store(status, body)
    }

    /// The same reply with another content type.
    pub(crate) fn with_content_type(mut self, content_type: &'static str) -> Reply {
        self.content_type = HeaderValue::from_static(content_type);
        self
    }

    /// The same reply with header `name` set to `value`.
    pub(crate) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Reply {
        self.headers.insert(name, value);
        self
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body as served without a content coding.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Whether browsers and shared caches may keep the reply.
    pub fn is_cacheable(&self) -> bool {
        matches!(self.cacheability, Cacheability::Shared(..))
    }

    /// The response with the reply's own headers only: `Cache-Control: no-store`
    /// when it must not be kept, and nothing for caches otherwise (the
    /// service's HTTP caching layer adds `ETag`, `Cache-Control` and codings).
    pub(crate) fn into_http(self) -> HttpResponse {
        let no_store = !self.is_cacheable();
        let mut response = Response::new(self.body);
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        *headers = self.headers;
        headers.insert(header::CONTENT_TYPE, self.content_type);
        if no_store {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        response
    }
}

impl warp::Reply for Reply {
    fn into_response(self) -> warp::reply::Response {
        warp::Reply::into_response(self.into_http())
    }
}

/// A 404 for a path no route answers.
pub(crate) fn no_such_route() -> Reply {
    Reply::error(StatusCode::NOT_FOUND, "no such route; see GET /products")
}

/// The 503 of a store that cannot answer now.
pub(crate) fn unavailable() -> Reply {
    Reply::error(
        StatusCode::SERVICE_UNAVAILABLE,
        "the catalog is temporarily unavailable; retry shortly",
    )
}

/// The reply to a store error; internal details stay in the log.
pub(crate) fn store_error(err: &StoreError) -> Reply {
    match err {
        StoreError::ProductNotFound(_) | StoreError::SkuNotFound(_) => {
            Reply::error(StatusCode::NOT_FOUND, &err.to_string())
        }
        StoreError::ChangesGone { .. } => Reply::error(StatusCode::GONE, &err.to_string()),
        StoreError::Unavailable { .. } => {
            tracing::warn!(%err, "store unavailable");
            unavailable()
        }
        StoreError::Internal { .. } => {
            tracing::error!(%err, "store fault");
            Reply::error(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
        }
    }
}

/// A 400 saying what was wrong with the request.
pub(crate) fn bad_request(what: &dyn std::fmt::Display) -> Reply {
    Reply::error(StatusCode::BAD_REQUEST, &what.to_string())
}
