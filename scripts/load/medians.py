"""Appends a run's JSON rows to its report, then their medians per run, route, ids and kind.

Usage: python3 scripts/load/medians.py ROWS.jsonl REPORT
"""
import json
import statistics
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
with open(sys.argv[2], "a") as out:
    for row in rows:
        out.write(json.dumps(row) + "\n")
    groups = {}
    for row in rows:
        groups.setdefault((row["run"], row["route"], row["ids"], row["kind"]), []).append(row)
    out.write("## medians\n")
    for (run, route, ids, kind), members in sorted(groups.items()):
        rps = statistics.median(m["rps"] for m in members)
        p99 = statistics.median(m["p99_ms"] for m in members)
        label = f"{kind} at a constant rate" if kind != "load" else kind
        out.write(f"{run}: {route} {ids} ({label}): {rps:,.0f}/s, p99 {p99:.2f} ms\n")
