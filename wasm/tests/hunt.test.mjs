// A `Hunt` from generateHunt: its data as a plain hunt's, frozen, and the engine's copy beside it,
// which sessions, walkthroughs and views take without reading the hunt again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { xmarks } from "./common.mjs";

const { World, Rules, Session, Hunt, generateHunt, walkthrough, canonicalHuntJson, playerViewJson, replay, isXmarksError } = xmarks;

const template = { id: "t", stages: 4 };
const seeds = { game: 1, round: 1 };
const player = { id: "ann", start: { x: 0, y: 0 } };
const fails = (f, code, path) =>
  assert.throws(f, (e) => isXmarksError(e) && e.code === code && (path === undefined || e.path === path), `expected ${code}`);

/** A session played through `events`, its log and state hash. */
function play(hunt, rules, events) {
  const session = new Session(hunt, rules, 0);
  const log = [session.logHeader()];
  for (const event of events) {
    session.apply(event);
    log.push(session.logLine());
  }
  const out = { log: log.join("\n"), hash: session.stateHash(), state: session.state() };
  session.free();
  return out;
}

test("a Hunt reads as the plain hunt, frozen, and plays as the plain hunt does", () => {
  const world = World.procedural(7);
  const rules = Rules.default();
  const hunt = generateHunt(world, template, seeds, player);
  const plain = JSON.parse(canonicalHuntJson(hunt));
  assert.ok(hunt instanceof Hunt);
  // Its own properties are the hunt's fields in canonical order: JSON, spreading and cloning see a hunt.
  assert.deepEqual(Object.keys(hunt), Object.keys(plain));
  assert.deepEqual({ ...hunt }, plain);
  assert.deepEqual(JSON.parse(JSON.stringify(hunt)), plain);
  const cloned = structuredClone(hunt);
  assert.ok(!(cloned instanceof Hunt));
  assert.deepEqual(cloned, plain);
  // Frozen all the way down (ES modules are strict: a write throws).
  assert.throws(() => { hunt.level = 9; }, TypeError);
  assert.throws(() => { hunt.stages[0].site.name = "x"; }, TypeError);
  assert.throws(() => hunt.stages.push(hunt.stages[0]), TypeError);

  // A session on the Hunt and one on the plain hunt (read and fingerprinted) give the same log.
  const events = walkthrough(hunt, 0);
  assert.deepEqual(walkthrough(plain, 0), events);
  const a = play(hunt, rules, events);
  const b = play(plain, rules, events);
  const c = play(cloned, rules, events);
  assert.equal(a.log, b.log);
  assert.equal(a.hash, b.hash);
  assert.equal(c.hash, b.hash);
  assert.equal(a.state.status, "completed");
  assert.equal(playerViewJson(hunt, "salt", 2), playerViewJson(plain, "salt", 2));
  assert.equal(replay(a.log).session.stateHash(), a.hash);

  // A snapshot restores on either form.
  const live = new Session(hunt, rules, 0);
  for (const event of events.slice(0, 6)) live.apply(event);
  const snapshot = live.snapshot();
  assert.equal(Session.restore(hunt, rules, snapshot).stateHash(), live.stateHash());
  assert.equal(Session.restore(plain, rules, snapshot).stateHash(), live.stateHash());

  // A session's hunt is a Hunt, which opens sessions of its own.
  const again = live.hunt();
  assert.ok(again instanceof Hunt);
  assert.equal(again.fingerprint, hunt.fingerprint);
  assert.equal(play(again, rules, events).hash, a.hash);
  live.free();
  world.free();
});

test("Hunt.from reads a hunt once, and refuses one that does not match its fingerprint", () => {
  const world = World.procedural(7);
  const hunt = generateHunt(world, template, seeds, player);
  const text = canonicalHuntJson(hunt);
  for (const given of [text, JSON.parse(text), hunt]) {
    const made = Hunt.from(given);
    assert.ok(made instanceof Hunt);
    assert.equal(canonicalHuntJson(made), text);
  }
  fails(() => Hunt.from({ ...JSON.parse(text), level: 9 }), "hunt_malformed");
  fails(() => Hunt.from("{"), "hunt_malformed");
  fails(() => Hunt.from({ ...JSON.parse(text), extra: 1 }), "hunt_malformed");
  fails(() => new Hunt(), "input_invalid");
  world.free();
});

test("a freed Hunt keeps its data, is refused where it would be used, and the instance goes on", () => {
  const world = World.procedural(7);
  const rules = Rules.default();
  const hunt = generateHunt(world, template, seeds, player);
  const fingerprint = hunt.fingerprint;
  hunt.free();
  hunt.free(); // a second free does nothing
  assert.equal(hunt.fingerprint, fingerprint);
  assert.equal(hunt.stages.length, 4);
  fails(() => new Session(hunt, rules, 0), "freed", "hunt");
  fails(() => Session.restore(hunt, rules, "{}"), "freed", "hunt");
  fails(() => walkthrough(hunt, 0), "freed", "hunt");
  fails(() => canonicalHuntJson(hunt), "freed", "hunt");
  fails(() => playerViewJson(hunt, "salt", 0), "freed", "hunt");
  fails(() => Hunt.from(hunt), "freed", "hunt");
  // Its data, as a plain object, still opens a session.
  const session = new Session({ ...hunt }, rules, 0);
  assert.equal(session.state().seq, 0);
  session.free();
  world.free();
});

test("a Hunt whose engine copy was let go for newer ones reads its data again, and plays the same", () => {
  const world = World.procedural(7);
  const rules = Rules.default();
  const first = generateHunt(world, template, seeds, player);
  const events = walkthrough(first, 0);
  const expected = play(first, rules, events);
  // 100 newer hunts, dropped: only the last 64 keep their copies, so the first one's is let go.
  for (let round = 2; round <= 101; round++) generateHunt(world, template, { game: 1, round }, player);
  assert.deepEqual(play(first, rules, events), expected);
  assert.deepEqual(walkthrough(first, 0), events);
  assert.equal(canonicalHuntJson(first), canonicalHuntJson({ ...first }));
  first.free();
  fails(() => new Session(first, rules, 0), "freed", "hunt");
  world.free();
});
