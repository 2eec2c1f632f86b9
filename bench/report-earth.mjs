// Prints the Earth index table from criterion's medians (group earth_1m) and the geokdbush run.
import { readFileSync } from 'node:fs';

const root = new URL('../target/', import.meta.url);
const peer = JSON.parse(readFileSync(new URL('xmarks-bench/geokdbush.json', root)));
const median = (name) =>
  JSON.parse(readFileSync(new URL(`criterion/earth_1m/${name}/new/estimates.json`, root))).median.point_estimate;
const rows = [
  ['build the index', median('build') / 1e6, peer.build_ms, 'ms'],
  ['nearest 10 (geodesic)', median('nearest_10') / 1e3, peer.nearest_10_us, 'us'],
  ['all within 2 km (geodesic)', median('within_2km') / 1e3, peer.within_2km_us, 'us'],
];
console.log(`\n| ${peer.points} sites on Earth | xmarks EarthIndex | geokdbush ${peer.version} (Node ${process.version}) | geokdbush / xmarks |`);
console.log('|---|---:|---:|---:|');
for (const [what, ours, theirs, unit] of rows) {
  console.log(`| ${what} | ${ours.toFixed(unit === 'ms' ? 1 : 2)} ${unit} | ${theirs.toFixed(unit === 'ms' ? 1 : 2)} ${unit} | ${(theirs / ours).toFixed(2)}x |`);
}

// Hunt latency and memory, as the bench printed them.
const log = readFileSync(new URL('xmarks-bench/earth.log', root), 'utf8');
console.log('\n| hunts, 5 stages (20,000 players where the sites are) | p50 | p99 | p99.9 | without a hunt |');
console.log('|---|---:|---:|---:|---:|');
for (const m of log.matchAll(/percentiles (earth \S+ sites): p50 ([\d.]+) us, p99 ([\d.]+) us, p99.9 ([\d.]+) us.*\((\d+) without a hunt\)/g)) {
  console.log(`| ${m[1]} | ${m[2]} us | ${m[3]} us | ${m[4]} us | ${m[5]} |`);
}
for (const m of log.matchAll(/^(memory|build): .*$/gm)) console.log(`\n${m[0]}`);
