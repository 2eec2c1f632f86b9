// The demo in real Chromium (Debian's, driven by playwright-core), against the native CLI: the same
// hunt, the same final state hash for an exported log, the golden vectors inside the browser, bad
// rules shown with their path, and an imported 100,000-point CSV. Screenshots go to out/screenshots.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "../../wasm/tests/browser.mjs";
import { DEMO, serve } from "../serve.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const shots = join(root, "out", "screenshots");
const scratch = mkdtempSync(join(tmpdir(), "xmarks-demo-"));
const TEMPLATE = { id: "demo", stages: 4, difficulty: 3 }; // what the page's form makes by default

let server;
let browser;
let page;
const problems = []; // console errors and uncaught exceptions, over the whole run

/** The native CLI, built once. */
function xmarks(...args) {
  return execFileSync(join(root, "target", "debug", "xmarks"), args, { encoding: "utf8", cwd: root });
}

before(async () => {
  execFileSync("cargo", ["build", "-q", "-p", "xmarks-cli"], { cwd: root, stdio: "inherit" });
  mkdirSync(shots, { recursive: true });
  writeFileSync(join(scratch, "template.json"), JSON.stringify(TEMPLATE));
  server = await serve(DEMO);
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 850 }, acceptDownloads: true });
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page: ${e.message}`));
  // Walking runs 2000 game seconds per second here, so a whole hunt plays in moments.
  await page.goto(`${server.url}?speed=2000`);
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Ready"), null, { timeout: 60_000 });
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const text = (selector) => page.textContent(selector);
const tab = (name) => page.click(`[role=tab][data-tab=${name}]`);

/** Clicks "Generate a hunt" and waits for the new hunt's fingerprint. */
async function generate() {
  const made = Number((await page.getAttribute("#fingerprint", "data-hunts")) ?? 0);
  await page.click("#generate");
  await page.waitForFunction((n) => Number(document.getElementById("fingerprint").dataset.hunts) > n, made, { timeout: 60_000 });
  return text("#fingerprint");
}

test("the page loads and draws the map with no console error", async () => {
  await page.waitForTimeout(1500); // terrain tiles are drawn over a few frames
  await page.screenshot({ path: join(shots, "1-start.png") });
  assert.deepEqual(problems, []);
});

test("a hunt for fixed inputs has the native CLI's fingerprint", async () => {
  const fingerprint = await generate();
  const native = JSON.parse(xmarks("hunt", "--seed", "7", "-t", join(scratch, "template.json"), "--player", "ann",
    "--start", "0,0", "--level", "1", "--game", "1", "--round", "1"));
  assert.equal(fingerprint, native.fingerprint);
  assert.match(await text("#clue"), /\w+/);
});

test("walking and digging by hand are events of the session", async () => {
  const box = await page.locator("#map").boundingBox();
  await page.mouse.click(box.x + box.width / 2 + 120, box.y + box.height / 2 + 60);
  await page.waitForFunction(() => Number(document.getElementById("events").textContent) > 0, null, { timeout: 30_000 });
  await page.waitForTimeout(500);
  await page.locator("#map").focus();
  await page.keyboard.press("Space"); // dig where the player stands: a miss, most likely
  await page.waitForFunction(() => document.querySelectorAll("#log li").length > 1);
  await page.screenshot({ path: join(shots, "2-mid-hunt.png") });
  assert.deepEqual(problems, []);
});

test("a scripted player finishes the hunt, and the native replay of the exported log agrees", async () => {
  await page.click("#autoplay");
  await page.waitForFunction(() => !document.getElementById("banner").hidden, null, { timeout: 120_000 });
  await page.waitForTimeout(1000);
  await page.screenshot({ path: join(shots, "3-treasure-found.png") });
  await page.screenshot({ path: join(shots, "3-treasure-found.jpg"), quality: 80 }); // docs/demo.jpg is one of these
  await tab("trust");
  const stateHash = await text("#state-hash");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
  const file = join(scratch, "session.jsonl");
  await download.saveAs(file);
  const native = JSON.parse(xmarks("replay", file));
  assert.equal(native.valid, true);
  assert.equal(native.status, "completed");
  assert.equal(native.state_hash, stateHash);

  // The page replays logs too: this one is valid, and an edited one names the line that broke.
  await page.setInputFiles("#replay-file", file);
  await page.waitForFunction(() => document.getElementById("replay-result").textContent.startsWith("Valid"));
  assert.match(await text("#replay-result"), new RegExp(stateHash));
  const lines = readFileSync(file, "utf8").split("\n");
  lines[5] = lines[5].replace(/"t":(\d+)/, (_, t) => `"t":${Number(t) + 1}`);
  writeFileSync(join(scratch, "edited.jsonl"), lines.join("\n"));
  await page.setInputFiles("#replay-file", join(scratch, "edited.jsonl"));
  await page.waitForFunction(() => document.getElementById("replay-result").textContent.startsWith("Invalid"));
  assert.match(await text("#replay-result"), /^Invalid at line 6: /);
  await tab("play");
});

test("an invalid ruleset shows its problems with their paths, and the page goes on working", async () => {
  await tab("rules");
  const original = await page.inputValue("#rules-text");
  const spec = JSON.parse(original);
  spec.rules[0].then.push({ teleport: true });
  spec.rules[1].on = ["fly"];
  await page.fill("#rules-text", JSON.stringify(spec, null, 2));
  await page.waitForFunction(() => document.querySelectorAll("#rules-problems li").length === 2);
  const shown = await page.locator("#rules-problems li").allTextContents();
  assert.match(shown.join("\n"), /rules\[0\]\.then\[\d+\]\.teleport: unknown effect/);
  assert.match(shown.join("\n"), /rules\[1\]\.on\[0\]/);
  assert.equal(await page.isDisabled("#rules-apply"), true);
  await page.fill("#rules-text", "{ not json");
  await page.waitForFunction(() => document.getElementById("rules-problems").textContent.includes("not JSON"));

  // The current JSON Logic operators: a rule that can raise is pointed out (and may still be
  // applied), and is not once `try` gives it a fallback; a scope climb past the data is a problem.
  const current = JSON.parse(original);
  current.rules.push({
    id: "share",
    on: ["dig"],
    when: { exists: ["event", "x"] },
    then: [{ add_points: { "/": [100, { "??": [{ val: ["session", "digs"] }, 0] }] } }],
  });
  const notes = async () => (await page.locator("#rules-problems li.note").allTextContents()).join("\n");
  await page.fill("#rules-text", JSON.stringify(current));
  await page.waitForFunction(() => document.getElementById("rules-problems").textContent.includes("share"));
  const last = `rules[${current.rules.length - 1}] (share): note: its effects can raise an error`;
  assert.ok((await notes()).includes(last), await notes());
  assert.equal(await page.locator("#rules-problems li.problem").count(), 0);
  assert.equal(await page.isDisabled("#rules-apply"), false);
  current.rules.at(-1).then[0].add_points = { try: [current.rules.at(-1).then[0].add_points, 0] };
  await page.fill("#rules-text", JSON.stringify(current));
  await page.waitForFunction(() => !document.getElementById("rules-problems").textContent.includes("share"));
  // The default rules' orderings can raise too (a distance that is not a number).
  assert.match(await notes(), /rules\[0\] \(dig-finds-the-stage\): note: its condition can raise/);
  current.rules.at(-1).when = { val: [[-1], "index"] };
  await page.fill("#rules-text", JSON.stringify(current));
  await page.waitForFunction(() => document.querySelector("#rules-problems li.problem") !== null);
  assert.match(await text("#rules-problems"), /rules\[\d+\]\.when\.val\[0\]: climbs 1 scopes, but only 0 enclose it/);

  // A valid change applies to a new session.
  const edited = { ...JSON.parse(original), id: "edited" };
  await page.fill("#rules-text", JSON.stringify(edited));
  await page.waitForFunction(() => !document.getElementById("rules-problems").textContent.includes("climbs"));
  assert.equal(await page.locator("#rules-problems li.problem").count(), 0);
  await page.click("#rules-apply");
  assert.match(await text("#rules-status"), /"edited"/);
  await tab("play");
  assert.equal((await generate()).length, 64);
  assert.deepEqual(problems, []);
});

test("an imported CSV of 100,000 points shows progress, then yields the native CLI's hunt", { timeout: 180_000 }, async () => {
  const kinds = ["well", "fountain", "statue", "church", "ruins", "tree"];
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const rows = ["id,x,y,kind,name,weight"];
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < 100_000; i++) {
    const x = Math.round(rand() * 20_000_00) / 100;
    const y = Math.round(rand() * 20_000_00) / 100;
    [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
    rows.push(`poi-${i},${x},${y},${kinds[i % kinds.length]},Place ${i},1`);
  }
  const csv = join(scratch, "points.csv");
  writeFileSync(csv, rows.join("\n"));

  await tab("import");
  await page.setInputFiles("#import-file", csv);
  await page.waitForFunction(() => document.getElementById("import-status").textContent.startsWith("Imported"), null, { timeout: 120_000 });
  assert.equal(await text("#import-status"), "Imported 100,000 sites. Generate a hunt on them.");
  const seen = Number(await page.getAttribute("#import-progress", "data-seen"));
  assert.ok(seen > 0 && seen <= 1, `progress reported while parsing: ${seen}`);

  await tab("play");
  const fingerprint = await generate();
  assert.match(await text("#status"), /100,000 sites from points\.csv/);
  const start = `${(x0 + x1) / 2},${(y0 + y1) / 2}`; // the page starts players at the centre
  const native = JSON.parse(xmarks("hunt", "--import", csv, "-t", join(scratch, "template.json"), "--player", "ann",
    `--start=${start}`, "--level", "1"));
  assert.equal(fingerprint, native.fingerprint);
  assert.deepEqual(problems, []);
});

test("after one visit the demo works offline", { timeout: 120_000 }, async () => {
  const context = page.context();
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload(); // the service worker now controls the page and has cached its files
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Ready"), null, { timeout: 60_000 });
  await context.setOffline(true);
  try {
    await page.reload();
    await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Ready"), null, { timeout: 60_000 });
    assert.equal((await generate()).length, 64);
  } finally {
    await context.setOffline(false);
  }
  assert.deepEqual(problems, []);
});

test("the golden vectors pass inside Chromium", { timeout: 180_000 }, async () => {
  const r = await page.evaluate(async () => {
    const xmarks = await import("/pkg/xmarks.js");
    await xmarks.default();
    const { runConformance } = await import("/tests/conformance/run.mjs");
    const get = async (path) => {
      const res = await fetch(`/tests/${path}`);
      if (!res.ok) throw new Error(`${path}: ${res.status}`);
      return res;
    };
    return runConformance(xmarks, {
      text: async (p) => (await get(p)).text(),
      bytes: async (p) => new Uint8Array(await (await get(p)).arrayBuffer()),
    });
  });
  assert.deepEqual(r.mismatches, []);
  assert.ok(r.hunts >= 50 && r.views >= 5 && r.sessions >= 10 && r.teamSessions === 3 && r.jsonlogic === 278 + 78, JSON.stringify(r)); // classic suite + current specification
  console.log(`compared ${r.hunts} golden hunts (${r.fullHunts} with full canonical JSON), ${r.views} player views, ${r.sessions} golden sessions (${r.teamSessions} of teams; ${r.events} events) and ${r.jsonlogic} JsonLogic cases in Chromium`);
  assert.deepEqual(problems, []);
});
