-- Not reversible in place: the DDL functions of the earlier migrations come
-- back with the previous release's migrations and a re-import.
DO $$ BEGIN RAISE EXCEPTION 'migration 2026-12-02-000004_catalog_declarative cannot be reverted; restore the previous release and re-import'; END $$;
