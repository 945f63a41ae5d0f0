#!/usr/bin/env bash
# Several catalog instances behind nginx on loopback, configured from
# deploy/nginx/catalog.conf.template (load balancing, retries, passive health
# checks, the response cache).
#
#   scripts/scale-out.sh up N [cache|no-cache]   N instances on ports 3101.. and nginx on
#                                                127.0.0.1:8080; replaces what runs; prints the URL
#   scripts/scale-out.sh down                    stop everything it started
#   scripts/scale-out.sh kill I [SIGNAL]         signal instance I (default KILL)
#   scripts/scale-out.sh restart I [drain]       stop instance I (SIGTERM: it finishes what is in
#                                                flight) and start it again, ready; with `drain`,
#                                                nginx stops sending it requests first and gets it
#                                                back once it is ready
#   scripts/scale-out.sh rolling-restart         `restart I drain` for every instance in turn: no
#                                                request fails (checked by check-fleet)
#   scripts/scale-out.sh check                   the failover check (below); exits 1 if a GET failed
#   scripts/scale-out.sh check-fleet             the fleet check (below): writes under failures
#
# BIN names the service binary (default: a release build, made here).
# Instances serve STORE=pg (default: the catalog in DATABASE_URL or the
# project's cluster, REPLICA_URLS optional) or STORE=mem (a catalog of
# GENERATE products, default 2000); INSTANCE_FLAGS adds serve flags.
# Installs nginx (and wrk, for `check`) from Debian when missing. State, logs
# and the rendered nginx configuration live in .data/scale-out.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
state=$PWD/.data/scale-out
first_port=3101
listen=127.0.0.1:8080
# nginx's cache: in RAM (tmpfs) where there is one, as these virtual machines'
# disks are slow (docs/bench/scale); NGINX_CACHE_DIR overrides.
if [ -d /dev/shm ]; then cache_dir=${NGINX_CACHE_DIR:-/dev/shm/catalog-nginx-cache}; else cache_dir=${NGINX_CACHE_DIR:-$state/cache}; fi

# The service binary: BIN, else a release build (made or brought up to date here).
binary() {
  if [ -n "${BIN:-}" ]; then echo "$BIN"; return; fi
  cargo build --release -q -p catalog-http
  echo target/release/catalog-http
}

stop_pidfile() { # file
  [ -f "$1" ] || return 0
  local pid
  pid=$(cat "$1")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$1"
}

down() {
  stop_pidfile "$state/nginx.pid"
  for pidfile in "$state"/instance-*.pid; do stop_pidfile "$pidfile"; done
}

# What `up` started the instances with, for `restart`.
save_launch() { # binary
  declare -p STORE DATABASE_URL REPLICA_URLS INSTANCE_FLAGS GENERATE RUST_LOG 2>/dev/null | sed 's/^declare -[a-z-]* /export /' >"$state/launch.env" || true
  echo "BIN=$1" >>"$state/launch.env"
}

start_instance() { # binary number
  local bin=$1
  shift
  local port=$((first_port + $1 - 1))
  local args=(serve --store "${STORE:-pg}" --listen "127.0.0.1:$port" --rejects "$state/rejects.csv")
  if [ "${STORE:-pg}" = pg ]; then
    args+=(--database-url "${DATABASE_URL:-$(scripts/pg url)}")
    [ -n "${REPLICA_URLS:-}" ] && args+=(--replica-url "$REPLICA_URLS")
  else
    args+=(--generate "${GENERATE:-2000}")
  fi
  # shellcheck disable=SC2086 # INSTANCE_FLAGS is a list of flags
  RUST_LOG=${RUST_LOG:-warn} "$bin" "${args[@]}" ${INSTANCE_FLAGS:-} >"$state/instance-$1.log" 2>&1 &
  echo $! >"$state/instance-$1.pid"
  disown
}

