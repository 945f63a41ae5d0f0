#!/usr/bin/env bash
# Measures the memory store at scale: generate N products (if missing), then,
# for each build in alternating rounds (so a noisy machine slows each alike),
# time `catalog-http check` (parse + validate only) and `catalog-http serve`
# until it listens, with the CPU time each used (CPU / wall = cores kept
# busy) and the server's resident memory once it listens.
#
#   scripts/measure-mem-load.sh [PRODUCTS]        this worktree's release build, one round
#   BUILDS="old=/path/catalog-http new=target/release/catalog-http" ROUNDS=3 scripts/measure-mem-load.sh
#
# PRODUCTS defaults to 1000000; OUT (docs/bench/mem-load/results.txt) gets
# every line printed.
set -euo pipefail
cd "$(dirname "$0")/.."
products=${1:-${PRODUCTS:-1000000}}
rounds=${ROUNDS:-1}
out=${OUT:-docs/bench/mem-load/results.txt}
data=.data/gen-$products
port=${PORT:-3999}
cargo build --release -q -p catalog-http
builds=${BUILDS:-"this=target/release/catalog-http"}
ticks=$(getconf CLK_TCK)
mkdir -p "$(dirname "$out")"

# Seconds of CPU (user + system) process $1 has used so far.
cpu_seconds() {
  awk -v ticks="$ticks" '{printf "%.1f", ($14 + $15) / ticks}' "/proc/$1/stat"
}

{
  echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD); $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $products products ($data)"
  if [ ! -f "$data/related.csv" ]; then
    start=$(date +%s.%N)
    target/release/catalog-http generate --products "$products" --seed 1 --dirty 0.001 --out "$data" | tail -1
    echo "generate: $(echo "$(date +%s.%N) - $start" | bc) s"
  fi
  echo "source: $(du -sh "$data" | cut -f1), $(cat "$data"/*.csv | wc -l) lines"
  for round in $(seq "$rounds"); do
    for build in $builds; do
      name=${build%%=*} bin=${build#*=}
      check=$( { /usr/bin/time -f "%e %U %S" "$bin" check --data "$data" --rejects /tmp/catalog-check-rejects.csv >/dev/null; } 2>&1 | tail -1)
      read -r wall user sys <<<"$check"
      echo "round $round $name: check (parse + validate, no store) $wall s wall, $(echo "$user + $sys" | bc) s CPU"
      log=$(mktemp)
      start=$(date +%s.%N)
      "$bin" serve --data "$data" --listen "127.0.0.1:$port" --rejects /tmp/catalog-serve-rejects.csv >"$log" 2>&1 &
      pid=$!
      until curl -sf "127.0.0.1:$port/healthz" >/dev/null; do
        kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
        sleep 0.05
      done
      listening=$(echo "$(date +%s.%N) - $start" | bc)
      cpu=$(cpu_seconds $pid)
      memory=$(grep -E 'VmRSS|VmHWM' /proc/$pid/status | awk '{printf "%s %.0f MiB ", $1, $2/1024}')
      answer=$(curl -s "127.0.0.1:$port/products/$((products / 2))/styles" | head -c 80)
      echo "round $round $name: serve --data until listening $listening s wall, $cpu s CPU; $memory; styles $answer…"
      kill -TERM $pid
      wait $pid || true
      rm -f "$log"
    done
  done
} | tee -a "$out"
