// Administration in the browser: disabling an account, adding and removing a music folder, and a
// scan watched live over Server-Sent Events. Its own server and browser; tests run in order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, mkdirSync, readdirSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { openSession, artifacts, tone, freshDir, createAdministrator, waitFor, closeSession } from './harness.js';

let server, browser, context, page, music, extra;
const USER = 'admin', PASSWORD = 'admin-pass-1';
const requests = [];

before(async () => {
  ({ music, server, browser, context, page } = await openSession());
  page.on('request', (r) => requests.push({ method: r.method(), url: r.url() }));
  await createAdministrator(page, server.url, USER, PASSWORD);
});

after(async () => {
  await closeSession({ browser, server, music });
  if (extra) rmSync(extra, { recursive: true, force: true });
});

const login = (username, password) => fetch(`${server.url}/api/v1/auth/login`, {
  method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }),
});

test('admin disables a user, who then cannot log in, and enables them again', async () => {
  await page.goto(`${server.url}/#/admin`);
  const panel = page.getByRole('region', { name: 'Users' });
  await panel.getByText('admin', { exact: true }).waitFor();
  await page.fill('#new-user', 'guest');
  await page.fill('#new-user-pass', 'guest-pass-1');
  await panel.getByRole('button', { name: 'Create user' }).click();
  await panel.getByText('User guest created.').waitFor();

  // The guest logs in on another device before being disabled.
  const other = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const phone = await other.newPage();
  await phone.goto(server.url);
  await phone.fill('#login-user', 'guest');
  await phone.fill('#login-pass', 'guest-pass-1');
  await phone.getByRole('button', { name: 'Log in' }).click();
  await phone.getByRole('heading', { level: 1, name: 'Home' }).waitFor();

  const enabled = panel.getByLabel('Account of guest enabled');
  assert.equal(await enabled.isChecked(), true);
  // An administrator's own account cannot be disabled from here.
  assert.equal(await panel.getByLabel('Account of admin enabled').isDisabled(), true);
  await enabled.uncheck();
  await panel.getByText('guest saved.').waitFor();
  await panel.getByText('(disabled)').waitFor();
  assert.equal((await login('guest', 'guest-pass-1')).status, 403);

  // The open session is refused at its next request: the phone lands on the login page, which says why.
  await phone.reload();
  await phone.getByText('This account is disabled. Ask an administrator to enable it.').waitFor();
  await phone.fill('#login-user', 'guest');
  await phone.fill('#login-pass', 'guest-pass-1');
  await phone.getByRole('button', { name: 'Log in' }).click();
  await phone.getByRole('alert').getByText('This account is disabled. Ask an administrator to enable it.').waitFor();
  await page.screenshot({ path: path.join(artifacts, 'admin-disabled-user-1280.png'), fullPage: true });

  // Roles are in the same row; the stream role taken away is refused by the server.
  await panel.locator('li[data-user="guest"] summary').click();
  await page.locator('li[data-user="guest"]').getByLabel('Play music').uncheck();
  // "guest saved." is still shown from the save above: ask the server until the new one is in.
  const token = await page.evaluate(() => localStorage.getItem('sillon.token'));
  const streams = async () => (await (await fetch(`${server.url}/api/v1/users`, { headers: { Authorization: `Bearer ${token}` } })).json())
    .find((u) => u.username === 'guest').roles.stream;
  await waitFor(async () => (await streams()) === false, 'the stream role taken away');

  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Administration' }).waitFor();
  await page.getByLabel('Account of guest enabled').check();
  await page.getByText('guest saved.').waitFor();
  await phone.getByRole('button', { name: 'Log in' }).click();
  await phone.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
  await other.close();
});

