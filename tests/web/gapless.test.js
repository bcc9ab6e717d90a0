import { test } from 'node:test';
import assert from 'node:assert/strict';
import { preloadTarget, handoff, startDelay, GapMeter, PRELOAD_LEAD, START_AHEAD_MS } from '../../src/Sillon/Web/app/js/gapless.js';

const next = { key: 7, track: { id: 'tr-2' } };

test('the next track is loaded once the current one is within the lead of its end', () => {
  assert.equal(preloadTarget({ duration: 300, currentTime: 10, next, standbyKey: null }), null);
  assert.equal(preloadTarget({ duration: 300, currentTime: 300 - PRELOAD_LEAD, next, standbyKey: null }), next);
  assert.equal(preloadTarget({ duration: 20, currentTime: 0, next, standbyKey: null }), next, 'a short track preloads at once');
});

test('nothing is loaded twice, and nothing when nothing follows', () => {
  assert.equal(preloadTarget({ duration: 10, currentTime: 9, next, standbyKey: 7 }), null);
  assert.equal(preloadTarget({ duration: 10, currentTime: 9, next: null, standbyKey: null }), null);
});

test('a stream of unknown length (a live transcode) preloads early', () => {
  assert.equal(preloadTarget({ duration: Infinity, currentTime: 1, next, standbyKey: null }), next);
  assert.equal(preloadTarget({ duration: NaN, currentTime: 0, next, standbyKey: null }), next);
});

test('when the queue changed after preloading, the standby is replaced', () => {
  const other = { key: 9, track: { id: 'tr-9' } };
  assert.equal(preloadTarget({ duration: 10, currentTime: 9, next: other, standbyKey: 7 }), other);
  assert.deepEqual(handoff({ next: other, standbyKey: 7 }), { action: 'load', entry: other });
});

test('hand-over swaps to the standby only when it holds what comes next', () => {
  assert.deepEqual(handoff({ next, standbyKey: 7, standbyReady: true }), { action: 'swap', ready: true });
  assert.deepEqual(handoff({ next: null, standbyKey: 7 }), { action: 'stop' });
});

test('the gap meter measures from ended to playing', () => {
  let now = 1000;
  const meter = new GapMeter(() => now);
  assert.equal(meter.playing(), null, 'a first start is not a gap');
  meter.ended();
  now += 4;
  assert.equal(meter.playing(), 4);
  assert.equal(meter.playing(), null);
  assert.deepEqual(meter.gaps, [4]);
});

test('the standby is started just before the end, by a timer armed in the last half second', () => {
  const base = { duration: 180, standbyReady: true, paused: false };
  assert.equal(startDelay({ ...base, currentTime: 100 }), null, 'too early to arm');
  const close = (actual, expected) => assert.ok(Math.abs(actual - expected) < 1e-6, `${actual} ≠ ${expected}`);
  close(startDelay({ ...base, currentTime: 179.7 }), 300 - START_AHEAD_MS);
  assert.equal(startDelay({ ...base, currentTime: 179.995 }), 0, 'late: start at once');
  close(startDelay({ ...base, currentTime: 179.7, playbackRate: 2 }), 150 - START_AHEAD_MS);
});

test('no early start when paused, not ready, ended or of unknown length', () => {
  const base = { duration: 180, currentTime: 179.8, standbyReady: true, paused: false };
  assert.equal(startDelay({ ...base, paused: true }), null);
  assert.equal(startDelay({ ...base, standbyReady: false }), null);
  assert.equal(startDelay({ ...base, currentTime: 180 }), null);
  assert.equal(startDelay({ ...base, duration: Infinity }), null);
});
