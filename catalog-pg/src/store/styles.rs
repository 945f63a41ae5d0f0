//! The styles route over the `product_styles` read model: one primary-key
//! lookup, whose row holds the answer's `results` as the service sends them.

use catalog_core::{ProductId, StoreError, Style};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;

use super::PgStore;
use crate::schema::catalog::product_styles;
use crate::styles_document;

impl PgStore {
    /// The stored JSON of product `id`'s styles (`results`); no row means no
    /// such product.
    pub(super) async fn styles_results(&self, id: ProductId) -> Result<String, StoreError> {
        self.pools
            .read(move |conn| {
                async move {
                    product_styles::table
                        .find(id.get())
                        .select(product_styles::results)
                        .first::<String>(&mut &*conn)
                        .await
                        .optional()
                }
                .boxed()
            })
            .await?
            .ok_or(StoreError::ProductNotFound(id.get()))
    }

    /// Product `id`'s styles, decoded from the read model.
    pub(super) async fn styles_read_model(&self, id: ProductId) -> Result<Vec<Style>, StoreError> {
        styles_document::decode(&self.styles_results(id).await?)
    }
}
