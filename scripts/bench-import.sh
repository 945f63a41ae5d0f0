#!/usr/bin/env bash
# Times the PostgreSQL import of the generated 1M-product catalog, phase by
# phase, with the importer's resident memory, in alternating rounds of one or
# more builds (so a noisy machine slows each alike), beside `pgbench -S` as the
# cluster's reference for the round. Each import replaces a 1M catalog.
#
#   scripts/bench-import.sh                       this worktree's release build
#   BUILDS="old=/path/catalog-http new=target/release/catalog-http" scripts/bench-import.sh
#
# Environment: PRODUCTS (1000000), ROUNDS (3), OUT (docs/bench/import/results.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
products=${PRODUCTS:-1000000}
rounds=${ROUNDS:-3}
out=${OUT:-docs/bench/import/results.txt}
data=.data/gen-$products
cargo build --release -q -p catalog-http
builds=${BUILDS:-"this=target/release/catalog-http"}
url=$(scripts/pg up)
ensure_source target/release/catalog-http "$data" "$products"
bench_url=$(ensure_pgbench_db "$url")
mkdir -p "$(dirname "$out")"
{
  echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD); $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $products products ($data)"
  for round in $(seq "$rounds"); do
    tps=$(pgbench -n -S -M prepared -j 2 -c 64 -T 10 "$bench_url" 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
    echo "round $round: pgbench -S (64 clients, 10 s) $tps tps"
    for build in $builds; do
      name=${build%%=*} bin=${build#*=}
      log=$(mktemp)
      /usr/bin/time -f "rss_kib=%M user_s=%U sys_s=%S" "$bin" import --data "$data" --database-url "$url" \
        --rejects /tmp/catalog-bench-import-rejects.csv >"$log" 2>&1
      echo "round $round $name: $(grep '^imported' "$log") | $(tail -1 "$log")"
      rm -f "$log"
    done
  done
} | tee -a "$out"
