//! The bulk import: the shared validating reader feeds binary `COPY`
//! into a new schema, the styles read model is rendered in Rust from the same
//! rows and copied beside them, keys and indexes are built after the load,
//! and the new schema replaces `catalog` in one transaction, so an import
//! either completes or leaves the previous catalog serving.

mod spill;
mod styles_model;

use std::fmt;
use std::path::Path;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread;
use std::time::{Duration, Instant};

use catalog_source::{
    FeatureRow, ImportObserver, ImportReport, NoObserver, PhotoRow, ProductRow, RejectSink, RelatedRow, RowSink,
    SinkError, SkuRow, StyleRow,
};
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::ddl::{self, CHANGES_BARRIER_KEY, CHANGES_CHANNEL, IMPORT_LOCK_KEY, NEXT_SCHEMA, WRITE_GATE_KEY};
use crate::error::PgError;
use crate::migrate::run_pending;
use crate::money::PgPrice;
use crate::schema::catalog::{built, features, photos, product_styles, products, related, skus, styles};
use styles_model::StylesModel;

diesel::define_sql_function! {
    /// Takes a transaction-level advisory lock if it is free.
    fn pg_try_advisory_xact_lock(key: diesel::sql_types::BigInt) -> diesel::sql_types::Bool;
}

/// Rows per `COPY` batch handed from the reader to the writer thread.
const BATCH_ROWS: usize = 20_000;

/// Styles documents per `COPY` batch (a few kilobytes each).
const DOCUMENT_BATCH_ROWS: usize = 2_000;

/// What an import did and how long each phase took.
#[derive(Debug, Clone)]
pub struct PgImport {
    /// Rows read, accepted and rejected per file.
    pub report: ImportReport,
    /// The generation of the new catalog (see `CatalogStore::generation`).
    pub generation: i64,
    /// Each phase with its wall time, in the order they ran.
    pub phases: Vec<ImportPhase>,
}

/// One timed phase of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportPhase {
    /// What the phase does, such as `"read, validate and COPY"`.
    pub name: &'static str,
    /// Its wall time.
    pub took: Duration,
}

impl PgImport {
    /// The whole import's wall time.
    pub fn took(&self) -> Duration {
        self.phases.iter().map(|phase| phase.took).sum()
    }
}

/// `1.2 s read, validate and COPY; 0.3 s keys and indexes; ...`
impl fmt::Display for PgImport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, phase) in self.phases.iter().enumerate() {
            let separator = if index == 0 { "" } else { "; " };
            write!(f, "{separator}{} {:.2} s", phase.name, phase.took.as_secs_f64())?;
        }
        Ok(())
    }
}

/// Collects [`ImportPhase`]s, each timed from the end of the one before.
struct Phases {
    phases: Vec<ImportPhase>,
    since: Instant,
}

impl Phases {
    fn start() -> Phases {
        Phases {
            phases: Vec::new(),
            since: Instant::now(),
        }
    }

    /// Ends the phase `name` now.
    fn done(&mut self, name: &'static str) {
        let now = Instant::now();
        self.phases.push(ImportPhase {
            name,
            took: now - self.since,
        });
        self.since = now;
    }
}

/// Imports the six files of `dir` into the database at `database_url`
/// (migrating it first), sending refused rows to `rejects`.
pub fn import(database_url: &str, dir: &Path, rejects: &mut dyn RejectSink) -> Result<PgImport, PgError> {
    import_with_observer(database_url, dir, rejects, &mut NoObserver)
}

