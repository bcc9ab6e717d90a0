// Strings live in one file per language (strings/en.js, strings/fr.js). English is the fallback.
import en from './strings/en.js';
import fr from './strings/fr.js';

export const LANGUAGES = { en, fr };
const KEY = 'sillon.lang';

export function pickLanguage(saved, preferred = []) {
  if (saved && LANGUAGES[saved]) return saved;
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (LANGUAGES[base]) return base;
  }
  return 'en';
}

let lang = pickLanguage(globalThis.localStorage?.getItem(KEY), globalThis.navigator?.languages ?? []);

export const language = () => lang;
export function setLanguage(code) {
  lang = pickLanguage(code);
  localStorage.setItem(KEY, lang);
  document.documentElement.lang = lang;
}

/** t('albums.count', {n: 3}) → the string with {n} replaced. */
export function t(key, vars) {
  let s = LANGUAGES[lang][key] ?? en[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ''));
  return s;
}

/** Counted strings: 'albums.count' with {n}, or 'albums.count.one' for one (French: 0 and 1). */
export function tn(key, n, vars = {}) {
  const one = lang === 'fr' ? n <= 1 : n === 1;
  const k = one && (LANGUAGES[lang][`${key}.one`] ?? en[`${key}.one`]) ? `${key}.one` : key;
  return t(k, { ...vars, n });
}
