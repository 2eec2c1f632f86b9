// The golden vectors of tests/ under Node (tests/conformance/run.mjs, the same runner the browser
// uses): every hunt, session and JsonLogic case must give the native results byte for byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import { xmarks, readBytes, readText } from "./common.mjs";
import { runConformance } from "../../tests/conformance/run.mjs";

test("golden hunts, sessions and the JsonLogic suite match the native results", async () => {
  const r = await runConformance(xmarks, { text: async (p) => readText(p), bytes: async (p) => readBytes(p) });
  assert.deepEqual(r.mismatches, []);
  assert.ok(r.hunts >= 50 && r.views >= 5 && r.sessions >= 10 && r.teamSessions === 3 && r.jsonlogic === 278 + 78, JSON.stringify(r)); // classic suite + current specification
  console.log(`compared ${r.hunts} golden hunts (${r.fullHunts} with full canonical JSON), ${r.views} player views, ${r.sessions} golden sessions (${r.teamSessions} of teams; ${r.events} events) and ${r.jsonlogic} JsonLogic cases under Node`);
});
