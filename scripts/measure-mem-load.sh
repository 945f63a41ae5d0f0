#!/usr/bin/env bash
# Measures the memory store at scale: generate N products (if missing), then
# time `catalog-http check` (parse + validate only) and `catalog-http serve`
# until it listens, and read the server's resident memory.
# Usage: scripts/measure-mem-load.sh [PRODUCTS] (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
products=${1:-1000000}
data=.data/gen-$products
port=${PORT:-3999}
cargo build --release -q -p catalog-http
bin=target/release/catalog-http
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; catalog: $products products"
if [ ! -f "$data/related.csv" ]; then
  start=$(date +%s.%N)
  "$bin" generate --products "$products" --seed 1 --dirty 0.001 --out "$data" | tail -1
  echo "generate: $(echo "$(date +%s.%N) - $start" | bc) s"
fi
du -sh "$data" | awk '{print "source size: " $1}'
start=$(date +%s.%N)
"$bin" check --data "$data" --rejects /tmp/catalog-check-rejects.csv 2>&1 | tail -9
echo "check (parse + validate, no store): $(echo "$(date +%s.%N) - $start" | bc) s"
log=$(mktemp)
start=$(date +%s.%N)
"$bin" serve --data "$data" --listen "127.0.0.1:$port" --rejects /tmp/catalog-serve-rejects.csv >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf "127.0.0.1:$port/healthz" >/dev/null; do
  kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.2
done
echo "serve --data until listening: $(echo "$(date +%s.%N) - $start" | bc) s"
grep -E 'VmRSS|VmHWM' /proc/$pid/status | awk '{printf "%s %.0f MiB\n", $1, $2/1024}'
curl -s "127.0.0.1:$port/products/$((products / 2))/styles" | head -c 200; echo
kill -TERM $pid; wait $pid || true
