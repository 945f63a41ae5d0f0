-- `style_details`: one row per style with its photos and SKUs aggregated into
-- arrays in id order, so the styles route can be one statement. Views live in
-- the catalog schema, so the import (through catalog_finish_tables) creates
-- them again in every new catalog.

CREATE FUNCTION catalog_create_views(target name) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE format($ddl$
    CREATE VIEW %1$I.style_details AS
    SELECT s.id AS style_id, s.product_id, s.name, s.original_price, s.sale_price, s.default_style,
           coalesce(p.thumbnail_urls, '{}') AS photo_thumbnail_urls,
           coalesce(p.urls, '{}') AS photo_urls,
           coalesce(k.ids, '{}') AS sku_ids,
           coalesce(k.quantities, '{}') AS sku_quantities,
           coalesce(k.sizes, '{}') AS sku_sizes
    FROM %1$I.styles s
    LEFT JOIN LATERAL (
      SELECT array_agg(thumbnail_url ORDER BY id) AS thumbnail_urls, array_agg(url ORDER BY id) AS urls
      FROM %1$I.photos WHERE style_id = s.id
    ) p ON true
    LEFT JOIN LATERAL (
      SELECT array_agg(id ORDER BY id) AS ids, array_agg(quantity ORDER BY id) AS quantities,
             array_agg(size ORDER BY id) AS sizes
      FROM %1$I.skus WHERE style_id = s.id
    ) k ON true;
  $ddl$, target);
END
$fn$;

-- The import calls catalog_finish_tables; from now on it also creates the views.
ALTER FUNCTION catalog_finish_tables(name) RENAME TO catalog_finish_base_tables;
CREATE FUNCTION catalog_finish_tables(target name) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM catalog_finish_base_tables(target);
  PERFORM catalog_create_views(target);
END
$fn$;

SELECT catalog_create_views('catalog');
