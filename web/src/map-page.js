// The 2D map page for field officers' tablets and supervisors' desks.

import './map.css';
import { createMap, layerPanel } from './map.js';
import { LiveFeed, LIVE_SOURCES } from './live.js';
import { AlarmBoard } from './alarms.js';
import { Details } from './details.js';
import { searchBox } from './search.js';
import { frame, netState, tabs } from './panels.js';
import { nearbyPanel } from './nearby.js';
import { AreaQuery } from './area.js';
import { FenceEditor } from './fences.js';
import { Playback } from './playback.js';
import { OfflinePanel, installProtocol, registerShell, workerFromPage } from './offline.js';
import { el } from './format.js';
import { setLang, t } from './i18n.js';
import { ApiError, getJSON } from './api.js';

const me = JSON.parse(document.getElementById('me').textContent);
setLang(me.lang);

installProtocol();
registerShell();
// MapLibre's worker from a blob of its script: fetched by the page, so the service worker answers offline too.
me.worker = await workerFromPage(me.worker);
const map = createMap(document.getElementById('map'), me);
window.map = map; // for tests and debugging
frame(me, map);
const panel = document.getElementById('panel');
const showTab = tabs(panel, ['alarms', 'layers', 'query']);
const feed = new LiveFeed(map);
window.live = feed;
netState(feed);
const details = new Details(document.getElementById('details'));

async function act(alarm, action, comment) {
  try {
    return t(await board.act(alarm.id, action, comment));
  } catch (err) {
    return `${t('failed')}: ${err instanceof ApiError ? err.message : err}`;
  }
}

const TRACK_BEFORE_S = 600;
const TRACK_AFTER_S = 300;

/** The subject's track around an alarm (10 minutes before to 5 after): how it came to be where it raised. */
async function alarmTrack(a) {
  const source = map.getSource('alarm-track');
  if (!source) return;
  source.setData({ type: 'FeatureCollection', features: [] });
  if (!a.subject) return;
  const at = new Date(a.raised_at).getTime();
  const tr = await getJSON(`/api/tracks/${encodeURIComponent(a.subject)}`, {
    from: new Date(at - TRACK_BEFORE_S * 1000).toISOString(), to: new Date(at + TRACK_AFTER_S * 1000).toISOString() }).catch(() => null);
  if (tr?.line) source.setData({ type: 'Feature', geometry: tr.line, properties: {} });
}

async function openAlarm(a) {
  if (a.location) map.flyTo({ center: a.location.coordinates, zoom: Math.max(map.getZoom(), 17) });
  await details.alarm(a.id, { actions: board.actionsFor(a), onAct: act });
  await alarmTrack(a);
}

const board = new AlarmBoard({ panel: document.getElementById('tab-alarms'), toasts: document.getElementById('toasts'), me, onSelect: openAlarm });
window.alarms = board;

function syncAlarmLayer() {
  map.getSource('live-alarms')?.setData(board.features());
}
board.addEventListener('changed', syncAlarmLayer);
board.addEventListener('alarm', (e) => {
  const a = e.detail;
  if (a.subject_id) feed.setAlarm(a.subject_id, board.isOpen(a) ? a.severity : '');
});

let fences = null;
let playback = null;

/** A subject's card gets a button to play its last hour back. */
async function openSubject(source, id) {
  const f = await details.subject(source, id);
  details.card.append(el('button', { type: 'button', class: 'action', 'data-play': 'subject',
    onclick: () => { showTab('query'); playback.load(f.properties.external_id); } }, t('playback')));
}

async function openZone(id) {
  await details.zone(id);
  if (fences) {
    details.card.append(el('button', { type: 'button', class: 'action', 'data-fence': 'edit',
      onclick: () => { showTab('layers'); fences.edit(id); } }, t('edit')));
  }
}

const DETAIL_LAYERS = ['live-alarms', 'live-people', 'live-welders', 'live-cameras', 'permits', 'enterprises', 'zones', 'sites'];

map.on('click', async (e) => {
  const hits = map.queryRenderedFeatures(e.point, { layers: DETAIL_LAYERS.filter((id) => map.getLayer(id)) });
  const cluster = map.queryRenderedFeatures(e.point, { layers: ['live-people-clusters', 'live-welders-clusters'].filter((id) => map.getLayer(id)) })[0];
  if (!hits.length && cluster) {
    const zoom = await map.getSource(cluster.source).getClusterExpansionZoom(cluster.properties.cluster_id);
    map.easeTo({ center: cluster.geometry.coordinates, zoom });
    return;
  }
  const f = hits[0];
  if (!f) return;
  const id = f.id ?? f.properties.id;
  try {
    if (f.layer.id === 'live-alarms') await openAlarm(board.alarms.get(f.properties.id));
    else if (f.source in { 'live-people': 1, 'live-welders': 1, 'live-cameras': 1 }) await openSubject(f.source, id);
    else if (f.layer.id === 'permits') await details.permit(id);
    else if (f.layer.id === 'enterprises') await details.enterprise(id);
    else if (f.layer.id === 'zones') await openZone(id);
    else if (f.layer.id === 'sites') await details.site(id);
  } catch (err) {
    details.show(t('failed'), String(err.message || err));
  }
});
for (const id of DETAIL_LAYERS) {
  map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
}

searchBox(document.getElementById('search'), document.getElementById('search-input'), document.getElementById('search-results'), async (r) => {
  const zoom = { enterprise: 15, site: 16, region: r.code?.length > 6 ? 13 : 11 }[r.kind] ?? 18;
  if (r.location) map.flyTo({ center: r.location.coordinates, zoom });
  const source = LIVE_SOURCES[r.kind];
  if (source) await openSubject(source, r.id);
  else if (r.kind === 'enterprise') await details.enterprise(r.id);
  else if (r.kind === 'zone') await openZone(r.id);
  else if (r.kind === 'permit') await details.permit(r.id);
  else if (r.kind === 'site') await details.site(r.id);
});

map.once('style.load', () => {
  layerPanel(map, document.getElementById('tab-layers'));
  if (me.can_edit_fences) fences = new FenceEditor(map, document.getElementById('tab-layers'));
  window.fences = fences;
  window.offline = new OfflinePanel(map, document.getElementById('tab-layers'));
  nearbyPanel(map, document.getElementById('tab-query'), () => showTab('query'));
  window.area = new AreaQuery(map, document.getElementById('tab-query'));
  playback = new Playback(map, document.getElementById('tab-query'));
  window.playback = playback;
  feed.start();
  board.start().then(syncAlarmLayer);
});
