// What the server learns from listening: plays reported with the time heard, the "Your year" page
// (recap, most played, recently played), Flow on the home page with a reason for each track and more
// fetched as the queue runs out, and the instant mix. Its own server and browser; tests run in order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openSession, artifacts, createAdministrator, waitFor, closeSession } from './harness.js';

let server, browser, page, music;
const USER = 'admin', PASSWORD = 'admin-pass-1';
const plays = [];

before(async () => {
  ({ music, server, browser, page } = await openSession());
  page.on('requestfinished', (r) => { if (r.url().endsWith('/api/v1/me/plays') && r.method() === 'POST') plays.push(JSON.parse(r.postData() ?? '{}')); });
  await createAdministrator(page, server.url, USER, PASSWORD);
});

after(async () => {
  await closeSession({ browser, server, music });
});

const player = (fn) => page.evaluate(fn);

test('plays: a track heard to its end and one skipped are reported with the time heard', async () => {
  await page.goto(`${server.url}/#/albums`);
  await page.getByRole('link', { name: 'Café du Port', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Café du Port' }).waitFor();
  // Soir is the album's last track: heard to its end, the queue stops and the play is reported.
  await page.getByRole('button', { name: 'Play: Soir' }).click();
  await waitFor(() => plays.find((p) => p.msPlayed > 2000), 'Soir reported once ended', 15000);
  await page.getByRole('button', { name: 'Play: Matin' }).click();
  await waitFor(() => player(() => window.sillon.player.track?.title === 'Matin' && window.sillon.player.currentTime > 0.3), 'Matin playing');
  await page.getByRole('button', { name: 'Next track', exact: true }).click();
  await waitFor(() => plays.length >= 2, 'Matin reported when left');
  const [soir, matin] = plays;
  assert.ok(soir.msPlayed >= 2500 && soir.msPlayed <= 3500, `Soir heard ${soir.msPlayed} ms`);
  assert.ok(matin.msPlayed < 1500, `Matin heard ${matin.msPlayed} ms`);
  assert.equal(soir.client, 'sillon-web');
  await page.getByRole('button', { name: 'Pause' }).click();
});

test('your year: the recap, the most played and the recently played lists show the plays', async () => {
  await page.getByRole('link', { name: 'Your year' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your year' }).waitFor();
  const recap = page.getByRole('region', { name: `Your ${new Date().getUTCFullYear()}` });
  await recap.getByRole('button', { name: /Soir/ }).waitFor();
  // One play counted (Soir); Matin was a skip.
  assert.equal(await recap.locator('dt:text("Plays") + dd').textContent(), '1');
  await recap.getByRole('link', { name: 'Éloïse Martin' }).waitFor();
  const recent = page.getByRole('list', { name: 'Recently played' });
  assert.deepEqual(await recent.locator('.track-title').allTextContents(), ['Soir']);
  // Everyone's plays this week, then a click plays the track.
  await page.selectOption('#history-scope', 'server');
  await page.waitForURL(/scope=server/);
  const most = page.getByRole('region', { name: 'Most played' });
  await most.getByRole('button', { name: /Soir/ }).click();
  await waitFor(() => player(() => window.sillon.player.track?.title === 'Soir'), 'Soir played from the list');
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.screenshot({ path: path.join(artifacts, 'history-1280.png'), fullPage: true });
});

test('flow: the home button plays an endless stream, says why each track was chosen, and fetches more near the end', async () => {
  const flowRequests = [];
  page.on('request', (r) => { if (r.url().includes('/api/v1/me/flow')) flowRequests.push(r.url()); });
  await page.getByRole('link', { name: 'Home' }).click();
  await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
  await page.getByRole('button', { name: 'Play Flow' }).click();
  await waitFor(() => player(() => window.sillon.player.queue.length > 0 && window.sillon.player.playing), 'Flow playing');
  const why = page.getByRole('list', { name: 'Why these tracks' });
  await why.locator('.flow-reason').first().waitFor();
  const reasons = await why.locator('.flow-reason').allTextContents();
  assert.ok(reasons.length >= 1 && reasons.every((r) => r.length > 5), `reasons: ${reasons}`);
  // Every track Chanson had is in the repeat window (just played or skipped): what comes is new or popular.
  const known = /^(New to you: )?(because you (love|played) .+|similar to .+|listeners of .+ also play this|same genre as .+ \(.+\)|popular on this server|Something you have not heard yet|Because you (love|played) .+|Similar to .+|Listeners of .+ also play this|Same genre as .+ \(.+\)|Popular on this server)$/;
  assert.ok(reasons.every((r) => known.test(r)), `reasons: ${reasons}`);
  // Jump to the last track of the queue: Flow asks for more and appends it.
  const before = await player(() => window.sillon.player.queue.length);
  await player(() => window.sillon.player.jump(window.sillon.player.queue.length - 1));
  await waitFor(() => player(() => window.sillon.player.queue.length) .then((n) => n > before), 'more Flow tracks appended');
  assert.ok(flowRequests.length >= 2, `flow requests: ${flowRequests.length}`);
  await page.screenshot({ path: path.join(artifacts, 'flow-home-1280.png') });
  await page.getByRole('button', { name: 'Pause' }).click();
});

test('instant mix: from an album page, the queue becomes what is near the album', async () => {
  await page.goto(`${server.url}/#/albums`);
  await page.getByRole('link', { name: 'Northern Lights', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Northern Lights' }).waitFor();
  await page.getByRole('button', { name: 'Instant mix' }).click();
  await waitFor(() => player(() => window.sillon.player.queue.items.some((e) => e.track.album === 'Northern Lights')), 'the mix queued');
  const albums = await player(() => window.sillon.player.queue.items.map((e) => e.track.album));
  assert.ok(albums.includes('Northern Lights'), `mix: ${albums}`);
  // The track menu offers the same from one track.
  await page.getByRole('button', { name: 'Actions for Dawn' }).click();
  await page.getByRole('menuitem', { name: 'Instant mix' }).click();
  await waitFor(() => player(() => window.sillon.player.queue.items.every((e) => e.track.title !== 'Dawn')), 'a mix from Dawn, without Dawn');
  await page.getByRole('button', { name: 'Pause' }).click().catch(() => {});
});
