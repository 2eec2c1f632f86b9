// The worker helper under Deno, which has Web Workers: the same answers as in Chromium.
import { helper } from "./helper.js";

console.log(JSON.stringify(await helper()));
