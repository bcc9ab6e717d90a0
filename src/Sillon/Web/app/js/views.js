// The pages. Each view renders into `main` and returns an optional cleanup function.
import { api, session, ApiError, subsonic } from './api.js';
import { t, tn, language, setLanguage, LANGUAGES } from './i18n.js';
import { h, icon, cover, toast } from './ui.js';
import { duration, coverSize, letterOf } from './format.js';
import { VirtualList, PagedSource } from './vlist.js';
import { QUALITIES } from './quality.js';
import { favourites, playlists, songTrack, moved, setRating, albumRatings } from './userdata.js';
import { flowPanel, instantMix } from './listening.js';
import { scrobblingPanel } from './scrobbling.js';

const dpr = () => window.devicePixelRatio || 1;
const coverUrl = (id, px) => api.coverUrl(id, coverSize(px, dpr()));
const scroller = () => document.getElementById('main');

/** The minimal track shape the queue keeps (it is saved in localStorage). */
export const queueTrack = (t) => ({
  id: t.id, title: t.title, artist: t.artist, artistId: t.artists?.[0]?.id ?? null, album: t.album, albumId: t.albumId,
  duration: t.duration, coverArt: t.coverArt, contentType: t.contentType, bitRate: t.bitRate,
});

function heading(text, ...extra) {
  const h1 = h('h1', { tabIndex: -1 }, text);
  return h('header.page-head', {}, h1, ...extra);
}

function failure(main, e, retry) {
  main.replaceChildren(h('div.empty', { role: 'alert' }, t('error', { message: e.message }), ' ',
    h('button.btn', { onclick: retry }, t('retry'))));
}

// ---- favourites (hearts) -------------------------------------------------------------------------

/** A toggle button that stars or unstars an artist, album or track; every heart for the id follows. */
export function heart(id, name) {
  const btn = h('button.icon-btn.heart', { type: 'button', 'aria-label': t('fav.toggle', { name }), title: t('fav.toggle', { name }), dataset: { favId: id } });
  const paint = () => {
    const on = favourites.has(id);
    btn.setAttribute('aria-pressed', String(on));
    btn.replaceChildren(icon(on ? 'heart' : 'heartOutline'));
  };
  // Shown at once, saved behind (Favourites.toggle): a second click while the first is saving undoes it.
  btn.addEventListener('click', (e) => {
    e.stopPropagation();
    const { on, saved } = favourites.toggle(id);
    toast(t(on ? 'fav.added' : 'fav.removed', { name }));
    saved?.catch((err) => toast(t('error', { message: err.message })));
  });
  paint();
  favourites.load().then(paint);
  // Hearts live as long as their page: the first change after the button left the page unhooks it.
  let shown = false;
  const onChange = () => {
    if (btn.isConnected) { shown = true; paint(); } else if (shown) favourites.removeEventListener('change', onChange);
  };
  favourites.addEventListener('change', onChange);
  return btn;
}

// ---- ratings --------------------------------------------------------------------------------------

/**
 * Five stars as one radio group (one tab stop; arrows change it, 0/Delete clears it; clicking the
 * current star clears it too). Saved with setRating.
 */
export function rating(id, name, value = 0) {
  let current = value;
  const stars = [1, 2, 3, 4, 5].map((n) => h('button.star', { type: 'button', role: 'radio', 'aria-label': tn('rating.stars', n) }, icon('star')));
  const group = h('span.rating', { role: 'radiogroup', 'aria-label': t('rating.label', { name }), dataset: { ratingId: id } }, stars);
  const paint = () => stars.forEach((b, i) => {
    const n = i + 1;
    b.setAttribute('aria-checked', String(n === current));
    b.classList.toggle('on', n <= current);
    b.tabIndex = (current ? n === current : n === 1) ? 0 : -1;
  });
  // Saves go one at a time and send the rating as it is when their turn comes: three quick arrow
  // presses must not race to the server and leave it holding the second.
  let saved = value, saving = Promise.resolve();
  const set = (n, focus) => {
    current = Math.max(0, Math.min(5, n));
    paint();
    if (focus) stars[Math.max(current, 1) - 1].focus();
    saving = saving.then(async () => {
      const wanted = current;
      if (wanted === saved) return;
      try { await setRating(id, wanted); saved = wanted; }
      catch (err) { current = saved; paint(); toast(t('error', { message: err.message })); }
    });
  };
  stars.forEach((b, i) => {
    b.addEventListener('click', () => set(current === i + 1 ? 0 : i + 1));
    b.addEventListener('keydown', (ev) => {
      const next = { ArrowRight: current + 1, ArrowUp: current + 1, ArrowLeft: current - 1, ArrowDown: current - 1, Home: 1, End: 5, 0: 0, Delete: 0, Backspace: 0 }[ev.key]
        ?? (/^[1-5]$/.test(ev.key) ? Number(ev.key) : undefined);
      if (next === undefined) return;
      ev.preventDefault();
      ev.stopPropagation();
      if (next !== current) set(next, true);
    });
  });
  paint();
  return group;
}

// ---- playlists: the "add to playlist" dialog -----------------------------------------------------

