// Fences for supervisors: draw a zone on the map and give it its kind, owner, capacity, floor and height range and
// time windows (POST /api/zones); change or retire one (PATCH/DELETE /api/zones/{id}). The tiles are asked again at
// once, and the alarm worker picks the change up within seconds.

import { ApiError, getJSON, postJSON, sendJSON } from './api.js';
import { t } from './i18n.js';
import { el } from './format.js';
import { drawShape } from './draw.js';
import { refreshTiles } from './map.js';

function field(name, label, input) {
  input.name = name;
  return el('label', { class: 'field' }, el('span', {}, t(label)), input);
}

const num = (v) => (v === '' || v === null || v === undefined ? null : Number(v));

export class FenceEditor {
  constructor(map, panel, vocab) {
    this.map = map;
    const options = (name) => vocab.terms(name).map((k) => el('option', { value: k.code }, k.label));
    this.geometry = null;
    this.zoneId = null;
    this.note = el('p', { class: 'note', role: 'status' });
    this.form = el('form', { class: 'fence-form', onsubmit: (e) => { e.preventDefault(); this.save(); } },
      field('name', 'name', el('input', { required: true, maxlength: 128 })),
      field('kind', 'kind', el('select', {}, options('zone_kind'))),
      field('company_code', 'enterprise', el('input', { placeholder: 'SCIP001' })),
      field('authority', 'authority', el('input', {})),
      field('capacity_min', 'capacityMin', el('input', { type: 'number', min: 0 })),
      field('capacity_max', 'capacityMax', el('input', { type: 'number', min: 0 })),
      field('floor', 'floor', el('input', { type: 'number' })),
      field('height_min', 'heightMin', el('input', { type: 'number', step: '0.1' })),
      field('height_max', 'heightMax', el('input', { type: 'number', step: '0.1' })),
      field('window_mode', 'windowMode', el('select', {}, options('window_mode'))),
      field('time_windows', 'timeWindows', el('input', { placeholder: '夜间 22:00-06:00' })),
      el('div', { class: 'buttons' },
        el('button', { type: 'button', 'data-fence': 'draw', onclick: () => this.drawGeometry() }, t('drawFence')),
        el('button', { type: 'submit', 'data-fence': 'save' }, t('save')),
        el('button', { type: 'button', 'data-fence': 'retire', onclick: () => this.retire() }, t('retire'))),
      this.note);
    panel.append(el('h2', {}, t('fences')), this.form);
  }

  async drawGeometry() {
    this.note.textContent = t('drawHint');
    this.geometry = await drawShape(this.map, 'polygon');
    this.note.textContent = t('drawn');
  }

  /** Fill the form from a zone (the details card's "edit"). */
  async edit(id) {
    const z = await getJSON(`/api/zones/${id}`);
    this.zoneId = id;
    this.geometry = null; // keep its shape unless redrawn
    for (const [k, v] of Object.entries(z)) {
      const input = this.form.elements[k];
      if (!input) continue;
      input.value = Array.isArray(v) ? v.join(',') : v ?? '';
    }
    this.note.textContent = `${t('editing')} #${id}`;
  }

  body() {
    const f = this.form.elements;
    const body = {
      name: f.name.value.trim(), kind: f.kind.value, window_mode: f.window_mode.value,
      company_code: f.company_code.value.trim() || null, authority: f.authority.value.trim() || null,
      capacity_min: num(f.capacity_min.value), capacity_max: num(f.capacity_max.value), floor: num(f.floor.value),
      height_min: num(f.height_min.value), height_max: num(f.height_max.value),
      time_windows: f.time_windows.value.split(',').map((s) => s.trim()).filter(Boolean),
    };
    if (this.geometry) body.geometry = this.geometry;
    return body;
  }

  async save() {
    try {
      const z = this.zoneId ? await sendJSON('PATCH', `/api/zones/${this.zoneId}`, this.body()) : await postJSON('/api/zones', this.body());
      this.zoneId = z.id;
      this.note.textContent = `${t('saved')} #${z.id}`;
      refreshTiles(this.map);
    } catch (err) {
      this.note.textContent = `${t('failed')}: ${err instanceof ApiError ? JSON.stringify(err.body) : err}`;
    }
  }

  async retire() {
    if (!this.zoneId) return;
    await sendJSON('DELETE', `/api/zones/${this.zoneId}`);
    this.note.textContent = `${t('retired')} #${this.zoneId}`;
    this.zoneId = null;
    refreshTiles(this.map);
  }
}
