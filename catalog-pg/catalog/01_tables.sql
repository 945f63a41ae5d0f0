-- The catalog's tables, bare (no keys, no indexes: a bulk COPY is fastest
-- into bare tables). Run by catalog_pg's import (and by `migrate` for an
-- empty catalog) in a new schema, with `search_path` set to it: names are
-- unqualified. 02_read_model.sql adds the read model's table and functions;
-- 03_keys.sql, 04_foreign_keys.sql and 05_generation.sql complete the
-- catalog after the load.

CREATE TABLE products (
  id integer NOT NULL,
  pos integer NOT NULL,  -- position in id order, for constant-time deep pages (the import copies products in id order)
  name text NOT NULL,
  slogan text NOT NULL,
  description text NOT NULL,
  category text NOT NULL,
  default_price numeric(15,2) NOT NULL CHECK (default_price >= 0)
);

CREATE TABLE features (
  id integer NOT NULL,
  product_id integer NOT NULL,
  feature text NOT NULL,
  value text
);

CREATE TABLE styles (
  id integer NOT NULL,
  product_id integer NOT NULL,
  name text NOT NULL,
  sale_price numeric(15,2) CHECK (sale_price >= 0),
  original_price numeric(15,2) NOT NULL CHECK (original_price >= 0),
  default_style boolean NOT NULL
);

CREATE TABLE photos (
  id integer NOT NULL,
  style_id integer NOT NULL,
  url text NOT NULL,
  thumbnail_url text NOT NULL
);
-- No query filters or sorts on a URL: ANALYZE keeps no statistics of them.
ALTER TABLE photos ALTER COLUMN url SET STATISTICS 0, ALTER COLUMN thumbnail_url SET STATISTICS 0;

CREATE TABLE skus (
  id integer NOT NULL,
  style_id integer NOT NULL,
  size text NOT NULL,
  quantity integer NOT NULL CHECK (quantity >= 0)
);

CREATE TABLE related (
  id integer NOT NULL,
  current_product_id integer NOT NULL,
  related_product_id integer NOT NULL CHECK (related_product_id <> current_product_id)
);
