"""What the write checks share: a keep-alive HTTP client, the database's
truth read with psql, and the ledger check of acknowledged adjustments
against the change log (scripts/load/fleet_check.py, the fault suite).

Every adjustment a check sends carries its own key as its `reason`, so its
change-log entries can be found: a key sent with `Idempotency-Key` starts
with `k-`, one sent without it with `n-`.

  ledger.py write URL TOKEN DATABASE_URL SECONDS
      two writers sell and restock random SKUs of the first 40 products for
      SECONDS, each adjustment with its key, retried with the same key until
      it is acknowledged (a 2xx or 4xx; at most 30 s); then the ledger check.
      Prints one JSON line; exits 1 when a check failed.
"""
import http.client
import json
import random
import subprocess
import sys
import threading
import time
import urllib.parse


class Client:
    """One keep-alive HTTP connection to a base URL, reopened after an error.

    A request that fails on a reused idle connection before any byte of an
    answer came (the server closed the connection as it was sent: nginx's old
    workers close idle connections when it reloads) is sent once more on a
    new connection, as browsers and HTTP client libraries do (RFC 9112,
    9.3.1): the server never read it. Such resends are counted.
    """

    resends = 0
    lock = threading.Lock()

    def __init__(self, base):
        self.host = urllib.parse.urlsplit(base).netloc
        self.connection = None
        self.reused = False

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body) or raises OSError / http.client errors."""
        try:
            return self.once(method, path, body, headers)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            if not self.reused_when_failed:
                raise
            with Client.lock:
                Client.resends += 1
            return self.once(method, path, body, headers)

    def once(self, method, path, body, headers):
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, timeout=15)
            self.reused = False
        self.reused_when_failed = self.reused
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            answer = self.connection.getresponse()
            data = answer.read()
            self.reused = True
            if answer.getheader("connection", "").lower() == "close":
                self.close()
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, data
        except Exception:
            self.close()
            raise

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def psql(url, sql):
    return subprocess.run(["psql", url, "-tAXc", sql], check=True, capture_output=True, text=True).stdout


def quantities(url, skus):
    rows = psql(url, f"SELECT id, quantity FROM catalog.skus WHERE id IN ({','.join(map(str, skus))})")
    return {int(sku): int(q) for sku, q in (line.split("|") for line in rows.split())}


def adjust(client, token, sku, delta, key):
    """POSTs one adjustment with `key` as its reason (and Idempotency-Key for a `k-` key)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key.startswith("k-"):
        headers["Idempotency-Key"] = key
    return client.request("POST", f"/skus/{sku}/adjustments", json.dumps({"delta": delta, "reason": key}), headers)


def check(primary, start_seq, acked, keyless, skus, start_quantities):
    """The ledger check: (applied keys, checks) for `acked` (key -> (sku,
    delta, status, body), or None when never acknowledged) and `keyless`
    (key -> status or None) against the change log after `start_seq` and
    the quantities of `skus` now."""
    log = psql(primary, f"SELECT reason, kind, sku_id, (after->>'quantity')::int - (before->>'quantity')::int "
                        f"FROM catalog_meta.changes WHERE seq > {start_seq} ORDER BY seq")
    by_reason, moved = {}, {}
    for line in log.split("\n"):
        if not line:
            continue
        reason, kind, sku, change = line.split("|")
        if kind == "sku.adjusted":
            by_reason.setdefault(reason, []).append(int(change))
            moved[int(sku)] = moved.get(int(sku), 0) + int(change)
    applied = {key: value for key, value in acked.items() if value is not None and value[2] == 200}
    final = quantities(primary, skus)
    checks = {
        "every_keyed_adjustment_acknowledged": all(value is not None for value in acked.values()),
        "each_acknowledged_adjustment_in_the_log_exactly_once": all(
            by_reason.get(key) == [delta] for key, (_, delta, _, _) in applied.items()),
        "no_unacknowledged_or_refused_key_in_the_log": all(
            reason in applied or reason.startswith("n-") for reason in by_reason),
        "no_keyless_adjustment_applied_twice": all(
            len(by_reason.get(reason, [])) <= 1 and (status != 200 or len(by_reason.get(reason, [])) == 1)
            for reason, status in keyless.items()),
        "log_reconciles_with_quantities": all(
            final[sku] == start_quantities[sku] + moved.get(sku, 0) for sku in skus),
    }
    return applied, checks


def keyed_writer(url, token, skus, run, number, stop, acked, lock):
    """Adjusts random SKUs until `stop`, each with its own key, retried
    with that key until acknowledged; records each in `acked`."""
    rng, client, n = random.Random(number), Client(url), 0
    while not stop.is_set():
        n += 1
        sku, delta, key = rng.choice(skus), rng.choice([1, 1, 2, -1]), f"k-{run}-{number}-{n}"
        deadline, answer = time.monotonic() + 30, None
        while answer is None and time.monotonic() < deadline:
            try:
                status, _, body = adjust(client, token, sku, delta, key)
                if status < 500:
                    answer = (sku, delta, status, body)
            except Exception:  # a dropped connection: unacknowledged
                pass
            if answer is None:
                time.sleep(0.05)
        with lock:
            acked[key] = answer


def sold_skus(primary, products):
    """The SKUs of products 1..`products`."""
    rows = psql(primary, "SELECT k.id FROM catalog.skus k JOIN catalog.styles s ON s.id = k.style_id "
                         f"WHERE s.product_id <= {products}")
    return [int(line) for line in rows.split()]


def main():
    command, url, token, primary, seconds = sys.argv[1:6]
    if command != "write":
        sys.exit(f"unknown command {command}")
    skus = sold_skus(primary, 40)
    start_quantities = quantities(primary, skus)
    start_seq = int(psql(primary, "SELECT coalesce(max(seq), 0) FROM catalog_meta.changes"))
    run, stop, acked, lock = f"{time.time_ns():x}", threading.Event(), {}, threading.Lock()
    writers = [threading.Thread(target=keyed_writer, args=(url, token, skus, run, n, stop, acked, lock)) for n in range(2)]
    for writer in writers:
        writer.start()
    time.sleep(float(seconds))
    stop.set()
    for writer in writers:
        writer.join()
    applied, checks = check(primary, start_seq, acked, {}, skus, start_quantities)
    print(json.dumps({"adjustments": len(acked), "applied": len(applied),
                      "refused": sum(1 for v in acked.values() if v is not None and v[2] != 200),
                      "checks": checks}))
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
