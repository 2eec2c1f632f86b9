// Every failure is a JS Error with a stable code (and a path where there is one place), and the
// instance goes on working after any of them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { xmarks, readBytes } from "./common.mjs";

const { World, Rules, Session, Logic, generateHunt, parseTemplate, canonicalHuntJson, applyLogic, checkRules, replay, walkthrough, isXmarksError } = xmarks;

const seeds = { game: 1, round: 1 };
const player = { id: "ann", start: { x: 0, y: 0 } };
const template = { id: "t", stages: 3 };
const box = { min: { x: -500, y: -500 }, max: { x: 500, y: 500 } };

/** Runs `f`, which must throw an xmarks error with `code` (and `path`, when given). */
function fails(f, code, path) {
  let error;
  try {
    f();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof Error, `expected an Error with code ${code}, got ${error}`);
  assert.equal(error.name, "XmarksError");
  assert.ok(isXmarksError(error));
  assert.equal(error.code, code, error.message);
  assert.equal(typeof error.message, "string");
  assert.ok(error.message.length > 0);
  if (path !== undefined) assert.equal(error.path, path, error.message);
  return error;
}

test("bad input to every export is an Error with a code and a path", () => {
  const world = World.procedural(7);
  fails(() => World.procedural(-1), "input_invalid", "seed");
  fails(() => World.procedural(1.5), "input_invalid", "seed");
  fails(() => World.procedural(2 ** 53), "input_invalid", "seed");
  fails(() => World.procedural(7, { cell_size: 1 }), "world_config", "cell_size");
  fails(() => World.procedural(7, { bogus: 1 }), "input_invalid", "config");
  fails(() => World.importCsv("id,x\n1,2\n"), "import_format");
  fails(() => World.importCsv("id,x,y,kind,name\na,abc,1,well,A\n"), "import_malformed", "line 2");
  fails(() => World.importCsv(42), "input_invalid", "data");
  fails(() => World.importGeojson("{"), "import_format");
  fails(() => generateHunt(world, { id: "t", stages: 0 }, seeds, player), "template_invalid", "template.stages");
  fails(() => generateHunt(world, { ...template, leg: { min: 10, max: 5 } }, seeds, player), "template_invalid");
  fails(() => generateHunt(world, "{not json", seeds, player), "template_invalid");
  fails(() => generateHunt(world, template, { game: 1 }, player), "input_invalid", "seeds");
  fails(() => generateHunt(world, template, seeds, { id: "a" }), "input_invalid", "player");
  fails(() => generateHunt(world, template, seeds, { ...player, start: { x: NaN, y: 0 } }), "input_invalid", "player");
  fails(() => generateHunt(world, { ...template, kinds: ["volcano"] }, seeds, player), "unknown_kind", "template.kinds[0]");
  fails(() => generateHunt(world, { ...template, stages: 40, search_radius: 300, leg: { min: 10, max: 300 }, spacing: 10 }, seeds, player), "not_enough_sites");
  fails(() => generateHunt(world, template, seeds, undefined), "input_invalid", "player");
  const cyclic = { id: "t", stages: 2 };
  cyclic.self = cyclic;
  fails(() => generateHunt(world, cyclic, seeds, player), "input_invalid", "template");
  fails(() => parseTemplate({ id: "", stages: 2 }), "template_invalid", "template.id");
  fails(() => world.sitesIn({ min: { x: 0, y: 0 } }), "input_invalid", "bounds");
  fails(() => world.biomeRaster(box, 5000, 5000), "world_query");
  fails(() => world.sitesIn({ min: { x: 1, y: 1 }, max: { x: 0, y: 0 } }), "world_query");
  fails(() => canonicalHuntJson({ fingerprint: "x" }), "hunt_malformed");
  const imported = World.importCsv(readBytes("worlds/harbour.csv"));
  fails(() => imported.summary(box), "world_query");
  fails(() => imported.biomeRaster(box, 8, 8), "world_query");
  assert.equal(world.bounds(), undefined);
  assert.ok(imported.bounds().max.x > imported.bounds().min.x);
  assert.ok(world.summary(box).sites > 0);
  imported.free();

  const hunt = generateHunt(world, template, seeds, player);
  fails(() => canonicalHuntJson({ ...hunt, length: hunt.length + 1 }), "hunt_malformed");
  fails(() => new Session({ ...hunt, player: "bob" }, Rules.default(), 0), "hunt_malformed");
  fails(() => new Session(hunt, Rules.default(), -5), "input_invalid", "startedMs");
  fails(() => walkthrough(hunt, 0.5), "input_invalid", "startedMs");
  const problems = fails(() => Rules.parse({ id: "r", rules: [{ id: "a", on: ["dig", "fly"], then: [{ nope: 1 }] }] }), "rules_invalid");
  assert.deepEqual(problems.problems.map((p) => p.path), ["rules[0].on[1]", "rules[0].then[0].nope"]);
  assert.equal(problems.path, "rules[0].on[1]");
  assert.equal(checkRules({ id: "r", rules: [{ id: "a", on: ["dig"], then: [{ nope: 1 }] }] }).length, 1);
  assert.deepEqual(checkRules(Rules.default().spec()), []);
  fails(() => applyLogic({ unknown_op: [1] }, null), "logic_invalid");
  fails(() => new Logic(undefined), "input_invalid", "rule");
  fails(() => replay(""), "log_invalid", "line 1");
  fails(() => replay("{}\n"), "log_invalid", "line 1");
  world.free();
});

