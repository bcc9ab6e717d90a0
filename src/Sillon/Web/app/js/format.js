// Small pure helpers shared by the views.

export function duration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) seconds = 0;
  const s = Math.floor(seconds % 60), m = Math.floor(seconds / 60) % 60, h = Math.floor(seconds / 3600);
  const ss = String(s).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Case- and diacritics-insensitive form for searching ("Beyoncé" → "beyonce"). */
export function fold(text) {
  return (text ?? '').normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
}

/** The A–Z index letter of a name: "#" for digits and symbols. */
export function letterOf(name) {
  const c = fold(name).trim().charAt(0).toUpperCase();
  return c >= 'A' && c <= 'Z' ? c : '#';
}

/** Cover sizes the server caches: the smallest bucket that covers the displayed pixels. */
export function coverSize(cssPixels, dpr = 1) {
  const want = cssPixels * dpr;
  for (const s of [64, 128, 256, 512, 1024]) if (s >= want) return s;
  return 1024;
}
