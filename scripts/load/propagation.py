"""Measures how long a write through one instance takes to show on another.

  propagation.py WRITER_URL READER_URL TOKEN MAX_PRODUCT WRITES

For each write: the reader's GET /products/:id/styles of a random product is
read twice (so its response cache holds it), one of its SKUs is adjusted
through the writer, and the reader is asked every millisecond until its
answer shows the new quantity (a read shed with 503 by a loaded reader is
asked again, and counted). Prints one JSON line: the delays' p50, p99
and max in ms, and how many writes never showed within 5 s (a failure).
"""
import json
import random
import sys
import time
import urllib.request


shed = 0  # reads answered 503 (shed under a load beside) and asked again


def get_json(url):
    global shed
    while True:
        try:
            with urllib.request.urlopen(url) as answer:
                return json.load(answer)
        except urllib.error.HTTPError as err:
            if err.code != 503:
                raise
            shed += 1
            time.sleep(0.001)


def quantity(styles, sku):
    for style in styles["results"]:
        if sku in style["skus"]:
            return style["skus"][sku]["quantity"]
    return None


def main():
    writer, reader, token, max_product, writes = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    rng = random.Random(7)
    delays, unseen = [], 0
    while len(delays) + unseen < writes:
        product = rng.randint(1, max_product)
        url = f"{reader}/products/{product}/styles"
        try:
            get_json(url)
            styles = get_json(url)
        except urllib.error.HTTPError:
            continue  # a rejected product id: no such product
        skus = [sku for style in styles["results"] for sku, entry in style["skus"].items() if (entry.get("quantity") or 0) > 0]
        if not skus:
            continue
        sku = rng.choice(skus)
        before = quantity(styles, sku)
        request = urllib.request.Request(f"{writer}/skus/{sku}/adjustments", data=b'{"delta":-1}', method="POST",
                                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request) as answer:
            answer.read()
        written = time.monotonic()
        while True:
            now = quantity(get_json(url), sku)
            waited = time.monotonic() - written
            if now != before:
                delays.append(waited * 1000)
                break
            if waited > 5:
                unseen += 1
                break
            time.sleep(0.001)
    delays.sort()
    pick = lambda q: round(delays[min(len(delays) - 1, int(len(delays) * q))], 2)
    print(json.dumps({"kind": "propagation", "writes": writes, "seen": len(delays), "unseen": unseen,
                      "p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": round(delays[-1], 2), "shed_reads": shed}))
    if unseen:
        sys.exit(1)


if __name__ == "__main__":
    main()
