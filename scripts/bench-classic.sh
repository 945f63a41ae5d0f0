#!/usr/bin/env bash
# Side by side with the classic stack: the Node/Express + node-postgres
# implementation in reference/classic-express (aggregate SQL per route, one
# worker per core) and catalog-http on the same PostgreSQL catalog, the same
# machine and the same load, in one run. Before measuring, a sample of
# answers from both must be byte-identical, so both do the same work.
#
# Usage: scripts/bench-classic.sh   (PRODUCTS=1000000 DURATION=10s ROUNDS=2)
# Both run with no response cache: every request reaches PostgreSQL. Writes
# docs/bench/classic/results.jsonl and README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
products=${PRODUCTS:-1000000}
duration=${DURATION:-10s}
rounds=${ROUNDS:-2}
data=.data/gen-$products
out=docs/bench/classic
classic_port=3501
ours_port=3502
mkdir -p "$out"

install_tools wrk:wrk node:nodejs npm:npm
(cd reference/classic-express && [ -d node_modules ] || npm ci --no-audit --no-fund --silent)
cargo build --release -q -p catalog-http
bin=target/release/catalog-http
ensure_source "$bin" "$data" "$products"
url=$(ensure_pg_catalog "$bin" "$data" "$products")
max_id=$(($(wc -l <"$data/product.csv") - 1))

DATABASE_URL=$url PORT=$classic_port node reference/classic-express/server.js >/tmp/classic.log 2>&1 &
classic=$!
RUST_LOG=warn "$bin" serve --store pg --database-url "$url" --cache-mb 0 --listen "127.0.0.1:$ours_port" \
  --rejects /tmp/bench-classic-rejects.csv >/tmp/bench-classic-ours.log 2>&1 &
ours=$!
trap 'kill $classic $ours 2>/dev/null || true' EXIT
wait_for "http://127.0.0.1:$classic_port/products/1"
wait_for "http://127.0.0.1:$ours_port/readyz"

# The same bytes for a sample of 200s: pages (first and deep), products,
# styles and related lists of ids drawn over the whole range.
compared=$(python3 - "$classic_port" "$ours_port" "$max_id" <<'PY'
import random, sys, urllib.error, urllib.request
classic, ours, max_id = sys.argv[1], sys.argv[2], int(sys.argv[3])
random.seed(7)
paths = ["/products", "/products?page=2&count=50", f"/products?page={max_id // 5 - 3}&count=5"]
for product in random.sample(range(1, max_id + 1), 150):
    paths += [f"/products/{product}", f"/products/{product}/styles", f"/products/{product}/related"]
def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, None
compared = 0
for path in paths:
    a, b = get(classic, path), get(ours, path)
    if a[0] != b[0] or (a[0] == 200 and a[1] != b[1]):
        sys.exit(f"answers differ for {path}: classic {a[0]} {a[1]!r:.200}, catalog-http {b[0]} {b[1]!r:.200}")
    compared += a[0] == 200
print(f"{compared} answers byte-identical, {len(paths) - compared} 404s alike", file=sys.stderr)
print(compared)
PY
)

# Waits until PostgreSQL runs no query of the catalog's any more, so what a
# run left queued (the classic stack's deep pages outlive wrk) does not
# spill into the next.
drain() {
  for _ in $(seq 1 150); do
    [ "$(psql "$url" -tAc "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()")" = 0 ] && return
    sleep 0.2
  done
}

: >"$out/results.jsonl"
for route in styles product related first list mixed; do
  for round in $(seq 1 "$rounds"); do
    for server in classic ours; do
      port=$([ $server = classic ] && echo $classic_port || echo $ours_port)
      drain
      json=$(wrk_row "$server" "http://127.0.0.1:$port" "$route" 0 "$max_id" 2 64 "$duration")
      echo "${json%\}},\"round\":$round}" | tee -a "$out/results.jsonl"
    done
  done
done

python3 - "$out/results.jsonl" "$products" "$duration" "$rounds" "$compared" >"$out/README.md" <<'PY'
import json, os, statistics, subprocess, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
products, duration, rounds, compared = int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
names = {"styles": "styles", "product": "product", "related": "related",
         "first": "first page of the list", "list": "random deep page of the list",
         "mixed": "mixed (10% list, 30% product, 45% styles, 15% related)"}
def median(route, run, key):
    return statistics.median(r[key] for r in rows if r["route"] == route and r["run"] == run)
cpus = os.cpu_count()
memory = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
print("# catalog-http beside the classic stack\n")
print(f"Machine: {cpus} cores, {memory} GiB, shared by PostgreSQL, the service measured and wrk. "
      f"Catalog: {products:,} generated products in PostgreSQL (seed 1, 0.1% dirty lines), prewarmed into shared_buffers. "
      f"Load: wrk, 2 threads, 64 connections, {duration} per run, ids at random over the whole range, "
      f"the two services alternating, {rounds} rounds; medians. Command: `scripts/bench-classic.sh`.\n")
print(f"The classic stack is `reference/classic-express`: Express 5 and node-postgres on Node {node}, "
      "one aggregate SQL statement per route building the JSON in PostgreSQL (as the original write-up did), "
      "named prepared statements, a pool of 10 per worker, one worker per core, OFFSET paging. "
      "catalog-http serves the same catalog with `--store pg --cache-mb 0`. Neither caches answers: every request "
      f"reaches PostgreSQL. Before measuring, {compared} answers of both (pages, products, styles, related lists) "
      "were compared: byte for byte the same. Each run starts once PostgreSQL has finished what the one before "
      "left queued.\n")
print("| route | classic requests/s | catalog-http requests/s | ratio | classic p99 ms | catalog-http p99 ms | classic timeouts | catalog-http timeouts |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for route in ["styles", "product", "related", "first", "list", "mixed"]:
    classic, ours = median(route, "classic", "rps"), median(route, "ours", "rps")
    print(f"| {names[route]} | {classic:,.0f} | {ours:,.0f} | {ours / classic:.1f}× | "
          f"{median(route, 'classic', 'p99_ms'):.1f} | {median(route, 'ours', 'p99_ms'):.1f} | "
          f"{median(route, 'classic', 'socket_errors'):.0f} | {median(route, 'ours', 'socket_errors'):.0f} |")
print("\nTimeouts are requests that got no answer within wrk's 2 s (its latencies leave them out, so a p99 near "
      "2,000 ms means more were slower still). The classic stack pages with OFFSET, so a deep page scans up to a "
      "million rows; in the mixed profile those 10% hold its pool's connections and everything else queues behind "
      "them. Every run, as wrk's JSON line: [results.jsonl](results.jsonl).")
PY
echo "wrote $out/README.md" >&2