/** Asks which playlist (or a new one) gets these tracks. */
export async function addToPlaylistDialog(tracks) {
  const lists = await playlists.all().catch(() => []);
  const name = h('input', { id: 'pick-new', maxLength: 500, autocomplete: 'off' });
  const dialog = h('dialog.help.pick', { 'aria-labelledby': 'pick-title' });
  const done = async (fn, label) => {
    try { await fn(); toast(t('playlist.added', { n: tracks.length, name: label })); dialog.close(); }
    catch (err) { toast(t('error', { message: err.message })); }
  };
  const ids = tracks.map((x) => x.id);
  const form = h('form.form', {}, h('label', { for: 'pick-new' }, t('playlist.newName')), name,
    h('button.btn.primary', { type: 'submit' }, t('playlist.createWith')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const n = name.value.trim();
    if (n) done(() => playlists.create(n, ids), n);
  });
  dialog.append(h('h2', { id: 'pick-title' }, t('playlist.addTo')),
    lists.length ? h('ul.pick-list', {}, lists.filter((p) => !p.readonly).map((p) =>
      h('li', {}, h('button.btn.ghost', { type: 'button', onclick: () => done(() => playlists.add(p.id, ids), p.name) }, p.name)))) : null,
    form,
    h('form', { method: 'dialog' }, h('button.btn', {}, t('help.close'))));
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

// ---- a popup menu of track actions --------------------------------------------------------------

let openMenu = null;
export function closeMenu() {
  if (!openMenu) return;
  const { menu, opener } = openMenu;
  openMenu = null;
  menu.remove();
  opener.setAttribute('aria-expanded', 'false');
  opener.focus();
}

/** Replaces the queue with an instant mix from a track, album or artist id. */
const mixFrom = (ctx, id) => instantMix(ctx.player, id).catch((e) => toast(t('error', { message: e.message })));
const mixButton = (ctx, id) => h('button.btn', { type: 'button', onclick: () => mixFrom(ctx, id) }, icon('shuffle'), t('flow.mix'));

function trackMenu(ctx, tracksFn, title) {
  const opener = h('button.icon-btn.more', { type: 'button', 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-label': t('track.actions', { title }) }, icon('more'));
  opener.addEventListener('click', (e) => {
    e.stopPropagation();
    if (openMenu?.opener === opener) return closeMenu();
    closeMenu();
    const act = (fn) => () => { fn(tracksFn()); closeMenu(); };
    const items = [
      ['track.playNow', act((ts) => ctx.player.playNow(ts))],
      ['track.playNext', act((ts) => ctx.player.playNext(ts))],
      ['track.addToEnd', act((ts) => ctx.player.add(ts))],
      ['track.addToPlaylist', () => { const ts = tracksFn(); closeMenu(); addToPlaylistDialog(ts); }],
      ['flow.mix', () => { const ts = tracksFn(); closeMenu(); if (ts.length) mixFrom(ctx, ts[0].id); }],
    ].map(([key, fn]) => h('button', { type: 'button', role: 'menuitem', tabIndex: -1, onclick: fn }, t(key)));
    const menu = h('div.menu', { role: 'menu', 'aria-label': t('track.actions', { title }) }, items);
    menu.addEventListener('keydown', (ev) => {
      const i = items.indexOf(document.activeElement);
      if (ev.key === 'ArrowDown') { items[(i + 1) % items.length].focus(); ev.preventDefault(); }
      else if (ev.key === 'ArrowUp') { items[(i - 1 + items.length) % items.length].focus(); ev.preventDefault(); }
      else if (ev.key === 'Escape' || ev.key === 'Tab') { ev.preventDefault(); closeMenu(); }
    });
    document.body.append(menu);
    const r = opener.getBoundingClientRect();
    const top = Math.min(r.bottom + 4, window.innerHeight - menu.offsetHeight - 8);
    menu.style.top = `${Math.max(8, top)}px`;
    menu.style.left = `${Math.max(8, Math.min(r.right - menu.offsetWidth, window.innerWidth - menu.offsetWidth - 8))}px`;
    opener.setAttribute('aria-expanded', 'true');
    openMenu = { menu, opener };
    items[0].focus();
  });
  return opener;
}
document.addEventListener('click', (e) => { if (openMenu && !openMenu.menu.contains(e.target)) closeMenu(); });

// ---- album cards ---------------------------------------------------------------------------------

function albumCard(album, ctx, px = 180) {
  const card = emptyAlbumCard(ctx);
  fillAlbumCard(card, album, px);
  return card;
}

/** A card's nodes are made once; a virtual grid then only swaps their text and image. */
function emptyAlbumCard(ctx, tag = 'div.card', props = {}) {
  const img = cover(null, '');
  const play = h('button.icon-btn.card-play', { type: 'button' }, icon('play'));
  play.addEventListener('click', async () => {
    const id = card.dataset.albumId;
    if (id) ctx.player.playNow((await api.album(id)).tracks.map(queueTrack));
  });
  const card = h(tag, props, h('div.card-art', {}, img, play), h('a.card-title'), h('div.card-sub'));
  return card;
}

function fillAlbumCard(card, album, px = 180) {
  const img = card.querySelector('img'), play = card.querySelector('.card-play');
  const title = card.querySelector('.card-title'), sub = card.querySelector('.card-sub');
  card.classList.toggle('placeholder', !album);
  if (!album) {
    delete card.dataset.albumId;
    img.removeAttribute('src'); img.classList.add('none');
    title.textContent = ''; title.removeAttribute('href'); sub.textContent = '';
    play.hidden = true;
    return;
  }
  card.dataset.albumId = album.id;
  const url = album.coverArt ? coverUrl(album.coverArt, px) : null;
  if (url) { if (img.getAttribute('src') !== url) { img.classList.remove('none'); img.src = url; } }
  else { img.removeAttribute('src'); img.classList.add('none'); }
  play.hidden = false;
  play.setAttribute('aria-label', `${t('album.play')}: ${album.name}`);
  title.textContent = album.name;
  title.title = album.name;
  title.href = `#/album/${album.id}`;
  sub.textContent = [album.artist, album.year].filter(Boolean).join(' · ');
}

/** An album of the OpenSubsonic API as the cards show it (its cover is the album's own). */
const subsonicAlbum = (a) => ({ id: a.id, name: a.name, artist: a.artist, year: a.year, coverArt: a.id });

function shelf(title, albums, ctx, extra) {
  return h('section.shelf', { 'aria-label': title },
    h('div.shelf-head', {}, h('h2', {}, title), extra),
    h('div.shelf-row', {}, albums.map((a) => albumCard(a, ctx))));
}

// ---- pages ---------------------------------------------------------------------------------------

export async function home(main, _params, ctx) {
  const [recent, random] = await Promise.all([api.albums(0, 12, 'newest'), api.albums(0, 12, 'random')]);
  if (!recent.total) {
    main.replaceChildren(heading(t('home.title')), h('p.empty', {}, t('home.empty')));
    return;
  }
  const again = h('button.btn.ghost', { type: 'button' }, t('home.shuffleAgain'));
  const randomShelf = shelf(t('home.random'), random.items, ctx, again);
  again.addEventListener('click', async () => {
    const more = await api.albums(0, 12, 'random');
    randomShelf.querySelector('.shelf-row').replaceChildren(...more.items.map((a) => albumCard(a, ctx)));
  });
  const flow = flowPanel(ctx);
  main.replaceChildren(heading(t('home.title')), flow.panel, shelf(t('home.recent'), recent.items, ctx), randomShelf);
  // Rows of the listener's own: plays (scrobbles) and favourites, from the OpenSubsonic API.
  const lists = await Promise.all(['recent', 'frequent', 'starred'].map((type) => albumList2(type)));
  if (!randomShelf.isConnected) return; // the listener has moved on
  const mine = [['home.played', lists[0]], ['home.frequent', lists[1]], ['home.favourites', lists[2]]]
    .filter(([, items]) => items.length).map(([key, items]) => shelf(t(key), items.map(subsonicAlbum), ctx));
  main.querySelector('.shelf')?.after(...mine);
  return flow.stop;
}

async function albumList2(type) {
  try {
    if (!(await subsonic.available())) return [];
    return (await subsonic.call('getAlbumList2', { type, size: 12 })).albumList2?.album ?? [];
  } catch { return []; }
}

export async function albums(main, params, ctx) {
  const sort = ['name', 'newest', 'year', 'artist'].includes(params.get('sort')) ? params.get('sort') : 'name';
  const source = await new PagedSource((o, l) => api.albums(o, l, sort), 200).start();
  const select = h('select', { id: 'album-sort', onchange: () => { location.hash = `#/albums?sort=${select.value}`; } },
    ['name', 'newest', 'year', 'artist'].map((s) => h('option', { value: s, selected: s === sort }, t(`sort.${s}`))));
  const count = h('p.count', {}, tn('albums.count', source.total));
  const host = h('div.grid', { role: 'list', 'aria-label': t('albums.title') });
  main.replaceChildren(heading(t('albums.title'), h('label.inline', {}, t('albums.sort'), ' ', select)), browseLinks(), count, host);
  const list = new VirtualList(host, scroller(), {
    count: source.total, rowHeight: 236, minCellWidth: 150, gap: 16,
    create: () => emptyAlbumCard(ctx, 'div.card', { role: 'listitem' }),
    render: (el, i) => fillAlbumCard(el, source.get(i), 180),
  });
  source.onUpdate = () => list.refresh();
  return () => list.destroy();
}

export async function artists(main, _params) {
  const source = await new PagedSource((o, l) => api.artists(o, l), 500).start();
  const host = h('div.rows', { role: 'list', 'aria-label': t('artists.title') });
  const letters = '#ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');
  let list;
  // Names are sorted on the server: a binary search over one-item pages finds where a letter starts.
  const jump = async (letter) => {
    const rank = (c) => letters.indexOf(c);
    let lo = 0, hi = source.total;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const item = source.get(mid) ?? (await api.artists(mid, 1)).items[0];
      if (rank(letterOf(item.name)) < rank(letter)) lo = mid + 1; else hi = mid;
    }
    list.scrollToIndex(Math.min(lo, source.total - 1));
  };
  const index = h('nav.az', { 'aria-label': t('artists.index') },
    letters.map((l) => h('button', { type: 'button', onclick: () => jump(l) }, l)));
  main.replaceChildren(heading(t('artists.title'), h('p.count', {}, tn('artists.count', source.total))), index, host);
  list = new VirtualList(host, scroller(), {
    count: source.total, rowHeight: 56,
    create: () => h('a.row.artist-row', { role: 'listitem' }),
    render: (el, i) => {
      const a = source.get(i);
      if (!a) { el.replaceChildren(h('span.skeleton')); el.removeAttribute('href'); return; }
      el.href = `#/artist/${a.id}`;
      el.replaceChildren(h('span.avatar', { 'aria-hidden': 'true' }, letterOf(a.name)), h('span.grow', {}, a.name),
        h('span.muted', {}, tn('albums.count', a.albumCount)));
    },
  });
  source.onUpdate = () => list.refresh();
  return () => list.destroy();
}

export async function artist(main, params, ctx) {
  const a = await api.artist(params.get('id'));
  const playAll = async () => {
    const details = await Promise.all(a.albums.map((al) => api.album(al.id)));
    ctx.player.playNow(details.flatMap((d) => d.tracks.filter((tr) => tr.artists.some((x) => x.id === a.id)).map(queueTrack)));
  };
  main.replaceChildren(
    h('header.hero', {}, h('div.avatar.big', { 'aria-hidden': 'true' }, letterOf(a.name)),
      h('div', {}, h('h1', { tabIndex: -1 }, a.name), h('p.muted', {}, tn('albums.count', a.albums.length), ' · ', tn('artist.tracks', a.trackCount)),
        h('div.actions', {}, h('button.btn.primary', { type: 'button', onclick: playAll }, icon('play'), t('album.play')), mixButton(ctx, a.id), heart(a.id, a.name)))),
    h('h2', {}, t('artist.albums')),
    h('div.grid-static', {}, a.albums.map((al) => albumCard(al, ctx))));
  // Top tracks (getTopSongs: the listener's most played first), when the OpenSubsonic API answers.
  const top = await subsonicList('getTopSongs', { artist: a.name, count: 10 }, (r) => r.topSongs?.song);
  if (top.length && main.querySelector('h1')?.textContent === a.name)
    main.querySelector('.hero').after(h('section', { 'aria-labelledby': 'artist-top' }, h('h2', { id: 'artist-top' }, t('artist.top')),
      songRows(ctx, top, t('artist.top'))));
}

/** One list from the OpenSubsonic API, or [] when it is not there (or fails). */
async function subsonicList(method, params, pick) {
  try {
    if (!(await subsonic.available())) return [];
    return pick(await subsonic.call(method, params)) ?? [];
  } catch { return []; }
}

/** Albums of a getAlbumList2 query as a static grid. */
async function albumGrid(ctx, params, label) {
  const items = await subsonicList('getAlbumList2', { size: 500, ...params }, (r) => r.albumList2?.album);
  return items.length
    ? h('div.grid-static', { role: 'list', 'aria-label': label }, items.map((a) => { const c = albumCard(subsonicAlbum(a), ctx); c.setAttribute('role', 'listitem'); return c; }))
    : h('p.empty', {}, t('browse.none'));
}

/** Genres, years and folders: the other ways into the library (linked from the albums page). */
const browseLinks = () => h('nav.browse', { 'aria-label': t('browse.label') },
  [['genres', 'browse.genres'], ['years', 'browse.years'], ['folders', 'browse.folders'], ['podcasts', 'browse.podcasts']].map(([r, key]) => h('a.btn.ghost', { href: `#/${r}` }, t(key))));

export async function genres(main) {
  const list = await subsonicList('getGenres', {}, (r) => r.genres?.genre);
  main.replaceChildren(heading(t('browse.genres')), browseLinks(),
    list.length ? h('ul.rows.static', { 'aria-label': t('browse.genres') }, list.map((g) => h('li.row', {},
      h('a.grow', { href: `#/genre/${encodeURIComponent(g.value)}` }, g.value), h('span.muted', {}, tn('albums.count', g.albumCount ?? 0)))))
      : h('p.empty', {}, t('browse.none')));
}

export async function genre(main, params, ctx) {
  const name = params.get('id');
  main.replaceChildren(heading(name), browseLinks(), await albumGrid(ctx, { type: 'byGenre', genre: name }, name));
}

export async function years(main, params, ctx) {
  const now = new Date().getFullYear();
  const from = Number(params.get('from')) || Math.floor(now / 10) * 10;
  const decades = Array.from({ length: 8 }, (_, i) => Math.floor(now / 10) * 10 - i * 10);
  const label = t('browse.decade', { from });
  main.replaceChildren(heading(t('browse.years')), browseLinks(),
    h('nav.decades.actions', { 'aria-label': t('browse.decades') }, decades.map((d) =>
      h('a.btn', { href: `#/years?from=${d}`, 'aria-current': d === from ? 'page' : null }, t('browse.decade', { from: d })))),
    h('h2', {}, label),
    await albumGrid(ctx, { type: 'byYear', fromYear: from, toYear: from + 9 }, label));
}

export async function folders(main, params, ctx) {
  const id = params.get('id');
  if (!id) {
    const index = await subsonicList('getIndexes', {}, (r) => r.indexes?.index);
    const artistsList = index.flatMap((i) => i.artist ?? []);
    main.replaceChildren(heading(t('browse.folders')), browseLinks(),
      artistsList.length ? h('ul.rows.static', { 'aria-label': t('browse.folders') }, artistsList.map((f) =>
        h('li.row', {}, h('a.grow', { href: `#/folder/${encodeURIComponent(f.id)}` }, f.name)))) : h('p.empty', {}, t('browse.none')));
    return;
  }
  const dir = (await subsonic.call('getMusicDirectory', { id })).directory;
  const children = dir.child ?? [];
  const sub = children.filter((c) => c.isDir), songs = children.filter((c) => !c.isDir);
  main.replaceChildren(heading(dir.name), h('nav.actions', { 'aria-label': t('browse.folders') },
    h('a.btn.ghost', { href: dir.parent ? `#/folder/${encodeURIComponent(dir.parent)}` : '#/folders' }, t('browse.up'))),
    sub.length ? h('ul.rows.static', { 'aria-label': dir.name }, sub.map((f) => h('li.row', {}, h('a.grow', { href: `#/folder/${encodeURIComponent(f.id)}` }, f.title)))) : null,
    songs.length ? songRows(ctx, songs, dir.name) : null);
}

export async function album(main, params, ctx) {
  const [d, rated] = await Promise.all([api.album(params.get('id')), albumRatings(params.get('id'))]);
  const al = d.album;
  const tracks = d.tracks.map(queueTrack);
  const total = d.tracks.reduce((s, tr) => s + tr.duration, 0);
  const artistLinks = al.artists.length
    ? al.artists.flatMap((ar, i) => [i ? ', ' : '', h('a', { href: `#/artist/${ar.id}` }, ar.name)])
    : [al.artist];
  const rows = [];
  const multiDisc = d.discs.length > 1;
  let disc = null;
  d.tracks.forEach((tr, i) => {
    const discNo = tr.discNumber ?? 1;
    if (multiDisc && discNo !== disc) {
      disc = discNo;
      const sub = d.discs.find((x) => x.disc === discNo)?.subtitle;
      rows.push(h('li.disc', { role: 'presentation' }, t('album.disc', { n: discNo }), sub ? ` — ${sub}` : ''));
    }
    const current = ctx.player.track?.id === tr.id;
    rows.push(h(`li.track${current ? '.current' : ''}`, { dataset: { trackId: tr.id } },
      h('button.track-main', { type: 'button', onclick: () => ctx.player.playNow(tracks, i), 'aria-label': `${t('album.play')}: ${tr.title}` },
        h('span.num', { 'aria-hidden': 'true' }, tr.trackNumber ?? i + 1),
        h('span.track-text', {}, h('span.track-title', {}, tr.title),
          tr.artist !== al.artist ? h('span.track-artist', {}, tr.artist) : null)),
      h('span.dur', {}, duration(tr.duration)),
      trackMenu(ctx, () => [tracks[i]], tr.title),
      heart(tr.id, tr.title),
      rated ? rating(tr.id, tr.title, rated.tracks.get(tr.id)) : null));
  });
  main.replaceChildren(
    h('header.hero', {}, h('div.hero-art', {}, cover(coverUrl(al.coverArt, 240), t('album.by', { artist: al.artist }))),
      h('div.hero-text', {}, h('p.kicker', {}, 'Album'), h('h1', { tabIndex: -1 }, al.name), h('p', {}, ...artistLinks),
        h('p.muted', {}, [al.year, al.genre, tn('album.tracks', d.tracks.length), duration(total)].filter(Boolean).join(' · ')),
        h('div.actions', {},
          h('button.btn.primary', { type: 'button', onclick: () => ctx.player.playNow(tracks) }, icon('play'), t('album.play')),
          h('button.btn', { type: 'button', onclick: () => { ctx.player.setShuffle(true); ctx.player.playNow(tracks); } }, icon('shuffle'), t('album.shuffle')),
          h('button.btn', { type: 'button', onclick: () => { ctx.player.add(tracks); toast(t('album.addToQueue')); } }, icon('queue'), t('album.addToQueue')),
          mixButton(ctx, al.id),
          heart(al.id, al.name)),
        rated ? rating(al.id, al.name, rated.album) : null)),
    h('ol.tracks', { 'aria-label': al.name }, rows));
  const mark = () => {
    for (const li of main.querySelectorAll('li.track')) li.classList.toggle('current', li.dataset.trackId === ctx.player.track?.id);
  };
  ctx.player.addEventListener('change', mark);
  return () => ctx.player.removeEventListener('change', mark);
}

export function queue(main, _params, ctx) {
  const p = ctx.player;
  const host = h('div.rows.queue', { role: 'list', 'aria-label': t('queue.title') });
  const summary = h('p.count');
  const clear = h('button.btn', { type: 'button', onclick: () => p.clear() }, t('queue.clear'));
  const empty = h('p.empty', {}, t('queue.empty'));
  const save = h('button.btn', { type: 'button', onclick: () => addToPlaylistDialog(p.queue.items.map((e) => e.track)) }, t('queue.save'));
  main.replaceChildren(heading(t('queue.title'), h('div.actions', {}, save, clear)), summary, empty, host);
  const ROW = 56;
  let drag = null;
  const list = new VirtualList(host, scroller(), {
    count: p.queue.length, rowHeight: ROW,
    create: () => h('div.row.qrow', { role: 'listitem' }),
    render: (el, i) => {
      const e = p.queue.items[i];
      if (!e) return;
      const tr = e.track;
      const handle = h('button.icon-btn.handle', { type: 'button', 'aria-label': t('queue.drag', { title: tr.title }) }, icon('drag'));
      handle.addEventListener('pointerdown', (ev) => startDrag(ev, i, el, handle));
      handle.addEventListener('keydown', (ev) => {
        if (ev.key === 'ArrowUp' && i > 0) { p.move(i, i - 1); ev.preventDefault(); focusRow(i - 1); }
        if (ev.key === 'ArrowDown' && i < p.queue.length - 1) { p.move(i, i + 1); ev.preventDefault(); focusRow(i + 1); }
      });
      el.classList.toggle('current', i === p.queue.index);
      el.setAttribute('aria-current', i === p.queue.index ? 'true' : 'false');
      el.replaceChildren(handle,
        h('button.track-main', { type: 'button', onclick: () => p.jump(i) },
          cover(coverUrl(tr.coverArt, 40), ''),
          h('span.track-text', {}, h('span.track-title', {}, tr.title), h('span.track-artist', {}, `${tr.artist} · ${tr.album}`))),
        h('span.dur', {}, duration(tr.duration)),
        h('button.icon-btn.up', { type: 'button', 'aria-label': t('queue.moveUp', { title: tr.title }), disabled: i === 0, onclick: () => p.move(i, i - 1) }, icon('up')),
        h('button.icon-btn.down', { type: 'button', 'aria-label': t('queue.moveDown', { title: tr.title }), disabled: i === p.queue.length - 1, onclick: () => p.move(i, i + 1) }, icon('down')),
        h('button.icon-btn.remove', { type: 'button', 'aria-label': t('queue.remove', { title: tr.title }), onclick: () => p.remove(i) }, icon('close')));
    },
  });
  const focusRow = (i) => requestAnimationFrame(() => host.querySelector(`[data-index="${i}"] .handle`)?.focus());
  // Drag with pointer events (mouse, touch and pen alike): the row follows the pointer, the drop
  // position is the row under it.
  function startDrag(ev, from, el, handle) {
    ev.preventDefault();
    handle.setPointerCapture(ev.pointerId);
    const top = host.getBoundingClientRect().top;
    drag = { from, to: from, el, startY: ev.clientY };
    el.classList.add('dragging');
    const move = (m) => {
      const dy = m.clientY - drag.startY;
      el.style.transform = `translate(0, ${from * ROW + dy}px)`;
      drag.to = Math.max(0, Math.min(p.queue.length - 1, Math.floor((m.clientY - top) / ROW)));
    };
    const up = () => {
      handle.removeEventListener('pointermove', move);
      el.classList.remove('dragging');
      const { to } = drag;
      drag = null;
      if (to !== from) p.move(from, to); else list.refresh();
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up, { once: true });
    handle.addEventListener('pointercancel', up, { once: true });
  }
  let shown = -1;
  const update = () => {
    // Media events (play, pause, volume…) also say 'change': re-render only when the queue changed.
    if (drag || shown === p.version) return;
    shown = p.version;
    const total = p.queue.items.reduce((s, e) => s + (e.track.duration || 0), 0);
    summary.textContent = tn('queue.count', p.queue.length, { time: duration(total) });
    empty.hidden = p.queue.length > 0;
    clear.disabled = save.disabled = p.queue.length === 0;
    list.setCount(p.queue.length);
  };
  update();
  p.addEventListener('change', update);
  return () => { p.removeEventListener('change', update); list.destroy(); };
}

// ---- favourites and playlists (OpenSubsonic) ------------------------------------------------------

/** A plain list of tracks (Subsonic songs): play from here, menu, heart; `extra(i)` adds controls. */
function songRows(ctx, songs, label, extra) {
  const tracks = songs.map(songTrack);
  return h('ol.tracks', { 'aria-label': label }, songs.map((s, i) => h('li.track', { dataset: { trackId: s.id, index: i } },
    extra?.handle?.(i) ?? null,
    h('button.track-main', { type: 'button', onclick: () => ctx.player.playNow(tracks, i), 'aria-label': `${t('album.play')}: ${s.title}` },
      h('span.num', { 'aria-hidden': 'true' }, i + 1),
      h('span.track-text', {}, h('span.track-title', {}, s.title), h('span.track-artist', {}, [s.artist, s.album].filter(Boolean).join(' · ')))),
    h('span.dur', {}, duration(s.duration ?? 0)),
    extra?.buttons?.(i) ?? null,
    trackMenu(ctx, () => [tracks[i]], s.title),
    heart(s.id, s.title))));
}

export async function favouritesPage(main, _params, ctx) {
  const s = await favourites.list();
  const artistsList = s.artist ?? [], albumList = s.album ?? [], songs = s.song ?? [];
  const parts = [heading(t('fav.title'))];
  if (!artistsList.length && !albumList.length && !songs.length) parts.push(h('p.empty', {}, t('fav.empty')));
  if (artistsList.length) parts.push(h('section', { 'aria-labelledby': 'fav-artists' }, h('h2', { id: 'fav-artists' }, t('search.artists')),
    h('ul.rows.static', {}, artistsList.map((a) => h('li.row', {}, h('a.grow', { href: `#/artist/${a.id}` }, a.name), heart(a.id, a.name))))));
  if (albumList.length) parts.push(shelf(t('search.albums'), albumList.map(subsonicAlbum), ctx));
  if (songs.length) parts.push(h('section', { 'aria-labelledby': 'fav-tracks' }, h('h2', { id: 'fav-tracks' }, t('search.tracks')),
    h('div.actions', {}, h('button.btn.primary', { type: 'button', onclick: () => ctx.player.playNow(songs.map(songTrack)) }, icon('play'), t('album.play'))),
    songRows(ctx, songs, t('fav.tracks'))));
  main.replaceChildren(...parts);
}

export async function playlistsPage(main) {
  // Kinds (smart, imported) come from /api/v1; a server without it still lists plain playlists.
  const [lists, kinds] = await Promise.all([playlists.all(), api.playlists().catch(() => [])]);
  const kind = new Map(kinds.map((p) => [p.id, p]));
  const name = h('input', { id: 'pl-new', maxLength: 500, autocomplete: 'off', required: true });
  const form = h('form.panel.form.inline-form', { 'aria-labelledby': 'pl-create' }, h('h2', { id: 'pl-create' }, t('playlist.create')),
    h('label', { for: 'pl-new' }, t('playlist.newName')), name, h('button.btn.primary', { type: 'submit' }, t('playlist.create')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try { const created = await playlists.create(name.value.trim()); location.hash = `#/playlist/${created.id}`; }
    catch (err) { toast(t('error', { message: err.message })); }
  });
  main.replaceChildren(heading(t('playlists.title')),
    lists.length ? h('ul.rows.static', { 'aria-label': t('playlists.title') }, lists.map((p) => h('li.row', {},
      kind.get(p.id)?.smart ? h('span.kind', { title: t('smart.badge') }, icon('smart'), h('span.sr-only', {}, t('smart.badge'))) : null,
      h('a.grow', { href: `#/playlist/${p.id}` }, p.name), h('span.muted', {}, tn('album.tracks', p.songCount ?? 0)))))
      : h('p.empty', {}, t('playlists.empty')),
    form, h('p', {}, h('a.btn', { href: '#/smart', id: 'smart-new' }, icon('smart'), t('smart.new'))));
}

export async function playlistPage(main, params, ctx) {
  const id = params.get('id');
  let pl = await playlists.get(id);
  let songs = pl.entry ?? [];
  const mine = !pl.readonly;
  const title = h('h1', { tabIndex: -1 }, pl.name);
  const summary = h('p.muted');
  const listHost = h('div');
  const status = h('p.sr-only', { role: 'status', 'aria-live': 'polite' });
  // Edits show at once and reach the server one after the other: two quick moves sent side by side
  // could arrive in either order, and the server would keep the older one. Each edit's announcement
  // is made when it is saved, so the last one heard is the latest edit's. After a refusal the edits
  // queued behind it (made on a state the server does not have) are dropped and the page reloads.
  let saving = Promise.resolve();
  let epoch = 0;
  const persist = (send, message) => {
    const at = epoch;
    saving = saving.then(async () => {
      if (at !== epoch) return;
      try { await send(); status.textContent = message; }
      catch (err) {
        epoch++;
        toast(t('error', { message: err.message }));
        pl = await playlists.get(id).catch(() => pl);
        songs = pl.entry ?? []; render();
      }
    });
  };
  const move = (from, to) => {
    if (to < 0 || to >= songs.length || from === to) return;
    const message = t('playlist.moved', { title: songs[from].title, n: to + 1 });
    songs = moved(songs, from, to); render();
    const order = songs.map((s) => s.id);
    persist(() => playlists.setTracks(id, order), message);
  };
  const focusHandle = (i) => requestAnimationFrame(() => listHost.querySelector(`li[data-index="${i}"] .handle`)?.focus());
  function render() {
    summary.textContent = tn('album.tracks', songs.length) + ' · ' + duration(songs.reduce((x, s) => x + (s.duration ?? 0), 0));
    if (!songs.length) { listHost.replaceChildren(h('p.empty', {}, t('playlist.empty'))); return; }
    listHost.replaceChildren(songRows(ctx, songs, pl.name, mine ? {
      handle: (i) => {
        const handle = h('button.icon-btn.handle', { type: 'button', 'aria-label': t('queue.drag', { title: songs[i].title }), 'aria-describedby': 'pl-drag-help' }, icon('drag'));
        handle.addEventListener('keydown', (ev) => {
          if (ev.key === 'ArrowUp' && i > 0) { ev.preventDefault(); move(i, i - 1); focusHandle(i - 1); }
          if (ev.key === 'ArrowDown' && i < songs.length - 1) { ev.preventDefault(); move(i, i + 1); focusHandle(i + 1); }
        });
        handle.addEventListener('pointerdown', (ev) => startDrag(ev, i, handle));
        return handle;
      },
      buttons: (i) => h('button.icon-btn.remove', { type: 'button', 'aria-label': t('queue.remove', { title: songs[i].title }), onclick: () => {
        const message = t('playlist.removed', { title: songs[i].title });
        songs = songs.filter((_, k) => k !== i); render();
        persist(() => playlists.removeAt(id, i), message);
      } }, icon('close')),
    } : undefined));
  }
  // Drag: the row under the pointer when it is released is where the track goes.
  function startDrag(ev, from, handle) {
    ev.preventDefault();
    handle.setPointerCapture(ev.pointerId);
    const row = handle.closest('li');
    row.classList.add('dragging');
    const startY = ev.clientY;
    let to = from;
    const rows = [...listHost.querySelectorAll('li.track')];
    const onMove = (m) => {
      row.style.transform = `translate(0, ${m.clientY - startY}px)`;
      const k = rows.findIndex((r) => { const b = r.getBoundingClientRect(); return m.clientY >= b.top && m.clientY < b.bottom; });
      if (k >= 0) to = k;
    };
    const up = () => {
      handle.removeEventListener('pointermove', onMove);
      row.classList.remove('dragging');
      row.style.transform = '';
      if (to !== from) move(from, to); else render();
    };
    handle.addEventListener('pointermove', onMove);
    handle.addEventListener('pointerup', up, { once: true });
    handle.addEventListener('pointercancel', up, { once: true });
  }
  const rename = h('form.inline-form', { hidden: true }, h('label', { for: 'pl-rename' }, t('playlist.name')),
    h('input', { id: 'pl-rename', maxLength: 500, required: true, autocomplete: 'off' }), h('button.btn.primary', { type: 'submit' }, t('playlist.save')));
  rename.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = rename.querySelector('input').value.trim();
    if (!value) return;
    try { await playlists.rename(id, value); pl = { ...pl, name: value }; title.textContent = value; rename.hidden = true; title.focus(); }
    catch (err) { toast(t('error', { message: err.message })); }
  });
  const actions = [
    h('button.btn.primary', { type: 'button', onclick: () => songs.length && ctx.player.playNow(songs.map(songTrack)) }, icon('play'), t('album.play')),
    h('button.btn', { type: 'button', onclick: () => songs.length && ctx.player.add(songs.map(songTrack)) }, icon('queue'), t('album.addToQueue')),
  ];
  if (mine) actions.push(
    h('button.btn', { type: 'button', onclick: () => { rename.hidden = false; const input = rename.querySelector('input'); input.value = pl.name; input.focus(); } }, t('playlist.rename')),
    h('button.btn', { type: 'button', onclick: async () => {
      if (!confirm(t('playlist.confirmDelete', { name: pl.name }))) return;
      try { await playlists.remove(id); toast(t('playlist.deleted', { name: pl.name })); location.hash = '#/playlists'; }
      catch (err) { toast(t('error', { message: err.message })); }
    } }, t('playlist.delete')));
  // Smart playlists are edited by their rules; imported ones list the entries of their file that match no track.
  const detail = await api.playlist(id).catch(() => null);
  if (detail?.rules && detail.playlist.owner.toLowerCase() === session.user?.username?.toLowerCase())
    actions.push(h('a.btn', { href: `#/smart/${id}`, id: 'smart-edit' }, icon('smart'), t('smart.edit')));
  const missing = detail?.missing?.length ? h('details.panel', {}, h('summary', {}, tn('playlist.missing', detail.missing.length)),
    h('ul', {}, detail.missing.map((m) => h('li', {}, m)))) : null;
  main.replaceChildren(h('header.page-head', {}, title), summary, h('div.actions', {}, actions), missing, rename,
    h('p.sr-only', { id: 'pl-drag-help' }, t('playlist.dragHelp')), status, listHost);
  render();
}

