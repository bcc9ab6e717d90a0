// What the server knows of the listener's listening: the history page ("Your year", most played,
// recently played), Flow (the endless radio, refilled as the queue nears its end) and the instant
// mix from a track, album or artist. Each suggestion carries the reason the server gave.
import { api } from './api.js';
import { t } from './i18n.js';
import { h, icon, toast } from './ui.js';
import { duration } from './format.js';

/** The minimal track shape the queue keeps (as views.queueTrack). */
const queueTrack = (tr) => ({
  id: tr.id, title: tr.title, artist: tr.artist, artistId: tr.artists?.[0]?.id ?? null, album: tr.album, albumId: tr.albumId,
  duration: tr.duration, coverArt: tr.coverArt, contentType: tr.contentType, bitRate: tr.bitRate,
});

/** The sentence for a reason, in the listener's language (the server's English `text` is the fallback). */
export function reasonText(r) {
  if (!r) return '';
  const key = `flow.reason.${r.kind}`;
  const base = t(key, { name: r.name ?? '', genre: r.genre ?? '' });
  if (base === key) return r.text ?? '';
  return r.new && r.kind !== 'new' ? t('flow.reason.newTo', { reason: base }) : base;
}

// ---- Flow ----------------------------------------------------------------------------------------

/** Reasons by track id, for what Flow or a mix queued: the home page and the queue show them. */
export const reasons = new Map();
const REFILL_AT = 3; // tracks left in the queue when Flow asks for more
let flowStop = null;

/**
 * Plays Flow: the first tracks now, then more whenever the queue is within REFILL_AT tracks of its
 * end, for as long as the track playing is one Flow chose. Playing anything else ends it.
 */
export async function startFlow(player) {
  flowStop?.();
  const first = await api.flow(20);
  if (!first.items.length) { toast(t('flow.empty')); return; }
  const mine = new Set();
  const take = (items) => items.map((i) => { reasons.set(i.track.id, i.reason); mine.add(i.track.id); return queueTrack(i.track); });
  player.playNow(take(first.items));
  let fetching = false;
  const onChange = async () => {
    if (!player.track || !mine.has(player.track.id)) { stop(); return; }
    if (fetching || player.queue.length - player.queue.index - 1 >= REFILL_AT) return;
    fetching = true;
    try {
      const more = await api.flow(20);
      if (flowStop === stop) player.add(take(more.items));
    } catch { /* offline: try again on the next change */ } finally { fetching = false; }
  };
  const stop = () => { player.removeEventListener('change', onChange); if (flowStop === stop) flowStop = null; };
  player.addEventListener('change', onChange);
  flowStop = stop;
  onChange();
}

export const flowPlaying = () => flowStop !== null;

/** An instant mix from a track, album or artist id: a fresh queue of what is near it. */
export async function instantMix(player, id) {
  flowStop?.();
  const mix = await api.flow(30, id);
  if (!mix.items.length) { toast(t('flow.mixEmpty')); return; }
  player.playNow(mix.items.map((i) => { reasons.set(i.track.id, i.reason); return queueTrack(i.track); }));
}

/** The Flow panel of the home page: the button, and why the track playing (and the next ones) were chosen. */
export function flowPanel(ctx) {
  const why = h('ol.flow-next', { 'aria-label': t('flow.why') });
  const button = h('button.btn.primary', { type: 'button', onclick: async () => {
    button.disabled = true;
    try { await startFlow(ctx.player); } catch (e) { toast(t('error', { message: e.message })); } finally { button.disabled = false; }
  } }, icon('play'), t('flow.play'));
  const update = () => {
    const p = ctx.player;
    if (!p || !flowPlaying()) { why.replaceChildren(); return; }
    const upcoming = p.queue.items.slice(p.queue.index, p.queue.index + 4);
    why.replaceChildren(...upcoming.map((e) => h('li', {}, h('span.track-title', {}, e.track.title), ' · ', h('span.muted', {}, e.track.artist), ' — ',
      h('span.flow-reason', {}, reasonText(reasons.get(e.track.id))))));
  };
  const panel = h('section.panel.flow', { 'aria-labelledby': 'flow-title' },
    h('h2', { id: 'flow-title' }, t('flow.title')), h('p.muted', {}, t('flow.intro')), button, why);
  ctx.player?.addEventListener('change', update);
  update();
  return { panel, stop: () => ctx.player?.removeEventListener('change', update) };
}

// ---- history: "Your year" ------------------------------------------------------------------------

/** A month's bar: its height through CSSOM, as the CSP forbids style attributes. */
function bar(fraction) {
  const el = h('span.bar');
  el.style.setProperty('--h', `${Math.round(fraction * 100)}%`);
  return el;
}

const minutes = (n) => t('history.minutes', { n: n.toLocaleString() });

function topList(title, rows, label) {
  return h('section', { 'aria-label': title }, h('h3', {}, title),
    rows.length ? h('ol.top-list', {}, rows.map((r) => h('li', {}, label(r), ' ', h('span.muted', {}, t('history.plays', { n: r.plays })))))
      : h('p.empty', {}, t('history.none')));
}

