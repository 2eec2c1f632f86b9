#!/usr/bin/env python3
"""Writes catalogue.json: hostile inputs at every entry point and the code (and path) each must get.
Edit the cases here and run `python3 tests/bad-input/make.py`; the tests read the JSON."""
import json, pathlib

T = lambda **kw: json.dumps({"id": "t", "stages": 3, **kw})
P = lambda **kw: json.dumps({"id": "ann", "start": {"x": 0, "y": 0}, **kw})
R = lambda rules: json.dumps({"id": "r", "rules": rules})
E = lambda *events: json.dumps(list(events))
H = "id,x,y,kind,name,weight\n"
ok_rule = {"id": "a", "on": ["dig"], "then": [{"add_points": 1}]}
cases = []


def c(entry, name, inp, code, path=None, js=True, native=True):
    d = {"entry": entry, "name": name, "input": inp, "code": code}
    if path is not None:
        d["path"] = path
    if not js:
        d["js"] = False
    if not native:
        d["native"] = False
    cases.append(d)


def big(prefix, repeat, times, middle="", close="", tail=""):
    return {"prefix": prefix, "repeat": repeat, "times": times, "middle": middle, "close": close, "tail": tail}


# Templates, as hunt generation reads them: paths start at "template".
c("template", "malformed JSON", '{"id": "t", "stages": ', "template_invalid", "template.stages")
c("template", "truncated JSON", T()[:-5], "template_invalid", "template.$")
c("template", "not an object", "[1, 2, 3]", "template_invalid", "template.$")
c("template", "wrong type", T(stages="three"), "template_invalid", "template.stages")
c("template", "unknown field", T(stagse=3), "template_invalid", "template.stagse")
c("template", "zero stages", T(stages=0), "template_invalid", "template.stages")
c("template", "huge integer", json.dumps({"id": "t", "stages": 10**30}), "template_invalid", "template.stages")
c("template", "negative radius", T(search_radius=-1), "template_invalid", "template.search_radius")
c("template", "1e308 radius", T(search_radius=1e308), "template_invalid", "template.search_radius")
c("template", "number too large for f64", '{"id": "t", "stages": 3, "spacing": 1e999}', "template_invalid", "template.spacing")
c("template", "leg min above max", T(leg={"min": 500, "max": 100}), "template_invalid", "template.leg.max")
c("template", "empty id", json.dumps({"id": "", "stages": 3}), "template_invalid", "template.id")
c("template", "unknown clue style", T(clue_styles=["riddle"]), "template_invalid", "template.clue_styles[0]")
c("template", "difficulty 6", T(difficulty=6), "template_invalid", "template.difficulty")
c("template", "oversized", big('{"id": "t", "stages": 3, "kinds": [', '"well",', 60000, '"well"]}'), "template_invalid", "template.$")
c("template", "100,000 nesting levels", big('{"id": "t", "stages": 3, "x": ', "[", 100000, "1", "]", "}"), "template_invalid", "template.x")

# Players and seeds: read as JSON, then checked by generation.
c("player", "malformed JSON", '{"id": "ann", "start": ', "input_invalid", "player", js=False)
c("player", "missing start", json.dumps({"id": "ann"}), "input_invalid", "player")
c("player", "start as a string", P(start="0,0"), "input_invalid", "player")
c("player", "unknown field", P(name="Ann"), "input_invalid", "player")
c("player", "start far away", P(start={"x": 1e10, "y": 0}), "input_invalid", "player.start")
c("player", "start 1e308", P(start={"x": 1e308, "y": 0}), "input_invalid", "player.start")
c("player", "level 0", P(level=0), "input_invalid", "player.level")
c("player", "level past the limit", P(level=1001), "input_invalid", "player.level")
c("player", "negative level", P(level=-1), "input_invalid", "player")
c("player", "empty id", json.dumps({"id": "", "start": {"x": 0, "y": 0}}), "input_invalid", "player.id")
c("seeds", "past 2^53 - 1", json.dumps({"game": 2**53, "round": 1}), "input_invalid", "seeds.game")
c("seeds", "negative", json.dumps({"game": -1, "round": 1}), "input_invalid", "seeds")
c("seeds", "fractional", json.dumps({"game": 1.5, "round": 1}), "input_invalid", "seeds")
c("seeds", "missing round", json.dumps({"game": 1}), "input_invalid", "seeds")

# Rulesets.
c("ruleset", "malformed JSON", '{"id": "r", "rules": [', "rules_invalid", "rules")
c("ruleset", "unknown operator", R([{**ok_rule, "when": {"teleport": [1]}}]), "rules_invalid", "rules[0].when.teleport")
c("ruleset", "unknown effect", R([{**ok_rule, "then": [{"explode": 1}]}]), "rules_invalid", "rules[0].then[0].explode")
c("ruleset", "unknown event type", R([{**ok_rule, "on": ["fly"]}]), "rules_invalid", "rules[0].on[0]")
c("ruleset", "unknown field", R([{**ok_rule, "colour": "red"}]), "rules_invalid", "rules[0].colour")
c("ruleset", "duplicate rule ids", R([ok_rule, ok_rule]), "rules_invalid", "rules[1].id")
c("ruleset", "100,000 nesting levels",
  big('{"id": "r", "rules": [{"id": "a", "on": ["dig"], "then": [], "when": ', '{"!": ', 100000, "true", "}", "}]}"),
  "rules_invalid", "$")
