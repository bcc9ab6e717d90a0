// Podcasts: the channels, a channel's episodes with a native <audio> each (the listener's position is
// restored and saved on the server), and for administrators subscribing, refreshing and downloads.
import { api, session } from './api.js';
import { t } from './i18n.js';
import { h, toast } from './ui.js';
import { duration } from './format.js';

const heading = (text, ...extra) => h('header.page-head', {}, h('h1', { tabIndex: -1 }, text), ...extra);
const admin = () => !!session.user?.isAdmin;

export async function podcastsPage(main) {
  const channels = await api.podcasts();
  const parts = [heading(t('browse.podcasts'))];
  if (admin()) {
    const url = h('input', { id: 'pod-url', type: 'url', required: true, placeholder: 'https://…' });
    const message = h('p', { role: 'status', 'aria-live': 'polite' });
    const form = h('form.panel.form', {}, h('label', { for: 'pod-url' }, t('podcasts.url')), url, message,
      h('button.btn.primary', { type: 'submit' }, t('podcasts.subscribe')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      message.classList.remove('error');
      try { const c = await api.subscribePodcast(url.value.trim()); location.hash = `#/podcast/${c.id}`; }
      catch (err) { message.classList.add('error'); message.textContent = t('podcasts.feedError', { error: err.message }); }
    });
    parts.push(form);
  }
  parts.push(channels.length === 0 ? h('p.empty', {}, t('podcasts.none'))
    : h('ul.rows.static', { 'aria-label': t('browse.podcasts') }, channels.map((c) => h('li.row', {},
      h('a.grow', { href: `#/podcast/${c.id}` }, c.title ?? c.url),
      c.status === 'error' ? h('span.muted', {}, t('podcasts.status.error', { error: c.error ?? '' })) : null))));
  main.replaceChildren(...parts);
}

export async function podcastPage(main, params, ctx) {
  const id = params.get('id');
  let stopped = false, timer = 0, shown = '';

  // While an episode downloads, poll; redraw only when something changed, so a playing <audio> is left alone.
  async function render() {
    if (stopped) return;
    const { channel, episodes } = await api.podcast(id);
    if (stopped) return;
    const state = JSON.stringify([channel, episodes.map((e) => [e.id, e.status])]);
    if (state !== shown) { shown = state; draw(channel, episodes); }
    clearTimeout(timer);
    if (episodes.some((e) => e.status === 'downloading')) timer = setTimeout(() => render().catch(() => {}), 2000);
  }
  const act = (fn) => async () => { try { await fn(); } catch (err) { toast(t('error', { message: err.message })); } shown = ''; await render(); };

  function row(e) {
    const controls = [];
    if (e.status === 'completed') {
      const audio = h('audio', { controls: true, preload: 'none', src: api.episodeUrl(e.id), 'aria-label': e.title });
      let saved = e.positionMs ?? 0;
      audio.addEventListener('loadedmetadata', () => { if (saved > 0) audio.currentTime = saved / 1000; }, { once: true });
      audio.addEventListener('play', () => ctx.player?.pause());
      const save = () => {
        const ms = Math.floor(audio.currentTime * 1000);
        if (Math.abs(ms - saved) < 1000) return;
        saved = ms;
        api.saveEpisodePosition(e.id, ms).catch(() => {});
      };
      audio.addEventListener('pause', save);
      audio.addEventListener('timeupdate', () => { if (Math.abs(audio.currentTime * 1000 - saved) > 15000) save(); });
      controls.push(audio);
      if (admin()) controls.push(h('button.btn', { type: 'button', onclick: act(() => api.deleteEpisode(e.id)) }, t('podcasts.delete')));
    } else if (admin() && e.status !== 'downloading') {
      controls.push(h('button.btn', { type: 'button', onclick: act(() => api.downloadEpisode(e.id)) }, t('podcasts.download')));
    }
    return h('li.episode', {},
      h('h2', {}, e.title),
      h('p.muted', {}, [e.publishedAt?.slice(0, 10), e.duration ? duration(e.duration) : null].filter(Boolean).join(' · ')),
      e.description ? h('p', {}, e.description) : null,
      h('div.actions', {}, h('span.muted', {}, t(`podcasts.status.${e.status}`, { error: e.error ?? '' })), ...controls));
  }

  function draw(channel, episodes) {
    const actions = admin() ? h('div.actions', {},
      h('button.btn', { type: 'button', onclick: act(() => api.refreshPodcast(id)) }, t('podcasts.refresh')),
      h('button.btn', { type: 'button', onclick: async () => { await api.deletePodcast(id); location.hash = '#/podcasts'; } }, t('podcasts.unsubscribe'))) : null;
    main.replaceChildren(...[heading(channel.title ?? channel.url, actions),
      channel.description ? h('p', {}, channel.description) : null,
      channel.status === 'error' ? h('p.error', { role: 'alert' }, t('podcasts.status.error', { error: channel.error ?? '' })) : null,
      h('ul.episodes', {}, episodes.map(row))].filter(Boolean));
  }

  await render();
  return () => { stopped = true; clearTimeout(timer); };
}
