// The demo: a hunt on a drawn map, played as an event-sourced session in the page, with a rules
// playground, a trust panel (fingerprint, state hash, log export and replay) and imports that run
// in a worker. Every rule of the game is the engine's; this file only drives it.
import init, { World, Rules, Session, generateHunt, walkthrough, replay, checkRules, versions } from "xmarks";
import { MapView } from "./map.js";

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
    raster: async (b, w, h) => world.biomeRaster(b, w, h),
    // Listing sites generates their tiles: only when zoomed in far enough for it to be quick.
    points: async (b) => (map.camera.mpp <= 6 ? world.sitePoints(b) : null),
    sites: async (b) => world.sitesIn(b),
    hunt: async (template, seeds, player) => generateHunt(world, template, seeds, player),
    free: () => world.free(),
  };
}

class WorkerWorld {
  constructor() {
    this.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    this.calls = new Map();
    this.next = 0;
    this.worker.onmessage = ({ data }) => {
      if (data.progress) return this.onProgress?.(data.progress);
      const call = this.calls.get(data.id);
      this.calls.delete(data.id);
      if (data.error) call.reject(Object.assign(new Error(data.error.message), data.error));
      else call.resolve(data.value);
    };
  }

  call(op, args, transfer = []) {
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  source(name, info) {
    return {
      kind: "imported",
      label: `${info.report.imported.toLocaleString("en")} sites from ${name}`,
      raster: async () => null,
      points: (b) => this.call("points", b),
      sites: (b) => this.call("sites", b),
      hunt: (template, seeds, player) => this.call("hunt", { template, seeds, player }),
      free: () => this.worker.terminate(),
    };
  }
}

// ---- the game

const game = {
  source: null,
  rules: Rules.default(),
  hunt: null,
  session: null,
  log: [], // the session's log lines (JSON Lines), header first
  t: 0, // the game clock, ms
  pos: { x: 0, y: 0 },
  dest: null,
  keys: new Set(),
  pending: 0, // game ms walked since the last move event
  autoplay: false,
  found: [],
};

const map = new MapView($("map"), {
  onClick: (p) => {
    if (!game.session || game.autoplay || game.session.state().status !== "active") return;
    game.dest = p;
    map.overlay.dest = p;
    map.redraw();
  },
});

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
  game.source = source;
  map.setSource(source, view);
  status(`Ready: ${source.label}.`);
}

