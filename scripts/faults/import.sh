# Faults of an import beside a serving instance: the import killed at
# several points, the database's disk full.

DISK_MNT=""

psql_at() { psql "$1" -qtAX -v ON_ERROR_STOP=1 -c "$2"; }
no_import_running() { [ "$(psql_at "$PG_URL" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" = 0 ]; }
in_index_phase() { [ "$(psql_at "$PG_URL" "SELECT count(*) FROM pg_stat_progress_create_index")" != 0 ]; }
# stray_schemas URL: the catalog_* schemas an import left (catalog_meta, the
# change log's, is the migrations', not an import's), comma-separated.
stray_schemas() {
  psql_at "$1" "SELECT coalesce(string_agg(nspname, ','), '') FROM pg_namespace
    WHERE nspname LIKE 'catalog\_%' AND nspname <> 'catalog_meta'"
}

# import-kill: a fresh catalog (IMPORT_PRODUCTS, default 400,000, seed 2)
# imported beside the serving one and killed with SIGKILL 1 s, 5 s and 15 s
# in, and once its index phase shows in pg_stat_progress_create_index; after
# each kill, the time until PostgreSQL ended the killed import's transaction
# (its advisory lock gone) and the stray schemas; then a full import. A
# prober reads /products/1 through the service every 50 ms throughout.
# Targets: every probe a 200, no stray schema after each kill, the final
# import succeeds and leaves no stray schema.
fault_import_kill() {
  local products=${IMPORT_PRODUCTS:-400000} points=(1 5 15 index)
  short && products=${IMPORT_PRODUCTS:-50000} points=(1 index)
  ensure_pg
  local fresh=.data/gen-faults-fresh-$products
  [ -f "$fresh/related.csv" ] || "$BIN" generate --products "$products" --seed 2 --dirty 0.001 --out "$fresh" >/dev/null
  start_service import-kill pg 3491
  probe import-kill "$SVC_URL/products/1"
  local prober=$PROBE_PID t0 rows=() point imp t_start t_kill killed orphan
  t0=$(now)
  for point in "${points[@]}"; do
    "$BIN" import --data "$fresh" --database-url "$PG_URL" --rejects "$FAULTS_DIR/rejects.csv" \
      >"$FAULTS_DIR/import-kill-$point.log" 2>&1 &
    imp=$!
    started "$imp"
    t_start=$(now)
    if [ "$point" = index ]; then
      until_true 600 in_index_phase || true
    else
      until_true "$point" false || true # the kill point, by design
    fi
    killed=false
    kill -KILL "$imp" 2>/dev/null && killed=true
    wait "$imp" 2>/dev/null || true
    t_kill=$(now)
    until_true 600 no_import_running || true
    orphan=$(python3 -c "print(round($(now) - $t_kill, 2))")
    rows+=("k_$point={\"at_s\":$(python3 -c "print(round($t_kill - $t_start, 2))"),\"killed\":$killed,\"orphan_s\":$orphan,\"stray\":\"$(stray_schemas "$PG_URL")\"}")
  done
  local rc=0 t_final line
  t_final=$(now)
  "$BIN" import --data "$fresh" --database-url "$PG_URL" --rejects "$FAULTS_DIR/rejects.csv" \
    >"$FAULTS_DIR/import-kill-final.log" 2>&1 || rc=$?
  line=$(grep -m1 '^imported' "$FAULTS_DIR/import-kill-final.log" || tail -1 "$FAULTS_DIR/import-kill-final.log")
  sleep 1 # reads after the swap, by design
  stop_probe "$prober"
  RESULT=$(verdict products="$products" "${rows[@]}" final_rc="$rc" final_line="$line" \
    final_s="$(python3 -c "print(round($(now) - $t_final - 1, 1))")" \
    stray_after="$(stray_schemas "$PG_URL")" loaded="$(psql_at "$PG_URL" "SELECT count(*) FROM catalog.products")" \
    probe="$(probe_stats import-kill --from "$t0")" <<'PY'
kills = {k[2:]: v for k, v in a.items() if k.startswith("k_")}
probe = a["probe"]
checks = {
    "old_catalog_served_throughout": probe["non_200"] == 0 and probe["requests"] > 0,
    "no_stray_schema_after_kills": all(v["stray"] == "" for v in kills.values()),
    "following_import_succeeds": a["final_rc"] == 0,
    "no_stray_schema_after_import": a["stray_after"] == "",
}
row = {"fault": "import-kill", "result": "PASS" if all(checks.values()) else "FAIL",
       "import_products": a["products"], "kills": kills,
       "probe_requests": probe["requests"], "probe_non_200": probe["non_200"], "probe_statuses": probe["statuses"],
       "probe_p99_ms": probe["p99_ms"], "probe_max_ms": probe["max_ms"],
       "final_import_rc": a["final_rc"], "final_import": a["final_line"], "final_import_s": a["final_s"],
       "products_loaded": a["loaded"], "stray_after": a["stray_after"], "checks": checks}
PY
)
}

