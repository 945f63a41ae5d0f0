"""One results.jsonl row (kind `rate`) from oha's JSON output.

Usage: python3 scripts/load/oha_row.py OHA.json RUN_LABEL RATE
oha reports times in seconds; the row holds milliseconds like wrk's rows.
"""
import json
import sys

path, run, rate = sys.argv[1], sys.argv[2], int(sys.argv[3])
report = json.load(open(path))
summary, percentiles = report["summary"], report["latencyPercentiles"]
statuses = report.get("statusCodeDistribution", {})
ms = lambda seconds: round((seconds or 0) * 1000, 3)
print(json.dumps({
    "kind": "rate",
    "run": run,
    "route": "mixed",
    "ids": "random",
    "rate": rate,
    "requests": sum(statuses.values()),
    "rps": round(summary["requestsPerSec"], 1),
    "p50_ms": ms(percentiles["p50"]),
    "p90_ms": ms(percentiles["p90"]),
    "p99_ms": ms(percentiles["p99"]),
    "max_ms": ms(summary["slowest"]),
    # oha cuts the requests still in flight when the run ends: not the server's failures.
    "errors": sum(n for error, n in report.get("errorDistribution", {}).items() if "deadline" not in error),
    "non_2xx": sum(count for status, count in statuses.items() if not status.startswith("2")),
}))
