// Settings panel for scrobbling: link ListenBrainz with a token, Last.fm with its desktop flow
// (start → the listener allows Sillon on last.fm → finish), and what could not be sent, with why.
import { api } from './api.js';
import { t } from './i18n.js';
import { h } from './ui.js';

const NAMES = { listenbrainz: 'ListenBrainz', lastfm: 'Last.fm' };

export function scrobblingPanel() {
  const panel = h('section.panel.form', { 'aria-labelledby': 'set-scrobble', hidden: true });
  const body = h('div');
  const message = h('p', { role: 'status', 'aria-live': 'polite' });
  const say = (text, error = false) => { message.classList.toggle('error', error); message.textContent = text; };
  const attempt = (fn) => async () => {
    say('');
    try { await fn(); } catch (err) { say(t('error', { message: err.message }), true); }
    await render();
  };

  const linked = (service, user) => h('div.actions', {},
    h('span.grow', {}, t('scrobble.linkedAs', { service: NAMES[service], user: user ?? '?' })),
    h('button.btn', { type: 'button', onclick: attempt(() => api.unlinkScrobbling(service)) }, t('scrobble.unlink', { service: NAMES[service] })));

  function listenBrainz(s) {
    if (s.linked) return linked('listenbrainz', s.user);
    const token = h('input', { id: 'lb-token', type: 'password', autocomplete: 'off', maxLength: 200 });
    return h('div', {}, h('label', { for: 'lb-token' }, t('scrobble.lbToken')), token,
      h('button.btn', { type: 'button', onclick: attempt(() => api.linkListenBrainz(token.value.trim())) }, t('scrobble.lbLink')));
  }

  function lastFm(s) {
    if (!s.available) return h('p.muted', {}, t('scrobble.lfmUnavailable'));
    if (s.linked) return linked('lastfm', s.user);
    const finish = h('button.btn', { type: 'button', hidden: !s.pending, onclick: attempt(() => api.finishLastFm()) }, t('scrobble.lfmFinish'));
    const start = h('button.btn', { type: 'button', onclick: async () => {
      try {
        const { authorizeUrl } = await api.startLastFm();
        window.open(authorizeUrl, '_blank', 'noopener');
        say(t('scrobble.lfmOpened'));
        finish.hidden = false;
      } catch (err) { say(t('error', { message: err.message }), true); }
    } }, t('scrobble.lfmStart'));
    return h('div.actions', {}, start, finish);
  }

  async function render() {
    let s;
    try { s = await api.scrobbling(); } catch { return; } // a server without scrobbling: no panel
    panel.hidden = false;
    const failed = s.failed.length === 0 ? [] : [h('h3', {}, t('scrobble.failed')), h('ul', {},
      s.failed.map((f) => h('li', {}, t('scrobble.failedItem', { artist: f.artist, title: f.title, service: NAMES[f.service] ?? f.service, error: f.error ?? '' }))))];
    body.replaceChildren(listenBrainz(s.listenBrainz), lastFm(s.lastFm),
      h('p.muted', {}, t('scrobble.queue', { queued: s.queued, sent: s.sent })), ...failed);
  }

  panel.append(h('h2', { id: 'set-scrobble' }, t('scrobble.title')), h('p.muted', {}, t('scrobble.intro')), body, message);
  render();
  return panel;
}