c("ruleset", "oversized", big('{"id": "r", "rules": [], "x": "', "a", 600000, '"}'), "rules_invalid", "$")

# Bare JsonLogic.
c("logic", "malformed JSON", '{"+": [1, ', "logic_invalid", "$", js=False)
c("logic", "unknown operator", json.dumps({"teleport": [1]}), "logic_invalid")
c("logic", "operator arguments not an array or value", json.dumps({"var": {"a": 1}}), "logic_invalid")
c("logic", "65 nesting levels", big("", '{"!": ', 65, "true", "}"), "logic_invalid")
c("logic", "val path of 10,000 segments", big('{"val": [', '"a", ', 10000, '"a"', "", "]}"), "logic_invalid", "val")
c("logic", "scope climb past the outermost data", json.dumps({"val": [[-1], "index"]}), "logic_invalid", "val[0]")
c("logic", "scope climb past the outermost iteration",
  json.dumps({"map": [[1], {"val": [[-3], "x"]}]}), "logic_invalid", "map[1].val[0]")
c("logic", "scope climb that is not a whole number", json.dumps({"val": [[0.5], "x"]}), "logic_invalid", "val[0]")
c("logic", "try of nothing", json.dumps({"try": []}), "logic_invalid", "try")
c("logic", "65 levels of try", big("", '{"try": [', 65, "1", "]}"), "logic_invalid")
c("logic", "throw of two values", json.dumps({"throw": ["a", "b"]}), "logic_invalid", "throw")
c("logic", "preserve around 65 levels", big('{"preserve": ', "[", 65, "1", "]", "}"), "logic_invalid")
c("logic", "preserve around 10,001 values", big('{"preserve": [', "0, ", 10000, "0", "", "]}"), "logic_invalid")

# Events on a fresh session: every event but the last must be accepted, the last refused with the code.
c("events", "unknown type", E({"type": "fly", "t": 1000}), "malformed")
c("events", "field of another type", E({"type": "tick", "t": 1000, "x": 1}), "malformed")
c("events", "unknown field", E({"type": "tick", "t": 1000, "speed": 1}), "malformed")
c("events", "wrong type", E({"type": "move", "t": 1000, "x": "0", "y": 0}), "malformed")
c("events", "negative time", E({"type": "tick", "t": -5}), "malformed")
c("events", "time past 2^53 - 1", E({"type": "tick", "t": 2**53}), "invalid", "t")
c("events", "1e308 position", E({"type": "move", "t": 1000, "x": 1e308, "y": 0}), "invalid")
c("events", "-0.0 is a position like 0", E({"type": "move", "t": 1000, "x": -0.0, "y": 0}, {"type": "dig", "t": 2000, "x": 100, "y": 100}), "dig_away")
c("events", "teleport", E({"type": "move", "t": 1000, "x": 50000, "y": 0}), "too_fast")
c("events", "out of order", E({"type": "tick", "t": 5000}, {"type": "tick", "t": 4000}), "time_reversed")
c("events", "duplicate", E({"type": "tick", "t": 5000}, {"type": "tick", "t": 5000}), "duplicate")
c("events", "dig away from the player", E({"type": "dig", "t": 1000, "x": 100, "y": 100}), "dig_away")
c("events", "unknown stage", E({"type": "answer", "t": 1000, "stage": 99, "answer": "x"}), "unknown_stage")
c("events", "item not held", E({"type": "use", "t": 1000, "item": "lantern"}), "unknown_item")
c("events", "forged claim", E({"type": "claim_result", "t": 1000, "claim": "1:crown", "granted": True}), "unknown_claim")
c("events", "empty answer", E({"type": "answer", "t": 1000, "stage": 1, "answer": ""}), "invalid", "answer")
c("events", "oversized", E({"type": "use", "t": 1000, "item": "a" * 5000}), "malformed")
c("events", "an event naming a member, in one player's session", E({"type": "tick", "t": 1000, "member": "ann"}), "invalid", "member")

