// Scrobbling settings and podcasts in the browser, against a local feed host and a local
// ListenBrainz (validate-token only): its own server and browser; tests run in order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { openSession, artifacts, tone, freshDir, createAdministrator } from './harness.js';

let server, browser, page, music, host, hostUrl, token;
const USER = 'admin', PASSWORD = 'admin-pass-1';
const audioDir = freshDir('sillon-e2e-podcast-');
const episodeFile = path.join(audioDir, 'episode.mp3');

function feed() {
  const items = [1, 2].map((i) => `<item><title>Episode ${i}</title><guid>ep-${i}</guid>
    <pubDate>Mon, 0${i} Feb 2026 10:00:00 GMT</pubDate><itunes:summary>About episode ${i}</itunes:summary>
    <enclosure url="${hostUrl}/ep${i}.mp3" type="audio/mpeg" length="1000"/></item>`).join('');
  return `<?xml version="1.0"?><rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>
    <title>Browser Show</title><description>A show for the browser test</description>${items}</channel></rss>`;
}

before(async () => {
  tone(episodeFile, { seconds: 8, freq: 440, tags: { title: 'episode' } });
  const audio = readFileSync(episodeFile);
  host = createServer((req, res) => {
    if (req.url === '/feed.xml') { res.writeHead(200, { 'Content-Type': 'application/rss+xml' }); res.end(feed()); return; }
    if (req.url === '/bad.xml') { res.writeHead(200, { 'Content-Type': 'application/xml' }); res.end('<rss><channel><title>Broken'); return; }
    if (req.url?.endsWith('.mp3')) { res.writeHead(200, { 'Content-Type': 'audio/mpeg', 'Content-Length': audio.length }); res.end(audio); return; }
    if (req.url === '/lb/1/validate-token') {
      const ok = req.headers.authorization === 'Token browser-token';
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(ok ? { code: 200, valid: true, user_name: 'lb-browser' } : { code: 200, valid: false }));
      return;
    }
    res.writeHead(404); res.end();
  });
  await new Promise((r) => host.listen(0, '127.0.0.1', r));
  hostUrl = `http://127.0.0.1:${host.address().port}`;
  process.env.SILLON_SCROBBLING__LISTENBRAINZURL = `${hostUrl}/lb/`;
  ({ music, server, browser, page } = await openSession());
  token = await createAdministrator(page, server.url, USER, PASSWORD);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  host?.close();
  if (music) rmSync(music, { recursive: true, force: true });
  rmSync(audioDir, { recursive: true, force: true });
});

const api = async (p) => (await fetch(`${server.url}${p}`, { headers: { Authorization: `Bearer ${token}` } })).json();

test('ListenBrainz is linked from the settings page, and a refused token says so', async () => {
  await page.goto(`${server.url}/#/settings`);
  await page.getByRole('heading', { name: 'Scrobbling' }).waitFor();
  await page.fill('#lb-token', 'wrong-token');
  await page.getByRole('button', { name: 'Link ListenBrainz' }).click();
  await page.getByText('ListenBrainz says this token is not valid').waitFor();
  await page.fill('#lb-token', 'browser-token');
  await page.getByRole('button', { name: 'Link ListenBrainz' }).click();
  await page.getByText('ListenBrainz: linked as lb-browser').waitFor();
  await page.screenshot({ path: path.join(artifacts, 'settings-scrobbling.png'), fullPage: true });
  assert.equal((await api('/api/v1/me/scrobbling')).listenBrainz.user, 'lb-browser');
  await page.getByRole('button', { name: 'Unlink ListenBrainz' }).click();
  await page.locator('#lb-token').waitFor();
});

test('a podcast is subscribed, an episode downloaded, played, and its position kept', async () => {
  await page.goto(`${server.url}/#/genres`);
  await page.getByRole('link', { name: 'Podcasts' }).click();
  await page.getByRole('heading', { level: 1, name: 'Podcasts' }).waitFor();
  await page.fill('#pod-url', `${hostUrl}/bad.xml`);
  await page.getByRole('button', { name: 'Subscribe' }).click();
  await page.getByText('The feed could not be read: the feed is not well-formed XML').waitFor();

  await page.fill('#pod-url', `${hostUrl}/feed.xml`);
  await page.getByRole('button', { name: 'Subscribe' }).click();
  await page.getByRole('heading', { level: 1, name: 'Browser Show' }).waitFor();
  const first = page.locator('li.episode').filter({ hasText: 'Episode 2' });
  await first.getByRole('button', { name: 'Download' }).click();
  await first.getByText('Downloaded').waitFor({ timeout: 20000 });
  const audio = first.locator('audio');
  await audio.evaluate((a) => a.play());
  await page.waitForFunction(() => document.querySelector('li.episode audio')?.currentTime > 1.5, null, { timeout: 15000 });
  await audio.evaluate((a) => a.pause());
  await page.screenshot({ path: path.join(artifacts, 'podcast.png'), fullPage: true });

  const channels = await api('/api/v1/podcasts');
  let position = 0;
  for (let i = 0; i < 100 && position < 1000; i++) {
    const { episodes } = await api(`/api/v1/podcasts/${channels[0].id}`);
    position = episodes.find((e) => e.title === 'Episode 2').positionMs ?? 0;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(position >= 1000, `position saved on pause: ${position}`);

  // A reload starts where the listener stopped.
  await page.reload();
  const again = page.locator('li.episode').filter({ hasText: 'Episode 2' }).locator('audio');
  await again.waitFor();
  await again.evaluate((a) => { a.preload = 'metadata'; a.load(); });
  await page.waitForFunction(() => document.querySelector('li.episode audio')?.currentTime >= 1, null, { timeout: 10000 });
});

test('every control of these pages has an accessible name', async () => {
  const channels = await api('/api/v1/podcasts');
  for (const route of ['#/settings', '#/podcasts', `#/podcast/${channels[0].id}`]) {
    await page.goto(`${server.url}/${route}`);
    await page.locator('#main h1').waitFor();
    await page.waitForTimeout(300); // the scrobbling panel fills in after its request
    const unnamed = await page.evaluate(() => [...document.querySelectorAll('button, a[href], input, select, audio')]
      .filter((el) => !el.closest('[hidden]') && el.offsetParent !== null)
      .filter((el) => !(el.getAttribute('aria-label') || el.getAttribute('title') || el.textContent.trim()
        || (el.id && document.querySelector(`label[for="${el.id}"]`)?.textContent.trim()) || el.closest('label')?.textContent.trim()))
      .map((el) => el.outerHTML.slice(0, 120)));
    assert.deepEqual(unnamed, [], `unnamed controls on ${route}`);
  }
});
