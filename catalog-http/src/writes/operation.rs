//! From a write request's route, method, path ids and body to the
//! [`WriteOp`] the store runs.

use catalog_core::InvalidInput;
use catalog_core::write::{Body, BodyError, WriteOp, parse};
use futures_util::Stream;
use warp::Buf;
use warp::http::{HeaderMap, Method, StatusCode};
use warp::hyper::body::Bytes;

use super::request::{check_content_type, read_body};
use crate::reply::{Reply, bad_request, no_such_route};
use crate::route_table::{Matched, Route};
use crate::routes::decoded_id;

/// An operation read from a request, with the body it came with.
pub(crate) struct ReadOp {
    pub(crate) op: WriteOp,
    pub(crate) body: Bytes,
}

/// Reads the operation `method` on `matched` asks for: 400 for a malformed
/// id; 415, 413, 400 or 422 for its body (read only by routes that take one).
pub(crate) async fn read<S, B>(
    method: &Method,
    matched: Matched<'_>,
    headers: &HeaderMap,
    body: S,
) -> Result<ReadOp, Reply>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let takes_body = method == Method::POST || method == Method::PATCH;
    let body = if takes_body {
        check_content_type(headers, method)?;
        read_body(headers, body).await?
    } else {
        Bytes::new()
    };
    let op = match (matched.spec.route, method.as_str()) {
        (Route::List, "POST") => WriteOp::CreateProduct(json(&body)?),
        (Route::Product, "PATCH") => WriteOp::UpdateProduct(path_id(matched.id)?, json(&body)?),
        (Route::Product, "DELETE") => WriteOp::DeleteProduct(path_id(matched.id)?),
        (Route::Styles, "POST") => WriteOp::CreateStyle(path_id(matched.id)?, json(&body)?),
        (Route::Style, "PATCH") => WriteOp::UpdateStyle(path_id(matched.id)?, json(&body)?),
        (Route::Style, "DELETE") => WriteOp::DeleteStyle(path_id(matched.id)?),
        (Route::StyleSkus, "POST") => WriteOp::CreateSku(path_id(matched.id)?, json(&body)?),
        (Route::Sku, "PATCH") => WriteOp::UpdateSku(path_id(matched.id)?, json(&body)?),
        (Route::Sku, "DELETE") => WriteOp::DeleteSku(path_id(matched.id)?),
        (Route::SkuAdjustments, "POST") => WriteOp::AdjustSku(path_id(matched.id)?, json(&body)?),
        (Route::Adjustments, "POST") => WriteOp::AdjustBatch(json(&body)?),
        (Route::RelatedLink, "PUT") => WriteOp::AddRelated(path_id(matched.id)?, related_id(matched.related_id)?),
        (Route::RelatedLink, "DELETE") => WriteOp::RemoveRelated(path_id(matched.id)?, related_id(matched.related_id)?),
        _ => return Err(no_such_route()),
    };
    Ok(ReadOp { op, body })
}

fn path_id<T: std::str::FromStr<Err = InvalidInput>>(segment: Option<&str>) -> Result<T, Reply> {
    decoded_id(segment.unwrap_or_default()).map_err(|err| bad_request(&err))
}

/// The `{related_id}` segment, named as such in a refusal.
fn related_id(segment: Option<&str>) -> Result<catalog_core::ProductId, Reply> {
    let segment = segment.unwrap_or_default();
    path_id(Some(segment)).map_err(|_| bad_request(&InvalidInput::new("related_id", segment, 1, i32::MAX)))
}

/// The body as `B`: 400 when it is not JSON, 422 naming the field otherwise.
fn json<B: Body>(body: &[u8]) -> Result<B, Reply> {
    parse(body).map_err(|err| match err {
        BodyError::NotJson(_) => Reply::error(StatusCode::BAD_REQUEST, &err.to_string()),
        BodyError::Invalid { .. } => Reply::error(StatusCode::UNPROCESSABLE_ENTITY, &err.to_string()),
    })
}
