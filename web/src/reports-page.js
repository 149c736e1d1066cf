// The report page (/reports/) for supervisors and officers: the trends and boards the seeds count every week, each
// chart from the service's own aggregate APIs in the user's scope, drawn by ECharts; the records behind them with
// their files (CSV, XLSX). Chinese by default; days are the park's (Asia/Shanghai).

import './reports.css';
import { getJSON, url } from './api.js';
import { describeCharts, barOption, lineOption, mount, pieOption, stackOption } from './charts.js';
import { el, shanghaiTime } from './format.js';
import { setLang, t } from './i18n.js';
import { frame, netState } from './panels.js';
import { PermitBoard } from './permit-board.js';
import { recordQuery } from './record-search.js';
import { Vocabulary } from './vocab.js';

const me = JSON.parse(document.getElementById('me').textContent);
setLang(me.lang);
const vocab = new Vocabulary(me.vocabulary);
frame(me, null);
netState(new EventTarget()); // no stream on this page: the browser's own online state

const state = { days: 7, ready: new Set() };
window.__test = {
  /** Each chart's series as drawn (names and data) and its categories, by id. */
  charts: () => describeCharts(),
  /** The sections whose data arrived and were drawn. */
  ready: () => [...state.ready],
};

const grid = document.getElementById('report');

function section(id, title, ...extra) {
  const node = el('div', { class: 'chart', id: `chart-${id}` });
  const box = el('section', { class: 'card', 'data-section': id }, el('header', {}, el('h2', {}, title), ...extra), node);
  grid.append(box);
  return node;
}

function daysAgo(n) {
  return new Date(Date.now() - n * 86400_000).toISOString();
}

async function draw(id, node, load) {
  try {
    const option = await load();
    mount(id, node, option);
    state.ready.add(id);
  } catch (err) {
    node.replaceChildren(el('p', { class: 'error' }, `${t('loadFailed')}: ${err.message || err}`));
  }
}

// 1. Machine start-ups over 7 or 15 days, per district (seed 003).
const span = el('select', { 'data-days': '', onchange: (e) => { state.days = Number(e.target.value); startups(); } },
  el('option', { value: '7' }, t('rpDays7')), el('option', { value: '15' }, t('rpDays15')));
const startupNode = section('startups', t('rpStartups'), span);
const startups = () => draw('startups', startupNode, async () => lineOption(await getJSON('/api/trends/startups', { days: state.days })));

// 2. Alarms in the last 30 days: by type, by district, by day.
const since30 = daysAgo(30);
const alarmTypes = section('alarm-types', t('rpAlarmTypes'));
const alarmDistricts = section('alarm-districts', t('rpAlarmDistricts'));
const alarmDays = section('alarm-days', t('rpAlarmDays'));

// 3. Permits of the year by month and operation (seed 002), and today's board.
const permitMonths = section('permit-months', t('rpPermitMonths'));
const boardBox = el('section', { class: 'card', 'data-section': 'permit-board' }, el('header', {}, el('h2', {}, t('permitBoard'))));
grid.append(boardBox);
const board = new PermitBoard(el('div'), { vocab });
boardBox.append(board.container);

// 4. Special-equipment faults by month (seed 001).
const faults = section('faults', t('rpFaults'));

// 5. Certified welders (seeds 000, 003): mobility, age, issuing authority.
const welderMobility = section('welder-mobility', t('rpWelderMobility'));
const welderAges = section('welder-ages', t('rpWelderAges'));
const welderAuthorities = section('welder-authorities', t('rpWelderAuthorities'));

// 6. Inside and outside key areas over 7 days (seed 003).
const keyAreas = section('key-areas', t('rpKeyAreas'));

// 7. The records behind the counts, with their files.
const records = el('section', { class: 'card wide', 'data-section': 'records' }, el('header', {}, el('h2', {}, t('rpRecords'))));
grid.append(records);

// The records' search: a span of days, an enterprise's code and a region's code narrow both lists and their files.
const search = {
  since: el('input', { type: 'date', 'data-filter': 'since' }),
  until: el('input', { type: 'date', 'data-filter': 'until' }),
  enterprise: el('input', { type: 'search', placeholder: t('rpEnterprise'), 'data-filter': 'enterprise', size: 12 }),
  region: el('input', { type: 'search', placeholder: t('rpRegion'), 'data-filter': 'region', size: 10 }),
};
const recordsBody = el('div', { 'data-records': '' });
records.append(el('form', { class: 'record-search', onsubmit: (e) => { e.preventDefault(); recordLists(); } },
  search.since, '—', search.until, search.enterprise, search.region, el('button', { type: 'submit' }, t('rpSearch'))), recordsBody);

