// Prints the rules table: criterion medians (per evaluation, per event) and the Node peers' medians.
import { readFileSync } from 'node:fs';

const root = new URL('../target/', import.meta.url);
const read = (p) => JSON.parse(readFileSync(new URL(p, root)));
const perElement = (group, name) => {
  const est = read(`criterion/${group}/${name}/new/estimates.json`);
  const bench = read(`criterion/${group}/${name}/new/benchmark.json`);
  return est.median.point_estimate / bench.throughput.Elements;
};
const node = read('xmarks-bench/jsonlogic.json');
const ours = perElement('jsonlogic_suite', 'xmarks');
const rows = [
  ['xmarks (compiled, Rust)', ours],
  ['datalogic-rs 4.0.21 (compiled, Rust)', perElement('jsonlogic_suite', 'datalogic_rs_4')],
  [`json-logic-js ${node.json_logic_js.version} (Node ${node.node})`, node.json_logic_js.ns],
  [`json-logic-engine ${node.json_logic_engine.version}, built (Node ${node.node})`, node.json_logic_engine.ns],
];
console.log(`\n| ${node.cases} suite cases | ns per evaluation (median) | this / xmarks |`);
console.log('|---|---:|---:|');
for (const [name, ns] of rows) console.log(`| ${name} | ${ns.toFixed(1)} | ${(ns / ours).toFixed(2)}x |`);
const event = perElement('session', 'apply_default_rules');
console.log(`\nevents under the default ruleset: ${(1e9 / event / 1e6).toFixed(2)} M/s (${event.toFixed(0)} ns per event)`);
const replay = readFileSync(new URL('xmarks-bench/rules.log', root), 'utf8').match(/^replay: .*$/m);
if (replay) console.log(replay[0]);
