// What a listener makes, kept on the server through the OpenSubsonic API (the `subsonic` seam):
// favourites (star/unstar, getStarred2), playlists, the play queue shared between devices
// (savePlayQueue/getPlayQueue) and plays ("now playing" by scrobble, the play itself to /api/v1/me/plays).
import { api, session, subsonic } from './api.js';

/** A Subsonic song as the queue keeps it (the same shape as views.queueTrack). */
export const songTrack = (s) => ({
  id: s.id, title: s.title, artist: s.artist ?? '', artistId: s.artistId ?? null, album: s.album ?? '', albumId: s.albumId ?? null,
  duration: s.duration ?? 0, coverArt: s.albumId ?? null, contentType: s.contentType, bitRate: s.bitRate,
});

const call = async (method, params) => {
  if (!(await subsonic.available())) throw new Error('the OpenSubsonic API is not available');
  return subsonic.call(method, params);
};

// ---- favourites ---------------------------------------------------------------------------------

/** The starred ids of artists, albums and tracks, loaded once per session; 'change' on every toggle. */
class Favourites extends EventTarget {
  ids = new Set();
  #loaded = null;
  #saving = new Set(); // ids whose saves are out
  load() {
    this.#loaded ??= call('getStarred2').then((r) => {
      const s = r.starred2 ?? {};
      const ids = new Set([...(s.artist ?? []), ...(s.album ?? []), ...(s.song ?? [])].map((x) => x.id));
      // An id whose save is still out keeps the listener's wish: the server answered before it.
      for (const id of this.#saving) if (this.ids.has(id)) ids.add(id); else ids.delete(id);
      this.ids = ids;
      this.dispatchEvent(new Event('change'));
      return s;
    }).catch(() => { this.#loaded = null; return {}; });
    return this.#loaded;
  }
  /** Fresh lists for the favourites page (and the set of ids refreshed with them). */
  async list() { this.#loaded = null; return this.load(); }
  has(id) { return this.ids.has(id); }
  /**
   * Stars or unstars the id at once (every heart for it repaints) and saves in the background, one
   * call at a time per id: a click made while a save is out is sent after it, and only if the
   * listener's wish then differs from what the server holds (two quick clicks: a star, then an
   * unstar, in that order). If the server refuses, the id goes back to what the server holds.
   * Returns the new state, and the saves when this click started them (null when it joined saves
   * already out), which reject with the server's refusal.
   */
  toggle(id) {
    const on = !this.ids.has(id);
    this.#set(id, on);
    if (this.#saving.has(id)) return { on, saved: null };
    this.#saving.add(id);
    const saved = (async () => {
      let held = !on;
      try {
        while (this.ids.has(id) !== held) {
          const wish = this.ids.has(id);
          await call(wish ? 'star' : 'unstar', { id });
          held = wish;
        }
      } catch (err) {
        this.#set(id, held);
        throw err;
      } finally {
        this.#saving.delete(id);
      }
    })();
    return { on, saved };
  }
  #set(id, on) {
    if (on) this.ids.add(id); else this.ids.delete(id);
    this.dispatchEvent(new Event('change'));
  }
  reset() { this.ids = new Set(); this.#loaded = null; }
}
export const favourites = new Favourites();

// ---- ratings ------------------------------------------------------------------------------------

/** 0 (none) to 5 stars on a track, album or artist. */
export const setRating = (id, rating) => call('setRating', { id, rating });

/** The listener's ratings of an album and of its tracks (getAlbum), or null without the API. */
export async function albumRatings(id) {
  try {
    const album = (await call('getAlbum', { id })).album;
    return { album: album.userRating ?? 0, tracks: new Map((album.song ?? []).map((s) => [s.id, s.userRating ?? 0])) };
  } catch { return null; }
}

// ---- playlists ----------------------------------------------------------------------------------

export const playlists = {
  async all() { return (await call('getPlaylists')).playlists?.playlist ?? []; },
  async get(id) { return (await call('getPlaylist', { id })).playlist; },
  async create(name, songIds = []) { return (await call('createPlaylist', { name, songId: songIds })).playlist; },
  rename: (id, name) => call('updatePlaylist', { playlistId: id, name }),
  add: (id, songIds) => call('updatePlaylist', { playlistId: id, songIdToAdd: songIds }),
  removeAt: (id, index) => call('updatePlaylist', { playlistId: id, songIndexToRemove: index }),
  /** A new order (or any new content): createPlaylist with playlistId replaces the tracks. */
  setTracks: (id, songIds) => call('createPlaylist', { playlistId: id, songId: songIds }),
  remove: (id) => call('deletePlaylist', { id }),
};

/** Move one item of an array (a pure helper, unit-tested). */
export function moved(array, from, to) {
  const a = array.slice();
  const [x] = a.splice(from, 1);
  a.splice(to, 0, x);
  return a;
}

// ---- the play queue, resumable on another device ------------------------------------------------

/**
 * Saves the queue (debounced) whenever it changes, and at start, when this browser's queue is empty,
 * takes the one saved by another device. Returns a function that stops it.
 */
export function syncPlayQueue(player, { delay = 1500 } = {}) {
  let timer = 0, shown = player.version, wasPlaying = !!player.playing, stopped = false;
  const params = () => {
    const q = player.queue;
    return { id: q.items.map((e) => e.track.id), current: q.current?.id, position: Math.floor(player.currentTime * 1000) };
  };
  const save = () => { call('savePlayQueue', params()).catch(() => {}); };
  const onChange = () => {
    // Media events also say 'change': save when the queue changed, or when playback stopped (the
    // position to resume from), not on every volume or buffering event.
    const playing = !!player.playing;
    const stoppedPlaying = wasPlaying && !playing;
    wasPlaying = playing;
    if (player.version === shown && !stoppedPlaying) return;
    shown = player.version;
    clearTimeout(timer);
    timer = setTimeout(save, delay);
  };
  player.addEventListener('change', onChange);
  // Leaving the page while playing: one last save that outlives it (sendBeacon posts the same form).
  const onHide = () => {
    const key = subsonic.credential?.key;
    if (!key || !player.queue.length || typeof navigator === 'undefined' || !navigator.sendBeacon) return;
    const { id, current, position } = params();
    const form = new URLSearchParams({ apiKey: key, c: 'sillon-web', v: '1.16.1', f: 'json', current, position });
    for (const x of id) form.append('id', x);
    navigator.sendBeacon('/rest/savePlayQueue.view', form);
  };
  if (typeof window !== 'undefined') window.addEventListener('pagehide', onHide);
  (async () => {
    if (player.queue.length) return;
    try {
      const saved = (await call('getPlayQueue')).playQueue;
      const entries = saved?.entry ?? [];
      if (stopped || !entries.length || player.queue.length) return;
      const start = Math.max(0, entries.findIndex((s) => s.id === saved.current));
      player.restore(entries.map(songTrack), start, (saved.position ?? 0) / 1000);
      shown = player.version;
    } catch { /* no Subsonic API: the local queue is all there is */ }
  })();
  return () => {
    stopped = true; clearTimeout(timer); player.removeEventListener('change', onChange);
    if (typeof window !== 'undefined') window.removeEventListener('pagehide', onHide);
  };
}

// ---- plays --------------------------------------------------------------------------------------

/**
 * Plays waiting to reach the server, kept in localStorage: a play made while the network is down
 * (a train, a lift) or cut off by the page closing is sent later — at the next start, when the
 * browser is back online, and every 30 s while any wait. The server counts a play reported twice
 * (same track, same start) once, so sending again is always safe, from any tab. A refusal that no
 * retry can change (a track deleted meanwhile: 404, a bad report: 400) drops the play. Each play
 * remembers whose it is and waits, on a shared browser, until that listener is logged in. At most
 * `max` wait; past that the oldest go.
 */
export function playOutbox({
  send = (play) => api.reportPlay(play), who = () => session.user?.username ?? null,
  storage = globalThis.localStorage, key = 'sillon.pendingPlays', max = 500, retryMs = 30000,
} = {}) {
  const read = () => { try { const v = JSON.parse(storage?.getItem(key) ?? '[]'); return Array.isArray(v) ? v : []; } catch { return []; } };
  const write = (plays) => { try { storage?.setItem(key, JSON.stringify(plays)); } catch { /* storage full: the play waits in memory only */ } };
  const same = (a, b) => a.user === b.user && a.trackId === b.trackId && a.startedAt === b.startedAt;
  const final = (e) => typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && ![401, 403, 408, 429].includes(e.status);
  let memory = read(), busy = null, timer = null;
  const pending = () => (storage ? read() : memory);
  const keep = (plays) => { memory = plays; write(plays); };
  async function drain() {
    for (;;) {
      const me = who();
      const play = me === null ? undefined : pending().find((p) => p.user === me);
      if (!play) return;
      const { user: _, ...report } = play;
      try { await send(report); } catch (e) {
        if (!final(e)) { if (!timer) timer = setTimeout(() => { timer = null; flush(); }, retryMs); return; }
      }
      keep(pending().filter((p) => !same(p, play)));
    }
  }
  function flush() {
    busy ??= drain().finally(() => { busy = null; });
    return busy;
  }
  function add(report) {
    const play = { ...report, user: who() };
    const plays = pending().filter((p) => !same(p, play));
    plays.push(play);
    keep(plays.slice(-max));
    return flush();
  }
  // Back online, or a listener logged in (their plays may be waiting): try now.
  const online = () => flush();
  if (typeof window !== 'undefined') window.addEventListener('online', online);
  const unwatch = session.onChange?.(online);
  flush();
  return {
    add, flush, pending,
    stop() { clearTimeout(timer); unwatch?.(); if (typeof window !== 'undefined') window.removeEventListener('online', online); },
  };
}

// One outbox per page, made when the first play is reported (it then sends what a previous visit left).
let plays = null;
const outbox = () => (plays ??= playOutbox());

/** When a play counts: half the track or 4 minutes, whichever comes first (the Last.fm rule). */
export const scrobblePoint = (duration) => Math.min(240, (duration || 0) / 2);

/**
 * "Now playing" (a Subsonic scrobble with submission=false) when a track starts. When the listener
 * leaves it (the next track, the end of the queue, another queue, the page closed) the play is
 * reported once to POST /api/v1/me/plays with the time actually heard (seeking ahead does not
 * count), through the outbox of plays so that none is lost offline; the server decides whether it
 * counted (scrobblePoint) or was a skip.
 */
export function scrobbler(player, { report } = {}) {
  // The outbox starts with the player: plays a previous visit could not send go now.
  report ??= outbox().add;
  let key = null, track = null, startedAt = 0, heard = 0, last = null;
  const finish = () => {
    if (track && heard > 0) {
      Promise.resolve(report({ trackId: track.id, startedAt: new Date(startedAt).toISOString(), msPlayed: Math.round(heard * 1000), client: 'sillon-web' }))
        .catch(() => {});
    }
    track = null; heard = 0; last = null;
  };
  const follow = () => {
    if (player.queue.currentKey === key) return;
    finish();
    key = player.queue.currentKey;
    track = player.track;
    startedAt = Date.now();
    if (track) call('scrobble', { id: track.id, submission: false }).catch(() => {});
  };
  const onTime = () => {
    follow();
    if (!track) return;
    const now = player.currentTime;
    if (last !== null && now > last && now - last < 2) heard += now - last;
    last = now;
  };
  // The queue's last track ended (the key stays), or the queue changed under the playing track.
  const onChange = () => { if (player.audio?.ended) { finish(); key = null; } else follow(); };
  const onHide = () => finish();
  player.addEventListener('time', onTime);
  player.addEventListener('change', onChange);
  if (typeof window !== 'undefined') window.addEventListener('pagehide', onHide);
  return () => {
    player.removeEventListener('time', onTime);
    player.removeEventListener('change', onChange);
    if (typeof window !== 'undefined') window.removeEventListener('pagehide', onHide);
  };
}
