// What a listener keeps on the server, through the web player's OpenSubsonic seam: favourites,
// playlists and the play queue shared between devices. Its own server and browser; tests run in order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openSession, artifacts, createAdministrator, waitFor, closeSession } from './harness.js';

let server, browser, context, page, music;
const USER = 'admin', PASSWORD = 'admin-pass-1';

before(async () => {
  ({ music, server, browser, context, page } = await openSession());
  await createAdministrator(page, server.url, USER, PASSWORD);
});

after(async () => {
  await closeSession({ browser, server, music });
});

async function openAlbum(p, name) {
  await p.goto(`${server.url}/#/albums`);
  await p.getByRole('link', { name, exact: true }).click();
  await p.getByRole('heading', { level: 1, name }).waitFor();
}

const pressed = (locator) => locator.getAttribute('aria-pressed');

test('favourites: hearts on a track, an album and an artist persist across a reload and fill the Favourites page', async () => {
  await openAlbum(page, 'Northern Lights');
  const trackHeart = page.getByRole('button', { name: 'Favourite: Noon' });
  const albumHeart = page.getByRole('button', { name: 'Favourite: Northern Lights' });
  await waitFor(async () => (await pressed(trackHeart)) === 'false', 'the hearts to show their state');
  await trackHeart.click();
  await waitFor(async () => (await pressed(trackHeart)) === 'true', 'the track heart on');
  await albumHeart.click();
  await waitFor(async () => (await pressed(albumHeart)) === 'true', 'the album heart on');
  await page.getByRole('link', { name: 'Aurora Quartet' }).first().click();
  const artistHeart = page.getByRole('button', { name: 'Favourite: Aurora Quartet' });
  await artistHeart.click();
  await waitFor(async () => (await pressed(artistHeart)) === 'true', 'the artist heart on');

  await openAlbum(page, 'Northern Lights');
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Northern Lights' }).waitFor();
  await waitFor(async () => (await pressed(page.getByRole('button', { name: 'Favourite: Noon' }))) === 'true', 'Noon still a favourite after reload');
  assert.equal(await pressed(page.getByRole('button', { name: 'Favourite: Dawn' })), 'false');
  assert.equal(await pressed(page.getByRole('button', { name: 'Favourite: Northern Lights' })), 'true');

  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Favourites' }).click();
  await page.getByRole('heading', { level: 1, name: 'Favourites' }).waitFor();
  await page.locator('#main').getByRole('link', { name: 'Aurora Quartet' }).waitFor();
  await page.getByRole('region', { name: 'Albums' }).getByRole('link', { name: 'Northern Lights' }).waitFor();
  await page.getByRole('list', { name: 'Favourite tracks' }).getByRole('button', { name: 'Play: Noon' }).waitFor();
  await page.screenshot({ path: path.join(artifacts, 'favourites-1280.png') });
  // Un-hearting from the Favourites page reaches the server too.
  await page.getByRole('list', { name: 'Favourite tracks' }).getByRole('button', { name: 'Favourite: Noon' }).click();
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Favourites' }).waitFor();
  await page.locator('#main').getByRole('link', { name: 'Aurora Quartet' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Play: Noon' }).count(), 0);
});

test('favourites: a heart fills at once; a click while its save is out undoes it in order; a refusal puts it back', async () => {
  await openAlbum(page, 'Northern Lights');
  const dawn = page.getByRole('button', { name: 'Favourite: Dawn' });
  await waitFor(async () => (await pressed(dawn)) === 'false', 'Dawn not a favourite yet');
  // The star is held back by the network: the second click is made while it is out.
  const saves = /\/rest\/(un)?star\.view/;
  const sent = [];
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route(saves, async (route) => {
    sent.push(new URL(route.request().url()).pathname.split('/').pop());
    if (sent.length === 1) await held;
    await route.continue();
  });
  await dawn.click();
  assert.equal(await pressed(dawn), 'true', 'filled at once, before the server answered');
  await dawn.click();
  assert.equal(await pressed(dawn), 'false');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(sent, ['star.view'], 'the unstar waits for the star');
  release();
  await waitFor(async () => sent.length === 2, 'the unstar after the star');
  assert.deepEqual(sent, ['star.view', 'unstar.view']);
  await page.unroute(saves);
  // The server holds the last wish: Dawn is not among the favourites.
  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Favourites' }).click();
  await page.getByRole('heading', { level: 1, name: 'Favourites' }).waitFor();
  await page.getByRole('region', { name: 'Albums' }).getByRole('link', { name: 'Northern Lights' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Play: Dawn' }).count(), 0);

  // A refused save: the heart goes back to what the server holds, and says why.
  await page.route(saves, (route) => route.fulfill({ status: 200, contentType: 'application/json',
    body: JSON.stringify({ 'subsonic-response': { status: 'failed', version: '1.16.1', error: { code: 0, message: 'Refused by the test' } } }) }));
  await openAlbum(page, 'Northern Lights');
  await waitFor(async () => (await pressed(dawn)) === 'false', 'Dawn shown');
  await dawn.click();
  await page.locator('#toast').getByText('Refused by the test').waitFor();
  await waitFor(async () => (await pressed(dawn)) === 'false', 'the heart put back');
  await page.unroute(saves);
});

const playlistOrder = () => page.evaluate(() => [...document.querySelectorAll('#main li.track .track-title')].map((e) => e.textContent));

test('playlists: create, add from the track menu, reorder by drag and by keyboard, rename, remove, delete', async () => {
  await page.goto(`${server.url}/#/playlists`);
  await page.getByRole('heading', { level: 1, name: 'Playlists' }).waitFor();
  await page.fill('#pl-new', 'Road trip');
  await page.getByRole('button', { name: 'Create playlist' }).click();
  await page.getByRole('heading', { level: 1, name: 'Road trip' }).waitFor();
  await page.getByText('This playlist is empty').waitFor();

  await openAlbum(page, 'Northern Lights');
  for (const title of ['Dawn', 'Noon', 'Dusk']) {
    await page.getByRole('button', { name: `Actions for ${title}` }).click();
    await page.getByRole('menuitem', { name: 'Add to playlist…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add to playlist' });
    await dialog.getByRole('button', { name: 'Road trip' }).click();
    await dialog.waitFor({ state: 'detached' });
  }
  await page.goto(`${server.url}/#/playlists`);
  await page.getByRole('link', { name: 'Road trip' }).click();
  await page.getByRole('heading', { level: 1, name: 'Road trip' }).waitFor();
  await waitFor(async () => (await playlistOrder()).join() === 'Dawn,Noon,Dusk', 'three tracks in order');

  // The drag's save is held back by the network, so the keyboard move below is made before it is
  // saved: its own save must not overtake it, or the server would keep the drag's older order.
  const saves = /\/rest\/createPlaylist\.view/;
  let held = 0;
  await page.route(saves, async (route) => {
    if (held++ === 0) await new Promise((r) => setTimeout(r, 800));
    await route.continue();
  });
  // Drag Dusk onto Noon.
  await page.getByRole('button', { name: 'Drag to reorder Dusk' }).hover();
  await page.mouse.down();
  const to = await page.getByRole('button', { name: 'Drag to reorder Noon' }).boundingBox();
  await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 8 });
  await page.mouse.up();
  await waitFor(async () => (await playlistOrder()).join() === 'Dawn,Dusk,Noon', 'the dragged order');
  // Keyboard: arrow up on Noon's handle, focus follows the track.
  await page.getByRole('button', { name: 'Drag to reorder Noon' }).focus();
  await page.keyboard.press('ArrowUp');
  await waitFor(async () => (await playlistOrder()).join() === 'Dawn,Noon,Dusk', 'the keyboard order');
  await waitFor(async () => (await page.evaluate(() => document.activeElement.getAttribute('aria-label'))) === 'Drag to reorder Noon', 'focus on the moved handle');
  await page.getByText('Noon moved to position 2.').waitFor({ state: 'attached' });
  await page.unroute(saves);
  assert.equal(held, 2, 'both moves saved');
  // The latest order is the one on the server: it survives a reload.
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Road trip' }).waitFor();
  await waitFor(async () => (await playlistOrder()).join() === 'Dawn,Noon,Dusk', 'the saved order');

  await page.getByRole('button', { name: 'Rename' }).click();
  await page.fill('#pl-rename', 'Long road trip');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Long road trip' }).waitFor();
  await page.getByRole('button', { name: 'Remove Dawn' }).click();
  await waitFor(async () => (await playlistOrder()).join() === 'Noon,Dusk', 'Dawn removed');
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Long road trip' }).waitFor();
  await waitFor(async () => (await playlistOrder()).join() === 'Noon,Dusk', 'the removal saved');
  await page.screenshot({ path: path.join(artifacts, 'playlist-1280.png') });

  // Play it: the queue is the playlist.
  await page.locator('#main').getByRole('button', { name: 'Play', exact: true }).click();
  await waitFor(() => page.evaluate(() => window.sillon.player.track?.title === 'Noon'), 'Noon to play');
  await page.getByRole('button', { name: 'Pause' }).click();

  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Delete playlist' }).click();
  await page.getByRole('heading', { level: 1, name: 'Playlists' }).waitFor();
  await page.getByText('No playlists yet.').waitFor();
});

test('save the queue as a playlist', async () => {
  await openAlbum(page, 'Café du Port');
  await page.getByRole('button', { name: 'Add to queue' }).click();
  await page.goto(`${server.url}/#/queue`);
  await page.getByRole('button', { name: 'Save as playlist' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add to playlist' });
  await dialog.getByLabel('New playlist name').fill('From the queue');
  await dialog.getByRole('button', { name: 'Create with these tracks' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.goto(`${server.url}/#/playlists`);
  await page.getByRole('link', { name: 'From the queue' }).click();
  await page.getByRole('heading', { level: 1, name: 'From the queue' }).waitFor();
  await waitFor(async () => (await playlistOrder()).join() === 'Noon,Dusk,Matin,Marée,Soir', 'the queue, in order');
});

test('the play queue resumes on another device', async () => {
  // This device: a queue with Dusk current.
  await openAlbum(page, 'Northern Lights');
  await page.getByRole('button', { name: 'Play: Dusk' }).click();
  await waitFor(() => page.evaluate(() => window.sillon.player.track?.title === 'Dusk' && window.sillon.player.currentTime > 0.2), 'Dusk to play');
  await page.getByRole('button', { name: 'Pause' }).click();
  // Saved after a short debounce.
  const token = await page.evaluate(() => localStorage.getItem('sillon.token'));
  await waitFor(async () => {
    const keys = await (await fetch(`${server.url}/api/v1/me/apikeys`, { headers: { Authorization: `Bearer ${token}` } })).json();
    return keys.length > 0;
  }, 'the browser key');
  await page.waitForTimeout(2500);

  // Another device: a fresh browser context (no local queue) logs in and finds the same queue.
  const other = await browser.newContext({ viewport: { width: 360, height: 740 } });
  try {
    const phone = await other.newPage();
    phone.on('pageerror', (e) => console.error('phone page error:', e.message));
    await phone.goto(server.url);
    await phone.fill('#login-user', USER);
    await phone.fill('#login-pass', PASSWORD);
    await phone.getByRole('button', { name: 'Log in' }).click();
    await phone.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    await waitFor(() => phone.evaluate(() => window.sillon.player.queue.length === 3), 'the queue from the other device');
    const state = await phone.evaluate(() => ({
      titles: window.sillon.player.queue.items.map((e) => e.track.title), current: window.sillon.player.track?.title, paused: window.sillon.player.audio.paused,
      resumesAfterStart: window.sillon.player.currentTime >= 0.2, // where the first device paused
    }));
    assert.deepEqual(state, { titles: ['Dawn', 'Noon', 'Dusk'], current: 'Dusk', paused: true, resumesAfterStart: true });
    await phone.getByRole('region', { name: 'Player' }).getByText('Dusk').waitFor();
    // Play resumes it here.
    await phone.getByRole('region', { name: 'Player' }).getByRole('button', { name: 'Play', exact: true }).click();
    await waitFor(() => phone.evaluate(() => window.sillon.player.track?.title === 'Dusk' && !window.sillon.player.audio.paused), 'Dusk to play on the phone');
    await phone.screenshot({ path: path.join(artifacts, 'resumed-queue-360.png') });
  } finally {
    await other.close();
  }
});

test('home: a track heard to its end is reported (now playing first), and fills recently played and most played', async () => {
  const scrobbles = [];
  const reported = [];
  page.on('request', (r) => {
    if (r.url().includes('/rest/scrobble.view')) scrobbles.push(new URLSearchParams(r.postData() ?? '').get('submission'));
  });
  // Finished, not only sent: the home page read next must see the play.
  page.on('requestfinished', (r) => { if (r.url().endsWith('/api/v1/me/plays') && r.method() === 'POST') reported.push(JSON.parse(r.postData() ?? '{}')); });
  await openAlbum(page, 'Café du Port');
  // Marée heard to its end: Soir follows, and Marée's play is reported with the time heard.
  await page.getByRole('button', { name: 'Play: Marée' }).click();
  await waitFor(() => reported.some((p) => p.msPlayed > 1500), 'a play reported', 15000);
  assert.equal(scrobbles[0], 'false', `"now playing" first: ${scrobbles}`);
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.goto(`${server.url}/#/`);
  await page.getByRole('region', { name: 'Recently played' }).getByRole('link', { name: 'Café du Port' }).waitFor();
  await page.getByRole('region', { name: 'Most played' }).getByRole('link', { name: 'Café du Port' }).waitFor();
  await page.getByRole('region', { name: 'Favourite albums' }).getByRole('link', { name: 'Northern Lights' }).waitFor();
  await page.screenshot({ path: path.join(artifacts, 'home-mine-1280.png'), fullPage: true });
});

test('ratings: stars on an album and a track, by click and by keyboard, kept by the server', async () => {
  await openAlbum(page, 'Northern Lights');
  const albumStars = page.getByRole('radiogroup', { name: 'Rating of Northern Lights' });
  const savedFour = page.waitForResponse((r) => r.url().includes('/rest/setRating') && new URLSearchParams(r.request().postData() ?? '').get('rating') === '4');
  await albumStars.getByRole('radio', { name: '4 stars' }).click();
  const dawn = page.getByRole('radiogroup', { name: 'Rating of Dawn' });
  // One tab stop: the first star while unrated; arrows move the rating and the focus.
  await dawn.getByRole('radio', { name: '1 star' }).focus();
  // The page saves one rating at a time: wait for the server to answer the last one before reloading
  // (waitForLoadState('networkidle') returns at once once the page has been idle since loading).
  const savedThree = page.waitForResponse((r) => r.url().includes('/rest/setRating') && new URLSearchParams(r.request().postData() ?? '').get('rating') === '3');
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  await waitFor(async () => (await dawn.getByRole('radio', { name: '3 stars' }).getAttribute('aria-checked')) === 'true', 'three stars');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), '3 stars');
  await Promise.all([savedFour, savedThree]);
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Northern Lights' }).waitFor();
  const checked = (group) => group.locator('[aria-checked="true"]').getAttribute('aria-label');
  assert.equal(await checked(page.getByRole('radiogroup', { name: 'Rating of Northern Lights' })), '4 stars');
  assert.equal(await checked(page.getByRole('radiogroup', { name: 'Rating of Dawn' })), '3 stars');
  assert.equal(await page.getByRole('radiogroup', { name: 'Rating of Noon' }).locator('[aria-checked="true"]').count(), 0);
  // Clicking the current star clears it.
  const cleared = page.waitForResponse((r) => r.url().includes('/rest/setRating') && new URLSearchParams(r.request().postData() ?? '').get('rating') === '0');
  await page.getByRole('radiogroup', { name: 'Rating of Northern Lights' }).getByRole('radio', { name: '4 stars' }).click();
  await cleared;
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Northern Lights' }).waitFor();
  assert.equal(await page.getByRole('radiogroup', { name: 'Rating of Northern Lights' }).locator('[aria-checked="true"]').count(), 0);
});

test('synced lyrics come from getLyricsBySongId and follow the music', async () => {
  const asked = [];
  page.on('request', (r) => { if (r.url().includes('/rest/getLyricsBySongId.view')) asked.push(r.url()); });
  await openAlbum(page, 'Café du Port');
  await page.getByRole('button', { name: 'Play: Matin' }).click();
  await page.getByRole('button', { name: 'Lyrics' }).click();
  await waitFor(async () => (await page.locator('.lyrics li[aria-current]').count()) > 0, 'a current lyric line');
  await waitFor(async () => (await page.locator('.lyrics li[aria-current]').textContent()) === 'Second line', 'the second line at 1 s');
  assert.ok(asked.length > 0, 'asked the OpenSubsonic API');
  await page.getByRole('button', { name: 'Lyrics' }).click();
  await page.evaluate(() => window.sillon.player.pause());
});

test('browse by genre, by decade and by folder; an artist page lists top tracks', async () => {
  await page.goto(`${server.url}/#/albums`);
  await page.getByRole('navigation', { name: 'Browse' }).getByRole('link', { name: 'Genres' }).click();
  await page.getByRole('heading', { level: 1, name: 'Genres' }).waitFor();
  await page.getByRole('link', { name: 'Chanson' }).click();
  await page.getByRole('heading', { level: 1, name: 'Chanson' }).waitFor();
  await page.getByRole('list', { name: 'Chanson' }).getByRole('link', { name: 'Café du Port' }).waitFor();
  assert.equal(await page.getByRole('list', { name: 'Chanson' }).getByRole('link', { name: 'Northern Lights' }).count(), 0);

  await page.getByRole('navigation', { name: 'Browse' }).getByRole('link', { name: 'Years' }).click();
  await page.getByRole('heading', { level: 1, name: 'Years' }).waitFor();
  await page.getByRole('navigation', { name: 'Decades' }).getByRole('link', { name: '2010s' }).click();
  await page.getByRole('list', { name: '2010s' }).getByRole('link', { name: 'Café du Port' }).waitFor();
  assert.equal(await page.getByRole('list', { name: '2010s' }).getByRole('link', { name: 'Northern Lights' }).count(), 0);

  await page.getByRole('navigation', { name: 'Browse' }).getByRole('link', { name: 'Folders' }).click();
  await page.getByRole('heading', { level: 1, name: 'Folders' }).waitFor();
  await page.getByRole('link', { name: 'Aurora Quartet' }).click();
  await page.getByRole('heading', { level: 1, name: 'Aurora Quartet' }).waitFor();
  await page.getByRole('link', { name: 'Northern Lights' }).click();
  await page.getByRole('heading', { level: 1, name: 'Northern Lights' }).waitFor();
  await page.getByRole('button', { name: 'Play: Noon' }).click();
  await waitFor(() => page.evaluate(() => window.sillon.player.track?.title === 'Noon'), 'Noon to play from its folder');
  await page.evaluate(() => window.sillon.player.pause());

  // Top tracks: the most played first (Marée was heard to its end earlier).
  await page.goto(`${server.url}/#/albums`);
  await page.getByRole('link', { name: 'Café du Port', exact: true }).click();
  await page.locator('.hero').getByRole('link', { name: 'Éloïse Martin' }).click();
  const top = page.getByRole('list', { name: 'Top tracks' });
  await top.waitFor();
  const titles = await top.locator('.track-title').allTextContents();
  assert.equal(titles[0], 'Marée', titles.join());
  assert.equal(titles.length, 3);
});

test('admin: create a user with a bitrate limit, change it, delete them', async () => {
  await page.goto(`${server.url}/#/admin`);
  const panel = page.getByRole('region', { name: 'Users' });
  await panel.getByText('admin', { exact: true }).waitFor();
  await page.fill('#new-user', 'guest');
  await page.fill('#new-user-pass', 'guest-pass-1');
  await page.selectOption('#new-user-rate', '128');
  await panel.getByRole('button', { name: 'Create user' }).click();
  await panel.getByText('User guest created.').waitFor();
  const rate = panel.getByLabel('Maximum bitrate of guest');
  await waitFor(async () => (await rate.inputValue()) === '128', 'the limit shown');
  await rate.selectOption('320');
  await panel.getByText('guest saved.').waitFor();
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Administration' }).waitFor();
  await waitFor(async () => (await page.getByLabel('Maximum bitrate of guest').inputValue().catch(() => '')) === '320', 'the new limit kept');
  // The guest can log in (their account exists) — checked through the REST API.
  const login = await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'guest', password: 'guest-pass-1' }) });
  assert.equal(login.status, 200);
  page.once('dialog', (d) => d.accept());
  await page.getByRole('region', { name: 'Users' }).getByRole('button', { name: 'Delete guest' }).click();
  await page.getByText('User guest deleted.').waitFor();
  await waitFor(async () => (await page.getByRole('button', { name: 'Delete guest' }).count()) === 0, 'guest gone');
  await page.screenshot({ path: path.join(artifacts, 'admin-users-1280.png'), fullPage: true });
});