test("a refused event changes nothing and the session goes on", () => {
  const world = World.procedural(7);
  const hunt = generateHunt(world, template, seeds, player);
  const session = new Session(hunt, Rules.default(), 1000);
  const before = session.stateHash();
  fails(() => session.apply({ type: "move", t: 2000, x: 1e5, y: 0 }), "too_fast");
  fails(() => session.apply({ type: "tick", t: 10 }), "time_reversed");
  fails(() => session.apply({ type: "dig", t: 2000, x: 300, y: 0 }), "dig_away");
  fails(() => session.apply({ type: "use", t: 2000, item: "lantern" }), "unknown_item");
  fails(() => session.apply({ type: "fly", t: 2000 }), "malformed");
  fails(() => session.apply({ type: "move", t: 2000, x: "0", y: 0 }), "malformed");
  fails(() => session.apply({ type: "tick", t: 2000, x: 1 }), "malformed");
  fails(() => session.apply(undefined), "input_invalid", "event");
  assert.equal(session.stateHash(), before);
  assert.equal(session.logLine(), undefined);

  // The same session, and everything else, still works.
  const events = walkthrough(hunt, 1000);
  const outcomes = events.flatMap((e) => session.apply(e));
  assert.ok(outcomes.some((o) => o.type === "hunt_completed"));
  assert.equal(session.state().status, "completed");
  fails(() => session.apply({ type: "tick", t: 1e9 }), "hunt_over");
  assert.equal(generateHunt(world, template, seeds, player).fingerprint, hunt.fingerprint);
  session.free();
  world.free();
});

test("snapshots restore, logs replay, and edited logs are refused with the line", () => {
  const world = World.importCsv(readBytes("worlds/harbour.csv"));
  assert.equal(world.importReport().skipped, 0);
  const { x, y } = world.sitesIn(world.bounds())[0];
  const hunt = generateHunt(world, template, seeds, { id: "ann", start: { x, y } });
  const rules = Rules.default();
  const session = new Session(hunt, rules, 0);
  rules.free(); // sessions hold their own reference
  const log = [session.logHeader()];
  const events = walkthrough(hunt, 0);
  events.slice(0, 10).forEach((e) => { session.apply(e); log.push(session.logLine()); });
  const restored = Session.restore(hunt, Rules.default(), session.snapshot());
  for (const e of events.slice(10)) {
    assert.deepEqual(restored.apply(e), session.apply(e));
    log.push(session.logLine());
  }
  assert.equal(restored.stateHash(), session.stateHash());
  const replayed = replay(log.join("\n"));
  assert.equal(replayed.session.stateHash(), session.stateHash());
  assert.equal(replayed.outcomes.length, events.length);
  const edited = log.join("\n").replace('"t":1', '"t":2');
  const e = fails(() => replay(edited), "log_invalid");
  assert.match(e.path, /^line \d+$/);
  for (const s of [session, restored, replayed.session]) s.free();
  world.free();
});

