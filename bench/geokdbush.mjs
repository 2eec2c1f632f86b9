// geokdbush 2.1 (geodesic nearest search over kdbush 4.1) on the same 1M points and queries as
// `cargo bench --bench earth`, which writes them to target/xmarks-bench/earth-*.f64. Prints medians
// of several runs as JSON: the build, nearest 10, and every point within 2 km.
import KDBush from 'kdbush';
import { around } from 'geokdbush';
import { readFileSync } from 'node:fs';

const read = (name) => {
  const buf = readFileSync(new URL(`../target/xmarks-bench/${name}`, import.meta.url));
  return new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
};
const coords = read('earth-1m.f64');
const queries = read('earth-queries.f64');
const n = coords.length / 2;
const runs = Number(process.env.RUNS ?? 11);

function build() {
  const index = new KDBush(n, 64, Float64Array);
  for (let i = 0; i < n; i++) index.add(coords[2 * i], coords[2 * i + 1]);
  return index.finish();
}

const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];

function timeRuns(f) {
  f(); // warm up the JIT
  const times = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    f();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(times);
}

/** Median time of one query, in microseconds, over runs of every query position. */
function perQuery(index, query) {
  const q = queries.length / 2;
  let found = 0;
  const ms = timeRuns(() => {
    for (let i = 0; i < q; i++) found += query(index, queries[2 * i], queries[2 * i + 1]).length;
  });
  if (found === 0) throw new Error('no query found anything');
  return (ms * 1000) / q;
}

const buildMs = timeRuns(build);
const index = build();
const nearestUs = perQuery(index, (ix, lon, lat) => around(ix, lon, lat, 10));
const withinUs = perQuery(index, (ix, lon, lat) => around(ix, lon, lat, Infinity, 2));
console.log(
  JSON.stringify({ peer: 'geokdbush', version: '2.1.0', kdbush: '4.1.0', points: n, runs, build_ms: buildMs, nearest_10_us: nearestUs, within_2km_us: withinUs }),
);
