#!/usr/bin/env bash
# EXPLAIN (ANALYZE, BUFFERS) of the statements the PostgreSQL store prepares
# (the SQL diesel generates for src/store.rs), each run as a prepared
# statement six times first so the plan shown is the cached one the service
# uses. Writes docs/bench/explain-pg.md.
# Usage: DATABASE_URL=... scripts/explain-pg.sh [PRODUCT_ID]
set -euo pipefail
cd "$(dirname "$0")/.."
url=${DATABASE_URL:-$(scripts/pg url)}
id=${1:-500000}
out=docs/bench/explain-pg.md
products=$(psql "$url" -tAc "SELECT count(*) FROM catalog.products")
size=$(psql "$url" -tAc "SELECT pg_size_pretty(pg_database_size(current_database()))")
declare -A queries=(
  [1_list]='SELECT "products"."id", "products"."name", "products"."slogan", "products"."description", "products"."category", "products"."default_price" FROM "products" WHERE ("products"."pos" >= $1) AND ("products"."pos" < ($1 + 5)) ORDER BY "products"."pos"'
  [2_product]='SELECT "products"."id", "products"."name", "products"."slogan", "products"."description", "products"."category", "products"."default_price" FROM "products" WHERE ("products"."id" = $1) LIMIT 1'
  [3_features]='SELECT "features"."feature", "features"."value" FROM "features" WHERE ("features"."product_id" = $1) ORDER BY "features"."id"'
  [4_styles]='SELECT "styles"."id", "styles"."name", "styles"."original_price", "styles"."sale_price", "styles"."default_style" FROM "styles" WHERE ("styles"."product_id" = $1) ORDER BY "styles"."id"'
  [5_style_photos]='SELECT "photos"."style_id", "photos"."thumbnail_url", "photos"."url" FROM ("photos" INNER JOIN "styles" ON ("photos"."style_id" = "styles"."id")) WHERE ("styles"."product_id" = $1) ORDER BY "photos"."style_id", "photos"."id"'
  [6_style_skus]='SELECT "skus"."style_id", "skus"."id", "skus"."quantity", "skus"."size" FROM ("skus" INNER JOIN "styles" ON ("skus"."style_id" = "styles"."id")) WHERE ("styles"."product_id" = $1) ORDER BY "skus"."style_id", "skus"."id"'
  [8_product_styles]='SELECT "product_styles"."results" FROM "product_styles" WHERE ("product_styles"."product_id" = $1) LIMIT 1'
  [9_related]='SELECT "related"."related_product_id" FROM "related" WHERE ("related"."current_product_id" = $1) ORDER BY "related"."id"'
)
{
  echo "# EXPLAIN (ANALYZE, BUFFERS) of the PostgreSQL store's statements"
  echo
  echo "Catalog: $products products, database size $size. Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB."
  echo "Product id $id (list: offset $id). Command: \`scripts/explain-pg.sh $id\`, $(date -u +%Y-%m-%d)."
  echo "Each statement is prepared and executed six times before the EXPLAIN, as the service's cached statements are."
  echo "The styles route once pipelined statements 2 (existence, as \`SELECT id\`), 4, 5 and 6 in one round trip."
  echo "Since 2026-12-02 it is the read model, statement 8 alone (the pipelined form and the \`style_details\` view live on in the benches only)."
  for name in $(printf '%s\n' "${!queries[@]}" | sort); do
    echo
    echo "## ${name#*_}"
    echo
    echo '```sql'
    echo "${queries[$name]}"
    echo '```'
    echo
    echo '```text'
    psql "$url" -qAt -v ON_ERROR_STOP=1 <<SQL
SET search_path = catalog;
PREPARE q(integer) AS ${queries[$name]};
\o /dev/null
EXECUTE q($id); EXECUTE q($id); EXECUTE q($id); EXECUTE q($id); EXECUTE q($id); EXECUTE q($id);
\o
EXPLAIN (ANALYZE, BUFFERS) EXECUTE q($id);
SQL
    echo '```'
  done
} >"$out" 2>&1
echo "wrote $out"
