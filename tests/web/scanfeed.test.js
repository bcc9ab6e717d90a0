import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyScanEvent, scanFeed } from '../../src/Sillon/Web/app/js/scanfeed.js';

const idle = { scanning: false, phase: null, filesFound: 0, filesProcessed: 0, filesPerSecond: 0, etaSeconds: null, tracks: 10, albums: 2, artists: 1, lastScan: null };

test('events fold into the status the admin page shows', () => {
  let s = applyScanEvent(null, 'status', idle);
  assert.deepEqual(s, idle);
  s = applyScanEvent(s, 'progress', { phase: 'reading', fullScan: false, filesFound: 600, filesProcessed: 150, filesPerSecond: 75, etaSeconds: 6 });
  assert.equal(s.scanning, true);
  assert.equal(s.phase, 'reading');
  assert.equal(s.filesProcessed, 150);
  assert.equal(s.etaSeconds, 6);
  assert.equal(s.tracks, 10, 'the totals stay until the summary');
  const summary = { status: 'completed', added: 600, updated: 0, removed: 0, unchanged: 10, seconds: 8, tracks: 610, albums: 14, artists: 3 };
  s = applyScanEvent(s, 'summary', summary);
  assert.equal(s.scanning, false);
  assert.equal(s.lastScan, summary);
  assert.deepEqual([s.tracks, s.albums, s.artists], [610, 14, 3]);
  // A progress event before any status still gives a usable status.
  assert.equal(applyScanEvent(null, 'progress', { phase: 'walking', filesFound: 3, filesProcessed: 0, filesPerSecond: 0, etaSeconds: null }).scanning, true);
});

/** A stand-in EventSource the test drives, and a clock that runs timers on demand. */
function harness() {
  const sources = [];
  class FakeEventSource {
    constructor(url) { this.url = url; this.listeners = {}; this.closed = false; sources.push(this); }
    addEventListener(name, fn) { (this.listeners[name] ??= []).push(fn); }
    emit(name, data) { for (const fn of this.listeners[name] ?? []) fn({ data: JSON.stringify(data) }); }
    close() { this.closed = true; }
  }
  const pending = [];
  const timers = {
    setTimeout: (fn, ms) => { pending.push({ fn, ms }); return pending.length; },
    clearTimeout: () => { pending.length = 0; },
  };
  const runTimers = async () => { const due = pending.splice(0); for (const p of due) await p.fn(); await tick(); };
  return { sources, FakeEventSource, timers, pending, runTimers };
}
const tick = () => new Promise((r) => setImmediate(r));

test('each connection uses a fresh ticket, never the token, and reconnects after an error', async () => {
  const { sources, FakeEventSource, timers, runTimers } = harness();
  let n = 0;
  const seen = [], modes = [];
  const feed = scanFeed({ ticket: async () => ({ ticket: `t${++n}` }), poll: async () => { throw new Error('no polling expected'); },
    onStatus: (s, name) => seen.push([name, s.scanning]), onMode: (m) => modes.push(m), EventSourceImpl: FakeEventSource, timers });
  await tick();
  assert.equal(sources.length, 1);
  assert.equal(sources[0].url, '/api/v1/scan/events?ticket=t1');
  sources[0].onopen();
  sources[0].emit('status', idle);
  sources[0].emit('progress', { phase: 'reading', filesFound: 4, filesProcessed: 1, filesPerSecond: 2, etaSeconds: 1.5 });
  assert.deepEqual(seen, [['status', false], ['progress', true]]);
  assert.deepEqual(modes, ['live']);

  sources[0].onerror();
  assert.equal(sources[0].closed, true, 'the browser must not retry with the spent ticket');
  await runTimers();
  assert.equal(sources.length, 2);
  assert.equal(sources[1].url, '/api/v1/scan/events?ticket=t2');
  sources[1].emit('summary', { status: 'completed', tracks: 4, albums: 1, artists: 1 });
  assert.deepEqual(seen.at(-1), ['summary', false]);
  feed.stop();
  assert.equal(sources[1].closed, true);
});

test('after repeated failures, or without EventSource, the page polls instead', async () => {
  const { sources, FakeEventSource, timers, runTimers } = harness();
  let polls = 0;
  const modes = [];
  const feed = scanFeed({ ticket: async () => ({ ticket: 'x' }), poll: async () => { polls++; return idle; },
    onStatus: () => {}, onMode: (m) => modes.push(m), EventSourceImpl: FakeEventSource, timers, retries: 2 });
  await tick();
  for (let i = 0; i < 3; i++) {
    sources.at(-1).onerror();
    if (i < 2) await runTimers();
  }
  await tick();
  assert.equal(sources.length, 3);
  assert.deepEqual(modes, ['polling']);
  assert.equal(polls, 1);
  feed.stop();

  let polled = 0;
  const fallback = scanFeed({ ticket: async () => { throw new Error('unused'); }, poll: async () => { polled++; return idle; },
    onStatus: () => {}, EventSourceImpl: undefined, timers });
  await tick();
  assert.equal(polled, 1);
  fallback.stop();
});

test('a ticket that cannot be had counts as a failure, and stop() ends everything', async () => {
  const { sources, FakeEventSource, timers, pending } = harness();
  const feed = scanFeed({ ticket: async () => { throw new Error('403'); }, poll: async () => idle,
    onStatus: () => {}, EventSourceImpl: FakeEventSource, timers });
  await tick();
  assert.equal(sources.length, 0);
  assert.equal(pending.length, 1, 'a retry is scheduled');
  feed.stop();
  assert.equal(pending.length, 0);
});
