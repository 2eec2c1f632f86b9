// Real Chromium for tests: Debian's /usr/bin/chromium driven by playwright-core, and the demo's
// static file server on a loopback port.
import { chromium } from "playwright-core";
export { serve } from "../../demo-web/serve.mjs";

/** Headless Chromium with the flags this machine's closed network needs. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    ],
    timeout: 60_000,
  });
}