# Teams: a team's hunt (template {"id": "t", "stages": 3, "max_team": 4}), then events on a fresh
# session of the team ann and bob. Two members digging up one stage at one instant (already_found)
# needs the stage's site: core/tests/teams.rs, server/tests/teams.rs and the golden team vectors.
TM = lambda members, **kw: json.dumps({"id": "red", "start": {"x": 0, "y": 0}, "members": [{"id": m} for m in members], **kw})
c("team", "malformed JSON", '{"id": "red", "members": [', "input_invalid", "team", js=False)
c("team", "unknown field", TM(["ann", "bob"], colour="red"), "input_invalid", "team")
c("team", "one member", TM(["ann"]), "input_invalid", "team.members")
c("team", "over the template's limit", TM(["a", "b", "c", "d", "e"]), "input_invalid", "team.members")
c("team", "65 members", TM([f"p{i}" for i in range(65)]), "input_invalid", "team.members")
c("team", "a member twice", TM(["ann", "ann"]), "input_invalid", "team.members[1].id")
c("team", "a member id past 128 bytes", TM(["a" * 129, "bob"]), "input_invalid", "team.members[0].id")
c("team", "a member of level 0", json.dumps({"id": "red", "start": {"x": 0, "y": 0}, "members": [{"id": "ann", "level": 0}, {"id": "bob"}]}), "input_invalid", "team.members[0].level")
c("team", "an empty team id", json.dumps({"id": "", "start": {"x": 0, "y": 0}, "members": [{"id": "a"}, {"id": "b"}]}), "input_invalid", "team.id")
c("team", "a meeting point off the world", json.dumps({"id": "red", "start": {"x": 1e10, "y": 0}, "members": [{"id": "a"}, {"id": "b"}]}), "input_invalid", "team.start")
c("team_events", "a member not in the team", E({"type": "move", "t": 1000, "member": "eve", "x": 0, "y": 0}), "unknown_member")
c("team_events", "a player's event naming no member", E({"type": "move", "t": 1000, "x": 0, "y": 0}), "invalid", "member")
c("team_events", "a member that is not a name", E({"type": "tick", "t": 1000, "member": 7}), "malformed")
c("team_events", "one member's teleport", E({"type": "move", "t": 1000, "member": "ann", "x": 2, "y": 0}, {"type": "move", "t": 1000, "member": "bob", "x": 50000, "y": 0}), "too_fast")
c("team_events", "one member's clock going back", E({"type": "tick", "t": 5000, "member": "bob"}, {"type": "tick", "t": 6000, "member": "ann"}, {"type": "tick", "t": 4000, "member": "bob"}), "time_reversed")
c("team_events", "a dig where another member stands", E({"type": "move", "t": 10000, "member": "ann", "x": 20, "y": 0}, {"type": "dig", "t": 11000, "member": "bob", "x": 20, "y": 0}), "dig_away")

# Logs.
c("log", "empty", "", "log_invalid", "line 1")
c("log", "not JSON", "hello", "log_invalid", "line 1")
c("log", "wrong format version", json.dumps({"session": "xmarks-session/0", "hunt": {}, "rules": {}, "started_ms": 0}), "log_invalid", "line 1")
c("log", "a format from the future", json.dumps({"session": "xmarks-session/4", "hunt": {}, "rules": {}, "started_ms": 0}), "log_invalid", "line 1")
c("log", "a format named in capitals", json.dumps({"session": "XMARKS-SESSION/2", "hunt": {}, "rules": {}, "started_ms": 0}), "log_invalid", "line 1")

# CSV and GeoJSON imports.
c("csv", "no header", "a,1,2,well,Well,1\n", "import_format")
c("csv", "not a number", H + "a,abc,2,well,Well,1\n", "import_malformed", "line 2")
c("csv", "NaN", H + "a,NaN,2,well,Well,1\n", "import_malformed", "line 2")
c("csv", "infinity", H + "a,inf,2,well,Well,1\n", "import_malformed", "line 2")
c("csv", "1e308 coordinate", H + "a,1e308,2,well,Well,1\n", "import_malformed", "line 2")
c("csv", "duplicate ids", H + "a,1,2,well,Well,1\na,3,4,well,Well,1\n", "import_malformed", "line 3")
c("csv", "missing column", H + "a,1,2,well\n", "import_malformed", "line 2")
c("csv", "empty id", H + ",1,2,well,Well,1\n", "import_malformed", "line 2")
c("csv", "id past 256 bytes", H + "a" * 257 + ",1,2,well,Well,1\n", "import_malformed", "line 2")
c("csv", "invalid UTF-8", {"hex": (H + "a,1,2,").encode().hex() + "ff" + ",Well,1\n".encode().hex()}, "import_malformed", "line 2")
c("geojson", "malformed JSON", '{"type": "FeatureCollection", ', "import_format")
c("geojson", "not a collection", json.dumps({"type": "Feature"}), "import_format")
point = lambda coords, geometry="Point": {"type": "FeatureCollection", "features": [{"type": "Feature", "id": "a",
    "geometry": {"type": geometry, "coordinates": coords}, "properties": {"kind": "well", "name": "W"}}]}
c("geojson", "a line, not a point", json.dumps(point([[0, 0], [1, 1]], "LineString")), "import_malformed", "features[0]")
c("geojson", "latitude past 90", json.dumps(point([0, 91])), "import_malformed", "features[0]")
c("geojson", "100,000 nesting levels", big('{"type": "FeatureCollection", "features": [', "[", 100000, "", "]", "]}"), "import_malformed", "features[0]")

