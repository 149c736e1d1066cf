// Enforcement on the map (seed 004: 执法定位, 实时查看): the day's inspection plans, each visit's progress as the service
// reads it from the officers' body cameras (visited, on site now, to visit: colours and labels from the vocabulary),
// the route of the chosen plan on the map, and each officer's camera one click from its live video. Refreshed while
// the panel is open.

import { getJSON } from './api.js';
import { el, shanghaiTime } from './format.js';
import { t } from './i18n.js';

const REFRESH_MS = 15000;
const EMPTY = { type: 'FeatureCollection', features: [] };
const STATUSES = ['visited', 'on_site', 'to_visit'];

/** Today in Asia/Shanghai as YYYY-MM-DD. */
export function shanghaiDay(now = new Date()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** The map features of a plan: its stops (numbered, coloured by status) and the route between them in order. */
export function planFeatures(plan, colour) {
  const stops = plan.stops.filter((s) => s.location);
  const points = stops.map((s) => ({ type: 'Feature', id: s.id, geometry: s.location,
    properties: { id: s.id, order: s.order, name: s.enterprise.name, status: s.status, colour: colour(s.status) } }));
  const route = stops.length > 1 ? [{ type: 'Feature', geometry: { type: 'LineString', coordinates: stops.map((s) => s.location.coordinates) }, properties: { route: true } }] : [];
  return { type: 'FeatureCollection', features: [...route, ...points] };
}

export class InspectionPanel {
  constructor(map, panel, { vocab, video, visible }) {
    this.map = map;
    this.vocab = vocab;
    this.video = video;
    this.visible = visible; // whether the panel is the one shown (refresh only then)
    this.plans = [];
    this.chosen = null;
    this.day = el('input', { type: 'date', value: shanghaiDay(), 'data-inspection': 'day', onchange: () => this.load() });
    this.list = el('div', { class: 'inspections' });
    this.note = el('p', { class: 'note', role: 'status' });
    panel.append(el('h2', {}, t('inspections')), el('label', { class: 'inspection-day' }, `${t('planDay')} `, this.day), this.note, this.list);
    this.timer = setInterval(() => { if (this.visible()) this.load(); }, REFRESH_MS);
  }

  colour(status) {
    return this.vocab.colour('inspection_status', status);
  }

  ensureLayers() {
    if (this.map.getSource('inspection')) return;
    const font = this.map.getStyle().layers.find((l) => l.layout?.['text-font'])?.layout['text-font'];
    this.map.addSource('inspection', { type: 'geojson', data: EMPTY });
    this.map.addLayer({ id: 'inspection-route', type: 'line', source: 'inspection', filter: ['==', ['geometry-type'], 'LineString'],
      paint: { 'line-color': '#0366d6', 'line-width': 2.5, 'line-dasharray': [3, 2], 'line-opacity': 0.8 } });
    this.map.addLayer({ id: 'inspection-stops', type: 'circle', source: 'inspection', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 13, 'circle-color': ['get', 'colour'], 'circle-stroke-color': '#0366d6', 'circle-stroke-width': 4 } });
    if (font) {
      this.map.addLayer({ id: 'inspection-order', type: 'symbol', source: 'inspection', filter: ['==', ['geometry-type'], 'Point'],
        layout: { 'text-field': ['to-string', ['get', 'order']], 'text-font': font, 'text-size': 13, 'text-allow-overlap': true },
        paint: { 'text-color': '#ffffff' } });
    }
  }

  async load() {
    try {
      const body = await getJSON('/api/inspections', { day: this.day.value });
      this.plans = body.plans;
      this.note.textContent = this.plans.length ? '' : t('noPlans');
      this.render();
    } catch (err) {
      this.note.textContent = `${t('failed')}: ${err.body?.reason || err.message}`;
    }
  }

  /** Show a plan on the map (the first of the day when none was chosen). */
  choose(id, fit = true) {
    this.chosen = id;
    const plan = this.plans.find((p) => p.id === id);
    this.ensureLayers();
    this.map.getSource('inspection').setData(plan ? planFeatures(plan, (s) => this.colour(s)) : EMPTY);
    for (const card of this.list.querySelectorAll('[data-plan]')) card.classList.toggle('chosen', Number(card.dataset.plan) === id);
    const points = plan?.stops.filter((s) => s.location).map((s) => s.location.coordinates) ?? [];
    if (fit && points.length) {
      const xs = points.map((p) => p[0]);
      const ys = points.map((p) => p[1]);
      this.map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: 80, maxZoom: 16, duration: 600 });
    }
  }

  render() {
    this.list.replaceChildren(...this.plans.map((p) => this.card(p)));
    if (!this.plans.some((p) => p.id === this.chosen)) this.chosen = this.plans[0]?.id ?? null;
    if (this.chosen !== null) this.choose(this.chosen, !this.drawn);
    this.drawn = this.chosen !== null;
  }

  card(p) {
    const byId = new Map(p.stops.map((s) => [s.id, s]));
    const progress = el('div', { class: 'inspection-progress' }, STATUSES.map((s) => el('span', { class: 'chip', 'data-count': s,
      style: `border-color:${this.colour(s)};color:${this.colour(s)}` }, `${this.vocab.label('inspection_status', s)} ${p.progress[s]}`)));
    const stops = el('ol', { class: 'inspection-stops' }, p.stops.map((s) => el('li', { 'data-stop': s.id, 'data-status': s.status },
      el('button', { type: 'button', class: 'link', onclick: () => s.location && this.map.flyTo({ center: s.location.coordinates, zoom: 16 }) }, s.enterprise.name),
      el('span', { class: 'chip', style: `background:${this.colour(s.status)};color:#fff` }, this.vocab.label('inspection_status', s.status)),
      s.arrived_at ? el('small', { class: 'note' }, ` ${t('arrived')} ${shanghaiTime(s.arrived_at).slice(11, 16)}`) : null)));
    const officers = el('ul', { class: 'inspection-officers' }, p.officers.map((o) => el('li', { 'data-officer': o.subject },
      el('span', {}, o.holder || o.external_id),
      el('small', { class: 'note' }, ` ${o.at_stop ? `${t('atSite')} ${byId.get(o.at_stop)?.enterprise.name ?? ''}` : (o.seen_at ? `${t('lastHeard')} ${shanghaiTime(o.seen_at).slice(11, 16)}` : t('none'))} `),
      o.location ? el('button', { type: 'button', class: 'action', onclick: () => this.map.flyTo({ center: o.location.coordinates, zoom: 17 }) }, t('flyTo')) : null,
      o.channel && this.video ? el('button', { type: 'button', class: 'action', 'data-video': 'live', 'data-channel': o.channel.code,
        onclick: () => this.video.open(o.channel) }, t('holderCamera')) : null)));
    return el('section', { class: 'inspection', 'data-plan': p.id },
      el('h3', {}, el('button', { type: 'button', class: 'link', onclick: () => this.choose(p.id) }, p.name)),
      el('p', { class: 'note' }, [this.vocab.label('inspection_kind', p.kind), p.department].filter(Boolean).join(' · ')),
      progress, el('h4', {}, t('planStops')), stops, el('h4', {}, t('planOfficers')), officers);
  }

  describe() {
    return this.plans.map((p) => ({ id: p.id, name: p.name, progress: p.progress,
      stops: p.stops.map((s) => ({ code: s.enterprise.company_code, status: s.status })),
      officers: p.officers.map((o) => ({ subject: o.subject, at_stop: o.at_stop, channel: o.channel?.code ?? null })) }));
  }
}
