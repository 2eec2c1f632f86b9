// Offline play: every file the demo loads is cached on its first visit; later loads go to the
// network first (so an updated build is seen at once) and fall back to the cache when offline.
const CACHE = "xmarks-demo";
const FILES = ["./", "index.html", "style.css", "app.js", "map.js", "earth.js", "pkg/xmarks.js", "pkg/worker.js", "pkg/bindings.js", "pkg/encode.js", "pkg/xmarks_bg.wasm"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // The game server's API (the online mode) is never cached.
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/v1/")) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(() => caches.match(request, { ignoreSearch: true }).then((hit) => hit ?? Response.error())),
  );
});
