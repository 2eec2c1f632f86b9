// The demo's online mode in real Chromium: two and then three browser contexts (each a player with
// their own page) make a team on a real reference game server process, start it, and play the
// team's one session together. Every page ends with the same stages found, the same points and
// the same final state hash, which is also what the server's log gives when this page replays it
// and when the native CLI does. The three play the hourly race: its leaderboard lists their team.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "../../wasm/tests/browser.mjs";
import { DEMO, serve } from "../serve.mjs";
import { startGameServer } from "../game-server.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const shots = join(root, "out", "screenshots");
const scratch = mkdtempSync(join(tmpdir(), "xmarks-team-"));
let game;
let demo;
let browser;
const problems = [];

before(async () => {
  execFileSync("cargo", ["build", "-q", "-p", "xmarks-cli", "-p", "xmarks-server"], { cwd: root, stdio: "inherit" });
  mkdirSync(shots, { recursive: true });
  game = await startGameServer({ binary: join(root, "target", "debug", "xmarks-server"), dir: join(scratch, "server") });
  demo = await serve(DEMO, 0, { api: game.url });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await demo?.close();
  await game?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** A player's own browser context and page, named, on the Team tab. */
async function player(name) {
  const context = await browser.newContext({ viewport: { width: 1300, height: 800 } });
  const page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && problems.push(`${name}: console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`${name}: page: ${e.message}`));
  // Walking runs 400 game seconds per second.
  await page.goto(`${demo.url}?speed=400`);
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Ready"), null, { timeout: 60_000 });
  await page.fill("#player", name);
  await page.click("[role=tab][data-tab=team]");
  await page.waitForSelector("#team-lobby:not([hidden])", { timeout: 30_000 });
  return page;
}

/** Makes a team on the first page (for the template or the race), joins the others with its code, starts it and plays it with every page walking; returns each page's view of the end. */
async function playTogether(pages, playFor) {
  const [first, ...others] = pages;
  await first.selectOption("#team-for", playFor);
  await first.click("#team-create");
  await first.waitForFunction(() => document.getElementById("team-invite").textContent.includes("."));
  const code = await first.textContent("#team-invite");
  for (const page of others) {
    await page.fill("#team-code", code);
    await page.click("#team-join");
    await page.waitForFunction(() => document.getElementById("team-invite").textContent.includes("."));
  }
  await first.waitForFunction((n) => document.querySelectorAll("#team-members li").length === n, pages.length);
  await first.click("#team-start");
  for (const page of pages) await page.waitForFunction(() => document.body.dataset.online === "playing", null, { timeout: 30_000 });
  for (const page of pages) {
    await page.click("[role=tab][data-tab=play]");
    await page.click("#autoplay");
  }
  for (const page of pages) await page.waitForFunction(() => document.body.dataset.online === "ended", null, { timeout: 180_000 });
  const ends = [];
  for (const page of pages) {
    await page.click("[role=tab][data-tab=team]");
    ends.push(await page.evaluate(() => ({
      team: document.getElementById("team-id").textContent,
      hash: document.getElementById("team-hash").textContent,
      replayed: document.getElementById("team-replay").textContent,
      points: document.getElementById("team-points").textContent,
      found: document.getElementById("team-found").textContent,
      status: document.getElementById("team-status").textContent,
      panel: [...document.querySelectorAll("#team-panel tbody tr")].map((r) => [...r.cells].map((c) => c.textContent.replace(" (you)", ""))),
      log: document.getElementById("log").textContent,
      mates: document.querySelectorAll("#team-members li").length,
    })));
  }
  return ends;
}

/** The session's log from the server, replayed by the native CLI. */
async function nativeReplay(team, member) {
  const v = await fetch(`${game.url}/v1/teams/${team}?player=${member}`).then((r) => r.json());
  const log = await fetch(`${game.url}/v1/sessions/${v.session}/log`, { headers: { authorization: `Bearer ${v.token}` } }).then((r) => r.text());
  const file = join(scratch, `${team}.jsonl`);
  writeFileSync(file, log);
  return JSON.parse(execFileSync(join(root, "target", "debug", "xmarks"), ["replay", file], { encoding: "utf8" }));
}

/** Every page saw the same end, the server's log replays to it here and natively. */
async function sameEverywhere(ends, names) {
  const [a, ...rest] = ends;
  assert.equal(a.status, "completed", JSON.stringify(a));
  assert.equal(a.found, "4");
  assert.match(a.hash, /^[0-9a-f]{64}$/);
  assert.equal(a.replayed, a.hash, "the page's replay of the server's log");
  for (const b of rest) {
    for (const key of ["team", "hash", "replayed", "points", "found", "status", "panel"]) assert.deepEqual(b[key], a[key], key);
  }
  const native = await nativeReplay(a.team, names[0]);
  assert.equal(native.valid, true);
  assert.equal(native.state_hash, a.hash, "the native replay of the server's log");
  // The team panel's points add up to the team's; the stages were found by members of the team.
  assert.equal(a.panel.reduce((sum, row) => sum + Number(row[1]), 0), Number(a.points));
  assert.deepEqual(a.panel.map((row) => row[0]).sort(), [...names].sort());
  // What a teammate found reached the others' pages.
  for (const [i, end] of ends.entries()) {
    for (const row of a.panel) {
      if (row[0] !== names[i] && row[3] !== "–") assert.match(end.log, new RegExp(`${row[0]} found stage`), `${names[i]} heard of ${row[0]}'s find`);
    }
  }
}

test("two players make a team, play one session together and see the same end", async () => {
  const names = ["ann", "bob"];
  const pages = [];
  for (const name of names) pages.push(await player(name));
  const ends = await playTogether(pages, "template");
  await sameEverywhere(ends, names);
  await pages[0].screenshot({ path: join(shots, "team-of-two.png") });
  for (const page of pages) await page.context().close();
});

test("three players race as a team: the same end everywhere, and the race's leaderboard lists them", async () => {
  const names = ["cy", "dee", "eli"];
  const pages = [];
  for (const name of names) pages.push(await player(name));
  const ends = await playTogether(pages, "event");
  await sameEverywhere(ends, names);
  // The board lists the team with its three members, as the server has it.
  await pages[1].waitForFunction(() => document.querySelector("#leaderboard li")?.textContent.includes("cy + dee + eli"), null, { timeout: 10_000 });
  const board = await fetch(`${game.url}/v1/events/crew-race/leaderboard`).then((r) => r.json());
  assert.deepEqual(board.entries.map((e) => [e.player, e.members]), [[ends[0].team, names]]);
  await pages[2].screenshot({ path: join(shots, "team-race.png") });
  for (const page of pages) await page.context().close();
  assert.deepEqual(problems, []);
});