async function newHunt() {
  const seed = Number($("seed").value);
  try {
    if (game.source?.kind !== "imported" && game.source?.seed !== seed) {
      useSource(proceduralSource(seed), { x: 0, y: 0, mpp: 2 });
      game.pos = { x: 0, y: 0 };
    }
    const template = { id: "demo", stages: Number($("stages").value), difficulty: Number($("difficulty").value) };
    const player = { id: $("player").value || "player", start: game.pos, level: 1 };
    game.hunt = await game.source.hunt(template, SEEDS, player);
    startSession();
    const f = $("fingerprint");
    f.dataset.hunts = String(Number(f.dataset.hunts ?? 0) + 1); // how many hunts this page made
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
  game.pos = { ...game.hunt.start };
  game.dest = null;
  game.found = [];
  $("log").replaceChildren();
  $("banner").hidden = true;
  Object.assign(map.overlay, { start: game.hunt.start, player: game.pos, dest: null, found: [], route: null, treasure: null });
  map.centreOn(game.hunt.start);
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
      game.found.push({ x: s.site.x, y: s.site.y, number: o.stage });
      map.overlay.found = game.found;
      note(`Stage ${o.stage} found: ${s.site.name}!`, "good");
      break;
    }
    case "points": note(`${o.delta >= 0 ? "+" : ""}${o.delta} points (${o.rule})`); break;
    case "item_given": note(`You get ${o.count} × ${o.item.replaceAll("_", " ")}`); break;
    case "item_taken": note(`${o.count} × ${o.item.replaceAll("_", " ")} taken`); break;
    case "flag_set": note(`${o.flag} = ${JSON.stringify(o.value)}`); break;
    case "hint": note(`Hint: ${o.text}`); break;
    case "message": note(o.text); break;
    case "hunt_completed": {
      const last = game.hunt.stages.at(-1).site;
      map.overlay.treasure = last;
      map.overlay.route = [game.hunt.start, ...game.hunt.stages.map((s) => s.site)];
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
  const outcomes = act({ type: "dig", t: game.t, x: game.pos.x, y: game.pos.y });
  if (outcomes?.length === 0) note("You dig… nothing here.");
}

// ---- walking: towards a clicked point or with W A S D, at 90% of the allowed speed

const round2 = (v) => Math.round(v * 100) / 100;

function flushMove() {
  if (game.pending === 0) return;
  game.t += game.pending;
  game.pending = 0;
  act({ type: "move", t: game.t, x: game.pos.x, y: game.pos.y });
}

let last = performance.now();
function walk(now) {
  const dt = Math.min(100, now - last);
  last = now;
  const s = game.session;
  if (s && !game.autoplay && s.state().status === "active") {
    let dir = null;
    if (game.dest) dir = { x: game.dest.x - game.pos.x, y: game.dest.y - game.pos.y };
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
        game.pos = { x: round2(game.pos.x + (dir.x / len) * step), y: round2(game.pos.y + (dir.y / len) * step) };
      }
      game.pending += gameMs;
      const arrived = game.dest && Math.hypot(game.dest.x - game.pos.x, game.dest.y - game.pos.y) < 0.05;
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
    if (event.type === "move" || event.type === "dig") game.pos = { x: event.x, y: event.y };
    act(event);
  }
  game.autoplay = false;
  $("autoplay").disabled = false;
}

// ---- rules playground

function showProblems(problems) {
  const list = $("rules-problems");
  list.replaceChildren(...problems.map((p) => {
    const li = document.createElement("li");
    const code = document.createElement("code");
    code.textContent = p.path;
    li.append(code, `: ${p.reason}`);
    return li;
  }));
  $("rules-apply").disabled = problems.length > 0;
}

function checkRulesText() {
  let spec;
  try {
    spec = JSON.parse($("rules-text").value);
  } catch (e) {
    return showProblems([{ path: "$", reason: `not JSON: ${e.message}` }]);
  }
  try {
    showProblems(checkRules(spec));
  } catch (e) {
    showProblems([{ path: e.path ?? "$", reason: e.message }]);
  }
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
  const ww = new WorkerWorld();
  ww.onProgress = (p) => {
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
    const bytes = new Uint8Array(await file.arrayBuffer());
    const info = await ww.call("import", { name: file.name, bytes }, [bytes.buffer]);
    bar.value = 1;
    const b = info.bounds;
    const centre = b ? { x: (b.min.x + b.max.x) / 2, y: (b.min.y + b.max.y) / 2 } : { x: 0, y: 0 };
    const span = b ? Math.max(b.max.x - b.min.x, b.max.y - b.min.y) : 1000;
    useSource(ww.source(file.name, info), { ...centre, mpp: Math.max(0.25, span / Math.min(map.width, map.height)) });
    game.pos = centre;
    const skipped = info.report.skipped ? `, ${info.report.skipped} rows skipped` : "";
    $("import-status").textContent = `Imported ${info.report.imported.toLocaleString("en")} sites${skipped}. Generate a hunt on them.`;
  } catch (e) {
    ww.worker.terminate();
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
  useSource(proceduralSource(Number($("seed").value)), { x: 0, y: 0, mpp: 2 });

// Offline play after the first visit (sw.js).
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("./sw.js").catch((e) => note(`Offline play is not available: ${e.message}`));
}
  game.pos = { x: 0, y: 0 };
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

useSource(proceduralSource(Number($("seed").value)), { x: 0, y: 0, mpp: 2 });

// Offline play after the first visit (sw.js).
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("./sw.js").catch((e) => note(`Offline play is not available: ${e.message}`));
}
