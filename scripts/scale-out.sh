#!/usr/bin/env bash
# Several catalog instances behind nginx on loopback, configured from
# deploy/nginx/catalog.conf.template (load balancing, retries, passive health
# checks, the response cache).
#
#   scripts/scale-out.sh up N [cache|no-cache]   N instances on ports 3101.. and nginx on
#                                                127.0.0.1:8080; replaces what runs; prints the URL
#   scripts/scale-out.sh down                    stop everything it started
#   scripts/scale-out.sh kill I [SIGNAL]         signal instance I (default KILL)
#   scripts/scale-out.sh check                   the failover check (below); exits 1 if a GET failed
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

render_nginx() { # instances cache
  local upstreams="" n
  for n in $(seq 1 "$1"); do
    upstreams+="server 127.0.0.1:$((first_port + n - 1)) max_fails=2 fail_timeout=5s; "
  done
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
  render_nginx "$instances" "$cache"
  rm -f "$state/logs/error.log"
  nginx -p "$state" -c "$state/nginx.conf"
  wait_for "http://$listen/healthz"
  echo "http://$listen"
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

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  kill) shift; signal "$@" ;;
  check) check ;;
  *) echo "usage: scripts/scale-out.sh up N [cache|no-cache] | down | kill I [SIGNAL] | check" >&2; exit 2 ;;
esac
