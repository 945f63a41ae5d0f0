"""Turns the harness's results.jsonl into a Markdown report with SVG charts.

Usage: python3 scripts/load/report.py RESULTS.jsonl PRODUCTS DURATION CONNECTIONS > README.md
Charts are written beside RESULTS.jsonl. Row kinds: `load` (wrk at fixed
concurrency), `rate` (oha at a constant rate) and `memory` (the service's RSS).
"""
import json
import os
import platform
import subprocess
import sys

results_path, products, duration, connections = sys.argv[1:5]
rows = [json.loads(line) for line in open(results_path) if line.strip()]
for row in rows:
    row.setdefault("kind", "load")
loads = [r for r in rows if r["kind"] == "load"]
rates = [r for r in rows if r["kind"] == "rate"]
memories = [r for r in rows if r["kind"] == "memory"]
ceilings = [r for r in loads if r["route"] == "static"]
ceiling_rps = sorted(r["rps"] for r in ceilings)[len(ceilings) // 2]  # the median
static_bytes = ceilings[0]["run"].split()[2]
# Each row is compared with the ceiling measured last before it (the same
# block), and a PostgreSQL row with the pgbench -S measured last before it.
databases = [r for r in loads if r["route"] == "pgbench"]
current, database = ceilings[0]["rps"], None
for row in loads:
    current = row["rps"] if row["route"] == "static" else current
    database = row["rps"] if row["route"] == "pgbench" else database
    row["ceiling_rps"] = current
    row["database_rps"] = database if row["run"].startswith("pg") else None
out_dir = os.path.dirname(results_path)


def cores_and_memory():
    mem = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.split("\n")[1].split()[1]
    return f"{os.cpu_count()} cores, {mem} GiB"


def find(run, route, ids="random"):
    return next((r for r in loads if r["run"] == run and r["route"] == route and r["ids"] == ids), None)


def share(row):
    return 100 * row["rps"] / row["ceiling_rps"]


def of_database(row):
    """The row's requests/s over the pgbench -S measured beside it, or None."""
    return row["rps"] / row["database_rps"] if row["database_rps"] else None


# Shares of the nginx ceiling with the response cache warm before the
# second performance round (docs/bench/load at 7df04dc): the hot-set floors.
HOT_SET_FLOORS = {"styles": 77, "mixed": 53}


def targets():
    """(target, measured, met) for each target of the performance issues that this run measured."""
    out = []
    r = find("mem, cache off", "styles")
    if r:
        out.append(("in-memory store: styles (random ids) ≥ 90% of the nginx ceiling",
                    f"{share(r):.0f}% ({r['rps']:,.0f}/s)", share(r) >= 90))
    r = find("mem, cache on", "styles", "hot 1000")
    if r:
        out.append(("in-memory store, cache warm: styles (hot 1000 ids) ≥ 60% of the nginx ceiling",
                    f"{share(r):.0f}% ({r['rps']:,.0f}/s)", share(r) >= 60))
    for route, floor in HOT_SET_FLOORS.items():
        r = find("pg, cache on", route, "hot 1000")
        if r:
            out.append((f"pg, cache warm: {route} (hot 1000 ids) at or above the first round's {floor}% of the nginx ceiling",
                        f"{share(r):.0f}% ({r['rps']:,.0f}/s)", share(r) >= floor))
    r = find("pg, cache off", "styles")
    if r and of_database(r):
        out.append(("pg, cache off, styles, random ids: ≥ 0.6 × pgbench -S, p99 ≤ 10 ms",
                    f"{of_database(r):.2f} × ({r['rps']:,.0f}/s against {r['database_rps']:,.0f}), p99 {r['p99_ms']:.1f} ms",
                    of_database(r) >= 0.6 and r["p99_ms"] <= 10))
    for route in ("styles", "mixed", "list"):
        r = find("pg, cache off", route)
        if r:
            out.append((f"pg, cache off, {route}, random ids: ≥ 10,000/s, p99 ≤ 20 ms",
                        f"{r['rps']:,.0f}/s, p99 {r['p99_ms']:.1f} ms", r["rps"] >= 10_000 and r["p99_ms"] <= 20))
    for route in ("styles", "mixed"):
        on, off = find("pg, cache on", route), find("pg, cache off", route)
        if on and off:
            # Each against its own block's ceiling: the blocks run minutes apart.
            ratio = share(on) / share(off)
            out.append((f"pg, {route}, random ids: cache on ≥ 0.95 × cache off (each over its block's nginx ceiling; "
                        "the blocks run minutes apart, so drift shows here: `scripts/bench-cache-cost.sh` serves both at once)",
                        f"{ratio:.2f} × ({on['rps']:,.0f}/s against {off['rps']:,.0f}/s)", ratio >= 0.95))
    deep, first = find("pg, cache off", "deep"), find("pg, cache off", "first")
    if deep and first:
        out.append(("pg, cache off: the page near the end as fast as the first (within 10%)",
                    f"deep {deep['rps']:,.0f}/s, first {first['rps']:,.0f}/s", deep["rps"] >= 0.9 * first["rps"]))
    for r in rates:
        if r["run"] == "pg, cache on":
            out.append((f"pg, cache on, mixed at a constant {r['rate']:,}/s: p99 ≤ 2 ms",
                        f"p99 {r['p99_ms']:.2f} ms at {r['rps']:,.0f}/s", r["p99_ms"] <= 2))
    for m in memories:
        if m["run"] == "pg, cache on":
            out.append(("pg, default cache (64 MB): service RSS ≤ 300 MB",
                        f"{m['rss_mb']:.0f} MB (peak {m['peak_mb']:.0f} MB)", m["peak_mb"] <= 300))
    return out


print("# Load tests: the catalog service against nginx serving a static file")
print()
print(f"Machine: {cores_and_memory()}, shared by the service, its database and the load tool "
      f"({platform.node()}). Catalog: {int(products):,} products (generated, seed 1, 0.1% dirty lines).")
print(f"Load: wrk, {connections} connections, 2 threads, {duration} per row; ids drawn at random over the whole "
      "range, or from a fixed hot set of 1,000 ids. Command: `scripts/bench-load.sh`. Several instances behind "
      "nginx, with its cache: [../scale](../scale/README.md) (`scripts/bench-scale.sh`).")
print(f"Reference measured in the same run: nginx serving the styles answer as a static file "
      f"({static_bytes} bytes), the ceiling of this machine, measured before each service's runs: "
      f"{', '.join(format(r['rps'], ',.0f') for r in ceilings)} requests/s (median {ceiling_rps:,.0f}). "
      "Each row's share is of the ceiling measured just before it.")
if databases:
    print(f"The database's own reference, measured before each PostgreSQL service's runs on the same cluster: "
          f"`pgbench -S -M prepared` at {connections} clients over 1,000,000 accounts (scale 10), "
          f"{', '.join(format(r['rps'], ',.0f') for r in databases)} transactions/s; "
          "each pg row's `of pgbench` is of the one measured just before it.")
print()
print("## Targets")
print()
print("| target | measured | met |")
print("|---|---|---|")
for target, measured, met in targets():
    print(f"| {target} | {measured} | {'yes' if met else '**no**'} |")
print()
print("## Fixed concurrency (wrk)")
print()
print("`list` is a random deep page (`count=5`), `first` the first page, `deep` one fixed page near the end. The `non-2xx` column counts 404s "
      "for ids that fall in the gaps left by rejected rows (0.1% of the range): correct answers, not failures.")
print()
print("| run | route | ids | requests/s | of nginx | of pgbench | p50 ms | p90 ms | p99 ms | max ms | socket errors | non-2xx |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in loads:
    database_share = f"{of_database(r):.2f}" if of_database(r) and r["route"] != "pgbench" else ""
    print(f"| {r['run']} | {r['route']} | {r['ids']} | {r['rps']:,.0f} | {share(r):.0f}% | {database_share} | {r['p50_ms']:.2f} | "
          f"{r['p90_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.1f} | {r['socket_errors']} | {r['non_2xx']} |")
if rates:
    print()
    print("## Constant rate (oha, latency corrected: no coordinated omission)")
    print()
    print("Mixed profile (10% list, 30% product, 45% styles, 15% related), random ids.")
    print()
    print("| run | asked/s | served/s | p50 ms | p90 ms | p99 ms | max ms | errors | non-2xx |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rates:
        print(f"| {r['run']} | {r['rate']:,} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p90_ms']:.2f} | "
              f"{r['p99_ms']:.2f} | {r['max_ms']:.1f} | {r['errors']} | {r['non_2xx']} |")
if memories:
    print()
    print("## Service memory after its runs")
    print()
    print("| run | RSS MB | peak RSS MB |")
    print("|---|---:|---:|")
    for m in memories:
        print(f"| {m['run']} | {m['rss_mb']:.0f} | {m['peak_mb']:.0f} |")

try:
    import matplotlib
    matplotlib.use("svg")
    import matplotlib.pyplot as plt
except ImportError:
    print("\n(matplotlib is missing: no charts)")
    sys.exit(0)

runs = [r for r in loads if r["route"] not in ("static", "pgbench") and r["ids"] == "random"]
labels = [f"{r['run']}\n{r['route']}" for r in runs]
fig, ax = plt.subplots(figsize=(14, 5))
ax.bar(range(len(runs)), [r["rps"] for r in runs], color="#4477aa")
ax.axhline(ceiling_rps, color="#cc3311", linestyle="--", label=f"nginx static ceiling, median ({ceiling_rps:,.0f}/s)")
ax.set_xticks(range(len(runs)), labels, rotation=60, ha="right", fontsize=7)
ax.set_ylabel("requests/s")
ax.set_title(f"Requests/s, random ids, {connections} connections, {int(products):,} products")
ax.legend()
fig.tight_layout()
fig.savefig(os.path.join(out_dir, "throughput.svg"))

fig, ax = plt.subplots(figsize=(14, 5))
width = 0.4
ax.bar([i - width / 2 for i in range(len(runs))], [r["p50_ms"] for r in runs], width, label="p50", color="#4477aa")
ax.bar([i + width / 2 for i in range(len(runs))], [r["p99_ms"] for r in runs], width, label="p99", color="#ee7733")
ax.set_xticks(range(len(runs)), labels, rotation=60, ha="right", fontsize=7)
ax.set_ylabel("latency, ms")
ax.set_title("Latency percentiles, random ids")
ax.legend()
fig.tight_layout()
fig.savefig(os.path.join(out_dir, "latency.svg"))
print()
print("![requests per second](throughput.svg)")
print()
print("![latency](latency.svg)")
