// Boot: the shell (navigation, search, player bar), the hash router, log-in and first run.
import { api, session, subsonic } from './api.js';
import { t, language } from './i18n.js';
import { h, icon, cover, toast } from './ui.js';
import { duration, fold, coverSize } from './format.js';
import { Player, REPEAT } from './player.js';
import { parseLrc, lineAt, fromStructured } from './lyrics.js';
import * as views from './views.js';
import { smartEditor } from './smart.js';
import { favourites, syncPlayQueue, scrobbler } from './userdata.js';
import { historyPage } from './listening.js';
import { podcastsPage, podcastPage } from './podcasts.js';
import { admin } from './admin.js';

const ROUTES = {
  '': views.home, albums: views.albums, artists: views.artists, artist: views.artist, album: views.album,
  queue: views.queue, settings: views.settings, admin,
  favourites: views.favouritesPage, playlists: views.playlistsPage, playlist: views.playlistPage,
  genres: views.genres, genre: views.genre, years: views.years, folders: views.folders, folder: views.folders,
  history: historyPage,
  podcasts: podcastsPage, podcast: podcastPage,
  smart: smartEditor,
};
const NAV = [['', 'home', 'nav.home'], ['albums', 'album', 'nav.albums'], ['artists', 'artist', 'nav.artists'], ['favourites', 'heart', 'nav.favourites'], ['playlists', 'playlist', 'nav.playlists'], ['history', 'history', 'nav.history'], ['queue', 'queue', 'nav.queue'], ['settings', 'settings', 'nav.settings'], ['admin', 'admin', 'nav.admin']];

const app = document.getElementById('app');
let player = null;
let cleanup = null;
let stopSync = null;
const ctx = {
  get player() { return player; }, rerender: () => renderShell(),
  logout: async () => { stopSync?.(); stopSync = null; player?.clear(); favourites.reset(); await api.logout(); },
};

// ---- log in / first run -----------------------------------------------------------------------

async function renderLogin() {
  document.title = t('app.name');
  let needed = false;
  try { needed = await api.setupNeeded(); } catch { /* offline: show the login form */ }
  const error = h('p.error', { role: 'alert' }, session.endedBecause === 'disabled' ? t('login.disabled') : '');
  const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none' });
  const pass = h('input', { id: 'login-pass', name: 'password', type: 'password', autocomplete: needed ? 'new-password' : 'current-password', required: true });
  const confirm = needed ? h('input', { id: 'login-confirm', type: 'password', autocomplete: 'new-password', required: true }) : null;
  const form = h('form.login', { 'aria-labelledby': 'login-title' },
    h('div.logo', { 'aria-hidden': 'true' }, icon('album')),
    h('h1', { id: 'login-title' }, t(needed ? 'setup.title' : 'login.title')),
    needed ? h('p', {}, t('setup.intro')) : null,
    h('label', { for: 'login-user' }, t('login.username')), user,
    h('label', { for: 'login-pass' }, t('login.password')), pass,
    needed ? [h('label', { for: 'login-confirm' }, t('setup.confirm')), confirm] : null,
    error,
    h('button.btn.primary', { type: 'submit' }, t(needed ? 'setup.submit' : 'login.submit')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    if (needed && pass.value !== confirm.value) { error.textContent = t('setup.mismatch'); return; }
    try {
      if (needed) await api.setup(user.value, pass.value); else await api.login(user.value, pass.value);
    } catch (err) {
      error.textContent = err.status === 401 ? t('login.failed') : err.status === 403 ? t('login.disabled') : t('error', { message: err.message });
    }
  });
  app.replaceChildren(h('main.login-page', {}, form));
  user.focus();
}

// ---- the shell ---------------------------------------------------------------------------------

