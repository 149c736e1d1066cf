// Nearby: press and hold the map (right-click on a desk) for the nearest people, machines and enterprises, with
// distances (GET /api/nearby/{layer}).

import * as maplibregl from 'maplibre-gl';
import { getJSON } from './api.js';
import { t } from './i18n.js';
import { el, metres } from './format.js';

const LAYERS = [['people', 'subjectPerson'], ['welders', 'subjectWelder'], ['enterprises', 'enterprise']];
const HOLD_MS = 600;

export function nearbyPanel(map, panel, reveal) {
  const results = el('div', { class: 'nearby-results' }, el('p', { class: 'hint' }, t('nearbyHint')));
  panel.append(el('h2', {}, t('nearby')), results);
  let marker = null;

  async function query(lngLat) {
    marker?.remove();
    marker = new maplibregl.Marker({ color: '#0366d6' }).setLngLat(lngLat).addTo(map);
    reveal();
    const blocks = await Promise.all(LAYERS.map(async ([layer, label]) => {
      const body = await getJSON(`/api/nearby/${layer}`, { lon: lngLat.lng.toFixed(7), lat: lngLat.lat.toFixed(7), radius: 2000, k: 10 })
        .catch(() => ({ results: [] }));
      return el('section', { 'data-layer': layer }, el('h3', {}, `${t(label)} (${body.results.length})`),
        el('ol', {}, body.results.map((r) => el('li', {}, el('button', { type: 'button', 'data-id': r.id,
          onclick: () => map.flyTo({ center: r.geometry.coordinates, zoom: Math.max(map.getZoom(), 17) }) },
        `${r.properties.name || r.properties.external_id || r.properties.company_code} · ${metres(r.distance_m)}`)))));
    }));
    results.replaceChildren(...blocks);
  }

  map.on('contextmenu', (e) => query(e.lngLat));
  let timer = null;
  map.on('touchstart', (e) => {
    if (e.points.length !== 1) return;
    timer = setTimeout(() => query(e.lngLat), HOLD_MS);
  });
  for (const ev of ['touchend', 'touchmove', 'touchcancel', 'movestart']) map.on(ev, () => clearTimeout(timer));
  return { query };
}
