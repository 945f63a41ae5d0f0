DROP TABLE IF EXISTS catalog.built;
DROP FUNCTION IF EXISTS catalog_finish_tables(name);
ALTER FUNCTION catalog_finish_tables_and_read_models(name) RENAME TO catalog_finish_tables;
DROP FUNCTION IF EXISTS catalog_stamp_generation(name);
DROP SEQUENCE IF EXISTS public.catalog_generations;
