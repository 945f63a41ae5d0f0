-- The catalog that every import rebuilds is no longer defined by functions
-- in the database: catalog-pg/catalog/*.sql, embedded in the binary, are the
-- whole truth, run by the import into each new schema. Migrations keep what
-- lives outside the swapped schema (the generation sequence, this clean-up).
-- After the migrations, catalog_pg::migrate builds an empty catalog from the
-- files where there is none, and rebuilds in place a read model of an
-- earlier form.

-- Waits for an import that is running (catalog_pg::IMPORT_LOCK_KEY).
SELECT pg_advisory_xact_lock(7161132844275689249);

DROP FUNCTION catalog_finish_tables(name);
DROP FUNCTION catalog_finish_tables_and_read_models(name);
DROP FUNCTION catalog_finish_tables_and_views(name);
DROP FUNCTION catalog_finish_base_tables(name);
DROP FUNCTION catalog_create_views(name);
DROP FUNCTION catalog_create_read_models(name);
DROP FUNCTION catalog_stamp_generation(name);
DROP FUNCTION catalog_create_tables(name);

-- Only the benchmarks use the style_details view, and create it themselves.
DROP VIEW IF EXISTS catalog.style_details;

-- An empty catalog made by the earlier migrations is built again from the
-- files (by catalog_pg::migrate, right after); one with products stays.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM catalog.products) THEN
    DROP SCHEMA catalog CASCADE;
  END IF;
END
$$;