/// [`import`], telling `observer` how far the reading got.
pub fn import_with_observer(
    database_url: &str,
    dir: &Path,
    rejects: &mut dyn RejectSink,
    observer: &mut dyn ImportObserver,
) -> Result<PgImport, PgError> {
    let mut phases = Phases::start();
    let connect = || PgConnection::establish(database_url).map_err(PgError::connect);
    let mut conn = connect()?;
    run_pending(&mut conn)?;
    conn.batch_execute("BEGIN")?;
    if !diesel::select(pg_try_advisory_xact_lock(IMPORT_LOCK_KEY)).get_result::<bool>(&mut conn)? {
        conn.batch_execute("ROLLBACK")?;
        return Err(PgError::ImportRunning);
    }
    // Close the write gate for the whole run: running writes finish first,
    // and every write from now to the swap's commit is refused at once.
    conn.batch_execute(&format!("SELECT pg_advisory_xact_lock({WRITE_GATE_KEY})"))?;
    ddl::create_tables(&mut conn)?;

    let (sender, receiver) = sync_channel::<Batch>(4);
    let writer = thread::spawn(move || -> Result<PgConnection, PgError> {
        for batch in receiver {
            batch.copy(&mut conn)?;
        }
        Ok(conn)
    });
    let mut sink = CopySink::new(sender).map_err(|err| PgError::Load { source: err.into() })?;
    let read = catalog_source::import_with_observer(dir, &mut sink, rejects, observer);
    // The read model is rendered only from a complete, accepted reading.
    let finished = match &read {
        Ok(_) => sink.finish(&mut phases),
        Err(_) => Ok(()),
    };
    drop(sink);
    let written = writer.join().map_err(|_| PgError::Load {
        source: "the COPY writer thread panicked".into(),
    })?;
    // A writer error explains a refused batch better than the reader's view of it.
    let mut conn = written?;
    let report = read?;
    finished.map_err(|source| PgError::Load { source })?;
    phases.done("read model");

    ddl::build_keys(&mut conn)?;
    phases.done("keys and indexes");
    ddl::add_foreign_keys(&mut conn)?;
    phases.done("foreign keys");
    conn.batch_execute("ANALYZE")?;
    phases.done("statistics");
    ddl::stamp_generation(&mut conn)?;
    let generation = built::table.select(built::generation).first::<i64>(&mut conn)?;

    // The swap renames schemas only, which takes no lock a reader waits for.
    // The old catalog is dropped after the commit, in a transaction of its
    // own: dropping it inside the swap would lock its tables, and make every
    // read arriving meanwhile wait, until its files were unlinked at commit.
    // A `catalog_old` left by an import that stopped in between is dropped
    // by the next one. In the same transaction, the id sequences rise above
    // the new catalog's ids (never below what they handed out before), and
    // the change log gets its `catalog.imported` entry (under the barrier,
    // as every entry: see `write::log`).
    conn.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS catalog_old CASCADE; ALTER SCHEMA catalog RENAME TO catalog_old; \
         ALTER SCHEMA {NEXT_SCHEMA} RENAME TO catalog; SELECT catalog_meta.raise_ids(); \
         SELECT pg_advisory_xact_lock_shared({CHANGES_BARRIER_KEY}); NOTIFY {CHANGES_CHANNEL};"
    ))?;
    diesel::sql_query(
        "INSERT INTO catalog_meta.changes (token, request_id, kind, after) \
         VALUES ('', 'import-' || $1, 'catalog.imported', jsonb_build_object('generation', $1))",
    )
    .bind::<diesel::sql_types::BigInt, _>(generation)
    .execute(&mut conn)?;
    conn.batch_execute("COMMIT")?;
    phases.done("swap");
    conn.batch_execute("DROP SCHEMA catalog_old CASCADE")?;
    phases.done("drop the old catalog");
    Ok(PgImport {
        report,
        generation,
        phases: phases.phases,
    })
}

#[derive(Insertable)]
#[diesel(table_name = products, treat_none_as_default_value = false)]
struct NewProduct {
    id: i32,
    pos: i32,
    name: String,
    slogan: String,
    description: String,
    category: String,
    default_price: PgPrice,
}

#[derive(Insertable)]
#[diesel(table_name = features, treat_none_as_default_value = false)]
struct NewFeature {
    id: i32,
    product_id: i32,
    feature: String,
    value: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = styles, treat_none_as_default_value = false)]
struct NewStyle {
    id: i32,
    product_id: i32,
    name: String,
    sale_price: Option<PgPrice>,
    original_price: PgPrice,
    default_style: bool,
}

#[derive(Insertable)]
#[diesel(table_name = photos, treat_none_as_default_value = false)]
struct NewPhoto {
    id: i32,
    style_id: i32,
    url: String,
    thumbnail_url: String,
}

#[derive(Insertable)]
#[diesel(table_name = skus, treat_none_as_default_value = false)]
struct NewSku {
    id: i32,
    style_id: i32,
    size: String,
    quantity: i32,
}

#[derive(Insertable)]
#[diesel(table_name = related, treat_none_as_default_value = false)]
struct NewRelated {
    id: i32,
    current_product_id: i32,
    related_product_id: i32,
}

