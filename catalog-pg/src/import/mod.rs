//! The bulk import: the shared validating reader encodes each accepted row
//! in binary `COPY` form ([`copy_rows`]) for a writer thread that copies the
//! batches, frozen, into a new schema; once the reading ends, the writer
//! builds the tables' keys and indexes while the reader renders the styles
//! read model from the same rows into a temporary file, copied after them;
//! and the new schema replaces `catalog` in one transaction, so an import
//! either completes or leaves the previous catalog serving.

mod copy_rows;
mod spill;
mod styles_model;

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread;
use std::time::{Duration, Instant};

use catalog_source::{
    FeatureRow, ImportObserver, ImportReport, NoObserver, PhotoRow, ProductRow, RejectSink, RelatedRow, RowSink,
    SinkError, SkuRow, SourceFile, StyleRow,
};
use diesel::connection::SimpleConnection;
use diesel::pg::{CopyFormat, PgConnection};
use diesel::prelude::*;

use crate::ddl::{self, CHANGES_BARRIER_KEY, CHANGES_CHANNEL, IMPORT_LOCK_KEY, NEXT_SCHEMA, WRITE_GATE_KEY};
use crate::error::PgError;
use crate::migrate::run_pending;
use crate::schema::catalog::{built, features, photos, product_styles, products, related, skus, styles};
use copy_rows::CopyRows;
use styles_model::StylesModel;

diesel::define_sql_function! {
    /// Takes a transaction-level advisory lock if it is free.
    fn pg_try_advisory_xact_lock(key: diesel::sql_types::BigInt) -> diesel::sql_types::Bool;
}

/// Rows per `COPY` batch handed from the reader to the writer thread, at most.
const BATCH_ROWS: usize = 20_000;

/// Bytes per `COPY` batch, about (a batch is sent once it holds this many),
/// and per write of the read model's documents to their temporary file.
const BATCH_BYTES: usize = 2 << 20;

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

    let (sender, receiver) = sync_channel::<Work>(4);
    let writer = thread::spawn(move || -> Result<PgConnection, PgError> {
        for work in receiver {
            work.run(&mut conn)?;
        }
        Ok(conn)
    });
    let mut sink = CopySink::new(sender).map_err(|err| PgError::Load { source: err.into() })?;
    let read = catalog_source::import_with_observer(dir, &mut sink, rejects, observer);
    // The read model is rendered only from a complete, accepted reading.
    let documents = match &read {
        Ok(_) => Some(sink.finish(&mut phases)),
        Err(_) => None,
    };
    drop(sink);
    let written = writer.join().map_err(|_| PgError::Load {
        source: "the COPY writer thread panicked".into(),
    })?;
    // A writer error explains a refused batch better than the reader's view of it.
    let mut conn = written?;
    let report = read?;
    let documents = documents
        .expect("a reading that succeeded is finished")
        .map_err(|source| PgError::Load { source })?;
    phases.done("keys, indexes and statistics (read model rendered meanwhile)");
    copy_documents(&mut conn, &documents)?;
    drop(documents);
    ddl::build_read_model_key(&mut conn)?;
    conn.batch_execute("ANALYZE product_styles")?;
    phases.done("read model");

    ddl::add_foreign_keys(&mut conn)?;
    phases.done("foreign keys");
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

/// What the writer thread does, in the order it is sent.
enum Work {
    /// A batch of rows of the table a source file loads, a binary `COPY` stream.
    Rows(SourceFile, Vec<u8>),
    /// After the last batch: the tables' keys and indexes, then their
    /// statistics (while the index builds' reads are the freshest in the
    /// machine's small page cache).
    TableKeys,
}

/// `COPY ... FROM STDIN (FORMAT binary, FREEZE)` of `data`, a whole stream
/// written by `write`, into `$table` (every column, in order). FREEZE: the
/// tables were created in this transaction, so their rows are written
/// frozen and all-visible, and the first reads after the swap do not rewrite
/// every page to set hint bits.
macro_rules! copy_in {
    ($table:expr, $conn:expr, $write:expr) => {
        diesel::copy_from($table)
            .from_raw_data($table, $write)
            .with_format(CopyFormat::Binary)
            .with_freeze(true)
            .execute($conn)
    };
}

