// The command centre's statistics panels: people on site by enterprise (outsiders apart), machines powered, permits in
// progress by the 8 operation types, status and level with a per-enterprise board of the day, open alarms by severity,
// the alarm trend of the last 24 hours, and counts by district. All from the public APIs, in the user's scope.

import { getJSON } from './api.js';
import { t } from './i18n.js';
import { el, shanghaiTime } from './format.js';
import { PermitBoard } from './permit-board.js';

const SVG = 'http://www.w3.org/2000/svg';

function card(title, ...body) {
  return el('section', { class: 'card' }, el('h2', {}, title), ...body);
}

function bars(rows, { max } = {}) {
  const top = max ?? Math.max(1, ...rows.map(([, v]) => v));
  return el('ul', { class: 'bars' }, rows.map(([label, v, cls, colour]) => el('li', { class: cls || '', ...(colour ? { style: `--sev:${colour}` } : {}) },
    el('span', { class: 'bar-label' }, label), el('span', { class: 'bar' }, el('i', { style: `width:${(100 * v) / top}%` })),
    el('span', { class: 'bar-value' }, String(v)))));
}

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

/** Hourly counts as columns, the newest hour on the right. */
function trendChart(hours) {
  const w = 24 * 12;
  const h = 70;
  const max = Math.max(1, ...hours.map((x) => x.count));
  const chart = svg('svg', { viewBox: `0 0 ${w} ${h + 14}`, class: 'trend', role: 'img' });
  hours.forEach((x, i) => {
    const bh = Math.round((h * x.count) / max);
    const rect = svg('rect', { x: i * 12 + 1, y: h - bh, width: 10, height: bh, class: 'col' });
    const tip = svg('title', {});
    tip.textContent = `${x.label} ${x.count}`;
    rect.append(tip);
    chart.append(rect);
    if (i % 6 === 0) {
      const label = svg('text', { x: i * 12, y: h + 12, class: 'tick' });
      label.textContent = x.label.slice(11, 13);
      chart.append(label);
    }
  });
  return chart;
}

export class WallPanels {
  constructor(container, { subjects, board, layers, vocab }) {
    this.container = container;
    this.vocab = vocab;
    this.subjects = subjects;
    this.board = board;
    this.layers = layers;
    this.parts = {
      people: el('div'), machines: el('div'), permits: el('div'), alarms: el('div'), trend: el('div'), districts: el('div'),
      safety: el('div'),
    };
    this.permitBoard = new PermitBoard(this.parts.permits, { vocab });
    container.replaceChildren(
      card(t('peopleOnSite'), this.parts.people),
      card(t('machinesPowered'), this.parts.machines),
      card(t('permitBoard'), this.parts.permits),
      card(t('openAlarms'), this.parts.alarms),
      card(t('safetyRules'), this.parts.safety),
      card(t('alarmTrend'), this.parts.trend),
      card(t('byDistrict'), this.parts.districts),
    );
    this.names = {};
  }

  async start(sites) {
    for (const s of sites) this.names[s.properties.company_code] = s.properties.enterprise_name;
    this.permitBoard.start();
    this.renderPeople();
    for (const type of ['snapshot', 'delta']) this.subjects.addEventListener(type, () => this.schedulePeople());
    this.board.addEventListener('changed', () => this.renderAlarms());
    this.renderAlarms();
    await Promise.all([this.refreshCounts(), this.refreshTrend(), this.refreshSafetyRules()]);
    setInterval(() => { this.refreshCounts(); this.refreshSafetyRules(); }, 30_000);
    setInterval(() => this.refreshTrend(), 300_000);
  }

  schedulePeople() {
    if (this.peopleTimer) return;
    this.peopleTimer = setTimeout(() => { this.peopleTimer = null; this.renderPeople(); }, 2000);
  }

  /** People on site now (online), by enterprise; contractors and visitors counted apart. */
  renderPeople() {
    const by = new Map();
    let outsiders = 0;
    let total = 0;
    const outside = new Set(this.vocab.flagged('person_type', 'outsider'));
    for (const p of this.subjects.values()) {
      if (p.kind !== 'person' || p.online === false) continue;
      total += 1;
      if (outside.has(p.person_type)) { outsiders += 1; continue; }
      const key = p.company_code || '—';
      by.set(key, (by.get(key) || 0) + 1);
    }
    const rows = [...by.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([code, n]) => [this.names[code] || code, n]);
    this.parts.people.replaceChildren(
      el('p', { class: 'big' }, el('strong', { 'data-count': 'people' }, String(total)), ` ${t('people')} · `,
        el('strong', { class: 'outsiders', 'data-count': 'outsiders' }, String(outsiders)), ` ${t('outsiders')}`),
      bars(rows));
  }

