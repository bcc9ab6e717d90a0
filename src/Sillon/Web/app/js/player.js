// The audio engine: two <audio> elements, the queue, the gapless hand-over and the Media Session.
// State changes are announced as 'change' events (the player bar and queue view listen).
import { Queue, REPEAT } from './queue.js';
import { preloadTarget, handoff, startDelay, GapMeter } from './gapless.js';
import { streamParams } from './quality.js';
import { api } from './api.js';

const QUEUE_KEY = 'sillon.queue';
const VOLUME_KEY = 'sillon.volume';
const QUALITY_KEY = 'sillon.quality';

export class Player extends EventTarget {
  constructor() {
    super();
    this.queue = Queue.fromJSON(JSON.parse(localStorage.getItem(QUEUE_KEY) || 'null'));
    this.elements = [new Audio(), new Audio()];
    this.elements.forEach((a, i) => {
      a.preload = 'auto';
      a.dataset.role = `deck-${i}`;
      a.hidden = true;
      document.body.append(a);
      for (const type of ['play', 'pause', 'timeupdate', 'durationchange', 'volumechange', 'playing', 'ended', 'error', 'waiting'])
        a.addEventListener(type, (e) => this.#onMedia(a, e));
    });
    this.active = 0;
    this.version = 0; // bumped on every change of the queue or of its current item
    this.activeKey = null; // queue key loaded in the active element
    this.standbyKey = null; // queue key loaded in the standby element
    this.gaps = new GapMeter();
    this.quality = localStorage.getItem(QUALITY_KEY) || 'original';
    const saved = JSON.parse(localStorage.getItem(VOLUME_KEY) || '{"volume":1,"muted":false}');
    this.elements.forEach((a) => { a.volume = saved.volume; a.muted = saved.muted; });
    this.resumeAt = Number(localStorage.getItem(`${QUEUE_KEY}.time`)) || 0;
    this.#setupMediaSession();
    window.addEventListener('pagehide', () => this.#saveTime());
  }

  get audio() { return this.elements[this.active]; }
  get standby() { return this.elements[1 - this.active]; }
  get track() { return this.queue.current; }
  get playing() { return this.activeKey !== null && !this.audio.paused; }
  get currentTime() { return this.activeKey === null ? this.resumeAt : this.audio.currentTime; }
  get duration() {
    const d = this.audio.duration;
    return Number.isFinite(d) && d > 0 && this.activeKey !== null ? d : this.track?.duration ?? 0;
  }

  // ---- queue commands ---------------------------------------------------------------------------
  playNow(tracks, start = 0) { this.queue.playNow(tracks, start); this.#load(true); }
  playNext(tracks) { const empty = !this.queue.length; this.queue.playNext(tracks); empty ? this.#load(true) : this.#changed(); }
  add(tracks) { const empty = !this.queue.length; this.queue.add(tracks); empty ? this.#load(true) : this.#changed(); }
  move(from, to) { if (this.queue.move(from, to)) this.#changed(); }
  remove(i) {
    const wasCurrent = i === this.queue.index;
    if (!this.queue.remove(i)) return;
    if (wasCurrent) this.#load(this.playing); else this.#changed();
  }
  clear() { this.queue.clear(); this.#stopAll(); this.#changed(); }
  /** Take a queue saved elsewhere (another device) without starting it: play resumes at `position`. */
  restore(tracks, start = 0, position = 0) {
    this.#stopAll();
    this.queue.playNow(tracks, start);
    this.resumeAt = position;
    this.#changed();
  }
  jump(i) { if (this.queue.jump(i)) this.#load(true); }
  next() { if (this.queue.advance(false)) this.#load(true); }
  previous() {
    if (this.currentTime > 3) { this.seek(0); return; }
    if (this.queue.back()) this.#load(true);
  }
  setShuffle(on) { this.queue.setShuffle(on); this.#changed(); }
  cycleRepeat() { this.queue.cycleRepeat(); this.#changed(); }

  // ---- transport --------------------------------------------------------------------------------
  toggle() { this.playing ? this.pause() : this.play(); }
  play() {
    if (!this.track) return;
    if (this.activeKey !== this.queue.currentKey) { this.#load(true); return; }
    this.audio.play().catch((e) => this.#playFailed(e));
  }
  pause() { this.audio.pause(); }
  seek(seconds) {
    if (this.activeKey === null) { this.resumeAt = seconds; this.#changed(); return; }
    this.audio.currentTime = Math.max(0, Math.min(seconds, this.duration || seconds));
  }
  seekBy(delta) { this.seek(this.currentTime + delta); }
  setVolume(v) { this.elements.forEach((a) => { a.volume = Math.max(0, Math.min(1, v)); if (v > 0) a.muted = false; }); }
  toggleMute() { const m = !this.audio.muted; this.elements.forEach((a) => { a.muted = m; }); }
  setQuality(q) {
    this.quality = q;
    localStorage.setItem(QUALITY_KEY, q);
    this.standbyKey = null;
    this.standby.removeAttribute('src');
  }

  urlFor(track) {
    return api.streamUrl(track.id, streamParams(track, this.quality, (mime) => this.audio.canPlayType(mime) !== ''));
  }

  // ---- internals --------------------------------------------------------------------------------
  #load(autoplay) {
    this.#disarm();
    const entry = this.queue.items[this.queue.index];
    if (!entry) { this.#stopAll(); this.#changed(); return; }
    if (entry.key === this.standbyKey) return this.#swap(autoplay);
    const a = this.audio;
    this.standby.pause();
    a.src = this.urlFor(entry.track);
    this.activeKey = entry.key;
    if (this.resumeAt) { a.currentTime = this.resumeAt; this.resumeAt = 0; }
    if (autoplay) a.play().catch((e) => this.#playFailed(e));
    this.#changed();
  }

  /** Make the standby the active element. `overlap`: let the old one play out its last milliseconds. */
  #swap(autoplay, overlap = false) {
    this.#disarm();
    const old = this.audio;
    this.active = 1 - this.active;
    this.activeKey = this.standbyKey;
    this.standbyKey = null;
    if (autoplay) this.audio.play().catch((e) => this.#playFailed(e));
    const retire = () => { if (old !== this.audio) { old.pause(); old.removeAttribute('src'); old.load(); } };
    if (overlap) setTimeout(retire, 250); else retire();
    this.#changed();
  }

  // The early start: timeupdate comes every ~250 ms, too coarse; near the end a timer starts the
  // standby START_AHEAD_MS before the active track ends, so the browser's start-up latency falls
  // inside the old track's last milliseconds instead of making a gap. 'ended' stays the fallback.
  #arm() {
    if (this.armed) return;
    const a = this.audio;
    const ready = this.standbyKey !== null && this.queue.peekNext()?.key === this.standbyKey && this.standby.readyState >= 3;
    const delay = startDelay({ duration: a.duration, currentTime: a.currentTime, playbackRate: a.playbackRate, standbyReady: ready, paused: a.paused });
    if (delay === null) return;
    const key = this.activeKey;
    this.armed = setTimeout(() => {
      this.armed = 0;
      if (this.activeKey !== key || this.audio.paused || this.queue.peekNext()?.key !== this.standbyKey) return;
      this.queue.advance(true);
      this.#swap(true, true);
    }, delay);
  }

  #disarm() {
    clearTimeout(this.armed);
    this.armed = 0;
  }

  #stopAll() {
    for (const a of this.elements) { a.pause(); a.removeAttribute('src'); }
    this.activeKey = this.standbyKey = null;
  }

  #playFailed(e) {
    if (e?.name === 'AbortError') return; // superseded by another load
    this.dispatchEvent(new CustomEvent('failed', { detail: this.track }));
  }

  #onMedia(a, e) {
    if (a !== this.audio) return; // the standby is silent until it takes over
    switch (e.type) {
      case 'ended': {
        this.gaps.ended();
        const decision = handoff({ next: this.queue.peekNext(), standbyKey: this.standbyKey });
        if (decision.action === 'stop') { this.#changed(); return; }
        this.queue.advance(true);
        if (decision.action === 'swap') this.#swap(true);
        else this.#load(true);
        return;
      }
      case 'playing': {
        const gap = this.gaps.playing();
        if (gap !== null) this.lastGap = gap;
        break;
      }
      case 'timeupdate': this.#maybePreload(); this.#arm(); this.#positionState(); break;
      case 'pause': case 'seeking': this.#disarm(); break;
      case 'error': if (a.getAttribute('src')) this.#playFailed(a.error); break;
      case 'volumechange': localStorage.setItem(VOLUME_KEY, JSON.stringify({ volume: a.volume, muted: a.muted })); break;
    }
    this.dispatchEvent(new Event(e.type === 'timeupdate' ? 'time' : 'change'));
  }

  #maybePreload() {
    const next = preloadTarget({ duration: this.duration, currentTime: this.audio.currentTime, next: this.queue.peekNext(), standbyKey: this.standbyKey });
    if (!next) return;
    // Repeat one: the "next" entry is the one playing; the standby holds a second copy of it.
    this.standby.src = this.urlFor(next.track);
    this.standby.load();
    this.standbyKey = next.key;
  }

  #changed() {
    // The standby may now hold something that no longer comes next: it is re-checked on timeupdate.
    if (this.standbyKey !== null && this.queue.peekNext()?.key !== this.standbyKey) {
      this.standbyKey = null;
      this.standby.removeAttribute('src');
    }
    this.version++;
    localStorage.setItem(QUEUE_KEY, JSON.stringify(this.queue));
    this.#saveTime();
    this.#mediaMetadata();
    this.dispatchEvent(new Event('change'));
  }

  #saveTime() { localStorage.setItem(`${QUEUE_KEY}.time`, String(Math.floor(this.currentTime))); }

  #setupMediaSession() {
    if (!('mediaSession' in navigator)) return;
    const ms = navigator.mediaSession;
    const handlers = {
      play: () => this.play(), pause: () => this.pause(),
      previoustrack: () => this.previous(), nexttrack: () => this.next(),
      seekbackward: (d) => this.seekBy(-(d.seekOffset || 10)), seekforward: (d) => this.seekBy(d.seekOffset || 10),
      seekto: (d) => this.seek(d.seekTime), stop: () => this.pause(),
    };
    for (const [action, fn] of Object.entries(handlers)) {
      try { ms.setActionHandler(action, fn); } catch { /* unsupported action */ }
    }
  }

  #mediaMetadata() {
    if (!('mediaSession' in navigator)) return;
    const t = this.track;
    navigator.mediaSession.metadata = t ? new MediaMetadata({
      title: t.title, artist: t.artist, album: t.album,
      artwork: t.coverArt ? [256, 512].map((s) => ({ src: api.coverUrl(t.coverArt, s), sizes: `${s}x${s}` })) : [],
    }) : null;
  }

  #positionState() {
    if (!('mediaSession' in navigator) || !navigator.mediaSession.setPositionState) return;
    const duration = this.duration;
    if (!(duration > 0)) return;
    try {
      navigator.mediaSession.setPositionState({ duration, position: Math.min(this.audio.currentTime, duration), playbackRate: this.audio.playbackRate });
    } catch { /* position past a transcode's estimate */ }
  }
}

export { REPEAT };