# Earth worlds: the runners import tests/worlds/earth.csv and play from Tokyo (139.767, 35.681).
EP = lambda **kw: json.dumps({"id": "ann", "start": {"lon": 139.767, "lat": 35.681}, **kw})
c("earth_player", "latitude past 90", EP(start={"lon": 0, "lat": 90.5}), "input_invalid", "player.start")
c("earth_player", "longitude past 180", EP(start={"lon": 180.5, "lat": 0}), "input_invalid", "player.start")
c("earth_player", "longitude and latitude swapped", EP(start={"lon": 35.681, "lat": 139.767}), "input_invalid", "player.start")
c("earth_player", "infinite latitude", '{"id": "ann", "start": {"lon": 0, "lat": 1e999}}', "input_invalid", "player")
c("earth_player", "a planar start", EP(start={"x": 0, "y": 0}), "input_invalid", "player.start")
c("earth_player", "x and lon together", EP(start={"x": 0, "lon": 0, "lat": 0}), "input_invalid", "player")
c("earth_player", "at the north pole, no site near", EP(start={"lon": 0, "lat": 90}), "not_enough_sites")
c("earth_player", "in the middle of the Pacific", EP(start={"lon": -150, "lat": 0}), "not_enough_sites")
c("earth_player", "a negative interest", EP(interests={"shrine": -1}), "input_invalid", "player.interests.shrine")
c("earth_template", "a search radius holding too few sites",
  json.dumps({"id": "t", "stages": 50, "search_radius": 20, "spacing": 1, "leg": {"min": 0, "max": 40}}), "not_enough_sites")
c("earth_events", "latitude past 90", E({"type": "move", "t": 1000, "lon": 139.767, "lat": 90.5}), "invalid", "lon")
c("earth_events", "a planar move", E({"type": "move", "t": 1000, "x": 0, "y": 0}), "invalid", "x")
c("earth_events", "negative accuracy", E({"type": "move", "t": 1000, "lon": 139.767, "lat": 35.681, "accuracy": -1}), "invalid", "accuracy")
c("earth_events", "teleport to Reykjavik", E({"type": "move", "t": 1000, "lon": -21.94, "lat": 64.146}), "too_fast")
c("earth_events", "teleport to the antimeridian", E({"type": "move", "t": 60000, "lon": 180, "lat": 35.681}), "too_fast")
c("earth_events", "a latitude without a longitude", E({"type": "dig", "t": 1000, "lat": 35.681}), "malformed")
c("earth_events", "a dig 270 m away", E({"type": "dig", "t": 1000, "lon": 139.77, "lat": 35.681}), "dig_away")
HL = "id,lon,lat,kind,name,weight\n"
c("csv", "lon,lat: latitude past 90", HL + "a,0,91,well,Well,1\n", "import_malformed", "line 2")
c("csv", "lon,lat: longitude past 180", HL + "a,181,0,well,Well,1\n", "import_malformed", "line 2")
c("csv", "lon,lat: NaN", HL + "a,NaN,0,well,Well,1\n", "import_malformed", "line 2")
c("csv", "lon,lat: duplicate ids", HL + "a,1,2,well,Well,1\na,3,4,well,Well,1\n", "import_malformed", "line 3")
c("csv", "both x,y and lon,lat", "id,x,y,lon,lat,kind,name\n", "import_format")
c("geojson", "longitude past 180", json.dumps(point([181, 0])), "import_malformed", "features[0]")
twice = point([0, 0])
twice["features"].append({**twice["features"][0], "geometry": {"type": "Point", "coordinates": [1, 1]}})
c("geojson", "duplicate ids", json.dumps(twice), "import_malformed", "features[1]")
# A feature's properties, read as borrowed raw values: wrong types, deep nesting, repeats.
props = lambda p: json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "id": "a",
    "geometry": {"type": "Point", "coordinates": [0, 0]}, "properties": p}]})
c("geojson", "properties an array", props([1, 2]), "import_malformed", "features[0]")
c("geojson", "weight a string", props({"kind": "well", "weight": "2"}), "import_malformed", "features[0]")
c("geojson", "kind a number, no other kind", props({"kind": 7}), "import_malformed", "features[0]")
c("geojson", "kind repeated, the last an object", '{"type": "FeatureCollection", "features": [{"type": "Feature", "id": "a", "geometry": {"type": "Point", "coordinates": [0, 0]}, "properties": {"kind": "well", "kind": {}}}]}', "import_malformed", "features[0]")
c("geojson", "kind nested 100,000 deep", big('{"type": "FeatureCollection", "features": [{"type": "Feature", "id": "a", "geometry": {"type": "Point", "coordinates": [0, 0]}, "properties": {"kind": ', "[", 100000, "", "]", "}}]}"), "import_malformed", "features[0]")

# Hunts read back (to open sessions).
c("hunt", "malformed", '{"generator": ', "hunt_malformed")
c("hunt", "fingerprint does not match", json.dumps({"fingerprint": "00"}), "hunt_malformed")

# Player views through the package (playerViewJson(hunt, salt, found)): counts Rust's u32 cannot hold.
V = lambda found: json.dumps({"salt": "s", "found": found})
c("view", "negative found", V(-1), "input_invalid", "found", native=False)
c("view", "fractional found", V(1.5), "input_invalid", "found", native=False)
c("view", "found past 2^32 - 1", V(2**32), "input_invalid", "found", native=False)