  /** District counts: machines, powered ones and open alarms, scope-wide. */
  async refreshCounts() {
    const body = await getJSON('/api/counts/districts').catch(() => null);
    if (!body) return;
    const rows = body.districts;
    const sum = (k) => rows.reduce((a, r) => a + (r[k] || 0), 0);
    const welders = sum('welders');
    const powered = sum('powered');
    this.parts.machines.replaceChildren(el('p', { class: 'big' }, el('strong', { 'data-count': 'powered' }, String(powered)), ` / ${welders} ${t('machines')}`),
      el('div', { class: 'meter' }, el('i', { style: `width:${welders ? (100 * powered) / welders : 0}%` })));
    this.parts.districts.replaceChildren(el('table', { class: 'districts' },
      el('thead', {}, el('tr', {}, el('th', {}, t('g_districts')), el('th', {}, t('g_enterprises')), el('th', {}, t('machines')), el('th', {}, t('g_alarms')))),
      el('tbody', {}, rows.map((r) => el('tr', {}, el('td', {}, r.name), el('td', {}, String(r.enterprises)), el('td', {}, `${r.powered}/${r.welders}`),
        el('td', { class: r.open_alarms ? 'hot' : '' }, String(r.open_alarms)))))));
  }

  renderAlarms() {
    const open = [...this.board.alarms.values()].filter((a) => this.board.isOpen(a));
    const rows = this.vocab.terms('severity').map((s) => [s.label, open.filter((a) => a.severity === s.code).length, `sev-${s.code}`, s.colour])
      .filter(([, n]) => n);
    this.parts.alarms.replaceChildren(el('p', { class: 'big' }, el('strong', { 'data-count': 'alarms' }, String(open.length)), ` ${t('ongoing')}`), bars(rows));
  }

  /** Alarms raised per hour over the last 24 hours (counts from the alarm list, limit 0). */
  /** The park's life-safety rules (SOS, man down, feed outages): always on; a change of their thresholds in the last
   * 24 hours is shown with who made it, since it changes what every person on site is protected by. */
  async refreshSafetyRules() {
    const body = await getJSON('/api/alarm-rules/').catch(() => null);
    if (!body) return;
    const day = Date.now() - 24 * 3600_000;
    const rows = body.results.filter((r) => r.life_safety).map((r) => {
      const change = r.last_change;
      const recent = change && Date.parse(change.at) > day;
      const params = Object.entries(r.params || {}).map(([k, v]) => `${k}=${v}`).join(' ');
      return el('li', { 'data-safety-rule': r.type, 'data-changed': recent ? 'yes' : 'no', class: recent ? 'changed' : '' },
        el('span', { class: 'bar-label' }, r.label),
        el('span', {}, recent ? `${t('changedBy')} ${change.by} · ${shanghaiTime(new Date(change.at)).slice(5, 16)} ${params}` : t('ruleOn')));
    });
    this.parts.safety.replaceChildren(el('ul', { class: 'safety-rules' }, rows));
  }

  async refreshTrend() {
    const hour = 3600_000;
    const end = Math.ceil(Date.now() / hour) * hour;
    const hours = await Promise.all(Array.from({ length: 24 }, (_, i) => {
      const from = new Date(end - (24 - i) * hour);
      const to = new Date(end - (23 - i) * hour);
      return getJSON('/api/alarms/', { since: from.toISOString(), until: to.toISOString(), limit: 0 })
        .then((b) => ({ label: shanghaiTime(from), count: b.count })).catch(() => ({ label: shanghaiTime(from), count: 0 }));
    }));
    const total = hours.reduce((a, x) => a + x.count, 0);
    this.parts.trend.replaceChildren(el('p', { class: 'big' }, el('strong', {}, String(total)), ` ${t('last24h')}`), trendChart(hours));
  }
}