impl Work {
    fn run(self, conn: &mut PgConnection) -> QueryResult<()> {
        let (table, data) = match self {
            Work::Rows(table, data) => (table, data),
            Work::TableKeys => {
                ddl::build_table_keys(conn)?;
                return conn.batch_execute("ANALYZE products, features, styles, photos, skus, related");
            }
        };
        let write = |out: &mut dyn Write| out.write_all(&data).map_err(io_to_query);
        match table {
            SourceFile::Products => copy_in!(products::table, conn, write),
            SourceFile::Features => copy_in!(features::table, conn, write),
            SourceFile::Styles => copy_in!(styles::table, conn, write),
            SourceFile::Photos => copy_in!(photos::table, conn, write),
            SourceFile::Skus => copy_in!(skus::table, conn, write),
            SourceFile::Related => copy_in!(related::table, conn, write),
        }?;
        Ok(())
    }
}

/// An error of the bytes a `COPY` callback writes, as diesel reports it.
fn io_to_query(err: io::Error) -> diesel::result::Error {
    diesel::result::Error::SerializationError(err.into())
}

/// Copies the read model's documents, a whole binary `COPY` stream in
/// `file`, into `product_styles`.
fn copy_documents(conn: &mut PgConnection, file: &File) -> QueryResult<()> {
    let write = |out: &mut dyn Write| -> QueryResult<()> {
        let mut reader = BufReader::with_capacity(1 << 20, file);
        io::copy(&mut reader, out).map_err(io_to_query)?;
        Ok(())
    };
    copy_in!(product_styles::table, conn, write)?;
    Ok(())
}

/// The products read so far, each encoded but for its position (known only
/// once all are read and sorted by id): their fields after `id` and `pos`
/// in one buffer, with where each starts.
struct ProductArena {
    fields: CopyRows,
    starts: Vec<(i32, usize)>,
}

/// Collects accepted rows into batches of one table and sends full ones to
/// the writer; keeps products until all have arrived, to copy them in id
/// order with their positions; and collects the styles read model.
struct CopySink {
    sender: SyncSender<Work>,
    table: SourceFile,
    batch: CopyRows,
    /// Products received and not yet sent (all of them arrive first).
    products: ProductArena,
    /// The ids of the products sent, ascending.
    product_ids: Vec<i32>,
    model: Option<StylesModel>,
}

impl CopySink {
    fn new(sender: SyncSender<Work>) -> io::Result<CopySink> {
        Ok(CopySink {
            sender,
            table: SourceFile::Products,
            batch: CopyRows::with_capacity(BATCH_BYTES),
            products: ProductArena {
                fields: CopyRows::with_capacity(0),
                starts: Vec::new(),
            },
            product_ids: Vec::new(),
            model: Some(StylesModel::new()?),
        })
    }

    fn send(&self, work: Work) -> Result<(), SinkError> {
        Ok(self.sender.send(work).map_err(|_| "the COPY writer stopped")?)
    }

    /// Sends the current batch if it has any rows.
    fn flush(&mut self) -> Result<(), SinkError> {
        if self.batch.rows() > 0 {
            let full = std::mem::replace(&mut self.batch, CopyRows::with_capacity(BATCH_BYTES));
            self.send(Work::Rows(self.table, full.finish()))?;
        }
        Ok(())
    }

    /// The batch for a row of `table`: the current one, unless it is full
    /// or of another table (then it is sent first).
    fn batch_for(&mut self, table: SourceFile) -> Result<&mut CopyRows, SinkError> {
        self.send_products()?;
        if self.table != table || self.batch.rows() >= BATCH_ROWS || self.batch.len() >= BATCH_BYTES {
            self.flush()?;
            self.table = table;
        }
        Ok(&mut self.batch)
    }

    /// Sends the products received so far in id order, each with its
    /// position (so the product pages read the table in order).
    fn send_products(&mut self) -> Result<(), SinkError> {
        if self.products.starts.is_empty() {
            return Ok(());
        }
        let arena = std::mem::replace(
            &mut self.products,
            ProductArena {
                fields: CopyRows::with_capacity(0),
                starts: Vec::new(),
            },
        );
        let fields = arena.fields.bytes();
        // Each product's fields end where the next one's start.
        let ends = arena
            .starts
            .iter()
            .skip(1)
            .map(|&(_, start)| start)
            .chain([fields.len()]);
        let mut spans: Vec<(i32, usize, usize)> = arena
            .starts
            .iter()
            .zip(ends)
            .map(|(&(id, start), end)| (id, start, end))
            .collect();
        spans.sort_unstable_by_key(|&(id, ..)| id);
        self.flush()?;
        self.table = SourceFile::Products;
        for (id, start, end) in spans {
            let pos = i32::try_from(self.product_ids.len()).map_err(|_| "more than 2^31 products")?;
            if self.batch.rows() >= BATCH_ROWS || self.batch.len() >= BATCH_BYTES {
                self.flush()?;
            }
            self.batch.row(7).int4(id).int4(pos).raw_fields(&fields[start..end]);
            self.product_ids.push(id);
        }
        self.flush()
    }

