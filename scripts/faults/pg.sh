# Faults of PostgreSQL under a running service (--store pg): killed, frozen,
# out of connection slots. Only the fault cluster (CATALOG_PG_DIR) is touched,
# and the EXIT trap always resumes and restarts it.

PG_FROZEN=()

pg_up() { scripts/pg up; }
pg_ready() { pg_isready -q -h 127.0.0.1 -p "$CATALOG_PG_PORT"; }
postmaster_pid() { head -1 "$CATALOG_PG_DIR/postmaster.pid"; }

# The fault cluster up with the catalog of PRODUCTS imported and warm; sets PG_URL.
ensure_pg() {
  [ -n "${PG_URL:-}" ] && pg_ready && return 0
  PG_URL=$(ensure_pg_catalog "$BIN" "$DATA" "$PRODUCTS" 2>>"$FAULTS_DIR/pg-import.log")
}

# Starts the cluster until it takes connections: after a SIGKILL of the
# postmaster its orphaned backends hold the shared memory for a moment, and
# the new postmaster refuses to start until they are gone.
pg_restart_until_up() {
  local tries=0
  until pg_up >/dev/null 2>>"$FAULTS_DIR/pg-restart.log"; do
    tries=$((tries + 1))
    [ $tries -lt 60 ] || { echo "the fault cluster does not restart; see $FAULTS_DIR/pg-restart.log" >&2; return 1; }
    sleep 0.5
  done
  until_true 30 pg_ready
}

# SIGSTOP of the postmaster and every child (remembered for pg_thaw).
pg_freeze() {
  local pm
  pm=$(postmaster_pid)
  PG_FROZEN=("$pm" $(ps -o pid= --ppid "$pm"))
  kill -STOP "${PG_FROZEN[@]}"
}

