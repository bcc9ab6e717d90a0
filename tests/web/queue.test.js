import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue, REPEAT, shuffled } from '../../src/Sillon/Web/app/js/queue.js';

const tracks = (...ids) => ids.map((id) => ({ id, title: id }));
const ids = (q) => q.items.map((e) => e.track.id);
/** A seeded generator (mulberry32) so shuffles are reproducible. */
const seeded = (seed) => () => { seed |= 0; seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };

test('play now replaces the queue and starts at the chosen track', () => {
  const q = new Queue();
  q.add(tracks('x'));
  q.playNow(tracks('a', 'b', 'c'), 1);
  assert.deepEqual(ids(q), ['a', 'b', 'c']);
  assert.equal(q.current.id, 'b');
});

test('play next inserts after the current track, add appends', () => {
  const q = new Queue();
  q.playNow(tracks('a', 'b', 'c'));
  q.playNext(tracks('n1', 'n2'));
  q.add(tracks('z'));
  assert.deepEqual(ids(q), ['a', 'n1', 'n2', 'b', 'c', 'z']);
  assert.equal(q.current.id, 'a');
});

test('adding to an empty queue makes the first added track current', () => {
  const q = new Queue();
  q.playNext(tracks('a'));
  assert.equal(q.current.id, 'a');
});

test('move keeps the current track current', () => {
  const q = new Queue();
  q.playNow(tracks('a', 'b', 'c', 'd'), 1);
  assert.ok(q.move(3, 0));
  assert.deepEqual(ids(q), ['d', 'a', 'b', 'c']);
  assert.equal(q.current.id, 'b');
  assert.ok(q.move(2, 3));
  assert.equal(q.current.id, 'b');
  assert.equal(q.index, 3);
  assert.equal(q.move(0, 9), false);
  assert.equal(q.move(1, 1), false);
});

test('reordering changes what plays next', () => {
  const q = new Queue();
  q.playNow(tracks('a', 'b', 'c'));
  q.move(2, 1);
  assert.equal(q.peekNext().track.id, 'c');
});

test('remove before, at and after the current track', () => {
  const q = new Queue();
  q.playNow(tracks('a', 'b', 'c', 'd'), 2);
  q.remove(0);
  assert.equal(q.current.id, 'c');
  q.remove(1); // the current one: the next takes its place
  assert.equal(q.current.id, 'd');
  q.remove(1); // the last and current: the one before becomes current
  assert.equal(q.current.id, 'b');
  q.remove(0);
  assert.equal(q.index, -1);
  assert.equal(q.current, null);
  assert.equal(q.remove(0), false);
});

test('clear empties everything', () => {
  const q = new Queue();
  q.playNow(tracks('a', 'b'));
  q.setShuffle(true);
  q.clear();
  assert.equal(q.length, 0);
  assert.equal(q.index, -1);
  assert.equal(q.peekNext(), null);
});

test('next and previous honour repeat off, all and one', () => {
  const q = new Queue();
  q.playNow(tracks('a', 'b'), 1);
  assert.equal(q.nextIndex(true), -1);
  assert.equal(q.advance(false), false);
  q.cycleRepeat();
  assert.equal(q.repeat, REPEAT.all);
  assert.equal(q.nextIndex(true), 0);
  q.cycleRepeat();
  assert.equal(q.repeat, REPEAT.one);
  assert.equal(q.nextIndex(true), 1, 'a track that ends by itself repeats');
  assert.equal(q.nextIndex(false), 0, 'the next button still moves on');
  assert.equal(q.cycleRepeat(), REPEAT.off);
  q.jump(0);
  assert.equal(q.prevIndex(), 0);
});

test('shuffle reorders only what comes after the current track, and unshuffle restores it', () => {
  const q = new Queue({ random: seeded(42) });
  const all = 'abcdefghij'.split('');
  q.playNow(tracks(...all), 3);
  q.setShuffle(true);
  assert.deepEqual(ids(q).slice(0, 4), ['a', 'b', 'c', 'd']);
  assert.deepEqual(ids(q).slice().sort(), all);
  assert.notDeepEqual(ids(q), all);
  assert.equal(q.current.id, 'd');
  q.advance();
  const playing = q.current.id;
  q.setShuffle(false);
  assert.deepEqual(ids(q), all);
  assert.equal(q.current.id, playing);
});

test('tracks added while shuffled stay in the queue after unshuffling', () => {
  const q = new Queue({ random: seeded(7) });
  q.playNow(tracks('a', 'b', 'c', 'd'));
  q.setShuffle(true);
  q.add(tracks('e'));
  q.playNext(tracks('n'));
  q.remove(q.items.findIndex((e) => e.track.id === 'c'));
  q.setShuffle(false);
  assert.deepEqual(ids(q), ['a', 'n', 'b', 'd', 'e']);
});

test('playing an album with shuffle on shuffles it', () => {
  const q = new Queue({ random: seeded(1) });
  q.setShuffle(true);
  q.playNow(tracks('a', 'b', 'c', 'd', 'e', 'f'));
  assert.equal(q.current.id, 'a');
  assert.notDeepEqual(ids(q), ['a', 'b', 'c', 'd', 'e', 'f']);
});

test('shuffled() is a permutation and is uniform enough', () => {
  const random = seeded(3);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 4000; i++) counts[shuffled([0, 1, 2, 3], random).indexOf(0)]++;
  for (const c of counts) assert.ok(c > 850 && c < 1150, `position counts ${counts}`);
});

test('the queue survives a round trip through JSON (a page reload)', () => {
  const q = new Queue({ random: seeded(5) });
  q.playNow(tracks('a', 'b', 'c', 'd', 'e'), 1);
  q.setShuffle(true);
  q.cycleRepeat();
  const back = Queue.fromJSON(JSON.parse(JSON.stringify(q)));
  assert.deepEqual(ids(back), ids(q));
  assert.equal(back.current.id, 'b');
  assert.equal(back.shuffle, true);
  assert.equal(back.repeat, REPEAT.all);
  back.setShuffle(false);
  assert.deepEqual(ids(back), ['a', 'b', 'c', 'd', 'e']);
});

test('bad saved data gives an empty queue, never an exception', () => {
  for (const bad of [null, {}, { v: 2 }, { v: 1, tracks: 'x' }, { v: 1, tracks: [], index: 5 }]) {
    const q = Queue.fromJSON(bad);
    assert.equal(q.length, 0);
    assert.equal(q.index, -1);
  }
  const q = Queue.fromJSON({ v: 1, tracks: tracks('a'), index: 9, repeat: 'sometimes' });
  assert.equal(q.index, 0);
  assert.equal(q.repeat, REPEAT.off);
});

test('the same track twice is two queue entries', () => {
  const q = new Queue();
  q.playNow(tracks('a', 'a'));
  assert.notEqual(q.items[0].key, q.items[1].key);
  q.remove(1);
  assert.equal(q.length, 1);
});
