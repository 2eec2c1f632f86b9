"""Makes the imported-world fixtures used by the golden vectors (run once; the outputs are committed
and are the source of truth: rerunning with another Python may change them, and that is fine only
together with regenerated golden vectors and a generator version bump).

    python3 tests/worlds/make.py
"""
import json
import random
from pathlib import Path

here = Path(__file__).parent
rng = random.Random(20261123)

kinds = ["well", "fountain", "statue", "church", "museum", "bench", "tree", "ruins", "viewpoint", "lighthouse"]
words = ["North", "Old", "Market", "Harbour", "Saint", "Green", "Mill", "Bridge", "Castle", "River"]
rows = ["id,x,y,kind,name,weight"]
for i in range(4000):
    kind = rng.choice(kinds)
    x = round(rng.uniform(-3000, 3000), 2)
    y = round(rng.uniform(-3000, 3000), 2)
    name = f"{rng.choice(words)} {kind.capitalize()} {i}"
    weight = round(rng.uniform(0.5, 3.0), 2)
    rows.append(f"poi-{i:05d},{x},{y},{kind},{name},{weight}")
(here / "harbour.csv").write_text("\n".join(rows) + "\n")

features = []
amenities = ["fountain", "drinking_water", "bench", "place_of_worship", "museum", "artwork", "memorial"]
for i in range(800):
    lon = round(2.3522 + rng.uniform(-0.02, 0.02), 6)
    lat = round(48.8566 + rng.uniform(-0.013, 0.013), 6)
    props = {"amenity": rng.choice(amenities), "name": f"Lieu {i}"}
    if i % 3 == 0:
        props["weight"] = round(rng.uniform(0.5, 2.0), 2)
    features.append({"type": "Feature", "id": f"node/{100000 + i}", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props})
(here / "old-town.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}, indent=0) + "\n")