#[derive(Insertable)]
#[diesel(table_name = product_styles, treat_none_as_default_value = false)]
struct NewProductStyles {
    product_id: i32,
    results: String,
}

/// Rows of one table on their way to `COPY`.
enum Batch {
    Products(Vec<NewProduct>),
    Features(Vec<NewFeature>),
    Styles(Vec<NewStyle>),
    Photos(Vec<NewPhoto>),
    Skus(Vec<NewSku>),
    Related(Vec<NewRelated>),
    ProductStyles(Vec<NewProductStyles>),
}

impl Batch {
    fn len(&self) -> usize {
        match self {
            Batch::Products(rows) => rows.len(),
            Batch::Features(rows) => rows.len(),
            Batch::Styles(rows) => rows.len(),
            Batch::Photos(rows) => rows.len(),
            Batch::Skus(rows) => rows.len(),
            Batch::Related(rows) => rows.len(),
            Batch::ProductStyles(rows) => rows.len(),
        }
    }

    fn copy(self, conn: &mut PgConnection) -> QueryResult<usize> {
        match self {
            Batch::Products(rows) => diesel::copy_from(products::table).from_insertable(rows).execute(conn),
            Batch::Features(rows) => diesel::copy_from(features::table).from_insertable(rows).execute(conn),
            Batch::Styles(rows) => diesel::copy_from(styles::table).from_insertable(rows).execute(conn),
            Batch::Photos(rows) => diesel::copy_from(photos::table).from_insertable(rows).execute(conn),
            Batch::Skus(rows) => diesel::copy_from(skus::table).from_insertable(rows).execute(conn),
            Batch::Related(rows) => diesel::copy_from(related::table).from_insertable(rows).execute(conn),
            Batch::ProductStyles(rows) => diesel::copy_from(product_styles::table)
                .from_insertable(rows)
                .execute(conn),
        }
    }
}

/// Collects accepted rows into batches of one table and sends full ones to
/// the writer; keeps products until all have arrived, to copy them in id
/// order with their positions; and collects the styles read model.
struct CopySink {
    sender: SyncSender<Batch>,
    batch: Batch,
    /// Products received and not yet sent (all of them arrive first).
    products: Vec<NewProduct>,
    /// The ids of the products sent, ascending.
    product_ids: Vec<i32>,
    model: Option<StylesModel>,
}

impl CopySink {
    fn new(sender: SyncSender<Batch>) -> std::io::Result<CopySink> {
        Ok(CopySink {
            sender,
            batch: Batch::Products(Vec::new()),
            products: Vec::new(),
            product_ids: Vec::new(),
            model: Some(StylesModel::new()?),
        })
    }

    fn send(&self, batch: Batch) -> Result<(), SinkError> {
        Ok(self.sender.send(batch).map_err(|_| "the COPY writer stopped")?)
    }

    /// Sends the current batch if it is full or belongs to another table than `next`.
    fn make_room(&mut self, next: fn() -> Batch, same_table: fn(&Batch) -> bool) -> Result<(), SinkError> {
        if !same_table(&self.batch) || self.batch.len() >= BATCH_ROWS {
            let full = std::mem::replace(&mut self.batch, next());
            if full.len() > 0 {
                self.send(full)?;
            }
        }
        Ok(())
    }

    /// Sends the products received so far in id order, each with its
    /// position (so the product pages read the table in order).
    fn send_products(&mut self) -> Result<(), SinkError> {
        if self.products.is_empty() {
            return Ok(());
        }
        let mut products = std::mem::take(&mut self.products);
        products.sort_unstable_by_key(|product| product.id);
        let first = self.product_ids.len();
        for (index, product) in products.iter_mut().enumerate() {
            product.pos = i32::try_from(first + index).map_err(|_| "more than 2^31 products")?;
        }
        self.product_ids.extend(products.iter().map(|product| product.id));
        let mut rest = products.into_iter().peekable();
        while rest.peek().is_some() {
            self.send(Batch::Products(rest.by_ref().take(BATCH_ROWS).collect()))?;
        }
        Ok(())
    }