const trackLabel = (ctx, tracks, i) => h('button.link', { type: 'button', onclick: () => ctx.player.playNow(tracks, i) },
  tracks[i].title, h('span.muted', {}, ` · ${tracks[i].artist}`));

export async function historyPage(main, params, ctx) {
  const thisYear = new Date().getUTCFullYear();
  const year = Number(params.get('year')) || thisYear;
  const period = ['week', 'month', 'year', 'all'].includes(params.get('period')) ? params.get('period') : 'month';
  const scope = params.get('scope') === 'server' ? 'server' : 'user';
  const [recap, topTracks, topAlbums, topArtists, recent] = await Promise.all([
    api.recap(year), api.top('tracks', period, scope), api.top('albums', period, scope), api.top('artists', period, scope), api.recentPlays(20)]);

  const nav = (y) => h('a.btn.ghost', { href: `#/history?year=${y}&period=${period}&scope=${scope}` }, String(y));
  const recapTracks = recap.topTracks.map((r) => queueTrack(r.track));
  const stats = [
    [t('history.minutesLabel'), minutes(recap.minutes)], [t('history.playsLabel'), recap.plays.toLocaleString()],
    [t('history.tracksLabel'), recap.distinctTracks.toLocaleString()], [t('history.artistsLabel'), recap.distinctArtists.toLocaleString()],
    [t('history.busiest'), recap.busiestMonth ? new Date(Date.UTC(year, recap.busiestMonth.month - 1, 1)).toLocaleString(document.documentElement.lang, { month: 'long', timeZone: 'UTC' }) : '—'],
  ];
  const maxMonth = Math.max(1, ...recap.months.map((m) => m.plays));
  const yearSection = h('section.panel.recap', { 'aria-labelledby': 'recap-title' },
    h('div.recap-head', {}, h('h2', { id: 'recap-title' }, t('history.year', { year })), h('nav.recap-years', { 'aria-label': t('history.years') }, nav(year - 1), year < thisYear ? nav(year + 1) : null)),
    h('dl.recap-stats', {}, stats.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    h('ol.recap-months', { 'aria-label': t('history.byMonth') }, recap.months.map((m) => h('li', {
      title: `${m.month}: ${t('history.plays', { n: m.plays })}`, 'aria-label': `${m.month}: ${t('history.plays', { n: m.plays })}`,
    }, bar(m.plays / maxMonth)))),
    h('div.recap-tops', {},
      topList(t('history.topArtists'), recap.topArtists, (r) => h('a', { href: `#/artist/${r.artist.id}` }, r.artist.name)),
      topList(t('history.topAlbums'), recap.topAlbums, (r) => h('a', { href: `#/album/${r.album.id}` }, r.album.name)),
      topList(t('history.topTracks'), recap.topTracks, (r) => trackLabel(ctx, recapTracks, recap.topTracks.indexOf(r)))));

  const select = (id, value, options, key) => {
    const el = h('select', { id, onchange: () => { location.hash = `#/history?year=${year}&period=${periodSel.value}&scope=${scopeSel.value}`; } },
      options.map((o) => h('option', { value: o, selected: o === value }, t(`${key}.${o}`))));
    return el;
  };
  const periodSel = select('history-period', period, ['week', 'month', 'year', 'all'], 'history.period');
  const scopeSel = select('history-scope', scope, ['user', 'server'], 'history.scope');
  const mostTracks = topTracks.map((r) => queueTrack(r.track));
  const most = h('section.panel', { 'aria-labelledby': 'most-title' },
    h('h2', { id: 'most-title' }, t('history.most')),
    h('div.actions', {}, h('label', { for: 'history-period' }, t('history.periodLabel')), periodSel, h('label', { for: 'history-scope' }, t('history.scopeLabel')), scopeSel),
    h('div.recap-tops', {},
      topList(t('history.topArtists'), topArtists, (r) => h('a', { href: `#/artist/${r.artist.id}` }, r.artist.name)),
      topList(t('history.topAlbums'), topAlbums, (r) => h('a', { href: `#/album/${r.album.id}` }, r.album.name)),
      topList(t('history.topTracks'), topTracks, (r) => trackLabel(ctx, mostTracks, topTracks.indexOf(r)))));

  const recentTracks = recent.map((e) => queueTrack(e.track));
  const recentSection = h('section.panel', { 'aria-labelledby': 'recent-title' }, h('h2', { id: 'recent-title' }, t('history.recent')),
    recent.length ? h('ol.tracks', { 'aria-label': t('history.recent') }, recent.map((e, i) => h('li.track', {},
      h('button.track-main', { type: 'button', onclick: () => ctx.player.playNow(recentTracks, i), 'aria-label': `${t('album.play')}: ${e.track.title}` },
        h('span.track-text', {}, h('span.track-title', {}, e.track.title), h('span.track-artist', {}, [e.track.artist, e.track.album].filter(Boolean).join(' · ')))),
      h('span.dur', {}, duration(e.msPlayed / 1000)),
      h('time.muted', { dateTime: e.playedAt }, new Date(e.playedAt).toLocaleString(document.documentElement.lang)))))
      : h('p.empty', {}, t('history.none')));

  const h1 = h('h1', { tabIndex: -1 }, t('history.title'));
  main.replaceChildren(h('header.page-head', {}, h1), yearSection, most, recentSection);
}
