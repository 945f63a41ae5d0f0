#!/usr/bin/env bash
# The fault suite: hostile traffic and faults of the database and the disk,
# each against a running catalog-http, loopback only, bounded in time. Every
# fault prints one JSON line with its figures and "result": "PASS" or "FAIL"
# against its target (docs/reliability.md explains each target).
#
#   scripts/faults.sh FAULT...     run these faults (exit 1 if one missed its target)
#   scripts/faults.sh all          every fault, full size; appends the lines to
#                                  docs/reliability/results.jsonl
#   scripts/faults.sh short        pg-kill, pg-freeze, pg-max-connections,
#                                  slow-headers (500 connections) and overload
#                                  (5 s) on a small catalog, for the test
#                                  suite (about 2 min)
#
# Faults: pg-kill pg-freeze pg-max-connections import-kill disk-full overload slow-headers
#
# Environment:
#   BIN          the catalog-http binary (default target/release/catalog-http, built if missing)
#   SERVE_ARGS   extra flags of every `serve` (the limits under test, e.g.
#                "--max-in-flight 256 --request-deadline-ms 3000")
#   PRODUCTS     catalog size (default 100000; short: 10000)
#   DEADLINE_MS  the longest an answer may take while the database is frozen
#                or full (default 5000: today's 2 s statement + 2 s connect
#                timeouts of the pool, plus a second)
#   APPEND=1     also append the lines to docs/reliability/results.jsonl
#   LABEL        a free-form label stored in every line (e.g. "before", "after")
#   OVERLOAD_STORES ("mem pg"), OVERLOAD_S (30; short 5), OVERLOAD_FACTOR (3),
#   OVERLOAD_OPEN_CONNECTIONS ("64 256 1024": oha's open loop, full form only,
#   oha installed from crates.io when missing), OVERLOAD_CONNECTIONS (1024;
#   short 256: wrk's closed loop), OVERLOAD_PIN (1: the service and
#   PostgreSQL on CPU 0, the load on CPU 1)
#   CATALOG_PG_DIR / CATALOG_PG_PORT  the PostgreSQL cluster the faults kill and
#                freeze (default .data/pg-faults, port 54359: never the
#                project's shared cluster)
#
# Needs root for disk-full (mounts a tmpfs); installs wrk, curl and psql from
# Debian when missing. Logs and raw measurements go to $FAULTS_DIR (/tmp/faults).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
source scripts/faults/lib.sh

main() {
  local mode=${1:-}
  [ -n "$mode" ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
  local faults=("$@")
  case $mode in
    all) faults=(slow-headers overload pg-kill pg-freeze pg-max-connections import-kill disk-full); APPEND=1 ;;
    short) faults=(pg-kill pg-freeze pg-max-connections slow-headers overload); SHORT=1 ;;
  esac
  for fault in "${faults[@]}"; do
    declare -F "fault_${fault//-/_}" >/dev/null || { echo "unknown fault: $fault" >&2; exit 2; }
  done
  setup
  local failed=0 line
  for fault in "${faults[@]}"; do
    echo "== $fault" >&2
    RESULT=""
    "fault_${fault//-/_}"
    line=$(stamp "$RESULT")
    echo "$line"
    [ "${APPEND:-0}" = 1 ] && mkdir -p docs/reliability && echo "$line" >>docs/reliability/results.jsonl
    case $line in *'"result": "PASS"'* | *'"result":"PASS"'*) ;; *) failed=1 ;; esac
    stop_services
  done
  return $failed
}

main "$@"
