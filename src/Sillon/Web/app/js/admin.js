// The admin page: the library (scan now, live progress over Server-Sent Events), its music
// folders, statistics, and users (state, roles, bitrate).
import { api, ApiError, subsonic, session } from './api.js';
import { t, tn } from './i18n.js';
import { h, toast } from './ui.js';
import { heading } from './views.js';
import { scanFeed } from './scanfeed.js';

export function admin(main, _params) {
  const status = h('p', { role: 'status', 'aria-live': 'polite' }, t('loading'));
  const bar = h('progress', { max: 1, value: 0, 'aria-label': t('admin.library') });
  const last = h('p.muted');
  const stats = h('dl.stats');
  const scan = h('button.btn.primary', { type: 'button', onclick: () => start(false) }, t('admin.scan'));
  const full = h('button.btn', { type: 'button', onclick: () => start(true) }, t('admin.fullScan'));
  const library = h('section.panel', { 'aria-labelledby': 'adm-lib' }, h('h2', { id: 'adm-lib' }, t('admin.library')), h('div.actions', {}, scan, full), bar, status, last);
  const folders = foldersPanel();
  main.replaceChildren(heading(t('admin.title')),
    library,
    folders.panel,
    h('section.panel', { 'aria-labelledby': 'adm-stats' }, h('h2', { id: 'adm-stats' }, t('admin.stats')), stats),
    usersPanel());
  const stat = (k, v) => [h('dt', {}, k), h('dd', {}, String(v))];
  let current = null;
  function show(s) {
    current = s;
    scan.disabled = full.disabled = s.scanning;
    if (s.scanning) {
      const parts = [t('admin.progress', { done: s.filesProcessed, found: s.filesFound, rate: s.filesPerSecond })];
      if (s.etaSeconds !== null && s.etaSeconds !== undefined) parts.push(t('admin.eta', { s: Math.ceil(s.etaSeconds) }));
      status.textContent = `${t('admin.scanning', { phase: s.phase })} — ${parts.join(' · ')}`;
      bar.max = Math.max(1, s.filesFound);
      bar.value = s.filesProcessed;
      bar.hidden = false;
    } else {
      status.textContent = t('admin.idle');
      bar.hidden = true;
    }
    const l = s.lastScan;
    last.textContent = l ? t('admin.last', { status: l.status, seconds: l.seconds.toFixed(1), added: l.added, updated: l.updated, removed: l.removed, unchanged: l.unchanged }) : '';
    if (s.tracks || !s.scanning) stats.replaceChildren(...stat(t('admin.tracks'), s.tracks), ...stat(t('admin.albums'), s.albums), ...stat(t('admin.artists'), s.artists), ...systemStats);
  }
  let systemStats = [];
  api.system().then((sys) => {
    const tc = sys.transcoding;
    systemStats = [...stat(t('admin.version'), sys.version),
      ...stat(t('admin.transcoding'), tc.available ? t('admin.transcoding.on', { running: tc.running, paused: tc.paused, active: tc.activeProcesses, max: tc.maxProcesses }) : t('admin.transcoding.off', { problem: tc.problem }))];
    if (current) show(current);
  }, () => {});
  // Live: the feed pushes progress while a scan runs; a finished scan refreshes the folders' counts.
  const feed = scanFeed({
    ticket: () => api.scanTicket(),
    poll: () => api.scanStatus(),
    onStatus: (s, name) => { show(s); if (name === 'summary') folders.render(); },
    onMode: (mode) => { library.dataset.feed = mode; },
  });
  async function start(fullScan) {
    try { show(await api.startScan(fullScan)); } catch (e) { toast(e instanceof ApiError && e.status === 409 ? t('admin.busy') : t('error', { message: e.message })); }
  }
  return () => feed.stop();
}

// Music folders: the configuration's (fixed) and those added here (removable). Adding one scans it.
function foldersPanel() {
  const list = h('ul.rows.static.folders', { 'aria-label': t('folders.title') });
  const message = h('p', { role: 'status' });
  const report = (text, error = false) => { message.classList.toggle('error', error); message.textContent = text; };
  const input = h('input', { id: 'new-folder', autocomplete: 'off', autocapitalize: 'none', spellcheck: false, placeholder: '/srv/music', required: true });
  const form = h('form.inline-form', {}, h('label', { for: 'new-folder' }, t('folders.path')), input,
    h('button.btn.primary', { type: 'submit' }, t('folders.add')));
  const panel = h('section.panel', { 'aria-labelledby': 'adm-folders' }, h('h2', { id: 'adm-folders' }, t('folders.title')),
    h('p.muted', {}, t('folders.intro')), list, form, message);
  async function render() {
    let folders;
    try { folders = await api.libraryFolders(); } catch (e) { report(t('error', { message: e.message }), true); return; }
    list.replaceChildren(...folders.map((f) => h('li.row.folder-row', {},
      h('span.grow', {}, h('code', {}, f.path), ' ',
        h('span.muted', {}, f.source === 'config' ? t('folders.fromConfig') : t('folders.added'), ' · ', tn('folders.tracks', f.tracks)),
        f.exists ? null : h('span.error', {}, ' · ', t('folders.missing'))),
      f.source === 'admin' ? h('button.btn', { type: 'button', onclick: () => remove(f) }, t('folders.remove', { path: f.path })) : null)));
  }
  async function remove(f) {
    if (!confirm(t('folders.confirmRemove', { path: f.path, n: f.tracks }))) return;
    try { await api.removeLibraryFolder(f.id); report(t('folders.removed', { path: f.path })); } catch (e) { report(t('error', { message: e.message }), true); }
    render();
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const path = input.value.trim();
    try {
      const added = await api.addLibraryFolder(path);
      report(t('folders.addedNow', { path: added.path }));
      form.reset();
      render();
    } catch (err) { report(t('error', { message: err.message }), true); }
  });
  render();
  return { panel, render };
}

