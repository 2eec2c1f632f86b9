// The reference game server beside the demo, for its online mode: `xmarks-server` on loopback
// with the embedded store in `dir`, players named by the page (development mode: no tokens from a
// game backend), and an hourly race of the built-in crew template that teams can enter. Used by
// serve.mjs (`--server <binary>`, which bash scripts/main.sh passes) and by the demo's tests.
import { spawn } from "node:child_process";
import { mkdirSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** The race every team may enter: the crew template, one window an hour, each an hour long. */
export const RACE = {
  id: "crew-race",
  definition: {
    template: "crew",
    schedule: { cron: "0 * * * *", duration_s: 3600 },
    board: { score: "descending", subscore: "ascending", aggregate: "best" },
    join_required: false,
  },
};

/**
 * Starts the server (port 0: a free one) and defines the race; the server logs to
 * `dir/server.log`. Resolves to `{ url, log, close }`; `close()` stops the server.
 */
export async function startGameServer({ binary, dir, port = 0 }) {
  mkdirSync(dir, { recursive: true });
  const admin = "the demo's admin secret, on loopback only";
  writeFileSync(join(dir, "admin-secret"), admin);
  const config = join(dir, "server.toml");
  writeFileSync(
    config,
    [
      "insecure_dev_players = true",
      `data_dir = ${JSON.stringify(join(dir, "data"))}`,
      `admin_secret_file = ${JSON.stringify(join(dir, "admin-secret"))}`,
      "[limits]",
      // The page's game clock runs faster than the wall clock (`?speed=`): a day ahead is allowed.
      "max_ahead_ms = 86400000",
      "rate_per_s = 200",
      "burst = 400",
      "",
    ].join("\n"),
  );
  const log = join(dir, "server.log");
  const child = spawn(binary, ["--config", config, "--listen", `127.0.0.1:${port}`], { stdio: ["ignore", "pipe", openSync(log, "a")] });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the game server did not start within 60 s")), 60_000);
    child.once("exit", (code) => reject(new Error(`the game server exited (${code})`)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.startsWith("listening on ")) {
        clearTimeout(timer);
        resolve(line.slice("listening on ".length));
      }
    });
  });
  const put = await fetch(`${url}/v1/admin/events/${RACE.id}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    body: JSON.stringify(RACE.definition),
  });
  if (!put.ok) throw new Error(`defining the race: ${put.status} ${await put.text()}`);
  const exited = new Promise((r) => child.once("exit", r));
  return {
    url,
    log,
    close: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