export function settings(main, _params, ctx) {
  const lang = h('select', { id: 'set-lang', onchange: () => { setLanguage(lang.value); ctx.rerender(); } },
    Object.keys(LANGUAGES).map((code) => h('option', { value: code, selected: code === language() }, code === 'fr' ? 'Français' : 'English')));
  const quality = h('fieldset', {}, h('legend', {}, t('settings.quality')),
    Object.keys(QUALITIES).map((q) => h('label.radio', {},
      h('input', { type: 'radio', name: 'quality', value: q, checked: ctx.player.quality === q, onchange: () => ctx.player.setQuality(q) }), t(`quality.${q}`))));
  main.replaceChildren(heading(t('settings.title')),
    h('section.panel.form', { 'aria-labelledby': 'set-general' }, h('h2', { id: 'set-general' }, t('settings.general')),
      h('label', { for: 'set-lang' }, t('settings.language')), lang,
      quality),
    passwordPanel(),
    apiKeysPanel(),
    scrobblingPanel(),
    h('section.panel.form', { 'aria-labelledby': 'set-account' }, h('h2', { id: 'set-account' }, t('settings.account', { name: session.user?.username ?? '' })),
      h('button.btn', { type: 'button', onclick: () => ctx.logout() }, t('logout'))));
}

function passwordPanel() {
  const field = (id, key, autocomplete) => [h('label', { for: id }, t(key)), h('input', { id, type: 'password', autocomplete, required: true })];
  const message = h('p', { role: 'status' });
  const form = h('form.panel.form', { 'aria-labelledby': 'set-pw' },
    h('h2', { id: 'set-pw' }, t('password.title')),
    field('pw-current', 'password.current', 'current-password'),
    field('pw-new', 'password.new', 'new-password'),
    field('pw-confirm', 'setup.confirm', 'new-password'),
    message,
    h('button.btn.primary', { type: 'submit' }, t('password.submit')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const [current, next, confirm] = ['pw-current', 'pw-new', 'pw-confirm'].map((id) => form.querySelector(`#${id}`).value);
    message.classList.remove('error');
    if (next !== confirm) { message.classList.add('error'); message.textContent = t('setup.mismatch'); return; }
    try {
      await api.changePassword(current, next);
      form.reset();
      message.textContent = t('password.done');
    } catch (err) {
      message.classList.add('error');
      message.textContent = err.status === 403 ? t('password.wrong') : t('error', { message: err.message });
    }
  });
  return form;
}

