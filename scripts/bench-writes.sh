#!/usr/bin/env bash
# The write harness: adjustments beside the reads of the same instance, in
# one run, so each figure is also a ratio to its reference.
#
# Memory store: POST /skus/:id/adjustments at random SKUs against GET
# /skus/:id at random SKUs (target: adjustments >= 0.5x the reads), then
# every client selling one hot SKU (the rate and p99; afterwards its drop in
# quantity must equal the number of its sku.adjusted entries in the change
# log, each taking exactly one unit from a different quantity: no lost
# update). Rounds alternate adjust and read.
#
# PostgreSQL (STORE=pg): the same adjustments against pgbench's built-in
# tpcb-like transaction on the same cluster with synchronous_commit on
# (target: adjustments >= 0.5x its tps), rounds alternating; then the hot
# SKU. The 1M catalog is imported first if the cluster does not hold it.
#
# With STORE=pg, reads while writing follow: the mixed read profile
# (scripts/load/profile.lua) alone, then with adjustments paced to about
# WRITE_RATE/s beside it (40 connections, wrk's delay()), rounds alternating;
# the same pace alone first gives the adjustments' latency below saturation,
# beside pgbench's own at that rate (pgbench -R, its per-transaction log)
# (target: the reads keep >= 90% of their rate).
#
# Usage: scripts/bench-writes.sh   (environment overrides below)
#   STORE=mem|pg
#   PRODUCTS=1000000 (generated with seed 1, 0.1% dirty, if missing)
#   DURATION=10s CONNECTIONS=64 THREADS=2 ROUNDS=3
#   POOL_SIZE=16 WRITE_POOL_SIZE=16 (PostgreSQL: the read and write pools)
#   WRITE_RATE=500 (PostgreSQL: the paced adjustments beside the reads)
# Installs wrk (Debian) when missing. Appends to docs/bench/writes/results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
store=${STORE:-mem}
products=${PRODUCTS:-1000000}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
rounds=${ROUNDS:-3}
port=3471
data=.data/gen-$products
out_dir=docs/bench/writes
mkdir -p "$out_dir"

install_tools wrk:wrk
cargo build --release -q -p catalog-http
bin=target/release/catalog-http
ensure_source "$bin" "$data" "$products"
max_sku=$(( $(wc -l <"$data/skus.csv") - 1 ))
tokens=$(mktemp -d)
token=$("$bin" token create --name bench --scope inventory:write --tokens-file "$tokens/tokens" 2>/dev/null)
url=http://127.0.0.1:$port

pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tokens"; }
trap cleanup EXIT
if [ "$store" = pg ]; then
  db_url=$(ensure_pg_catalog "$bin" "$data" "$products")
  bench_url=$(ensure_pgbench_db "$db_url")
  source_args=(--store pg --database-url "$db_url" --pool-size "${POOL_SIZE:-16}" --write-pool-size "${WRITE_POOL_SIZE:-16}")
else
  source_args=(--store mem --data "$data")
fi
RUST_LOG=warn "$bin" serve "${source_args[@]}" --listen "127.0.0.1:$port" \
  --tokens-file "$tokens/tokens" --rejects /tmp/bench-writes-rejects.csv >/tmp/bench-writes-service.log 2>&1 &
pid=$!
wait_for "http://127.0.0.1:$port/healthz"

stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# The machine's busy CPU time so far (user, nice, system, irq, softirq), in
# 1/100 s: the difference around a run, divided by its requests, is what one
# request cost every process together (service, PostgreSQL, load tool).
busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
# `"cpu_us_per_request":N,` for TICKS of busy CPU over REQUESTS.
cpu_field() { # ticks requests
  echo "\"cpu_us_per_request\":$(( $1 * 10000 / ($2 > 0 ? $2 : 1) )),"
}
requests_of() { sed -n 's/.*"requests":\([0-9]*\).*/\1/p' <<<"$1"; }
row() { # run route
  local json ticks
  ticks=$(busy_ticks)
  json=$(ROUTE=$2 MAX_SKU=$max_sku TOKEN=$token wrk -t"$threads" -c"$connections" -d"$duration" \
    -s scripts/load/writes.lua "http://127.0.0.1:$port" | tail -1)
  ticks=$(( $(busy_ticks) - ticks ))
  echo "{\"kind\":\"writes\",\"at\":\"$stamp\",\"store\":\"$store\",\"products\":$products,\"connections\":$connections,\"run\":\"$1\",\"route\":\"$2\",$(cpu_field "$ticks" "$(requests_of "$json")")${json#\{}" |
    tee -a "$out_dir/results.jsonl"
}
pgbench_row() { # run: pgbench's tpcb-like transaction, synchronous_commit on, same clients
  local out tps lat ticks done_tx
  ticks=$(busy_ticks)
  out=$(PGOPTIONS='-c synchronous_commit=on' pgbench -n -c "$connections" -j "$threads" -T "${duration%s}" "$bench_url" 2>&1)
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out" | head -1)
  lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$out")
  ticks=$(( $(busy_ticks) - ticks ))
  done_tx=$(sed -n 's/.*actually processed: \([0-9]*\).*/\1/p' <<<"$out")
  echo "{\"kind\":\"writes\",\"at\":\"$stamp\",\"store\":\"pg\",\"products\":$products,\"connections\":$connections,\"run\":\"$1\",\"route\":\"pgbench\",$(cpu_field "$ticks" "$done_tx")\"rps\":$tps,\"latency_avg_ms\":$lat}" |
    tee -a "$out_dir/results.jsonl"
}
for round in $(seq "$rounds"); do
  row "round $round" adjust
  if [ "$store" = pg ]; then pgbench_row "round $round"; else row "round $round" sku; fi
done
if [ "$store" = pg ]; then
  max_id=$(( $(wc -l <"$data/product.csv") - 1 ))
  write_rate=${WRITE_RATE:-500}
  # 40 connections, each waiting 40000/rate ms less 15 (about a write's
  # latency beside the reads) after each answer: wrk's delay() paces
  # closed-loop, so the achieved rate (reported) is near the target, not at it.
  paced_connections=40
  delay_ms=$(( paced_connections * 1000 / write_rate - 15 ))
  # The latency (and CPU) of adjustments at that pace with nothing beside them.
  ticks=$(busy_ticks)
  ROUTE=adjust MAX_SKU=$max_sku TOKEN=$token DELAY_MS=$delay_ms wrk -t1 -c"$paced_connections" -d"$duration" \
    -s scripts/load/writes.lua "$url" >/tmp/bench-paced.txt
  ticks=$(( $(busy_ticks) - ticks ))
  paced_json=$(tail -1 /tmp/bench-paced.txt)
  echo "{\"kind\":\"writes\",\"at\":\"$stamp\",\"store\":\"pg\",\"run\":\"paced writes alone\",\"route\":\"paced\",\"target_rate\":$write_rate,$(cpu_field "$ticks" "$(requests_of "$paced_json")")${paced_json#\{}" |
    tee -a "$out_dir/results.jsonl"
  # pgbench's tpcb-like transaction at the same rate and client count: the
  # database's own latency at that pace (from its per-transaction log).
  pgbench_log=$(mktemp -d)
  PGOPTIONS='-c synchronous_commit=on' pgbench -n -c "$paced_connections" -j 1 -R "$write_rate" -T "${duration%s}" \
    -l --log-prefix="$pgbench_log/tx" "$bench_url" >/dev/null 2>&1
  cat "$pgbench_log"/tx* | awk '{print $3}' | sort -n | awk -v stamp="$stamp" -v rate="$write_rate" '
    {latency[NR] = $1}
    END {
      printf "{\"kind\":\"writes\",\"at\":\"%s\",\"store\":\"pg\",\"run\":\"pgbench paced\",\"route\":\"pgbench paced\",\"target_rate\":%d,\"requests\":%d,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}\n",
        stamp, rate, NR, latency[int(NR * 0.5)] / 1000, latency[int(NR * 0.99)] / 1000, latency[NR] / 1000
    }' | tee -a "$out_dir/results.jsonl"
  rm -rf "$pgbench_log"
  mixed_row() { # run (the CPU per request counts the paced writes too, if any)
    local json ticks
    ticks=$(busy_ticks)
    json=$(ROUTE=mixed MAX_ID=$max_id HOT=0 wrk -t"$threads" -c"$connections" -d"$duration" \
      -s scripts/load/profile.lua "$url" | tail -1)
    ticks=$(( $(busy_ticks) - ticks ))
    echo "{\"kind\":\"writes\",\"at\":\"$stamp\",\"store\":\"pg\",\"products\":$products,\"connections\":$connections,\"run\":\"$1\",\"route\":\"mixed\",$(cpu_field "$ticks" "$(requests_of "$json")")${json#\{}" |
      tee -a "$out_dir/results.jsonl"
  }
  for round in $(seq "$rounds"); do
    mixed_row "reads alone $round"
    ROUTE=adjust MAX_SKU=$max_sku TOKEN=$token DELAY_MS=$delay_ms wrk -t1 -c"$paced_connections" -d"$duration" \
      -s scripts/load/writes.lua "$url" >/tmp/bench-paced.txt &
    paced=$!
    mixed_row "reads with writes $round"
    wait "$paced"
    echo "{\"kind\":\"writes\",\"at\":\"$stamp\",\"store\":\"pg\",\"run\":\"paced writes $round\",\"route\":\"paced\",\"target_rate\":$write_rate,$(tail -1 /tmp/bench-paced.txt | sed 's/^{//')" |
      tee -a "$out_dir/results.jsonl"
  done
