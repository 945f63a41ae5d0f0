"""Turns scripts/bench-scale.sh's results.jsonl into a Markdown report and a chart.

Usage: python3 scripts/load/scale_report.py RESULTS.jsonl PRODUCTS DURATION CONNECTIONS > README.md
Each row is one wrk run on the mixed profile (or the static file), labelled
with its setup, its number of instances and whether nginx's cache was on.
"""
import json
import os
import platform
import statistics
import subprocess
import sys

results_path, products, duration, connections = sys.argv[1:5]
rows = [json.loads(line) for line in open(results_path) if line.strip()]
out_dir = os.path.dirname(results_path)
ceilings = [r for r in rows if r["route"] == "static"]
ceiling_rps = statistics.median(r["rps"] for r in ceilings)
direct = {r["ids"]: r for r in rows if r["run"] == "1 instance, direct"}


def memory_gib():
    return subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.split("\n")[1].split()[1]


def find(instances, cache, ids):
    return next((r for r in rows if r["instances"] == instances and r["cache"] == cache and r["ids"] == ids
                 and "behind nginx" in r["run"] and "killed" not in r["run"]), None)


print("# Scale-out: instances behind nginx, with and without its cache")
print()
print(f"Machine: {os.cpu_count()} cores, {memory_gib()} GiB, shared by nginx, every instance, PostgreSQL and the load "
      f"tool ({platform.node()}). Catalog: {int(products):,} products in PostgreSQL (generated, seed 1, 0.1% dirty "
      "lines), prewarmed into shared_buffers.")
print(f"Load: wrk, {connections} connections, 2 threads, {duration} per row, the mixed profile (10% list, 30% product, "
      "45% styles, 15% related); ids at random over the whole range, or from a fixed hot set of 1,000 ids. Each "
      "configuration is warmed for 3 s first (hot set). The instances' own response cache is off (`--cache-mb 0`), so "
      "the cache rows measure nginx's cache alone. Command: `scripts/bench-scale.sh` "
      "(nginx configuration: `deploy/nginx/catalog.conf.template`, started by `scripts/scale-out.sh`).")
print(f"References in the same run: one instance reached directly (no nginx), and nginx serving a styles answer as a "
      f"static file: {', '.join(format(r['rps'], ',.0f') for r in ceilings)} requests/s (median {ceiling_rps:,.0f}).")
