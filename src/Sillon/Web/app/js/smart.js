// Smart playlists: the form editor (rule rows whose operator and value widgets follow the field's
// type, all/any, sort, limit, live preview) and the pure logic between its form state and the rules
// JSON the server takes (POST /api/v1/playlists/smart). The logic never touches the DOM (tests/web).
import { api } from './api.js';
import { t, tn } from './i18n.js';
import { h, icon, toast } from './ui.js';
import { duration } from './format.js';

/** What a value widget looks like for a field type and operator. */
export function valueKind(type, operator) {
  if (type === 'boolean') return 'none';
  if (type === 'text') return 'text';
  if (type === 'number') return operator === 'between' ? 'numberPair' : 'number';
  if (operator === 'inTheLast' || operator === 'notInTheLast') return 'days';
  return operator === 'between' ? 'datePair' : 'date';
}

/** A new rule row for a field: its first operator and an empty value. */
export function newRule(field, fields) {
  const f = fields.find((x) => x.name === field) ?? fields[0];
  return { field: f.name, operator: f.operators[0], value: valueKind(f.type, f.operators[0]).endsWith('Pair') ? ['', ''] : '' };
}

/** After the field or operator changed: keep what still fits, reset what does not. */
export function adjustRule(rule, fields) {
  const f = fields.find((x) => x.name === rule.field);
  if (!f) return newRule(fields[0].name, fields);
  const operator = f.operators.includes(rule.operator) ? rule.operator : f.operators[0];
  const pair = valueKind(f.type, operator).endsWith('Pair');
  let value = rule.value;
  if (pair && !Array.isArray(value)) value = [value ?? '', ''];
  if (!pair && Array.isArray(value)) value = value[0] ?? '';
  if (valueKind(f.type, operator) === 'none') value = '';
  return { field: f.name, operator, value };
}

const num = (v) => (v === '' || v === null || v === undefined || Number.isNaN(Number(v)) ? v : Number(v));

/** The form state as the server's rules JSON. Numbers become numbers; an empty limit means none. */
export function toRules(state, fields) {
  const rules = state.rules.map((r) => {
    const f = fields.find((x) => x.name === r.field);
    const kind = valueKind(f?.type ?? 'text', r.operator);
    const rule = { field: r.field, operator: r.operator };
    if (kind === 'number' || kind === 'days') rule.value = num(r.value);
    else if (kind === 'numberPair') rule.value = r.value.map(num);
    else if (kind === 'datePair' || kind === 'text' || kind === 'date') rule.value = r.value;
    return rule;
  });
  const out = { match: state.match, rules };
  if (state.sort) out.sort = state.sort === 'random' ? { field: 'random' } : { field: state.sort, direction: state.direction || 'asc' };
  if (state.limit !== '' && state.limit !== null && state.limit !== undefined) out.limit = Number(state.limit);
  return out;
}

/** Saved rules back into form state; null when they use nested groups, which the form does not edit. */
export function fromRules(rules) {
  if ((rules.rules ?? []).some((r) => r.rules || r.match)) return null;
  return {
    match: rules.match ?? 'all',
    rules: (rules.rules ?? []).map((r) => ({ field: r.field, operator: r.operator, value: r.value ?? '' })),
    sort: rules.sort?.field ?? '',
    direction: rules.sort?.direction ?? 'asc',
    limit: rules.limit ?? '',
  };
}

// ---- the editor page: #/smart (new) or #/smart/pl-3 ----------------------------------------------

