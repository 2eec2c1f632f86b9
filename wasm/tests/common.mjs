// What the Node tests share: the built package, the cross-target test data in tests/, and the
// world a golden case names.
import { readFileSync } from "node:fs";
import * as xmarks from "../pkg/node.js";

export { xmarks };
/** The repository's tests/ folder, where the golden vectors every target must match live. */
export const data = new URL("../../tests/", import.meta.url);
export const readBytes = (path) => readFileSync(new URL(path, data));
export const readText = (path) => readFileSync(new URL(path, data), "utf8");
export const readJson = (path) => JSON.parse(readText(path));

/** The world of a golden case: `{procedural: {seed, config?}}`, `{csv: path}` or `{geojson: path}`. */
export function worldOf(spec) {
  if (spec.procedural) return xmarks.World.procedural(spec.procedural.seed, spec.procedural.config);
  if (spec.csv) return xmarks.World.importCsv(readBytes(spec.csv));
  return xmarks.World.importGeojson(readText(spec.geojson));
}
