// The Vite build's page: the installed package in a browser, its .wasm emitted by the bundler.
import init, { World, Rules, Session, generateHunt, walkthrough } from "xmarks";
import { helper } from "./helper.js";

const out = document.getElementById("result");
const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
worker.onmessage = (m) => { document.getElementById("worker").textContent = m.data; };
worker.onerror = (e) => { document.getElementById("worker").textContent = `error: ${e.message}`; };
try {
  await init();
  const world = World.procedural(7);
  const hunt = generateHunt(world, { id: "harbour", stages: 4 }, { game: 1, round: 1 }, { id: "ann", start: { x: 0, y: 0 } });
  const session = new Session(hunt, Rules.default(), 0);
  for (const event of walkthrough(hunt, 0)) session.apply(event);
  out.textContent = JSON.stringify({ fingerprint: hunt.fingerprint, status: session.state().status, hash: session.stateHash() });
} catch (e) {
  out.textContent = `error: ${e.code ?? ""} ${e.message}`;
}

helper().then(
  (r) => { document.getElementById("helper").textContent = JSON.stringify(r); },
  (e) => { document.getElementById("helper").textContent = `error: ${e.code ?? ""} ${e.message}`; },
);
