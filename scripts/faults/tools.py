"""Measuring tools of the fault suite (scripts/faults.sh), Python 3.11 stdlib only.

  probe URL OUT [--every-ms 50] [--timeout-s 15]
      An open-loop prober: one GET every --every-ms, each on its own thread and
      its own connection (so a stalled answer never delays the next request),
      until SIGTERM. Writes one line per request to OUT: send time, end time
      (Unix seconds), status (0: no answer: refused, reset or timed out).
  stats OUT [--from T] [--to T] [--after T]
      One JSON object about the requests of OUT sent in [from, to): counts by
      status, latency p50/p99/max of all answers and of 200s alone, and with
      --after T, `first_200_s`: how long after T the first 200 ended.
  slow HOST PORT N SECONDS OUT
      Slow clients: N connections, 80% sending half a request head, 10%
      trickling one byte of a head every 3 s, 10% sending nothing; held for
      SECONDS. Writes a JSON object to OUT: how many opened, how many the
      server closed and when (median and max seconds after opening).
  timed OUT CPU_OUT CMD...
      Runs CMD with its stdout into OUT, then writes `{"cpu_s", "wall_s"}`
      (CMD's user and system CPU time and its wall time) to CPU_OUT.
  peak WRK_JSON...
      The highest goodput (answers that are not 5xx, per second) of wrk's
      JSON lines (scripts/load/profile.lua), rounded.
  oha OHA_JSON CPU_JSON
      One JSON object from oha's JSON output and `timed`'s: answers per
      second, answers that are not 5xx per second (goodput), 503s, other 5xx,
      errors (requests oha cut at the end of the run not counted), latency
      p50/p99 of all answers (oha's, not latency-corrected) and oha's CPU
      share of one core.
  holdpg HOST PORT DB USER OUT
      Takes every free PostgreSQL connection slot (the startup protocol, trust
      authentication) and keeps taking freed ones until SIGTERM. Writes
      `{"held": N, "refusal": "..."}` to OUT once full, then closes them all
      on SIGTERM.
"""
import argparse
import asyncio
import json
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.client import HTTPConnection


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q / 100 * len(values)))]


def ms(seconds):
    return None if seconds is None else round(seconds * 1000, 1)


# --- probe -------------------------------------------------------------------

def probe(args):
    url = urllib.parse.urlsplit(args.url)
    path = url.path + (f"?{url.query}" if url.query else "")
    out = open(args.out, "a", buffering=1)
    lock = threading.Lock()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def one():
        sent = time.time()
        status = 0
        try:
            conn = HTTPConnection(url.hostname, url.port, timeout=args.timeout_s)
            conn.request("GET", path, headers={"Connection": "close"})
            response = conn.getresponse()
            response.read()
            status = response.status
            conn.close()
        except Exception:
            pass
        with lock:
            out.write(f"{sent:.6f} {time.time():.6f} {status}\n")

    every = args.every_ms / 1000
    next_at = time.time()
    while not stop.is_set():
        threading.Thread(target=one, daemon=True).start()
        next_at += every
        stop.wait(max(0, next_at - time.time()))
    deadline = time.time() + args.timeout_s + 1
    for thread in threading.enumerate():
        if thread is not threading.current_thread():
            thread.join(max(0, deadline - time.time()))


def stats(args):
    rows = []
    for line in open(args.out):
        sent, ended, status = line.split()
        rows.append((float(sent), float(ended), int(status)))
    lo = args.__dict__["from"] or float("-inf")
    hi = args.to or float("inf")
    chosen = [r for r in rows if lo <= r[0] < hi]
    statuses = {}
    for _, _, status in chosen:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    answered = [e - s for s, e, st in chosen if st != 0]
    ok = [e - s for s, e, st in chosen if st == 200]
    result = {
        "requests": len(chosen),
        "statuses": statuses,
        "non_200": sum(1 for r in chosen if r[2] != 200),
        "p50_ms": ms(percentile(answered, 50)),
        "p99_ms": ms(percentile(answered, 99)),
        "max_ms": ms(max(answered) if answered else None),
        "ok_p99_ms": ms(percentile(ok, 99)),
    }
    if args.after is not None:
        firsts = [e for s, e, st in rows if st == 200 and e >= args.after and s >= lo]
        result["first_200_s"] = round(min(firsts) - args.after, 3) if firsts else None
    print(json.dumps(result))


# --- slow clients ----------------------------------------------------------------

HEAD = b"GET /products/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: faults-slow\r\nAccept: */*\r\n\r\n"


