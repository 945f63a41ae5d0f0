//! An imported product's styles answer serialized straight from its records:
//! the bytes `serde_json::to_vec` of its [`ProductStyles`](catalog_core::ProductStyles)
//! gives, without building one `String` of it first.

use std::sync::atomic::Ordering;

use catalog_core::{PhotoList, SkuMap, StyleForm};
use serde::ser::{Serialize, SerializeSeq, SerializeStruct, Serializer};

use crate::imported::Imported;
use crate::index::children;

/// The styles answer of the imported product at `position`, as JSON.
pub(crate) fn styles_body(imported: &Imported, position: usize) -> Result<Vec<u8>, serde_json::Error> {
    let mut body = Vec::with_capacity(2048);
    serde_json::to_writer(&mut body, &StylesOf { imported, position })?;
    Ok(body)
}

/// The records of one imported product, borrowed.
#[derive(Clone, Copy)]
struct StylesOf<'a> {
    imported: &'a Imported,
    position: usize,
}

/// One imported style, borrowed; serialized as catalog-core's [`StyleForm`].
struct StyleAt<'a> {
    imported: &'a Imported,
    style: usize,
}

impl Serialize for StylesOf<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut answer = serializer.serialize_struct("ProductStyles", 2)?;
        answer.serialize_field(
            "product_id",
            &itoa::Buffer::new().format(self.imported.products[self.position].id),
        )?;
        answer.serialize_field("results", &Results(*self))?;
        answer.end()
    }
}

/// A product's styles in id order.
struct Results<'a>(StylesOf<'a>);

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let StylesOf { imported, position } = self.0;
        let styles = children(&imported.style_offsets, position);
        let mut list = serializer.serialize_seq(Some(styles.len()))?;
        for style in styles {
            list.serialize_element(&StyleAt { imported, style })?;
        }
        list.end()
    }
}

impl Serialize for StyleAt<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let imported = self.imported;
        let record = &imported.styles[self.style];
        let photos = imported.photos[children(&imported.photo_offsets, self.style)]
            .iter()
            .map(|photo| {
                (
                    photo.thumbnail_url.shown(&imported.text),
                    photo.url.shown(&imported.text),
                )
            });
        let skus = imported.skus[children(&imported.sku_offsets, self.style)]
            .iter()
            .map(|sku| {
                (
                    sku.id,
                    sku.quantity.load(Ordering::Acquire),
                    imported.text.word_text(sku.size),
                )
            });
        StyleForm {
            style_id: record.id,
            name: imported.text.get(record.name),
            original_price: record.original_price,
            sale_price: record.sale_price,
            default: record.default,
            photos: PhotoList(photos),
            skus: SkuMap(skus),
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use catalog_core::{CatalogStore, Price, ProductId};
    use catalog_source::{GenerateConfig, PhotoRow, ProductRow, RejectRecord, RowSink, SkuRow, StyleRow, generate};

    use crate::{MemStore, MemStoreBuilder};

    /// Every product's body equals the serialized answer of `styles`.
    async fn bodies_match_the_answers(store: &MemStore) {
        for position in 0..store.product_count() {
            let id = store.product_id_at(position).unwrap();
            let answer = store.styles(id).await.unwrap();
            let body = store.styles_body(id).await.unwrap();
            assert_eq!(
                String::from_utf8(body).unwrap(),
                serde_json::to_string(&answer).unwrap(),
                "product {id}"
            );
        }
    }

    #[tokio::test]
    async fn bodies_are_the_answers_byte_for_byte_over_a_generated_catalog() {
        let dir = tempfile::tempdir().unwrap();
        generate(
            &GenerateConfig {
                products: 300,
                seed: 3,
                dirty_rate: 0.02,
            },
            dir.path(),
        )
        .unwrap();
        let mut rejects: Vec<RejectRecord> = Vec::new();
        let (store, _) = MemStore::load(dir.path(), &mut rejects).unwrap();
        bodies_match_the_answers(&store).await;
    }

    #[tokio::test]
    async fn placeholders_and_awkward_text_come_out_as_the_answer_does() {
        let price = |cents| Price::from_cents(cents).unwrap();
        let mut builder = MemStoreBuilder::new();
        builder
            .product(&ProductRow {
                id: 1,
                name: "p",
                slogan: "",
                description: "",
                category: "",
                default_price: price(100),
            })
            .unwrap();
        for (id, name) in [(1, "bare"), (2, "say \"hi\" \\ é\t☃")] {
            let style = StyleRow {
                id,
                product_id: 1,
                name,
                sale_price: None,
                original_price: price(250),
                default_style: id == 1,
            };
            builder.style(&style).unwrap();
        }
        let url = "https://h.example/a \"b\"/é?q=\\1&x=\u{1}";
        builder
            .photo(&PhotoRow {
                id: 1,
                style_id: 2,
                url,
                thumbnail_url: "plain",
            })
            .unwrap();
        builder
            .sku(&SkuRow {
                id: 7,
                style_id: 2,
                size: "X\"L",
                quantity: 0,
            })
            .unwrap();
        let store = builder.build();
        bodies_match_the_answers(&store).await;
        let body = store.styles_body(ProductId::new(1).unwrap()).await.unwrap();
        let text = String::from_utf8(body).unwrap();
        assert!(
            text.contains(
                r#""photos":[{"thumbnail_url":null,"url":null}],"skus":{"null":{"quantity":null,"size":null}}"#
            ),
            "{text}"
        );
    }
}
