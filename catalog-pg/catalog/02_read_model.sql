-- After 01_tables.sql, in the same schema (`search_path` set to it): the
-- styles read model's table, bare for the import's COPY, and the functions
-- the writes use to keep it current. Also run by `migrate`, with
-- `search_path` set to `catalog`, to rebuild the read model of a catalog
-- made before it took this form (ddl.rs, REBUILD_READ_MODEL).

-- `product_styles`: the read model of the styles route. One row per product
-- (a product with no styles has '[]'), holding the `results` of its styles
-- answer as the service sends them, byte for byte: the JSON of
-- catalog_core::Style's serde form (its key order, no spaces, prices as
-- strings with two fraction digits, the all-null photo and SKU placeholders).
-- The import renders the documents in Rust with that serde form
-- (catalog-pg/src/import/styles_model.rs); the writes rebuild one product's
-- row in their transaction with `product_styles_render` below, whose strings
-- are escaped by to_json exactly as serde_json escapes them
-- (tests/styles_body_pg.rs holds the two to the same bytes). The route is one
-- primary-key lookup whose bytes are sent without parsing. lz4 keeps the few
-- large documents cheap to decompress.
CREATE TABLE product_styles (
  product_id integer NOT NULL,
  results text COMPRESSION lz4 NOT NULL
);
-- No query filters or sorts on a document: ANALYZE samples no documents
-- (1.4 s of it at 1M products), and keeps the statistics of product_id.
ALTER TABLE product_styles ALTER COLUMN results SET STATISTICS 0;

-- The JSON of one photo, one SKU entry and one style (given its rendered
-- photo list and SKU object, NULL for none: the all-null placeholders).
-- They are STABLE single expressions, so the planner inlines them.
CREATE OR REPLACE FUNCTION styles_photo_json(thumbnail_url text, url text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT '{"thumbnail_url":' || to_json(thumbnail_url)::text || ',"url":' || to_json(url)::text || '}'
$$;

CREATE OR REPLACE FUNCTION styles_sku_json(id integer, quantity integer, size text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT '"' || id || '":{"quantity":' || quantity || ',"size":' || to_json(size)::text || '}'
$$;

CREATE OR REPLACE FUNCTION styles_style_json(id integer, name text, original_price numeric, sale_price numeric,
                                             default_style boolean, photos text, skus text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT '{"style_id":' || id
         || ',"name":' || to_json(name)::text
         || ',"original_price":"' || original_price::text
         || '","sale_price":' || coalesce('"' || sale_price::text || '"', 'null')
         || ',"default?":' || default_style::text
         || ',"photos":' || coalesce(photos, '[{"thumbnail_url":null,"url":null}]')
         || ',"skus":' || coalesce(skus, '{"null":{"quantity":null,"size":null}}')
         || '}'
$$;

-- One product's `results`, from the tables as they are now (the same bytes
-- the import renders; tests/styles_body_pg.rs compares the two).
CREATE OR REPLACE FUNCTION product_styles_render(product integer) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce('[' || string_agg(styles_style_json(s.id, s.name, s.original_price, s.sale_price, s.default_style,
           (SELECT '[' || string_agg(styles_photo_json(p.thumbnail_url, p.url), ',' ORDER BY p.id) || ']'
            FROM photos p WHERE p.style_id = s.id),
           (SELECT '{' || string_agg(styles_sku_json(k.id, k.quantity, k.size), ',' ORDER BY k.id) || '}'
            FROM skus k WHERE k.style_id = s.id)),
         ',' ORDER BY s.id) || ']', '[]')
  FROM styles s WHERE s.product_id = product
$$;
