import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boardRows } from '../src/permit-board.js';

const ops = [{ code: 'hot_work', label: '动火' }, { code: 'height', label: '高处' }, { code: 'lifting', label: '吊装' }];

test('the board keeps the vocabulary order, zeros included, and labels levels by operation', () => {
  const body = {
    total: 5, working: 2, paused: 1, done: 1,
    by_operation: { hot_work: 2, lifting: 1 },
    by_level: [{ operation: 'hot_work', level: '一级', n: 2 }, { operation: 'height', level: 'II级', n: 1 }],
    enterprises: [{ company_code: 'PA', name: '企业PA', total: 4 }],
  };
  const rows = boardRows(body, ops);
  assert.deepEqual(rows.operations, [['hot_work', '动火', 2], ['height', '高处', 0], ['lifting', '吊装', 1]]);
  assert.deepEqual(rows.levels, [['动火 一级', 2], ['高处 II级', 1]]);
  assert.deepEqual(rows.summary.map(([k, , n]) => [k, n]), [['total', 5], ['working', 2], ['paused', 1], ['done', 1]]);
  assert.deepEqual(rows.enterprises, [['PA', '企业PA (4)']]);
});
