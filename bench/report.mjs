// Prints the bulk-load table from criterion's medians and the kdbush run, with ratios.
import { readFileSync, readdirSync } from 'node:fs';

const root = new URL('../target/', import.meta.url);
const peer = JSON.parse(readFileSync(new URL('xmarks-bench/kdbush.json', root)));
const group = new URL('criterion/bulk_load_1m/', root);
const rows = readdirSync(group)
  .filter((d) => d !== 'report')
  .map((name) => {
    const est = JSON.parse(readFileSync(new URL(`${name}/new/estimates.json`, group)));
    return { name, ms: est.median.point_estimate / 1e6 };
  })
  .sort((a, b) => a.ms - b.ms);
console.log(`\n| bulk load of ${peer.points} points | median ms | kdbush / this |`);
console.log('|---|---:|---:|');
for (const r of rows) console.log(`| xmarks ${r.name} | ${r.ms.toFixed(1)} | ${(peer.median_ms / r.ms).toFixed(2)}x |`);
console.log(`| kdbush ${peer.version} (Node ${process.version}) | ${peer.median_ms.toFixed(1)} | 1.00x |`);