test("freed objects throw instead of crashing, and new ones work", () => {
  const world = World.procedural(3);
  const hunt = generateHunt(world, template, seeds, player);
  const rules = Rules.default();
  const session = new Session(hunt, rules, 0);
  const logic = new Logic({ var: "a" });
  for (const handle of [world, rules, session, logic]) handle.free();
  // Methods, getters and exports that take a handle: the package's `freed`, not wasm-bindgen's words.
  fails(() => world.kinds(), "freed");
  fails(() => rules.digest, "freed");
  fails(() => session.apply({ type: "tick", t: 1 }), "freed");
  fails(() => session.state(), "freed");
  fails(() => logic.apply({ a: 1 }), "freed");
  fails(() => generateHunt(world, template, seeds, player), "freed", "world");
  fails(() => new Session(hunt, rules, 0), "freed", "rules");
  fails(() => Session.restore(hunt, rules, "{}"), "freed", "rules");
  // A second free does nothing.
  for (const handle of [world, rules, session, logic]) handle.free();
  // Not a handle of this package: input_invalid, at its path.
  fails(() => generateHunt({}, template, seeds, player), "input_invalid", "world");
  fails(() => new Session(hunt, {}, 0), "input_invalid", "rules");
  // And the instance goes on.
  const again = World.procedural(3);
  assert.equal(again.kinds().length, 13);
  const fresh = new Session(generateHunt(again, template, seeds, player), Rules.default(), 0);
  assert.ok(fresh instanceof Session);
  assert.equal(fresh.state().seq, 0);
  fresh.free();
  again.free();
});

test("isXmarksError tells the package's errors from others", () => {
  assert.equal(isXmarksError(new Error("plain")), false);
  assert.equal(isXmarksError(Object.assign(new Error("a system error"), { code: "ENOENT" })), false);
  assert.equal(isXmarksError({ name: "XmarksError", code: "input_invalid", message: "not an Error" }), false);
  assert.equal(isXmarksError(undefined), false);
  assert.throws(() => World.procedural(-1), (e) => isXmarksError(e) && /^XmarksError: /.test(String(e)));
});

test("errors about objects are told in JS words, without the line and column of text the caller never wrote", () => {
  const world = World.procedural(7);
  const objects = [
    [() => generateHunt(world, { id: "t", stages: 3, foo: 1 }, seeds, player), "template_invalid", "template.foo", /unknown field `foo`/],
    [() => generateHunt(world, { id: "t", stages: "3" }, seeds, player), "template_invalid", "template.stages", /expected a whole number, 0 or more$/],
    [() => generateHunt(world, template, { game: 1, round: 1, x: 2 }, player), "input_invalid", "seeds", /unknown field `x`/],
    [() => generateHunt(world, template, seeds, { id: "a", start: { x: "0", y: 0 } }), "input_invalid", "player", /invalid type: string "0", expected a number$/],
    [() => World.procedural(1, { cell_size: [] }), "input_invalid", "config", /invalid type: an array, expected a whole number, 0 or more$/],
    [() => new Session({ a: 1 }, Rules.default(), 0), "hunt_malformed", undefined, /unknown field `a`/],
  ];
  for (const [call, code, path, message] of objects) {
    const e = fails(call, code, path);
    assert.match(e.message, message);
    assert.doesNotMatch(e.message, /line \d+ column \d+/);
    assert.doesNotMatch(e.message, /\b(f64|u32|u64|usize|i64)\b/);
  }
  // Text the caller wrote keeps its line and column.
  const e = fails(() => generateHunt(world, '{"id":"t","stages":3,"foo":1}', seeds, player), "template_invalid", "template.foo");
  assert.match(e.message, /at line 1 column \d+$/);
  world.free();
});
