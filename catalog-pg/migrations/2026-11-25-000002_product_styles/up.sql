-- `product_styles`: the read model of the styles route. One row per product
-- (a product with no styles has '[]'), holding its styles with their photos and
-- SKUs as one compact JSON array built by aggregate SQL when the catalog is
-- finished, so the route is a single primary-key lookup: no joins, no
-- aggregation and no separate existence check per request. Each style is
--   [style_id, name, original_price, sale_price, default_style,
--    [[thumbnail_url, url], ...], [[sku_id, quantity, size], ...]]
-- with prices as exact decimal strings ('140.00') or null.
-- lz4 keeps the few large documents cheap to decompress.

CREATE FUNCTION catalog_create_read_models(target name) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE format($ddl$
    CREATE TABLE %1$I.product_styles (
      product_id integer NOT NULL,
      styles json COMPRESSION lz4 NOT NULL
    );
    INSERT INTO %1$I.product_styles
    WITH photo_lists AS (
      SELECT style_id, json_agg(json_build_array(thumbnail_url, url) ORDER BY id) AS photos
      FROM %1$I.photos GROUP BY style_id
    ), sku_lists AS (
      SELECT style_id, json_agg(json_build_array(id, quantity, size) ORDER BY id) AS skus
      FROM %1$I.skus GROUP BY style_id
    ), style_lists AS (
      SELECT s.product_id,
             json_agg(json_build_array(s.id, s.name, s.original_price::text, s.sale_price::text, s.default_style,
                                       coalesce(p.photos, '[]'), coalesce(k.skus, '[]')) ORDER BY s.id) AS styles
      FROM %1$I.styles s
      LEFT JOIN photo_lists p ON p.style_id = s.id
      LEFT JOIN sku_lists k ON k.style_id = s.id
      GROUP BY s.product_id
    )
    SELECT pr.id, coalesce(sl.styles, '[]')
    FROM %1$I.products pr LEFT JOIN style_lists sl ON sl.product_id = pr.id
    ORDER BY pr.id;
    ALTER TABLE %1$I.product_styles ADD PRIMARY KEY (product_id);
    ALTER TABLE %1$I.product_styles ADD FOREIGN KEY (product_id) REFERENCES %1$I.products (id);
  $ddl$, target);
END
$fn$;

-- The import calls catalog_finish_tables; from now on it also builds the read models.
ALTER FUNCTION catalog_finish_tables(name) RENAME TO catalog_finish_tables_and_views;
CREATE FUNCTION catalog_finish_tables(target name) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM catalog_finish_tables_and_views(target);
  PERFORM catalog_create_read_models(target);
END
$fn$;

SELECT catalog_create_read_models('catalog');
