// node --test: the special-equipment list's pure parts (web/src/equipment-list.js) and the card's distances
// (web/src/equipment.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bars, filterQuery } from '../src/equipment-list.js';
import { distanceText } from '../src/equipment.js';

test('the filters leave out what is empty, for the list and its files alike', () => {
  assert.deepEqual(filterQuery({ kind: 'elevator', monitoring: '', upkeep: 'inspection_overdue', q: null }),
    { kind: 'elevator', upkeep: 'inspection_overdue' });
});

test('month bars are shares of the busiest month', () => {
  assert.deepEqual(bars([{ period: '2026-01', total: 2 }, { period: '2026-02', total: 8 }]).map((b) => b.share), [0.25, 1]);
  assert.deepEqual(bars([{ period: '2026-03', total: 0 }]).map((b) => b.share), [0]);
});

test('distances in metres below a kilometre, else in kilometres', () => {
  assert.equal(distanceText(846.4), '846 m');
  assert.equal(distanceText(1234), '1.2 km');
  assert.equal(distanceText(null), '');
});