render_nginx() { # instances cache [drained instance]
  local upstreams="" n state_flag
  for n in $(seq 1 "$1"); do
    state_flag=""
    [ "$n" = "${3:-}" ] && state_flag=" down"
    upstreams+="server 127.0.0.1:$((first_port + n - 1)) max_fails=2 fail_timeout=5s$state_flag; "
  done
  echo "$1 $2" >"$state/nginx.layout"
  mkdir -p "$cache_dir" "$state/logs"
  CATALOG_LISTEN=$listen CATALOG_UPSTREAMS=$upstreams CATALOG_CACHE_DIR=$cache_dir \
    CATALOG_PROXY_CACHE=$([ "$2" = cache ] && echo catalog || echo off) CATALOG_INTERNAL=127.0.0.1 \
    envsubst '${CATALOG_LISTEN} ${CATALOG_UPSTREAMS} ${CATALOG_CACHE_DIR} ${CATALOG_PROXY_CACHE} ${CATALOG_INTERNAL}' \
    <deploy/nginx/catalog.conf.template >"$state/catalog.conf"
  cat >"$state/nginx.conf" <<CONF
worker_processes auto;
pid $state/nginx.pid;
error_log $state/logs/error.log warn;
events { worker_connections 4096; }
http {
  default_type application/json;
  client_body_temp_path $state/tmp;
  proxy_temp_path $state/tmp;
  include $state/catalog.conf;
}
CONF
  mkdir -p "$state/tmp"
  # nginx's workers (user nobody or www-data when started as root) write the cache.
  [ "$(id -u)" = 0 ] && chmod -R a+rwX "$cache_dir" "$state/tmp"
  nginx -t -q -p "$state" -c "$state/nginx.conf"
}

up() { # instances cache
  local instances=$1 cache=${2:-no-cache} n
  [[ $instances =~ ^[1-9][0-9]?$ ]] || { echo "scale-out: instances must be 1 to 99, got '$instances'" >&2; exit 2; }
  [[ $cache =~ ^(cache|no-cache)$ ]] || { echo "scale-out: cache or no-cache, got '$cache'" >&2; exit 2; }
  install_tools nginx:nginx envsubst:gettext-base
  local bin
  bin=$(binary)
  down
  mkdir -p "$state"
  rm -rf "$cache_dir"
  [ "${STORE:-pg}" = pg ] && [ -z "${DATABASE_URL:-}" ] && scripts/pg up >/dev/null
  for n in $(seq 1 "$instances"); do start_instance "$bin" "$n"; done
  for n in $(seq 1 "$instances"); do
    wait_for "http://127.0.0.1:$((first_port + n - 1))/readyz"
  done
  save_launch "$bin"
  render_nginx "$instances" "$cache"
  rm -f "$state/logs/error.log"
  nginx -p "$state" -c "$state/nginx.conf"
  wait_for "http://$listen/healthz"
  echo "http://$listen"
}

# nginx re-reads its configuration: new workers take new requests, old ones
# finish theirs (and close their connections to the instances), then exit.
reload_nginx() {
  local master old
  master=$(cat "$state/nginx.pid")
  old=$(pgrep -P "$master" | sort)
  nginx -p "$state" -c "$state/nginx.conf" -s reload
  for _ in $(seq 1 100); do
    [ -z "$(comm -12 <(echo "$old") <(pgrep -P "$master" | sort))" ] && return 0
    sleep 0.1
  done
  echo "scale-out: nginx's old workers still run after 10 s" >&2
}

restart() { # number [drain]
  local number=$1 drain=${2:-} layout
  [ -f "$state/launch.env" ] || { echo "scale-out: nothing runs (scripts/scale-out.sh up N first)" >&2; exit 2; }
  # shellcheck disable=SC1091 # written by save_launch
  source "$state/launch.env"
  read -r -a layout <"$state/nginx.layout"
  if [ "$drain" = drain ]; then
    render_nginx "${layout[0]}" "${layout[1]}" "$number"
    reload_nginx
  fi
  stop_pidfile "$state/instance-$number.pid"
  start_instance "$BIN" "$number"
  wait_for "http://127.0.0.1:$((first_port + number - 1))/readyz"
  if [ "$drain" = drain ]; then
    render_nginx "${layout[0]}" "${layout[1]}"
    reload_nginx
  fi
}

