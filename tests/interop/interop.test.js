// Drives the built Sillon server with subsonic-api, a Subsonic client from npm that we did not
// write: token auth (md5 + salt, as most clients), form POST, API keys, browsing, search, stream
// with Range, star, scrobble, playlists and the play queue.
//
// Needs: the test project built (dotnet build tests/Sillon.Tests -c Release, or SILLON_DLL), ffmpeg.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import net from "node:net";
import SubsonicAPI from "subsonic-api";

const here = dirname(fileURLToPath(import.meta.url));
const dll = process.env.SILLON_DLL ?? join(here, "..", "Sillon.Tests", "bin", "Release", "net10.0", "sillon.dll");
const user = "interop";
const password = "interop-pass-1";
let root, server, url, api;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on("error", reject);
  });
}

function tone(path, tags) {
  mkdirSync(dirname(path), { recursive: true });
  const meta = Object.entries(tags).flatMap(([k, v]) => ["-metadata", `${k}=${v}`]);
  execFileSync("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
    "-c:a", "libmp3lame", "-b:a", "128k", "-id3v2_version", "3", ...meta, path]);
}

async function until(what, check, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    try { if (await check()) return; } catch { /* not up yet */ }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  assert.ok(existsSync(dll), `${dll} is missing: build the test project first`);
  root = mkdtempSync(join(tmpdir(), "sillon-interop-"));
  const music = join(root, "music"), data = join(root, "data");
  tone(join(music, "Sigur Rós", "Takk", "01 - Glósóli.mp3"), { title: "Glósóli", artist: "Sigur Rós", album_artist: "Sigur Rós", album: "Takk", track: "1", date: "2005", genre: "Post-Rock" });
  tone(join(music, "Sigur Rós", "Takk", "02 - Hoppípolla.mp3"), { title: "Hoppípolla", artist: "Sigur Rós", album_artist: "Sigur Rós", album: "Takk", track: "2", date: "2005", genre: "Post-Rock" });
  tone(join(music, "Beyoncé", "Dangerously in Love", "01 - Crazy in Love.mp3"), { title: "Crazy in Love", artist: "Beyoncé", album_artist: "Beyoncé", album: "Dangerously in Love", track: "1", date: "2003", genre: "R&B" });
  execFileSync("dotnet", [dll, "user", "add", user, "--admin", "--password-stdin", "--data", data], { input: password + "\n" });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = spawn("dotnet", [dll, "serve", "--music", music, "--data", data, "--urls", url], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  server.stdout.on("data", (d) => { log += d; });
  server.stderr.on("data", (d) => { log += d; });
  server.on("exit", (code) => { if (code) console.error(`sillon exited with ${code}\n${log}`); });
  api = new SubsonicAPI({ url, auth: { username: user, password } });
  await until("the first scan", async () => {
    const status = await api.getScanStatus();
    return status.status === "ok" && !status.scanStatus.scanning && status.scanStatus.count === 3;
  });
});

after(() => {
  server?.kill("SIGTERM");
  if (root) rmSync(root, { recursive: true, force: true });
});

test("ping with token auth and the OpenSubsonic envelope", async () => {
  const r = await api.ping();
  assert.equal(r.status, "ok");
  assert.equal(r.openSubsonic, true);
  assert.equal(r.type, "sillon");
  const ext = await api.getOpenSubsonicExtensions();
  assert.ok(ext.openSubsonicExtensions.some((e) => e.name === "formPost"));
});

test("wrong credentials are error 40", async () => {
  const bad = new SubsonicAPI({ url, auth: { username: user, password: "nope" } });
  const r = await bad.ping();
  assert.equal(r.status, "failed");
  assert.equal(r.error.code, 40);
});

test("form POST works like GET", async () => {
  const post = new SubsonicAPI({ url, auth: { username: user, password }, post: true });
  const r = await post.getArtists();
  assert.equal(r.status, "ok");
});

test("browse artists, artist, album and song", async () => {
  const artists = await api.getArtists();
  const all = artists.artists.index.flatMap((i) => i.artist);
  const sigur = all.find((a) => a.name === "Sigur Rós");
  assert.ok(sigur, JSON.stringify(artists));
  const artist = await api.getArtist({ id: sigur.id });
  assert.equal(artist.artist.album.length, 1);
  const album = await api.getAlbum({ id: artist.artist.album[0].id });
  assert.deepEqual(album.album.song.map((s) => s.title), ["Glósóli", "Hoppípolla"]);
  assert.ok(album.album.created instanceof Date);
  const song = await api.getSong({ id: album.album.song[0].id });
  assert.equal(song.song.artist, "Sigur Rós");
  const list = await api.getAlbumList2({ type: "alphabeticalByName" });
  assert.equal(list.albumList2.album.length, 2);
  const folders = await api.getIndexes();
  assert.equal(folders.status, "ok");
});

