// The kiosk's service worker: keeps the app shell and its assets in a versioned cache so
// that the kiosk starts and works with no network.  Only the kiosk's own files are handled;
// every other request (the API above all) goes to the network untouched.
const VERSION = "__KIOSK_VERSION__";
const CACHE = `kiosk-${VERSION}`;
const SHELL = "/kiosk";
const ASSETS = __KIOSK_ASSETS__;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll([SHELL, ...ASSETS].map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith("kiosk-") && key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

/** The shell: the cached copy of this version (its assets are cached beside it), else the network. */
async function shell() {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(SHELL);
  if (cached) return cached;
  const response = await fetch(SHELL, { cache: "no-store" });
  if (response.ok) await cache.put(SHELL, response.clone());
  return response;
}

/** An asset: from the cache (it is versioned with the worker), else from the network. */
async function asset(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === SHELL && request.mode === "navigate") event.respondWith(shell());
  else if (ASSETS.includes(url.pathname)) event.respondWith(asset(request));
});
