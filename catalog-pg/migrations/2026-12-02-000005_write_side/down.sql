DROP SCHEMA catalog_meta CASCADE;
