// The map page's service worker: the app shell kept for poor network and offline use. Built by build.mjs with the
// hashed files of this version (SHELL_FILES); tiles come from the offline package through the page's geo:// protocol.
/* global SHELL_FILES, SHELL_VERSION */
const SHELL = `shell-${SHELL_VERSION}`;
const RUNTIME = 'runtime';

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((c) => c.addAll(['/map/', ...SHELL_FILES])).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('shell-') && k !== SHELL).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

async function networkFirst(request, cacheName) {
  try {
    const resp = await fetch(request);
    if (resp.ok) (await caches.open(cacheName)).put(request, resp.clone());
    return resp;
  } catch (err) {
    const hit = await caches.match(request, { ignoreVary: true });
    if (hit) return hit;
    throw err;
  }
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  if (req.mode === 'navigate' && url.pathname === '/map/') {
    event.respondWith(networkFirst(new Request('/map/', { credentials: 'same-origin' }), SHELL));
  } else if (url.pathname.startsWith('/static/web/')) {
    event.respondWith(caches.match(req, { ignoreVary: true }).then((hit) => hit || fetch(req)));
  } else if (url.pathname.startsWith('/maps/') || /^\/tiles\/[^/]+\.json$/.test(url.pathname)
             || url.pathname === '/api/alarms/' || url.pathname === '/api/alarm-rules/') {
    event.respondWith(networkFirst(req, RUNTIME));
  }
});
