"""Makes tests/worlds/earth.csv, the Earth world of the golden vectors and the Earth tests: clusters
of sites where planar maps and naive lon/lat indexes break, as `id,lon,lat,kind,name,weight` rows.
Run once; the output is committed and is the source of truth (rerunning with another geographiclib
may move the last digits, and that is fine only with regenerated golden vectors and a version bump).

    pip install geographiclib==2.1 && python3 tests/worlds/make_earth.py

Clusters (centre lon, lat; radius; sites): Taveuni on the antimeridian, Reykjavik and Longyearbyen
beyond 60 degrees north, McMurdo beyond 60 south, Pontianak on the equator, and a dense Tokyo
(sites four times denser at its centre than at its edge).
"""
import math
import random
from pathlib import Path

from geographiclib.geodesic import Geodesic

G = Geodesic.WGS84
rng = random.Random(20261203)
here = Path(__file__).parent

clusters = [
    ("taveuni", 180.0, -16.80, 4000, 400),
    ("reykjavik", -21.94, 64.146, 4000, 400),
    ("longyearbyen", 15.63, 78.223, 3000, 300),
    ("mcmurdo", 166.668, -77.846, 3000, 300),
    ("pontianak", 109.322, 0.0, 4000, 400),
    ("tokyo", 139.767, 35.681, 3000, 4000),
]
kinds = ["shrine", "fountain", "statue", "museum", "viewpoint", "well", "tree", "bench", "bridge", "lighthouse"]
words = ["Old", "North", "Harbour", "Green", "Stone", "Iron", "River", "Hill", "Market", "Crown"]


def wrap(lon):
    lon = math.fmod(lon + 180.0, 360.0)
    return (lon + 360.0 if lon < 0 else lon) - 180.0


rows = ["id,lon,lat,kind,name,weight"]
for name, lon, lat, radius, n in clusters:
    for i in range(n):
        # Tokyo: density falling off with the distance from the centre; elsewhere uniform in area.
        r = radius * (rng.random() if name == "tokyo" else math.sqrt(rng.random()))
        d = G.Direct(lat, lon, rng.uniform(-180, 180), r)
        kind = rng.choice(kinds)
        label = f"{rng.choice(words)} {kind.capitalize()} of {name.capitalize()} {i}"
        rows.append(f"{name}-{i:04d},{wrap(d['lon2']):.6f},{d['lat2']:.6f},{kind},{label},{rng.uniform(0.5, 3.0):.2f}")
(here / "earth.csv").write_text("\n".join(rows) + "\n")
print(f"wrote {len(rows) - 1} sites to {here / 'earth.csv'}")
