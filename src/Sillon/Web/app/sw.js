// Service worker: keeps the app shell (HTML, CSS, modules, icons) for offline start.
// It never stores API answers, covers or audio: /api and /rest are left to the network.
const CACHE = 'sillon-shell-v1';
const SHELL = [
  '/', '/index.html', '/app.css', '/manifest.webmanifest', '/icons/icon.svg', '/icons/icon-192.png',
  '/js/main.js', '/js/api.js', '/js/i18n.js', '/js/strings/en.js', '/js/strings/fr.js', '/js/ui.js', '/js/format.js',
  '/js/views.js', '/js/vlist.js', '/js/player.js', '/js/queue.js', '/js/gapless.js', '/js/quality.js', '/js/lyrics.js', '/js/userdata.js', '/js/listening.js',
  '/js/scrobbling.js', '/js/podcasts.js',
  '/js/smart.js', '/js/admin.js', '/js/scanfeed.js',
];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/rest/') || e.request.destination === 'audio') return;
  const key = e.request.mode === 'navigate' ? '/index.html' : url.pathname;
  if (!SHELL.includes(key)) return;
  // Network first (files revalidate by ETag, so this is cheap); the cached copy when offline.
  e.respondWith(fetch(e.request).then((response) => {
    if (response.ok) { const copy = response.clone(); caches.open(CACHE).then((c) => c.put(key, copy)); }
    return response;
  }).catch(() => caches.match(key)));
});