async function recordLists() {
  const values = Object.fromEntries(Object.entries(search).map(([k, input]) => [k, input.value]));
  const q = recordQuery(values);
  const files = (path) => ['csv', 'xlsx'].map((f) => el('a', { href: url(path, { ...q, f }), download: '' }, f.toUpperCase()));
  const failed = (err) => ({ error: err.message || String(err) });
  const [scans, work] = await Promise.all([
    getJSON('/api/records/scans', { ...q, limit: 10 }).catch(failed),
    getJSON('/api/records/key-area-work', { ...q, limit: 10 }).catch(failed),
  ]);
  const table = (head, rows) => el('table', { class: 'records' }, el('thead', {}, el('tr', {}, head.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c ?? '—'))))));
  const count = (b) => (b.error ? b.error : `${b.total}${b.total_more ? '+' : ''}`);
  recordsBody.replaceChildren(
    el('h3', {}, `${t('rpScans')} (`, el('span', { 'data-total': 'scans' }, count(scans)), ') ', ...files('/api/records/scans')),
    table([t('rpTime'), t('rpMachine'), t('rpWelder'), t('rpDecision'), t('rpVerdict')],
      (scans.scans || []).map((x) => [shanghaiTime(x.time), x.machine, x.operator_name || x.operator_id, x.decision_label, x.verdict_label])),
    el('h3', {}, `${t('rpKeyWork')} (`, el('span', { 'data-total': 'work' }, count(work)), ') ', ...files('/api/records/key-area-work')),
    table([t('rpArea'), t('rpMachine'), t('rpWelder'), t('rpStart'), t('rpMinutes')],
      (work.records || []).map((w) => [w.area, w.machine, w.operator_name, shanghaiTime(w.started_at), w.duration_min])),
  );
  state.ready.add('records');
}

const operations = vocab.terms('operation');
const year = new Date().getFullYear();
startups();
draw('alarm-types', alarmTypes, async () => {
  const b = await getJSON('/api/trends/alarms', { by: 'type', since: since30 });
  return barOption(b.groups.slice(0, 12).map((g) => [g.label, g.n]), { horizontal: true, name: t('rpAlarms') });
});
draw('alarm-districts', alarmDistricts, async () => {
  const b = await getJSON('/api/trends/alarms', { by: 'district', since: since30 });
  return barOption(b.groups.map((g) => [g.label, g.n]), { name: t('rpAlarms') });
});
draw('alarm-days', alarmDays, async () => {
  const b = await getJSON('/api/trends/alarms', { by: 'day', since: since30 });
  return lineOption({ days: b.groups.map((g) => g.key), series: [{ name: t('rpAlarms'), counts: b.groups.map((g) => g.n) }] });
});
draw('permit-months', permitMonths, async () => {
  const b = await getJSON('/api/permits/months', { year });
  return stackOption(b.months.map((m) => `${m.month}月`), operations.map((o) => ({ name: o.label, data: b.months.map((m) => m.by_operation[o.code] || 0) })));
});
board.start();
draw('faults', faults, async () => {
  const b = await getJSON('/api/equipment-faults/stats', { by: 'month' });
  return barOption(b.periods.map((p) => [p.period, p.total]), { name: t('rpFaultCount') });
});
getJSON('/api/welders/stats').then((w) => {
  mount('welder-mobility', welderMobility, pieOption(w.by_mobility.map((m) => [m.mobility, m.n])));
  mount('welder-ages', welderAges, barOption(w.by_age.map((a) => [a.band, a.n]), { name: t('rpWelders') }));
  mount('welder-authorities', welderAuthorities, barOption(w.by_authority.slice(0, 8).map((a) => [a.authority, a.n]), { horizontal: true, name: t('rpWelders') }));
  for (const id of ['welder-mobility', 'welder-ages', 'welder-authorities']) state.ready.add(id);
}).catch((err) => welderMobility.replaceChildren(el('p', { class: 'error' }, String(err.message || err))));
draw('key-areas', keyAreas, async () => {
  const b = await getJSON('/api/stats/key-areas', { since: daysAgo(7), until: new Date().toISOString() });
  const kinds = [['welding', t('rpWelding')], ['hot_work', t('rpHotWork')], ['alarms', t('rpAlarms')]];
  return stackOption(kinds.map(([, name]) => name), [
    { name: t('rpInside'), data: kinds.map(([k]) => b.totals[k].inside) },
    { name: t('rpOutside'), data: kinds.map(([k]) => b.totals[k].outside) },
  ]);
});
recordLists();
