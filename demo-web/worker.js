// Imports a world off the main thread (a dropped CSV or GeoJSON file, or the world's cities) and
// keeps it: the page asks it for sites to draw and for hunts. Messages: `{ id, op, args }` in,
// `{ id, value }` or `{ id, error }` out, and `{ progress }` while importing. (Import maps do not
// reach workers, so the package is imported by its path.)
import init, { World, generateHunt } from "./pkg/xmarks.js";

const ready = init();
let world = null;

/** What the page needs to know of a new world: its report, kinds, space and box (in degrees on
 * an Earth world, where west may be east of east: see `World.bounds`). */
function describe(w) {
  return { report: w.importReport(), bounds: w.bounds() ?? null, kinds: w.kinds(), reference: w.reference(), space: w.space() };
}

function load(name, bytes, options) {
  const progress = (p) => postMessage({ progress: p });
  world?.free();
  world = null;
  world = /\.(geo)?json$/i.test(name)
    ? World.importGeojson(new TextDecoder().decode(bytes), options, progress)
    : World.importCsv(bytes, options, progress);
  return describe(world);
}

const ops = {
  import: ({ name, bytes }) => load(name, bytes, { lenient: true }),
  async importUrl({ url }) {
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    return load(url, bytes, {});
  },
  points(bounds) {
    const p = world.sitePoints(bounds);
    return [p, [p.xy.buffer, p.kind.buffer]];
  },
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
