-- `style_details`: one row per style with its photos and SKUs aggregated into
-- arrays in id order. Only the benchmarks use it (feature bench-styles-forms),
-- to compare this earlier form of the styles route with the read model.
CREATE OR REPLACE VIEW catalog.style_details AS
SELECT s.id AS style_id, s.product_id, s.name, s.original_price, s.sale_price, s.default_style,
       coalesce(p.thumbnail_urls, '{}') AS photo_thumbnail_urls,
       coalesce(p.urls, '{}') AS photo_urls,
       coalesce(k.ids, '{}') AS sku_ids,
       coalesce(k.quantities, '{}') AS sku_quantities,
       coalesce(k.sizes, '{}') AS sku_sizes
FROM catalog.styles s
LEFT JOIN LATERAL (
  SELECT array_agg(thumbnail_url ORDER BY id) AS thumbnail_urls, array_agg(url ORDER BY id) AS urls
  FROM catalog.photos WHERE style_id = s.id
) p ON true
LEFT JOIN LATERAL (
  SELECT array_agg(id ORDER BY id) AS ids, array_agg(quantity ORDER BY id) AS quantities,
         array_agg(size ORDER BY id) AS sizes
  FROM catalog.skus WHERE style_id = s.id
) k ON true;
