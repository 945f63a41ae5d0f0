//! The memory store's writes: each runs whole under the write lock on copies
//! of the products it changes, then swaps the copies in with its change-log
//! entries, or changes nothing.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use async_trait::async_trait;
use catalog_core::write::{
    Adjustment, Batch, ChangeEntry, ChangeKind, ChangePage, ChangeQuery, Diff, NewProduct, NewSku, NewStyle,
    Precondition, ProductPatch, Rejection, Short, SkuPatch, StylePatch, Success, Touched, WriteAnswer, WriteContext,
    WriteError, WriteOp, WriteRequest, Written, check_precondition, features, json_of, not_found, now_rfc3339, photos,
    style_json, tag_of,
};
use catalog_core::{CatalogWriter, Product, ProductId, Sku, SkuDetail, SkuId, Skus, StoreError, Style, StyleId};
use serde_json::{Value, json};

use crate::MemStore;
use crate::doc::ProductDoc;
use crate::imported::SkuPlace;
use crate::journal::{IdKind, Journal, Record};

#[async_trait]
impl CatalogWriter for MemStore {
    async fn write(&self, request: WriteRequest) -> Result<Written, WriteError> {
        let mut journal = self.journal.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let context = &request.context;
        if let Some(key) = &context.idempotency
            && let Some(record) = journal.record(&context.token, &key.key)
        {
            if record.fingerprint != key.fingerprint {
                return Err(WriteError::KeyReused);
            }
            return Ok(Written {
                answer: record.answer.clone(),
                replayed: true,
                touched: Vec::new(),
            });
        }
        let mut tx = Tx::new(self, Some(&mut journal));
        let outcome = tx.run(&request.op, context.precondition.as_ref());
        let touched = match outcome {
            Ok(_) => tx.commit(context),
            Err(_) => Vec::new(),
        };
        let answer = WriteAnswer::of(&outcome);
        if let Some(key) = &context.idempotency {
            let record = Record {
                fingerprint: key.fingerprint.clone(),
                answer: answer.clone(),
            };
            journal.keep(&context.token, &key.key, record);
        }
        Ok(Written {
            answer,
            replayed: false,
            touched,
        })
    }

    async fn sku(&self, id: SkuId) -> Result<SkuDetail, StoreError> {
        let tx = Tx::new(self, None);
        let detail = match tx.imported_sku(id.get()) {
            Some(place) => Some(self.imported.sku_detail(place, tx.quantity_at(place))),
            None => tx.sku(id.get()).map(|found| found.detail()),
        };
        detail.ok_or(StoreError::SkuNotFound(id.get()))
    }

    async fn changes(&self, query: ChangeQuery) -> Result<ChangePage, StoreError> {
        let journal = self.journal.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        journal.read(query).map_err(|oldest| StoreError::ChangesGone { oldest })
    }
}

/// `before` moved by `delta`, or why not: below 0 is short, past the largest
/// quantity is refused naming `field`.
fn moved(before: i32, delta: i32, field: &str) -> Result<i32, Rejection> {
    let after = i64::from(before) + i64::from(delta);
    if after < 0 {
        return Err(Rejection::InsufficientStock { available: before });
    }
    i32::try_from(after).map_err(|_| Rejection::Invalid {
        field: field.to_owned(),
        message: format!("would take the quantity past {}", i32::MAX),
    })
}

/// A change-log entry before it has its `seq` and time.
struct Pending {
    kind: ChangeKind,
    product_id: i32,
    style_id: Option<i32>,
    sku_id: Option<i32>,
    before: Option<Value>,
    after: Option<Value>,
    reason: Option<String>,
}

/// A SKU found in a (copied) product document.
struct FoundSku {
    doc: ProductDoc,
    style: usize,
    sku: usize,
}

impl FoundSku {
    fn current(&self) -> &Sku {
        &self.doc.styles[self.style].skus.0[self.sku]
    }

    fn detail(&self) -> SkuDetail {
        let sku = self.current();
        SkuDetail {
            sku_id: sku.id,
            style_id: self.doc.styles[self.style].style_id,
            product_id: self.doc.product.id,
            size: sku.size.clone(),
            quantity: sku.quantity,
        }
    }
}

