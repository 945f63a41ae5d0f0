-- After 02_keys.sql, in the same schema (`search_path` set to it); also run
-- alone by `migrate` to rebuild the read model of a catalog made before it
-- took this form.

-- `product_styles`: the read model of the styles route. One row per product
-- (a product with no styles has '[]'), holding the `results` of its styles
-- answer as the service sends them, byte for byte: the JSON of
-- catalog_core::Style's serde form (its key order, no spaces, prices as
-- strings with two fraction digits, the all-null photo and SKU placeholders),
-- with strings escaped by to_json exactly as serde_json escapes them. The
-- route is one primary-key lookup whose bytes are sent without parsing. lz4
-- keeps the few large documents cheap to decompress.
-- The JSON of one photo, one SKU entry and one style (given its rendered
-- photo list and SKU object, NULL for none: the all-null placeholders) are
-- defined once, here, and shared by the bulk build below and by
-- `product_styles_render`, which the writes call to rebuild one product's
-- row in their transaction. They are STABLE single expressions, so the
-- planner inlines them: the bulk build costs what the plain expressions did.
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
-- the bulk build gives; tests/styles_body_pg.rs compares the two).
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

CREATE TABLE product_styles (
  product_id integer NOT NULL,
  results text COMPRESSION lz4 NOT NULL
);
INSERT INTO product_styles
WITH photo_lists AS (
  SELECT style_id,
         '[' || string_agg(styles_photo_json(thumbnail_url, url), ',' ORDER BY id) || ']' AS photos
  FROM photos GROUP BY style_id
), sku_lists AS (
  SELECT style_id,
         '{' || string_agg(styles_sku_json(id, quantity, size), ',' ORDER BY id) || '}' AS skus
  FROM skus GROUP BY style_id
), style_lists AS (
  SELECT s.product_id,
         '[' || string_agg(styles_style_json(s.id, s.name, s.original_price, s.sale_price, s.default_style,
                                             p.photos, k.skus), ',' ORDER BY s.id) || ']' AS results
  FROM styles s
  LEFT JOIN photo_lists p ON p.style_id = s.id
  LEFT JOIN sku_lists k ON k.style_id = s.id
  GROUP BY s.product_id
)
SELECT pr.id, coalesce(sl.results, '[]')
FROM products pr LEFT JOIN style_lists sl ON sl.product_id = pr.id
ORDER BY pr.id;
ALTER TABLE product_styles ADD PRIMARY KEY (product_id);
ALTER TABLE product_styles ADD FOREIGN KEY (product_id) REFERENCES products (id);
