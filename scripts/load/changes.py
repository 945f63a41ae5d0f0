"""Reads the change log of a running service for the write harness.

  changes.py last URL TOKEN                      print the last seq (0 if none)
  changes.py check-hot URL TOKEN AFTER SKU START  check the hot run: the SKU's
      drop from START equals its number of sku.adjusted entries after AFTER,
      each taking one unit from a distinct quantity; exit 1 otherwise
"""
import json
import sys
import urllib.request


def page(url, token, after, limit=1000):
    request = urllib.request.Request(f"{url}/changes?after={after}&limit={limit}",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def entries(url, token, after):
    while True:
        body = page(url, token, after)
        if not body["changes"]:
            return
        yield from body["changes"]
        after = body["next"]


def main():
    command, url, token = sys.argv[1:4]
    if command == "last":
        last = 0
        for entry in entries(url, token, 0):
            last = entry["seq"]
        print(last)
        return
    after, sku, start = (int(value) for value in sys.argv[4:7])
    befores = []
    for entry in entries(url, token, after):
        if entry["kind"] == "sku.adjusted" and entry.get("sku_id") == sku:
            if entry["before"]["quantity"] - entry["after"]["quantity"] != 1:
                sys.exit(f"an entry took other than one unit: {entry}")
            befores.append(entry["before"]["quantity"])
    request = urllib.request.Request(f"{url}/skus/{sku}")
    with urllib.request.urlopen(request) as answer:
        now = json.load(answer)["quantity"]
    sold = start - now
    distinct = len(set(befores)) == len(befores)
    ok = sold == len(befores) and distinct
    print(json.dumps({"kind": "hot_check", "sku": sku, "sold": sold, "entries": len(befores),
                      "distinct_befores": distinct, "no_lost_update": ok}))
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
