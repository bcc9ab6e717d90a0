// Shared by the browser tests: a generated, tagged library (ffmpeg), the real built server, and
// Debian's chromium driven by playwright-core (never a downloaded browser).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../..');
export const artifacts = path.join(here, 'artifacts');
const dll = path.join(repo, 'src/Sillon/bin/Release/net10.0/sillon.dll');

function ffmpeg(args) {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Writes one tagged audio file: a sine tone of `seconds` at `freq` Hz. */
export function tone(file, { seconds, freq, tags, noise = false }) {
  mkdirSync(path.dirname(file), { recursive: true });
  // Noise makes a lossless file big (about 1,000 kbps), so that quality limits have to transcode it.
  const source = noise
    ? ['-filter_complex', `sine=frequency=${freq}:sample_rate=44100:duration=${seconds}[a];anoisesrc=d=${seconds}:c=white:a=0.2:r=44100[b];[a][b]amix=inputs=2`]
    : ['-f', 'lavfi', '-i', `sine=frequency=${freq}:sample_rate=44100:duration=${seconds}`];
  const meta = Object.entries(tags).flatMap(([k, v]) => ['-metadata', `${k}=${v}`]);
  const codec = file.endsWith('.mp3') ? ['-c:a', 'libmp3lame', '-b:a', '128k'] : file.endsWith('.flac') ? ['-c:a', 'flac'] : ['-c:a', 'libvorbis', '-q:a', '2'];
  ffmpeg([...source, '-ac', '2', ...meta, ...codec, file]);
}

export function image(file, seed) {
  mkdirSync(path.dirname(file), { recursive: true });
  ffmpeg(['-f', 'lavfi', '-i', `gradients=s=300x300:seed=${seed}`, '-frames:v', '1', file]);
}

export const LRC = '[00:00.00]First line\n[00:01.00]Second line\n[00:02.00]Third line';

/** The library the tests browse: two full albums (gapless pairs) and a shelf of small ones. */
export function makeLibrary(root) {
  const a = path.join(root, 'Aurora Quartet/Northern Lights');
  ['Dawn', 'Noon', 'Dusk'].forEach((title, i) =>
    tone(path.join(a, `0${i + 1} ${title}.mp3`), { seconds: 3, freq: 330 + i * 110, tags: { title, artist: 'Aurora Quartet', album_artist: 'Aurora Quartet', album: 'Northern Lights', track: i + 1, date: 2021, genre: 'Ambient' } }));
  image(path.join(a, 'cover.jpg'), 3);
  const b = path.join(root, 'Éloïse Martin/Café du Port');
  ['Matin', 'Marée', 'Soir'].forEach((title, i) =>
    tone(path.join(b, `0${i + 1} ${title}.flac`), { seconds: 3, freq: 262 + i * 70, noise: true, tags: { title, artist: 'Éloïse Martin', album_artist: 'Éloïse Martin', album: 'Café du Port', track: i + 1, date: 2019, genre: 'Chanson', ...(i === 0 ? { lyrics: LRC } : {}) } }));
  image(path.join(b, 'cover.jpg'), 7);
  const names = ['Blue Hours', 'Paper Moons', 'Salt & Pepper', 'Orchard', 'Neon Rain', 'Low Tide', 'Glasshouse', 'Static Bloom'];
  names.forEach((album, i) => {
    const dir = path.join(root, `Various ${i % 3}/${album}`);
    tone(path.join(dir, '01 Intro.ogg'), { seconds: 1, freq: 200 + i * 40, tags: { title: `${album} intro`, artist: `Band ${String.fromCharCode(66 + i)}`, album_artist: `Band ${String.fromCharCode(66 + i)}`, album, track: 1, date: 2000 + i } });
    image(path.join(dir, 'cover.jpg'), 11 + i);
  });
}

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

/** Starts `sillon serve` on a free port over `music`, with a fresh data folder. */
export async function startServer(music) {
  if (!existsSync(dll)) execFileSync('dotnet', ['build', path.join(repo, 'src/Sillon'), '-c', 'Release'], { stdio: 'inherit' });
  const data = mkdtempSync(path.join(tmpdir(), 'sillon-e2e-data-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('dotnet', [dll, 'serve', '--music', music, '--data', data, '--urls', url], {
    env: { ...process.env, SILLON_LIBRARY__WATCH: 'false', SILLON_LIBRARY__SCANINTERVAL: '00:00:00', DOTNET_NOLOGO: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs = [];
  child.stdout.on('data', (d) => logs.push(String(d)));
  child.stderr.on('data', (d) => logs.push(String(d)));
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${url}/readyz`)).ok) break; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, data, logs,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => { child.once('exit', r); setTimeout(r, 5000); });
      rmSync(data, { recursive: true, force: true });
    },
  };
}

export async function waitForScan(url, token) {
  for (let i = 0; i < 300; i++) {
    const s = await (await fetch(`${url}/api/v1/scan`, { headers: { Authorization: `Bearer ${token}` } })).json();
    if (!s.scanning && s.lastScan) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('scan did not finish');
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run', '--autoplay-policy=no-user-gesture-required', '--disable-dev-shm-usage'],
  });
}

export function freshDir(prefix) { return mkdtempSync(path.join(tmpdir(), prefix)); }

/**
 * What every browser test file starts with: a generated library, the real server over it, and one
 * page of a fresh headless chromium (page errors echoed to the test output).
 */
export async function openSession(contextOptions = {}) {
  mkdirSync(artifacts, { recursive: true });
  const music = freshDir('sillon-e2e-music-');
  makeLibrary(music);
  const server = await startServer(music);
  const browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...contextOptions });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return { music, server, browser, context, page };
}

/** Polls fn until it returns something truthy and returns that, or fails naming what it waited for. */
export async function waitFor(fn, what, timeout = 10000) {
  const until = Date.now() + timeout;
  let last;
  while (Date.now() < until) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

/**
 * The first-run form of a fresh server: creates the administrator from the browser, waits for the
 * home page and for the first scan, and returns the bearer token the page keeps.
 */
export async function createAdministrator(page, url, user, password) {
  await page.goto(url);
  await page.getByRole('heading', { name: 'Welcome to Sillon' }).waitFor();
  await page.fill('#login-user', user);
  await page.fill('#login-pass', password);
  await page.fill('#login-confirm', password);
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
  const token = await page.evaluate(() => localStorage.getItem('sillon.token'));
  await waitForScan(url, token);
  return token;
}

/** Closes what openSession opened, and removes the generated library. */
export async function closeSession({ browser, server, music }) {
  await browser?.close();
  await server?.stop();
  if (music) rmSync(music, { recursive: true, force: true });
}
