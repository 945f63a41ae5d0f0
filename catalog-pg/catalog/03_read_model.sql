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
CREATE TABLE product_styles (
  product_id integer NOT NULL,
  results text COMPRESSION lz4 NOT NULL
);
INSERT INTO product_styles
WITH photo_lists AS (
  SELECT style_id,
         '[' || string_agg('{"thumbnail_url":' || to_json(thumbnail_url)::text || ',"url":' || to_json(url)::text || '}',
                           ',' ORDER BY id) || ']' AS photos
  FROM photos GROUP BY style_id
), sku_lists AS (
  SELECT style_id,
         '{' || string_agg('"' || id || '":{"quantity":' || quantity || ',"size":' || to_json(size)::text || '}',
                           ',' ORDER BY id) || '}' AS skus
  FROM skus GROUP BY style_id
), style_lists AS (
  SELECT s.product_id,
         '[' || string_agg('{"style_id":' || s.id
                           || ',"name":' || to_json(s.name)::text
                           || ',"original_price":"' || s.original_price::text
                           || '","sale_price":' || coalesce('"' || s.sale_price::text || '"', 'null')
                           || ',"default?":' || s.default_style::text
                           || ',"photos":' || coalesce(p.photos, '[{"thumbnail_url":null,"url":null}]')
                           || ',"skus":' || coalesce(k.skus, '{"null":{"quantity":null,"size":null}}')
                           || '}', ',' ORDER BY s.id) || ']' AS results
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
