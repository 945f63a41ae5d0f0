//! The PostgreSQL import and store against a real server: the same report and
//! rejects as the memory store, the same answers, re-imports, failed imports.

use std::fs;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use catalog_contract::Fixture;
use catalog_core::{CatalogStore, Page, ProductId};
use catalog_mem::MemStore;
use catalog_pg::testing::TestDatabase;
use catalog_pg::{IMPORT_LOCK_KEY, PgConfig, PgError, PgStore, import, migrate};
use catalog_source::RejectRecord;
use diesel::{Connection, RunQueryDsl};

fn fixture() -> &'static Fixture {
    static FIXTURE: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
    FIXTURE.get_or_init(Fixture::standard)
}

async fn store(db: &TestDatabase) -> PgStore {
    PgStore::connect(&PgConfig::new(db.url())).await.expect("connect")
}

/// Every answer of a store for a sample of ids, serialized.
async fn answers(store: &dyn CatalogStore, ids: &[i32]) -> Vec<String> {
    let mut out = Vec::new();
    for page in 1..=3 {
        let products = store.products(Page::new(page, 1000).unwrap()).await.unwrap();
        out.push(serde_json::to_string(&products).unwrap());
    }
    for &id in ids {
        let id = ProductId::new(id).unwrap();
        let as_json = |r: Result<String, _>| r.unwrap_or_else(|e: catalog_core::StoreError| e.to_string());
        out.push(as_json(
            store.product(id).await.map(|v| serde_json::to_string(&v).unwrap()),
        ));
        out.push(as_json(
            store.styles(id).await.map(|v| serde_json::to_string(&v).unwrap()),
        ));
        out.push(as_json(
            store.related(id).await.map(|v| serde_json::to_string(&v).unwrap()),
        ));
    }
    out
}

