#!/usr/bin/env bash
# Fleet benchmarks on the project's PostgreSQL cluster (the 1M catalog,
# imported and prewarmed if missing), with release instances, each with its
# response cache:
#
#   propagation  two instances; WRITES adjustments through the first, each
#                timed until the second's cached styles answer shows it
#                (scripts/load/propagation.py). Goal: p99 <= 100 ms, max <= 1 s.
#   loaded       the same while wrk sends the 95/5 mix (scripts/load/mix.lua)
#                to the second instance at LOADED_CONNECTIONS (16) connections:
#                a busy instance below saturation.
#   nginx        two instances behind nginx with its cache (scripts/scale-out.sh):
#                NGINX_WRITES sales through instance 1, each timed until a
#                read through nginx shows it: the staleness bound, measured.
#   mix          through nginx (two instances, its cache on), random ids over
#                the catalog: the read-only mixed profile beside a 95% read /
#                5% write mix (scripts/load/mix.lua), ROUNDS rounds alternating.
#   lifetime     styles of a hot set of 1,000 products through nginx with the
#                stock answers' max-age 1 s (the default) beside 60 s: what a
#                short lifetime costs nginx's cache, ROUNDS rounds alternating.
#   follow       one instance, the mixed profile at random ids, with the
#                change-log follower on (the default) and off
#                (--generation-check-ms 0) while nothing changes, ROUNDS rounds.
#
# Usage: scripts/bench-fleet.sh [SECTION...]   (default: all of them)
#   PRODUCTS=1000000 WRITES=1000 NGINX_WRITES=100 DURATION=15s CONNECTIONS=64
#   THREADS=2 ROUNDS=3 WRITE_PCT=5
# Appends one JSON row per run to docs/bench/fleet/results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
products=${PRODUCTS:-1000000}
writes=${WRITES:-1000}
duration=${DURATION:-15s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
rounds=${ROUNDS:-3}
write_pct=${WRITE_PCT:-5}
sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(propagation loaded nginx mix lifetime follow)
data=.data/gen-$products
out_dir=docs/bench/fleet
mkdir -p "$out_dir"
install_tools wrk:wrk
cargo build --release -q -p catalog-http
bin=target/release/catalog-http
ensure_source "$bin" "$data" "$products"
db_url=$(ensure_pg_catalog "$bin" "$data" "$products")
max_sku=$(psql "$db_url" -tAc "SELECT max(id) FROM catalog.skus")
tokens=$(mktemp -d)
token=$("$bin" token create --name fleet --scope inventory:write --tokens-file "$tokens/tokens" 2>/dev/null)
pids=()
load=""
stop_instances() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done; pids=(); }
cleanup() {
  [ -z "$load" ] || kill "$load" 2>/dev/null || true
  stop_instances; scripts/scale-out.sh down; rm -rf "$tokens"
}
trap cleanup EXIT
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
row() { # section json [extra json fields]
  echo "{\"at\":\"$stamp\",\"section\":\"$1\",\"products\":$products${3:+,$3},${2#\{}" | tee -a "$out_dir/results.jsonl"
}

start_instances() { # extra serve flags...
  local port
  for port in 3481 3482; do
    # shellcheck disable=SC2068 # the flags are words
    RUST_LOG=warn "$bin" serve --store pg --database-url "$db_url" --listen "127.0.0.1:$port" \
      --tokens-file "$tokens/tokens" $@ >"/tmp/bench-fleet-$port.log" 2>&1 &
    pids+=($!)
    wait_for "http://127.0.0.1:$port/healthz"
  done
}

# Two instances behind nginx with its cache; extra serve flags in $1.
nginx_up() {
  STORE=pg DATABASE_URL=$db_url BIN=$bin INSTANCE_FLAGS="--tokens-file $tokens/tokens ${1:-}" \
    scripts/scale-out.sh up 2 cache >/dev/null
}

mixed_row() { # run url script [extra env...]
  local run=$1 url=$2 script=$3 json
  shift 3
  json=$(env ROUTE=mixed MAX_ID="$products" HOT=0 MAX_SKU="$max_sku" TOKEN="$token" WRITE_PCT="$write_pct" "$@" \
    wrk -t"$threads" -c"$connections" -d"$duration" -s "$script" "$url" | tail -1)
  echo "{\"run\":\"$run\",${json#\{}"
}

for section in "${sections[@]}"; do
  case $section in
    propagation)
      start_instances
      row propagation "$(python3 scripts/load/propagation.py http://127.0.0.1:3481 http://127.0.0.1:3482 "$token" "$products" "$writes")"
      stop_instances
      ;;
    loaded)
      start_instances
      ROUTE=mixed MAX_ID=$products HOT=0 MAX_SKU=$max_sku TOKEN=$token WRITE_PCT=$write_pct \
        wrk -t"$threads" -c"${LOADED_CONNECTIONS:-16}" -d600s -s scripts/load/mix.lua http://127.0.0.1:3482 >/dev/null &
      load=$!
      sleep 2
      json=$(python3 scripts/load/propagation.py http://127.0.0.1:3481 http://127.0.0.1:3482 "$token" "$products" "$writes")
      kill "$load"; wait "$load" 2>/dev/null || true
      load=""
      row loaded "$json" "\"load\":\"wrk mix.lua on the reader, ${LOADED_CONNECTIONS:-16} connections, $write_pct% writes\""
      stop_instances
      ;;
    nginx)
      nginx_up
      row nginx "$(python3 scripts/load/propagation.py http://127.0.0.1:3101 http://127.0.0.1:8080 "$token" "$products" "${NGINX_WRITES:-100}")"
      scripts/scale-out.sh down
      ;;
    mix)
      nginx_up
      for _ in $(seq 1 "$rounds"); do
        row mix "$(mixed_row read-only http://127.0.0.1:8080 scripts/load/profile.lua)"
        row mix "$(mixed_row "$write_pct% writes" http://127.0.0.1:8080 scripts/load/mix.lua)"
      done
      scripts/scale-out.sh down
      ;;
    lifetime)
      for _ in $(seq 1 "$rounds"); do
        for age in 1 60; do
          nginx_up "--stock-max-age-secs $age"
          json=$(ROUTE=styles MAX_ID=$products HOT=1000 wrk -t"$threads" -c"$connections" -d"$duration" \
            -s scripts/load/profile.lua http://127.0.0.1:8080 | tail -1)
          row lifetime "{\"run\":\"stock max-age $age s\",${json#\{}"
          scripts/scale-out.sh down
        done
      done
      ;;
    follow)
      for _ in $(seq 1 "$rounds"); do
        for check in 1000 0; do
          RUST_LOG=warn "$bin" serve --store pg --database-url "$db_url" --listen 127.0.0.1:3481 \
            --tokens-file "$tokens/tokens" --generation-check-ms "$check" >/tmp/bench-fleet-3481.log 2>&1 &
          pids+=($!)
          wait_for http://127.0.0.1:3481/healthz
          label=$([ "$check" = 0 ] && echo "follower off" || echo "follower on")
          row follow "$(mixed_row "$label" http://127.0.0.1:3481 scripts/load/profile.lua)"
          stop_instances
        done
      done
      ;;
    *) echo "bench-fleet: no section '$section'" >&2; exit 2 ;;
  esac
done
