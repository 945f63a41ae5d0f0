#!/usr/bin/env bash
# The write harness: adjustments beside the reads of the same instance, in
# one run, so each figure is also a ratio to its reference.
#
# Memory store: POST /skus/:id/adjustments at random SKUs against GET
# /skus/:id at random SKUs (target: adjustments >= 0.5x the reads), then
# every client selling one hot SKU (the rate and p99; afterwards its drop in
# quantity must equal the number of its sku.adjusted entries in the change
# log, each taking exactly one unit from a different quantity: no lost
# update). Rounds alternate adjust and read.
#
# Usage: scripts/bench-writes.sh   (environment overrides below)
#   PRODUCTS=1000000 (generated with seed 1, 0.1% dirty, if missing)
#   DURATION=10s CONNECTIONS=64 THREADS=2 ROUNDS=3
# Installs wrk (Debian) when missing. Appends to docs/bench/writes/results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
products=${PRODUCTS:-1000000}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
rounds=${ROUNDS:-3}
port=3471
data=.data/gen-$products
out=docs/bench/writes
mkdir -p "$out"

install_tools wrk:wrk
cargo build --release -q -p catalog-http
bin=target/release/catalog-http
ensure_source "$bin" "$data" "$products"
max_sku=$(( $(wc -l <"$data/skus.csv") - 1 ))
tokens=$(mktemp -d)
token=$("$bin" token create --name bench --scope inventory:write --tokens-file "$tokens/tokens" 2>/dev/null)
url=http://127.0.0.1:$port

pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tokens"; }
trap cleanup EXIT
RUST_LOG=warn "$bin" serve --store mem --data "$data" --listen "127.0.0.1:$port" \
  --tokens-file "$tokens/tokens" --rejects /tmp/bench-writes-rejects.csv >/tmp/bench-writes.log 2>&1 &
pid=$!
wait_for "http://127.0.0.1:$port/healthz"

stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
row() { # run route
  local json
  json=$(ROUTE=$2 MAX_SKU=$max_sku TOKEN=$token wrk -t"$threads" -c"$connections" -d"$duration" \
    -s scripts/load/writes.lua "http://127.0.0.1:$port" | tail -1)
  echo "{\"kind\":\"writes\",\"at\":\"$stamp\",\"store\":\"mem\",\"products\":$products,\"connections\":$connections,\"run\":\"$1\",\"route\":\"$2\",${json#\{}" |
    tee -a "$out/results.jsonl"
}
for round in $(seq "$rounds"); do
  row "round $round" adjust
  row "round $round" sku
done
# The hot run: SKU 1 stocked high, every connection selling it.
tag=$(curl -sfI "$url/skus/1" | sed -n 's/^etag: //Ip' | tr -d '\r')
curl -sf -X PATCH "$url/skus/1" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -H "if-match: $tag" -d '{"quantity":100000000}' >/dev/null
seq_before=$(python3 scripts/load/changes.py last "$url" "$token")
row hot hot
python3 scripts/load/changes.py check-hot "$url" "$token" "$seq_before" 1 100000000
python3 - "$out/results.jsonl" "$stamp" <<'PY'
import json, statistics, sys
path, stamp = sys.argv[1], sys.argv[2]
rows = [json.loads(line) for line in open(path) if line.strip()]
rows = [r for r in rows if r.get("at") == stamp]
med = lambda route, key: statistics.median(r[key] for r in rows if r["route"] == route)
ratio = statistics.median(
    a["rps"] / s["rps"] for a, s in zip([r for r in rows if r["route"] == "adjust"], [r for r in rows if r["route"] == "sku"]))
print(f"adjust {med('adjust','rps'):.0f}/s p99 {med('adjust','p99_ms'):.2f} ms; GET /skus {med('sku','rps'):.0f}/s; "
      f"median round ratio {ratio:.2f} (target >= 0.5); hot SKU {med('hot','rps'):.0f}/s p99 {med('hot','p99_ms'):.2f} ms")
PY
