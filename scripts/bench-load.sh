#!/usr/bin/env bash
# The load-test harness: the service against nginx serving a static file of
# the size of a styles answer (the machine's ceiling), measured in one run, so
# every figure is also a ratio to that ceiling.
#
# Usage: scripts/bench-load.sh            (defaults below; all overridable by environment)
#   PRODUCTS=1000000  catalog size (generated with seed 1, 0.1% dirty, if missing)
#   STORES="pg mem"   stores to measure (pg imports the catalog if it is not the one loaded)
#   DURATION=10s CONNECTIONS=64 THREADS=2
#   RATE=5000 RATE_DURATION=20s   the constant-rate run (oha, latency corrected)
# pg rows are also compared with `pgbench -S` on the same cluster, measured
# beside them (the database's own primary-key lookups, same client count).
# Installs wrk and nginx (Debian) and oha (crates.io) when missing.
# Writes docs/bench/load/results.jsonl, README.md and the charts.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
products=${PRODUCTS:-1000000}
stores=${STORES:-pg mem}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
rate=${RATE:-5000}
rate_duration=${RATE_DURATION:-20s}
data=.data/gen-$products
out=docs/bench/load
mkdir -p "$out" .data/nginx

install_tools wrk:wrk nginx:nginx
ensure_oha
python3 -c "import matplotlib" 2>/dev/null || pip install -q matplotlib >/dev/null 2>&1 || echo "no matplotlib: the report will have no charts" >&2
cargo build --release -q -p catalog-http
bin=target/release/catalog-http
ensure_source "$bin" "$data" "$products"
max_id=$(( $(wc -l <"$data/product.csv") - 1 ))

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; static_nginx_down; }
trap cleanup EXIT

start_service() { # store cache_mb port [extra serve flags...]
  local store=$1 cache=$2 port=$3
  shift 3
  local args=(serve --store "$store" --cache-mb "$cache" --listen "127.0.0.1:$port" --rejects /tmp/bench-rejects.csv "$@")
  [ "$store" = mem ] && args+=(--data "$data")
  RUST_LOG=warn "$bin" "${args[@]}" >/tmp/bench-service-"$port".log 2>&1 &
  pids+=($!)
  wait_for "http://127.0.0.1:$port/healthz"
}

stop_service() { kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'; }

run() { # label url route hot: wrk at fixed concurrency
  wrk_row "$1" "$2" "$3" "$4" "$max_id" "$threads" "$connections" "$duration" | tee -a "$out/results.jsonl"
}

run_at_rate() { # label url: oha at a constant rate on the mixed profile, latency corrected
  oha_rate_row "$1" "$2" "$max_id" "$rate" "$connections" "$rate_duration" | tee -a "$out/results.jsonl"
}

memory() { # label pid: resident memory of the service after its runs
  awk -v run="$1" '/^VmRSS/ {rss = $2} /^VmHWM/ {hwm = $2}
    END {printf "{\"kind\":\"memory\",\"run\":\"%s\",\"rss_mb\":%.1f,\"peak_mb\":%.1f}\n", run, rss / 1024, hwm / 1024}' \
    "/proc/$2/status" | tee -a "$out/results.jsonl"
}

# The database's own ceiling: pgbench -S (primary-key lookups of 1,000,000
# accounts) on the same cluster at the same client count, measured before
# each PostgreSQL service's runs.
if [[ " $stores " == *" pg "* ]]; then
  bench_url=$(ensure_pgbench_db "$(ensure_pg_catalog "$bin" "$data" "$products")")
fi

# The ceiling: nginx serving the styles answer as a static file (taken afresh
# from this catalog by the first service), measured before every service's runs
# so each figure is compared with a ceiling taken minutes, not an hour, apart.
rm -f .data/nginx/styles.json
ceiling() { # label: nginx at the same load, started on first use
  static_nginx_up
  run "nginx static $(wc -c <.data/nginx/styles.json) B, before $1" http://127.0.0.1:3399 static 0
}

: >"$out/results.jsonl"
port=3310
for store in $stores; do
  for cache in 0 64; do
    port=$((port + 1))
    start_service "$store" "$cache" "$port"
    base="http://127.0.0.1:$port"
    [ -s .data/nginx/styles.json ] || curl -s "$base/products/$((max_id / 2))/styles" >.data/nginx/styles.json
    label="$store, cache $([ "$cache" = 0 ] && echo off || echo on)"
    ceiling "$label"
    if [ "$store" = pg ]; then
      pgbench_select_row "pgbench -S, before $label" "$bench_url" "$threads" "$connections" "$duration" | tee -a "$out/results.jsonl"
    fi
    for route in styles product related list mixed; do run "$label" "$base" "$route" 0; done
    for route in styles mixed; do run "$label" "$base" "$route" 1000; done
    if [ "$cache" = 0 ]; then for route in first deep; do run "$label" "$base" "$route" 0; done; fi
    [ "$store" = pg ] && run_at_rate "$label" "$base"
    memory "$label" "${pids[-1]}"
    stop_service
  done
  # The styles route through the aggregating view (what the read model
  # bought, docs/bench/load/tuning.md) ran here with --styles-query, now
  # gone: the earlier forms live in benches/benches/pg_store.rs.
done


python3 scripts/load/report.py "$out/results.jsonl" "$products" "$duration" "$connections" >"$out/README.md"
echo "wrote $out/README.md"
