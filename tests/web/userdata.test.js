import { test } from 'node:test';
import assert from 'node:assert/strict';

// api.js reads localStorage when loaded and the seam calls fetch: both are stubbed here, and the
// stub records every OpenSubsonic call (method and form fields).
const store = new Map([['sillon.token', 't'], ['sillon.apiKey', JSON.stringify({ id: 1, key: 'k' })]]);
globalThis.localStorage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, String(v)), removeItem: (k) => store.delete(k) };
const calls = [];
let savedQueue = null;
globalThis.fetch = async (url, init) => {
  const method = String(url).match(/\/rest\/(\w+)\.view/)?.[1];
  const form = new URLSearchParams(init?.body ?? '');
  calls.push({ method, form });
  const body = { status: 'ok' };
  if (method === 'getPlayQueue') body.playQueue = savedQueue ?? {};
  return { ok: true, status: 200, json: async () => ({ 'subsonic-response': body }) };
};
const { moved, scrobblePoint, songTrack, scrobbler, syncPlayQueue, playOutbox } = await import('../../src/Sillon/Web/app/js/userdata.js');
const tick = () => new Promise((r) => setTimeout(r, 0));

test('moved: one item to a new place, the array itself untouched', () => {
  const a = ['a', 'b', 'c', 'd'];
  assert.deepEqual(moved(a, 3, 1), ['a', 'd', 'b', 'c']);
  assert.deepEqual(moved(a, 0, 3), ['b', 'c', 'd', 'a']);
  assert.deepEqual(a, ['a', 'b', 'c', 'd']);
});

test('a play counts at half the track, or at 4 minutes for long ones', () => {
  assert.equal(scrobblePoint(100), 50);
  assert.equal(scrobblePoint(3600), 240);
  assert.equal(scrobblePoint(0), 0);
});

test('a Subsonic song becomes a queue track (the album id is the cover)', () => {
  assert.deepEqual(songTrack({ id: 'tr-1', title: 'T', artist: 'A', artistId: 'ar-1', album: 'B', albumId: 'al-2', duration: 3, contentType: 'audio/mpeg', bitRate: 128 }),
    { id: 'tr-1', title: 'T', artist: 'A', artistId: 'ar-1', album: 'B', albumId: 'al-2', duration: 3, coverArt: 'al-2', contentType: 'audio/mpeg', bitRate: 128 });
});

/** The part of Player that the scrobbler and the queue sync use. */
class FakePlayer extends EventTarget {
  constructor(items = []) {
    super();
    this.version = 0;
    this.currentTime = 0;
    this.duration = 10;
    this.queue = { items, index: items.length ? 0 : -1, get current() { return this.items[this.index]?.track ?? null; }, get currentKey() { return this.items[this.index]?.key ?? null; }, get length() { return this.items.length; } };
  }
  get track() { return this.queue.current; }
  restore(tracks, start, position) { this.queue.items = tracks.map((track, i) => ({ key: i + 1, track })); this.queue.index = start; this.currentTime = position; this.version++; }
  time(t) { this.currentTime = t; this.dispatchEvent(new Event('time')); }
}

test('plays: "now playing" at the start, the play reported once when the track is left, with the time heard (a seek ahead is not heard)', async () => {
  calls.length = 0;
  const reports = [];
  const p = new FakePlayer([{ key: 1, track: { id: 'tr-1', duration: 10 } }, { key: 2, track: { id: 'tr-2', duration: 10 } }]);
  const stop = scrobbler(p, { report: async (play) => { reports.push(play); } });
  for (let t = 0; t <= 6; t += 0.5) p.time(t);
  await tick(); await tick();
  const scrobbles = () => calls.filter((c) => c.method === 'scrobble').map((c) => `${c.form.get('id')}:${c.form.get('submission')}`);
  assert.deepEqual(scrobbles(), ['tr-1:false']);
  assert.equal(reports.length, 0, 'nothing reported while the track plays');
  // The next track: tr-1 is reported with six seconds heard; tr-2 is skipped through by seeking.
  p.queue.index = 1;
  p.time(0); p.time(9); p.time(9.5);
  await tick(); await tick();
  assert.deepEqual(scrobbles(), ['tr-1:false', 'tr-2:false']);
  assert.deepEqual(reports.map((r) => [r.trackId, r.msPlayed, r.client]), [['tr-1', 6000, 'sillon-web']]);
  assert.ok(!Number.isNaN(Date.parse(reports[0].startedAt)));
  // The queue's end: the last track is reported too, with the half second heard after the seek.
  p.audio = { ended: true };
  p.dispatchEvent(new Event('change'));
  assert.deepEqual(reports.map((r) => [r.trackId, r.msPlayed]), [['tr-1', 6000], ['tr-2', 500]]);
  stop();
});

