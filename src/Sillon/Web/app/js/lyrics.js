// Synced lyrics: LRC text ("[01:02.50]words", several stamps per line, [offset:+/-ms]).

const STAMP = /\[(\d{1,3}):(\d{1,2}(?:[.:]\d{1,3})?)\]/g;

/** Lines sorted by time: [{time, text}], or null when the text has no time stamps (plain lyrics). */
export function parseLrc(text) {
  if (!text) return null;
  let offset = 0;
  const lines = [];
  for (const raw of text.split(/\r?\n/)) {
    const off = raw.match(/^\[offset:\s*([+-]?\d+)\]/i);
    if (off) { offset = Number(off[1]) / 1000; continue; }
    const times = [];
    let rest = raw, m;
    STAMP.lastIndex = 0;
    while ((m = STAMP.exec(raw)) !== null) {
      times.push(Number(m[1]) * 60 + Number(m[2].replace(':', '.')));
      rest = raw.slice(STAMP.lastIndex);
    }
    for (const t of times) lines.push({ time: t, text: rest.trim() });
  }
  if (!lines.length) return null;
  // A positive offset shows lines earlier (LRC convention).
  for (const l of lines) l.time = Math.max(0, l.time - offset);
  return lines.sort((a, b) => a.time - b.time);
}

/** Index of the line sung at `time` (binary search), -1 before the first one. */
export function lineAt(lines, time) {
  let lo = 0, hi = lines.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (lines[mid].time <= time) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return found;
}

/**
 * OpenSubsonic getLyricsBySongId's structuredLyrics → synced lines for lineAt, or plain text.
 * A synced version wins; its offset (ms, positive: lines show sooner) is applied like LRC's.
 */
export function fromStructured(list) {
  if (!Array.isArray(list) || !list.length) return { lines: null, text: null };
  const synced = list.find((l) => l.synced && l.line?.length);
  if (synced) {
    const offset = Number(synced.offset) || 0;
    const lines = synced.line.map((l) => ({ time: Math.max(0, ((Number(l.start) || 0) - offset) / 1000), text: l.value ?? '' }));
    return { lines: lines.sort((a, b) => a.time - b.time), text: null };
  }
  const text = (list[0].line ?? []).map((l) => l.value ?? '').join('\n');
  return { lines: null, text: text.trim() ? text : null };
}
