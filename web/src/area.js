// Drawn-area queries: a polygon, rectangle or circle drawn with Terra Draw; what lies inside, by layer, from the OGC
// collections with a CQL2 S_INTERSECTS filter (so within the user's scope), with counts; exportable as CSV.

import { drawShape } from './draw.js';
import { getJSON } from './api.js';
import { t } from './i18n.js';
import { csvText, el } from './format.js';
import { toWkt } from './details.js';

const LAYERS = [['people', 'subjectPerson'], ['welders', 'subjectWelder'], ['cameras', 'subjectCamera'],
  ['video', 'g_video'], ['enterprises', 'enterprise'], ['permits', 'permit'], ['zones', 'zone']];
const LIMIT = 1000;

function label(p) {
  return p.name || p.ticket_no || p.external_id || p.company_code || '';
}

export class AreaQuery {
  constructor(map, panel, { calls } = {}) {
    this.map = map;
    this.calls = calls; // a group call with the people, body cameras and cameras found (calls.js)
    this.results = el('div', { class: 'area-results' });
    this.last = null;
    const button = (mode, key) => el('button', { type: 'button', class: 'tool', 'data-draw': mode, onclick: () => this.start(mode) }, t(key));
    panel.append(el('h2', {}, t('area')), el('div', { class: 'tools' },
      button('polygon', 'polygon'), button('rectangle', 'rectangle'), button('circle', 'circle'),
      el('button', { type: 'button', class: 'tool', 'data-export': 'csv', onclick: () => this.export() }, t('exportCsv'))), this.results);
  }

  async start(mode) {
    this.query(await drawShape(this.map, mode));
  }

  /** What lies inside a polygon, by layer (also called by tests with a geometry of their own). */
  async query(geometry) {
    const filter = `S_INTERSECTS(geometry,${toWkt(geometry)})`;
    const answers = await Promise.all(LAYERS.map(([layer]) => getJSON(`/ogc/collections/${layer}/items`,
      { filter, 'filter-lang': 'cql2-text', limit: LIMIT }).catch(() => ({ features: [], numberMatched: 0 }))));
    this.last = { geometry, layers: {} };
    const blocks = LAYERS.map(([layer, key], i) => {
      const a = answers[i];
      this.last.layers[layer] = a.features;
      const count = a.numberMatched ?? a.features.length;
      return el('section', { 'data-layer': layer, 'data-count': count },
        el('h3', {}, `${t(key)}: ${count}`),
        el('ol', {}, a.features.slice(0, 50).map((f) => el('li', { 'data-id': f.id }, label(f.properties)))));
    });
    const members = [...this.last.layers.people, ...this.last.layers.cameras].map((f) => ({ subject: Number(f.id) }))
      .concat(this.last.layers.video.map((f) => ({ channel: f.properties.code })));
    const call = this.calls && members.length ? this.calls.button(members.slice(0, 50), geometry) : null;
    this.results.replaceChildren(...blocks, ...(call ? [call] : []));
    return this.last;
  }

  export() {
    if (!this.last) return;
    const rows = [['layer', 'id', 'name', 'code', 'enterprise', 'lon', 'lat']];
    for (const [layer, features] of Object.entries(this.last.layers)) {
      for (const f of features) {
        const [lon, lat] = f.geometry?.type === 'Point' ? f.geometry.coordinates : ['', ''];
        const p = f.properties;
        rows.push([layer, f.id, label(p), p.external_id || p.ticket_no || p.company_code || '', p.company_code || '', lon, lat]);
      }
    }
    const a = el('a', { href: URL.createObjectURL(new Blob([csvText(rows)], { type: 'text/csv' })), download: 'area-query.csv' });
    document.body.append(a);
    a.click();
    a.remove();
  }
}
