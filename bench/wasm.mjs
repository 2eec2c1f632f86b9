// The npm package under Node: hunt latency (p50/p99 over 20,000 players, as `cargo bench --bench
// hunt` measures natively), index build of 1M sites against kdbush, JsonLogic evaluation against
// json-logic-js and json-logic-engine, and session events per second. Prints JSON.
//   node bench/wasm.mjs  (after bash wasm/build.sh; bench/wasm.sh runs both and the native side)
import KDBush from 'kdbush';
import { around } from 'geokdbush';
import jsonLogic from 'json-logic-js';
import { LogicEngine } from 'json-logic-engine';
import { readFileSync } from 'node:fs';
import { World, Rules, Session, Logic, generateHunt, applyLogic, walkthrough } from '../wasm/pkg/node.js';

const PLAYERS = 20_000;
const SITES = 1_000_000;
const SIDE = 100_000;
const KINDS = ['well', 'fountain', 'statue', 'church', 'museum', 'bench', 'tree', 'ruins', 'viewpoint', 'lighthouse'];

/** mulberry32: the players and points here are a fixed pseudo-random draw, like the native bench's. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const quantile = (sorted, q) => sorted[Math.floor((sorted.length - 1) * q)];

function template(kinds) {
  return { id: 'bench', stages: 5, difficulty: 3, search_radius: 1500, leg: { min: 150, max: 700 }, spacing: 120, kinds };
}

function players(spread, seed) {
  const r = rng(seed);
  return Array.from({ length: PLAYERS }, (_, i) => ({
    id: `player-${i}`, start: { x: (r() - 0.5) * spread, y: (r() - 0.5) * spread }, level: 1 + (i % 30), found: [],
  }));
}

/** Per-hunt latency through the JS API (inputs and the returned hunt object included), in µs. */
function latency(world, t, ps) {
  const seeds = { game: 1, round: 1 };
  const times = [];
  const made = []; // the players who got a hunt (the others get a quick error)
  let failed = 0;
  for (const p of ps) {
    const t0 = process.hrtime.bigint();
    let ok = true;
    try {
      generateHunt(world, t, seeds, p);
    } catch {
      failed++;
      ok = false;
    }
    const us = Number(process.hrtime.bigint() - t0) / 1e3;
    times.push(us);
    if (ok) made.push(us);
  }
  times.sort((a, b) => a - b);
  made.sort((a, b) => a - b);
  return {
    p50_us: quantile(times, 0.5), p99_us: quantile(times, 0.99), max_us: times.at(-1), failed,
    with_hunt: { p50_us: quantile(made, 0.5), p99_us: quantile(made, 0.99), players: made.length },
  };
}

function hunts() {
  const procedural = World.procedural(7);
  const any = template([]);
  const ps = players(8000, 1);
  for (const p of ps) { try { generateHunt(procedural, any, { game: 1, round: 1 }, p); } catch {} } // tiles, JIT
  const out = { procedural: latency(procedural, any, ps) };
  procedural.free();
  return out;
}

function sitesCsv() {
  const r = rng(2);
  const xy = new Float64Array(2 * SITES);
  const rows = ['id,x,y,kind,name,weight'];
  for (let i = 0; i < SITES; i++) {
    xy[2 * i] = (r() - 0.5) * SIDE;
    xy[2 * i + 1] = (r() - 0.5) * SIDE;
    rows.push(`poi-${i},${xy[2 * i]},${xy[2 * i + 1]},${KINDS[i % 10]},Place ${i},${0.5 + (i % 7) * 0.25}`);
  }
  return { xy, csv: new TextEncoder().encode(rows.join('\n')) };
}

/** The points as a GeoJSON FeatureCollection, metres turned into degrees around 2 E, 48 N. */
function geojsonOf(xy) {
  const features = [];
  for (let i = 0; i < SITES; i++) {
    const lon = (2 + xy[2 * i] / 111_320).toFixed(6);
    const lat = (48 + xy[2 * i + 1] / 111_320).toFixed(6);
    features.push(`{"type":"Feature","geometry":{"type":"Point","coordinates":[${lon},${lat}]},"properties":{"id":"poi-${i}","kind":"${KINDS[i % 10]}","name":"Place ${i}"}}`);
  }
  return `{"type":"FeatureCollection","features":[${features.join(',')}]}`;
}