    /// After the last row: sends what is left, then renders the read model
    /// and sends its documents. Ends the phase of reading once the last
    /// batch is queued: the copy of the few batches still queued (up to five
    /// of 20,000 rows) counts in the read model's phase.
    fn finish(&mut self, phases: &mut Phases) -> Result<(), SinkError> {
        self.send_products()?;
        self.make_room(|| Batch::Related(Vec::new()), |_| false)?;
        phases.done("read, validate and COPY");
        let Some(model) = self.model.take() else {
            return Ok(());
        };
        let mut documents = Vec::with_capacity(DOCUMENT_BATCH_ROWS);
        model.render(&self.product_ids, |product_id, results| -> Result<(), SinkError> {
            documents.push(NewProductStyles { product_id, results });
            if documents.len() == DOCUMENT_BATCH_ROWS {
                let full = std::mem::replace(&mut documents, Vec::with_capacity(DOCUMENT_BATCH_ROWS));
                self.send(Batch::ProductStyles(full))?;
            }
            Ok(())
        })?;
        if !documents.is_empty() {
            self.send(Batch::ProductStyles(documents))?;
        }
        Ok(())
    }

    /// The styles model, which is there until [`finish`](Self::finish).
    fn model(&mut self) -> Result<&mut StylesModel, SinkError> {
        Ok(self.model.as_mut().ok_or("a row after the end of the import")?)
    }
}

/// Adds a row of a table other than products to the current batch.
macro_rules! push_row {
    ($sink:expr, $variant:ident, $row:expr) => {{
        $sink.send_products()?;
        $sink.make_room(
            || Batch::$variant(Vec::with_capacity(BATCH_ROWS)),
            |b| matches!(b, Batch::$variant(_)),
        )?;
        if let Batch::$variant(rows) = &mut $sink.batch {
            rows.push($row);
        }
        Ok(())
    }};
}

impl RowSink for CopySink {
    fn product(&mut self, r: &ProductRow<'_>) -> Result<(), SinkError> {
        if !self.product_ids.is_empty() {
            // The reader gives every product before any other row.
            return Err("a product after the rows that refer to products".into());
        }
        self.products.push(NewProduct {
            id: r.id,
            pos: 0, // set by send_products
            name: r.name.to_owned(),
            slogan: r.slogan.to_owned(),
            description: r.description.to_owned(),
            category: r.category.to_owned(),
            default_price: PgPrice(r.default_price),
        });
        Ok(())
    }

    fn feature(&mut self, r: &FeatureRow<'_>) -> Result<(), SinkError> {
        push_row!(
            self,
            Features,
            NewFeature {
                id: r.id,
                product_id: r.product_id,
                feature: r.feature.to_owned(),
                value: r.value.map(str::to_owned),
            }
        )
    }

    fn style(&mut self, r: &StyleRow<'_>) -> Result<(), SinkError> {
        self.model()?.style(r);
        push_row!(
            self,
            Styles,
            NewStyle {
                id: r.id,
                product_id: r.product_id,
                name: r.name.to_owned(),
                sale_price: r.sale_price.map(PgPrice),
                original_price: PgPrice(r.original_price),
                default_style: r.default_style,
            }
        )
    }

    fn photo(&mut self, r: &PhotoRow<'_>) -> Result<(), SinkError> {
        self.model()?.photo(r)?;
        push_row!(
            self,
            Photos,
            NewPhoto {
                id: r.id,
                style_id: r.style_id,
                url: r.url.to_owned(),
                thumbnail_url: r.thumbnail_url.to_owned(),
            }
        )
    }

    fn sku(&mut self, r: &SkuRow<'_>) -> Result<(), SinkError> {
        self.model()?.sku(r)?;
        push_row!(
            self,
            Skus,
            NewSku {
                id: r.id,
                style_id: r.style_id,
                size: r.size.to_owned(),
                quantity: r.quantity
            }
        )
    }

    fn related(&mut self, r: &RelatedRow) -> Result<(), SinkError> {
        push_row!(
            self,
            Related,
            NewRelated {
                id: r.id,
                current_product_id: r.current_product_id,
                related_product_id: r.related_product_id,
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::IMPORT_LOCK_KEY;

    #[test]
    fn the_migrations_that_change_catalogs_wait_for_the_import_lock() {
        let lock = format!("pg_advisory_xact_lock({IMPORT_LOCK_KEY})");
        for migration in [
            include_str!("../../migrations/2026-11-26-000003_catalog_generation/up.sql"),
            include_str!("../../migrations/2026-12-02-000004_catalog_declarative/up.sql"),
        ] {
            assert!(migration.contains(&lock), "the migration should take {lock}");
        }
    }
}
