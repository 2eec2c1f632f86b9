// Builds a kdbush index over the same 1M points as `cargo bench --bench index` (which writes them
// to target/xmarks-bench/points-1m.f64) and prints the median build time of several runs as JSON.
import KDBush from 'kdbush';
import { readFileSync } from 'node:fs';

const file = new URL('../target/xmarks-bench/points-1m.f64', import.meta.url);
const buf = readFileSync(file);
const coords = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
const n = coords.length / 2;
const runs = Number(process.env.RUNS ?? 11);

function build() {
  const index = new KDBush(n, 64, Float64Array);
  for (let i = 0; i < n; i++) index.add(coords[2 * i], coords[2 * i + 1]);
  return index.finish();
}

build(); // warm up the JIT
const times = [];
for (let r = 0; r < runs; r++) {
  const t0 = process.hrtime.bigint();
  const index = build();
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (index.range(-1000, -1000, 1000, 1000).length === 0) throw new Error('index is empty');
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ peer: 'kdbush', version: '4.1.0', points: n, runs, median_ms: times[runs >> 1] }));