test('play queue: taken from the server when the local one is empty, saved (debounced) on change', async () => {
  calls.length = 0;
  savedQueue = { current: 'tr-2', position: 1500, entry: [{ id: 'tr-1', title: 'One', albumId: 'al-1' }, { id: 'tr-2', title: 'Two', albumId: 'al-1' }] };
  const p = new FakePlayer();
  const stop = syncPlayQueue(p, { delay: 5 });
  for (let i = 0; i < 5; i++) await tick();
  assert.deepEqual(p.queue.items.map((e) => e.track.title), ['One', 'Two']);
  assert.equal(p.track.id, 'tr-2');
  assert.equal(p.currentTime, 1.5);
  assert.equal(calls.filter((c) => c.method === 'savePlayQueue').length, 0, 'taking the saved queue does not save it back');
  p.version++; p.dispatchEvent(new Event('change'));
  p.version++; p.dispatchEvent(new Event('change'));
  await new Promise((r) => setTimeout(r, 30));
  const saves = calls.filter((c) => c.method === 'savePlayQueue');
  assert.equal(saves.length, 1);
  assert.deepEqual(saves[0].form.getAll('id'), ['tr-1', 'tr-2']);
  assert.equal(saves[0].form.get('current'), 'tr-2');
  assert.equal(saves[0].form.get('position'), '1500');
  // Pausing saves the position to resume from; other media events do not save.
  p.playing = true; p.dispatchEvent(new Event('change'));
  p.currentTime = 4.25; p.playing = false; p.dispatchEvent(new Event('change'));
  p.dispatchEvent(new Event('change'));
  await new Promise((r) => setTimeout(r, 30));
  const after = calls.filter((c) => c.method === 'savePlayQueue');
  assert.equal(after.length, 2);
  assert.equal(after[1].form.get('position'), '4250');
  stop();
});

/** A storage like localStorage, one per test. */
const memoryStorage = () => { const m = new Map(); return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => m.set(k, String(v)), map: m }; };
const play = (trackId, startedAt = '2026-11-26T10:00:00.000Z') => ({ trackId, startedAt, msPlayed: 1000, client: 'sillon-web' });

test('plays made offline wait in storage and are sent, in order, once the network is back', async () => {
  const storage = memoryStorage();
  const sent = [];
  let offline = true;
  const send = async (p) => { if (offline) throw new TypeError('Failed to fetch'); sent.push(p.trackId); };
  const box = playOutbox({ send, storage, who: () => 'ann', retryMs: 60_000 });
  await box.add(play('tr-1'));
  await box.add(play('tr-2', '2026-11-26T10:05:00.000Z'));
  assert.deepEqual(sent, []);
  assert.deepEqual(box.pending().map((p) => p.trackId), ['tr-1', 'tr-2']);
  box.stop();

  // The page is closed and opened again: a new outbox finds them and sends them, without the owner's name.
  offline = false;
  const received = [];
  const again = playOutbox({ send: async (p) => { received.push(p); }, storage, who: () => 'ann' });
  await again.flush();
  assert.deepEqual(received.map((p) => p.trackId), ['tr-1', 'tr-2']);
  assert.ok(received.every((p) => !('user' in p)));
  assert.deepEqual(again.pending(), []);
  again.stop();
});

test('a play the server refuses for good is dropped; one it cannot take now waits', async () => {
  const storage = memoryStorage();
  const answers = { 'tr-gone': 404, 'tr-busy': 503 };
  const send = async (p) => { if (answers[p.trackId]) throw Object.assign(new Error('no'), { status: answers[p.trackId] }); };
  const box = playOutbox({ send, storage, who: () => 'ann', retryMs: 60_000 });
  await box.add(play('tr-gone'));
  await box.add(play('tr-busy'));
  assert.deepEqual(box.pending().map((p) => p.trackId), ['tr-busy']);
  box.stop();
});

test('on a shared browser a play waits for its own listener, and the queue is capped', async () => {
  const storage = memoryStorage();
  let me = 'ann';
  const sent = [];
  const box = playOutbox({ send: async (p) => { if (me === 'ann') throw new TypeError('offline'); sent.push([me, p.trackId]); }, storage, who: () => me, max: 3, retryMs: 60_000 });
  for (let i = 1; i <= 4; i++) await box.add(play(`tr-${i}`, `2026-11-26T10:0${i}:00.000Z`));
  assert.deepEqual(box.pending().map((p) => p.trackId), ['tr-2', 'tr-3', 'tr-4'], 'the oldest went past the cap');
  me = 'bob';
  await box.flush();
  assert.deepEqual(sent, [], "bob does not send ann's plays");
  assert.equal(box.pending().length, 3);
  box.stop();
});
