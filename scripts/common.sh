# Shared by the project's scripts (the load harnesses, scripts/scale-out.sh);
# sourced from the repository root.

# Installs each tool:debian-package that is missing.
install_tools() {
  local pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || { apt-get update -qq && apt-get install -y -qq "${pair#*:}" >/dev/null; }
  done
}

# Puts cargo's bin directory on PATH and installs oha 1.16.0 (crates.io) when missing.
ensure_oha() {
  export PATH="$HOME/.cargo/bin:$PATH"
  command -v oha >/dev/null || cargo install -q oha --version 1.16.0 --locked
}

# Waits up to two minutes for URL to answer 2xx.
wait_for() {
  for _ in $(seq 1 600); do curl -sf -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "no answer from $1" >&2
  exit 1
}

# Generates the catalog of PRODUCTS into DATA unless it is there (seed 1, 0.1% dirty).
ensure_source() { # bin data products
  [ -f "$2/related.csv" ] || "$1" generate --products "$3" --seed 1 --dirty 0.001 --out "$2" >/dev/null
}

# Starts the project's cluster, imports DATA unless a catalog of PRODUCTS is
# loaded, and reads every table, index and TOAST table of the catalog into
# shared_buffers, so each run starts from the same warm state (see scripts/pg
# on the page cache). Prints the database URL.
ensure_pg_catalog() { # bin data products
  local url loaded
  url=$(scripts/pg up)
  "$1" migrate --database-url "$url" >/dev/null
  loaded=$(psql "$url" -tAc "SELECT count(*) FROM catalog.products" 2>/dev/null || echo 0)
  [ "$loaded" = "$3" ] || "$1" import --data "$2" --database-url "$url" --rejects /tmp/bench-rejects.csv >/dev/null
  psql "$url" -qAt -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE EXTENSION IF NOT EXISTS pg_prewarm;
SELECT pg_prewarm(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'catalog' AND c.relkind IN ('r', 'i')
UNION ALL
SELECT pg_prewarm(c.reltoastrelid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'catalog' AND c.reltoastrelid <> 0;
SQL
  echo "$url"
}

ids_label() { [ "$1" -gt 0 ] && echo "hot $1" || echo random; }

# One wrk run at fixed concurrency through scripts/load/profile.lua; prints a
# JSON row labelled with RUN, ROUTE and the ids.
wrk_row() { # run url route hot max_id threads connections duration
  local json
  json=$(ROUTE=$3 MAX_ID=$5 HOT=$4 wrk -t"$6" -c"$7" -d"$8" -s scripts/load/profile.lua "$2" | tail -1)
  echo "{\"kind\":\"load\",\"run\":\"$1\",\"route\":\"$3\",\"ids\":\"$(ids_label "$4")\",${json#\{}"
}

# One results.jsonl row (kind "rate") of oha at a constant RATE on the mixed
# profile over random ids up to MAX_ID, latency corrected (no coordinated omission).
oha_rate_row() { # run url max_id rate connections duration
  python3 scripts/load/urls.py "$2" "$3" 200000 >.data/mixed-urls.txt
  oha --no-tui --output-format json --latency-correction --disable-color -q "$4" -c "$5" \
    -z "$6" --urls-from-file .data/mixed-urls.txt >.data/oha.json
  python3 scripts/load/oha_row.py .data/oha.json "$1" "$4"
}

# pgbench's tables afresh at scale 10 (1,000,000 accounts, the catalog's size)
# in database pgbench on the cluster of CATALOG_URL; prints its URL.
ensure_pgbench_db() { # catalog_url
  local admin_url="${1%%\?*}"
  psql "${admin_url%/*}/postgres" -qtAc "SELECT 1 FROM pg_database WHERE datname = 'pgbench'" | grep -q 1 ||
    psql "${admin_url%/*}/postgres" -qc "CREATE DATABASE pgbench"
  pgbench -q -i -s 10 "${admin_url%/*}/pgbench" >/dev/null 2>&1
  echo "${admin_url%/*}/pgbench"
}

# One results.jsonl row (kind "load", route "pgbench") of `pgbench -S`, the
# database's own primary-key lookups, prepared, at CLIENTS over THREADS for
# DURATION; latency percentiles from a 10% sample of its transaction log.
pgbench_select_row() { # run url threads clients duration
  local log out tps
  log=$(mktemp -d)
  out=$(pgbench -n -S -M prepared -j "$3" -c "$4" -T "${5%s}" -l --sampling-rate 0.1 --log-prefix="$log/tx" "$2" 2>&1)
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out" | head -1)
  cat "$log"/tx* | awk '{print $3 / 1000}' | sort -n | awk -v run="$1" -v tps="$tps" -v seconds="${5%s}" '
    { latency[NR] = $1 }
    END {
      printf "{\"kind\":\"load\",\"run\":\"%s\",\"route\":\"pgbench\",\"ids\":\"random\",\"requests\":%d,\"seconds\":%s,\"rps\":%.1f,", run, tps * seconds, seconds, tps
      printf "\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"socket_errors\":0,\"non_2xx\":0}\n",
        latency[int(NR * 0.5)], latency[int(NR * 0.9)], latency[int(NR * 0.99)], latency[NR]
    }'
  rm -rf "$log"
}

# nginx serving .data/nginx (a styles answer saved as styles.json) on
# 127.0.0.1:3399: the machine's ceiling for the load harnesses. Started unless
# it runs; stopped by static_nginx_down.
static_nginx_up() {
  mkdir -p .data/nginx
  cat >.data/nginx/nginx.conf <<CONF
worker_processes auto;
pid $PWD/.data/nginx/nginx.pid;
error_log $PWD/.data/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  server { listen 127.0.0.1:3399; root $PWD/.data/nginx; }
}
CONF
  if [ ! -f .data/nginx/nginx.pid ] || ! kill -0 "$(cat .data/nginx/nginx.pid)" 2>/dev/null; then
    nginx -c "$PWD/.data/nginx/nginx.conf"
    wait_for http://127.0.0.1:3399/styles.json
  fi
}

static_nginx_down() {
  [ -f .data/nginx/nginx.pid ] && kill "$(cat .data/nginx/nginx.pid)" 2>/dev/null || true
}
