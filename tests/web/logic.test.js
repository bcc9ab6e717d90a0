import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLrc, lineAt, fromStructured } from '../../src/Sillon/Web/app/js/lyrics.js';
import { streamParams } from '../../src/Sillon/Web/app/js/quality.js';
import { duration, fold, letterOf, coverSize } from '../../src/Sillon/Web/app/js/format.js';
import { pickLanguage, LANGUAGES, tn } from '../../src/Sillon/Web/app/js/i18n.js';

test('LRC lines are parsed, sorted, and repeated stamps give several lines', () => {
  const lines = parseLrc('[ar:Someone]\n[00:12.50]Second\n[00:01.00][00:30.25]Chorus\n[01:02]Late\nno stamp');
  assert.deepEqual(lines, [
    { time: 1, text: 'Chorus' }, { time: 12.5, text: 'Second' }, { time: 30.25, text: 'Chorus' }, { time: 62, text: 'Late' },
  ]);
});

test('LRC offset shifts every line; plain lyrics are not synced', () => {
  assert.deepEqual(parseLrc('[offset:+500]\n[00:02.00]A'), [{ time: 1.5, text: 'A' }]);
  assert.equal(parseLrc('Just words\nno times'), null);
  assert.equal(parseLrc(''), null);
  assert.equal(parseLrc(null), null);
});

test('the line sung at a time', () => {
  const lines = parseLrc('[00:01.00]a\n[00:02.00]b\n[00:03.00]c');
  assert.equal(lineAt(lines, 0.5), -1);
  assert.equal(lineAt(lines, 1), 0);
  assert.equal(lineAt(lines, 2.99), 1);
  assert.equal(lineAt(lines, 100), 2);
  assert.equal(lineAt([], 1), -1);
});

const chrome = (mime) => /mpeg|flac|ogg|opus|wav/.test(mime);
const safari = (mime) => /mpeg|mp4|aac/.test(mime);

test('the original is streamed when the browser plays it and it fits the quality', () => {
  assert.deepEqual(streamParams({ contentType: 'audio/flac', bitRate: 900 }, 'original', chrome), {});
  assert.deepEqual(streamParams({ contentType: 'audio/mpeg', bitRate: 128 }, 'saver', chrome), {});
  assert.deepEqual(streamParams({ contentType: 'audio/mpeg', bitRate: 320 }, 'high', chrome), {});
});

test('a quality limit transcodes larger files', () => {
  assert.deepEqual(streamParams({ contentType: 'audio/flac', bitRate: 900 }, 'saver', chrome), { format: 'opus', maxBitRate: 128 });
  assert.deepEqual(streamParams({ contentType: 'audio/mpeg', bitRate: 320 }, 'saver', safari), { format: 'mp3', maxBitRate: 128 });
  assert.deepEqual(streamParams({ contentType: 'audio/flac', bitRate: 0 }, 'high', chrome), { format: 'opus', maxBitRate: 320 });
});

test('a format the browser cannot play is transcoded, even at original quality', () => {
  assert.deepEqual(streamParams({ contentType: 'audio/flac', bitRate: 900 }, 'original', safari), { format: 'mp3', maxBitRate: 320 });
  assert.deepEqual(streamParams({ contentType: 'audio/x-ms-wma', bitRate: 192 }, 'original', chrome), { format: 'opus', maxBitRate: 320 });
});

test('formatting helpers', () => {
  assert.equal(duration(0), '0:00');
  assert.equal(duration(61.9), '1:01');
  assert.equal(duration(3725), '1:02:05');
  assert.equal(duration(NaN), '0:00');
  assert.equal(fold('Beyoncé Œuvre ÉLOÏSE'), 'beyonce œuvre eloise');
  assert.equal(letterOf('éloïse'), 'E');
  assert.equal(letterOf('2Pac'), '#');
  assert.equal(coverSize(180, 1), 256);
  assert.equal(coverSize(180, 2), 512);
  assert.equal(coverSize(40, 1), 64);
  assert.equal(coverSize(4000, 1), 1024);
});

test('language: saved choice, then the browser preferences, then English', () => {
  assert.equal(pickLanguage('fr', ['en-US']), 'fr');
  assert.equal(pickLanguage(null, ['fr-CA', 'en']), 'fr');
  assert.equal(pickLanguage('xx', ['de-DE']), 'en');
});

test('French has every English string, with the same placeholders', () => {
  const { en, fr } = LANGUAGES;
  assert.deepEqual(Object.keys(fr).sort(), Object.keys(en).sort());
  const vars = (s) => (s.match(/\{\w+\}/g) ?? []).sort().join();
  for (const key of Object.keys(en)) assert.equal(vars(fr[key]), vars(en[key]), key);
});

test('counted strings pick the singular for one', () => {
  assert.equal(tn('albums.count', 1), '1 album');
  assert.equal(tn('albums.count', 2), '2 albums');
  assert.equal(tn('albums.count', 0), '0 albums');
  assert.equal(tn('queue.count', 1, { time: '3:00' }), '1 track · 3:00');
});

test('OpenSubsonic structured lyrics: the synced version wins, its offset applies, plain ones stay text', () => {
  const synced = { synced: true, offset: 500, line: [{ start: 2500, value: 'B' }, { start: 1000, value: 'A' }] };
  const plain = { synced: false, line: [{ value: 'one' }, { value: 'two' }] };
  assert.deepEqual(fromStructured([plain, synced]), { lines: [{ time: 0.5, text: 'A' }, { time: 2, text: 'B' }], text: null });
  assert.deepEqual(fromStructured([plain]), { lines: null, text: 'one\ntwo' });
  assert.deepEqual(fromStructured([]), { lines: null, text: null });
  assert.deepEqual(fromStructured(undefined), { lines: null, text: null });
});
