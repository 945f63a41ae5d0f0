#!/usr/bin/env bash
# A/B of two builds of catalog-http on one route, alternating A and B runs so
# drift on the shared machine hits both alike; prints each run and the medians.
# Usage: scripts/load/ab.sh BIN_A BIN_B [ROUTE] [STORE] [ROUNDS]
#   STORE mem loads .data/gen-$PRODUCTS; STORE pg serves what is imported.
#   ARGS_A / ARGS_B: extra serve flags for A / B (to compare settings of one build).
#   CACHE_MB: the response cache of both (default 0, off); HOT: ids from a hot
#   set of that many (default 0, the whole range); ACCEPT_ENCODING: sent by
#   wrk on every request (default none).
set -euo pipefail
cd "$(dirname "$0")/../.."
a=$1 b=$2 route=${3:-styles} store=${4:-mem} rounds=${5:-3}
products=${PRODUCTS:-1000000}
data=.data/gen-$products
max_id=$(( $(wc -l <"$data/product.csv") - 1 ))
declare -A rps=([A]="" [B]="")
serve() { # bin port extra-args
  local args=(serve --store "$store" --cache-mb "${CACHE_MB:-0}" --listen "127.0.0.1:$2" --rejects /tmp/ab-rejects.csv $3)
  [ "$store" = mem ] && args+=(--data "$data")
  RUST_LOG=warn "$1" "${args[@]}" >/dev/null 2>&1 &
  echo $!
}
pa=$(serve "$a" 3401 "${ARGS_A:-}"); pb=$(serve "$b" 3402 "${ARGS_B:-}")
trap 'kill $pa $pb 2>/dev/null || true' EXIT
for port in 3401 3402; do until curl -sf "127.0.0.1:$port/healthz" >/dev/null; do sleep 0.3; done; done
for round in $(seq 1 "$rounds"); do
  for pair in "A:3401" "B:3402"; do
    bin=${pair%:*} port=${pair##*:}
    line=$(ROUTE=$route MAX_ID=$max_id HOT=${HOT:-0} wrk -t2 -c64 -d"${DURATION:-10s}" \
      ${ACCEPT_ENCODING:+-H "Accept-Encoding: $ACCEPT_ENCODING"} -s scripts/load/profile.lua "http://127.0.0.1:$port" | tail -1)
    r=$(python3 -c "import json,sys; print(round(json.loads(sys.argv[1])['rps']))" "$line")
    rps[$bin]="${rps[$bin]} $r"
    echo "round $round $bin: $line"
  done
done
for bin in A B; do
  echo "median $bin: $(printf '%s\n' ${rps[$bin]} | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}') requests/s ($route, $store)"
done