/// One write being worked out: copies of the products it changes, its
/// pending entries and what it touched.
struct Tx<'a> {
    store: &'a MemStore,
    /// The journal, for a write; `None` for a read of the current state.
    journal: Option<&'a mut Journal>,
    /// Products changed so far (`None`: deleted), by id.
    staged: BTreeMap<i32, Option<ProductDoc>>,
    new_styles: Vec<(i32, i32)>,
    new_skus: Vec<(i32, i32)>,
    entries: Vec<Pending>,
    touched: Vec<Touched>,
    /// New quantities of imported SKUs adjusted in place, by SKU position.
    quantities: Vec<(usize, i32)>,
}

type Outcome = Result<Success, Rejection>;

impl<'a> Tx<'a> {
    fn new(store: &'a MemStore, journal: Option<&'a mut Journal>) -> Tx<'a> {
        Tx {
            store,
            journal,
            staged: BTreeMap::new(),
            new_styles: Vec::new(),
            new_skus: Vec::new(),
            entries: Vec::new(),
            touched: Vec::new(),
            quantities: Vec::new(),
        }
    }

    fn run(&mut self, op: &WriteOp, precondition: Option<&Precondition>) -> Outcome {
        match op {
            WriteOp::CreateProduct(body) => self.create_product(body),
            WriteOp::UpdateProduct(id, patch) => self.update_product(*id, patch, precondition),
            WriteOp::DeleteProduct(id) => self.delete_product(*id, precondition),
            WriteOp::CreateStyle(id, body) => self.create_style(*id, body),
            WriteOp::UpdateStyle(id, patch) => self.update_style(*id, patch, precondition),
            WriteOp::DeleteStyle(id) => self.delete_style(*id, precondition),
            WriteOp::CreateSku(id, body) => self.create_sku(*id, body),
            WriteOp::UpdateSku(id, patch) => self.update_sku(*id, patch, precondition),
            WriteOp::AdjustSku(id, adjustment) => self.adjust(*id, adjustment, precondition),
            WriteOp::AdjustBatch(batch) => self.adjust_batch(batch),
            WriteOp::DeleteSku(id) => self.delete_sku(*id, precondition),
            WriteOp::AddRelated(id, related) => self.add_related(*id, *related),
            WriteOp::RemoveRelated(id, related) => self.remove_related(*id, *related, precondition),
        }
    }

    // ---- reading the current state (staged copies first) ----

    /// A copy of product `id` as it is now within this write.
    fn doc(&self, id: i32) -> Option<ProductDoc> {
        if let Some(staged) = self.staged.get(&id) {
            return staged.clone();
        }
        let live = self.store.read_live();
        live.doc(&self.store.imported, id).map(|doc| (*doc).clone())
    }

    fn exists(&self, id: i32) -> bool {
        match self.staged.get(&id) {
            Some(staged) => staged.is_some(),
            None => self.store.exists(&self.store.read_live(), id),
        }
    }

    /// The product of style `id` and the style's position in it.
    fn style(&self, id: i32) -> Option<(ProductDoc, usize)> {
        let product = match self.new_styles.iter().find(|(style, _)| *style == id) {
            Some(&(_, product)) => product,
            None => self.store.read_live().style_product(&self.store.imported, id)?,
        };
        let doc = self.doc(product)?;
        let position = doc.style_position(id)?;
        Some((doc, position))
    }

    fn sku(&self, id: i32) -> Option<FoundSku> {
        let style = match self.new_skus.iter().find(|(sku, _)| *sku == id) {
            Some(&(_, style)) => style,
            None => self.store.read_live().sku_style(&self.store.imported, id)?,
        };
        let (doc, style) = self.style(style)?;
        let sku = doc.styles[style].skus.0.iter().position(|sku| sku.id == id)?;
        Some(FoundSku { doc, style, sku })
    }

    /// Imported SKU `id`, when its product has no copy (so its quantity is
    /// changed in place, copying nothing); `None` sends it the copying way.
    fn imported_sku(&self, id: i32) -> Option<SkuPlace> {
        if self.new_skus.iter().any(|(sku, _)| *sku == id) {
            return None;
        }
        let place = self.store.imported.sku_place(id)?;
        let product = self.store.imported.products[place.product].id;
        let copied = self.staged.contains_key(&product)
            || (self.store.is_edited() && self.store.read_live().edited.contains_key(&product));
        (!copied).then_some(place)
    }

    /// The quantity of imported SKU `place` within this write.
    fn quantity_at(&self, place: SkuPlace) -> i32 {
        match self.quantities.iter().rev().find(|(sku, _)| *sku == place.sku) {
            Some(&(_, quantity)) => quantity,
            None => self.store.imported.skus[place.sku].quantity.load(Ordering::Acquire),
        }
    }

    /// The related ids product `doc` answers now (deleted products left out).
    fn visible_related(&self, doc: &ProductDoc) -> Vec<i32> {
        doc.related.iter().copied().filter(|&id| self.exists(id)).collect()
    }

    // ---- recording ----

    fn stage(&mut self, doc: ProductDoc) {
        self.staged.insert(doc.product.id, Some(doc));
    }

    fn take_id(&mut self, kind: IdKind, field: &str) -> Result<i32, Rejection> {
        let id = self.journal.as_mut().and_then(|journal| journal.take_id(kind));
        id.ok_or_else(|| Rejection::Invalid {
            field: field.to_owned(),
            message: "the store has run out of ids".to_owned(),
        })
    }

    fn log(&mut self, kind: ChangeKind, product_id: i32, before: Option<Value>, after: Option<Value>) -> &mut Pending {
        self.entries.push(Pending {
            kind,
            product_id,
            style_id: None,
            sku_id: None,
            before,
            after,
            reason: None,
        });
        self.entries.last_mut().expect("just pushed")
    }

    fn touch(&mut self, touched: Touched) {
        if !self.touched.contains(&touched) {
            self.touched.push(touched);
        }
    }

    /// Swaps the staged copies in and appends the entries; returns what was touched.
    fn commit(mut self, context: &WriteContext) -> Vec<Touched> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        let imported = &self.store.imported;
        for &(sku, quantity) in &self.quantities {
            imported.skus[sku].quantity.store(quantity, Ordering::Release);
        }
        if !self.staged.is_empty() || !self.new_styles.is_empty() || !self.new_skus.is_empty() {
            let mut live = self.store.live.write().unwrap_or_else(|poisoned| poisoned.into_inner());
            for (id, doc) in std::mem::take(&mut self.staged) {
                let doc = doc.map(Arc::new);
                match imported.position(id) {
                    Some(position) => {
                        if doc.is_none() {
                            live.deleted_positions.insert(position as u32);
                        }
                        live.edited.insert(id, doc);
                    }
                    None => match doc {
                        Some(doc) => {
                            live.created.insert(id, doc);
                        }
                        None => {
                            live.created.remove(&id);
                        }
                    },
                }
            }
            live.style_product.extend(self.new_styles.iter().copied());
            live.sku_style.extend(self.new_skus.iter().copied());
            self.store.edited.store(true, Ordering::Release);
        }
        let at = now_rfc3339();
        let Some(journal) = self.journal else {
            return Vec::new();
        };
        for pending in std::mem::take(&mut self.entries) {
            let entry = ChangeEntry {
                seq: journal.next_seq(),
                at: at.clone(),
                token: context.token.clone(),
                request_id: context.request_id.clone(),
                kind: pending.kind,
                product_id: Some(pending.product_id),
                style_id: pending.style_id,
                sku_id: pending.sku_id,
                before: pending.before,
                after: pending.after,
                reason: pending.reason,
            };
            journal.append(entry);
        }
        self.touched
    }

    // ---- products ----

    fn create_product(&mut self, body: &NewProduct) -> Outcome {
        let id = self.take_id(IdKind::Product, "body")?;
        let doc = ProductDoc {
            id: ProductId::new(id).unwrap_or(ProductId::MIN),
            product: Product {
                id,
                name: body.name.0.clone(),
                slogan: body.slogan.clone(),
                description: body.description.clone(),
                category: body.category.clone(),
                default_price: body.default_price.0,
            },
            features: features(&body.features),
            styles: Vec::new(),
            related: Vec::new(),
        };
        let detail = doc.detail();
        self.log(ChangeKind::ProductCreated, id, None, Some(json_of(&detail)));
        self.stage(doc);
        self.touch(Touched::Product(id));
        self.touch(Touched::Listing);
        Ok(Success::Product { created: true, detail })
    }

    fn update_product(&mut self, id: ProductId, patch: &ProductPatch, precondition: Option<&Precondition>) -> Outcome {
        let mut doc = self.doc(id.get()).ok_or_else(|| not_found("product", id.get()))?;
        check_precondition(precondition, || doc.detail_tag())?;
        let mut diff = Diff::default();
        let listed = patch.apply_listed(&mut doc.product, &mut diff);
        if let Some(new) = patch.new_features() {
            diff.set("features", &mut doc.features, new);
        }
        if diff.is_empty() {
            return Ok(Success::Product {
                created: false,
                detail: doc.detail(),
            });
        }
        let detail = doc.detail();
        let (before, after) = diff.into_values();
        self.log(ChangeKind::ProductUpdated, id.get(), Some(before), Some(after));
        self.stage(doc);
        self.touch(Touched::Product(id.get()));
        if listed {
            self.touch(Touched::Listing);
        }
        Ok(Success::Product { created: false, detail })
    }

    fn delete_product(&mut self, id: ProductId, precondition: Option<&Precondition>) -> Outcome {
        let doc = self.doc(id.get()).ok_or_else(|| not_found("product", id.get()))?;
        check_precondition(precondition, || doc.detail_tag())?;
        let before = json!({
            "product": doc.detail(),
            "styles": doc.styles.iter().map(style_json).collect::<Vec<_>>(),
        });
        self.log(ChangeKind::ProductDeleted, id.get(), Some(before), None);
        self.staged.insert(id.get(), None);
        for touched in [
            Touched::Product(id.get()),
            Touched::Styles(id.get()),
            Touched::Related(id.get()),
            Touched::Listing,
        ] {
            self.touch(touched);
        }
        for linking in self.store.products_linking_to(id.get()) {
            self.touch(Touched::Related(linking));
        }
        Ok(Success::NoContent)
    }

    // ---- styles ----

    fn create_style(&mut self, product: ProductId, body: &NewStyle) -> Outcome {
        let mut doc = self
            .doc(product.get())
            .ok_or_else(|| not_found("product", product.get()))?;
        let style_id = self.take_id(IdKind::Style, "body")?;
        let mut skus = Vec::with_capacity(body.skus.len());
        for sku in &body.skus {
            let id = self.take_id(IdKind::Sku, "skus")?;
            self.new_skus.push((id, style_id));
            skus.push(Sku {
                id,
                quantity: sku.quantity.0,
                size: sku.size.0.clone(),
            });
        }
        let style = Style {
            style_id,
            name: body.name.0.clone(),
            original_price: body.original_price.0,
            sale_price: body.sale_price.map(|price| price.0),
            default: body.default,
            photos: photos(&body.photos),
            skus: Skus(skus),
        };
        self.new_styles.push((style_id, product.get()));
        doc.styles.push(style.clone());
        let styles_tag = doc.styles_tag();
        self.log(ChangeKind::StyleCreated, product.get(), None, Some(style_json(&style)))
            .style_id = Some(style_id);
        self.stage(doc);
        self.touch(Touched::Styles(product.get()));
        Ok(Success::Style {
            created: true,
            style,
            styles_tag,
        })
    }

    fn update_style(&mut self, id: StyleId, patch: &StylePatch, precondition: Option<&Precondition>) -> Outcome {
        let (mut doc, position) = self.style(id.get()).ok_or_else(|| not_found("style", id.get()))?;
        check_precondition(precondition, || doc.styles_tag())?;
        let mut diff = Diff::default();
        let style = &mut doc.styles[position];
        patch.apply_fields(style, &mut diff);
        if let Some(new) = patch.new_photos() {
            diff.set("photos", &mut style.photos, new);
        }
        let style = style.clone();
        let product = doc.product.id;
        if !diff.is_empty() {
            let (before, after) = diff.into_values();
            self.log(ChangeKind::StyleUpdated, product, Some(before), Some(after))
                .style_id = Some(id.get());
            self.touch(Touched::Styles(product));
        }
        let styles_tag = doc.styles_tag();
        self.stage(doc);
        Ok(Success::Style {
            created: false,
            style,
            styles_tag,
        })
    }

    fn delete_style(&mut self, id: StyleId, precondition: Option<&Precondition>) -> Outcome {
        let (mut doc, position) = self.style(id.get()).ok_or_else(|| not_found("style", id.get()))?;
        check_precondition(precondition, || doc.styles_tag())?;
        let style = doc.styles.remove(position);
        let product = doc.product.id;
        self.log(ChangeKind::StyleDeleted, product, Some(style_json(&style)), None)
            .style_id = Some(id.get());
        self.stage(doc);
        self.touch(Touched::Styles(product));
        Ok(Success::NoContent)
    }

    // ---- SKUs ----

    fn create_sku(&mut self, style_id: StyleId, body: &NewSku) -> Outcome {
        let (mut doc, position) = self
            .style(style_id.get())
            .ok_or_else(|| not_found("style", style_id.get()))?;
        let id = self.take_id(IdKind::Sku, "body")?;
        let sku = Sku {
            id,
            quantity: body.quantity.0,
            size: body.size.0.clone(),
        };
        doc.styles[position].skus.0.push(sku.clone());
        self.new_skus.push((id, style_id.get()));
        let found = FoundSku {
            sku: doc.styles[position].skus.0.len() - 1,
            style: position,
            doc,
        };
        let detail = found.detail();
        let product = detail.product_id;
        let after = json!({"size": sku.size, "quantity": sku.quantity});
        let entry = self.log(ChangeKind::SkuCreated, product, None, Some(after));
        entry.style_id = Some(style_id.get());
        entry.sku_id = Some(id);
        self.stage(found.doc);
        self.touch(Touched::Styles(product));
        Ok(Success::Sku {
            created: true,
            sku: detail,
        })
    }

    fn update_sku(&mut self, id: SkuId, patch: &SkuPatch, precondition: Option<&Precondition>) -> Outcome {
        let mut found = self.sku(id.get()).ok_or_else(|| not_found("SKU", id.get()))?;
        check_precondition(precondition, || tag_of(&found.detail()))?;
        let mut diff = Diff::default();
        let sku = &mut found.doc.styles[found.style].skus.0[found.sku];
        if let Some(size) = &patch.size {
            diff.set("size", &mut sku.size, size.0.clone());
        }
        if let Some(quantity) = patch.quantity {
            diff.set("quantity", &mut sku.quantity, quantity.0);
        }
        let detail = found.detail();
        if !diff.is_empty() {
            let (before, after) = diff.into_values();
            let entry = self.log(ChangeKind::SkuUpdated, detail.product_id, Some(before), Some(after));
            entry.style_id = Some(detail.style_id);
            entry.sku_id = Some(id.get());
            self.touch(Touched::Styles(detail.product_id));
            self.stage(found.doc);
        }
        Ok(Success::Sku {
            created: false,
            sku: detail,
        })
    }

    /// Moves SKU `found`'s quantity by `delta` in its copy, or says why not.
    fn apply_delta(found: &mut FoundSku, delta: i32, field: &str) -> Result<(i32, i32), Rejection> {
        let sku = &mut found.doc.styles[found.style].skus.0[found.sku];
        let before = sku.quantity;
        sku.quantity = moved(before, delta, field)?;
        Ok((before, sku.quantity))
    }

    /// Moves imported SKU `place`'s quantity by `delta` (applied at commit):
    /// the SKU before and after.
    fn delta_in_place(&mut self, place: SkuPlace, delta: i32, field: &str) -> Result<(i32, SkuDetail), Rejection> {
        let before = self.quantity_at(place);
        let after = moved(before, delta, field)?;
        self.quantities.push((place.sku, after));
        Ok((before, self.store.imported.sku_detail(place, after)))
    }

    fn log_adjustment(&mut self, detail: &SkuDetail, before: i32, reason: Option<&str>) {
        let entry = self.log(
            ChangeKind::SkuAdjusted,
            detail.product_id,
            Some(json!({"quantity": before})),
            Some(json!({"quantity": detail.quantity})),
        );
        entry.style_id = Some(detail.style_id);
        entry.sku_id = Some(detail.sku_id);
        entry.reason = reason.map(str::to_owned);
        self.touch(Touched::Styles(detail.product_id));
    }

    fn adjust(&mut self, id: SkuId, adjustment: &Adjustment, precondition: Option<&Precondition>) -> Outcome {
        let reason = adjustment.reason.as_ref().map(|r| r.0.as_str());
        if let Some(place) = self.imported_sku(id.get()) {
            let now = self.store.imported.sku_detail(place, self.quantity_at(place));
            check_precondition(precondition, || tag_of(&now))?;
            let (before, detail) = self.delta_in_place(place, adjustment.delta.0, "delta")?;
            self.log_adjustment(&detail, before, reason);
            return Ok(Success::Sku {
                created: false,
                sku: detail,
            });
        }
        let mut found = self.sku(id.get()).ok_or_else(|| not_found("SKU", id.get()))?;
        check_precondition(precondition, || tag_of(&found.detail()))?;
        let (before, _) = Tx::apply_delta(&mut found, adjustment.delta.0, "delta")?;
        let detail = found.detail();
        self.log_adjustment(&detail, before, adjustment.reason.as_ref().map(|r| r.0.as_str()));
        self.stage(found.doc);
        Ok(Success::Sku {
            created: false,
            sku: detail,
        })
    }

    fn adjust_batch(&mut self, batch: &Batch) -> Outcome {
        let mut short = Vec::new();
        let mut skus = Vec::with_capacity(batch.adjustments.len());
        let reason = batch.reason.as_ref().map(|r| r.0.as_str());
        for (index, item) in batch.adjustments.iter().enumerate() {
            let id = item.sku_id.0.get();
            let field = format!("adjustments[{index}].sku_id");
            let delta_field = format!("adjustments[{index}].delta");
            if let Some(place) = self.imported_sku(id) {
                match self.delta_in_place(place, item.delta.0, &delta_field) {
                    Ok((before, detail)) => {
                        self.log_adjustment(&detail, before, reason);
                        skus.push(detail);
                    }
                    Err(Rejection::InsufficientStock { available }) => short.push(Short { sku_id: id, available }),
                    Err(other) => return Err(other),
                }
                continue;
            }
            let mut found = self.sku(id).ok_or_else(|| Rejection::Invalid {
                field: field.clone(),
                message: format!("SKU {id} not found"),
            })?;
            match Tx::apply_delta(&mut found, item.delta.0, &delta_field) {
                Ok((before, _)) => {
                    let detail = found.detail();
                    self.log_adjustment(&detail, before, reason);
                    self.stage(found.doc);
                    skus.push(detail);
                }
                Err(Rejection::InsufficientStock { available }) => short.push(Short { sku_id: id, available }),
                Err(other) => return Err(other),
            }
        }
        if !short.is_empty() {
            return Err(Rejection::Short(short));
        }
        Ok(Success::Skus(skus))
    }

    fn delete_sku(&mut self, id: SkuId, precondition: Option<&Precondition>) -> Outcome {
        let mut found = self.sku(id.get()).ok_or_else(|| not_found("SKU", id.get()))?;
        check_precondition(precondition, || tag_of(&found.detail()))?;
        let detail = found.detail();
        found.doc.styles[found.style].skus.0.remove(found.sku);
        let before = json!({"size": detail.size, "quantity": detail.quantity});
        let entry = self.log(ChangeKind::SkuDeleted, detail.product_id, Some(before), None);
        entry.style_id = Some(detail.style_id);
        entry.sku_id = Some(id.get());
        self.stage(found.doc);
        self.touch(Touched::Styles(detail.product_id));
        Ok(Success::NoContent)
    }

    // ---- related links ----

    fn add_related(&mut self, id: ProductId, related: ProductId) -> Outcome {
        let mut doc = self.doc(id.get()).ok_or_else(|| not_found("product", id.get()))?;
        if !self.exists(related.get()) {
            return Err(not_found("product", related.get()));
        }
        if id == related {
            return Err(Rejection::Invalid {
                field: "related_id".to_owned(),
                message: "a product cannot be related to itself".to_owned(),
            });
        }
        if self.visible_related(&doc).contains(&related.get()) {
            return Ok(Success::NoContent);
        }
        doc.related.retain(|&other| other != related.get());
        doc.related.push(related.get());
        self.log(
            ChangeKind::RelatedAdded,
            id.get(),
            None,
            Some(json!({"related_id": related.get()})),
        );
        self.stage(doc);
        self.touch(Touched::Related(id.get()));
        Ok(Success::NoContent)
    }

    fn remove_related(&mut self, id: ProductId, related: ProductId, precondition: Option<&Precondition>) -> Outcome {
        let mut doc = self.doc(id.get()).ok_or_else(|| not_found("product", id.get()))?;
        let visible = self.visible_related(&doc);
        check_precondition(precondition, || tag_of(&visible))?;
        if !visible.contains(&related.get()) {
            return Err(Rejection::NotFound(format!(
                "product {id} has no related link to product {related}"
            )));
        }
        doc.related.retain(|&other| other != related.get());
        self.log(
            ChangeKind::RelatedRemoved,
            id.get(),
            Some(json!({"related_id": related.get()})),
            None,
        );
        self.stage(doc);
        self.touch(Touched::Related(id.get()));
        Ok(Success::NoContent)
    }
}

impl MemStore {
    /// The products whose related list names `id`.
    fn products_linking_to(&self, id: i32) -> Vec<i32> {
        let live = self.read_live();
        let imported = &self.imported;
        let mut linking: Vec<i32> = (0..imported.products.len())
            .filter(|&position| imported.related_at(position).contains(&id))
            .map(|position| imported.products[position].id)
            .filter(|product| !live.edited.contains_key(product))
            .collect();
        let docs = live.edited.values().flatten().chain(live.created.values());
        linking.extend(docs.filter(|doc| doc.related.contains(&id)).map(|doc| doc.product.id));
        linking
    }
}
