//! The write routes: authentication, the body, preconditions and keys, the
//! store's write, and dropping from the response cache exactly what the
//! write touched before its answer is sent.
//!
//! The order of the checks is the contract's: a 401 comes before anything
//! else (the body is not even read), a 403 before any change; then the
//! body's type (415), size (413) and content (400, 422); then `If-Match`
//! (428 for a quantity set without it) and `Idempotency-Key` (400).

// Each check returns the early `Reply` it answers with: boxing it would buy
// nothing on a path that answers once per request.
#![allow(clippy::result_large_err)]

mod operation;
pub mod request;

use std::sync::Arc;

use catalog_auth::{TokenRegistry, Unauthorized};
use catalog_core::write::{ChangeQuery, Touched, WriteContext, WriteError, WriteRequest, Written};
use catalog_core::{CatalogWriter, SkuId, StoreError, UnavailableKind};
use futures_util::Stream;
use warp::Buf;
use warp::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use warp::hyper::body::Bytes;

use crate::answer::Answer;
use crate::cache::{CacheKey, Invalidation, ResponseCache};
use crate::reply::{Freshness, Reply, bad_request, store_error};
use crate::request_id::RequestId;
use crate::route_table::{Matched, Route};
use crate::routes::decoded_id;
use crate::surrogate;

/// What the write routes need: the store's write side and the tokens.
#[derive(Clone)]
pub struct Writes {
    /// The store's write side.
    pub writer: Arc<dyn CatalogWriter>,
    /// The tokens that may write, reloaded by the app as their file changes.
    pub tokens: Arc<TokenRegistry>,
}

impl std::fmt::Debug for Writes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writes")
            .field("tokens_file", &self.tokens.path())
            .finish_non_exhaustive()
    }
}

/// `Idempotent-Replayed`: the answer is the stored first answer to the key.
const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// One request to a route with `Access::Token`.
pub(crate) struct WriteCall<'a, S> {
    pub(crate) method: &'a Method,
    pub(crate) matched: Matched<'a>,
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: S,
    pub(crate) request_id: &'a RequestId,
}

/// The answer to a write route (one whose method has `Access::Token`).
pub(crate) async fn handle<S, B>(
    writes: Option<&Writes>,
    cache: Option<&ResponseCache>,
    call: WriteCall<'_, S>,
) -> Reply
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let Some(writes) = writes else {
        return Reply::error(StatusCode::NOT_IMPLEMENTED, "this store does not take writes");
    };
    let tokens = writes.tokens.current();
    let authorization = call.headers.get(header::AUTHORIZATION).map(HeaderValue::as_bytes);
    let identity = match tokens.authenticate(authorization, jiff::Timestamp::now()) {
        Ok(identity) => identity,
        Err(refused) => return unauthorized(&refused),
    };
    if call.matched.spec.route == Route::Changes {
        if identity.scopes().is_empty() {
            return forbidden("reading the change log needs a token with a write scope");
        }
        return changes(&*writes.writer, call.query).await;
    }
    let op = match operation::read(call.method, call.matched, call.headers, call.body).await {
        Ok(op) => op,
        Err(reply) => return reply,
    };
    if let Some(missing) = op.op.required_scopes().iter().find(|scope| !identity.has(**scope)) {
        return forbidden(&format!("this write needs a token with scope {missing}"));
    }
    let precondition = request::precondition(call.headers);
    if op.op.requires_precondition() && precondition.is_none() {
        return Reply::error(
            StatusCode::PRECONDITION_REQUIRED,
            "setting a quantity needs If-Match with the SKU's current ETag (a blind overwrite of stock loses sales); \
             or use POST /skus/:sku_id/adjustments",
        );
    }
    let idempotency = if call.method == Method::POST {
        match request::idempotency_key(call.headers, call.method, call.path, &op.body) {
            Ok(key) => key,
            Err(reply) => return reply,
        }
    } else {
        None
    };
    let request = WriteRequest {
        op: op.op,
        context: WriteContext {
            token: identity.name().to_owned(),
            request_id: call.request_id.as_str().to_owned(),
            idempotency,
            precondition,
        },
    };
    match write_and_invalidate(Arc::clone(&writes.writer), cache.cloned(), request).await {
        Ok(written) => reply_of(written),
        Err(err) => write_error(&err),
    }
}

/// Runs `request` and then drops what it touched from `cache`, on a task of
/// its own: a client that hangs up mid-write cancels neither, so no write
/// commits without its invalidation.
async fn write_and_invalidate(
    writer: Arc<dyn CatalogWriter>,
    cache: Option<ResponseCache>,
    request: WriteRequest,
) -> Result<Written, WriteError> {
    let task = tokio::spawn(async move {
        let written = writer.write(request).await?;
        if let Some(cache) = cache {
            cache.invalidate(written.touched.iter().map(invalidation)).await;
        }
        Ok(written)
    });
    match task.await {
        Ok(written) => written,
        Err(failed) if failed.is_panic() => std::panic::resume_unwind(failed.into_panic()),
        // Only a runtime shutting down cancels the task.
        Err(_) => Err(WriteError::Store(StoreError::unavailable(
            UnavailableKind::Unreachable,
            "the service is stopping",
        ))),
    }
}

