// The packed tarball, installed as a user would: a scratch project runs it under Node (ESM and
// CommonJS) and Deno and type-checks a strict TypeScript consumer, and a Vite build of it runs in
// Chromium, on a page and in a Web Worker.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { play } from "./consumer/program.js";
import { sitesCsv, TEMPLATE, SEEDS, PLAYER, playLog, BAD_CSV } from "./consumer/sites.js";
import { xmarks } from "./common.mjs";
import { launch, serve } from "./browser.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const pkg = fileURLToPath(new URL("../pkg/", import.meta.url));
const bin = (name) => join(here, "node_modules", ".bin", name);
/** Runs a command; a failure's message carries what it printed (tsc's errors, for one). */
function run(cmd, args, cwd) {
  try {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    e.message += `\n${e.stdout ?? ""}${e.stderr ?? ""}`;
    throw e;
  }
}

/** What the scratch programs print, computed here from the package in the repository: a hunt walked to its end. */
function expected() {
  const out = play(xmarks);
  assert.equal(out.status, "completed");
  return out;
}

/** What the page's XmarksWorker section must show, computed here without a worker. */
function expectedFromHelper() {
  const { World, Rules, Session, generateHunt, walkthrough, replay } = xmarks;
  const world = World.importCsv(sitesCsv());
  const hunt = generateHunt(world, TEMPLATE, SEEDS, PLAYER);
  const session = new Session(hunt, Rules.default(), 0);
  const replayed = replay(playLog(session, walkthrough, hunt));
  let error;
  try {
    World.importCsv(BAD_CSV);
  } catch (e) {
    error = { code: e.code, path: e.path };
  }
  return {
    imported: world.importReport().imported, space: world.space(), near: world.nearest({ x: 0, y: 0 }, 3, ["well"]).map((n) => n.id),
    fingerprint: hunt.fingerprint, status: replayed.session.state().status, hash: session.stateHash(), same: true,
    events: replayed.outcomes.length, progress: true,
    phases: ["importCsv:indexing", "importCsv:reading", "replay:replaying"], error, uncloneable: "input_invalid", freed: "freed",
    terminated: "worker_failed", broken: "worker_failed",
  };
}

const scratch = mkdtempSync(join(tmpdir(), "xmarks-pack-"));
const app = join(scratch, "app");
test.after(() => rmSync(scratch, { recursive: true, force: true }));

test("npm pack holds the package files and nothing else", () => {
  const [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", scratch], pkg));
  const files = packed.files.map((f) => f.path).sort();
  assert.deepEqual(files, [
    "LICENSE-APACHE", "LICENSE-MIT", "README.md", "bindings.js", "encode.js", "node.js", "package.json", "worker.js", "xmarks.d.ts", "xmarks.js", "xmarks_bg.wasm",
  ]);
  const types = readFileSync(join(pkg, "xmarks.d.ts"), "utf8");
  assert.doesNotMatch(types, /\bany\b/, "the public types hold no `any`");
  cpSync(join(here, "consumer"), app, { recursive: true });
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
  run("npm", ["install", "--offline", "--no-audit", "--no-fund", join(scratch, packed.filename)], app);
});

test("the installed package runs in a scratch ESM project under Node", () => {
  const got = JSON.parse(run("node", ["main.mjs"], app));
  assert.deepEqual(got, expected());
});

test("require(\"xmarks\") from CommonJS gives the same results", () => {
  const got = JSON.parse(run("node", ["main.cjs"], app));
  assert.deepEqual(got, expected());
});

test("Deno runs it from the tarball, with the same results, and XmarksWorker in its Web Workers", () => {
  const got = JSON.parse(run(bin("deno"), ["run", "--allow-read", "main.mjs"], app));
  assert.deepEqual(got, expected());
  const fromHelper = JSON.parse(run(bin("deno"), ["run", "--allow-read", "deno-worker.mjs"], app));
  assert.deepEqual(fromHelper, expectedFromHelper());
});

test("a consumer .ts file type-checks with tsc --strict against the installed types", () => {
  run(bin("tsc"), ["-p", "tsconfig.json"], app);
  // And a type error is caught: the check is real.
  writeFileSync(join(app, "wrong.ts"), 'import { generateHunt, World } from "xmarks";\ngenerateHunt(World.procedural(1), { id: "t" }, { game: 1, round: 1 }, { id: "a", start: { x: 0, y: 0 } });\n');
  assert.throws(() => run(bin("tsc"), ["--noEmit", "--strict", "--moduleResolution", "bundler", "--module", "esnext", "--target", "es2022", "--lib", "es2022,dom,esnext.disposable", "wrong.ts"], app), (e) => /'stages' is missing/.test(e.stdout));
});

test("the types check without the DOM lib's newer parts, and in a Node project without the DOM lib", () => {
  const tsc = (...options) => run(bin("tsc"), ["--noEmit", "--strict", "--exactOptionalPropertyTypes", "--skipLibCheck", "false",
    "--moduleResolution", "bundler", "--module", "esnext", "--target", "es2022", ...options, "consumer.ts"], app);
  // ES2023 and the DOM, without esnext.disposable: the classes' `[Symbol.dispose]` still checks.
  tsc("--lib", "es2023,dom");
  // Node only: no RequestInfo, BufferSource or WebAssembly from the DOM.
  tsc("--lib", "es2023", "--typeRoots", join(here, "node_modules", "@types"), "--types", "node");
  // No DOM and no Node types at all (the scratch project has no @types of its own).
  tsc("--lib", "es2023");
});

test("a Vite build of it runs in Chromium, on the page and in a Web Worker", { timeout: 180_000 }, async () => {
  run(bin("vite"), ["build", "--logLevel", "warn"], app);
  const server = await serve({ "/": join(app, "dist") });
  let browser;
  try {
    // Launched inside the `try`: a browser that fails to start must not leave the server holding
    // the process open.
    browser = await launch();
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => document.getElementById("result").textContent !== "loading", null, { timeout: 60_000 });
    const text = await page.textContent("#result");
    assert.deepEqual(JSON.parse(text), expected(), text);
    // And in a module Web Worker of the same build.
    await page.waitForFunction(() => document.getElementById("worker").textContent !== "loading", null, { timeout: 60_000 });
    const fromWorker = await page.textContent("#worker");
    assert.deepEqual(JSON.parse(fromWorker), expected(), fromWorker);
    // The package's worker helper, XmarksWorker: the same answers as the package here gives.
    await page.waitForFunction(() => document.getElementById("helper").textContent !== "loading", null, { timeout: 120_000 });
    const fromHelper = await page.textContent("#helper");
    assert.deepEqual(JSON.parse(fromHelper), expectedFromHelper(), fromHelper);
  } finally {
    await browser?.close();
    await server.close();
  }
});
