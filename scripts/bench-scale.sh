#!/usr/bin/env bash
# The scale-out harness: 1, 2 and 4 instances of the service on PostgreSQL
# behind nginx (scripts/scale-out.sh, deploy/nginx), with nginx's cache off
# and on, beside one instance reached directly and nginx serving a static
# file (the machine's ceiling), all in one run. Then the failover row: four
# instances under load, one killed (SIGKILL) after 3 s.
#
# Usage: scripts/bench-scale.sh   (defaults below; all overridable by environment)
#   PRODUCTS=1000000 INSTANCES="1 2 4" DURATION=10s CONNECTIONS=64 THREADS=2
# The instances run with their own response cache off (--cache-mb 0), so the
# rows with the cache on show nginx's cache alone. Writes
# docs/bench/scale/results.jsonl, README.md and a chart.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
products=${PRODUCTS:-1000000}
instances=${INSTANCES:-1 2 4}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
data=.data/gen-$products
out=docs/bench/scale
mkdir -p "$out" .data/nginx

install_tools wrk:wrk nginx:nginx envsubst:gettext-base
python3 -c "import matplotlib" 2>/dev/null || pip install -q matplotlib >/dev/null 2>&1 || echo "no matplotlib: the report will have no charts" >&2
cargo build --release -q -p catalog-http
export BIN=target/release/catalog-http STORE=pg INSTANCE_FLAGS="--cache-mb 0"
ensure_source "$BIN" "$data" "$products"
DATABASE_URL=$(ensure_pg_catalog "$BIN" "$data" "$products")
export DATABASE_URL
max_id=$(($(wc -l <"$data/product.csv") - 1))
trap 'scripts/scale-out.sh down; static_nginx_down' EXIT

# CPU seconds (user + system) used so far by the instances, PostgreSQL and
# nginx, as three numbers.
cpu_seconds() {
  local instances postgres nginx
  instances=$(cat .data/scale-out/instance-*.pid 2>/dev/null || true)
  postgres=$(pgrep -u postgres || true)
  nginx=$(pgrep -x nginx || true)
  for group in "$instances" "$postgres" "$nginx"; do
    # shellcheck disable=SC2086 # one path per pid
    cat $(printf '/proc/%s/stat ' $group) 2>/dev/null |
      awk -v hz="$(getconf CLK_TCK)" '{sub(/^.*\) /, ""); ticks += $12 + $13} END {printf "%.2f ", ticks / hz}'
  done
}

row() { # setup instances cache url hot [route]
  local json before after cpu
  before=$(cpu_seconds)
  json=$(wrk_row "$1" "$4" "${6:-mixed}" "$5" "$max_id" "$threads" "$connections" "$duration")
  after=$(cpu_seconds)
  cpu=$(python3 -c 'import sys; b, a = sys.argv[1].split(), sys.argv[2].split()
print(",".join(f"\"cpu_{k}_s\":{max(0.0, float(y) - float(x)):.2f}" for k, x, y in zip(("service", "pg", "nginx"), b, a)))' "$before" "$after")
  echo "${json%\}},\"instances\":$2,\"cache\":\"$3\",$cpu}" | tee -a "$out/results.jsonl"
}

warm_up() { # url: connections opened, hot set in whatever cache there is
  ROUTE=mixed MAX_ID=$max_id HOT=1000 wrk -t"$threads" -c"$connections" -d3s -s scripts/load/profile.lua "$1" >/dev/null
}

: >"$out/results.jsonl"
lb=$(scripts/scale-out.sh up 1 no-cache)
direct=http://127.0.0.1:3101
curl -s "$direct/products/$((max_id / 2))/styles" >.data/nginx/styles.json
static_nginx_up
row "nginx static file (ceiling)" 0 off http://127.0.0.1:3399 0 static
warm_up "$direct"
for hot in 0 1000; do row "1 instance, direct" 1 off "$direct" "$hot"; done

for n in $instances; do
  for cache in no-cache cache; do
    lb=$(scripts/scale-out.sh up "$n" "$cache")
    warm_up "$lb"
    for hot in 0 1000; do
      row "$n behind nginx, cache $([ "$cache" = cache ] && echo on || echo off)" "$n" \
        "$([ "$cache" = cache ] && echo on || echo off)" "$lb" "$hot"
    done
  done
done

# nginx's cache on this VM's disk instead of tmpfs, for the record.
lb=$(NGINX_CACHE_DIR=$PWD/.data/scale-out/disk-cache scripts/scale-out.sh up 1 cache)
warm_up "$lb"
row "1 behind nginx, cache on disk (not tmpfs)" 1 on "$lb" 0

# Failover: four instances behind nginx (cache off), one killed under load;
# 5xx answers are counted apart from the 404s of the catalog's gaps.
lb=$(scripts/scale-out.sh up 4 no-cache)
warm_up "$lb"
(sleep 3 && scripts/scale-out.sh kill 1 KILL) &
COUNT_5XX=1 row "4 behind nginx, cache off, one killed at 3 s" 4 off "$lb" 0
wait
row "nginx static file (ceiling), again" 0 off http://127.0.0.1:3399 0 static

python3 scripts/load/scale_report.py "$out/results.jsonl" "$products" "$duration" "$connections" >"$out/README.md"
echo "wrote $out/README.md"