# Players' tokens, as the reference server reads them (server/tests/players.rs, against a real process):
# each input is a recipe the runner signs, as the server's test backend would.
def tok(name, code, **recipe):
    cases.append({"entry": "player_token", "name": name, "input": recipe, "code": code, "js": False, "server": True})


tok("expired a minute ago", "token_expired", exp_in_s=-60)
tok("not valid for a minute", "token_not_yet_valid", nbf_in_s=60)
tok("signed with another secret", "token_signature", key="other-hs")
tok("alg none, unsigned", "token_algorithm", alg="none")
tok("HS256 under the EdDSA key's id, its public key as the secret", "token_algorithm", kid="ed-1", key="ed-public-as-hmac")
tok("unknown key id", "token_key_unknown", kid="hs-0")
tok("no key id", "token_key_unknown", kid=None)
tok("another audience", "token_audience", claims={"aud": "another-game"})
tok("another issuer", "token_issuer", claims={"iss": "someone"})
tok("oversized", "token_too_large", claims={"padding": "x" * 5000})
tok("level of the wrong type", "token_claims", claims={"level": "high"})
tok("level 0", "token_claims", claims={"level": 0})
tok("sub of the wrong type", "token_claims", claims={"sub": 42})
tok("sub past 128 bytes", "token_claims", claims={"sub": "x" * 129})
tok("a negative interest", "token_claims", claims={"interests": {"ruin": -1.0}})
tok("no exp", "token_claims", remove=["exp"])
tok("no sub", "token_claims", remove=["sub"])
tok("not a token", "token_malformed", raw="not a token")
tok("three empty parts", "token_malformed", raw="a.b.c")
tok("a token after its player was erased", "token_player_erased", sub="erased-before")


# Live events' schedules and payout tables (xmarks::live), checked at 2026-12-01T00:00:00Z. Native
# only ("js": false) until the package and the server take them.
S = lambda **kw: json.dumps(kw)
c("schedule", "malformed JSON", '{"cron": ', "schedule_invalid", "$", js=False)
c("schedule", "not an object", "[1]", "schedule_invalid", "$", js=False)
c("schedule", "unknown field", S(cron="0 12 * * *", duration_s=60, every=1), "schedule_invalid", "$", js=False)
c("schedule", "one window and a cron", S(start="2026-12-24T12:00:00Z", end="2026-12-24T13:00:00Z", cron="0 12 * * *"), "schedule_invalid", "$", js=False)
c("schedule", "a window in the past", S(start="2026-11-24T12:00:00Z", end="2026-11-24T13:00:00Z"), "schedule_invalid", "end", js=False)
c("schedule", "end before start", S(start="2026-12-24T13:00:00Z", end="2026-12-24T12:00:00Z"), "schedule_invalid", "end", js=False)
c("schedule", "a window past 31 days", S(start="2026-12-24T12:00:00Z", end="2027-02-24T12:00:00Z"), "schedule_invalid", "end", js=False)
c("schedule", "start not a time", S(start="tomorrow", end="2026-12-24T12:00:00Z"), "schedule_invalid", "start", js=False)
c("schedule", "start before 1970", S(start="1969-12-31T23:00:00Z", end="2026-12-24T12:00:00Z"), "schedule_invalid", "start", js=False)
c("schedule", "a cron that never fires", S(cron="0 0 30 2 *", duration_s=60), "schedule_invalid", "cron", js=False)
c("schedule", "a series that has ended", S(cron="0 12 * * *", duration_s=60, until="2026-11-30T00:00:00Z"), "schedule_invalid", "cron", js=False)
c("schedule", "a cron that does not read", S(cron="every day", duration_s=60), "schedule_invalid", "cron", js=False)
c("schedule", "a cron of 10,000 fields", big('{"cron": "', "* ", 10000, "", "", '", "duration_s": 60}'), "schedule_invalid", "cron", js=False)
c("schedule", "zero duration", S(cron="0 12 * * *", duration_s=0), "schedule_invalid", "duration_s", js=False)
c("schedule", "huge duration", S(cron="0 12 1 1 *", duration_s=2**64 - 1), "schedule_invalid", "duration_s", js=False)
c("schedule", "negative duration", S(cron="0 12 * * *", duration_s=-60), "schedule_invalid", "$", js=False)
c("schedule", "overlapping windows", S(cron="*/5 * * * *", duration_s=301), "schedule_invalid", "duration_s", js=False)
c("schedule", "windows overlapping once a week", S(cron="0 12 * * 1,2", duration_s=108000), "schedule_invalid", "duration_s", js=False)
PT = lambda *rows: json.dumps({"rows": list(rows)})
c("payout", "malformed JSON", '{"rows": [', "payout_invalid", "$", js=False)
c("payout", "rows not a list", json.dumps({"rows": 1}), "payout_invalid", "$", js=False)
c("payout", "unknown field", PT({"rank": 1, "reward": 1, "bonus": 2}), "payout_invalid", "$", js=False)
c("payout", "overlapping ranges", PT({"ranks": [1, 10], "reward": 1}, {"ranks": [5, 20], "reward": 2}), "payout_invalid", "rows[1].ranks", js=False)
c("payout", "a range ending before it starts", PT({"ranks": [10, 2], "reward": 1}), "payout_invalid", "rows[0].ranks", js=False)
c("payout", "rank 0", PT({"rank": 0, "reward": 1}), "payout_invalid", "rows[0].rank", js=False)
c("payout", "a negative rank", PT({"rank": -1, "reward": 1}), "payout_invalid", "$", js=False)
c("payout", "a percentage band left empty", PT({"top_percent": 20, "reward": 1}, {"top_percent": 10, "reward": 2}), "payout_invalid", "rows[1].top_percent", js=False)
c("payout", "top 0%", PT({"top_percent": 0, "reward": 1}), "payout_invalid", "rows[0].top_percent", js=False)
c("payout", "top 1e308%", PT({"top_percent": 1e308, "reward": 1}), "payout_invalid", "rows[0].top_percent", js=False)
c("payout", "two selectors", PT({"rank": 1, "top_percent": 5, "reward": 1}), "payout_invalid", "rows[0]", js=False)
c("payout", "no selector", PT({"reward": 1}), "payout_invalid", "rows[0]", js=False)
c("payout", "finishers false", PT({"finishers": False, "reward": 1}), "payout_invalid", "rows[0].finishers", js=False)
c("payout", "completed false", PT({"completed": False, "reward": 1}), "payout_invalid", "rows[0].completed", js=False)
c("payout", "no reward", PT({"rank": 1}), "payout_invalid", "rows[0].reward", js=False)
c("payout", "65 rows", PT(*[{"rank": r, "reward": r} for r in range(1, 66)]), "payout_invalid", "rows", js=False)
c("payout", "100,000 nesting levels in a reward", big('{"rows": [{"rank": 1, "reward": ', "[", 100000, "1", "]", "}]}"), "payout_invalid", "$", js=False)


