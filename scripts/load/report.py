"""Turns the harness's results.jsonl into a Markdown report with SVG charts.

Usage: python3 scripts/load/report.py RESULTS.jsonl PRODUCTS DURATION CONNECTIONS > README.md
Charts are written beside RESULTS.jsonl.
"""
import json
import os
import platform
import subprocess
import sys

results_path, products, duration, connections = sys.argv[1:5]
rows = [json.loads(line) for line in open(results_path) if line.strip()]
ceiling = next(r for r in rows if r["route"] == "static")
out_dir = os.path.dirname(results_path)


def cores_and_memory():
    cores = os.cpu_count()
    mem = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.split("\n")[1].split()[1]
    return f"{cores} cores, {mem} GiB"


print("# Load tests: the catalog service against nginx serving a static file")
print()
print(f"Machine: {cores_and_memory()}, shared by the service, its database and the load tool "
      f"({platform.node()}). Catalog: {int(products):,} products (generated, seed 1, 0.1% dirty lines).")
print(f"Load: wrk, {connections} connections, 2 threads, {duration} per row; ids drawn at random over the whole "
      "range, or from a fixed hot set of 1,000 ids. Command: `scripts/bench-load.sh`.")
print(f"Reference measured in the same run: nginx serving the styles answer as a static file "
      f"({ceiling['run'].split()[-2]} bytes) at {ceiling['rps']:,.0f} requests/s: the ceiling of this machine.")
print()
print("The `non-2xx` column counts 404s for ids that fall in the gaps left by rejected rows "
      "(0.1% of the range): correct answers, not failures.")
print()
print("| run | route | ids | requests/s | of nginx | p50 ms | p90 ms | p99 ms | max ms | socket errors | non-2xx |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    share = 100 * r["rps"] / ceiling["rps"]
    print(f"| {r['run']} | {r['route']} | {r['ids']} | {r['rps']:,.0f} | {share:.0f}% | {r['p50_ms']:.2f} | "
          f"{r['p90_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.1f} | {r['socket_errors']} | {r['non_2xx']} |")

try:
    import matplotlib
    matplotlib.use("svg")
    import matplotlib.pyplot as plt
except ImportError:
    print("\n(matplotlib is missing: no charts)")
    sys.exit(0)

runs = [r for r in rows if r["route"] != "static" and r["ids"] == "random"]
labels = [f"{r['run']}\n{r['route']}" for r in runs]
fig, ax = plt.subplots(figsize=(14, 5))
ax.bar(range(len(runs)), [r["rps"] for r in runs], color="#4477aa")
ax.axhline(ceiling["rps"], color="#cc3311", linestyle="--", label=f"nginx static ceiling ({ceiling['rps']:,.0f}/s)")
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