function renderShell() {
  cleanup?.();
  cleanup = null;
  document.documentElement.lang = language();
  if (!player) { player = new Player(); scrobbler(player); }
  // The queue follows the listener from device to device (saved on the server, taken at start when empty).
  stopSync ??= syncPlayQueue(player);
  const nav = h('nav.sidebar', { 'aria-label': t('nav.main') },
    h('a.brand', { href: '#/' }, icon('album'), h('span', {}, t('app.name'))),
    h('ul', {}, NAV.filter(([r]) => r !== 'admin' || session.user?.isAdmin).map(([route, ic, key]) =>
      h('li', {}, h('a', { href: `#/${route}`, dataset: { route } }, icon(ic), h('span', {}, t(key)))))));
  const main = h('main#main', { tabIndex: -1 });
  app.replaceChildren(
    h('a.skip', { href: '#main', onclick: (e) => { e.preventDefault(); main.focus(); } }, t('skip')),
    nav,
    h('div.content', {}, topBar(), main),
    playerBar(),
    h('div#toast', { role: 'status', 'aria-live': 'polite' }));
  route();
}

async function route() {
  const main = document.getElementById('main');
  if (!main) return;
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  const [name, id] = path.split('/');
  const view = ROUTES[name] ?? views.home;
  const params = new URLSearchParams(query);
  if (id) params.set('id', decodeURIComponent(id));
  for (const a of document.querySelectorAll('.sidebar a[data-route]'))
    a.toggleAttribute('aria-current', a.dataset.route === (ROUTES[name] ? name : ''));
  cleanup?.();
  cleanup = null;
  views.closeMenu?.();
  main.replaceChildren(h('p.loading', { role: 'status' }, t('loading')));
  main.scrollTop = 0;
  try {
    cleanup = (await view(main, params, ctx)) ?? null;
    document.title = `${main.querySelector('h1')?.textContent ?? ''} · ${t('app.name')}`;
    // Move focus to the new page's heading for screen-reader and keyboard users (not on first load),
    // unless the listener is typing elsewhere: '/' pressed while the page loaded has put them in the
    // search box, whichever of the key and the navigation came first.
    const active = document.activeElement;
    const busy = active && (typing(active) || active.closest('#search-results, dialog'));
    if (route.done && !busy) main.querySelector('h1')?.focus({ preventScroll: true });
    route.done = true;
  } catch (e) {
    if (e.status === 401) return;
    views.failure(main, e, route);
  }
}

// ---- search (as you type, debounced) ----------------------------------------------------------

function topBar() {
  const input = h('input', { id: 'search', type: 'search', placeholder: t('search.placeholder'), autocomplete: 'off',
    'aria-label': t('search.label'), 'aria-controls': 'search-results', 'aria-expanded': 'false' });
  const panel = h('div#search-results.search-results', { hidden: true });
  let timer = 0, seq = 0;
  const close = () => { panel.hidden = true; input.setAttribute('aria-expanded', 'false'); };
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 200); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { input.value = ''; close(); }
    if (e.key === 'ArrowDown') { panel.querySelector('a')?.focus(); e.preventDefault(); }
  });
  panel.addEventListener('keydown', (e) => {
    const links = [...panel.querySelectorAll('a')];
    const i = links.indexOf(document.activeElement);
    if (e.key === 'ArrowDown') { links[Math.min(i + 1, links.length - 1)]?.focus(); e.preventDefault(); }
    if (e.key === 'ArrowUp') { (i <= 0 ? input : links[i - 1]).focus(); e.preventDefault(); }
    if (e.key === 'Escape') { close(); input.focus(); }
  });
  panel.addEventListener('click', (e) => { if (e.target.closest('a')) close(); });
  async function run() {
    const q = input.value.trim();
    if (!q) return close();
    const mine = ++seq;
    const result = await search(q);
    if (mine !== seq) return;
    const section = (title, items, href, label) => items.length ? h('section', {}, h('h2', {}, title),
      h('ul', {}, items.map((x) => h('li', {}, h('a', { href: href(x) }, label(x)))))) : null;
    const sections = [
      section(t('search.artists'), result.artists, (a) => `#/artist/${a.id}`, (a) => a.name),
      section(t('search.albums'), result.albums, (a) => `#/album/${a.id}`, (a) => [cover(api.coverUrl(a.coverArt, coverSize(32, devicePixelRatio)), ''), h('span', {}, `${a.name} — ${a.artist}`)]),
      section(t('search.tracks'), result.tracks, (s) => `#/album/${s.albumId}`, (s) => `${s.title} — ${s.artist}`),
    ].filter(Boolean);
    panel.replaceChildren(...(sections.length ? sections : [h('p.muted', {}, t('search.none', { q }))]));
    panel.hidden = false;
    input.setAttribute('aria-expanded', 'true');
  }
  document.addEventListener('click', (e) => { if (!panel.contains(e.target) && e.target !== input) close(); });
  return h('header.topbar', {}, h('div.search', { role: 'search' }, icon('search'), input, panel));
}

