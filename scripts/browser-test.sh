#!/usr/bin/env bash
# The browser test of the API reference: starts the service (memory store, a
# small generated catalog) on a free port and runs scripts/browser/docs.test.mjs
# in headless Chromium (Debian's package) through puppeteer-core (pinned in
# scripts/browser/package-lock.json): every operation of /openapi.json is
# rendered on /docs, a "Try it out" of the styles route answers 200, no
# script error and no request to another origin. UPDATE_SCREENSHOT=1 also
# writes docs/api-reference.png and docs/api-reference-try-it.png. Installs Chromium, Node and the pinned
# packages when missing.
#
# BIN names the service binary (default: a debug build, made here).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
install_tools chromium:chromium node:nodejs npm:npm
if [ -z "${BIN:-}" ]; then
  cargo build -q -p catalog-http
  BIN=target/debug/catalog-http
fi
[ -d scripts/browser/node_modules/puppeteer-core ] ||
  (cd scripts/browser && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
RUST_LOG=warn "$BIN" serve --generate 200 --listen "127.0.0.1:$port" >"$log" 2>&1 &
service=$!
trap 'kill "$service" 2>/dev/null || true; wait "$service" 2>/dev/null || true; rm -f "$log"' EXIT
wait_for "http://127.0.0.1:$port/readyz" || { cat "$log" >&2; exit 1; }

screenshot=()
[ "${UPDATE_SCREENSHOT:-0}" = 1 ] && screenshot=("$PWD/docs/api-reference.png")
node scripts/browser/docs.test.mjs "http://127.0.0.1:$port" "${screenshot[@]}"
echo "browser test of /docs: passed"
