DROP TABLE IF EXISTS catalog.product_styles;
DROP FUNCTION IF EXISTS catalog_finish_tables(name);
ALTER FUNCTION catalog_finish_tables_and_views(name) RENAME TO catalog_finish_tables;
DROP FUNCTION IF EXISTS catalog_create_read_models(name);
