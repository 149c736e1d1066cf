// The map: the service's own style, the live sources beside its tiles, layer groups with a switcher and a legend.

import * as maplibregl from 'maplibre-gl';
import { t } from './i18n.js';
import { el } from './format.js';
import { groupsOf, pageStyle } from './page-style.js';

const EMPTY = { type: 'FeatureCollection', features: [] };

function addOwnLayers(map) {
  map.addSource('alarm-track', { type: 'geojson', data: EMPTY });
  map.addLayer({ id: 'alarm-track', type: 'line', source: 'alarm-track',
    paint: { 'line-color': '#b31d28', 'line-width': 3, 'line-dasharray': [2, 1], 'line-opacity': 0.8 } },
  map.getLayer('districts-label') ? 'districts-label' : undefined);
}

export function createMap(container, me) {
  maplibregl.setWorkerUrl(me.worker);
  const map = new maplibregl.Map({
    container,
    // MapLibre's own attribution links to its website: credited as text instead (the page links to no other host).
    attributionControl: { compact: true, customAttribution: 'MapLibre GL JS (BSD-3-Clause)' },
    hash: true,
    transformRequest: (u) => ({ url: u, credentials: 'same-origin' }),
  });
  map.setStyle('/maps/style.json', { transformStyle: pageStyle });
  map.addControl(new maplibregl.NavigationControl({ visualizePitch: true }), 'bottom-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  map.once('style.load', () => {
    addOwnLayers(map);
    container.querySelector('.loading')?.remove();
  });
  return map;
}

export function setGroup(map, group, on) {
  for (const id of group.layers) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
}

/** Ask the service's TileJSON and the tiles in view again (after a change the page itself made). */
export function refreshTiles(map) {
  const source = map.getSource('geoservice');
  if (source?.url) source.setUrl(source.url);
}

/** The layer switcher and legend, in the given panel. */
export function layerPanel(map, panel, vocab) {
  const state = JSON.parse(localStorage.getItem('layers') || '{}');
  const list = el('ul', { class: 'layer-list' });
  for (const g of groupsOf(map.getStyle(), vocab)) {
    const on = state[g.key] ?? g.on;
    const box = el('input', { type: 'checkbox', checked: on, 'data-group': g.key,
      onchange: (e) => { state[g.key] = e.target.checked; localStorage.setItem('layers', JSON.stringify(state)); setGroup(map, g, e.target.checked); } });
    const legend = g.legend.map(([label, color]) => el('span', { class: 'swatch-item' }, el('i', { class: 'swatch', style: `background:${color}` }), label));
    list.append(el('li', {}, el('label', {}, box, t(`g_${g.key}`)), legend.length ? el('div', { class: 'legend' }, legend) : null));
    if (map.isStyleLoaded()) setGroup(map, g, on); else map.once('idle', () => setGroup(map, g, on));
  }
  panel.prepend(el('h2', {}, t('layers')), list);
}
