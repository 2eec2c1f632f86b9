// Imports a world off the main thread (a dropped CSV or GeoJSON file, or the world's cities) and
// keeps it: the page asks it for sites to draw and for hunts. Messages: `{ id, op, args }` in,
// `{ id, value }` or `{ id, error }` out, and `{ progress }` while importing. (Import maps do not
// reach workers, so the package is imported by its path.)
import init, { World, generateHunt } from "./pkg/xmarks.js";

const ready = init();
let world = null;

/** What the page needs to know of a new world: its report, kinds and space, and where it lies. */
function describe(w) {
  const space = w.space();
  let bounds = w.bounds() ?? null;
  if (space === "earth") {
    // Where the sites are: the box of their latitudes and of their longitudes around their mean
    // direction (so that a set across the antimeridian is not taken for the whole world).
    const p = w.sitePoints({ min: { x: -180, y: -90 }, max: { x: 180, y: 90 } });
    let [sx, sy, s, n] = [0, 0, 90, -90];
    for (let i = 0; i < p.ids.length; i++) {
      const lon = (p.xy[2 * i] * Math.PI) / 180;
      sx += Math.cos(lon);
      sy += Math.sin(lon);
      s = Math.min(s, p.xy[2 * i + 1]);
      n = Math.max(n, p.xy[2 * i + 1]);
    }
    const mean = (Math.atan2(sy, sx) * 180) / Math.PI;
    let [w0, e0] = [0, 0];
    for (let i = 0; i < p.ids.length; i++) {
      const d = ((((p.xy[2 * i] - mean) % 360) + 540) % 360) - 180;
      w0 = Math.min(w0, d);
      e0 = Math.max(e0, d);
    }
    bounds = p.ids.length ? { min: { x: mean + w0, y: s }, max: { x: mean + e0, y: n } } : null;
  }
  return { report: w.importReport(), bounds, kinds: w.kinds(), reference: w.reference(), space };
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