// Users: the list and changes through /api/v1/users (state, roles, admin, bitrate); creating and
// deleting through OpenSubsonic createUser/deleteUser, shown when /rest answers.
const BITRATES = [0, 96, 128, 192, 256, 320];
const ROLES = ['stream', 'download', 'playlist', 'share', 'settings'];
function usersPanel() {
  const panel = h('section.panel.form', { 'aria-labelledby': 'adm-users', hidden: true });
  const list = h('ul.rows.static.users', { 'aria-label': t('users.title') });
  const message = h('p', { role: 'status' });
  const report = (text, error = false) => { message.classList.toggle('error', error); message.textContent = text; };
  const attempt = async (work, done) => {
    try { await work(); report(done); return true; }
    catch (err) { report(t('error', { message: err.message }), true); return false; }
  };
  const patch = (name, body) => attempt(() => api.updateUser(name, body), t('users.saved', { name }));
  const bitrateSelect = (id, value, onchange) => h('select', { id, onchange },
    BITRATES.map((b) => h('option', { value: b, selected: b === (value ?? 0) }, b ? t('users.kbps', { n: b }) : t('users.noLimit'))));
  async function render() {
    let users;
    try { users = await api.users(); } catch { return; }
    panel.hidden = false;
    list.replaceChildren(...users.map((u, i) => {
      const me = u.username.toLowerCase() === (session.user?.username ?? '').toLowerCase();
      const rate = bitrateSelect(`user-rate-${i}`, u.maxBitRate, () => patch(u.username, { maxBitRate: Number(rate.value) }));
      const admin = h('input', { type: 'checkbox', id: `user-admin-${i}`, checked: !!u.isAdmin, disabled: me, onchange: async () => {
        if (!(await patch(u.username, { isAdmin: admin.checked }))) admin.checked = !admin.checked;
        else render();
      } });
      // Checked = may log in. An administrator cannot lock themself out, so their own box is fixed.
      const enabled = h('input', { type: 'checkbox', id: `user-enabled-${i}`, checked: !u.disabled, disabled: me,
        'aria-label': t('users.enabledOf', { name: u.username }), onchange: async () => {
          if (!(await patch(u.username, { disabled: !enabled.checked }))) enabled.checked = !enabled.checked;
          else render();
        } });
      const roles = h('details.roles', {}, h('summary', {}, t('users.roles')),
        u.isAdmin ? h('p.muted', {}, t('users.adminRoles')) : null,
        ROLES.map((role) => {
          const box = h('input', { type: 'checkbox', id: `user-role-${role}-${i}`, checked: !!u.roles[role] || u.isAdmin, disabled: u.isAdmin,
            onchange: async () => { if (!(await patch(u.username, { roles: { [role]: box.checked } }))) box.checked = !box.checked; } });
          return h('label.inline', { for: box.id }, box, ' ', t(`users.role.${role}`));
        }));
      return h('li.row.user-row', { dataset: { user: u.username } },
        h('span.grow', {}, u.username, u.disabled ? h('span.badge', {}, ' ', t('users.disabled')) : null),
        h('label.inline', { for: `user-enabled-${i}` }, enabled, ' ', t('users.enabled')),
        h('label.inline', { for: `user-admin-${i}` }, admin, ' ', t('users.admin')),
        h('label.sr-only', { for: `user-rate-${i}` }, t('users.maxBitRateOf', { name: u.username })), rate,
        me ? null : h('button.btn', { type: 'button', onclick: async () => {
          if (!confirm(t('users.confirmDelete', { name: u.username }))) return;
          if (await attempt(() => subsonic.call('deleteUser', { username: u.username }), t('users.deleted', { name: u.username }))) render();
        } }, t('users.delete', { name: u.username })),
        roles);
    }));
  }
  const name = h('input', { id: 'new-user', autocomplete: 'off', required: true, autocapitalize: 'none' });
  const pass = h('input', { id: 'new-user-pass', type: 'password', autocomplete: 'new-password', required: true });
  const admin = h('input', { id: 'new-user-admin', type: 'checkbox' });
  const rate = bitrateSelect('new-user-rate', 0);
  const form = h('form.user-form', { hidden: true },
    h('h3', {}, t('users.create')),
    h('label', { for: 'new-user' }, t('login.username')), name,
    h('label', { for: 'new-user-pass' }, t('login.password')), pass,
    h('label', { for: 'new-user-rate' }, t('users.maxBitRate')), rate,
    h('label.radio', {}, admin, t('users.admin')),
    h('button.btn.primary', { type: 'submit' }, t('users.create')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const username = name.value.trim();
    const created = await attempt(() => subsonic.call('createUser', { username, password: pass.value, adminRole: admin.checked, maxBitRate: rate.value, email: '' }),
      t('users.created', { name: username }));
    if (created) {
      form.reset();
      render();
    }
  });
  // Creating needs /rest (createUser); everything else works without it.
  subsonic.available().then((ok) => { form.hidden = !ok; }, () => {});
  panel.append(h('h2', { id: 'adm-users' }, t('users.title')), list, message, form);
  render();
  return panel;
}