print()
print("| setup | ids | requests/s | of direct | of static nginx | p50 ms | p90 ms | p99 ms | max ms | socket errors | non-2xx | 5xx |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    base = direct.get(r["ids"])
    of_direct = f"{r['rps'] / base['rps']:.2f}×" if base and r["route"] != "static" else ""
    print(f"| {r['run']} | {r['ids'] if r['route'] != 'static' else 'static file'} | {r['rps']:,.0f} | {of_direct} | "
          f"{100 * r['rps'] / ceiling_rps:.0f}% | {r['p50_ms']:.2f} | {r['p90_ms']:.2f} | {r['p99_ms']:.2f} | "
          f"{r['max_ms']:.1f} | {r['socket_errors']} | {r['non_2xx']} | {r.get('server_errors', '')} |")
print()
print()
print("The non-2xx column counts 404s for ids in the gaps left by rejected rows (0.1% of the range): correct answers. "
      "In the failover row the 5xx column counts server errors apart (it costs wrk a callback per answer, so only "
      "that row has it): a request lost with the killed instance would be a 502 or 504 there, or a socket error.")

one_off, one_on = find(1, "off", "random"), find(1, "on", "hot 1000")
if one_off and one_on and "random" in direct and "hot 1000" in direct:
    print()
    print("## Reading it")
    print()
    print(f"- **nginx in front costs throughput on one machine**: one instance behind nginx (cache off) served "
          f"{one_off['rps'] / direct['random']['rps']:.2f}× what it served directly, because nginx's work (parse, "
          "proxy, a second connection) runs on the same 2 cores as the instance, PostgreSQL and wrk. On separate "
          "machines, as in production, nginx adds a hop of latency, not a share of the instance's CPU.")
    print("- **More instances add no capacity here**: every instance shares the same 2 cores, so 2 and 4 instances "
          "serve what 1 does, less their overhead (more processes, more PostgreSQL connections). The rows show the "
          "configuration works and what it costs; capacity comes from instances on their own cores (the CPU per "
          "request below, and [docs/deploy.md](../../deploy.md)).")
    print(f"- **nginx's cache pays on a hot set**: {one_on['rps']:,.0f} requests/s with one instance "
          f"({one_on['rps'] / direct['hot 1000']['rps']:.1f}× the instance alone on the same ids); the 10% of "
          "list requests at random pages still miss. On ids at random over 1M products it is overhead (a cache "
          "write per miss, almost no hits), and on this virtual machine's disk rather than tmpfs more so.")
    print("- **The 500 ms maxima with the cache on** are `proxy_cache_lock`: requests waiting for the one request "
          "that fills an entry are woken by a 500 ms timer in nginx. They touch only concurrent misses of one key "
          "(below the p99 in every row); the lock is what keeps a burst on a cold key from reaching the instances.")
    killed = next((r for r in rows if "killed" in r["run"]), None)
    if killed:
        print(f"- **Failover**: with one of four instances killed (SIGKILL) under load, {killed['requests']:,} requests, "
              f"{killed.get('server_errors', 'uncounted')} server errors and {killed['socket_errors']} socket "
              "errors: nginx retried what the dead instance dropped on the others.")

if any("cpu_service_s" in r for r in rows):
    print()
    print("## CPU per request")
    print()
    print("CPU time (user + system, from /proc) used during each row by the instances, PostgreSQL and nginx, per "
          "1,000 requests answered: the cost of a request on each tier, the input of the capacity arithmetic in "
          "[docs/deploy.md](../../deploy.md). On this machine all of them and wrk share 2 cores.")
    print()
    print("| setup | ids | instances ms / 1k | PostgreSQL ms / 1k | nginx ms / 1k |")
    print("|---|---|---:|---:|---:|")
    for r in rows:
        if "cpu_service_s" not in r or r["route"] == "static" or "killed" in r["run"]:
            continue
        per_k = lambda seconds: f"{1000 * 1000 * seconds / r['requests']:.0f}"
        print(f"| {r['run']} | {r['ids']} | {per_k(r['cpu_service_s'])} | {per_k(r['cpu_pg_s'])} | "
              f"{per_k(r['cpu_nginx_s']) if r['instances'] and 'direct' not in r['run'] else ''} |")
try:
    import matplotlib
    matplotlib.use("svg")
    import matplotlib.pyplot as plt
except ImportError:
    print("\n(matplotlib is missing: no chart)")
    sys.exit(0)

counts = sorted({r["instances"] for r in rows if "behind nginx" in r["run"] and "killed" not in r["run"]})
series = [("off", "random", "#4477aa", "cache off, random ids"), ("off", "hot 1000", "#66ccee", "cache off, hot 1,000"),
          ("on", "random", "#228833", "cache on, random ids"), ("on", "hot 1000", "#ccbb44", "cache on, hot 1,000")]
fig, ax = plt.subplots(figsize=(10, 5))
width = 0.2
for k, (cache, ids, color, label) in enumerate(series):
    values = [(find(n, cache, ids) or {"rps": 0})["rps"] for n in counts]
    ax.bar([i + (k - 1.5) * width for i in range(len(counts))], values, width, color=color, label=label)
ax.axhline(ceiling_rps, color="#cc3311", linestyle="--", label=f"nginx static file ({ceiling_rps:,.0f}/s)")
if "random" in direct:
    ax.axhline(direct["random"]["rps"], color="#555555", linestyle=":",
               label=f"1 instance direct, random ids ({direct['random']['rps']:,.0f}/s)")
ax.set_xticks(range(len(counts)), [f"{n} instance{'s' if n > 1 else ''}" for n in counts])
ax.set_ylabel("requests/s")
ax.set_title(f"Mixed profile behind nginx, {connections} connections, {int(products):,} products, {os.cpu_count()} cores")
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(os.path.join(out_dir, "instances.svg"))
print()
print("![requests per second by instance count](instances.svg)")