test('admin adds a music folder, sees its album after the scan, then removes it', async () => {
  extra = freshDir('sillon-e2e-extra-');
  tone(path.join(extra, 'Second Shelf/Harbour Lights/01 Pier.mp3'), { seconds: 1, freq: 500, tags: { title: 'Pier', artist: 'Second Shelf', album_artist: 'Second Shelf', album: 'Harbour Lights', track: 1, date: 2022 } });
  await page.goto(`${server.url}/#/admin`);
  const panel = page.getByRole('region', { name: 'Music folders' });
  await panel.getByText('from the command line').waitFor();

  // A bad path is refused with the server's reason.
  await page.fill('#new-folder', path.join(extra, 'nowhere'));
  await panel.getByRole('button', { name: 'Add folder' }).click();
  await panel.getByText(/does not exist/).waitFor();

  await page.fill('#new-folder', extra);
  await panel.getByRole('button', { name: 'Add folder' }).click();
  await panel.getByText(`Added ${extra}: scanning it now.`).waitFor();
  await panel.getByText('added here').waitFor();
  // The scan's summary (pushed over the event stream) refreshes the folder's track count.
  await panel.locator('li', { hasText: extra }).getByText('1 track').waitFor({ timeout: 30000 });

  await page.goto(`${server.url}/#/albums`);
  await page.getByText('Harbour Lights').first().waitFor();
  await page.screenshot({ path: path.join(artifacts, 'admin-folder-albums-1280.png') });

  await page.goto(`${server.url}/#/admin`);
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: `Remove ${extra}` }).click();
  await page.getByText(`Removed ${extra}: its tracks are leaving the catalog.`).waitFor();
  const token = await page.evaluate(() => localStorage.getItem('sillon.token'));
  await waitFor(async () => {
    const found = await (await fetch(`${server.url}/api/v1/search?q=Harbour`, { headers: { Authorization: `Bearer ${token}` } })).json();
    return found.albums.length === 0;
  }, 'the removed folder\'s album to leave', 30000);
  assert.equal(await page.getByRole('button', { name: `Remove ${extra}` }).count(), 0);
});

test('scan progress appears in admin, pushed over server-sent events', async () => {
  const source = path.join(music, 'Aurora Quartet/Northern Lights');
  const mp3s = readdirSync(source).filter((f) => f.endsWith('.mp3'));
  for (let i = 0; i < 400; i++) {
    const dir = path.join(music, 'Bulk', `Disc ${Math.floor(i / 50)}`);
    mkdirSync(dir, { recursive: true });
    copyFileSync(path.join(source, mp3s[i % mp3s.length]), path.join(dir, `${i}.mp3`));
  }
  await page.goto(`${server.url}/#/admin`);
  await page.getByText('No scan running.').waitFor();
  const library = page.getByRole('region', { name: 'Library' });
  await waitFor(async () => (await library.getAttribute('data-feed')) === 'live', 'the event stream to open');
  const before = requests.length;
  await page.evaluate(() => {
    window.__status = [];
    const el = document.querySelector('.panel [role="status"]');
    new MutationObserver(() => window.__status.push(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
  });
  await page.getByRole('button', { name: 'Scan now' }).click();
  await page.getByText(/400 added/).waitFor({ timeout: 60000 });
  const seen = await page.evaluate(() => window.__status);
  assert.ok(seen.some((s) => /^Scanning: \w+ — \d+ of \d+ files/.test(s)), `progress shown: ${JSON.stringify(seen.slice(0, 5))}`);

  // Pushed, not polled: no GET /api/v1/scan while the scan ran, and the stream URL carries a ticket, never the token.
  const during = requests.slice(before);
  assert.equal(during.filter((r) => r.method === 'GET' && new URL(r.url).pathname === '/api/v1/scan').length, 0, JSON.stringify(during.map((r) => r.url)));
  const streams = requests.filter((r) => new URL(r.url).pathname === '/api/v1/scan/events');
  assert.ok(streams.length >= 1);
  const token = await page.evaluate(() => localStorage.getItem('sillon.token'));
  for (const s of streams) {
    assert.match(new URL(s.url).searchParams.get('ticket') ?? '', /^[0-9a-f]{32}$/);
    assert.ok(!s.url.includes(token), 'the bearer token never goes into the stream URL');
  }
  const tracks = await page.locator('.stats dt:text-is("Tracks") + dd').textContent();
  assert.equal(Number(tracks), 414);
  await page.screenshot({ path: path.join(artifacts, 'admin-sse-1280.png') });
});