# Live events' definitions (xmarks::live::EventSpec), checked at 2026-12-01T00:00:00Z. The server's
# admin API reads them (PUT /v1/admin/events/{id}); its own refusals (unknown templates, joins after
# the end or beyond the limit, admin calls without the admin secret, acknowledging a grant twice)
# are in server/tests/live.rs.
ONCE = {"start": "2026-12-24T12:00:00Z", "end": "2026-12-24T13:00:00Z"}
E = lambda **kw: json.dumps({"template": "harbour", "schedule": ONCE, **kw})
c("event", "malformed JSON", '{"template": ', "event_invalid", "$", js=False)
c("event", "not an object", "[1]", "event_invalid", "$", js=False)
c("event", "unknown field", E(colour="red"), "event_invalid", "$", js=False)
c("event", "no template", json.dumps({"schedule": ONCE}), "event_invalid", "template", js=False)
c("event", "a template name past 128 bytes", E(template="t" * 129), "event_invalid", "template", js=False)
c("event", "no schedule", json.dumps({"template": "harbour"}), "event_invalid", "schedule", js=False)
c("event", "a window in the past", json.dumps({"template": "harbour", "schedule": {"start": "2026-11-24T12:00:00Z", "end": "2026-11-24T13:00:00Z"}}), "event_invalid", "schedule.end", js=False)
c("event", "a cron that never fires", json.dumps({"template": "harbour", "schedule": {"cron": "0 0 30 2 *", "duration_s": 60}}), "event_invalid", "schedule.cron", js=False)
c("event", "zero players", E(max_players=0), "event_invalid", "max_players", js=False)
c("event", "more players than the limit", E(max_players=1000001), "event_invalid", "max_players", js=False)
c("event", "1e308 players", E(max_players=1e308), "event_invalid", "$", js=False)
c("event", "zero attempts", E(attempts=0), "event_invalid", "attempts", js=False)
c("event", "101 attempts", E(attempts=101), "event_invalid", "attempts", js=False)
c("event", "an unknown mode", E(mode="team"), "event_invalid", "$", js=False)
c("event", "a shared hunt without a start", E(mode="shared"), "event_invalid", "start", js=False)
c("event", "a shared hunt starting at NaN", E(mode="shared", start={"x": "NaN", "y": 0}), "event_invalid", "$", js=False)
c("event", "a personal hunt with a start", E(start={"x": 0, "y": 0}), "event_invalid", "start", js=False)
c("event", "an unknown board order", E(board={"score": "sideways"}), "event_invalid", "board", js=False)
c("event", "overlapping payout ranges", E(payouts={"rows": [{"ranks": [1, 10], "reward": 1}, {"ranks": [5, 20], "reward": 2}]}), "event_invalid", "payouts.rows[1].ranks", js=False)
c("event", "100,000 nesting levels in a reward", big('{"template": "harbour", "schedule": {"start": "2026-12-24T12:00:00Z", "end": "2026-12-24T13:00:00Z"}, "payouts": {"rows": [{"rank": 1, "reward": ', "[", 100000, "1", "]", "}]}}"), "event_invalid", "payouts", js=False)

