#!/usr/bin/env bash
# Propagation of writes between instances: two release instances on the
# project's PostgreSQL cluster (the 1M catalog, imported and prewarmed if
# missing), each with its response cache; WRITES adjustments through the
# first, each timed until the second's cached styles answer shows it
# (scripts/load/propagation.py). Goal: p99 <= 100 ms, max <= 1 s.
#
# Usage: scripts/bench-fleet.sh   (PRODUCTS=1000000 WRITES=1000)
# Appends to docs/bench/fleet/results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
products=${PRODUCTS:-1000000}
writes=${WRITES:-1000}
data=.data/gen-$products
out_dir=docs/bench/fleet
mkdir -p "$out_dir"
cargo build --release -q -p catalog-http
bin=target/release/catalog-http
ensure_source "$bin" "$data" "$products"
db_url=$(ensure_pg_catalog "$bin" "$data" "$products")
tokens=$(mktemp -d)
token=$("$bin" token create --name fleet --scope inventory:write --tokens-file "$tokens/tokens" 2>/dev/null)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$tokens"; }
trap cleanup EXIT
for port in 3481 3482; do
  RUST_LOG=warn "$bin" serve --store pg --database-url "$db_url" --listen "127.0.0.1:$port" \
    --tokens-file "$tokens/tokens" >"/tmp/bench-fleet-$port.log" 2>&1 &
  pids+=($!)
  wait_for "http://127.0.0.1:$port/healthz"
done
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
json=$(python3 scripts/load/propagation.py http://127.0.0.1:3481 http://127.0.0.1:3482 "$token" "$products" "$writes")
echo "{\"at\":\"$stamp\",\"products\":$products,${json#\{}" | tee -a "$out_dir/results.jsonl"
