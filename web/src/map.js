// The map: the service's own style, the live sources beside its tiles, layer groups with a switcher and a legend.

import * as maplibregl from 'maplibre-gl';
import { t } from './i18n.js';
import { el } from './format.js';

// What the page draws from the live stream and the alarm list instead of the style's (cached) tile layers.
const REPLACED = ['people-clusters', 'people-cluster-count', 'people', 'people-label', 'welders-clusters',
  'welders-cluster-count', 'welders', 'cameras', 'alarms-clusters', 'alarms-cluster-count', 'alarms'];

const PEOPLE_COLOR = ['match', ['get', 'person_type'], '02', '#f66a0a', '03', '#d73a49', '#2ea44f'];
const SEVERITY_COLOR = ['match', ['get', 'severity'], 'critical', '#b31d28', 'red', '#d73a49', 'alarm', '#e36209',
  'orange', '#f66a0a', 'yellow', '#dbab09', 'warning', '#dbab09', '#6a737d'];
const ALARM_RING = ['match', ['get', 'alarm'], '', 'rgba(0,0,0,0)', 'critical', '#b31d28', 'red', '#b31d28', 'alarm', '#d73a49', '#f66a0a'];
const FONT = ['DejaVu Sans Book', 'WenQuanYi Micro Hei Regular'];

function clusterLayers(id, color, maxzoom, opacity = 0.85) {
  return [
    { id: `${id}-clusters`, type: 'circle', source: id, filter: ['has', 'point_count'],
      paint: { 'circle-color': color, 'circle-opacity': opacity, 'circle-stroke-color': color, 'circle-stroke-width': 1,
        'circle-stroke-opacity': 0.9, 'circle-radius': ['step', ['get', 'point_count'], 9, 10, 12, 100, 16, 1000, 21] } },
    { id: `${id}-count`, type: 'symbol', source: id, filter: ['has', 'point_count'],
      layout: { 'text-field': ['get', 'point_count_abbreviated'], 'text-font': FONT, 'text-size': 11, 'text-allow-overlap': true },
      paint: { 'text-color': '#1f2328', 'text-halo-color': '#ffffff', 'text-halo-width': 1 } },
  ].map((l) => ({ ...l, maxzoom }));
}

function pointLayers(id, color, radius) {
  return [
    // The alarm halo: drawn under the point, in the subject's alarm colour.
    { id: `${id}-alarm`, type: 'circle', source: id, filter: ['all', ['!', ['has', 'point_count']], ['!=', ['get', 'alarm'], '']],
      paint: { 'circle-radius': radius * 3, 'circle-color': ALARM_RING, 'circle-opacity': 0.35, 'circle-stroke-width': 2, 'circle-stroke-color': ALARM_RING } },
    { id, type: 'circle', source: id, filter: ['!', ['has', 'point_count']],
      paint: { 'circle-radius': radius, 'circle-color': color, 'circle-stroke-color': ['case', ['==', ['get', 'online'], false], '#959da5', '#ffffff'],
        'circle-stroke-width': 1, 'circle-opacity': ['case', ['==', ['get', 'online'], false], 0.5, 1] } },
  ];
}

// Layer groups of the switcher: each names the style's layers and the page's own.
export const GROUPS = [
  { key: 'basemap', layers: ['basemap-0', 'basemap-1'], on: true },
  { key: 'counts', layers: ['district_counts'], on: true },
  { key: 'districts', layers: ['districts', 'districts-label'], on: true },
  { key: 'townships', layers: ['townships', 'townships-label', 'township_counts'], on: true },
  { key: 'equipment', layers: ['equipment-clusters', 'equipment-cluster-count', 'equipment', 'equipment-label'], on: true,
    legend: [['m_online', '#2ea44f'], ['m_fault', '#f66a0a'], ['m_alarm', '#d73a49'], ['m_offline', '#959da5']] },
  { key: 'equipment_faults', layers: ['equipment_faults'], on: false },
  { key: 'enterprises', layers: ['enterprises-clusters', 'enterprises-cluster-count', 'enterprises', 'enterprises-label'], on: true },
  { key: 'sites', layers: ['sites'], on: true },
  { key: 'zones', layers: ['zones', 'zones-3d', 'zones-label'], on: true,
    legend: [['k_forbidden', '#d73a49'], ['k_key_place', '#f66a0a'], ['k_work_area', '#ffd33d'], ['k_post', '#6f42c1'], ['k_other', '#2ea44f']] },
  { key: 'permits', layers: ['permits-clusters', 'permits-cluster-count', 'permits'], on: true },
  { key: 'people', layers: ['live-people-clusters', 'live-people-count', 'live-people-alarm', 'live-people', 'live-people-label'], on: true,
    legend: [['p_internal', '#2ea44f'], ['p_contractor', '#f66a0a'], ['p_visitor', '#d73a49']] },
  { key: 'welders', layers: ['live-welders-clusters', 'live-welders-count', 'live-welders-alarm', 'live-welders'], on: true,
    legend: [['w_on', '#d73a49'], ['w_off', '#6a737d']] },
  { key: 'cameras', layers: ['live-cameras-alarm', 'live-cameras'], on: true, legend: [['g_cameras', '#0366d6']] },
  { key: 'trails', layers: ['trails'], on: true },
  { key: 'alarms', layers: ['live-alarms-halo', 'live-alarms'], on: true,
    legend: [['sev_critical', '#b31d28'], ['sev_alarm', '#e36209'], ['sev_warning', '#dbab09']] },
  { key: 'heat_welding', layers: ['heat-welding'], on: false },
  { key: 'heat_alarms', layers: ['heat-alarms'], on: false },
];