pg_thaw() {
  [ ${#PG_FROZEN[@]} -gt 0 ] || return 0
  kill -CONT "${PG_FROZEN[@]}" 2>/dev/null || true
  PG_FROZEN=()
}

# pg-kill: the postmaster SIGKILLed DOWN_S into the mixed load (wrk, 64
# connections) with a prober on /products/1 every 50 ms; restarted with
# scripts/pg up after DOWN_S seconds down. Targets: the first 200 within 2 s
# of the server taking connections again, every probe a 200 from then on (one
# second of grace), the service the same process throughout; and two
# writers adjusting SKUs throughout (scripts/load/ledger.py): every
# acknowledged adjustment in the change log exactly once, the log
# reconciling with the quantities.
fault_pg_kill() {
  local lead=3 down=3 tail=6
  short && lead=2 down=2 tail=4
  ensure_pg
  start_service pg-kill pg 3481
  local pid=$SVC_PID t_kill t_ready
  probe pg-kill "$SVC_URL/products/1"
  local prober=$PROBE_PID
  wrk_bg pg-kill 64 $((lead + down + tail + 4))
  ledger_bg pg-kill $((lead + down + tail))
  sleep "$lead" # load before the fault, by design
  t_kill=$(now)
  kill -KILL "$(postmaster_pid)"
  sleep "$down" # time down, by design
  pg_restart_until_up
  t_ready=$(now)
  until_true 10 first_200_since pg-kill "$t_ready" || true
  wait "$WRK_PID"
  stop_probe "$prober"
  local first
  first=$(probe_stats pg-kill --after "$t_ready" | python3 -c 'import json,sys; print(json.load(sys.stdin)["first_200_s"] or 0)')
  ledger_done pg-kill
  RESULT=$(verdict t_kill="$t_kill" t_ready="$t_ready" \
    down="$(probe_stats pg-kill --from "$t_kill" --to "$t_ready")" \
    recovery="$(probe_stats pg-kill --after "$t_ready")" \
    after="$(probe_stats pg-kill --from "$(python3 -c "print($t_ready + $first + 1)")")" \
    load="$(wrk_line pg-kill)" same_pid="$(kill -0 "$pid" 2>/dev/null && echo true || echo false)" \
    writes="$LEDGER_LINE" <<'PY'
down, rec, after, load, writes = a["down"], a["recovery"], a["after"], a["load"], a["writes"]
checks = {**writes["checks"],
    "recovered": rec["first_200_s"] is not None,
    "first_200_within_2s": rec["first_200_s"] is not None and rec["first_200_s"] <= 2,
    "all_200_after_recovery": after["non_200"] == 0 and after["requests"] > 0,
    "service_not_restarted": a["same_pid"],
    "answers_while_down": down["statuses"].get("0", 0) == 0,
}
row = {"fault": "pg-kill", "result": "PASS" if all(checks.values()) else "FAIL",
       "down_s": round(a["t_ready"] - a["t_kill"], 2), "first_200_after_ready_s": rec["first_200_s"],
       "probe_while_down": down["statuses"], "probe_p99_ms_while_down": down["p99_ms"],
       "probe_non_200_after_recovery": after["non_200"],
       "load_requests": load["requests"], "load_503": load["server_errors"], "load_socket_errors": load["socket_errors"],
       "load_p99_ms": load["p99_ms"], "load_max_ms": load["max_ms"],
       "adjustments": writes.get("adjustments"), "adjustments_applied": writes.get("applied"), "checks": checks}
PY
)
}

first_200_since() { # name T
  probe_stats "$1" --after "$2" | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["first_200_s"] is None)'
}

# pg-freeze: the postmaster and its children SIGSTOPped for FREEZE_S under
# the mixed load (wrk, 64 connections) with the prober, then SIGCONTed.
# Targets: every probe during the freeze answered (a 503) within DEADLINE_MS
# (p99), RSS at most 2× + 64 MB and descriptors at most +256 over their value
# before, and the first 200 within 2 s of SIGCONT; and the writers of
# pg-kill, held to the same ledger check.
fault_pg_freeze() {
  local lead=3 freeze=15 tail=6
  short && lead=2 freeze=6 tail=4
  freeze=${FREEZE_S:-$freeze}
  ensure_pg
  start_service pg-freeze pg 3482
  local pid=$SVC_PID t_freeze t_cont t0
  sample pg-freeze "$pid"
  probe pg-freeze "$SVC_URL/products/1"
  local prober=$PROBE_PID
  t0=$(now)
  wrk_bg pg-freeze 64 $((lead + freeze + tail))
  ledger_bg pg-freeze $((lead + freeze + tail))
  sleep "$lead" # load before the fault, by design
  t_freeze=$(now)
  pg_freeze
  sleep "$freeze" # the freeze, by design
  t_cont=$(now)
  pg_thaw
  until_true 15 first_200_since pg-freeze "$t_cont" || true
  wait "$WRK_PID"
  stop_probe "$prober"
  ledger_done pg-freeze
  RESULT=$(verdict deadline_ms="$DEADLINE_MS" freeze_s="$freeze" \
    frozen="$(probe_stats pg-freeze --from "$(python3 -c "print($t_freeze + 0.5)")" --to "$t_cont")" \
    recovery="$(probe_stats pg-freeze --after "$t_cont")" \
    before="$(sample_stats pg-freeze "$t0" "$t_freeze")" during="$(sample_stats pg-freeze "$t_freeze" "$(now)")" \
    load="$(wrk_line pg-freeze)" same_pid="$(kill -0 "$pid" 2>/dev/null && echo true || echo false)" \
    writes="$LEDGER_LINE" <<'PY'
fr, rec, before, during, load, writes = a["frozen"], a["recovery"], a["before"], a["during"], a["load"], a["writes"]
checks = {**writes["checks"],
    "answered_within_deadline": fr["statuses"].get("0", 0) == 0 and fr["p99_ms"] is not None
                                and fr["p99_ms"] <= a["deadline_ms"],
    "rss_bounded": during["rss_max_kb"] <= 2 * before["rss_max_kb"] + 65536,
    "fds_bounded": during["fds_max"] <= before["fds_max"] + 256,
    "recovered": rec["first_200_s"] is not None,
    "first_200_within_2s_of_sigcont": rec["first_200_s"] is not None and rec["first_200_s"] <= 2,
    "service_up": a["same_pid"],
}
row = {"fault": "pg-freeze", "result": "PASS" if all(checks.values()) else "FAIL",
       "freeze_s": a["freeze_s"], "deadline_ms": a["deadline_ms"],
       "probe_during_freeze": fr["statuses"], "probe_p50_ms_during_freeze": fr["p50_ms"],
       "probe_p99_ms_during_freeze": fr["p99_ms"], "probe_max_ms_during_freeze": fr["max_ms"],
       "first_200_after_sigcont_s": rec["first_200_s"],
       "rss_kb_before": before["rss_max_kb"], "rss_kb_max": during["rss_max_kb"],
       "fds_before": before["fds_max"], "fds_max": during["fds_max"],
       "load_requests": load["requests"], "load_503": load["server_errors"], "load_socket_errors": load["socket_errors"],
       "load_p99_ms": load["p99_ms"], "load_max_ms": load["max_ms"],
       "adjustments": writes.get("adjustments"), "adjustments_applied": writes.get("applied"), "checks": checks}
PY
)
}

held_report() { [ -s "$FAULTS_DIR/holdpg.json" ]; }

# pg-max-connections: another client (tools.py holdpg) takes every free
# connection slot of the cluster (max_connections 200) under light load on a
# running instance (wrk, 16 connections, and a prober). That instance keeps
# its pooled connections; a second instance started meanwhile (as a restart
# or a scale-out would) has none and cannot open any. Then the slots are
# freed. Targets: no probe of either unanswered (a hang), the second
# instance starts (it serves 503 until PostgreSQL takes its connections),
# its answers within DEADLINE_MS (p99), its first 200 within 2 s of the
# release, the running instance unaffected (all 200).
fault_pg_max_connections() {
  local phase=6
  short && phase=3
  ensure_pg
  start_service pg-maxconn pg 3483
  local pid=$SVC_PID t_a t_b t_free
  probe pg-maxconn "$SVC_URL/products/1"
  local prober=$PROBE_PID
  wrk_bg pg-maxconn 16 $((phase + 8))
  sleep 1 # load before the fault, by design
  rm -f "$FAULTS_DIR/holdpg.json"
  t_a=$(now)
  python3 "$TOOLS" holdpg 127.0.0.1 "$CATALOG_PG_PORT" catalog postgres "$FAULTS_DIR/holdpg.json" &
  local holder=$!
  started "$holder"
  until_true 30 held_report
  # The second instance (a binary before 2026-12-02 exits here: it could not connect).
  local new_exit="" new_msg=""
  if ! READY_PATH=/healthz SVC_MAY_EXIT=1 start_service pg-maxconn-new pg 3484; then
    wait "$SVC_PID" && new_exit=0 || new_exit=$?
    new_msg=$(tail -1 "$FAULTS_DIR/pg-maxconn-new.log" | cut -c1-200)
  fi
  local pid_new=$SVC_PID
  t_b=$(now)
  probe pg-maxconn-new "$SVC_URL/products/1"
  local prober_new=$PROBE_PID
  sleep "$phase" # the server full, by design
  t_free=$(now)
  stop_probe "$holder"
  [ -n "$new_exit" ] || until_true 10 first_200_since pg-maxconn-new "$t_free" || true
  wait "$WRK_PID"
  stop_probe "$prober"
  stop_probe "$prober_new"
  RESULT=$(verdict deadline_ms="$DEADLINE_MS" held="$(cat "$FAULTS_DIR/holdpg.json")" \
    running="$(probe_stats pg-maxconn --from "$t_a" --to "$t_free")" \
    new="$(probe_stats pg-maxconn-new --from "$t_b" --to "$t_free")" \
    recovery="$(probe_stats pg-maxconn-new --after "$t_free")" \
    load="$(wrk_line pg-maxconn)" \
    new_exit="$new_exit" new_msg="$new_msg" \
    alive="$(kill -0 "$pid" 2>/dev/null && kill -0 "$pid_new" 2>/dev/null && echo true || echo false)" <<'PY'
run, new, rec, load = a["running"], a["new"], a["recovery"], a["load"]
checks = {
    "new_instance_starts": a["new_exit"] == "",
    "no_hang": run["statuses"].get("0", 0) == 0 and new["statuses"].get("0", 0) == 0 and load["socket_errors"] == 0,
    "new_instance_answers_within_deadline": new["p99_ms"] is not None and new["p99_ms"] <= a["deadline_ms"],
    "first_200_within_2s_of_release": rec["first_200_s"] is not None and rec["first_200_s"] <= 2,
    "running_instance_unaffected": run["non_200"] == 0 and load["server_errors"] == 0,
    "services_up": a["alive"],
}
row = {"fault": "pg-max-connections", "result": "PASS" if all(checks.values()) else "FAIL",
       "slots_taken": a["held"]["held"], "refusal": a["held"]["refusal"],
       "running_instance_probe": run["statuses"], "running_instance_p99_ms": run["p99_ms"],
       "new_instance_probe": new["statuses"], "new_instance_p50_ms": new["p50_ms"],
       "new_instance_p99_ms": new["p99_ms"], "new_instance_max_ms": new["max_ms"],
       "first_200_after_release_s": rec["first_200_s"],
       "new_instance_exit_status": a["new_exit"] if a["new_exit"] != "" else None,
       "new_instance_message": a["new_msg"] or None,
       "load_requests": load["requests"], "load_503": load["server_errors"], "load_socket_errors": load["socket_errors"],
       "load_p99_ms": load["p99_ms"], "checks": checks}
PY
)
}