# The player routes (GET and DELETE /v1/players/{id}), against a real server: who may call them and
# on which ids. `token` is "backend" (admin scope), "player" (another player's) or "none".
def route(name, code, **recipe):
    cases.append({"entry": "player_route", "name": name, "input": recipe, "code": code, "js": False, "server": True})


route("another player's profile", "forbidden", method="GET", id="ann", token="player")
route("a profile without a token", "token_missing", method="GET", id="ann", token="none")
route("a profile id past 128 bytes", "malformed", method="GET", id="x" * 129, token="backend")
route("an erasure by a player", "forbidden", method="DELETE", id="ann", token="player")
route("an erasure without a token", "token_missing", method="DELETE", id="ann", token="none")
route("an erasure of an id past 128 bytes", "malformed", method="DELETE", id="x" * 129, token="backend")


# The live events' routes (admin, events, rewards), against a real server: who may call them and with
# what. `token` is "admin" (the admin secret), "player" (any other bearer), "wrong" (a wrong secret)
# or "none"; `body` is sent as JSON when given, `raw` as text. Stateful refusals (a full window, one
# closed, a grant acknowledged twice) are in server/tests/live.rs.
def live(name, code, method, path, token="admin", body=None, raw=None):
    recipe = {"method": method, "path": path, "token": token}
    if body is not None:
        recipe["body"] = body
    if raw is not None:
        recipe["raw"] = raw
    cases.append({"entry": "live_route", "name": name, "input": recipe, "code": code, "js": False, "server": True})


LIVE_EVENT = {"template": "sprint", "schedule": {"start": "2026-12-24T12:00:00Z", "end": "2026-12-24T13:00:00Z"}}
live("an admin call without a token", "unauthorized", "PUT", "/v1/admin/events/cup", token="none", body=LIVE_EVENT)
live("an admin call with a player's token", "forbidden", "PUT", "/v1/admin/events/cup", token="player", body=LIVE_EVENT)
live("an admin call with a wrong secret", "forbidden", "DELETE", "/v1/admin/events/cup", token="wrong")
live("the audit log without a token", "unauthorized", "GET", "/v1/admin/audit", token="none")
live("the outbox with a player's token", "forbidden", "GET", "/v1/rewards", token="player")
live("an acknowledgement without a token", "unauthorized", "POST", "/v1/rewards/ack", token="none", body={"keys": ["k"]})
live("an event that is not JSON", "malformed", "PUT", "/v1/admin/events/cup", raw='{"template": ')
live("an event named with spaces", "malformed", "PUT", "/v1/admin/events/Big Cup", body=LIVE_EVENT)
live("an event name past 64 bytes", "malformed", "PUT", "/v1/admin/events/" + "e" * 65, body=LIVE_EVENT)
live("an event of an unknown template", "unknown_template", "PUT", "/v1/admin/events/cup", body={**LIVE_EVENT, "template": "nope"})
live("an event of an unknown ruleset", "unknown_rules", "PUT", "/v1/admin/events/cup", body={**LIVE_EVENT, "rules": "nope"})
live("an event starting off the world", "event_invalid", "PUT", "/v1/admin/events/cup", body={**LIVE_EVENT, "mode": "shared", "start": {"lon": 0, "lat": 0}})
live("an event with a cron that never fires", "event_invalid", "PUT", "/v1/admin/events/cup", body={"template": "sprint", "schedule": {"cron": "0 0 30 2 *", "duration_s": 60}})
live("an unknown admin collection", "not_found", "PUT", "/v1/admin/widgets/cup", body={})
live("a template that does not read", "template_invalid", "PUT", "/v1/admin/templates/t", body={"id": "t", "stages": 0})
live("a ruleset with an unknown operator", "rules_invalid", "PUT", "/v1/admin/rulesets/r", body={"id": "r", "rules": [{"id": "a", "on": ["dig"], "when": {"foo": []}, "then": []}]})
live("retiring a template that is not there", "not_found", "DELETE", "/v1/admin/templates/nope")
live("retiring a built-in template", "not_found", "DELETE", "/v1/admin/templates/sprint")
live("ending a window of no event", "not_found", "POST", "/v1/admin/events/nope/end")
live("an end request that is not JSON", "malformed", "POST", "/v1/admin/events/nope/end", raw="[")
live("the audit log after -1", "malformed", "GET", "/v1/admin/audit?after=-1")
live("the outbox after a word", "malformed", "GET", "/v1/rewards?after=start")
live("acknowledging no keys", "malformed", "POST", "/v1/rewards/ack", body={"keys": []})
live("acknowledging 1,001 keys", "malformed", "POST", "/v1/rewards/ack", body={"keys": ["k"] * 1001})
live("acknowledging a grant never paid", "not_found", "POST", "/v1/rewards/ack", body={"keys": ["no-such-grant"]})
live("joining no event", "not_found", "POST", "/v1/events/nope/join", token="none", body={"player": "ann"})
live("joining without a player", "malformed", "POST", "/v1/events/nope/join", token="none")
live("playing no event", "not_found", "POST", "/v1/events/nope/sessions", token="none", body={"player": {"id": "ann", "start": {"x": 0, "y": 0}}})
live("the leaderboard of no event", "not_found", "GET", "/v1/events/nope/leaderboard", token="none")
live("a leaderboard query with an unknown field", "malformed", "GET", "/v1/events/nope/leaderboard?colour=red", token="none")


