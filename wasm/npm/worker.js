// The package's worker script, run by `XmarksWorker` (xmarks.js): it holds the worlds it imported
// and runs long calls off the page's thread. Messages in: `{ id, op, args }`; out: `{ id, value }`,
// `{ id, error }`, and `{ id, progress }` while a call runs. Worlds stay here, named by a number.
import init, { World, generateHunt, replay, __worker } from "./xmarks.js";

let ready = null;
const worlds = new Map();
let nextWorld = 0;


function keep(world) {
  const key = ++nextWorld;
  worlds.set(key, world);
  return { world: key, space: world.space(), kinds: world.kinds(), bounds: world.bounds() ?? null, report: world.importReport() ?? null };
}

function world(key) {
  const w = worlds.get(key);
  if (w === undefined) throw __worker.freed("World", "world");
  return w;
}

/** Typed arrays in `value` (sitePoints' columns, a raster), handed over rather than copied. */
function buffers(value) {
  if (ArrayBuffer.isView(value)) return [value.buffer];
  if (value !== null && typeof value === "object" && !Array.isArray(value)) return Object.values(value).filter(ArrayBuffer.isView).map((v) => v.buffer);
  return [];
}

const ops = {
  importCsv: (progress, data, options) => keep(World.importCsv(data, options, progress)),
  importGeojson: (progress, text, options) => keep(World.importGeojson(text, options, progress)),
  procedural: (_, seed, config) => keep(World.procedural(seed, config)),
  call(_, key, method, args) {
    if (!__worker.reads.has(method)) throw __worker.error("input_invalid", `method: ${method} is not a world method a page may call`, "method");
    return world(key)[method](...args);
  },
  // A Hunt's own properties are the hunt's data: posted, it arrives as a plain hunt.
  generateHunt: (_, key, template, seeds, player) => ({ ...generateHunt(world(key), template, seeds, player) }),
  free(_, key) {
    worlds.get(key)?.free();
    worlds.delete(key);
  },
  // The session stays here; the page restores it from the snapshot (see XmarksWorker.replay).
  replay(progress, log) {
    const { session, outcomes } = replay(log, progress);
    const snapshot = session.snapshot();
    session.free();
    return { snapshot, outcomes };
  },
};

onmessage = async ({ data: { id, op, args } }) => {
  try {
    let value;
    if (op === "init") {
      // The page's own compiled module (or bytes, or a URL) instead of fetching the .wasm again.
      await (ready = init(args[0] === undefined ? undefined : { module_or_path: args[0] }));
    } else {
      await (ready ??= init());
      value = await ops[op]((progress) => postMessage({ id, progress }), ...args);
    }
    postMessage({ id, value }, buffers(value));
  } catch (e) {
    const { name, code, message, path, problems, error } = e ?? {};
    postMessage({ id, error: { name, code, message: message ?? String(e), path, problems, error } });
  }
};
