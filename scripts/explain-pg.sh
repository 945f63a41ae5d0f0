#!/usr/bin/env bash
# EXPLAIN (ANALYZE, BUFFERS) of the statements the PostgreSQL store prepares
# (the SQL diesel generates, printed by catalog-pg's `statements` example), each run as a prepared
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
# The statements as diesel generates them, from the code (catalog_pg::statements).
statements=$(cargo run -q -p catalog-pg --example statements)
{
  echo "# EXPLAIN (ANALYZE, BUFFERS) of the PostgreSQL store's statements"
  echo
  echo "Catalog: $products products, database size $size. Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB."
  echo "Product id $id (list: offset $id). Command: \`scripts/explain-pg.sh $id\`, $(date -u +%Y-%m-%d)."
  echo "Each statement is prepared and executed six times before the EXPLAIN, as the service's cached statements are."
  echo "The SQL is what the code sends (\`cargo run -p catalog-pg --example statements\`, diesel's \`debug_query\`)."
  echo "The styles route is product_styles alone; product pipelines product and features; related pipelines product_exists and related."
  while IFS=$'\t' read -r name sql; do
    case $name in
      list) args="$id, $((id + 5))" ;;
      *) if [[ $sql == *'$2'* ]]; then args="$id, 1"; else args="$id"; fi ;;
    esac
    echo
    echo "## $name"
    echo
    echo '```sql'
    echo "$sql"
    echo '```'
    echo
    echo '```text'
    psql "$url" -qAt -v ON_ERROR_STOP=1 <<SQL
SET search_path = catalog;
PREPARE q AS $sql;
\o /dev/null
EXECUTE q($args); EXECUTE q($args); EXECUTE q($args); EXECUTE q($args); EXECUTE q($args); EXECUTE q($args);
\o
EXPLAIN (ANALYZE, BUFFERS) EXECUTE q($args);
SQL
    echo '```'
  done <<<"$statements"
} >"$out" 2>&1
echo "wrote $out"
