// The bad-input catalogue (tests/bad-input/catalogue.json) through the npm package: the same
// hostile inputs get the same codes and paths as natively (core/tests/catalogue.rs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { xmarks, readJson, readBytes } from "./common.mjs";

const { World, Rules, Session, Logic, generateHunt, generateTeamHunt, parseTemplate, canonicalHuntJson, playerViewJson, replay } = xmarks;

/** The input of a case: text, `{hex}` bytes, or a generated `{prefix, repeat, times, ...}`. */
function input(v) {
  if (typeof v === "string") return v;
  if (v.hex) return Uint8Array.from(v.hex.match(/../g), (h) => parseInt(h, 16));
  return v.prefix + v.repeat.repeat(v.times) + v.middle + v.close.repeat(v.times) + v.tail;
}
const text = (v) => (typeof v === "string" ? v : new TextDecoder().decode(v));

test("every hostile input gets its error code and path through the package", () => {
  const { cases } = readJson("bad-input/catalogue.json");
  const world = World.procedural(7);
  const template = { id: "t", stages: 3 };
  const seeds = { game: 1, round: 1 };
  const player = { id: "ann", start: { x: 0, y: 0 } };
  const hunt = generateHunt(world, template, seeds, player);
  // The Earth cases: tests/worlds/earth.csv, from Tokyo.
  const earth = World.importCsv(readBytes("worlds/earth.csv"));
  const tokyo = { id: "ann", start: { lon: 139.767, lat: 35.681 } };
  const earthHunt = generateHunt(earth, template, seeds, tokyo);
  // The team cases: ann and bob, on a template that takes teams of up to four.
  const teamTemplate = { id: "t", stages: 3, max_team: 4 };
  const pair = { id: "red", start: { x: 0, y: 0 }, members: [{ id: "ann" }, { id: "bob" }] };
  const teamHunt = generateTeamHunt(world, teamTemplate, seeds, pair);
  const play = (h, t) => {
    const events = JSON.parse(t);
    const session = new Session(h, Rules.default(), 0);
    try {
      events.forEach((event, i) => {
        const before = session.stateHash();
        try {
          session.apply(event);
        } catch (e) {
          assert.equal(session.stateHash(), before, "a refused event changed nothing");
          assert.equal(i, events.length - 1, `only the last event of a case is refused: ${e.message}`);
          throw e;
        }
      });
    } finally {
      session.free();
    }
  };
  const entries = {
    template: (t) => parseTemplate(t),
    player: (t) => generateHunt(world, template, seeds, JSON.parse(t)),
    seeds: (t) => generateHunt(world, template, JSON.parse(t), player),
    ruleset: (t) => Rules.parse(t).free(),
    logic: (t) => new Logic(JSON.parse(t)).free(),
    events: (t) => play(hunt, t),
    team: (t) => generateTeamHunt(world, teamTemplate, seeds, JSON.parse(t)),
    team_events: (t) => play(teamHunt, t),
    earth_events: (t) => play(earthHunt, t),
    earth_player: (t) => generateHunt(earth, template, seeds, JSON.parse(t)),
    earth_template: (t) => generateHunt(earth, t, seeds, tokyo),
    log: (t) => replay(t).session.free(),
    csv: (bytes) => World.importCsv(bytes).free(),
    geojson: (t) => World.importGeojson(t).free(),
    hunt: (t) => canonicalHuntJson(t),
    view: (t) => {
      const { salt, found } = JSON.parse(t);
      playerViewJson(hunt, salt, found);
    },
  };
  const failures = [];
  let ran = 0;
  for (const c of cases.filter((c) => c.js !== false)) {
    const raw = input(c.input);
    const arg = c.entry === "csv" ? (typeof raw === "string" ? new TextEncoder().encode(raw) : raw) : text(raw);
    try {
      entries[c.entry](arg);
      failures.push(`${c.entry} / ${c.name}: accepted, expected ${c.code}`);
    } catch (e) {
      if (!(e instanceof Error) || e.code !== c.code || (c.path !== undefined && e.path !== c.path)) {
        failures.push(`${c.entry} / ${c.name}: got ${e.code} at ${e.path}, expected ${c.code} at ${c.path} (${e.message})`);
      }
    }
    ran++;
  }
  world.free();
  earth.free();
  assert.deepEqual(failures, []);
  console.log(`bad-input catalogue: ${ran} of ${cases.length} cases through the package (the rest are text JS callers cannot send)`);
});
