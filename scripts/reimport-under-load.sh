#!/usr/bin/env bash
# Re-import under load: one instance serving the PostgreSQL catalog (its
# response cache off, so every request reaches the database) takes the mixed
# profile from wrk while the same catalog is imported again beside it, swap
# included. Every request must be answered: it prints the wrk line (with 5xx
# counted apart from the 404s of ids in the gaps), the import's own timing
# line, and exits 1 if any request got a 5xx or a socket error.
#
# With CACHE_MB > 0 the instance's response cache is on (HOT=N draws ids from
# a hot set of N), and it also prints when the instance emptied its cache for
# the new catalog (catalog_cache_flushes_total), against the import's times.
#
# Usage: scripts/reimport-under-load.sh   (PRODUCTS=1000000 DURATION=150s
# CACHE_MB=0 HOT=0; the import starts 5 s into the load and must finish
# before it ends)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
products=${PRODUCTS:-1000000}
duration=${DURATION:-150s}
data=.data/gen-$products
port=3301
install_tools wrk:wrk
cargo build --release -q -p catalog-http
bin=target/release/catalog-http
ensure_source "$bin" "$data" "$products"
url=$(ensure_pg_catalog "$bin" "$data" "$products")
max_id=$(($(wc -l <"$data/product.csv") - 1))
cache_mb=${CACHE_MB:-0}
RUST_LOG=warn "$bin" serve --store pg --database-url "$url" --cache-mb "$cache_mb" --listen "127.0.0.1:$port" \
  --rejects /tmp/reimport-rejects.csv >/tmp/reimport-instance.log 2>&1 &
instance=$!
trap 'kill $instance 2>/dev/null || true' EXIT
wait_for "http://127.0.0.1:$port/readyz"
started=$(date +%s.%N)
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[1]) - float(sys.argv[2]):.1f}')" "$(date +%s.%N)" "$started"; }
if [ "$cache_mb" != 0 ]; then
  ( last=""
    while sleep 0.1; do
      flushes=$(curl -sf "http://127.0.0.1:$port/metrics" | awk '$1 == "catalog_cache_flushes_total" {print $2}') || continue
      [ "$flushes" = "$last" ] || { echo "$(elapsed) s: catalog_cache_flushes_total $flushes"; last=$flushes; }
    done ) >/tmp/reimport-flushes.txt &
  poller=$!
  trap 'kill $instance $poller 2>/dev/null || true' EXIT
fi
COUNT_5XX=1 ROUTE=mixed MAX_ID=$max_id HOT=${HOT:-0} wrk -t2 -c64 -d"$duration" -s scripts/load/profile.lua \
  "http://127.0.0.1:$port" >/tmp/reimport-wrk.txt &
load=$!
sleep 5
import_started=$(elapsed)
imported=$("$bin" import --data "$data" --database-url "$url" --rejects /tmp/reimport-rejects.csv 2>/dev/null)
import_ended=$(elapsed)
kill -0 $load 2>/dev/null || { echo "the load ended before the import; raise DURATION" >&2; exit 1; }
wait $load
json=$(tail -1 /tmp/reimport-wrk.txt)
echo "$imported"
echo "import from $import_started s to $import_ended s of the load"
[ "$cache_mb" != 0 ] && cat /tmp/reimport-flushes.txt
echo "$json"
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if r["server_errors"] == 0 and r["socket_errors"] == 0 else 1)' "$json"
