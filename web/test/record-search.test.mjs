import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordQuery } from '../src/record-search.js';

test('days are Shanghai days, the last one included; empty codes left out', () => {
  const q = recordQuery({ since: '2026-12-01', until: '2026-12-07', enterprise: ' SCIP001 ', region: '' });
  assert.equal(q.since, '2026-11-30T16:00:00.000Z');
  assert.equal(q.until, '2026-12-07T16:00:00.000Z');
  assert.equal(q.enterprise, 'SCIP001');
  assert.equal('region' in q, false);
});

test('without days, the last week up to now', () => {
  const q = recordQuery({ since: '', until: '', enterprise: '', region: '' });
  const span = new Date(q.until) - new Date(q.since);
  assert.equal(span, 7 * 86400_000);
});
