#!/usr/bin/env bash
# A/B of two builds' response caches on one store, in one run:
# rounds alternate A and B with the cache on, and B with it off (the
# reference a cache must not fall below), on random ids over the whole
# catalog (every answer a miss: what a cache costs) and on a hot set of
# 1,000 ids (what it buys), then the mixed profile at a constant rate.
#
# Usage: A=path/to/catalog-http B=path/to/catalog-http scripts/bench-cache-ab.sh
#   A_LABEL, B_LABEL   names in the report (default: the binaries' --version)
#   STORE=pg           or mem (the memory store: no database noise, the
#                      cache's own cost shows most)
#   PRODUCTS=1000000 ROUNDS=3 DURATION=10s CONNECTIONS=64 THREADS=2
#   RATE=5000 RATE_DURATION=20s   the constant-rate run (oha, latency corrected)
#   OUT=docs/bench/load/cache-ab.txt
# Each row is one JSON line; the medians per build close the report.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
a_bin=${A:?A=path to the first build}
b_bin=${B:?B=path to the second build}
a_label=${A_LABEL:-$("$a_bin" --version)}
b_label=${B_LABEL:-$("$b_bin" --version)}
store=${STORE:-pg}
products=${PRODUCTS:-1000000}
rounds=${ROUNDS:-3}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
rate=${RATE:-5000}
rate_duration=${RATE_DURATION:-20s}
out=${OUT:-docs/bench/load/cache-ab.txt}
data=.data/gen-$products

install_tools wrk:wrk
ensure_oha
ensure_source "$b_bin" "$data" "$products"
max_id=$(( $(wc -l <"$data/product.csv") - 1 ))
[ "$store" = mem ] || ensure_pg_catalog "$b_bin" "$data" "$products" >/dev/null

pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; }
trap cleanup EXIT
port=3330
rows=$(mktemp)

measure() { # build-label bin cache_mb
  port=$((port + 1))
  local args=(serve --store "$store" --cache-mb "$3" --listen "127.0.0.1:$port")
  [ "$store" = mem ] && args+=(--data "$data" --rejects /tmp/bench-ab-rejects.csv)
  RUST_LOG=warn "$2" "${args[@]}" >/tmp/bench-ab-"$port".log 2>&1 &
  pid=$!
  wait_for "http://127.0.0.1:$port/healthz"
  local run base="http://127.0.0.1:$port"
  run="$1, cache $([ "$3" = 0 ] && echo off || echo on)"
  for route in styles mixed; do
    wrk_row "$run" "$base" "$route" 0 "$max_id" "$threads" "$connections" "$duration" | tee -a "$rows"
  done
  if [ "$3" != 0 ]; then
    for route in styles mixed; do
      wrk_row "$run" "$base" "$route" 1000 "$max_id" "$threads" "$connections" "$duration" | tee -a "$rows"
    done
  fi
  oha_rate_row "$run" "$base" "$max_id" "$rate" "$connections" "$rate_duration" | tee -a "$rows"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=
}

{
  echo "# A: $a_label; B: $b_label"
  echo "# $([ "$store" = mem ] && echo memory || echo PostgreSQL) store, $products generated products, wrk -t$threads -c$connections $duration per row, oha at $rate/s for $rate_duration; $rounds rounds, $(date -u +%F) on $(nproc) cores"
} >"$out"
for round in $(seq 1 "$rounds"); do
  measure A "$a_bin" 64
  measure B "$b_bin" 64
  measure B "$b_bin" 0
done
python3 scripts/load/medians.py "$rows" "$out"
sed -n '/## medians/,$p' "$out"
