// The package's worker helper as a game uses it, on a page (browser.js) and under Deno
// (deno-worker.mjs): an import, queries, a hunt and a long replay off the main thread.
import { Rules, Session, walkthrough, XmarksWorker, isXmarksError } from "xmarks";
import { sitesCsv, TEMPLATE, SEEDS, PLAYER, playLog, BAD_CSV } from "./sites.js";

/** What the helper answers; the Node test computes the same without a worker. */
export async function helper() {
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
  // What a worker cannot be sent is refused, and the worker goes on.
  let uncloneable = null;
  try {
    await world.nearest({ x: 0, y: 0 }, 3, () => {});
  } catch (e) {
    uncloneable = e.code;
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
  // A worker whose script fails as it loads fails its calls instead of leaving them pending.
  let broken = null;
  try {
    const failing = new Worker("data:text/javascript,throw new Error('no worker here')", { type: "module" });
    await new XmarksWorker({ worker: failing }).procedural(1);
  } catch (e) {
    broken = e.code ?? `${e.name}: ${e.message}`;
  }
  return {
    imported: world.info.report.imported, space: world.info.space, near: near.map((n) => n.id),
    fingerprint: hunt.fingerprint, status: replayed.session.state().status, hash: replayed.session.stateHash(),
    same: replayed.session.stateHash() === session.stateHash(), events: replayed.outcomes.length,
    progress: seen.import > 0 && seen.replay >= 3 && seen.events === seen.import + seen.replay,
    phases: [...seen.phases].sort(), error, uncloneable, freed, terminated, broken,
  };
}