// API keys for Subsonic apps: shown only when the server offers them (the OpenSubsonic work).
function apiKeysPanel() {
  const panel = h('section.panel.form', { 'aria-labelledby': 'set-keys', hidden: true });
  const list = h('ul.keys');
  const shown = h('p', { role: 'status' });
  const name = h('input', { id: 'key-name', placeholder: 'Phone', maxLength: 100 });
  const render = async () => {
    const keys = await api.apiKeys().catch(() => null);
    if (!keys) return;
    panel.hidden = false;
    list.replaceChildren(...keys.filter((k) => k.name !== 'Sillon web player').map((k) => h('li', {}, h('span.grow', {}, k.name),
      h('button.btn', { type: 'button', onclick: async () => { await api.deleteApiKey(k.id); render(); } }, t('keys.revoke', { name: k.name })))));
  };
  const create = h('button.btn', { type: 'button', onclick: async () => {
    const created = await api.createApiKey(name.value.trim() || 'API key');
    name.value = '';
    shown.replaceChildren(t('keys.created'), ' ', h('code', {}, created.key));
    render();
  } }, t('keys.create'));
  panel.append(h('h2', { id: 'set-keys' }, t('keys.title')), h('p.muted', {}, t('keys.intro')), list,
    h('label', { for: 'key-name' }, t('keys.name')), name, create, shown);
  render();
  return panel;
}

export { failure, heading };
