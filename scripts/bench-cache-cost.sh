#!/usr/bin/env bash
# What the response cache costs when it misses: one build served twice at
# once on one store, the cache on (64 MB) and off, and every row driven on
# each in turn (which goes first alternates by round), so the machine's
# drift (minutes-long on these shared VMs) hits both alike. Random ids over the whole catalog make nearly every
# answer a miss; the constant-rate row gives p99 with the cache on and off.
#
# Usage: scripts/bench-cache-cost.sh
#   STORE=mem or pg   PRODUCTS=1000000 ROUNDS=3 DURATION=10s CONNECTIONS=64 THREADS=2
#   RATE=5000 RATE_DURATION=20s   BIN=target/release/catalog-http (built if it is the default)
#   OUT=docs/bench/load/cache-cost-$STORE.txt
#   CACHE_ARGS: more serve flags of the cache-on instance (e.g. "--cache-ttl-secs 5")
# Each row is one JSON line; medians and the on/off ratios close the report.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
store=${STORE:-mem}
products=${PRODUCTS:-1000000}
rounds=${ROUNDS:-3}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
rate=${RATE:-5000}
rate_duration=${RATE_DURATION:-20s}
bin=${BIN:-target/release/catalog-http}
out=${OUT:-docs/bench/load/cache-cost-$store.txt}
data=.data/gen-$products

[ -n "${BIN:-}" ] || cargo build --release -q -p catalog-http
install_tools wrk:wrk
ensure_oha
ensure_source "$bin" "$data" "$products"
max_id=$(( $(wc -l <"$data/product.csv") - 1 ))
[ "$store" = mem ] || ensure_pg_catalog "$bin" "$data" "$products" >/dev/null

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
rows=$(mktemp)

serve() { # port cache_mb [more serve flags...]
  local args=(serve --store "$store" --cache-mb "$2" --listen "127.0.0.1:$1" "${@:3}")
  [ "$store" = mem ] && args+=(--data "$data" --rejects /tmp/bench-cost-rejects-"$1".csv)
  RUST_LOG=warn "$bin" "${args[@]}" >/tmp/bench-cost-"$1".log 2>&1 &
  pids+=($!)
}
# shellcheck disable=SC2086 # CACHE_ARGS is a list of flags
serve 3341 64 ${CACHE_ARGS:-}
serve 3342 0
wait_for http://127.0.0.1:3341/healthz
wait_for http://127.0.0.1:3342/healthz

{
  echo "# $("$bin" --version); $([ "$store" = mem ] && echo memory || echo PostgreSQL) store, $products generated products"
  echo "# the cache on (64 MB${CACHE_ARGS:+, $CACHE_ARGS}, port 3341) and off (3342) served at once, each row run on both in turn;"
  echo "# wrk -t$threads -c$connections $duration per row, oha at $rate/s for $rate_duration; $rounds rounds, $(date -u +%F) on $(nproc) cores"
} >"$out"
for round in $(seq 1 "$rounds"); do
  # Odd rounds drive the cache on first, even rounds the cache off first.
  order="3341 3342"
  [ $((round % 2)) = 1 ] || order="3342 3341"
  for route in styles mixed; do
    for port in $order; do
      run="cache $([ "$port" = 3341 ] && echo on || echo off)"
      wrk_row "$run" "http://127.0.0.1:$port" "$route" 0 "$max_id" "$threads" "$connections" "$duration" | tee -a "$rows"
    done
  done
  for port in $order; do
    run="cache $([ "$port" = 3341 ] && echo on || echo off)"
    oha_rate_row "$run" "http://127.0.0.1:$port" "$max_id" "$rate" "$connections" "$rate_duration" | tee -a "$rows"
  done
done
for port in 3341 3342; do
  pid=${pids[$(( port - 3341 ))]}
  echo "# cache $([ "$port" = 3341 ] && echo on || echo off): $(grep VmRSS "/proc/$pid/status" | tr -s ' ')" >>"$out"
done
python3 scripts/load/medians.py "$rows" "$out"
python3 - "$rows" "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
with open(sys.argv[2], "a") as out:
    out.write("## cache on / off, per round and median\n")
    for route in ("styles", "mixed"):
        runs = {run: [r["rps"] for r in rows if r["kind"] == "load" and r["route"] == route and r["run"] == run]
                for run in ("cache on", "cache off")}
        ratios = [on / off for on, off in zip(runs["cache on"], runs["cache off"])]
        out.write(f"{route}: {', '.join(f'{r:.2f}' for r in ratios)}; median {statistics.median(ratios):.2f}\n")
PY
sed -n '/## medians/,$p' "$out"
