"""Writes request paths of the mixed profile for oha's --urls-from-file, one per line.

Usage: python3 scripts/load/urls.py BASE_URL MAX_ID COUNT > urls.txt
The same mix as profile.lua: 10% list (random deep page), 30% product,
45% styles, 15% related; ids drawn at random over 1..MAX_ID (seeded, so runs
replay the same requests).
"""
import random
import sys

base, max_id, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(7)
for _ in range(count):
    r = rng.randint(1, 100)
    product = rng.randint(1, max_id)
    if r <= 10:
        print(f"{base}/products?page={rng.randint(1, max_id // 5)}&count=5")
    elif r <= 40:
        print(f"{base}/products/{product}")
    elif r <= 85:
        print(f"{base}/products/{product}/styles")
    else:
        print(f"{base}/products/{product}/related")
