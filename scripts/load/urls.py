"""Writes request paths of the mixed profile for oha's --urls-from-file, one per line.

Usage: python3 scripts/load/urls.py BASE_URL MAX_ID COUNT > urls.txt
The routes, URL shapes and weights are those of scripts/load/routes.txt, as
profile.lua reads them; ids drawn at random over 1..MAX_ID (seeded, so runs
replay the same requests).
"""
import os
import random
import sys

base, max_id, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
routes_file = os.environ.get("ROUTES_FILE", os.path.join(os.path.dirname(__file__), "routes.txt"))
mix = []
for line in open(routes_file):
    fields = line.split()
    if len(fields) == 3 and not line.startswith("#"):
        mix.append((fields[0], int(fields[1]), fields[2]))
rng = random.Random(7)
for _ in range(count):
    _, _, template = rng.choices(mix, weights=[weight for _, weight, _ in mix])[0]
    path = template.replace("{page}", str(rng.randint(1, max_id // 5))).replace("{id}", str(rng.randint(1, max_id)))
    print(f"{base}{path}")