fi
# The hot run: SKU 1 stocked high, every connection selling it.
tag=$(curl -sfI "$url/skus/1" | sed -n 's/^etag: //Ip' | tr -d '\r')
curl -sf -X PATCH "$url/skus/1" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -H "if-match: $tag" -d '{"quantity":100000000}' >/dev/null
seq_before=$(python3 scripts/load/changes.py last "$url" "$token")
row hot hot
python3 scripts/load/changes.py check-hot "$url" "$token" "$seq_before" 1 100000000
python3 - "$out_dir/results.jsonl" "$stamp" "$store" <<'PY'
import json, statistics, sys
path, stamp, store = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [json.loads(line) for line in open(path) if line.strip()]
rows = [r for r in rows if r.get("at") == stamp]
reference = "pgbench" if store == "pg" else "sku"
med = lambda route, key: statistics.median(r[key] for r in rows if r["route"] == route)
ratio = statistics.median(
    a["rps"] / s["rps"] for a, s in zip([r for r in rows if r["route"] == "adjust"], [r for r in rows if r["route"] == reference]))
print(f"{store}: adjust {med('adjust','rps'):.0f}/s p99 {med('adjust','p99_ms'):.2f} ms; {reference} {med(reference,'rps'):.0f}/s; "
      f"median round ratio {ratio:.2f} (target >= 0.5); hot SKU {med('hot','rps'):.0f}/s p99 {med('hot','p99_ms'):.2f} ms")
cpu = lambda pick: statistics.median(r["cpu_us_per_request"] for r in rows if "cpu_us_per_request" in r and pick(r))
print(f"machine CPU per request: adjust {cpu(lambda r: r['route'] == 'adjust'):.0f} us, "
      f"{reference} {cpu(lambda r: r['route'] == reference):.0f} us")
if store == "pg":
    alone = [r for r in rows if r["run"].startswith("reads alone")]
    beside = [r for r in rows if r["run"].startswith("reads with writes")]
    paced = [r for r in rows if r["run"].startswith("paced writes") and r["run"] != "paced writes alone"]
    keep = statistics.median(b["rps"] / a["rps"] for a, b in zip(alone, beside))
    read_cpu = cpu(lambda r: r["run"].startswith("reads alone"))
    write_cpu = cpu(lambda r: r["run"] == "paced writes alone")
    print(f"reads while writing: kept {keep:.2f} of the read rate (target >= 0.9) beside "
          f"{statistics.median(r['rps'] for r in paced):.0f} adjustments/s; a read costs {read_cpu:.0f} us "
          f"of machine CPU, a paced adjustment {write_cpu:.0f} us")
PY