rolling_restart() {
  local layout n
  read -r -a layout <"$state/nginx.layout"
  for n in $(seq 1 "${layout[0]}"); do restart "$n" drain; done
}

signal() { # number signal
  local pidfile=$state/instance-$1.pid
  [ -f "$pidfile" ] || { echo "scale-out: no instance $1" >&2; exit 2; }
  kill -s "${2:-KILL}" "$(cat "$pidfile")"
}

# The failover check: three instances behind nginx without its cache, wrk on
# the mixed profile through nginx; after 2 s one instance is killed (SIGKILL,
# a crash), after 4 s another is stopped (SIGTERM, a deploy). Every GET must
# succeed: nginx retries what the dead instances dropped on the live one.
# Then, with the cache on and max-age 1 s: one cached entry per coding and
# per allowed origin, /metrics closed to the outside, and answers served
# (stale) while every instance is down.
check() {
  install_tools wrk:wrk
  export STORE=${STORE:-mem}
  trap down EXIT
  local url json requests failures
  url=$(up 3 no-cache)
  ( sleep 2; signal 1 KILL; sleep 2; signal 2 TERM ) &
  json=$(ROUTE=mixed MAX_ID=${GENERATE:-2000} HOT=0 wrk -t2 -c16 -d7s -s scripts/load/profile.lua "$url" | tail -1)
  wait
  requests=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["requests"])' "$json")
  failures=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["non_2xx"] + r["socket_errors"])' "$json")
  local down=0 retried
  for n in 1 2; do kill -0 "$(cat "$state/instance-$n.pid")" 2>/dev/null || down=$((down + 1)); done
  retried=$(grep '\[error\]' "$state/logs/error.log" | grep -c 'while reading response header from upstream\|while connecting to upstream' || true)
  echo "failover: $requests GETs through nginx while $down of 3 instances went down: $failures failed;" \
    "nginx logged $retried failed upstream attempts, each retried on another instance"
  echo "$json"
  [ "$down" = 2 ] && [ "$failures" = 0 ] && [ "$requests" -gt 1000 ] || exit 1

  INSTANCE_FLAGS="--max-age-secs 1 --stale-while-revalidate-secs 0 --cors-origin https://a.example,https://b.example" \
    up 2 cache >/dev/null
  local path=/products/5/styles status first second stale
  first=$(curl -s -o /dev/null -w '%header{x-cache-status}' "http://$listen$path")
  second=$(curl -s -o /dev/null -w '%header{x-cache-status}' "http://$listen$path")
  # One cached entry per coding, whatever the browser's exact Accept-Encoding;
  # a client that asks for none never gets a compressed copy.
  local page=/products?count=50 coded=() ae
  for ae in 'gzip, deflate, br' 'br;q=1.0, gzip;q=0.8' '' 'gzip, br;q=0'; do
    coded+=("$(curl -s -o /dev/null -H "Accept-Encoding: $ae" -w '%header{x-cache-status}/%header{content-encoding}' "http://$listen$page")")
  done
  echo "cache by coding: ${coded[*]}"
  [ "${coded[*]}" = "MISS/br HIT/br MISS/ MISS/gzip" ] || exit 1
  # With a list of allowed origins the service echoes the caller's: one
  # cached entry per origin, never one origin's answer to another.
  local by_origin=() origin
  for origin in https://a.example https://b.example https://a.example; do
    by_origin+=("$(curl -s -o /dev/null -H "Origin: $origin" -w '%header{x-cache-status}/%header{access-control-allow-origin}' "http://$listen/products/7")")
  done
  echo "cache by origin: ${by_origin[*]}"
  [ "${by_origin[*]}" = "MISS/https://a.example MISS/https://b.example HIT/https://a.example" ] || exit 1
  # /metrics, with or without a trailing slash, only for the internal network
  # (127.0.0.1 here; 127.0.0.2 stands for the outside).
  local metrics=() from metrics_path
  for from in 127.0.0.1 127.0.0.2; do
    for metrics_path in /metrics /metrics/; do
      metrics+=("$(curl -s -o /dev/null --interface "$from" -w '%{http_code}' "http://$listen$metrics_path")")
    done
  done
  echo "/metrics and /metrics/ from 127.0.0.1, then from 127.0.0.2: ${metrics[*]}"
  [ "${metrics[*]}" = "200 200 403 403" ] || exit 1
  signal 1 KILL
  signal 2 KILL
  # Fresh for max-age (1 s, counted by nginx in whole seconds: up to 2 s),
  # then stale: served all the same, as the instances are gone.
  for _ in $(seq 1 50); do
    status=$(curl -s -o /dev/null -w '%{http_code}' "http://$listen$path")
    stale=$(curl -s -o /dev/null -w '%header{x-cache-status}' "http://$listen$path")
    [ "$status" = 200 ] && [ "$stale" = HIT ] || break
    sleep 0.1
  done
  echo "cache: first $first, then $second; every instance down after max-age: $status $stale"
  [ "$first" = MISS ] && [ "$second" = HIT ] && [ "$status" = 200 ] && [ "$stale" = STALE ] || exit 1
}

# The fleet check: three instances with their response caches behind nginx
# with its cache, on a private PostgreSQL cluster with a streaming replica
# they read from (CATALOG_PG_DIR .data/pg-fleet, ports 54369 and 54370), a
# generated catalog of FLEET_PRODUCTS (2000); scripts/load/fleet_check.py
# writes and reads while instance 1 is killed, instance 2 restarted, then
# every instance restarted in turn, and checks that nothing was lost or
# doubled and that every instance and nginx show the database's quantities.
check_fleet() {
  export CATALOG_PG_DIR=${FLEET_PG_DIR:-$PWD/.data/pg-fleet} CATALOG_PG_PORT=${FLEET_PG_PORT:-54369}
  export STORE=pg
  local bin products=${FLEET_PRODUCTS:-2000} primary replica data token
  bin=$(binary)
  trap 'down; scripts/pg down >/dev/null' EXIT
  replica=$(scripts/pg replica up)
  primary=$(scripts/pg up)
  data=$state/source-$products
  [ -f "$data/product.csv" ] || "$bin" generate --products "$products" --seed 5 --out "$data" >/dev/null
  "$bin" import --data "$data" --database-url "$primary" --rejects "$state/fleet-rejects.csv" >/dev/null
  psql "$primary" -qAtc "SELECT 1" >/dev/null
  # The replica has replayed the import before anything reads it.
  local lsn
  lsn=$(psql "$primary" -tAc "SELECT pg_current_wal_lsn()")
  for _ in $(seq 1 300); do
    [ "$(psql "$replica" -tAc "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && break
    sleep 0.1
  done
  mkdir -p "$state"
  rm -f "$state/tokens"
  token=$("$bin" token create --name fleet --scope inventory:write --tokens-file "$state/tokens" 2>/dev/null)
  DATABASE_URL=$primary REPLICA_URLS=$replica BIN=$bin \
    INSTANCE_FLAGS="--tokens-file $state/tokens ${INSTANCE_FLAGS:-}" up 3 cache >/dev/null
  python3 scripts/load/fleet_check.py "http://$listen" \
    "http://127.0.0.1:3101,http://127.0.0.1:3102,http://127.0.0.1:3103" "$token" "$primary" "$0" "$products"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  kill) shift; signal "$@" ;;
  restart) shift; restart "$@" ;;
  rolling-restart) rolling_restart ;;
  check) check ;;
  check-fleet) check_fleet ;;
  *) echo "usage: scripts/scale-out.sh up N [cache|no-cache] | down | kill I [SIGNAL] | restart I [drain] | rolling-restart | check | check-fleet" >&2; exit 2 ;;
esac
