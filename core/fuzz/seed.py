#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (corpus/<target>/) from the golden vectors in tests/.
Run once before a first fuzz run; `cargo fuzz cmin` then keeps the corpora small.
    python3 core/fuzz/seed.py   (needs target/debug/xmarks: cargo build -p xmarks-cli)"""
import hashlib, json, pathlib, subprocess, tempfile

root = pathlib.Path(__file__).resolve().parents[2]
tests = root / "tests"
corpus = pathlib.Path(__file__).resolve().parent / "corpus"
xmarks = root / "target" / "debug" / "xmarks"

def put(target, text):
    data = text.encode() if isinstance(text, str) else text
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)

hunts = json.loads((tests / "golden/hunts.json").read_text())
for c in hunts["cases"]:
    put("template_hunt", json.dumps(c["template"]))
for f in (tests / "golden/hunts").glob("*.json"):
    put("canonical", f.read_text().strip())
put("template_hunt", (root / "examples/harbour.json").read_text())

sessions = json.loads((tests / "golden/sessions.json").read_text())
put("rules", (root / "core/data/rules.default.json").read_text())
for c in sessions["cases"]:
    if c["rules"] is not None:
        put("rules", json.dumps(c["rules"]))
    for e in c["events"][:3]:
        put("canonical", json.dumps(e))
for case in json.loads((tests / "jsonlogic/tests.json").read_text()):
    if isinstance(case, list):
        put("rules", json.dumps(case[0]) + "\n" + json.dumps(case[1]))
for case in json.loads((tests / "jsonlogic/current.json").read_text()):
    if isinstance(case, dict):
        put("rules", json.dumps(case["rule"]) + "\n" + json.dumps(case["data"]))
# A ruleset whose condition and effects raise (rule errors, effects rolled back).
put("rules", json.dumps({"id": "raising", "rules": [
    {"id": "bad-when", "on": ["dig"], "when": {"<": [{"var": "event.x"}, "north"]}, "then": [{"add_points": 1}]},
    {"id": "half", "on": ["dig", "move"], "then": [{"add_points": 5}, {"give_item": "map"},
                                                    {"add_points": {"-": [{"var": "event.bearing"}]}}]},
    {"id": "caught", "on": ["dig"], "then": [{"add_points": {"try": [{"/": [10, {"val": ["session", "digs"]}]}, 3]}}]}]}))

# Imports: the first rows and features of the test worlds (small inputs fuzz faster).
put("import", "\n".join((tests / "worlds/harbour.csv").read_text().splitlines()[:12]))
geo = json.loads((tests / "worlds/old-town.geojson").read_text())
geo["features"] = geo["features"][:6]
put("import", json.dumps(geo))

# Logs: the scripted player on two golden hunts, written by the CLI.
with tempfile.TemporaryDirectory() as tmp:
    for i, c in enumerate(hunts["cases"][:2]):
        tpl = pathlib.Path(tmp) / "t.json"
        tpl.write_text(json.dumps(c["template"]))
        p = c["player"]
        hunt = subprocess.run([xmarks, "hunt", "--seed", str(c["world"]["procedural"]["seed"]), "-t", tpl,
                               "--player", p["id"], f"--start={p['start']['x']},{p['start']['y']}",
                               "--level", str(p.get("level", 1))], check=True, capture_output=True, text=True).stdout
        h = pathlib.Path(tmp) / "h.json"
        h.write_text(hunt)
        log = pathlib.Path(tmp) / "log.jsonl"
        subprocess.run([xmarks, "play", h, "--walk", "--log", log], check=True, capture_output=True)
        lines = log.read_text().splitlines()
        put("replay", "\n".join(lines[:40]))
