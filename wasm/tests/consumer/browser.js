// The Vite build's page: the installed package in a browser, its .wasm emitted by the bundler.
import * as xmarks from "xmarks";
import { helper } from "./helper.js";
import { play } from "./program.js";

const out = document.getElementById("result");
const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
worker.onmessage = (m) => { document.getElementById("worker").textContent = m.data; };
worker.onerror = (e) => { document.getElementById("worker").textContent = `error: ${e.message}`; };
try {
  await xmarks.default();
  out.textContent = JSON.stringify(play(xmarks));
} catch (e) {
  out.textContent = `error: ${e.code ?? ""} ${e.message}`;
}

helper().then(
  (r) => { document.getElementById("helper").textContent = JSON.stringify(r); },
  (e) => { document.getElementById("helper").textContent = `error: ${e.code ?? ""} ${e.message}`; },
);
