// The Vite build's page: the installed package in a browser, its .wasm emitted by the bundler.
import init, { World, Rules, Session, generateHunt, walkthrough, XmarksWorker, isXmarksError } from "xmarks";
import { sitesCsv, TEMPLATE, SEEDS, PLAYER, playLog, BAD_CSV } from "./sites.js";

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

/** The package's worker helper: an import, queries, a hunt and a long replay off the page's thread. */
async function helper() {
  const xw = new XmarksWorker();
  const seen = { import: 0, replay: 0, events: 0, phases: new Set() };
  const listener = (e) => { seen.events++; seen.phases.add(`${e.detail.op}:${e.detail.phase}`); };
  xw.addEventListener("progress", listener);
  const world = await xw.importCsv(sitesCsv(), null, () => seen.import++);
  const near = await world.nearest({ x: 0, y: 0 }, 3, ["well"]);
  const hunt = await world.generateHunt(TEMPLATE, SEEDS, PLAYER);
  const session = new Session(hunt, Rules.default(), 0);
  const log = playLog(session, walkthrough, hunt);
  const replayed = await xw.replay(log, () => seen.replay++);
  xw.removeEventListener("progress", listener);
  let error = null;
  try {
    await xw.importCsv(BAD_CSV);
  } catch (e) {
    error = isXmarksError(e) ? { code: e.code, path: e.path } : String(e);
  }
  await world.free();
  let freed = null;
  try {
    await world.kinds();
  } catch (e) {
    freed = e.code;
  }
  xw.terminate();
  let terminated = null;
  try {
    await xw.procedural(1);
  } catch (e) {
    terminated = e.code;
  }
  // A worker that cannot start (its script is missing) fails its calls instead of leaving them pending.
  let broken = null;
  try {
    await new XmarksWorker({ worker: new Worker("/no-such-worker.js", { type: "module" }) }).procedural(1);
  } catch (e) {
    broken = e.code;
  }
  return {
    imported: world.info.report.imported, space: world.info.space, near: near.map((n) => n.id),
    fingerprint: hunt.fingerprint, status: replayed.session.state().status, hash: replayed.session.stateHash(),
    same: replayed.session.stateHash() === session.stateHash(), events: replayed.outcomes.length,
    progress: seen.import > 0 && seen.replay >= 3 && seen.events === seen.import + seen.replay,
    phases: [...seen.phases].sort(), error, freed, terminated, broken,
  };
}
helper().then(
  (r) => { document.getElementById("helper").textContent = JSON.stringify(r); },
  (e) => { document.getElementById("helper").textContent = `error: ${e.code ?? ""} ${e.message}`; },
);
