"""Reference geodesics from GeographicLib (Karney's algorithms), for xmarks' geodesy tests.

    pip install geographiclib==2.1 && python3 tests/geodesy/make.py > tests/geodesy/geographiclib.csv

Writes one pair a line: `kind,lat1,lon1,lat2,lon2,s12,azi1` (degrees, metres), with inputs rounded to
1e-6 degrees so the file is short. Kinds: `short` (under 50 km, |lat| <= 85), `antimeridian`,
`equator`, `polar` (beyond 60 north or south), `long` (any distance), `antipodal` (nearly so),
`pole` (one end at a pole: azimuths there depend on convention, compare distances only).
The seed is fixed, so the file is reproducible.
"""
import math
import random

from geographiclib.geodesic import Geodesic

G = Geodesic.WGS84
rng = random.Random(20261202)


def r6(v):
    return round(v, 6)


def lon_norm(v):
    v = math.fmod(v + 180.0, 360.0)
    if v < 0:
        v += 360.0
    return v - 180.0


def short_from(lat1, lon1, max_m=50_000.0, max_lat=85.0):
    """A second point under max_m from the first (by GeographicLib's direct problem)."""
    while True:
        s = rng.choice([rng.uniform(1.0, 100.0), rng.uniform(100.0, 5_000.0), rng.uniform(5_000.0, max_m)])
        d = G.Direct(lat1, lon1, rng.uniform(-180, 180), s)
        lat2, lon2 = r6(d["lat2"]), r6(lon_norm(d["lon2"]))
        if abs(lat2) <= max_lat:
            return lat2, lon2


rows = []


def add(kind, lat1, lon1, lat2, lon2):
    inv = G.Inverse(lat1, lon1, lat2, lon2)
    rows.append((kind, lat1, lon1, lat2, lon2, inv["s12"], inv["azi1"]))


for _ in range(5000):
    lat1, lon1 = r6(rng.uniform(-85, 85)), r6(rng.uniform(-180, 180))
    add("short", lat1, lon1, *short_from(lat1, lon1))
for _ in range(1500):
    lat1, lon1 = r6(rng.uniform(-85, 85)), r6(rng.choice([-1, 1]) * rng.uniform(179.5, 180.0))
    lat2, lon2 = short_from(lat1, lon1)
    add("antimeridian", lat1, lon1, lat2, lon2)
for _ in range(1000):
    lat1, lon1 = r6(rng.uniform(-0.2, 0.2)), r6(rng.uniform(-180, 180))
    lat2, lon2 = short_from(lat1, lon1)
    add("equator", lat1, lon1, lat2, lon2)
for _ in range(2000):
    lat1 = r6(rng.choice([-1, 1]) * rng.uniform(60, 85))
    lon1 = r6(rng.uniform(-180, 180))
    add("polar", lat1, lon1, *short_from(lat1, lon1))
for _ in range(3000):
    add("long", r6(rng.uniform(-90, 90)), r6(rng.uniform(-180, 180)), r6(rng.uniform(-90, 90)), r6(rng.uniform(-180, 180)))
for _ in range(500):
    lat1, lon1 = r6(rng.uniform(-60, 60)), r6(rng.uniform(-180, 180))
    lat2 = r6(-lat1 + rng.uniform(-1, 1))
    lon2 = r6(lon_norm(lon1 + 180 + rng.uniform(-1, 1)))
    add("antipodal", lat1, lon1, lat2, lon2)
for _ in range(200):
    add("pole", rng.choice([-90.0, 90.0]), r6(rng.uniform(-180, 180)), r6(rng.uniform(-89, 89)), r6(rng.uniform(-180, 180)))

print("kind,lat1,lon1,lat2,lon2,s12,azi1")
for kind, lat1, lon1, lat2, lon2, s12, azi1 in rows:
    print(f"{kind},{lat1!r},{lon1!r},{lat2!r},{lon2!r},{s12:.4f},{azi1:.9f}")