// OpenSubsonic search3 when /rest is there; until then, a diacritics-insensitive match over the
// first pages of artists and albums.
let searchIndex = null;
async function search(q) {
  if (await subsonic.available()) {
    const r = (await subsonic.call('search3', { query: q, artistCount: 5, albumCount: 8, songCount: 10 })).searchResult3 ?? {};
    return {
      artists: (r.artist ?? []).map((a) => ({ id: a.id, name: a.name })),
      albums: (r.album ?? []).map((a) => ({ id: a.id, name: a.name, artist: a.artist, coverArt: a.id })),
      tracks: (r.song ?? []).map((s) => ({ id: s.id, title: s.title, artist: s.artist, albumId: s.albumId })),
    };
  }
  searchIndex ??= (async () => {
    const pages = async (fn) => {
      const first = await fn(0, 500);
      const rest = await Promise.all(Array.from({ length: Math.min(3, Math.ceil(first.total / 500) - 1) }, (_, i) => fn((i + 1) * 500, 500)));
      return first.items.concat(...rest.map((p) => p.items));
    };
    const [artists, albums] = await Promise.all([pages(api.artists), pages((o, l) => api.albums(o, l, 'name'))]);
    return { artists: artists.map((a) => ({ ...a, key: fold(a.name) })), albums: albums.map((a) => ({ ...a, key: fold(`${a.name} ${a.artist}`) })) };
  })();
  const index = await searchIndex;
  const words = fold(q).split(/\s+/).filter(Boolean);
  const match = (x) => words.every((w) => x.key.includes(w));
  return { artists: index.artists.filter(match).slice(0, 5), albums: index.albums.filter(match).slice(0, 8), tracks: [] };
}

// ---- the player bar ----------------------------------------------------------------------------

