// Live scan status for the admin page: Server-Sent Events from /api/v1/scan/events, polling
// /api/v1/scan when EventSource is missing or keeps failing.
//
// EventSource cannot send the bearer token, so each connection first asks for a ticket (single
// use, 30 s) and puts that in the URL — never the token itself. A ticket cannot be reused, so the
// browser's own reconnection would be refused: on any error the feed closes the stream and opens a
// new one with a new ticket, backing off; after `retries` failures in a row it polls instead.

/** The status after one event: "status" replaces, "progress" updates a running scan, "summary" ends it. */
export function applyScanEvent(status, name, data) {
  if (name === 'status') return data;
  const base = status ?? { scanning: false, tracks: 0, albums: 0, artists: 0, lastScan: null };
  if (name === 'progress') {
    return { ...base, scanning: true, phase: data.phase, filesFound: data.filesFound, filesProcessed: data.filesProcessed,
      filesPerSecond: data.filesPerSecond, etaSeconds: data.etaSeconds };
  }
  if (name === 'summary') {
    return { ...base, scanning: false, phase: null, etaSeconds: null, lastScan: data,
      tracks: data.tracks, albums: data.albums, artists: data.artists };
  }
  return base;
}

export const SCAN_EVENTS = ['status', 'progress', 'summary'];

/**
 * Starts the feed; `onStatus(status, eventName)` gets every new status, `onMode('live' | 'polling')`
 * says which transport is in use. Returns { stop() }.
 */
export function scanFeed({ ticket, poll, onStatus, onMode = () => {}, EventSourceImpl = globalThis.EventSource,
  retries = 3, timers = globalThis, url = '/api/v1/scan/events' }) {
  let status = null, source = null, timer = 0, failures = 0, stopped = false;

  const update = (name, data) => {
    status = applyScanEvent(status, name, data);
    onStatus(status, name);
  };

  async function connect() {
    if (stopped) return;
    if (typeof EventSourceImpl !== 'function') { startPolling(); return; }
    let t;
    try { t = await ticket(); } catch { failed(); return; }
    if (stopped) return;
    source = new EventSourceImpl(`${url}?ticket=${encodeURIComponent(t.ticket)}`);
    for (const name of SCAN_EVENTS) {
      source.addEventListener(name, (e) => {
        failures = 0;
        let data;
        try { data = JSON.parse(e.data); } catch { return; }
        update(name, data);
      });
    }
    source.onopen = () => onMode('live');
    source.onerror = () => {
      source?.close();
      source = null;
      failed();
    };
  }

  function failed() {
    if (stopped) return;
    failures += 1;
    if (failures > retries) startPolling();
    else timer = timers.setTimeout(connect, 500 * 2 ** (failures - 1));
  }

  async function pollOnce() {
    if (stopped) return;
    try {
      const s = await poll();
      if (stopped) return;
      status = s;
      onStatus(status, 'status');
      timer = timers.setTimeout(pollOnce, s.scanning ? 400 : 3000);
    } catch {
      timer = timers.setTimeout(pollOnce, 3000);
    }
  }

  function startPolling() {
    onMode('polling');
    pollOnce();
  }

  connect();
  return {
    stop() {
      stopped = true;
      source?.close();
      timers.clearTimeout(timer);
    },
  };
}
