// The one place that talks to the server. Views call these functions, never fetch() directly.
//
// Two back ends sit behind it:
//  - Sillon's REST API (/api/v1, bearer token): everything that exists today;
//  - the OpenSubsonic API (/rest/*.view?f=json) for what is being built there (search3,
//    playlists, star/unstar, savePlayQueue/getPlayQueue, getLyricsBySongId). `subsonic.call`
//    is the seam: once /rest answers, a feature switches to it by calling
//    `subsonic.call('search3', {query})`; `subsonic.available()` tells whether it is there.
//    Its credential is an OpenSubsonic API key that this browser creates for itself after log-in
//    (POST /api/v1/me/apikeys, where the server offers it) and deletes at log-out.

const TOKEN_KEY = 'sillon.token';
const USER_KEY = 'sillon.user';
const API_KEY = 'sillon.apiKey';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let token = localStorage.getItem(TOKEN_KEY);
let endedBecause = null;
let user = JSON.parse(localStorage.getItem(USER_KEY) || 'null');
const listeners = new Set();

export const session = {
  get token() { return token; },
  get user() { return user; },
  get loggedIn() { return !!token; },
  /** Why the last session ended from the server side: 'disabled', or null. */
  get endedBecause() { return endedBecause; },
  onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); },
};

function setSession(login) {
  token = login?.token ?? null;
  user = login ? { username: login.username, isAdmin: login.isAdmin } : null;
  if (token) {
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(USER_KEY, JSON.stringify(user));
  } else {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(USER_KEY);
  }
  for (const fn of listeners) fn(user);
}

async function request(method, path, body, { anonymous = false, keepalive = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token && !anonymous) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
  if (keepalive) init.keepalive = true; // outlives the page (a play reported as the tab closes)
  const response = await fetch(path, init);
  if (response.status === 401 && !anonymous) {
    // A disabled account's session says so: the login page tells the listener why they are out.
    try { endedBecause = (await response.json())?.title === 'Account disabled' ? 'disabled' : null; } catch { endedBecause = null; }
    setSession(null);
    throw new ApiError(401, 'unauthorized');
  }
  if (!response.ok) {
    let message = response.statusText;
    try {
      const problem = await response.json();
      message = typeof problem === 'string' ? problem : problem.detail || problem.title || message;
    } catch { /* not JSON */ }
    throw new ApiError(response.status, message);
  }
  if (response.status === 204 || response.status === 202 && !response.headers.get('content-type')) return null;
  return response.json();
}

const get = (path) => request('GET', path);
const qs = (params) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

