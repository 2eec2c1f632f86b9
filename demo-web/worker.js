// Imports a dropped CSV or GeoJSON file off the main thread and keeps the imported world: the page
// asks it for sites to draw and for hunts. Messages: `{ id, op, args }` in, `{ id, value }` or
// `{ id, error }` out, and `{ progress }` while importing. (Import maps do not reach workers, so
// the package is imported by its path.)
import init, { World, generateHunt } from "./pkg/xmarks.js";

const ready = init();
let world = null;

const ops = {
  async import({ name, bytes }) {
    const progress = (p) => postMessage({ progress: p });
    world?.free();
    world = null;
    const options = { lenient: true };
    const w = /\.(geo)?json$/i.test(name)
      ? World.importGeojson(new TextDecoder().decode(bytes), { ...options, projection: "local" }, progress)
      : World.importCsv(bytes, options, progress);
    world = w;
    return { report: w.importReport(), bounds: w.bounds() ?? null, kinds: w.kinds(), reference: w.reference() };
  },
  points(bounds) {
    const p = world.sitePoints(bounds);
    return [p, [p.xy.buffer, p.kind.buffer]];
  },
  sites: (bounds) => world.sitesIn(bounds),
  hunt: ({ template, seeds, player }) => generateHunt(world, template, seeds, player),
};

onmessage = async ({ data: { id, op, args } }) => {
  await ready;
  try {
    const result = await ops[op](args);
    const [value, transfer] = op === "points" ? result : [result, []];
    postMessage({ id, value }, transfer);
  } catch (e) {
    postMessage({ id, error: { code: e.code ?? "worker", message: e.message, path: e.path } });
  }
};