export async function smartEditor(main, params) {
  const id = params.get('id');
  const [{ fields, maxLimit }, existing] = await Promise.all([api.smartFields(), id ? api.playlist(id) : null]);
  let state = { match: 'all', rules: [newRule('genre', fields)], sort: '', direction: 'asc', limit: '' };
  if (existing?.rules) {
    const loaded = fromRules(existing.rules);
    if (!loaded) {
      main.replaceChildren(h('header.page-head', {}, h('h1', { tabIndex: -1 }, existing.playlist.name)), h('p.empty', {}, t('smart.nested')));
      return;
    }
    state = loaded;
  }
  const label = (key) => t(`smart.field.${key}`);
  const name = h('input', { id: 'smart-name', maxLength: 500, required: true, autocomplete: 'off', value: existing?.playlist.name ?? '' });
  const isPublic = h('input', { id: 'smart-public', type: 'checkbox', checked: existing?.playlist.public ?? false });
  const match = h('select', { id: 'smart-match' }, ['all', 'any'].map((m) => h('option', { value: m, selected: state.match === m }, t(`smart.match.${m}`))));
  const rows = h('ol.smart-rules', { 'aria-label': t('smart.rules') });
  const sort = h('select', { id: 'smart-sort' }, h('option', { value: '' }, t('smart.sort.default')), h('option', { value: 'random', selected: state.sort === 'random' }, t('smart.sort.random')),
    fields.filter((f) => f.sortable).map((f) => h('option', { value: f.name, selected: state.sort === f.name }, label(f.name))));
  const direction = h('select', { id: 'smart-direction', 'aria-label': t('smart.direction') },
    ['asc', 'desc'].map((d) => h('option', { value: d, selected: state.direction === d }, t(`smart.direction.${d}`))));
  const limit = h('input', { id: 'smart-limit', type: 'number', min: 1, max: maxLimit, step: 1, inputMode: 'numeric', value: state.limit, placeholder: t('smart.noLimit') });
  const preview = h('p.smart-preview', { id: 'smart-preview', role: 'status', 'aria-live': 'polite' });
  const sample = h('ul.rows.static.smart-sample', { 'aria-label': t('smart.sample') });

  const read = () => ({ ...state, match: match.value, sort: sort.value, direction: direction.value, limit: limit.value });
  let timer = null, seq = 0;
  const refresh = () => {
    direction.hidden = !sort.value || sort.value === 'random';
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++seq;
      try {
        const result = await api.smartPreview(toRules(read(), fields));
        if (mine !== seq) return;
        preview.classList.remove('error');
        preview.textContent = `${tn('album.tracks', result.count)} · ${duration(result.duration)}`;
        sample.replaceChildren(...result.tracks.slice(0, 10).map((tr) => h('li.row', {}, h('span.grow', {}, tr.title), h('span.muted', {}, tr.artist))));
      } catch (err) {
        if (mine !== seq) return;
        preview.classList.add('error');
        preview.textContent = t('smart.invalid', { message: err.message });
        sample.replaceChildren();
      }
    }, 300);
  };

  function valueWidgets(rule, i, f) {
    const kind = valueKind(f.type, rule.operator);
    const set = (v) => { state.rules[i].value = v; refresh(); };
    const input = (props, value, onValue) => h('input', { ...props, value: value ?? '', oninput: (e) => onValue(e.target.value) });
    const aria = (n) => t(n ? 'smart.valueNOf' : 'smart.valueOf', { field: label(f.name), n });
    switch (kind) {
      case 'none': return [];
      case 'text': return [input({ type: 'text', 'aria-label': aria(''), maxLength: 500, dataset: { role: 'value' } }, rule.value, set)];
      case 'number': return [input({ type: 'number', step: 'any', 'aria-label': aria(''), dataset: { role: 'value' } }, rule.value, set)];
      case 'days': return [input({ type: 'number', min: 1, step: 1, 'aria-label': t('smart.daysOf', { field: label(f.name) }), dataset: { role: 'value' } }, rule.value, set), h('span', {}, t('smart.days'))];
      case 'date': return [input({ type: 'date', 'aria-label': aria(''), dataset: { role: 'value' } }, rule.value, set)];
      default: {
        const type = kind === 'numberPair' ? 'number' : 'date';
        const pair = Array.isArray(rule.value) ? rule.value : ['', ''];
        return [input({ type, step: 'any', 'aria-label': aria(1), dataset: { role: 'value' } }, pair[0], (v) => { pair[0] = v; set([v, pair[1]]); }),
          h('span', {}, t('smart.and')),
          input({ type, step: 'any', 'aria-label': aria(2), dataset: { role: 'value2' } }, pair[1], (v) => { pair[1] = v; set([pair[0], v]); })];
      }
    }
  }

  function renderRows(focusIndex) {
    rows.replaceChildren(...state.rules.map((rule, i) => {
      const f = fields.find((x) => x.name === rule.field);
      const field = h('select', { 'aria-label': t('smart.fieldOf', { n: i + 1 }), dataset: { role: 'field' }, onchange: (e) => {
        state.rules[i] = adjustRule({ ...rule, field: e.target.value }, fields); renderRows(i); refresh();
      } }, fields.map((x) => h('option', { value: x.name, selected: x.name === rule.field }, label(x.name))));
      const operator = h('select', { 'aria-label': t('smart.operatorOf', { n: i + 1 }), dataset: { role: 'operator' }, onchange: (e) => {
        state.rules[i] = adjustRule({ ...rule, operator: e.target.value }, fields); renderRows(i); refresh();
      } }, f.operators.map((o) => h('option', { value: o, selected: o === rule.operator }, t(`smart.op.${o}`))));
      const remove = h('button.icon-btn', { type: 'button', 'aria-label': t('smart.removeRule', { n: i + 1 }), onclick: () => {
        state.rules.splice(i, 1); renderRows(Math.min(i, state.rules.length - 1)); refresh();
      } }, icon('close'));
      return h('li.smart-rule', { dataset: { index: i } }, field, operator, valueWidgets(rule, i, f), remove);
    }));
    if (focusIndex !== undefined && focusIndex >= 0) rows.children[focusIndex]?.querySelector('select')?.focus();
  }

  const add = h('button.btn', { type: 'button', id: 'smart-add', onclick: () => {
    state.rules.push(newRule('genre', fields)); renderRows(state.rules.length - 1); refresh();
  } }, t('smart.addRule'));
  const form = h('form.panel.form.smart-form', { 'aria-labelledby': 'smart-title' },
    h('label', { for: 'smart-name' }, t('playlist.name')), name,
    h('div.smart-line', {}, h('label', { for: 'smart-match' }, t('smart.matchLabel')), match),
    rows, add,
    h('div.smart-line', {}, h('label', { for: 'smart-sort' }, t('smart.sort')), sort, direction),
    h('div.smart-line', {}, h('label', { for: 'smart-limit' }, t('smart.limit')), limit),
    h('div.smart-line', {}, isPublic, h('label', { for: 'smart-public' }, t('smart.public'))),
    preview, sample,
    h('button.btn.primary', { type: 'submit', id: 'smart-save' }, t('playlist.save')));
  for (const el of [match, sort, direction, limit]) el.addEventListener('input', refresh);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { name: name.value.trim(), public: isPublic.checked, rules: toRules(read(), fields) };
    try {
      const saved = id ? await api.updateSmart(id, body) : await api.createSmart(body);
      toast(t('smart.saved', { name: body.name }));
      location.hash = `#/playlist/${saved.playlist.id}`;
    } catch (err) { preview.classList.add('error'); preview.textContent = t('smart.invalid', { message: err.message }); }
  });
  main.replaceChildren(h('header.page-head', {}, h('h1', { id: 'smart-title', tabIndex: -1 }, id ? t('smart.edit') : t('smart.new'))), form);
  renderRows();
  refresh();
  return () => clearTimeout(timer);
}
