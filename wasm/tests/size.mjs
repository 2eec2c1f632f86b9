// Prints the .wasm's raw and gzipped sizes and fails when either is over wasm/size-budget.json.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const file = process.argv[2];
const budget = JSON.parse(readFileSync(new URL("../size-budget.json", import.meta.url), "utf8"));
const raw = readFileSync(file);
const sizes = { raw: raw.length, gzip: gzipSync(raw, { level: 9 }).length };
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
let over = false;
for (const k of ["raw", "gzip"]) {
  const ok = sizes[k] <= budget[k];
  over ||= !ok;
  console.log(`xmarks_bg.wasm ${k}: ${kb(sizes[k])} (${sizes[k]} bytes; ceiling ${kb(budget[k])})${ok ? "" : "  OVER"}`);
}
if (over) {
  console.error(`size check failed: ${budget.about}`);
  process.exit(1);
}
