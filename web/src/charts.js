// Charts by Apache ECharts (the convention of Chinese supervision platforms), bundled and served from this server:
// only the parts the pages use (line, bar, pie; canvas). The option builders are pure (node --test): data in, an
// ECharts option out; `mount` draws one and keeps it for the page's test facade (its series, not its pixels).

import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { t } from './i18n.js';

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent, CanvasRenderer]);

/** The two grounds: the desk's light page and the wall's dark one. */
export const THEMES = {
  light: { text: '#24292f', muted: '#57606a', line: '#d0d7de', palette: ['#0969da', '#cf222e', '#1a7f37', '#bf8700', '#8250df', '#bc4c00', '#1b7c83', '#6e7781'] },
  dark: { text: '#e6edf3', muted: '#8b949e', line: '#30363d', palette: ['#58a6ff', '#ff7b72', '#7ee787', '#e3b341', '#d2a8ff', '#ffa657', '#39c5cf', '#8b949e'] },
};

function base(theme) {
  const th = THEMES[theme] || THEMES.light;
  return {
    color: th.palette,
    textStyle: { color: th.text, fontFamily: 'inherit' },
    tooltip: { trigger: 'axis' },
    grid: { left: 40, right: 16, top: 36, bottom: 28, containLabel: true },
    legend: { top: 0, textStyle: { color: th.muted }, type: 'scroll' },
  };
}

function axes(theme, categories) {
  const th = THEMES[theme] || THEMES.light;
  return {
    xAxis: { type: 'category', data: categories, axisLine: { lineStyle: { color: th.line } }, axisLabel: { color: th.muted } },
    yAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { color: th.line } }, axisLabel: { color: th.muted } },
  };
}

/** Lines over days: {days: [...], series: [{name, counts}]} (the start-up trend); the top `top` series by total. */
export function lineOption({ days, series }, { theme = 'light', top = 8 } = {}) {
  const ranked = [...series].sort((a, b) => sum(b.counts) - sum(a.counts)).slice(0, top);
  return {
    ...base(theme),
    ...axes(theme, days.map((d) => d.slice(5))),
    series: ranked.map((s) => ({ type: 'line', name: s.name, data: s.counts, smooth: true, symbolSize: 5 })),
  };
}

/** Bars of named counts: [[label, n], ...]; horizontal for long labels. */
export function barOption(rows, { theme = 'light', horizontal = false, name = '' } = {}) {
  const labels = rows.map(([label]) => label);
  const values = rows.map(([, n]) => n);
  const o = { ...base(theme), tooltip: { trigger: 'axis' }, series: [{ type: 'bar', name, data: values, barMaxWidth: 28 }] };
  const a = axes(theme, labels);
  if (!horizontal) return { ...o, ...a, legend: { show: false } };
  return { ...o, legend: { show: false }, grid: { ...o.grid, left: 8 }, xAxis: a.yAxis, yAxis: { ...a.xAxis, inverse: true } };
}

/** Stacked bars: categories on the axis, one series per stack member ({name, data}). */
export function stackOption(categories, stacks, { theme = 'light' } = {}) {
  return {
    ...base(theme),
    ...axes(theme, categories),
    series: stacks.filter((s) => sum(s.data) > 0).map((s) => ({ type: 'bar', stack: 'all', name: s.name, data: s.data, barMaxWidth: 28 })),
  };
}

/** A ring of shares: [[label, n], ...]. */
export function pieOption(rows, { theme = 'light' } = {}) {
  return {
    ...base(theme),
    tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
    legend: { ...base(theme).legend, bottom: 0, top: 'auto' },
    series: [{ type: 'pie', radius: ['40%', '68%'], center: ['50%', '45%'], data: rows.map(([name, value]) => ({ name, value })),
      label: { color: (THEMES[theme] || THEMES.light).text, formatter: '{b}\n{c}' } }],
  };
}

function sum(a) {
  return a.reduce((x, y) => x + y, 0);
}

const drawn = new Map();

/** Draw `option` in `node` (once per node; later calls replace the option), known to the tests by `id`. */
export function mount(id, node, option) {
  let chart = drawn.get(id)?.chart;
  if (!chart) {
    chart = echarts.init(node, null, { renderer: 'canvas' });
    new ResizeObserver(() => chart.resize()).observe(node);
  }
  const empty = !(option.series || []).some((s) => (s.data || []).some((d) => (d?.value ?? d) > 0));
  const title = empty ? { text: t('noData'), left: 'center', top: 'middle', textStyle: { color: '#8b949e', fontSize: 14, fontWeight: 'normal' } } : { show: false };
  chart.setOption({ ...option, title }, true);
  node.dataset.empty = String(empty);
  drawn.set(id, { chart, option });
  node.dataset.chart = id;
  return chart;
}

/** What the tests read: each chart's series as drawn (names and data), by id. */
export function describeCharts() {
  const out = {};
  for (const [id, { chart }] of drawn) {
    const o = chart.getOption();
    out[id] = { series: (o.series || []).map((s) => ({ type: s.type, name: s.name ?? '', data: (s.data || []).map((d) => (d && typeof d === 'object' ? d.value : d)) })),
      categories: o.xAxis?.[0]?.data ?? o.yAxis?.[0]?.data ?? [] };
  }
  return out;
}
