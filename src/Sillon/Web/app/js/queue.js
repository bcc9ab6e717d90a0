// The play queue as plain data: no DOM, no audio, so node --test can drive it.
// Invariant: `items` is always the listening order; `index` points into it (-1 when empty).
// Shuffle reorders what comes after the current item and remembers the order it replaced,
// so turning shuffle off puts the upcoming items back where they were.

export const REPEAT = Object.freeze({ off: 'off', all: 'all', one: 'one' });

let nextKey = 1;
const entry = (track) => ({ key: nextKey++, track });

/** Fisher–Yates with an injectable random source (tests pass a seeded one). */
export function shuffled(array, random = Math.random) {
  const a = array.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

export class Queue {
  constructor({ random = Math.random } = {}) {
    this.random = random;
    this.items = [];
    this.index = -1;
    this.shuffle = false;
    this.repeat = REPEAT.off;
    this.unshuffled = null; // keys in the order before shuffling, while shuffle is on
  }

  get current() { return this.items[this.index]?.track ?? null; }
  get currentKey() { return this.items[this.index]?.key ?? null; }
  get length() { return this.items.length; }

  /** Replace the queue with these tracks and start at `start`. */
  playNow(tracks, start = 0) {
    this.items = tracks.map(entry);
    this.index = tracks.length ? Math.min(Math.max(start, 0), tracks.length - 1) : -1;
    this.unshuffled = null;
    if (this.shuffle) this.#shuffleUpcoming();
  }

  /** Insert right after the current item (or start playing them when the queue is empty). */
  playNext(tracks) {
    if (this.index < 0) return this.add(tracks);
    const added = tracks.map(entry);
    this.items.splice(this.index + 1, 0, ...added);
    if (this.unshuffled) {
      const at = this.unshuffled.indexOf(this.currentKey) + 1;
      this.unshuffled.splice(at, 0, ...added.map((e) => e.key));
    }
  }

  add(tracks) {
    const added = tracks.map(entry);
    this.items.push(...added);
    if (this.unshuffled) this.unshuffled.push(...added.map((e) => e.key));
    if (this.index < 0 && this.items.length) this.index = 0;
  }

  /** Move the item at `from` to position `to`; the current item stays current. */
  move(from, to) {
    const n = this.items.length;
    if (from < 0 || from >= n || to < 0 || to >= n || from === to) return false;
    const key = this.currentKey;
    const [moved] = this.items.splice(from, 1);
    this.items.splice(to, 0, moved);
    this.index = this.items.findIndex((e) => e.key === key);
    return true;
  }

  remove(i) {
    if (i < 0 || i >= this.items.length) return false;
    const [gone] = this.items.splice(i, 1);
    if (this.unshuffled) this.unshuffled = this.unshuffled.filter((k) => k !== gone.key);
    if (i < this.index) this.index--;
    else if (i === this.index && this.index >= this.items.length) this.index = this.items.length - 1;
    if (!this.items.length) this.index = -1;
    return true;
  }

  clear() {
    this.items = [];
    this.index = -1;
    this.unshuffled = null;
  }

  jump(i) {
    if (i < 0 || i >= this.items.length) return false;
    this.index = i;
    return true;
  }

  /** The index that follows the current one; `auto` is true when the current track simply ended. */
  nextIndex(auto = false) {
    if (this.index < 0) return -1;
    if (auto && this.repeat === REPEAT.one) return this.index;
    if (this.index + 1 < this.items.length) return this.index + 1;
    return this.repeat === REPEAT.off ? -1 : 0;
  }

  prevIndex() {
    if (this.index < 0) return -1;
    if (this.index > 0) return this.index - 1;
    return this.repeat === REPEAT.off ? 0 : this.items.length - 1;
  }

  /** What plays when the current track ends on its own: what the gapless player preloads. */
  peekNext() {
    const i = this.nextIndex(true);
    return i < 0 ? null : this.items[i];
  }

  advance(auto = false) {
    const i = this.nextIndex(auto);
    if (i < 0) return false;
    this.index = i;
    return true;
  }

  back() {
    const i = this.prevIndex();
    if (i < 0) return false;
    this.index = i;
    return true;
  }

  setShuffle(on) {
    if (on === this.shuffle) return;
    this.shuffle = on;
    if (on) this.#shuffleUpcoming();
    else this.#unshuffle();
  }

  cycleRepeat() {
    this.repeat = this.repeat === REPEAT.off ? REPEAT.all : this.repeat === REPEAT.all ? REPEAT.one : REPEAT.off;
    return this.repeat;
  }

  #shuffleUpcoming() {
    this.unshuffled = this.items.map((e) => e.key);
    const head = this.items.slice(0, this.index + 1);
    this.items = head.concat(shuffled(this.items.slice(this.index + 1), this.random));
  }

  #unshuffle() {
    if (!this.unshuffled) return;
    const key = this.currentKey;
    const byKey = new Map(this.items.map((e) => [e.key, e]));
    const restored = this.unshuffled.map((k) => byKey.get(k)).filter(Boolean);
    for (const e of this.items) if (!restored.includes(e)) restored.push(e);
    this.items = restored;
    this.index = this.items.findIndex((e) => e.key === key);
    this.unshuffled = null;
  }

  toJSON() {
    return {
      v: 1,
      tracks: this.items.map((e) => e.track),
      index: this.index,
      shuffle: this.shuffle,
      repeat: this.repeat,
      unshuffled: this.unshuffled && this.unshuffled.map((k) => this.items.findIndex((e) => e.key === k)),
    };
  }

  static fromJSON(data, options) {
    const q = new Queue(options);
    if (!data || data.v !== 1 || !Array.isArray(data.tracks)) return q;
    q.items = data.tracks.map(entry);
    q.index = q.items.length ? Math.min(Math.max(data.index | 0, 0), q.items.length - 1) : -1;
    q.shuffle = !!data.shuffle;
    q.repeat = Object.values(REPEAT).includes(data.repeat) ? data.repeat : REPEAT.off;
    if (q.shuffle && Array.isArray(data.unshuffled))
      q.unshuffled = data.unshuffled.map((i) => q.items[i]?.key).filter((k) => k !== undefined);
    return q;
  }
}