export const api = {
  async login(username, password) {
    setSession(await request('POST', '/api/v1/auth/login', { username, password }, { anonymous: true }));
    return user;
  },
  async logout() {
    await subsonic.forget();
    try { await request('POST', '/api/v1/auth/logout'); } catch { /* already gone */ }
    setSession(null);
  },
  /** True while the server has no account: the first visitor creates the administrator. */
  async setupNeeded() {
    return (await request('GET', '/api/v1/setup', undefined, { anonymous: true })).needed;
  },
  async setup(username, password) {
    setSession(await request('POST', '/api/v1/setup', { username, password }, { anonymous: true }));
    return user;
  },
  me: () => get('/api/v1/me'),
  async changePassword(currentPassword, newPassword) {
    // The server ends every session on a password change and hands back a new one.
    const login = await request('POST', '/api/v1/me/password', { currentPassword, newPassword });
    token = login.token;
    localStorage.setItem(TOKEN_KEY, token);
  },
  /** API keys for Subsonic apps (where the server offers them): null when it does not. */
  async apiKeys() {
    try { return await get('/api/v1/me/apikeys'); } catch (e) { if (e.status === 404 || e.status === 405) return null; throw e; }
  },
  createApiKey: (name) => request('POST', '/api/v1/me/apikeys', { name }),
  deleteApiKey: (id) => request('DELETE', `/api/v1/me/apikeys/${id}`),
  scrobbling: () => get('/api/v1/me/scrobbling'),
  linkListenBrainz: (token) => request('PUT', '/api/v1/me/scrobbling/listenbrainz', { token }),
  unlinkScrobbling: (service) => request('DELETE', `/api/v1/me/scrobbling/${service}`),
  startLastFm: () => request('POST', '/api/v1/me/scrobbling/lastfm/start'),
  finishLastFm: () => request('POST', '/api/v1/me/scrobbling/lastfm/finish'),
  podcasts: () => get('/api/v1/podcasts'),
  podcast: (id) => get(`/api/v1/podcasts/${encodeURIComponent(id)}`),
  subscribePodcast: (url) => request('POST', '/api/v1/podcasts', { url }),
  refreshPodcast: (id) => request('POST', `/api/v1/podcasts/${encodeURIComponent(id)}/refresh`),
  deletePodcast: (id) => request('DELETE', `/api/v1/podcasts/${encodeURIComponent(id)}`),
  downloadEpisode: (id) => request('POST', `/api/v1/podcasts/episodes/${encodeURIComponent(id)}/download`),
  deleteEpisode: (id) => request('DELETE', `/api/v1/podcasts/episodes/${encodeURIComponent(id)}`),
  saveEpisodePosition: (id, positionMs) => request('PUT', `/api/v1/podcasts/episodes/${encodeURIComponent(id)}/position`, { positionMs }),
  artists: (offset = 0, limit = 100) => get(`/api/v1/artists${qs({ offset, limit })}`),
  artist: (id) => get(`/api/v1/artists/${encodeURIComponent(id)}`),
  albums: (offset = 0, limit = 100, sort = 'name') => get(`/api/v1/albums${qs({ offset, limit, sort })}`),
  album: (id) => get(`/api/v1/albums/${encodeURIComponent(id)}`),
  tracks: (offset = 0, limit = 100) => get(`/api/v1/tracks${qs({ offset, limit })}`),
  track: (id) => get(`/api/v1/tracks/${encodeURIComponent(id)}`),
  scanStatus: () => get('/api/v1/scan'),
  // Listening: the play just left ({trackId, startedAt, msPlayed, client}), history, most played, the year, Flow.
  reportPlay: (play) => request('POST', '/api/v1/me/plays', play, { keepalive: true }),
  recentPlays: (limit = 50) => get(`/api/v1/me/plays${qs({ limit })}`),
  top: (kind, period = 'month', scope = 'user', limit = 10) => get(`/api/v1/me/top/${kind}${qs({ period, scope, limit })}`),
  recap: (year) => get(`/api/v1/me/recap/${encodeURIComponent(year)}`),
  flow: (count = 20, from = undefined, seed = undefined) => get(`/api/v1/me/flow${qs({ count, from, seed })}`),
  startScan: (full = false) => request('POST', `/api/v1/scan${qs({ full: full || undefined })}`),
  system: () => get('/api/v1/system'),
  // Administration: accounts, music folders, the ticket that opens the scan event stream.
  users: () => get('/api/v1/users'),
  updateUser: (name, patch) => request('PATCH', `/api/v1/users/${encodeURIComponent(name)}`, patch),
  libraryFolders: () => get('/api/v1/library/folders'),
  addLibraryFolder: (path) => request('POST', '/api/v1/library/folders', { path }),
  removeLibraryFolder: (id) => request('DELETE', `/api/v1/library/folders/${encodeURIComponent(id)}`),
  scanTicket: () => request('POST', '/api/v1/scan/events/ticket'),
  // Playlists with their kind (smart, imported); smart playlist rules, preview and saving.
  playlists: () => get('/api/v1/playlists'),
  playlist: (id) => get(`/api/v1/playlists/${encodeURIComponent(id)}`),
  smartFields: () => get('/api/v1/playlists/smart/fields'),
  smartPreview: (rules) => request('POST', '/api/v1/playlists/smart/preview', rules),
  createSmart: (body) => request('POST', '/api/v1/playlists/smart', body),
  updateSmart: (id, body) => request('PUT', `/api/v1/playlists/smart/${encodeURIComponent(id)}`, body),

  // <audio> and <img> cannot send a header: media URLs carry the token as access_token, which the
  // server accepts on these two endpoints only (see docs/architecture.md).
  streamUrl(trackId, params = {}) {
    return `/api/v1/tracks/${encodeURIComponent(trackId)}/stream${qs({ ...params, client: 'sillon-web', access_token: token })}`;
  },
  episodeUrl(episodeId) {
    return `/api/v1/podcasts/episodes/${encodeURIComponent(episodeId)}/stream${qs({ access_token: token })}`;
  },
  coverUrl(albumId, size) {
    return albumId ? `/api/v1/albums/${encodeURIComponent(albumId)}/cover${qs({ size, access_token: token })}` : null;
  },
};

// ---- OpenSubsonic seam -------------------------------------------------------------------------

let subsonicProbe = null;

export const subsonic = {
  /** This browser's OpenSubsonic API key ({id, key}), or null. */
  get credential() { return JSON.parse(localStorage.getItem(API_KEY) || 'null'); },
  /** Whether /rest answers for us (memoised): features fall back to /api/v1 until it does. */
  available() {
    subsonicProbe ??= (async () => {
      try {
        if (!this.credential) {
          const created = await request('POST', '/api/v1/me/apikeys', { name: 'Sillon web player' });
          localStorage.setItem(API_KEY, JSON.stringify({ id: created.id, key: created.key }));
        }
        await this.call('ping');
        return true;
      } catch {
        return false; // no Subsonic API on this server (yet)
      }
    })();
    return subsonicProbe;
  },
  async call(method, params = {}) {
    const key = this.credential?.key;
    if (!key) throw new ApiError(0, 'no Subsonic credentials');
    // POST with a form body (OpenSubsonic formPost): the key stays out of URLs and logs, and long
    // lists (a playlist's songId, a play queue's id) repeat a field instead of overflowing a URL.
    const body = new URLSearchParams({ apiKey: key, c: 'sillon-web', v: '1.16.1', f: 'json' });
    for (const [k, v] of Object.entries(params)) {
      for (const x of Array.isArray(v) ? v : [v]) if (x !== undefined && x !== null && x !== '') body.append(k, String(x));
    }
    const response = await fetch(`/rest/${method}.view`, { method: 'POST', body });
    if (!response.ok) throw new ApiError(response.status, response.statusText);
    const answer = (await response.json())['subsonic-response'];
    if (!answer || answer.status !== 'ok') throw new ApiError(answer?.error?.code ?? 0, answer?.error?.message ?? 'Subsonic error');
    return answer;
  },
  /** At log-out: revoke this browser's key on the server and forget it. */
  async forget() {
    const id = this.credential?.id;
    localStorage.removeItem(API_KEY);
    subsonicProbe = null;
    if (id !== undefined) { try { await request('DELETE', `/api/v1/me/apikeys/${id}`); } catch { /* already gone */ } }
  },
};