fn sample_ids() -> Vec<i32> {
    let oracle = &fixture().oracle;
    let mut ids: Vec<i32> = oracle.product_ids().into_iter().step_by(37).collect();
    ids.extend(oracle.gap_ids().into_iter().take(5));
    ids.extend(oracle.ids_with_repeated_links().into_iter().take(5));
    ids.push(i32::MAX);
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_and_memory_give_the_same_report_rejects_and_answers() {
    let db = TestDatabase::empty();
    let mut pg_rejects: Vec<RejectRecord> = Vec::new();
    let url = db.url().to_owned();
    let (imported, pg_rejects) = tokio::task::spawn_blocking(move || {
        let imported = import(&url, fixture().path(), &mut pg_rejects).expect("import");
        (imported, pg_rejects)
    })
    .await
    .unwrap();
    let mut mem_rejects: Vec<RejectRecord> = Vec::new();
    let (mem, mem_report) = MemStore::load(fixture().path(), &mut mem_rejects).expect("load");

    assert!(imported.report.reconciles());
    assert_eq!(imported.report, mem_report);
    assert_eq!(pg_rejects, mem_rejects);
    assert_eq!(pg_rejects.len(), fixture().summary.dirty.len());

    let ids = sample_ids();
    let mem_answers = answers(&mem, &ids).await;
    let pg = store(&db).await;
    let pg_answers = answers(&pg, &ids).await;
    assert_eq!(pg_answers.len(), mem_answers.len());
    for (pg_answer, mem_answer) in pg_answers.iter().zip(&mem_answers) {
        assert_eq!(pg_answer, mem_answer);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reimport_gives_the_same_catalog_and_report() {
    let db = TestDatabase::empty();
    let url = db.url().to_owned();
    let first = tokio::task::spawn_blocking({
        let url = url.clone();
        move || import(&url, fixture().path(), &mut Vec::new()).expect("first import")
    })
    .await
    .unwrap();
    let pg = store(&db).await;
    let before = answers(&pg, &sample_ids()).await;
    let first_generation = pg
        .generation()
        .await
        .unwrap()
        .expect("a PostgreSQL catalog has a generation");

    // Reads go on during the re-import and across its swap, every one answered.
    let importing = Arc::new(AtomicBool::new(true));
    let reader = tokio::spawn({
        let (pg, before, importing) = (pg.clone(), before.clone(), Arc::clone(&importing));
        async move {
            let mut rounds = 0;
            while importing.load(Ordering::Relaxed) {
                assert_eq!(answers(&pg, &sample_ids()).await, before, "a read during the import");
                rounds += 1;
            }
            rounds
        }
    });
    let second = tokio::task::spawn_blocking({
        let url = url.clone();
        move || import(&url, fixture().path(), &mut Vec::new()).expect("re-import")
    })
    .await
    .unwrap();
    importing.store(false, Ordering::Relaxed);
    assert!(reader.await.expect("no failed read") > 0, "reads ran during the import");
    assert_eq!(first.report, second.report);
    // The same pool keeps serving across the swap: its cached statements follow the new tables.
    assert_eq!(answers(&pg, &sample_ids()).await, before);
    // Same data, but a new catalog: caches in front of it must be told.
    let second_generation = pg.generation().await.unwrap().unwrap();
    assert!(
        second_generation > first_generation,
        "{second_generation} after {first_generation}"
    );
    // The old catalog is gone once the import returns (`catalog_meta`, the
    // write side's records, is never swapped and stays).
    let mut conn = diesel::pg::PgConnection::establish(&url).expect("connect");
    let leftovers = diesel::sql_query(
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'catalog\\_%' AND nspname <> 'catalog_meta'",
    )
    .load::<SchemaName>(&mut conn)
    .expect("schemas");
    assert!(
        leftovers.is_empty(),
        "{:?}",
        leftovers.iter().map(|s| &s.nspname).collect::<Vec<_>>()
    );
}

#[derive(diesel::QueryableByName)]
struct SchemaName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    nspname: String,
}

/// The import adds its foreign keys without PostgreSQL's check of the rows
/// it loaded (its reader checked them): the keys are there, named in the
/// report's phases, and refuse a row that breaks them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_catalog_has_its_keys_and_postgres_enforces_them() {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        count: i64,
    }
    let db = TestDatabase::empty();
    let url = db.url().to_owned();
    let imported =
        tokio::task::spawn_blocking(move || import(&url, fixture().path(), &mut Vec::new()).expect("import"))
            .await
            .unwrap();
    let names: Vec<&str> = imported.phases.iter().map(|phase| phase.name).collect();
    assert!(
        names.contains(&"foreign keys") && names.contains(&"read model"),
        "{names:?}"
    );
    assert_eq!(imported.took(), imported.phases.iter().map(|phase| phase.took).sum());

    let mut conn = diesel::PgConnection::establish(db.url()).expect("connect");
    let keys = diesel::sql_query(
        "SELECT count(*) AS count FROM pg_constraint WHERE contype = 'f' AND connamespace = 'catalog'::regnamespace",
    )
    .get_result::<Count>(&mut conn)
    .expect("foreign keys");
    assert_eq!(
        keys.count, 7,
        "features, styles, photos, SKUs, related twice, the read model"
    );
    for orphan in [
        "INSERT INTO catalog.photos VALUES (2000000000, 2000000000, 'u', 't')",
        "INSERT INTO catalog.skus VALUES (2000000000, 2000000000, 'XS', 1)",
        "INSERT INTO catalog.related VALUES (2000000000, 1, 2000000000)",
        "INSERT INTO catalog.product_styles VALUES (2000000000, '[]')",
    ] {
        let refused = diesel::sql_query(orphan).execute(&mut conn);
        assert!(
            matches!(
                refused,
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                    _
                ))
            ),
            "{orphan}: {refused:?}"
        );
    }
}