function index(xy, csv) {
  const runs = 5;
  const kd = () => {
    const idx = new KDBush(SITES, 64, Float64Array);
    for (let i = 0; i < SITES; i++) idx.add(xy[2 * i], xy[2 * i + 1]);
    return idx.finish();
  };
  const parseAndKd = () => {
    const text = new TextDecoder().decode(csv);
    const idx = new KDBush(SITES, 64, Float64Array);
    let at = text.indexOf('\n') + 1;
    while (at > 0 && at < text.length) {
      const end = text.indexOf('\n', at);
      const f = text.slice(at, end < 0 ? text.length : end).split(',');
      idx.add(Number(f[1]), Number(f[2]));
      at = end + 1;
      if (end < 0) break;
    }
    return idx.finish();
  };
  const time = (f) => {
    f();
    const ts = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      const v = f();
      ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (v && typeof v.free === 'function') v.free();
    }
    return median(ts);
  };
  // The same points as GeoJSON (in degrees: an Earth world), against JSON.parse and kdbush.
  const geojson = geojsonOf(xy);
  const jsonParseAndKd = () => {
    const features = JSON.parse(geojson).features;
    const idx = new KDBush(features.length, 64, Float64Array);
    for (const f of features) idx.add(f.geometry.coordinates[0], f.geometry.coordinates[1]);
    return idx.finish();
  };
  return {
    sites: SITES, runs,
    xmarks_import_csv_ms: time(() => World.importCsv(csv)),
    kdbush_ms: time(kd),
    js_csv_parse_and_kdbush_ms: time(parseAndKd),
    geojson_bytes: geojson.length,
    xmarks_import_geojson_ms: time(() => World.importGeojson(geojson)),
    json_parse_and_kdbush_ms: time(jsonParseAndKd),
  };
}

function imported(csv) {
  const world = World.importCsv(csv);
  const city = template(['fountain', 'statue', 'museum', 'church', 'ruins', 'viewpoint']);
  const ps = players(SIDE * 0.9, 3);
  for (const p of ps.slice(0, 2000)) { try { generateHunt(world, city, { game: 1, round: 1 }, p); } catch {} }
  const out = latency(world, city, ps);
  world.free();
  return out;
}

/** The points as an import, in a function of its own: the million row strings are garbage once it
    returns, not live (and traced by every GC) during the hunts measured after it. */
function earthCsv(pts) {
  const rows = ['id,lon,lat,kind,name,weight'];
  for (let i = 0; i < pts.length / 2; i++) rows.push(`poi-${i},${pts[2 * i]},${pts[2 * i + 1]},${KINDS[i % 10]},,${0.5 + (i % 7) * 0.25}`);
  return new TextEncoder().encode(rows.join('\n'));
}

/** The native Earth bench's 1M sites and players (target/xmarks-bench, from `cargo bench --bench earth`), as the package imports them. */
function earth() {
  const read = (name) => {
    const buf = readFileSync(new URL(`../target/xmarks-bench/${name}`, import.meta.url));
    return new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
  };
  const pts = read('earth-1m.f64');
  const starts = read('earth-players.f64');
  const queries = read('earth-queries.f64');
  const n = pts.length / 2;
  const csv = earthCsv(pts);
  // Where the package stands against geokdbush on the same points: building, and nearest 10.
  const time = (f, runs = 5) => {
    f();
    const ts = [];
    for (let r = 0; r < runs; r++) {
      const t0 = process.hrtime.bigint();
      const v = f();
      ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (v && typeof v.free === 'function') v.free();
    }
    return median(ts);
  };
  const kd = () => {
    const idx = new KDBush(n, 64, Float64Array);
    for (let i = 0; i < n; i++) idx.add(pts[2 * i], pts[2 * i + 1]);
    return idx.finish();
  };
  const index = {
    xmarks_import_csv_ms: time(() => World.importCsv(csv)),
    geokdbush_build_ms: time(kd),
  };
  const world = World.importCsv(csv);
  const kdIndex = kd();
  const q = queries.length / 2;
  const perQuery = (f) => (time(() => { for (let i = 0; i < q; i++) f(queries[2 * i], queries[2 * i + 1]); }, 9) * 1000) / q;
  index.xmarks_nearest_10_us = perQuery((lon, lat) => world.nearest({ lon, lat }, 10));
  index.geokdbush_nearest_10_us = perQuery((lon, lat) => around(kdIndex, lon, lat, 10));
  const ps = Array.from({ length: starts.length / 2 }, (_, i) => ({
    id: `player-${i}`, start: { lon: starts[2 * i], lat: starts[2 * i + 1] }, level: 1 + (i % 30),
  }));
  const t = template([]);
  for (const p of ps.slice(0, 2000)) { try { generateHunt(world, t, { game: 1, round: 1 }, p); } catch {} } // the JIT
  const out = { ...latency(world, t, ps), index };
  world.free();
  return out;
}

