-- The catalog lives in schema `catalog`. Its DDL is two functions so that the
-- bulk import can build a complete new catalog in another schema with exactly
-- the same tables, load it, then swap it in atomically.

-- Creates the six tables in a new schema `target`, without keys or indexes
-- (a bulk load is fastest into bare tables).
CREATE FUNCTION catalog_create_tables(target name) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE format('CREATE SCHEMA %I', target);
  EXECUTE format($ddl$
    CREATE TABLE %1$I.products (
      id integer NOT NULL,
      pos integer,  -- position in id order, for constant-time deep pages
      name text NOT NULL,
      slogan text NOT NULL,
      description text NOT NULL,
      category text NOT NULL,
      default_price numeric(15,2) NOT NULL CHECK (default_price >= 0)
    );
    CREATE TABLE %1$I.features (
      id integer NOT NULL,
      product_id integer NOT NULL,
      feature text NOT NULL,
      value text
    );
    CREATE TABLE %1$I.styles (
      id integer NOT NULL,
      product_id integer NOT NULL,
      name text NOT NULL,
      sale_price numeric(15,2) CHECK (sale_price >= 0),
      original_price numeric(15,2) NOT NULL CHECK (original_price >= 0),
      default_style boolean NOT NULL
    );
    CREATE TABLE %1$I.photos (
      id integer NOT NULL,
      style_id integer NOT NULL,
      url text NOT NULL,
      thumbnail_url text NOT NULL
    );
    CREATE TABLE %1$I.skus (
      id integer NOT NULL,
      style_id integer NOT NULL,
      size text NOT NULL,
      quantity integer NOT NULL CHECK (quantity >= 0)
    );
    CREATE TABLE %1$I.related (
      id integer NOT NULL,
      current_product_id integer NOT NULL,
      related_product_id integer NOT NULL CHECK (related_product_id <> current_product_id)
    );
  $ddl$, target);
END
$fn$;

-- After a load: rewrites products in id order with their positions, then adds
-- the primary keys, the indexes the four queries use, and the foreign keys.
CREATE FUNCTION catalog_finish_tables(target name) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE format($ddl$
    ALTER TABLE %1$I.products RENAME TO products_loaded;
    CREATE TABLE %1$I.products (LIKE %1$I.products_loaded INCLUDING ALL);
    INSERT INTO %1$I.products
      SELECT id, (row_number() OVER (ORDER BY id) - 1)::integer, name, slogan, description, category, default_price
      FROM %1$I.products_loaded ORDER BY id;
    DROP TABLE %1$I.products_loaded;
    ALTER TABLE %1$I.products ALTER COLUMN pos SET NOT NULL;

    ALTER TABLE %1$I.products ADD PRIMARY KEY (id);
    ALTER TABLE %1$I.features ADD PRIMARY KEY (id);
    ALTER TABLE %1$I.styles ADD PRIMARY KEY (id);
    ALTER TABLE %1$I.photos ADD PRIMARY KEY (id);
    ALTER TABLE %1$I.skus ADD PRIMARY KEY (id);
    ALTER TABLE %1$I.related ADD PRIMARY KEY (id);

    CREATE UNIQUE INDEX products_pos ON %1$I.products (pos);
    CREATE INDEX features_product ON %1$I.features (product_id, id);
    CREATE INDEX styles_product ON %1$I.styles (product_id, id);
    CREATE INDEX photos_style ON %1$I.photos (style_id, id);
    CREATE INDEX skus_style ON %1$I.skus (style_id, id);
    CREATE INDEX related_product ON %1$I.related (current_product_id, id);

    ALTER TABLE %1$I.features ADD FOREIGN KEY (product_id) REFERENCES %1$I.products (id);
    ALTER TABLE %1$I.styles ADD FOREIGN KEY (product_id) REFERENCES %1$I.products (id);
    ALTER TABLE %1$I.photos ADD FOREIGN KEY (style_id) REFERENCES %1$I.styles (id);
    ALTER TABLE %1$I.skus ADD FOREIGN KEY (style_id) REFERENCES %1$I.styles (id);
    ALTER TABLE %1$I.related ADD FOREIGN KEY (current_product_id) REFERENCES %1$I.products (id);
    ALTER TABLE %1$I.related ADD FOREIGN KEY (related_product_id) REFERENCES %1$I.products (id);
  $ddl$, target);
END
$fn$;

SELECT catalog_create_tables('catalog');
SELECT catalog_finish_tables('catalog');