/// The cache entry a touched answer lives under.
pub(crate) fn invalidation(touched: &Touched) -> Invalidation {
    match *touched {
        Touched::Product(id) => Invalidation::Key(CacheKey::Product(id)),
        Touched::Styles(id) => Invalidation::Key(CacheKey::Styles(id)),
        Touched::Related(id) => Invalidation::Key(CacheKey::Related(id)),
        Touched::Listing => Invalidation::ListPages,
    }
}

/// The HTTP answer of a write that ran.
fn reply_of(written: Written) -> Reply {
    let answer = written.answer;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut reply = Reply::no_store(status, Bytes::from(answer.body));
    for (name, value) in [(header::ETAG, answer.etag), (header::LOCATION, answer.location)] {
        if let Some(value) = value.and_then(|value| HeaderValue::from_str(&value).ok()) {
            reply = reply.with_header(name, value);
        }
    }
    if written.replayed {
        reply = reply.with_header(
            header::HeaderName::from_static(IDEMPOTENT_REPLAYED),
            HeaderValue::from_static("true"),
        );
    }
    reply
}

/// The answer to a write that did not run.
fn write_error(err: &WriteError) -> Reply {
    match err {
        WriteError::KeyInProgress => Reply::error(StatusCode::CONFLICT, &err.to_string()),
        WriteError::KeyReused => Reply::error(StatusCode::UNPROCESSABLE_ENTITY, &err.to_string()),
        WriteError::Store(StoreError::Unavailable {
            kind: UnavailableKind::ImportRunning,
            ..
        }) => Reply::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "an import is replacing the catalog; nothing was written, retry when it has finished",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("5")),
        WriteError::Store(err) => {
            let reply = store_error(err);
            if reply.status() == StatusCode::SERVICE_UNAVAILABLE {
                reply.with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
            } else {
                reply
            }
        }
    }
}

/// A 401 that says how to authenticate; the reason goes to the debug log,
/// never the token.
fn unauthorized(refused: &Unauthorized) -> Reply {
    tracing::debug!(reason = refused.reason(), "write refused: not authenticated");
    let challenge = match refused {
        Unauthorized::Missing => "Bearer realm=\"catalog\"",
        _ => "Bearer realm=\"catalog\", error=\"invalid_token\"",
    };
    Reply::error(
        StatusCode::UNAUTHORIZED,
        "this route needs Authorization: Bearer <token> with a valid token",
    )
    .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge))
}

fn forbidden(message: &str) -> Reply {
    Reply::error(StatusCode::FORBIDDEN, message)
}

/// `GET /skus/:sku_id`: public, tagged, kept by shared caches as briefly as
/// stock is, never by the response cache (stock moves too often for it to
/// pay).
pub(crate) async fn sku(writes: Option<&Writes>, matched: Matched<'_>) -> Reply {
    let Some(writer) = writes.map(|writes| &*writes.writer) else {
        return Reply::error(StatusCode::NOT_IMPLEMENTED, "this store does not take writes");
    };
    let id: SkuId = match decoded_id(matched.id.unwrap_or_default()) {
        Ok(id) => id,
        Err(err) => return bad_request(&err),
    };
    match writer.sku(id).await {
        Ok(sku) => match serde_json::to_vec(&sku) {
            Ok(body) => Reply::shared(Arc::new(Answer::new(Bytes::from(body))), Freshness::Stock).with_header(
                HeaderName::from_static(surrogate::SURROGATE_KEY),
                surrogate::of_sku(sku.product_id),
            ),
            Err(_) => Reply::error(StatusCode::INTERNAL_SERVER_ERROR, "internal server error"),
        },
        Err(err) => store_error(&err),
    }
}

/// `GET /changes?after=SEQ&limit=N`.
async fn changes(writer: &dyn CatalogWriter, query: &str) -> Reply {
    let pairs: Vec<(String, String)> = match serde_urlencoded::from_str(query) {
        Ok(pairs) => pairs,
        Err(err) => return bad_request(&format!("the query string cannot be read: {err}")),
    };
    let value = |name: &str| pairs.iter().find(|(key, _)| key == name).map(|(_, v)| v.as_str());
    let query = match ChangeQuery::parse(value("after"), value("limit")) {
        Ok(query) => query,
        Err(message) => return bad_request(&message),
    };
    match writer.changes(query).await {
        Ok(page) => match serde_json::to_vec(&page) {
            Ok(body) => Reply::no_store(StatusCode::OK, body),
            Err(_) => Reply::error(StatusCode::INTERNAL_SERVER_ERROR, "internal server error"),
        },
        Err(err) => store_error(&err),
    }
}