test("search matches prefixes without accents", async () => {
  const r = await api.search3({ query: "hoppi" });
  assert.deepEqual(r.searchResult3.song.map((s) => s.title), ["Hoppípolla"]);
  const everything = await api.search3({ query: "", songCount: 2, songOffset: 2 });
  assert.equal(everything.searchResult3.song.length, 1);
});

test("stream with Range and download", async () => {
  const r = await api.search3({ query: "crazy" });
  const id = r.searchResult3.song[0].id;
  const whole = await api.stream({ id });
  assert.equal(whole.status, 200);
  const size = (await whole.arrayBuffer()).byteLength;
  assert.equal(size, r.searchResult3.song[0].size);
  const ranged = new SubsonicAPI({
    url, auth: { username: user, password },
    fetch: (u, init) => fetch(u, { ...init, headers: { ...(init?.headers ?? {}), Range: "bytes=100-199" } }),
  });
  const part = await ranged.stream({ id });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get("content-range"), `bytes 100-199/${size}`);
  assert.equal((await part.arrayBuffer()).byteLength, 100);
  const dl = await api.download({ id });
  assert.equal(dl.status, 200);
});

test("star and unstar", async () => {
  const id = (await api.search3({ query: "glosoli" })).searchResult3.song[0].id;
  assert.equal((await api.star({ id })).status, "ok");
  const starred = await api.getStarred2();
  assert.deepEqual(starred.starred2.song.map((s) => s.id), [id]);
  assert.ok(starred.starred2.song[0].starred instanceof Date);
  await api.unstar({ id });
  assert.equal((await api.getStarred2()).starred2.song.length, 0);
});

test("scrobble: now playing, then a play", async () => {
  const id = (await api.search3({ query: "crazy" })).searchResult3.song[0].id;
  await api.scrobble({ id, submission: false });
  const now = await api.getNowPlaying();
  assert.ok(now.nowPlaying.entry.some((e) => e.id === id && e.username === user));
  await api.scrobble({ id, submission: true, time: Date.UTC(2024, 0, 2) });
  const song = await api.getSong({ id });
  assert.equal(song.song.playCount, 1);
});

test("playlists: create, read, update, delete", async () => {
  const songs = (await api.search3({ query: "" })).searchResult3.song.map((s) => s.id);
  const created = await api.createPlaylist({ name: "Interop", songId: songs.slice(0, 2) });
  const id = created.playlist.id;
  assert.equal(created.playlist.songCount, 2);
  await api.updatePlaylist({ playlistId: id, name: "Interop 2", songIdToAdd: [songs[2]], songIndexToRemove: [0] });
  const got = await api.getPlaylist({ id });
  assert.equal(got.playlist.name, "Interop 2");
  assert.deepEqual(got.playlist.entry.map((e) => e.id), [songs[1], songs[2]]);
  assert.ok((await api.getPlaylists()).playlists.playlist.some((p) => p.id === id));
  await api.deletePlaylist({ id });
  assert.equal((await api.getPlaylist({ id })).error.code, 70);
});

test("play queue round trip", async () => {
  const songs = (await api.search3({ query: "" })).searchResult3.song.map((s) => s.id);
  assert.equal((await api.savePlayQueue({ id: songs, current: songs[1], position: 4200 })).status, "ok");
  const q = await api.getPlayQueue();
  assert.deepEqual(q.playQueue.entry.map((e) => e.id), songs);
  assert.equal(q.playQueue.current, songs[1]);
  assert.equal(q.playQueue.position, 4200);
  assert.equal(q.playQueue.changedBy, "subsonic-api");
});

test("API key authentication", async () => {
  const login = await fetch(`${url}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: user, password }) });
  const { token } = await login.json();
  const created = await fetch(`${url}/api/v1/me/apikeys`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "interop" }) });
  assert.equal(created.status, 201);
  const { key } = await created.json();
  const keyed = new SubsonicAPI({ url, auth: { apiKey: key } });
  assert.equal((await keyed.ping()).status, "ok");
  const info = await keyed.customJSON("tokenInfo", {});
  assert.equal(info.tokenInfo.username, user);
  const bad = new SubsonicAPI({ url, auth: { apiKey: "0".repeat(64) } });
  assert.equal((await bad.ping()).error.code, 44);
});