    /// After the last row: sends what is left and has the writer build the
    /// tables' keys and indexes, meanwhile rendering the read model's
    /// documents into a temporary file (their copy follows the keys on the
    /// same connection). Ends the phase of reading once the last batch is
    /// queued: the copy of the few batches still queued counts in the next.
    fn finish(&mut self, phases: &mut Phases) -> Result<File, SinkError> {
        self.send_products()?;
        self.flush()?;
        phases.done("read, validate and COPY");
        self.send(Work::TableKeys)?;
        let model = self.model.take().ok_or("the import finished twice")?;
        let mut file = BufWriter::with_capacity(1 << 20, tempfile::tempfile()?);
        file.write_all(CopyRows::header())?;
        let mut documents = CopyRows::with_capacity(BATCH_BYTES);
        model.render(&self.product_ids, |product_id, styles| -> io::Result<()> {
            documents
                .row(2)
                .int4(product_id)
                .text_with(|out| serde_json::to_writer(out, styles).map_err(io::Error::other))?;
            if documents.len() >= BATCH_BYTES {
                documents.drain_rows_into(&mut file)?;
            }
            Ok(())
        })?;
        documents.drain_rows_into(&mut file)?;
        file.write_all(copy_rows::trailer())?;
        let mut file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.seek(SeekFrom::Start(0))?;
        Ok(file)
    }

    /// The styles model, which is there until [`finish`](Self::finish).
    fn model(&mut self) -> Result<&mut StylesModel, SinkError> {
        Ok(self.model.as_mut().ok_or("a row after the end of the import")?)
    }
}

impl RowSink for CopySink {
    fn product(&mut self, r: &ProductRow<'_>) -> Result<(), SinkError> {
        if !self.product_ids.is_empty() {
            // The reader gives every product before any other row.
            return Err("a product after the rows that refer to products".into());
        }
        let arena = &mut self.products;
        arena.starts.push((r.id, arena.fields.len()));
        arena
            .fields
            .text(r.name)?
            .text(r.slogan)?
            .text(r.description)?
            .text(r.category)?
            .price(r.default_price);
        Ok(())
    }

    fn feature(&mut self, r: &FeatureRow<'_>) -> Result<(), SinkError> {
        self.batch_for(SourceFile::Features)?
            .row(4)
            .int4(r.id)
            .int4(r.product_id)
            .text(r.feature)?
            .optional_text(r.value)?;
        Ok(())
    }

    fn style(&mut self, r: &StyleRow<'_>) -> Result<(), SinkError> {
        self.model()?.style(r);
        self.batch_for(SourceFile::Styles)?
            .row(6)
            .int4(r.id)
            .int4(r.product_id)
            .text(r.name)?
            .optional_price(r.sale_price)
            .price(r.original_price)
            .bool(r.default_style);
        Ok(())
    }

    fn photo(&mut self, r: &PhotoRow<'_>) -> Result<(), SinkError> {
        self.model()?.photo(r)?;
        self.batch_for(SourceFile::Photos)?
            .row(4)
            .int4(r.id)
            .int4(r.style_id)
            .text(r.url)?
            .text(r.thumbnail_url)?;
        Ok(())
    }

    fn sku(&mut self, r: &SkuRow<'_>) -> Result<(), SinkError> {
        self.model()?.sku(r)?;
        self.batch_for(SourceFile::Skus)?
            .row(4)
            .int4(r.id)
            .int4(r.style_id)
            .text(r.size)?
            .int4(r.quantity);
        Ok(())
    }

    fn related(&mut self, r: &RelatedRow) -> Result<(), SinkError> {
        self.batch_for(SourceFile::Related)?
            .row(3)
            .int4(r.id)
            .int4(r.current_product_id)
            .int4(r.related_product_id);
        Ok(())
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
