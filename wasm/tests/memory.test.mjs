// 100,000 sessions created, played and freed leave memory flat, in wasm and in the JS heap.
// Run with `node --expose-gc --test`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { xmarks } from "./common.mjs";

const { World, Rules, Session, generateHunt, walkthrough, default: init } = xmarks;

const wasm = await init(); // already initialised in Node: this hands back the instance's exports
const world = World.procedural(7);
const hunt = generateHunt(world, { id: "mem", stages: 3 }, { game: 1, round: 1 }, { id: "ann", start: { x: 0, y: 0 } });
const rules = Rules.default();
const events = walkthrough(hunt, 0).slice(0, 5);

async function settle() {
  for (let i = 0; i < 5; i++) {
    global.gc();
    await sleep(10); // lets FinalizationRegistry callbacks run
  }
  return { wasm: wasm.memory.buffer.byteLength, heap: process.memoryUsage().heapUsed };
}

function play(n, free) {
  for (let i = 0; i < n; i++) {
    const session = new Session(hunt, rules, 0);
    for (const e of events) session.apply(e);
    if (free) session.free();
  }
}

test("creating and freeing 100,000 sessions leaves memory flat", { timeout: 300_000 }, async () => {
  assert.equal(typeof global.gc, "function", "run with node --expose-gc");
  play(10_000, true); // warm up: the allocator and the JIT reach their working size
  const before = await settle();
  play(100_000, true);
  const after = await settle();
  console.log(`100,000 sessions freed: wasm memory ${before.wasm} -> ${after.wasm} bytes, JS heap ${(before.heap / 1e6).toFixed(1)} -> ${(after.heap / 1e6).toFixed(1)} MB`);
  assert.equal(after.wasm, before.wasm, "wasm memory grew");
  assert.ok(after.heap - before.heap < 4e6, "JS heap grew by more than 4 MB");
});

test("sessions dropped without free() are released by the garbage collector", { timeout: 300_000 }, async () => {
  play(5_000, false);
  const before = await settle();
  play(5_000, false);
  const after = await settle();
  console.log(`5,000 sessions dropped: wasm memory ${before.wasm} -> ${after.wasm} bytes`);
  assert.equal(after.wasm, before.wasm, "wasm memory grew");
});

/** `n` hunts, each opening a session (which makes its engine copy playable, as a game would). */
function hunts(n, free) {
  for (let i = 0; i < n; i++) {
    const hunt = generateHunt(world, { id: "mem", stages: 3 }, { game: 1, round: i % 3_000 }, { id: "ann", start: { x: 0, y: 0 } });
    new Session(hunt, rules, 0).free();
    if (free) hunt.free();
  }
}

test("creating and freeing 10,000 hunts leaves wasm memory flat", { timeout: 300_000 }, async () => {
  hunts(4_000, true); // every round's tiles cached
  const before = await settle();
  hunts(10_000, true);
  const after = await settle();
  console.log(`10,000 hunts freed: wasm memory ${before.wasm} -> ${after.wasm} bytes`);
  assert.equal(after.wasm, before.wasm, "wasm memory grew");
});

test("hunts dropped without free() leave wasm memory flat (only the last 64 keep engine copies)", { timeout: 300_000 }, async () => {
  hunts(5_000, false);
  const before = await settle();
  hunts(5_000, false);
  const after = await settle();
  console.log(`5,000 hunts dropped: wasm memory ${before.wasm} -> ${after.wasm} bytes`);
  assert.equal(after.wasm, before.wasm, "wasm memory grew");
});