function rules() {
  const suite = JSON.parse(readFileSync(new URL('../tests/jsonlogic/tests.json', import.meta.url)));
  const cases = suite.filter(Array.isArray).map(([rule, data]) => ({ rule, data }));
  const rounds = 200;
  const perEval = (run) => {
    run();
    const samples = [];
    for (let s = 0; s < 9; s++) {
      const t0 = process.hrtime.bigint();
      run();
      samples.push(Number(process.hrtime.bigint() - t0) / (rounds * cases.length));
    }
    return median(samples);
  };
  let sink = 0;
  const compiled = cases.map((c) => ({ logic: new Logic(c.rule), data: c.data }));
  const engine = new LogicEngine();
  const built = cases.map((c) => ({ fn: engine.build(c.rule), data: c.data }));
  // The same rules deep-frozen, as a game holding its rules as constants would have them: every
  // peer gets these objects too, and `applyLogic` compiles each once.
  const deepFreeze = (v) => {
    if (typeof v === 'object' && v !== null) {
      Object.values(v).forEach(deepFreeze);
      Object.freeze(v);
    }
    return v;
  };
  const frozen = cases.map((c) => ({ rule: deepFreeze(structuredClone(c.rule)), data: c.data }));
  const out = {
    cases: cases.length, rounds,
    xmarks_apply_logic_ns: perEval(() => { for (let r = 0; r < rounds; r++) for (const c of cases) sink ^= applyLogic(c.rule, c.data) ? 1 : 0; }),
    xmarks_apply_logic_frozen_ns: perEval(() => { for (let r = 0; r < rounds; r++) for (const c of frozen) sink ^= applyLogic(c.rule, c.data) ? 1 : 0; }),
    json_logic_js_frozen_ns: perEval(() => { for (let r = 0; r < rounds; r++) for (const c of frozen) sink ^= jsonLogic.apply(c.rule, c.data) ? 1 : 0; }),
    xmarks_compiled_ns: perEval(() => { for (let r = 0; r < rounds; r++) for (const c of compiled) sink ^= c.logic.apply(c.data) ? 1 : 0; }),
    json_logic_js_ns: perEval(() => { for (let r = 0; r < rounds; r++) for (const c of cases) sink ^= jsonLogic.apply(c.rule, c.data) ? 1 : 0; }),
    json_logic_engine_ns: perEval(() => { for (let r = 0; r < rounds; r++) for (const c of built) sink ^= c.fn(c.data) ? 1 : 0; }),
    sink,
  };
  for (const c of compiled) c.logic.free();
  return out;
}

function sessions() {
  const world = World.procedural(7);
  const hunt = generateHunt(world, { id: 'ev', stages: 5 }, { game: 1, round: 1 }, { id: 'ann', start: { x: 0, y: 0 } });
  const events = walkthrough(hunt, 0);
  const rulesDefault = Rules.default();
  const run = () => {
    const s = new Session(hunt, rulesDefault, 0);
    const t0 = process.hrtime.bigint();
    for (const e of events) s.apply(e);
    const ns = Number(process.hrtime.bigint() - t0);
    s.free();
    return ns;
  };
  run();
  const per = median(Array.from({ length: 21 }, run)) / events.length;
  // Opening a session: from the Hunt generateHunt gave, and from the same hunt as plain data (a
  // server's JSON, parsed), which is read and fingerprinted at every opening.
  const plain = JSON.parse(JSON.stringify(hunt));
  const open = (h, n) => () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) new Session(h, rulesDefault, 0).free();
    return Number(process.hrtime.bigint() - t0) / n / 1e3;
  };
  const openHunt = open(hunt, 2_000);
  const openPlain = open(plain, 200);
  openHunt(); openPlain();
  const out = {
    events: events.length, events_per_s: 1e9 / per,
    open_hunt_us: median(Array.from({ length: 11 }, openHunt)),
    open_plain_us: median(Array.from({ length: 11 }, openPlain)),
  };
  world.free();
  return out;
}

// `node bench/wasm.mjs rules`: JsonLogic alone.
if (process.argv[2] === 'rules') {
  console.log(JSON.stringify(rules()));
  process.exit(0);
}
const { xy, csv } = sitesCsv();
// `node bench/wasm.mjs imports`: the imports alone, in a fresh instance.
if (process.argv[2] === 'imports') {
  console.log(JSON.stringify(index(xy, csv)));
  process.exit(0);
}
console.log(JSON.stringify({
  node: process.version,
  wasm_bytes: readFileSync(new URL('../wasm/pkg/xmarks_bg.wasm', import.meta.url)).length,
  hunts: { ...hunts(), imported_1m: imported(csv), earth_1m: earth() },
  index: index(xy, csv),
  rules: rules(),
  sessions: sessions(),
}));