function playerBar() {
  const p = player;
  const art = h('div.pb-art');
  const title = h('a.pb-title');
  const artist = h('a.pb-artist');
  const btn = (cls, label, ic, onclick) => h(`button.icon-btn.${cls}`, { type: 'button', 'aria-label': t(label), title: t(label), onclick }, icon(ic));
  const playBtn = btn('pb-play', 'player.play', 'play', () => p.toggle());
  const prev = btn('pb-prev', 'player.previous', 'prev', () => p.previous());
  const next = btn('pb-next', 'player.next', 'next', () => p.next());
  const shuffle = btn('pb-shuffle', 'player.shuffle', 'shuffle', () => p.setShuffle(!p.queue.shuffle));
  const repeat = btn('pb-repeat', 'player.repeat', 'repeat', () => p.cycleRepeat());
  const elapsed = h('span.time.pb-elapsed', {}, '0:00');
  const total = h('span.time.pb-total', {}, '0:00');
  const seek = h('input.pb-seek', { type: 'range', min: 0, max: 0, step: 1, value: 0, 'aria-label': t('player.seek') });
  let seeking = false;
  seek.addEventListener('input', () => { seeking = true; elapsed.textContent = duration(+seek.value); });
  seek.addEventListener('change', () => { seeking = false; p.seek(+seek.value); });
  const mute = btn('pb-mute', 'player.mute', 'volume', () => p.toggleMute());
  const volume = h('input.pb-volume', { type: 'range', min: 0, max: 1, step: 0.05, value: p.audio.volume, 'aria-label': t('player.volume') });
  volume.addEventListener('input', () => p.setVolume(+volume.value));
  const lyricsBtn = btn('pb-lyrics', 'player.lyrics', 'lyrics', () => toggleLyrics());
  lyricsBtn.setAttribute('aria-pressed', 'false');

  let shownKey;
  function update() {
    const tr = p.track;
    if (p.queue.currentKey !== shownKey) {
      shownKey = p.queue.currentKey;
      art.replaceChildren(tr ? cover(api.coverUrl(tr.coverArt, coverSize(56, devicePixelRatio)), '') : h('div.cover.none'));
      title.textContent = tr ? tr.title : t('player.nothing');
      title.href = tr ? `#/album/${tr.albumId}` : '#/';
      artist.textContent = tr ? tr.artist : '';
      if (tr?.artistId) artist.href = `#/artist/${tr.artistId}`; else artist.removeAttribute('href');
      if (lyricsOpen) loadLyrics();
    }
    const playing = p.playing;
    playBtn.replaceChildren(icon(playing ? 'pause' : 'play'));
    playBtn.setAttribute('aria-label', t(playing ? 'player.pause' : 'player.play'));
    playBtn.title = playBtn.getAttribute('aria-label');
    for (const b of [playBtn, prev, next, seek]) b.disabled = !tr;
    shuffle.setAttribute('aria-pressed', String(p.queue.shuffle));
    const r = p.queue.repeat;
    repeat.setAttribute('aria-pressed', String(r !== REPEAT.off));
    repeat.replaceChildren(icon(r === REPEAT.one ? 'repeatOne' : 'repeat'));
    repeat.setAttribute('aria-label', t(r === REPEAT.off ? 'player.repeat' : `player.repeat.${r}`));
    repeat.title = repeat.getAttribute('aria-label');
    const muted = p.audio.muted || p.audio.volume === 0;
    mute.replaceChildren(icon(muted ? 'mute' : 'volume'));
    mute.setAttribute('aria-label', t(muted ? 'player.unmute' : 'player.mute'));
    volume.value = p.audio.muted ? 0 : p.audio.volume;
    time();
    if ('mediaSession' in navigator) navigator.mediaSession.playbackState = tr ? (playing ? 'playing' : 'paused') : 'none';
  }
  function time() {
    const d = p.duration;
    total.textContent = duration(d);
    seek.max = String(Math.floor(d));
    if (!seeking) { seek.value = String(Math.floor(p.currentTime)); elapsed.textContent = duration(p.currentTime); }
    seek.setAttribute('aria-valuetext', `${duration(p.currentTime)} / ${duration(d)}`);
    syncLyrics();
  }

  // Synced lyrics, scrolled with the music (lyrics.js does the timing).
  const lyricsPanel = h('section.lyrics', { hidden: true, 'aria-label': t('lyrics.title') });
  let lyricsOpen = false, lines = null, currentLine = -1;
  function toggleLyrics() {
    lyricsOpen = !lyricsOpen;
    lyricsPanel.hidden = !lyricsOpen;
    lyricsBtn.setAttribute('aria-pressed', String(lyricsOpen));
    if (lyricsOpen) loadLyrics();
  }
  async function loadLyrics() {
    const tr = p.track;
    lines = null; currentLine = -1;
    if (!tr) { lyricsPanel.replaceChildren(h('p.muted', {}, t('lyrics.none'))); return; }
    const found = await fetchLyrics(tr.id);
    if (p.track?.id !== tr.id) return;
    lines = found.lines;
    if (lines) lyricsPanel.replaceChildren(h('ol', {}, lines.map((l) => h('li', {}, l.text || '♪'))));
    else if (found.text) lyricsPanel.replaceChildren(h('pre', {}, found.text));
    else lyricsPanel.replaceChildren(h('p.muted', {}, t('lyrics.none')));
    syncLyrics();
  }
  // OpenSubsonic getLyricsBySongId (structured, synced or not); the track's own tag as a fallback.
  async function fetchLyrics(id) {
    try {
      if (await subsonic.available()) {
        const found = fromStructured((await subsonic.call('getLyricsBySongId', { id })).lyricsList?.structuredLyrics);
        if (found.lines || found.text) return found;
      }
    } catch { /* fall back to the REST API */ }
    const full = await api.track(id).catch(() => null);
    const synced = parseLrc(full?.lyrics);
    return { lines: synced, text: synced ? null : full?.lyrics ?? null };
  }
  function syncLyrics() {
    if (!lyricsOpen || !lines) return;
    const i = lineAt(lines, p.currentTime);
    if (i === currentLine) return;
    const items = lyricsPanel.querySelectorAll('li');
    items[currentLine]?.removeAttribute('aria-current');
    currentLine = i;
    const li = items[i];
    if (li) { li.setAttribute('aria-current', 'true'); li.scrollIntoView({ block: 'center', behavior: 'smooth' }); }
  }

  p.addEventListener('change', update);
  p.addEventListener('time', time);
  p.addEventListener('failed', (e) => toast(t('player.error', { title: e.detail?.title ?? '' })));
  update();
  return h('div.playerbar-wrap', {}, lyricsPanel, h('section.playerbar', { 'aria-label': t('player.region') },
    h('div.pb-now', {}, art, h('div.pb-meta', {}, title, artist)),
    h('div.pb-center', {},
      h('div.pb-buttons', {}, shuffle, prev, playBtn, next, repeat),
      h('div.pb-progress', {}, elapsed, seek, total)),
    h('div.pb-side', {}, lyricsBtn, mute, volume)));
}

