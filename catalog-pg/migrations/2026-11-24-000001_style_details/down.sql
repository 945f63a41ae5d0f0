DROP VIEW IF EXISTS catalog.style_details;
DROP FUNCTION IF EXISTS catalog_finish_tables(name);
ALTER FUNCTION catalog_finish_base_tables(name) RENAME TO catalog_finish_tables;
DROP FUNCTION IF EXISTS catalog_create_views(name);
