// Prints the rules table: xmarks and the Node peers as the median of bench/rules.sh's three
// rounds, datalogic-rs against xmarks in their shared criterion run, per event and replay figures,
// then each round's xmarks and json-logic-engine figures.
import { readFileSync, readdirSync } from 'node:fs';

const root = new URL('../target/', import.meta.url);
const read = (p) => JSON.parse(readFileSync(new URL(p, root)));
const elements = (group, name) => read(`criterion/${group}/${name}/new/benchmark.json`).throughput.Elements;
const perElement = (group, name) =>
  read(`criterion/${group}/${name}/new/estimates.json`).median.point_estimate / elements(group, name);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const suite = elements('jsonlogic_suite', 'xmarks');
const rounds = readdirSync(new URL('xmarks-bench/', root))
  .filter((d) => d.startsWith('rules-round-'))
  .sort()
  .map((d) => ({
    xmarks: read(`xmarks-bench/${d}/xmarks.json`).median.point_estimate / suite,
    node: read(`xmarks-bench/${d}/node.json`),
  }));
const node = rounds[0].node;
const ours = median(rounds.map((r) => r.xmarks));
const rows = [
  [`xmarks (compiled, Rust), median of ${rounds.length} rounds`, ours],
  [`json-logic-js ${node.json_logic_js.version} (Node ${node.node}), median of ${rounds.length}`, median(rounds.map((r) => r.node.json_logic_js.ns))],
  [`json-logic-engine ${node.json_logic_engine.version}, built (Node ${node.node}), median of ${rounds.length}`, median(rounds.map((r) => r.node.json_logic_engine.ns))],
];
console.log(`\n| ${node.cases} suite cases | ns per evaluation (median) | this / xmarks |`);
console.log('|---|---:|---:|');
for (const [name, ns] of rows) console.log(`| ${name} | ${ns.toFixed(1)} | ${(ns / ours).toFixed(2)}x |`);
const first = rounds[0].xmarks;
const datalogic = perElement('jsonlogic_suite', 'datalogic_rs_4');
console.log(`| datalogic-rs 4.0.21 (compiled, Rust), round 1's criterion run (xmarks ${first.toFixed(1)} there) | ${datalogic.toFixed(1)} | ${(datalogic / first).toFixed(2)}x |`);
console.log('\nrounds (xmarks, json-logic-engine, engine / xmarks):');
for (const [i, r] of rounds.entries()) {
  const engine = r.node.json_logic_engine.ns;
  console.log(`  ${i + 1}: ${r.xmarks.toFixed(1)} ns, ${engine.toFixed(1)} ns, ${(engine / r.xmarks).toFixed(2)}x`);
}
const event = perElement('session', 'apply_default_rules');
console.log(`\nevents under the default ruleset: ${(1e9 / event / 1e6).toFixed(2)} M/s (${event.toFixed(0)} ns per event)`);
const replay = readFileSync(new URL('xmarks-bench/rules.log', root), 'utf8').match(/^replay: .*$/m);
if (replay) console.log(replay[0]);
