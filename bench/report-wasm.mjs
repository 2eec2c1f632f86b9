// Prints the wasm-versus-native and wasm-versus-JS tables from target/xmarks-bench/{hunt.log,wasm.json}.
import { readFileSync } from 'node:fs';

const dir = new URL('../target/xmarks-bench/', import.meta.url);
const log = readFileSync(new URL('hunt.log', dir), 'utf8') + readFileSync(new URL('earth.log', dir), 'utf8');
const w = JSON.parse(readFileSync(new URL('wasm.json', dir), 'utf8'));
const native = (label) => {
  const escaped = label.replace(/[()]/g, (c) => `\\${c}`);
  const m = log.match(new RegExp(`percentiles ${escaped}: p50 ([\\d.]+) us, p99 ([\\d.]+) us`));
  if (!m) throw new Error(`no native percentiles for ${label} in hunt.log`);
  return { p50: Number(m[1]), p99: Number(m[2]) };
};
const f = (n, d = 1) => n.toFixed(d);
const x = (a, b) => `${f(a / b, 2)}x`;

console.log(`\nNode ${w.node}, xmarks_bg.wasm ${w.wasm_bytes} bytes\n`);
console.log('| hunt generation (20,000 players, 5 stages) | native p50 | wasm p50 | ratio | native p99 | wasm p99 | ratio |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
const rows = [
  ['procedural', 'procedural (tiles cached)', 'procedural'],
  ['imported 1M', 'imported 1M sites', 'imported_1m'],
  ['earth 1M (cities), every player', 'earth 1M sites', 'earth_1m'],
  ['earth 1M (cities), players with a hunt', 'earth 1M sites with a hunt', 'earth_1m'],
];
for (const [label, nativeLabel, key] of rows) {
  const n = native(nativeLabel);
  const h = nativeLabel.endsWith('with a hunt') ? w.hunts[key].with_hunt : w.hunts[key];
  console.log(`| ${label} | ${f(n.p50)} µs | ${f(h.p50_us)} µs | ${x(h.p50_us, n.p50)} | ${f(n.p99)} µs | ${f(h.p99_us)} µs | ${x(h.p99_us, n.p99)} |`);
}
const e = w.hunts.earth_1m.index;
console.log('\n| Earth, 1M sites spread around the world\'s cities (Node) | xmarks package | geokdbush 2.1.0 | geokdbush / xmarks |');
console.log('|---|---:|---:|---:|');
console.log(`| build (xmarks: World.importCsv, parsing included) | ${f(e.xmarks_import_csv_ms)} ms | ${f(e.geokdbush_build_ms)} ms | ${x(e.geokdbush_build_ms, e.xmarks_import_csv_ms)} |`);
console.log(`| nearest 10 (geodesic) | ${f(e.xmarks_nearest_10_us, 2)} µs | ${f(e.geokdbush_nearest_10_us, 2)} µs | ${x(e.geokdbush_nearest_10_us, e.xmarks_nearest_10_us)} |`);
const i = w.index;
console.log('\n| 1M sites, median of 5 | ms | vs kdbush |');
console.log('|---|---:|---:|');
console.log(`| kdbush 4.1.0: index of parsed points | ${f(i.kdbush_ms)} | 1.00x |`);
console.log(`| JS CSV split + kdbush | ${f(i.js_csv_parse_and_kdbush_ms)} | ${x(i.js_csv_parse_and_kdbush_ms, i.kdbush_ms)} |`);
console.log(`| xmarks World.importCsv: parse, validate, index, digest | ${f(i.xmarks_import_csv_ms)} | ${x(i.xmarks_import_csv_ms, i.kdbush_ms)} |`);
console.log(`\nImports against the JS peers (same run): World.importCsv ${x(i.js_csv_parse_and_kdbush_ms, i.xmarks_import_csv_ms)} as fast as a JS CSV split + kdbush.`);
console.log(`\n| 1M sites as GeoJSON (${f(i.geojson_bytes / 1e6)} MB), median of 5 | ms | peer / xmarks |`);
console.log('|---|---:|---:|');
console.log(`| JSON.parse + kdbush (coordinates only) | ${f(i.json_parse_and_kdbush_ms)} | 1.00x |`);
console.log(`| xmarks World.importGeojson: parse, validate, index, digest | ${f(i.xmarks_import_geojson_ms)} | ${x(i.json_parse_and_kdbush_ms, i.xmarks_import_geojson_ms)} |`);
const r = w.rules;
console.log(`\n| JsonLogic suite (${r.cases} rules) | ns per evaluation | vs json-logic-js |`);
console.log('|---|---:|---:|');
for (const [label, ns] of [
  ['json-logic-js 2.0.5 apply', r.json_logic_js_ns],
  ['json-logic-engine 5.0.7 build', r.json_logic_engine_ns],
  ['xmarks applyLogic (wasm)', r.xmarks_apply_logic_ns],
  ['xmarks new Logic().apply (wasm)', r.xmarks_compiled_ns],
]) console.log(`| ${label} | ${f(ns)} | ${x(ns, r.json_logic_js_ns)} |`);
console.log(`\nSession events under the default rules (wasm): ${f(w.sessions.events_per_s / 1e3)}k events/s`);
const o = w.sessions;
console.log(`\n| opening a session (5-stage hunt) | µs (median) | plain / Hunt |`);
console.log('|---|---:|---:|');
console.log(`| new Session(plain hunt): read and fingerprinted | ${f(o.open_plain_us, 2)} | 1.00x |`);
console.log(`| new Session(Hunt from generateHunt) | ${f(o.open_hunt_us, 2)} | ${x(o.open_plain_us, o.open_hunt_us)} |`);
