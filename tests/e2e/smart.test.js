// Smart playlists in the web player: the form editor (rule rows whose widgets follow the field,
// all/any, sort, limit, live preview), the icon in the playlist list, editing the rules, and a
// playlist imported from an M3U file with its missing entry. Its own server and browser; in order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openSession, artifacts, waitForScan, createAdministrator, waitFor, closeSession } from './harness.js';

let server, browser, page, music, token;
const USER = 'admin', PASSWORD = 'admin-pass-1';

before(async () => {
  ({ music, server, browser, page } = await openSession());
  token = await createAdministrator(page, server.url, USER, PASSWORD);
});

after(async () => {
  await closeSession({ browser, server, music });
});

const preview = () => page.locator('#smart-preview');
const previewSays = (text) => waitFor(async () => (await preview().textContent()).startsWith(text) && text, `the preview to say "${text}"`);
const rule = (n) => page.locator('.smart-rule').nth(n - 1);

test('a smart playlist is built with the form: rules by field type, any/all, sort, limit and a live preview', async () => {
  await page.goto(`${server.url}/#/playlists`);
  await page.getByRole('link', { name: 'New smart playlist' }).click();
  await page.getByRole('heading', { level: 1, name: 'New smart playlist' }).waitFor();

  // The first row starts as "Genre is …".
  await page.getByRole('textbox', { name: 'Value of Genre' }).fill('chanson');
  await previewSays('3 tracks');

  await page.getByRole('button', { name: 'Add a rule' }).click();
  await page.getByRole('combobox', { name: 'Field of rule 2' }).selectOption('year');
  await page.getByRole('combobox', { name: 'Condition of rule 2' }).selectOption('gt');
  await page.getByRole('spinbutton', { name: 'Value of Year' }).fill('2020');
  await previewSays('0 tracks'); // all: Chanson and after 2020
  await page.getByRole('combobox', { name: 'Tracks that match' }).selectOption('any');
  await previewSays('6 tracks');

  await page.getByRole('combobox', { name: 'Order' }).selectOption('title');
  await page.getByRole('spinbutton', { name: 'At most (tracks)' }).fill('4');
  await previewSays('4 tracks');
  const sample = await page.getByRole('list', { name: 'First matching tracks' }).locator('li .grow').allTextContents();
  assert.deepEqual(sample, ['Dawn', 'Dusk', 'Marée', 'Matin']);
  await page.screenshot({ path: path.join(artifacts, 'smart-editor-1280.png') });

  await page.getByRole('textbox', { name: 'Playlist name' }).fill('Evening');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { level: 1, name: 'Evening' }).waitFor();
  await waitFor(async () => (await page.locator('#main li.track').count()) === 4, 'four tracks on the playlist page');
  // Its tracks come from the rules: no drag handles, no remove buttons.
  assert.equal(await page.locator('#main .handle').count(), 0);
});

test('the widgets follow the field: days for dates, nothing for yes/no fields, two values for between', async () => {
  await page.goto(`${server.url}/#/smart`);
  await page.getByRole('heading', { level: 1, name: 'New smart playlist' }).waitFor();
  await page.getByRole('combobox', { name: 'Field of rule 1' }).selectOption('lastplayed');
  await page.getByRole('combobox', { name: 'Condition of rule 1' }).selectOption('notInTheLast');
  await page.getByRole('spinbutton', { name: 'Days for Last played' }).fill('30');
  await previewSays('14 tracks'); // nothing played yet: every track
  await page.getByRole('combobox', { name: 'Field of rule 1' }).selectOption('starred');
  assert.equal(await rule(1).locator('input').count(), 0);
  await previewSays('0 tracks');
  await page.getByRole('combobox', { name: 'Field of rule 1' }).selectOption('year');
  await page.getByRole('combobox', { name: 'Condition of rule 1' }).selectOption('between');
  await page.getByRole('spinbutton', { name: 'Value 1 of Year' }).fill('2019');
  await page.getByRole('spinbutton', { name: 'Value 2 of Year' }).fill('2021');
  await previewSays('6 tracks');

  // What the server refuses is said in the preview, in words.
  await page.getByRole('spinbutton', { name: 'At most (tracks)' }).fill('0');
  await previewSays('Not valid yet: limit must be between 1 and 10000');
  await page.getByRole('button', { name: 'Remove rule 1' }).click();
  await page.getByRole('spinbutton', { name: 'At most (tracks)' }).fill('');
  await previewSays('14 tracks');
});

test('the playlist list marks smart playlists, and their rules can be edited', async () => {
  await page.goto(`${server.url}/#/playlists`);
  const row = page.getByRole('list', { name: 'Playlists' }).locator('li', { hasText: 'Evening' });
  await row.getByText('Smart playlist').waitFor({ state: 'attached' });
  assert.equal(await row.locator('svg').count(), 1);
  await row.getByRole('link', { name: 'Evening' }).click();
  await page.getByRole('heading', { level: 1, name: 'Evening' }).waitFor();

  await page.getByRole('link', { name: 'Edit rules' }).click();
  await page.getByRole('heading', { level: 1, name: 'Edit rules' }).waitFor();
  assert.equal(await page.getByRole('textbox', { name: 'Value of Genre' }).inputValue(), 'chanson');
  await previewSays('4 tracks');
  await page.getByRole('button', { name: 'Remove rule 2' }).click();
  await previewSays('3 tracks');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { level: 1, name: 'Evening' }).waitFor();
  await waitFor(async () => (await page.locator('#main li.track').count()) === 3, 'three tracks after the edit');
});

test('an M3U file in the music folder becomes a playlist that lists its missing entry', async () => {
  writeFileSync(path.join(music, 'Aurora Quartet', 'morning.m3u8'),
    '#EXTM3U\r\n#PLAYLIST:Morning\r\n#EXTINF:3,Aurora Quartet - Dawn\r\nNorthern Lights/01 Dawn.mp3\r\nNorthern Lights/04 Lost.mp3\r\n');
  const started = await fetch(`${server.url}/api/v1/scan`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  assert.ok(started.ok, `scan: ${started.status}`);
  await new Promise((r) => setTimeout(r, 300));
  await waitForScan(server.url, token);

  await page.goto(`${server.url}/#/playlists`);
  await page.getByRole('link', { name: 'Morning' }).click();
  await page.getByRole('heading', { level: 1, name: 'Morning' }).waitFor();
  await waitFor(async () => (await page.locator('#main li.track').count()) === 1, 'the one track found');
  await page.getByText('1 entry of the playlist file matches no track').click();
  await page.getByText('Northern Lights/04 Lost.mp3').waitFor();

  const m3u = await fetch(`${server.url}/api/v1/playlists/${page.url().split('/').pop()}/m3u8`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(await m3u.text(), '#EXTM3U\n#PLAYLIST:Morning\n#EXTINF:3,Aurora Quartet - Dawn\nAurora Quartet/Northern Lights/01 Dawn.mp3\n');
});