# disk-full: a tmpfs of DISK_MB (default 128) MB holds a tablespace, and the
# database catalog_small lives in it; it serves a catalog of 2,000 products,
# then the catalog of 100,000 (about 450 MB in PostgreSQL) is imported into it
# beside a prober reading through the service every 50 ms. WAL stays on the
# cluster's own disk (the data disk fills, not the log's). Targets: the
# import fails with a message naming the full disk, every probe a 200 (the
# old catalog served), the space given back once the import failed, no stray
# schema, a later read of the old catalog still right.
fault_disk_full() {
  [ "$(id -u)" = 0 ] || { RESULT='{"fault":"disk-full","result":"FAIL","error":"needs root to mount a tmpfs"}'; return 0; }
  ensure_pg
  local size=${DISK_MB:-128} admin="${PG_URL%/*}/postgres" url="${PG_URL%/*}/catalog_small"
  disk_full_cleanup
  DISK_MNT=$FAULTS_DIR/small
  mkdir -p "$DISK_MNT"
  mount -t tmpfs -o "size=${size}m" faults-small "$DISK_MNT"
  mkdir "$DISK_MNT/ts" && chown postgres: "$DISK_MNT/ts" && chmod 700 "$DISK_MNT/ts"
  psql_at "$admin" "CREATE TABLESPACE faults_small LOCATION '$DISK_MNT/ts'"
  psql_at "$admin" "CREATE DATABASE catalog_small TABLESPACE faults_small"
  ensure_source "$BIN" .data/gen-faults-2000 2000
  ensure_source "$BIN" .data/gen-faults-100000 100000
  "$BIN" migrate --database-url "$url" >/dev/null
  "$BIN" import --data .data/gen-faults-2000 --database-url "$url" --rejects "$FAULTS_DIR/rejects.csv" >/dev/null 2>&1
  local used_before used_after rc=0 t0 msg
  used_before=$(df --output=used -k "$DISK_MNT" | tail -1)
  PG_URL_SAVED=$PG_URL PG_URL=$url
  start_service disk-full pg 3492
  PG_URL=$PG_URL_SAVED
  probe disk-full "$SVC_URL/products/1"
  local prober=$PROBE_PID
  t0=$(now)
  "$BIN" import --data .data/gen-faults-100000 --database-url "$url" --rejects "$FAULTS_DIR/rejects.csv" \
    >"$FAULTS_DIR/disk-full-import.log" 2>&1 || rc=$?
  msg=$(grep -v '^\(product\|features\|styles\|photos\|skus\|related\)\.csv' "$FAULTS_DIR/disk-full-import.log" | tail -1 | cut -c1-300)
  local t_fail
  t_fail=$(now)
  sleep 2 # reads after the failure, by design
  stop_probe "$prober"
  used_after=$(df --output=used -k "$DISK_MNT" | tail -1)
  RESULT=$(verdict size_mb="$size" rc="$rc" msg="$msg" used_before_kb="$used_before" used_after_kb="$used_after" \
    import_s="$(python3 -c "print(round($t_fail - $t0, 1))")" stray="$(stray_schemas "$url")" \
    loaded="$(psql_at "$url" "SELECT count(*) FROM catalog.products")" \
    read="$(curl -s -o /dev/null -w '%{http_code}' "$SVC_URL/products/1")" \
    probe="$(probe_stats disk-full --from "$t0")" <<'PY'
probe = a["probe"]
checks = {
    "import_fails": a["rc"] != 0,
    "message_names_the_full_disk": "No space left on device" in a["msg"] or "could not extend" in a["msg"],
    "old_catalog_served_throughout": probe["non_200"] == 0 and probe["requests"] > 0 and a["read"] == 200,
    "old_catalog_intact": a["loaded"] == 2000,
    "space_given_back": a["used_after_kb"] <= a["used_before_kb"] + 4096,
    "no_stray_schema": a["stray"] == "",
}
row = {"fault": "disk-full", "result": "PASS" if all(checks.values()) else "FAIL",
       "tmpfs_mb": a["size_mb"], "import_rc": a["rc"], "import_message": a["msg"], "import_failed_after_s": a["import_s"],
       "used_kb_before": a["used_before_kb"], "used_kb_after": a["used_after_kb"],
       "probe_requests": probe["requests"], "probe_non_200": probe["non_200"], "probe_statuses": probe["statuses"],
       "probe_p99_ms": probe["p99_ms"], "probe_max_ms": probe["max_ms"],
       "products_after": a["loaded"], "stray": a["stray"], "checks": checks}
PY
)
  stop_services
  disk_full_cleanup
}

# Drops the small database and tablespace and unmounts the tmpfs (idempotent).
disk_full_cleanup() {
  local mnt=${DISK_MNT:-$FAULTS_DIR/small} admin
  mountpoint -q "$mnt" 2>/dev/null || return 0
  admin="postgres://postgres@127.0.0.1:$CATALOG_PG_PORT/postgres"
  psql_at "$admin" "DROP DATABASE IF EXISTS catalog_small WITH (FORCE)" || true
  psql_at "$admin" "DROP TABLESPACE IF EXISTS faults_small" || true
  umount "$mnt" || true
}
