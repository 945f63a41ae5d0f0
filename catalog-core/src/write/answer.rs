//! What a write answers, rendered as the contract says, and what it touched.

use serde::{Deserialize, Serialize};

use crate::{ProductDetail, SkuDetail, Style, entity_tag};

/// A write that did what it was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Success {
    /// A product created (201 with `Location`) or updated (200): its `GET /products/:id` body.
    Product {
        /// Whether it was created.
        created: bool,
        /// The product now.
        detail: ProductDetail,
    },
    /// A style created (201) or updated (200): the style as one entry of its
    /// product's styles answer, tagged with that whole answer's tag.
    Style {
        /// Whether it was created.
        created: bool,
        /// The style now.
        style: Style,
        /// The `ETag` of the product's styles answer now.
        styles_tag: String,
    },
    /// A SKU created (201) or changed (200): its `GET /skus/:id` body.
    Sku {
        /// Whether it was created.
        created: bool,
        /// The SKU now.
        sku: SkuDetail,
    },
    /// A batch of adjustments: each SKU now, in the order asked.
    Skus(Vec<SkuDetail>),
    /// A deletion, or a related link added or removed: 204.
    NoContent,
}

/// A SKU a batch could not take its stock from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Short {
    /// The SKU.
    pub sku_id: i32,
    /// Its quantity now.
    pub available: i32,
}

/// A write the contract refuses once the store has looked at the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// No such resource (404); the message names it.
    NotFound(String),
    /// `If-Match` named a tag that is no longer current (412).
    PreconditionFailed,
    /// The adjustment would take the quantity below 0 (409).
    InsufficientStock {
        /// The quantity now.
        available: i32,
    },
    /// Some SKUs of a batch are short (409); nothing changed.
    Short(Vec<Short>),
    /// The request breaks a rule the data decide (422): an unknown SKU in a
    /// batch, a link of a product to itself, a quantity past the maximum.
    Invalid {
        /// The offending field.
        field: String,
        /// What is wrong.
        message: String,
    },
}

/// The answer of a write, rendered: what the HTTP layer sends, and what an
/// idempotency record keeps to send again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body; empty for a 204.
    pub body: String,
    /// `Location`, for a 201.
    pub location: Option<String>,
    /// `ETag` of the new state, for a success with a body.
    pub etag: Option<String>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    available: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    short: Option<&'a [Short]>,
}

impl WriteAnswer {
    /// The contract's answer to `outcome`.
    pub fn of(outcome: &Result<Success, Rejection>) -> WriteAnswer {
        match outcome {
            Ok(success) => WriteAnswer::success(success),
            Err(rejection) => WriteAnswer::rejection(rejection),
        }
    }

    fn success(success: &Success) -> WriteAnswer {
        let status = |created: bool| if created { 201 } else { 200 };
        match success {
            Success::Product { created, detail } => {
                let body = json(detail);
                WriteAnswer {
                    status: status(*created),
                    etag: Some(entity_tag(body.as_bytes())),
                    location: created.then(|| format!("/products/{}", detail.id)),
                    body,
                }
            }
            Success::Style {
                created,
                style,
                styles_tag,
            } => WriteAnswer {
                status: status(*created),
                body: json(style),
                location: created.then(|| format!("/styles/{}", style.style_id)),
                etag: Some(styles_tag.clone()),
            },
            Success::Sku { created, sku } => {
                let body = json(sku);
                WriteAnswer {
                    status: status(*created),
                    etag: Some(entity_tag(body.as_bytes())),
                    location: created.then(|| format!("/skus/{}", sku.sku_id)),
                    body,
                }
            }
            Success::Skus(skus) => {
                #[derive(Serialize)]
                struct Skus<'a> {
                    skus: &'a [SkuDetail],
                }
                // No single resource's GET gives this body; its tag is the
                // body's own, so every success with a body carries one.
                let body = json(&Skus { skus });
                WriteAnswer {
                    status: 200,
                    etag: Some(entity_tag(body.as_bytes())),
                    location: None,
                    body,
                }
            }
            Success::NoContent => WriteAnswer {
                status: 204,
                body: String::new(),
                location: None,
                etag: None,
            },
        }
    }

    fn rejection(rejection: &Rejection) -> WriteAnswer {
        let error = |status: u16, body: ErrorBody<'_>| WriteAnswer {
            status,
            body: json(&body),
            location: None,
            etag: None,
        };
        let plain = |message| ErrorBody {
            error: message,
            available: None,
            short: None,
        };
        match rejection {
            Rejection::NotFound(message) => error(404, plain(message)),
            Rejection::PreconditionFailed => error(
                412,
                plain("If-Match does not name the resource's current ETag; read it again and retry"),
            ),
            Rejection::InsufficientStock { available } => error(
                409,
                ErrorBody {
                    error: "not enough stock; nothing changed",
                    available: Some(*available),
                    short: None,
                },
            ),
            Rejection::Short(short) => error(
                409,
                ErrorBody {
                    error: "not enough stock for every SKU of the batch; nothing changed",
                    available: None,
                    short: Some(short),
                },
            ),
            Rejection::Invalid { field, message } => error(422, plain(&format!("{field}: {message}"))),
        }
    }
}

/// Serializes a contract shape; they are plain data and always serialize.
fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// An answer a write may have made stale, for caches to drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Touched {
    /// `GET /products/:id`.
    Product(i32),
    /// `GET /products/:id/styles`.
    Styles(i32),
    /// `GET /products/:id/related`.
    Related(i32),
    /// Every page of `GET /products`.
    Listing,
}

/// A write that ran: its answer and what it touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The answer to send.
    pub answer: WriteAnswer,
    /// Whether it is the stored answer of an earlier request with the same
    /// `Idempotency-Key` (`Idempotent-Replayed: true`); nothing changed now.
    pub replayed: bool,
    /// The answers it made stale; empty when nothing changed.
    pub touched: Vec<Touched>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_refusals_say_what_is_available() {
        let answer = WriteAnswer::of(&Err(Rejection::InsufficientStock { available: 3 }));
        assert_eq!(answer.status, 409);
        assert_eq!(
            answer.body,
            r#"{"error":"not enough stock; nothing changed","available":3}"#
        );
        let answer = WriteAnswer::of(&Err(Rejection::Short(vec![Short {
            sku_id: 4,
            available: 0,
        }])));
        assert!(
            answer.body.ends_with(r#""short":[{"sku_id":4,"available":0}]}"#),
            "{}",
            answer.body
        );
    }

    #[test]
    fn a_created_sku_has_its_location_and_the_tag_of_its_body() {
        let sku = SkuDetail {
            sku_id: 3,
            style_id: 1,
            product_id: 1,
            size: "M".into(),
            quantity: 7,
        };
        let answer = WriteAnswer::of(&Ok(Success::Sku { created: true, sku }));
        assert_eq!(answer.status, 201);
        assert_eq!(answer.location.as_deref(), Some("/skus/3"));
        assert_eq!(
            answer.body,
            r#"{"sku_id":3,"style_id":1,"product_id":1,"size":"M","quantity":7}"#
        );
        assert_eq!(answer.etag, Some(entity_tag(answer.body.as_bytes())));
    }
}
