-- `built`: one row telling which generation of the catalog this is. Every
-- finished catalog takes the next number of `catalog_generations`, so a
-- service can ask, cheaply and through a replica, whether the catalog it
-- caches answers of has been replaced by an import since it last looked.

-- Waits for an import that is running (the import's advisory lock,
-- catalog_pg::IMPORT_LOCK_KEY), so the catalog it swaps in is stamped too.
SELECT pg_advisory_xact_lock(7161132844275689249);

CREATE SEQUENCE public.catalog_generations;

CREATE FUNCTION catalog_stamp_generation(target name) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE format($ddl$
    CREATE TABLE %1$I.built (
      generation bigint PRIMARY KEY,
      finished_at timestamptz NOT NULL
    );
    INSERT INTO %1$I.built VALUES (nextval('public.catalog_generations'), clock_timestamp());
  $ddl$, target);
END
$fn$;

-- The import calls catalog_finish_tables; from now on it also stamps the generation.
ALTER FUNCTION catalog_finish_tables(name) RENAME TO catalog_finish_tables_and_read_models;
CREATE FUNCTION catalog_finish_tables(target name) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM catalog_finish_tables_and_read_models(target);
  PERFORM catalog_stamp_generation(target);
END
$fn$;

SELECT catalog_stamp_generation('catalog');