function addOwnLayers(map) {
  const before = map.getLayer('districts-label') ? 'districts-label' : undefined;
  for (const source of ['welding', 'alarms']) {
    map.addSource(`heat-${source}`, { type: 'raster', tiles: [`${window.location.origin}/tiles/heat/${source}/{z}/{x}/{y}.png`], tileSize: 256 });
    map.addLayer({ id: `heat-${source}`, type: 'raster', source: `heat-${source}`, layout: { visibility: 'none' }, paint: { 'raster-opacity': 0.7 } }, before);
  }
  const empty = { type: 'FeatureCollection', features: [] };
  map.addSource('live-welders', { type: 'geojson', data: empty, cluster: true, clusterMaxZoom: 14, clusterRadius: 50 });
  map.addSource('live-people', { type: 'geojson', data: empty, cluster: true, clusterMaxZoom: 15, clusterRadius: 40 });
  map.addSource('live-cameras', { type: 'geojson', data: empty });
  map.addSource('live-alarms', { type: 'geojson', data: empty });
  map.addSource('alarm-track', { type: 'geojson', data: empty });
  const layers = [
    ...clusterLayers('live-welders', '#d73a49', 15, 0.3), ...pointLayers('live-welders', ['match', ['get', 'power'], 'on', '#d73a49', '#6a737d'], 3.5),
    ...clusterLayers('live-people', '#2ea44f', 16, 0.6), ...pointLayers('live-people', PEOPLE_COLOR, 5),
    { id: 'live-people-label', type: 'symbol', source: 'live-people', minzoom: 17, filter: ['!', ['has', 'point_count']],
      layout: { 'text-field': ['get', 'name'], 'text-font': FONT, 'text-size': 12, 'text-offset': [0, 1], 'text-anchor': 'top' },
      paint: { 'text-color': '#24292e', 'text-halo-color': '#fff', 'text-halo-width': 1.2 } },
    ...pointLayers('live-cameras', '#0366d6', 6),
    { id: 'alarm-track', type: 'line', source: 'alarm-track',
      paint: { 'line-color': '#b31d28', 'line-width': 3, 'line-dasharray': [2, 1], 'line-opacity': 0.8 } },
    // Ongoing alarms with a halo; those whose condition has ended (still to be handled) dimmed, without one.
    { id: 'live-alarms-halo', type: 'circle', source: 'live-alarms', filter: ['!', ['get', 'ended']],
      paint: { 'circle-radius': 18, 'circle-color': SEVERITY_COLOR, 'circle-opacity': 0.3 } },
    { id: 'live-alarms', type: 'circle', source: 'live-alarms',
      paint: { 'circle-radius': 8, 'circle-color': SEVERITY_COLOR, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2,
        'circle-opacity': ['case', ['get', 'ended'], 0.45, 1], 'circle-stroke-opacity': ['case', ['get', 'ended'], 0.45, 1] } },
  ];
  for (const layer of layers) map.addLayer(layer, before);
}

// The style's tiles minus what the page draws live; through geo:// (offline.js: the offline package when the network is
// down).
const TILE_LAYERS = 'district_counts,equipment_faults,districts,township_counts,townships,enterprises,sites,zones,permits,equipment,trails';

function pageStyle(_previous, next) {
  const source = next.sources.geoservice;
  source.url = `geo:///tiles/${TILE_LAYERS}.json`;
  next.layers = next.layers.filter((l) => !REPLACED.includes(l.id));
  return next;
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

/** The layer switcher and legend, in the given panel. */
export function layerPanel(map, panel) {
  const state = JSON.parse(localStorage.getItem('layers') || '{}');
  const list = el('ul', { class: 'layer-list' });
  for (const g of GROUPS) {
    const on = state[g.key] ?? g.on;
    const box = el('input', { type: 'checkbox', checked: on, 'data-group': g.key,
      onchange: (e) => { state[g.key] = e.target.checked; localStorage.setItem('layers', JSON.stringify(state)); setGroup(map, g, e.target.checked); } });
    const legend = (g.legend || []).map(([key, color]) => el('span', { class: 'swatch-item' }, el('i', { class: 'swatch', style: `background:${color}` }), t(key)));
    list.append(el('li', {}, el('label', {}, box, t(`g_${g.key}`)), legend.length ? el('div', { class: 'legend' }, legend) : null));
    if (map.isStyleLoaded()) setGroup(map, g, on); else map.once('idle', () => setGroup(map, g, on));
  }
  panel.prepend(el('h2', {}, t('layers')), list);
}
