// Evaluates the shared JsonLogic suite with json-logic-js (the reference, interpreted) and
// json-logic-engine (compiled with `build`), and prints the median ns per evaluation as JSON.
import jsonLogic from 'json-logic-js';
import { LogicEngine } from 'json-logic-engine';
import { readFileSync } from 'node:fs';

const suite = JSON.parse(readFileSync(new URL('../tests/jsonlogic/tests.json', import.meta.url)));
const cases = suite.filter(Array.isArray).map(([rule, data]) => ({ rule, data }));
const rounds = Number(process.env.ROUNDS ?? 2000);

function median(run) {
  run(); // warm up the JIT
  const samples = [];
  for (let s = 0; s < 15; s++) {
    const t0 = process.hrtime.bigint();
    run();
    samples.push(Number(process.hrtime.bigint() - t0) / (rounds * cases.length));
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

let sink = 0;
const interpreted = median(() => {
  for (let r = 0; r < rounds; r++) for (const c of cases) sink ^= jsonLogic.apply(c.rule, c.data) ? 1 : 0;
});
const engine = new LogicEngine();
const built = cases.map((c) => ({ fn: engine.build(c.rule), data: c.data }));
const compiled = median(() => {
  for (let r = 0; r < rounds; r++) for (const c of built) sink ^= c.fn(c.data) ? 1 : 0;
});
console.log(JSON.stringify({ cases: cases.length, node: process.version, sink,
  json_logic_js: { version: '2.0.5', ns: interpreted }, json_logic_engine: { version: '5.0.7', ns: compiled } }));