/// The import copies its rows frozen (`COPY ... FREEZE` into the tables it
/// created): every page of every catalog table is all-visible when it
/// commits (the figure its `ANALYZE` took from the visibility map), so the
/// first reads after an import do not dirty every page to set hint bits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_catalog_is_copied_frozen() {
    #[derive(diesel::QueryableByName, Debug)]
    struct Pages {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table: String,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pages: i32,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        visible: i32,
    }
    let db = TestDatabase::empty();
    let url = db.url().to_owned();
    tokio::task::spawn_blocking(move || import(&url, fixture().path(), &mut Vec::new()).expect("import"))
        .await
        .unwrap();
    let mut conn = diesel::PgConnection::establish(db.url()).expect("connect");
    let tables = diesel::sql_query(
        "SELECT relname::text AS table, relpages AS pages, relallvisible AS visible FROM pg_class \
         WHERE relnamespace = 'catalog'::regnamespace AND relkind = 'r' AND relname <> 'built' ORDER BY relname",
    )
    .load::<Pages>(&mut conn)
    .expect("pages");
    assert_eq!(tables.len(), 7, "{tables:?}");
    for table in &tables {
        assert!(
            table.pages > 0 && table.visible == table.pages,
            "{}: {} of {} pages all-visible",
            table.table,
            table.visible,
            table.pages
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_import_leaves_the_old_catalog_serving() {
    let db = TestDatabase::empty();
    let url = db.url().to_owned();
    let broken = tempfile_copy_with_bad_header();
    let (first, failure) = tokio::task::spawn_blocking(move || {
        let first = import(&url, fixture().path(), &mut Vec::new()).expect("first import");
        (first, import(&url, broken.path(), &mut Vec::new()).map(|_| ()))
    })
    .await
    .unwrap();
    assert!(matches!(failure, Err(PgError::Import(_))), "{failure:?}");
    let pg: Arc<dyn CatalogStore> = Arc::new(store(&db).await);
    assert_eq!(
        pg.generation().await.unwrap(),
        Some(first.generation),
        "a failed import leaves the generation of the catalog that serves"
    );
    let products = pg.products(Page::new(1, 1000).unwrap()).await.unwrap();
    assert_eq!(products.len() as u64, first.report.files[0].accepted.min(1000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_while_another_runs_is_refused_at_once() {
    let db = TestDatabase::empty();
    let url = db.url().to_owned();
    let (first, refused, after) = tokio::task::spawn_blocking(move || {
        let first = import(&url, fixture().path(), &mut Vec::new()).expect("first import");
        // Another import holds the lock (as it does from its start to its swap).
        let mut running = diesel::pg::PgConnection::establish(&url).expect("connect");
        let hold = format!("BEGIN; SELECT pg_advisory_xact_lock({IMPORT_LOCK_KEY});");
        diesel::connection::SimpleConnection::batch_execute(&mut running, &hold).expect("take the lock");
        let refused = import(&url, fixture().path(), &mut Vec::new()).map(|_| ());
        diesel::connection::SimpleConnection::batch_execute(&mut running, "COMMIT").expect("release the lock");
        let after = import(&url, fixture().path(), &mut Vec::new()).expect("an import once the other ended");
        (first, refused, after)
    })
    .await
    .unwrap();
    assert!(matches!(refused, Err(PgError::ImportRunning)), "{refused:?}");
    assert!(after.generation > first.generation);
    assert_eq!(store(&db).await.generation().await.unwrap(), Some(after.generation));
}

/// A copy of the fixture whose last file has a wrong header.
fn tempfile_copy_with_bad_header() -> catalog_contract::Fixture {
    let copy = Fixture::generate(&catalog_source::GenerateConfig {
        products: 20,
        seed: 3,
        dirty_rate: 0.0,
    });
    fs::write(copy.path().join("related.csv"), "id,from,to\n1,1,2\n").unwrap();
    copy
}

#[tokio::test]
async fn migrations_are_idempotent_and_required() {
    let db = TestDatabase::empty();
    let not_migrated = PgStore::connect(&PgConfig::new(db.url())).await;
    assert!(
        matches!(not_migrated, Err(PgError::NotMigrated)),
        "{:?}",
        not_migrated.err()
    );
    let url = db.url().to_owned();
    let (first, second) = tokio::task::spawn_blocking(move || (migrate(&url).unwrap(), migrate(&url).unwrap()))
        .await
        .unwrap();
    assert_eq!(first.len(), 6, "{first:?}");
    assert!(second.is_empty());
    let empty = store(&db).await;
    assert!(empty.products(Page::default()).await.unwrap().is_empty());
    assert!(
        empty.generation().await.unwrap().is_some(),
        "the empty catalog is a generation too"
    );
    assert!(matches!(
        empty.styles(ProductId::new(1).unwrap()).await,
        Err(catalog_core::StoreError::ProductNotFound(1))
    ));
}

#[tokio::test]
async fn an_unreachable_server_is_a_connect_error() {
    let mut config = PgConfig::new("postgres://postgres@127.0.0.1:1/catalog");
    config.connect_timeout = std::time::Duration::from_millis(500);
    // Bounded, so a hang fails the test instead of stalling it.
    let result = tokio::time::timeout(std::time::Duration::from_secs(10), PgStore::connect(&config))
        .await
        .expect("connect gives up within its timeout");
    assert!(matches!(result, Err(PgError::Connect { .. })), "{:?}", result.err());
}
