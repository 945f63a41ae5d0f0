DROP SCHEMA IF EXISTS catalog CASCADE;
DROP FUNCTION IF EXISTS catalog_finish_tables(name);
DROP FUNCTION IF EXISTS catalog_create_tables(name);
