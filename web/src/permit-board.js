// The permit board of the day (seed 002: 作业许可看板): total, by the eight operations, 作业中 / 暂停 / 完成, by level,
// for the whole scope or one enterprise picked from the day's list. One module for the wall's panel and the 2D
// page's tab; the counts are the service's (GET /api/permits/board), refreshed every 5 s while the page is seen.

import { getJSON } from './api.js';
import { el } from './format.js';
import { t } from './i18n.js';

export const REFRESH_MS = 5000;

/** The board's rows from the service's answer: operations in the vocabulary's order with their labels, levels
 * labelled by operation, the status counts the seed lists. Pure (node --test). */
export function boardRows(body, operations) {
  const label = Object.fromEntries(operations.map((o) => [o.code, o.label]));
  return {
    summary: [
      ['total', t('pbTotal'), body.total],
      ['working', t('pbWorking'), body.working],
      ['paused', t('pbPaused'), body.paused],
      ['done', t('pbDone'), body.done],
    ],
    operations: operations.map((o) => [o.code, o.label, body.by_operation?.[o.code] ?? 0]),
    levels: (body.by_level || []).map((l) => [`${label[l.operation] || l.operation} ${l.level}`, l.n]),
    enterprises: (body.enterprises || []).map((e) => [e.company_code, `${e.name} (${e.total})`]),
  };
}

export class PermitBoard {
  constructor(container, { vocab }) {
    this.container = container;
    this.operations = vocab.terms('operation');
    this.enterprise = '';
    this.picker = el('select', { class: 'enterprise-picker', 'data-board-picker': '', onchange: (e) => { this.enterprise = e.target.value; this.refresh(); } });
    this.body = el('div', { class: 'permit-board', 'data-permit-board': '' });
    container.replaceChildren(this.picker, this.body);
    this.last = null;
  }

  start() {
    this.refresh();
    this.timer = setInterval(() => { if (document.visibilityState !== 'hidden') this.refresh(); }, REFRESH_MS);
  }

  async refresh() {
    const body = await getJSON('/api/permits/board', this.enterprise ? { enterprise: this.enterprise } : {}).catch(() => null);
    if (!body) return;
    this.last = body;
    this.render(body);
  }

  render(body) {
    const rows = boardRows(body, this.operations);
    const keep = this.enterprise;
    this.picker.replaceChildren(el('option', { value: '' }, t('allEnterprises')),
      ...rows.enterprises.map(([code, name]) => el('option', { value: code }, name)));
    this.picker.value = keep;
    const top = Math.max(1, ...rows.operations.map(([, , n]) => n));
    this.body.replaceChildren(
      el('dl', { class: 'board-summary' }, rows.summary.flatMap(([key, name, n]) => [
        el('dt', {}, name), el('dd', { 'data-board': key }, String(n))])),
      el('ul', { class: 'bars' }, rows.operations.map(([code, name, n]) => el('li', { 'data-operation': code },
        el('span', { class: 'bar-label' }, name), el('span', { class: 'bar' }, el('i', { style: `width:${(100 * n) / top}%` })),
        el('span', { class: 'bar-value' }, String(n))))),
      rows.levels.length ? el('p', { class: 'levels' }, `${t('pbLevels')}: `, rows.levels.map(([name, n]) => `${name} ${n}`).join(' · ')) : '',
      el('p', { class: 'note' }, `${body.day} · ${t('pbNote')}`),
    );
  }
}
