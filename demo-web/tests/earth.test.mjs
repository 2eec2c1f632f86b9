// The demo's real world in Chromium: Natural Earth's land and the world's cities drawn and credited,
// a start found by a city's name or by the device's location (a granted permission, a fixed
// position), zoom from the whole globe down to a few hundred metres, a hunt with the native CLI's
// fingerprint, and a scripted walk whose exported log replays natively to the same state hash.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "../../wasm/tests/browser.mjs";
import { DEMO, serve } from "../serve.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const shots = join(root, "out", "screenshots");
const scratch = mkdtempSync(join(tmpdir(), "xmarks-earth-"));
const TOKYO = { latitude: 35.6895, longitude: 139.69171, accuracy: 12 }; // the device, in these tests

let server;
let browser;
let context;
let page;
const problems = [];

function xmarks(...args) {
  return execFileSync(join(root, "target", "debug", "xmarks"), args, { encoding: "utf8", cwd: root });
}

before(async () => {
  execFileSync("cargo", ["build", "-q", "-p", "xmarks-cli"], { cwd: root, stdio: "inherit" });
  mkdirSync(shots, { recursive: true });
  server = await serve(DEMO);
  // The cities the page plays on, for the CLI to import the same.
  writeFileSync(join(scratch, "cities.csv"), await (await fetch(`${server.url}data/cities.csv`)).text());
  browser = await launch();
  context = await browser.newContext({
    viewport: { width: 1400, height: 850 },
    acceptDownloads: true,
    permissions: ["geolocation"],
    geolocation: TOKYO,
  });
  page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page: ${e.message}`));
  await page.goto(`${server.url}?world=earth&speed=2000`);
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Ready"), null, { timeout: 120_000 });
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const text = (selector) => page.textContent(selector);

/** Shares of the map's pixels in the sea's colour and the land's (the paper). */
function landAndSea() {
  return page.evaluate(() => {
    const canvas = document.getElementById("map");
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    const near = (i, [r, g, b]) => Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 40;
    let [sea, land] = [0, 0];
    for (let i = 0; i < data.length; i += 4 * 7) {
      if (near(i, [0xc9, 0xd3, 0xc0])) sea++;
      else if (near(i, [0xef, 0xe0, 0xbb])) land++;
    }
    const n = data.length / (4 * 7);
    return { sea: sea / n, land: land / n };
  });
}

/** Generates a hunt and returns its fingerprint with the inputs the page used. */
async function generate() {
  const made = Number((await page.getAttribute("#fingerprint", "data-hunts")) ?? 0);
  await page.click("#generate");
  await page.waitForFunction((n) => Number(document.getElementById("fingerprint").dataset.hunts) > n, made, { timeout: 60_000 });
  const f = page.locator("#fingerprint");
  return {
    fingerprint: await f.textContent(),
    template: JSON.parse(await f.getAttribute("data-template")),
    start: JSON.parse(await f.getAttribute("data-start")),
  };
}

/** The same hunt from the native CLI, on the same cities. */
function native({ template, start }) {
  const file = join(scratch, "template.json");
  writeFileSync(file, JSON.stringify(template));
  return JSON.parse(xmarks("hunt", "--import", join(scratch, "cities.csv"), "-t", file, "--player", "ann",
    "--lonlat", `${start.lon},${start.lat}`, "--level", "1", "--game", "1", "--round", "1"));
}

test("the real world is drawn with its land, coast and cities, and credits its sources", async () => {
  await page.waitForTimeout(1000);
  const { sea, land } = await landAndSea();
  assert.ok(sea > 0.15 && land > 0.15, `Iceland and the sea around it: ${JSON.stringify({ sea, land })}`);
  const credit = await text("#attribution");
  assert.match(credit, /GeoNames/);
  assert.match(credit, /CC BY 4\.0/);
  assert.match(credit, /Natural Earth/);
  assert.equal(await page.isVisible("#attribution"), true);
  assert.match(await text("#status"), /135,233 cities/);
  await page.screenshot({ path: join(shots, "earth-1-iceland.png") });
});

test("the map zooms from the whole globe down to a few hundred metres", async () => {
  await page.locator("#map").focus();
  for (let i = 0; i < 30; i++) await page.keyboard.press("-");
  await page.waitForTimeout(1500);
  assert.match(await page.getAttribute("#map", "data-scale"), /^[\d,]+ km$/);
  assert.ok(parseInt((await page.getAttribute("#map", "data-scale")).replaceAll(",", "")) >= 1000);
  const globe = await landAndSea();
  assert.ok(globe.sea > 0.3 && globe.land > 0.05, JSON.stringify(globe));
  await page.screenshot({ path: join(shots, "earth-2-globe.png") });
  for (let i = 0; i < 60; i++) await page.keyboard.press("+");
  await page.waitForTimeout(500);
  // A bar of at most 50 m in 120 pixels: a view a few hundred metres across.
  assert.match(await page.getAttribute("#map", "data-scale"), /^(\d+) m$/);
  assert.ok(parseInt(await page.getAttribute("#map", "data-scale")) <= 50);
});

/** Starts at the first city the search box offers for `name`. */
async function startAt(name, offered) {
  await page.fill("#city", name);
  await page.waitForFunction(() => document.querySelectorAll("#city-results button").length > 0);
  assert.equal(await page.locator("#city-results button").first().textContent(), offered);
  await page.locator("#city-results button").first().click();
}

test("a city found by name starts a hunt with the native CLI's fingerprint", async () => {
  // Around Nairobi the towns are too few for four stages: the page says why, as the engine does.
  await startAt("nairobi", "Nairobi (capital)");
  assert.match(await text("#start"), /^-1\.28\d*, 36\.8\d*$/);
  await page.click("#generate");
  await page.waitForFunction(() => document.getElementById("log").textContent.includes("No hunt"));
  assert.match(await text("#log"), /No hunt: stage \d of 4 cannot be placed: \d+ unfound sites of its kinds within 20000 m/);
  await startAt("lyon", "Lyon (city)");
  const hunt = await generate();
  assert.equal(hunt.template.search_radius, 20000);
  assert.equal(hunt.fingerprint, native(hunt).fingerprint);
  assert.match(await text("#clue"), /paces|Dig at/);
  await page.screenshot({ path: join(shots, "earth-3-nairobi.png") });
});

test("the device's location (granted) is where the hunt starts", async () => {
  await page.click("#locate");
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("You are at"));
  assert.match(await text("#status"), /within 12 m/);
  const hunt = await generate();
  assert.deepEqual(hunt.start, { lon: TOKYO.longitude, lat: TOKYO.latitude });
  assert.equal(hunt.fingerprint, native(hunt).fingerprint);
});

test("a scripted walk on the real world finishes, and the native replay of its log agrees", async () => {
  await page.click("#autoplay");
  await page.waitForFunction(() => !document.getElementById("banner").hidden, null, { timeout: 180_000 });
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(shots, "earth-4-treasure.png") });
  await page.click("[role=tab][data-tab=trust]");
  const stateHash = await text("#state-hash");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
  const file = join(scratch, "earth-session.jsonl");
  await download.saveAs(file);
  const replayed = JSON.parse(xmarks("replay", file));
  assert.equal(replayed.status, "completed");
  assert.equal(replayed.state_hash, stateHash);
  await page.click("[role=tab][data-tab=play]");
});

test("a dropped file of longitudes and latitudes is an Earth world on the same map", async () => {
  await page.click("[role=tab][data-tab=import]");
  await page.setInputFiles("#import-file", join(root, "tests", "worlds", "earth.csv"));
  await page.waitForFunction(() => document.getElementById("import-status").textContent.startsWith("Imported"), null, { timeout: 60_000 });
  assert.equal(await text("#import-status"), "Imported 5,800 sites. Generate a hunt on them.");
  assert.equal(await page.evaluate(() => document.body.classList.contains("earth")), true);
  await page.click("[role=tab][data-tab=play]");
  assert.deepEqual(problems, []);
});
