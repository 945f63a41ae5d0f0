# Hostile traffic: slow request heads, and overload past the saturating rate.

fds_at_least() { [ "$(fds_of "$1")" -ge "$2" ]; }

# slow-headers: N connections that never finish their request head (80% half
# a head, 10% one byte every 3 s, 10% nothing) held for HOLD s, beside normal
# traffic (wrk, 16 connections, mixed, memory store), measured before and
# while they are open. Targets: the server closes ≥ 99% of them within the
# hold (a header read timeout), normal p99 at most max(2× the p99 without
# them, +5 ms), no normal request lost, and the service's descriptors back
# within 5% of N of where they started in the hold's last 3 s.
fault_slow_headers() {
  local n hold load_s port=3471
  if short; then n=500 hold=15 load_s=4; else n=5000 hold=25 load_s=10; fi
  n=${SLOW_CONNECTIONS:-$n}
  start_service slow mem $port
  local pid=$SVC_PID fds_base t0 t_open
  wrk_bg slow-base 16 "$load_s"
  wait "$WRK_PID"
  fds_base=$(fds_of "$pid")
  sample slow "$pid"
  t0=$(now)
  python3 "$TOOLS" slow 127.0.0.1 $port "$n" "$hold" "$FAULTS_DIR/slow.json" &
  local attacker=$!
  started "$attacker"
  until_true 60 fds_at_least "$pid" $((fds_base + n * 9 / 10)) || true
  t_open=$(now)
  wrk_bg slow-load 16 "$load_s"
  wait "$WRK_PID"
  wait "$attacker" || true
  local late
  # The fewest descriptors sampled in the hold's last 3 s (the server closes
  # the slow connections at its header timeout, about 10 s in); the sample
  # nearest to 1 s before the end if none was taken then (a busy machine
  # delays the sampler, and its nearest sample may predate the closes).
  late=$(python3 -c 'import sys; end=float(sys.argv[1])+float(sys.argv[2])
rows=[l.split() for l in open(sys.argv[3]) if len(l.split())==3]
last=[int(r[2]) for r in rows if end-3 <= float(r[0]) <= end]
print(min(last) if last else min(rows, key=lambda r: abs(float(r[0])-(end-1)))[2])' "$t0" "$hold" "$FAULTS_DIR/slow.samples")
  RESULT=$(verdict n="$n" hold_s="$hold" fds_base="$fds_base" fds_late="$late" \
    open_s="$(python3 -c "print(round($t_open - $t0, 2))")" \
    slow="$(cat "$FAULTS_DIR/slow.json")" base="$(wrk_line slow-base)" load="$(wrk_line slow-load)" \
    samples="$(sample_stats slow "$t0" "$(now)")" alive="$(kill -0 "$pid" 2>/dev/null && echo true || echo false)" <<'PY'
slow, base, load = a["slow"], a["base"], a["load"]
closed_share = slow["closed"] / max(1, slow["opened"])
p99_limit = max(2 * base["p99_ms"], base["p99_ms"] + 5)
checks = {
    "slow_closed_by_server": closed_share >= 0.99,
    "normal_p99_unchanged": load["p99_ms"] <= p99_limit,
    "normal_nothing_lost": load["socket_errors"] == 0 and load["server_errors"] == 0,
    "fds_released": a["fds_late"] <= a["fds_base"] + 0.05 * a["n"] + 50,
    "service_up": a["alive"],
}
row = {"fault": "slow-headers", "result": "PASS" if all(checks.values()) else "FAIL",
       "connections": a["n"], "hold_s": a["hold_s"], "opened": slow["opened"], "connect_failed": slow["failed"],
       "seconds_to_open": a["open_s"], "closed_by_server": slow["closed"], "closed_share": round(closed_share, 3),
       "closed_median_s": slow["closed_median_s"], "still_open_at_end": slow["still_open"],
       "normal_p99_ms_without": base["p99_ms"], "normal_p99_ms_with": load["p99_ms"],
       "normal_rps_without": base["rps"], "normal_rps_with": load["rps"],
       "normal_errors_with": load["socket_errors"] + load["server_errors"],
       "fds_before": a["fds_base"], "fds_max": a["samples"].get("fds_max"), "fds_1s_before_hold_end": a["fds_late"],
       "rss_max_kb": a["samples"].get("rss_max_kb"), "checks": checks}
PY
)
}

# One store's overload figures (into STORE_ROW): the saturating rate found with wrk at rising
# concurrency, then OVERLOAD_S at OVERLOAD_CONNECTIONS (far past it) with a
# /healthz prober and a /products/1 sampler beside it (20 requests/s each).
overload_store() { # store port
  local store=$1 port=$2 secs=3 conns=(4 16 64 256) dur=30 over=1024 c rows=()
  local limit=""
  # The short form puts a low --max-in-flight under 256 connections on
  # PostgreSQL, so the shedding itself is exercised (and checked) in little
  # time. (The memory store answers each request in one poll, so its
  # requests in flight never pass the worker threads: it has nothing to shed.)
  short && secs=2 conns=(16 64) dur=5 over=256
  short && [ "$store" = pg ] && limit="--max-in-flight 32"
  dur=${OVERLOAD_S:-$dur} over=${OVERLOAD_CONNECTIONS:-$over}
  SERVE_ARGS="$SERVE_ARGS $limit" start_service "over-$store" "$store" "$port"
  local pid=$SVC_PID
  wrk_bg "over-$store-warm" 16 1
  wait "$WRK_PID"
  for c in "${conns[@]}"; do
    wrk_bg "over-$store-c$c" "$c" "$secs"
    wait "$WRK_PID"
    rows+=("c$c=$(wrk_line "over-$store-c$c")")
  done
  probe "over-$store-healthz" "$SVC_URL/healthz"
  local healthz=$PROBE_PID
  probe "over-$store-sample" "$SVC_URL/products/1"
  local sampler=$PROBE_PID
  sample "over-$store" "$pid"
  local t0
  t0=$(now)
  wrk_bg "over-$store" "$over" "$dur"
  wait "$WRK_PID"
  stop_probe "$healthz"
  stop_probe "$sampler"
  STORE_ROW=$(verdict store="$store" connections="$over" seconds="$dur" "${rows[@]}" over="$(wrk_line "over-$store")" \
    healthz="$(probe_stats "over-$store-healthz" --from "$t0")" sampled="$(probe_stats "over-$store-sample" --from "$t0")" \
    samples="$(sample_stats "over-$store" "$t0" "$(now)")" alive="$(kill -0 "$pid" 2>/dev/null && echo true || echo false)" \
    limited="$([ -n "$limit" ] && echo true || echo false)" <<'PY'
steps = {int(k[1:]): v for k, v in a.items() if k.startswith("c") and k[1:].isdigit()}
peak = max(v["rps"] for v in steps.values())
near = {c: v for c, v in steps.items() if v["rps"] >= 0.9 * peak}
sat_c = min(near)
# The least p99 of the steps at saturation: one step's p99 on this shared machine can be a blip.
sat = {"p99_ms": min(v["p99_ms"] for v in near.values())}
over = a["over"]
failed = over["socket_errors"] + over["server_errors"]
good = (over["requests"] - failed) / over["seconds"]
accepted_p99 = a["sampled"]["ok_p99_ms"]
checks = {
    "service_up": a["alive"],
    "no_socket_errors": over["socket_errors"] == 0,
    "goodput_at_least_80pct_of_peak": good >= 0.8 * peak,
    "accepted_p99_within_3x_saturation_p99": accepted_p99 is not None and accepted_p99 <= max(3 * sat["p99_ms"], 10),
    "healthz_p99_under_100ms": a["healthz"]["p99_ms"] is not None and a["healthz"]["p99_ms"] <= 100,
    "healthz_never_shed": a["healthz"]["non_200"] == 0,
}
if a["limited"]:
    checks["sheds_under_overload"] = over["server_errors"] > 0
row = {"store": a["store"], "peak_rps": round(peak), "saturating_connections": sat_c, "saturation_p99_ms": sat["p99_ms"],
       "steps": {c: {"rps": round(v["rps"]), "p99_ms": v["p99_ms"]} for c, v in sorted(steps.items())},
       "overload_connections": a["connections"], "overload_s": a["seconds"],
       "answered_vs_peak": round(over["rps"] / peak, 2),
       "goodput_rps": round(good), "goodput_vs_peak": round(good / peak, 2),
       "shed_503": over["server_errors"], "shed_share": round(over["server_errors"] / max(1, over["requests"]), 3),
       "socket_errors": over["socket_errors"], "all_p99_ms": over["p99_ms"], "all_max_ms": over["max_ms"],
       "accepted_p99_ms_sampled": accepted_p99, "sampled_statuses": a["sampled"]["statuses"],
       "healthz_p99_ms": a["healthz"]["p99_ms"], "healthz_max_ms": a["healthz"]["max_ms"],
       "healthz_non_200": a["healthz"]["non_200"],
       "rss_max_kb": a["samples"].get("rss_max_kb"), "fds_max": a["samples"].get("fds_max"), "checks": checks}
PY
)
  stop_services
}

# overload: each store far past its saturating rate (wrk's closed loop at
# OVERLOAD_CONNECTIONS, default 1024, against a saturation reached at 16-64).
# Targets: the service stays up, goodput ≥ 80% of the peak, the accepted
# requests' p99 (sampled) ≤ 3× the p99 at saturation, /healthz p99 ≤ 100 ms.
fault_overload() {
  local mem pg
  overload_store mem 3472
  mem=$STORE_ROW
  ensure_pg
  overload_store pg 3473
  pg=$STORE_ROW
  RESULT=$(verdict mem="$mem" pg="$pg" <<'PY'
ok = all(all(s["checks"].values()) for s in (a["mem"], a["pg"]))
row = {"fault": "overload", "result": "PASS" if ok else "FAIL", "mem": a["mem"], "pg": a["pg"]}
PY
)
}