// ---- keyboard shortcuts ------------------------------------------------------------------------

function typing(target) {
  return target.closest?.('input, textarea, select, [contenteditable="true"]') !== null;
}

document.addEventListener('keydown', (e) => {
  if (!player || !session.loggedIn || e.ctrlKey || e.metaKey || e.altKey) return;
  if (typing(e.target)) return;
  if (e.key === ' ' && !e.target.closest('button, a, [role="menuitem"]')) { e.preventDefault(); player.toggle(); }
  else if (e.key === 'ArrowLeft' && e.shiftKey) { e.preventDefault(); player.previous(); }
  else if (e.key === 'ArrowRight' && e.shiftKey) { e.preventDefault(); player.next(); }
  else if (e.key === 'ArrowLeft' && !e.target.closest('.handle, .rating')) { e.preventDefault(); player.seekBy(-10); }
  else if (e.key === 'ArrowRight' && !e.target.closest('.handle, .rating')) { e.preventDefault(); player.seekBy(10); }
  else if (e.key === '/') { e.preventDefault(); document.getElementById('search')?.focus(); }
  else if (e.key === '?') { e.preventDefault(); showHelp(); }
});

function showHelp() {
  const rows = [['Space', 'help.space'], ['← / →', 'help.seek'], ['Shift + ← / →', 'help.skip'], ['/', 'help.search'], ['?', 'help.help']];
  const dialog = h('dialog.help', { 'aria-labelledby': 'help-title' },
    h('h2', { id: 'help-title' }, t('help.title')),
    h('dl', {}, rows.flatMap(([k, key]) => [h('dt', {}, h('kbd', {}, k)), h('dd', {}, t(key))])),
    h('form', { method: 'dialog' }, h('button.btn', {}, t('help.close'))));
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

// ---- start -------------------------------------------------------------------------------------

window.addEventListener('hashchange', () => { if (session.loggedIn) route(); });
session.onChange((u) => { if (u) renderShell(); else { cleanup?.(); cleanup = null; renderLogin(); } });
if (session.loggedIn) renderShell(); else renderLogin();
// For diagnostics and the browser tests: the player and its measured hand-over gaps.
Object.defineProperty(window, 'sillon', { get: () => ({ player }) });

if ('serviceWorker' in navigator && location.protocol !== 'file:') navigator.serviceWorker.register('/sw.js').catch(() => {});
