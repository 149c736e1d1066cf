import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barOption, lineOption, pieOption, stackOption } from '../src/charts.js';

test('a line per series, the busiest first, days as month-day', () => {
  const o = lineOption({ days: ['2026-12-07', '2026-12-08'], series: [{ name: '金山区', counts: [1, 2] }, { name: '浦东新区', counts: [5, 9] }] }, { top: 1 });
  assert.deepEqual(o.xAxis.data, ['12-07', '12-08']);
  assert.deepEqual(o.series.map((s) => [s.name, s.data]), [['浦东新区', [5, 9]]]);
});

test('bars keep the rows order; horizontal ones put the labels on the y axis', () => {
  const o = barOption([['甲', 3], ['乙', 1]], { horizontal: true });
  assert.deepEqual(o.yAxis.data, ['甲', '乙']);
  assert.deepEqual(o.series[0].data, [3, 1]);
});

test('stacks drop members with nothing to show; pies carry names and values', () => {
  const o = stackOption(['1月', '2月'], [{ name: '动火', data: [1, 0] }, { name: '动土', data: [0, 0] }]);
  assert.deepEqual(o.series.map((s) => s.name), ['动火']);
  assert.deepEqual(pieOption([['流动', 2]]).series[0].data, [{ name: '流动', value: 2 }]);
});
