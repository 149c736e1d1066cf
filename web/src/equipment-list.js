// The special-equipment list (seed 001: 设备名称、设备 id、类型、状态、位置、报警信息、更新时间): filtered by kind, monitor
// state and upkeep state (超期未检, 维保逾期, 下月应检 ...) or by name, code and address; exported as CSV or XLSX with
// the same filters; faults per month; and, for the authorities, 批量修改维保单位 of the devices ticked. Every list and
// file is the service's (GET /api/equipment, /api/equipment-faults/stats), within the user's scope.

import { getJSON, postJSON, url } from './api.js';
import { el, shanghaiTime } from './format.js';
import { t } from './i18n.js';

const PAGE = 200;

/** The query of the panel's filters (empty ones left out), for the list, its files and the trend alike. */
export function filterQuery(values) {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined && v !== null && v !== ''));
}

/** Month bars: [{period, total}] -> [{period, total, share}] with share of the largest (0..1). */
export function bars(periods) {
  const top = Math.max(1, ...periods.map((p) => p.total));
  return periods.map((p) => ({ period: p.period, total: p.total, share: p.total / top }));
}

export class EquipmentList {
  constructor(panel, { vocab, me, onOpen }) {
    this.vocab = vocab;
    this.me = me;
    this.onOpen = onOpen;
    this.chosen = new Set();
    const select = (name, vocabName, all) => el('select', { 'data-filter': name, onchange: () => this.load() },
      el('option', { value: '' }, t(all)), vocab.terms(vocabName).map((term) => el('option', { value: term.code }, term.label)));
    this.filters = {
      kind: select('kind', 'equipment_kind', 'eqAllKinds'),
      monitoring: select('monitoring', 'monitoring', 'eqAllStates'),
      upkeep: select('upkeep', 'equipment_upkeep', 'eqAllUpkeep'),
      q: el('input', { type: 'search', placeholder: t('eqSearch'), 'data-filter': 'q', onchange: () => this.load() }),
    };
    this.total = el('span', { 'data-total': '' });
    this.exports = el('span', { class: 'exports' });
    this.body = el('tbody');
    this.trend = el('div', { class: 'trend', 'data-trend': '' });
    this.faultFiles = el('span', { class: 'exports' });
    this.ages = el('div', { class: 'table-wrap', 'data-ages': '' });
    this.note = el('p', { class: 'note', role: 'status' });
    const head = ['eqName', 'eqCode', 'kind', 'status', 'eqPlace', 'eqAlarm', 'eqUpdated'].map((k) => el('th', {}, t(k)));
    panel.append(el('h2', {}, t('eqList')),
      el('div', { class: 'filters' }, Object.values(this.filters)),
      el('p', {}, `${t('eqTotal')} `, this.total, ' · ', t('eqExport'), ' ', this.exports),
      el('div', { class: 'table-wrap' }, el('table', { class: 'list', 'data-list': 'equipment' },
        el('thead', {}, el('tr', {}, me.can_keep ? el('th', {}) : null, head)), this.body)),
      me.can_keep ? this.reassignBox() : null, this.note,
      el('h3', {}, t('eqTrend')), this.trend, el('p', {}, `${t('eqFaultRecords')} `, this.faultFiles),
      el('h3', {}, t('eqServiceAge')), this.ages);
  }

  query() {
    return filterQuery(Object.fromEntries(Object.entries(this.filters).map(([k, input]) => [k, input.value.trim()])));
  }

  reassignBox() {
    this.unit = el('select', { 'data-reassign': 'unit' });
    this.chosenCount = el('span', { 'data-chosen': '0' }, '0');
    getJSON('/api/maintenance-units').then((b) => this.unit.replaceChildren(...b.units.map((u) => el('option', { value: u.id }, u.name)))).catch(() => {});
    return el('div', { class: 'reassign' }, el('h3', {}, t('eqReassign')), `${t('eqChosen')} `, this.chosenCount, ' → ', this.unit,
      el('button', { type: 'button', 'data-action': 'reassign', onclick: () => this.reassign() }, t('eqApply')));
  }

  async reassign() {
    if (!this.chosen.size) return;
    try {
      const r = await postJSON('/api/equipment/reassign', { equipment: [...this.chosen], maintenance_unit: Number(this.unit.value) });
      this.note.textContent = `${t('eqReassign')}: ${r.changed} / ${r.equipment} · ${r.maintenance_unit?.name || ''}`;
      this.chosen.clear();
      await this.load();
    } catch (err) { this.note.textContent = `${t('failed')}: ${err.message}`; }
  }

  row(r) {
    const tick = this.me.can_keep ? el('td', {}, el('input', { type: 'checkbox', checked: this.chosen.has(r.id), onchange: (ev) => {
      if (ev.target.checked) this.chosen.add(r.id); else this.chosen.delete(r.id);
      this.chosenCount.textContent = String(this.chosen.size);
      this.chosenCount.dataset.chosen = String(this.chosen.size);
    } })) : null;
    const state = el('span', { class: 'chip', style: `background:${this.vocab.colour('monitoring', r.monitoring)};color:#fff;`
      + `box-shadow:0 0 0 2px ${this.vocab.colour('equipment_upkeep', r.upkeep)}`, title: this.vocab.label('equipment_upkeep', r.upkeep) },
    this.vocab.label('monitoring', r.monitoring));
    return el('tr', { 'data-equipment': r.id, 'data-upkeep': r.upkeep, onclick: (ev) => { if (ev.target.type !== 'checkbox') this.onOpen(r); } },
      tick, el('td', {}, r.name || ''), el('td', {}, r.registry_code), el('td', {}, this.vocab.label('equipment_kind', r.kind)),
      el('td', {}, state), el('td', {}, r.address || ''), el('td', { class: r.alarm ? 'alarm' : '' }, r.alarm || ''),
      el('td', {}, r.updated_at ? shanghaiTime(r.updated_at).slice(5, 16) : ''));
  }

  async load() {
    const q = this.query();
    this.exports.replaceChildren(...['csv', 'xlsx'].map((f) => el('a', { href: url('/api/equipment', { ...q, f }), download: '', 'data-export': f }, f.toUpperCase())));
    try {
      this.faultFiles.replaceChildren(...['csv', 'xlsx'].map((f) => el('a', { href: url('/api/equipment-faults', { ...q, f }), download: '', 'data-export': `faults-${f}` }, f.toUpperCase())));
      const [list, stats, ages] = await Promise.all([getJSON('/api/equipment', { ...q, limit: PAGE }), getJSON('/api/equipment-faults/stats', q),
        getJSON('/api/equipment/service-age', q)]);
      this.ages.replaceChildren(el('table', { class: 'list' }, el('thead', {}, el('tr', {}, el('th', {}, t('region')), ages.buckets.map((b) => el('th', {}, `${b} ${t('years')}`)))),
        el('tbody', {}, ages.regions.map((r) => el('tr', { 'data-region': r.code || '' }, el('td', {}, r.name || '—'), r.counts.map((n) => el('td', {}, String(n))))))));
      this.total.textContent = String(list.total);
      this.total.dataset.total = String(list.total);
      this.body.replaceChildren(...list.equipment.map((r) => this.row(r)));
      this.trend.replaceChildren(...bars(stats.periods).map((b) => el('div', { class: 'bar-row', 'data-period': b.period },
        el('span', {}, b.period), el('span', { class: 'bar', style: `width:${Math.round(b.share * 100)}%` }), el('b', {}, String(b.total)))));
      this.note.textContent = '';
    } catch (err) { this.note.textContent = `${t('failed')}: ${err.message}`; }
  }
}
