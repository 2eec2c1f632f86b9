// Loading the .wasm as a browser game does (`init`, `initSync`), on a fresh copy of the package:
// calls before it, a truncated or foreign .wasm, and init called twice.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = fileURLToPath(new URL("../pkg/", import.meta.url));

/** The package's module from a copy of its files: a module instance of its own, not yet initialised. */
async function fresh() {
  const dir = mkdtempSync(join(tmpdir(), "xmarks-init-"));
  cpSync(pkg, dir, { recursive: true });
  const module = await import(join(dir, "xmarks.js"));
  return { module, dir, bytes: readFileSync(join(dir, "xmarks_bg.wasm")) };
}

const code = (c) => (e) => e instanceof Error && e.name === "XmarksError" && e.code === c;

test("every call before init is refused with not_initialized, and works after it", async () => {
  const { module: x, dir, bytes } = await fresh();
  const hunt = { id: "t", stages: 2 };
  const calls = [
    () => x.World.procedural(1),
    () => x.World.importCsv("id,x,y,kind,name\na,0,0,well,A\n"),
    () => x.Rules.default(),
    () => new x.Session({}, {}, 0),
    () => new x.Logic({ var: "a" }),
    () => x.applyLogic({ var: "a" }, { a: 1 }),
    () => x.generateHunt({}, hunt, { game: 1, round: 1 }, { id: "a", start: { x: 0, y: 0 } }),
    () => x.parseTemplate(hunt),
    () => x.checkRules({ id: "r", rules: [] }),
    () => x.versions(),
    () => x.walkthrough("{}", 0),
    () => x.replay(""),
  ];
  for (const call of calls) assert.throws(call, code("not_initialized"), String(call));
  await x.default({ module_or_path: bytes });
  await x.default({ module_or_path: bytes }); // a second init does nothing
  const world = x.World.procedural(1);
  assert.equal(x.applyLogic({ var: "a" }, { a: 1 }), 1);
  assert.equal(x.parseTemplate(hunt).stages, 2);
  world.free();
  rmSync(dir, { recursive: true, force: true });
});

test("a truncated or foreign .wasm is wasm_invalid, and the right one loads after it", async () => {
  const { module: x, dir, bytes } = await fresh();
  assert.throws(() => x.initSync({ module: bytes.subarray(0, bytes.length >> 1) }), code("wasm_invalid"));
  assert.throws(() => x.initSync({ module: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]) }), code("wasm_invalid"));
  // A valid module that is not this package's (it compiles, and has none of its exports).
  const empty = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
  await assert.rejects(x.default({ module_or_path: empty }), code("wasm_invalid"));
  assert.throws(() => x.initSync({ module: empty }), code("wasm_invalid"));
  assert.throws(() => x.World.procedural(1), code("not_initialized"));
  x.initSync({ module: bytes });
  const world = x.World.procedural(1);
  assert.ok(world.kinds().length > 0);
  world.free();
  rmSync(dir, { recursive: true, force: true });
});

test("a Hunt from another copy of the package is read as a plain hunt; its other handles are refused", async () => {
  const { module: x, dir, bytes } = await fresh();
  x.initSync({ module: bytes });
  const { xmarks } = await import("./common.mjs");
  const world = xmarks.World.procedural(7);
  const hunt = xmarks.generateHunt(world, { id: "t", stages: 2 }, { game: 1, round: 1 }, { id: "ann", start: { x: 0, y: 0 } });
  // Not this copy's Hunt: its data is read and fingerprinted, and plays the same.
  assert.ok(!(hunt instanceof x.Hunt));
  const theirs = new x.Session(hunt, x.Rules.default(), 0);
  const ours = new xmarks.Session(hunt, xmarks.Rules.default(), 0);
  for (const event of xmarks.walkthrough(hunt, 0)) {
    theirs.apply(event);
    ours.apply(event);
  }
  assert.equal(theirs.stateHash(), ours.stateHash());
  assert.equal(x.canonicalHuntJson(hunt), xmarks.canonicalHuntJson(hunt));
  // A handle that holds wasm memory (a World, Rules) from the other copy is refused at its path.
  assert.throws(() => x.generateHunt(world, { id: "t", stages: 2 }, { game: 1, round: 1 }, { id: "ann", start: { x: 0, y: 0 } }), code("input_invalid"));
  assert.throws(() => new x.Session(hunt, xmarks.Rules.default(), 0), code("input_invalid"));
  rmSync(dir, { recursive: true, force: true });
});
