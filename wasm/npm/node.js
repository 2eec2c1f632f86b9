// Node entry: the same ES module as for browsers, initialised at import from the package's own
// .wasm, so `import { World } from "xmarks"` is ready to use. `init()` resolves at once here.
import { readFileSync } from "node:fs";
import init, { initSync } from "./xmarks.js";

initSync({ module: readFileSync(new URL("./xmarks_bg.wasm", import.meta.url)) });

export * from "./xmarks.js";
export default init;
