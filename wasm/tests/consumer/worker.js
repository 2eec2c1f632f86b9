// The same program in a Web Worker (a module worker, bundled by Vite with its own copy of the
// package's loader): a game that keeps long calls off its frame loop.
import * as xmarks from "xmarks";
import { play } from "./program.js";

try {
  await xmarks.default();
  postMessage(JSON.stringify(play(xmarks)));
} catch (e) {
  postMessage(`error: ${e.code ?? ""} ${e.message}`);
}
