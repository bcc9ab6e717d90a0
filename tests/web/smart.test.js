import { test } from 'node:test';
import assert from 'node:assert/strict';

// smart.js imports api.js, which reads localStorage when loaded.
globalThis.localStorage = { getItem: () => null, setItem: () => {}, removeItem: () => {} };
const { valueKind, newRule, adjustRule, toRules, fromRules } = await import('../../src/Sillon/Web/app/js/smart.js');

const fields = [
  { name: 'genre', type: 'text', operators: ['is', 'isNot', 'contains'] },
  { name: 'year', type: 'number', operators: ['is', 'gt', 'lt', 'between'] },
  { name: 'lastplayed', type: 'date', operators: ['inTheLast', 'notInTheLast', 'before', 'between'] },
  { name: 'starred', type: 'boolean', operators: ['isTrue', 'isFalse'] },
];

test('the value widget follows the field type and the operator', () => {
  assert.equal(valueKind('text', 'contains'), 'text');
  assert.equal(valueKind('number', 'gt'), 'number');
  assert.equal(valueKind('number', 'between'), 'numberPair');
  assert.equal(valueKind('date', 'notInTheLast'), 'days');
  assert.equal(valueKind('date', 'before'), 'date');
  assert.equal(valueKind('date', 'between'), 'datePair');
  assert.equal(valueKind('boolean', 'isTrue'), 'none');
});

test('changing the field keeps an operator that still applies and resets one that does not', () => {
  assert.deepEqual(newRule('year', fields), { field: 'year', operator: 'is', value: '' });
  assert.deepEqual(adjustRule({ field: 'year', operator: 'is', value: '1999' }, fields), { field: 'year', operator: 'is', value: '1999' });
  assert.deepEqual(adjustRule({ field: 'starred', operator: 'is', value: 'x' }, fields), { field: 'starred', operator: 'isTrue', value: '' });
  assert.deepEqual(adjustRule({ field: 'year', operator: 'between', value: '1990' }, fields), { field: 'year', operator: 'between', value: ['1990', ''] });
  assert.deepEqual(adjustRule({ field: 'year', operator: 'gt', value: ['1990', '2000'] }, fields), { field: 'year', operator: 'gt', value: '1990' });
});

test('form state becomes the rules JSON the server takes, with numbers as numbers', () => {
  const state = {
    match: 'any', sort: 'random', direction: 'asc', limit: '100',
    rules: [
      { field: 'genre', operator: 'is', value: 'Rock' },
      { field: 'year', operator: 'between', value: ['1990', '1999'] },
      { field: 'lastplayed', operator: 'notInTheLast', value: '30' },
      { field: 'starred', operator: 'isTrue', value: '' },
    ],
  };
  assert.deepEqual(toRules(state, fields), {
    match: 'any',
    rules: [
      { field: 'genre', operator: 'is', value: 'Rock' },
      { field: 'year', operator: 'between', value: [1990, 1999] },
      { field: 'lastplayed', operator: 'notInTheLast', value: 30 },
      { field: 'starred', operator: 'isTrue' },
    ],
    sort: { field: 'random' },
    limit: 100,
  });
  assert.equal(toRules({ ...state, limit: '', sort: '' }, fields).limit, undefined);
  assert.deepEqual(toRules({ ...state, sort: 'year', direction: 'desc' }, fields).sort, { field: 'year', direction: 'desc' });
});

test('saved rules load back into the form, except nested groups', () => {
  const saved = { match: 'all', rules: [{ field: 'year', operator: 'gt', value: 2000 }], sort: { field: 'year', direction: 'desc' }, limit: 50 };
  assert.deepEqual(toRules(fromRules(saved), fields), saved);
  assert.equal(fromRules({ rules: [{ match: 'any', rules: [] }] }), null);
});