# The team routes, against a real server (development players: the body names who asks). Stateful
# refusals (joining after the start or beyond the limit, starting twice or alone, leaving after the
# start) are in server/tests/teams.rs.
def team_route(name, code, method, path, body=None, raw=None):
    recipe = {"method": method, "path": path, "token": "none"}
    if body is not None:
        recipe["body"] = body
    if raw is not None:
        recipe["raw"] = raw
    cases.append({"entry": "team_route", "name": name, "input": recipe, "code": code, "js": False, "server": True})


AT = {"x": 0, "y": 0}
team_route("a team with neither template nor event", "malformed", "POST", "/v1/teams", body={"start": AT, "player": "ann"})
team_route("a team with both template and event", "malformed", "POST", "/v1/teams", body={"template": "crew", "event": "cup", "start": AT, "player": "ann"})
team_route("a team of an unknown template", "unknown_template", "POST", "/v1/teams", body={"template": "nope", "start": AT, "player": "ann"})
team_route("a team of a one-player template", "template_invalid", "POST", "/v1/teams", body={"template": "sprint", "start": AT, "player": "ann"})
team_route("a team for no event", "not_found", "POST", "/v1/teams", body={"event": "nope", "start": AT, "player": "ann"})
team_route("a team meeting off the world", "malformed", "POST", "/v1/teams", body={"template": "crew", "start": {"x": 1e10, "y": 0}, "player": "ann"})
team_route("a team meeting at NaN", "malformed", "POST", "/v1/teams", raw='{"template": "crew", "start": {"x": NaN, "y": 0}, "player": "ann"}')
team_route("a team listing more than it may hold", "team_full", "POST", "/v1/teams", body={"template": "crew", "start": AT, "members": [f"p{i}" for i in range(8)], "player": "ann"})
team_route("a team listing an id past 128 bytes", "malformed", "POST", "/v1/teams", body={"template": "crew", "start": AT, "members": ["x" * 129], "player": "ann"})
team_route("a team with an unknown field", "malformed", "POST", "/v1/teams", body={"template": "crew", "start": AT, "colour": "red", "player": "ann"})
team_route("a team without a player", "malformed", "POST", "/v1/teams", body={"template": "crew", "start": AT})
team_route("a round past 2^53 - 1", "malformed", "POST", "/v1/teams", body={"template": "crew", "start": AT, "round": 2**53, "player": "ann"})
team_route("joining without a code", "malformed", "POST", "/v1/teams/join", body={"player": "bob"})
team_route("joining with a made-up code", "forbidden", "POST", "/v1/teams/join", body={"invite": "tdeadbeef.0000000000000000", "player": "bob"})
team_route("joining with a code that is not one", "forbidden", "POST", "/v1/teams/join", body={"invite": "hello", "player": "bob"})
team_route("joining no team", "not_found", "POST", "/v1/teams/nope/join", body={"player": "bob"})
team_route("leaving no team", "not_found", "POST", "/v1/teams/nope/leave", body={"player": "bob"})
team_route("starting no team", "not_found", "POST", "/v1/teams/nope/start", body={"player": "bob"})
team_route("a team's view of no team", "not_found", "GET", "/v1/teams/nope")
team_route("a join that is not JSON", "malformed", "POST", "/v1/teams/join", raw="[")


about = ("Hostile inputs at every entry point and the error code (and path) each must get, natively "
         "(core/tests/catalogue.rs) and through the npm package (wasm/tests/catalogue.test.mjs). Written by make.py. "
         "`input` is text, {hex} bytes, or {prefix, repeat, times, middle, close, tail}: prefix + repeat x times + "
         "middle + close x times + tail. Cases with \"js\": false are text that JS callers, who pass objects, cannot send. "
         "Cases with \"server\": true are players' tokens, run against a real xmarks-server (server/tests/players.rs); "
         "their input is a recipe: alg (HS256 unless said), kid (hs-1 unless said, null for none), key (the server's "
         "unless said), claims merged over a valid set, remove, exp_in_s, nbf_in_s, sub, or a raw token; player_route "
         "cases give a method, an id and whose token. Cases with \"native\": false are values Rust's types cannot hold. "
         "earth_* cases run on an Earth world imported from tests/worlds/earth.csv, from Tokyo (139.767, 35.681): "
         "earth_player is the player, earth_template the template (the player at Tokyo), earth_events events of a "
         "session on the hunt of {\"id\": \"t\", \"stages\": 3} for ann at Tokyo. schedule and payout cases are live "
         "events' schedules (checked at 2026-12-01T00:00:00Z) and payout tables, in the core only for now.")
out = pathlib.Path(__file__).with_name("catalogue.json")
out.write_text(json.dumps({"about": about, "cases": cases}, indent=1) + "\n")
print(f"{len(cases)} cases")
