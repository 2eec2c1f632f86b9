// What the Node tests share: the built package and the cross-target test data in tests/.
import { readFileSync } from "node:fs";
import * as xmarks from "../pkg/node.js";

export { xmarks };
/** The repository's tests/ folder, where the golden vectors every target must match live. */
export const data = new URL("../../tests/", import.meta.url);
export const readBytes = (path) => readFileSync(new URL(path, data));
export const readText = (path) => readFileSync(new URL(path, data), "utf8");
export const readJson = (path) => JSON.parse(readText(path));
