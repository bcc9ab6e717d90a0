// Decisions of the gapless player, kept apart from the <audio> elements so they can be tested.
// The player owns two elements: the active one plays, the standby one holds the next track,
// already loaded, so that when the active one ends the standby starts at once.

/** Seconds before the end of the current track at which the next one is loaded. */
export const PRELOAD_LEAD = 30;

/**
 * Which queue entry the standby element should hold now, or null to leave it alone.
 * `next` is the entry that plays when the current track ends ({key, track}) or null;
 * `standbyKey` is the key the standby already holds.
 */
export function preloadTarget({ duration, currentTime, next, standbyKey, lead = PRELOAD_LEAD }) {
  if (!next) return null;
  if (next.key === standbyKey) return null;
  const total = Number.isFinite(duration) && duration > 0 ? duration : null;
  // Unknown length (a live transcode): load early rather than risk a gap.
  if (total === null || total - currentTime <= lead) return next;
  return null;
}

/**
 * When the active track ends: hand over to the standby if it holds exactly the entry that
 * should play next (the queue may have changed since it was loaded); otherwise load afresh.
 */
export function handoff({ next, standbyKey, standbyReady }) {
  if (!next) return { action: 'stop' };
  if (next.key === standbyKey) return { action: 'swap', ready: !!standbyReady };
  return { action: 'load', entry: next };
}

/** How long before the end the standby is started, to absorb the browser's start-up latency. */
export const START_AHEAD_MS = 10;
/** From this many seconds before the end, a timer (more precise than timeupdate) is armed. */
export const ARM_WITHIN = 0.45;

/**
 * Milliseconds to wait before starting the standby so that it begins just as the active track
 * ends, or null when it is too early to arm (or the standby is not ready).
 */
export function startDelay({ duration, currentTime, playbackRate = 1, standbyReady, paused }) {
  if (!standbyReady || paused || !Number.isFinite(duration) || duration <= 0) return null;
  const remaining = duration - currentTime;
  if (remaining > ARM_WITHIN || remaining <= 0) return null;
  return Math.max(0, (remaining * 1000) / (playbackRate || 1) - START_AHEAD_MS);
}

/** Measures hand-over gaps (ms between "ended" and the next "playing"), for diagnostics and tests. */
export class GapMeter {
  constructor(now = () => performance.now()) {
    this.now = now;
    this.endedAt = null;
    this.gaps = [];
  }
  ended() { this.endedAt = this.now(); }
  playing() {
    if (this.endedAt === null) return null;
    const gap = this.now() - this.endedAt;
    this.endedAt = null;
    this.gaps.push(gap);
    if (this.gaps.length > 50) this.gaps.shift();
    return gap;
  }
}