async def slow_client(kind, host, port, seconds, record, connect_limit):
    async with connect_limit:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
        except Exception:
            record["failed"] += 1
            return
    opened = time.monotonic()
    record["opened"] += 1

    async def feed():
        if kind == "half":
            writer.write(HEAD[: len(HEAD) // 2])
            await writer.drain()
        elif kind == "trickle":
            for byte in HEAD[:-2]:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(3)
        await asyncio.sleep(seconds)

    feeding = asyncio.ensure_future(feed())
    try:
        data = await asyncio.wait_for(reader.read(65536), seconds)
        # The server closed it (EOF), or answered (a 408, say) before closing.
        record["closed"] += 1
        record["closed_after_s"].append(time.monotonic() - opened)
        if data:
            record["answered"] += 1
    except asyncio.TimeoutError:
        record["still_open"] += 1
    except (ConnectionResetError, OSError):
        record["closed"] += 1
        record["closed_after_s"].append(time.monotonic() - opened)
    finally:
        feeding.cancel()
        writer.close()


async def slow_main(args):
    record = {"opened": 0, "failed": 0, "closed": 0, "answered": 0, "still_open": 0, "closed_after_s": []}
    limit = asyncio.Semaphore(200)
    kinds = ["half"] * 8 + ["trickle", "silent"]
    tasks = [
        slow_client(kinds[i % 10], args.host, args.port, args.seconds, record, limit)
        for i in range(args.n)
    ]
    await asyncio.gather(*tasks)
    closed = record.pop("closed_after_s")
    record["closed_median_s"] = round(percentile(closed, 50), 2) if closed else None
    record["closed_max_s"] = round(max(closed), 2) if closed else None
    json.dump(record, open(args.out, "w"))


# --- PostgreSQL connection slots ------------------------------------------------

def pg_connect(host, port, db, user):
    """A trust-authenticated connection; (socket, backend pid) or raises with the server's message."""
    sock = socket.create_connection((host, port), timeout=5)
    params = f"user\0{user}\0database\0{db}\0application_name\0faults-holdpg\0\0".encode()
    sock.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
    pid = None
    while True:
        kind, body = pg_message(sock)
        if kind == b"E":
            sock.close()
            raise ConnectionRefusedError(pg_error(body))
        if kind == b"K":
            pid = struct.unpack("!i", body[:4])[0]
        if kind == b"Z":
            return sock, pid


def pg_message(sock):
    header = recv_exact(sock, 5)
    length = struct.unpack("!i", header[1:])[0]
    return header[:1], recv_exact(sock, length - 4)


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionResetError("closed by the server")
        data += chunk
    return data


def pg_error(body):
    fields = dict((f[:1], f[1:].decode(errors="replace")) for f in body.split(b"\0") if f)
    return fields.get(b"M", "error")


def holdpg(args):
    held, refusal, reported = [], None, False
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.is_set():
        try:
            held.append(pg_connect(args.host, args.port, args.db, args.user))
            continue
        except ConnectionRefusedError as error:
            refusal = str(error)
        except OSError as error:
            refusal = str(error)
        if not reported:
            json.dump({"held": len(held), "refusal": refusal}, open(args.out, "w"))
            reported = True
        stop.wait(0.02)
    for sock, _ in held:
        try:
            sock.sendall(b"X\0\0\0\4")
            sock.close()
        except OSError:
            pass


# --- the open-loop driver ---------------------------------------------------------

def timed(args):
    import resource
    import subprocess
    started = time.monotonic()
    with open(args.out, "w") as out:
        subprocess.run(args.cmd, stdout=out, check=False)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(args.cpu_out, "w") as out:
        json.dump({"cpu_s": usage.ru_utime + usage.ru_stime, "wall_s": time.monotonic() - started}, out)


def wrk_goodput(line):
    return (line["requests"] - line["socket_errors"] - line["server_errors"]) / line["seconds"]


def peak(args):
    print(round(max(wrk_goodput(json.loads(line)) for line in args.lines)))


def oha_summary(args):
    report = json.load(open(args.oha_json))
    cpu = json.load(open(args.cpu_json))
    statuses = {int(k): v for k, v in report.get("statusCodeDistribution", {}).items()}
    seconds = report["summary"]["total"]
    answered = sum(statuses.values())
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    percentiles = report["latencyPercentiles"]
    print(json.dumps({
        "requests": answered,
        "seconds": round(seconds, 3),
        "answered_rps": round(answered / seconds),
        "good_rps": round((answered - server_errors) / seconds),
        "shed_503": statuses.get(503, 0),
        "server_errors": server_errors,
        "shed_share": round(statuses.get(503, 0) / max(1, answered), 3),
        # oha cuts the requests still in flight when the run ends: not the server's failures.
        "errors": sum(n for error, n in report.get("errorDistribution", {}).items() if "deadline" not in error),
        "all_p50_ms": ms(percentiles.get("p50")),
        "all_p99_ms": ms(percentiles.get("p99")),
        "driver_cpu_share": round(cpu["cpu_s"] / cpu["wall_s"], 2),
    }))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("probe")
    p.add_argument("url")
    p.add_argument("out")
    p.add_argument("--every-ms", type=float, default=50)
    p.add_argument("--timeout-s", type=float, default=15)
    s = sub.add_parser("stats")
    s.add_argument("out")
    s.add_argument("--from", type=float)
    s.add_argument("--to", type=float)
    s.add_argument("--after", type=float)
    w = sub.add_parser("slow")
    w.add_argument("host")
    w.add_argument("port", type=int)
    w.add_argument("n", type=int)
    w.add_argument("seconds", type=float)
    w.add_argument("out")
    h = sub.add_parser("holdpg")
    h.add_argument("host")
    h.add_argument("port", type=int)
    h.add_argument("db")
    h.add_argument("user")
    h.add_argument("out")
    t = sub.add_parser("timed")
    t.add_argument("out")
    t.add_argument("cpu_out")
    t.add_argument("cmd", nargs=argparse.REMAINDER)
    o = sub.add_parser("oha")
    o.add_argument("oha_json")
    o.add_argument("cpu_json")
    k = sub.add_parser("peak")
    k.add_argument("lines", nargs="+")
    args = parser.parse_args()
    if args.command == "peak":
        peak(args)
    elif args.command == "timed":
        timed(args)
    elif args.command == "oha":
        oha_summary(args)
    elif args.command == "probe":
        probe(args)
    elif args.command == "stats":
        stats(args)
    elif args.command == "slow":
        asyncio.run(slow_main(args))
    else:
        holdpg(args)


if __name__ == "__main__":
    sys.exit(main())
