// Serves the demo on 127.0.0.1: the page from demo-web/, the npm package from wasm/pkg at /pkg/,
// and the conformance data from tests/ at /tests/. Plain files, no CDN, works offline.
//   node demo-web/serve.mjs [port]      (bash scripts/main.sh builds everything first)
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
  ".wasm": "application/wasm", ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png",
  ".csv": "text/csv", ".geojson": "application/geo+json", ".webmanifest": "application/manifest+json",
};

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
/** The demo's mounts: URL prefix to folder. */
export const DEMO = { "/pkg/": here("../wasm/pkg/"), "/tests/": here("../tests/"), "/": here("./") };

/**
 * Serves folders under URL prefixes (longest first) on 127.0.0.1; port 0 picks a free one.
 * Resolves to `{ url, close }`.
 */
export async function serve(mounts, port = 0) {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    const prefix = prefixes.find((p) => path.startsWith(p));
    const rest = normalize(path.slice(prefix.length)).replace(/^(\.\.[/\\])+/, "");
    const file = join(mounts[prefix], rest === "." || rest === "" ? "index.html" : rest);
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-cache" });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  await new Promise((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await serve(DEMO, Number(process.argv[2] ?? process.env.PORT ?? 8080));
  console.log(`xmarks demo: ${url}  (Ctrl-C to stop)`);
}
