// The golden vectors of tests/ under Node: every hunt, session and JsonLogic case must give the
// native results byte for byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import { xmarks, readJson, readText, worldOf } from "./common.mjs";

/** JSON with object keys sorted, as the native vectors were written. */
const sorted = (v) =>
  Array.isArray(v) ? v.map(sorted)
  : v !== null && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]))
  : v;
const canonical = (v) => JSON.stringify(sorted(v));

const { generateHunt, canonicalHuntJson, Rules, Session, replay, applyLogic, versions } = xmarks;

test("golden hunts match the native fingerprints, errors and canonical JSON", () => {
  const doc = readJson("golden/hunts.json");
  assert.equal(doc.generator, versions().generator, "the vectors were made by this generator");
  const mismatches = [];
  let fulls = 0;
  for (const c of doc.cases) {
    const world = worldOf(c.world);
    try {
      const hunt = generateHunt(world, c.template, c.seeds, c.player);
      if (hunt.fingerprint !== c.fingerprint) mismatches.push(`${c.name}: fingerprint ${hunt.fingerprint}`);
      if (c.full) {
        const expected = readText(`golden/${c.full}`).trimEnd();
        if (canonicalHuntJson(hunt) !== expected) mismatches.push(`${c.name}: canonical JSON differs`);
        else fulls++;
      }
    } catch (e) {
      const got = { code: e.code, message: e.message };
      if (JSON.stringify(got) !== JSON.stringify(c.error)) mismatches.push(`${c.name}: ${JSON.stringify(got)}`);
    } finally {
      world.free();
    }
  }
  assert.deepEqual(mismatches, []);
  assert.ok(doc.cases.length >= 50);
  console.log(`compared ${doc.cases.length} golden hunts (${fulls} with full canonical JSON) under Node`);
});

test("golden sessions match event by event, with the native state hash and chain", () => {
  const doc = readJson("golden/sessions.json");
  assert.equal(doc.session, versions().session);
  let events = 0;
  for (const c of doc.cases) {
    const world = worldOf(c.world);
    const hunt = generateHunt(world, c.template, c.seeds, c.player);
    world.free();
    const rules = c.rules === null ? Rules.default() : Rules.parse(c.rules);
    const session = new Session(hunt, rules, c.started_ms);
    const log = [session.logHeader()];
    c.events.forEach((event, i) => {
      let result;
      try {
        result = { outcomes: session.apply(event) };
        log.push(session.logLine());
      } catch (e) {
        result = { rejected: e.code };
      }
      assert.equal(canonical(result), canonical(c.results[i]), `${c.name}: event ${i}`);
      events++;
    });
    assert.equal(session.stateHash(), c.state_hash, `${c.name}: state hash`);
    assert.equal(session.state().chain, c.chain, `${c.name}: chain`);
    // The log written here replays to the same state (natively too: it is the same format).
    const replayed = replay(log.join("\n"));
    assert.equal(replayed.session.stateHash(), c.state_hash, `${c.name}: replay`);
    replayed.session.free();
    session.free();
    rules.free();
  }
  console.log(`compared ${doc.cases.length} golden sessions (${events} events) under Node`);
});

test("the shared JsonLogic suite passes case for case", () => {
  const suite = readJson("jsonlogic/tests.json").filter(Array.isArray);
  const failures = [];
  for (const [rule, data, expected] of suite) {
    let got;
    try {
      got = applyLogic(rule, data);
    } catch (e) {
      got = `error: ${e.message}`;
    }
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      failures.push(`${JSON.stringify(rule)} with ${JSON.stringify(data)}: got ${JSON.stringify(got)}`);
    }
  }
  assert.deepEqual(failures, []);
  assert.equal(suite.length, 278);
  console.log(`JsonLogic suite: ${suite.length} of 278 cases pass under Node`);
});
