// The 2D map page for field officers' tablets and supervisors' desks.

import './map.css';
import { createMap, layerPanel, refreshTiles } from './map.js';
import { drawing } from './draw.js';
import { LiveMap, layerOfKind } from './live.js';
import { Selection, Subjects, actor, linkAlarms } from './core.js';
import { liveLayers, liveSource } from './page-style.js';
import { Vocabulary } from './vocab.js';
import { testFacade } from './test-facade.js';
import { AlarmBoard } from './alarms.js';
import { Details } from './details.js';
import { VideoWall } from './player.js';
import { CallPanel } from './calls.js';
import { InspectionPanel } from './inspections.js';
import { deviceButton, openEquipment } from './equipment.js';
import { EquipmentList } from './equipment-list.js';
import { PermitBoard } from './permit-board.js';
import { searchBox } from './search.js';
import { frame, netState, tabs } from './panels.js';
import { nearbyPanel } from './nearby.js';
import { AreaQuery } from './area.js';
import { FenceEditor } from './fences.js';
import { Playback } from './playback.js';
import { OfflinePanel, installProtocol, registerShell, workerFromPage } from './offline.js';
import { el } from './format.js';
import { setLang, t } from './i18n.js';
import { getJSON } from './api.js';

const me = JSON.parse(document.getElementById('me').textContent);
setLang(me.lang);
const vocab = new Vocabulary(me.vocabulary);

installProtocol();
registerShell();
// MapLibre's worker from a blob of its script: fetched by the page, so the service worker answers offline too.
me.worker = await workerFromPage(me.worker);
const map = createMap(document.getElementById('map'), me);
frame(me, map);
const panel = document.getElementById('panel');
const showTab = tabs(panel, ['alarms', 'layers', 'query', 'permits', 'equip', ...(me.inspections ? ['inspect'] : [])]);
const subjects = new Subjects();
netState(subjects);
const selection = new Selection();
// A tablet shows one or four pictures at once; the wall has more layouts (command-page.js).
const video = new VideoWall(document.getElementById('video'), { layouts: ['1', '4'], layout: '1' });
const calls = new CallPanel(document.getElementById('call'), { enabled: me.calls });
// A camera's aim: the next two clicks on the map (where it stands, what it should see); they belong to the aim, not
// to the cards under them.
let aiming = null;
const pickLine = () => new Promise((resolve) => { aiming = { points: [], resolve }; });
const details = new Details(document.getElementById('details'), { vocab, selection, video, calls, drawAim: pickLine });
details.onAimed = () => refreshTiles(map); // the camera's new sector from the tiles at once
const parts = { map, subjects, details, selection, video, calls };
testFacade(parts);

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
  deviceButton(details, a, vocab, me);
  await alarmTrack(a);
}

const board = new AlarmBoard({ panel: document.getElementById('tab-alarms'), toasts: document.getElementById('toasts'), me, vocab, onSelect: openAlarm });
const act = actor(board);
parts.board = board;
linkAlarms(board, subjects);
let live = {}; // the style's live layers, once it is loaded

function syncAlarmLayer() {
  for (const [id, l] of Object.entries(live)) if (l.stream === 'alarms') map.getSource(liveSource(id))?.setData(board.features());
}
board.addEventListener('changed', syncAlarmLayer);

let fences = null;
let playback = null;

/** A subject's card gets a button to play its last hour back. `layer`: the live layer it is drawn in. */
async function openSubject(layer, id) {
  const f = await details.subject(layer, id);
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

// What a click on the map opens: the registry layers with a card (the live ones by their stream).
const CARDS = ['alarms', 'people', 'welders', 'cameras', 'video', 'equipment', 'permits', 'enterprises', 'zones', 'sites'];

async function onClick(e) {
  if (aiming) {
    aiming.points.push(e.lngLat.toArray());
    if (aiming.points.length === 2) {
      const { points, resolve } = aiming;
      aiming = null;
      resolve({ type: 'LineString', coordinates: points });
    }
    return;
  }
  if (drawing()) return;
  const hits = map.queryRenderedFeatures(e.point, { layers: CARDS.filter((id) => map.getLayer(id)) });
  const clusters = Object.keys(live).map((id) => `${id}-clusters`).filter((id) => map.getLayer(id));
  const cluster = map.queryRenderedFeatures(e.point, { layers: clusters })[0];
  if (!hits.length && cluster) {
    const zoom = await map.getSource(cluster.source).getClusterExpansionZoom(cluster.properties.cluster_id);
    map.easeTo({ center: cluster.geometry.coordinates, zoom });
    return;
  }
  const f = hits[0];
  if (!f) return;
  const id = f.id ?? f.properties.id;
  const stream = live[f.layer.id]?.stream;
  try {
    if (stream === 'alarms') await openAlarm(board.alarms.get(f.properties.id));
    else if (stream === 'positions') await openSubject(f.layer.id, id);
    else if (f.layer.id === 'permits') await details.permit(id);
    else if (f.layer.id === 'video') await details.camera(id);
    else if (f.layer.id === 'equipment') await openEquipment(details, id, vocab, me);
    else if (f.layer.id === 'enterprises') await details.enterprise(id);
    else if (f.layer.id === 'zones') await openZone(id);
    else if (f.layer.id === 'sites') await details.site(id);
  } catch (err) {
    details.show(t('failed'), String(err.message || err));
  }
}
map.on('click', onClick);
for (const id of CARDS) {
  map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
}

searchBox(document.getElementById('search'), document.getElementById('search-input'), document.getElementById('search-results'), vocab, async (r) => {
  const zoom = { enterprise: 15, site: 16, region: r.code?.length > 6 ? 13 : 11 }[r.kind] ?? 18;
  if (r.location) map.flyTo({ center: r.location.coordinates, zoom });
  const layer = layerOfKind(live)[r.kind];
  if (layer) await openSubject(layer, r.id);
  else if (r.kind === 'enterprise') await details.enterprise(r.id);
  else if (r.kind === 'zone') await openZone(r.id);
  else if (r.kind === 'permit') await details.permit(r.id);
  else if (r.kind === 'camera') await details.camera(r.id);
  else if (r.kind === 'equipment') await openEquipment(details, r.id, vocab, me);
  else if (r.kind === 'site') await details.site(r.id);
});

map.once('style.load', () => {
  live = liveLayers(map.getStyle());
  layerPanel(map, document.getElementById('tab-layers'), vocab);
  if (me.can_edit_fences) fences = new FenceEditor(map, document.getElementById('tab-layers'), vocab);
  parts.offline = new OfflinePanel(map, document.getElementById('tab-layers'));
  nearbyPanel(map, document.getElementById('tab-query'), () => showTab('query'));
  parts.area = new AreaQuery(map, document.getElementById('tab-query'), { calls });
  playback = new Playback(map, document.getElementById('tab-query'));
  if (me.inspections) {
    const tab = document.getElementById('tab-inspect');
    parts.inspections = new InspectionPanel(map, tab, { vocab, video, visible: () => !tab.hidden });
    document.querySelector('[data-tab="inspect"]').addEventListener('click', () => parts.inspections.load());
  }
  parts.permitBoard = new PermitBoard(document.getElementById('tab-permits'), { vocab });
  document.querySelector('[data-tab="permits"]').addEventListener('click', () => {
    if (!parts.permitBoard.timer) parts.permitBoard.start(); // polled from the first look on, every 5 s while seen
  }, { once: true });
  const equipTab = document.getElementById('tab-equip');
  parts.equipment = new EquipmentList(equipTab, { vocab, me, onOpen: async (r) => {
    map.flyTo({ center: [r.lon, r.lat], zoom: 17 });
    await openEquipment(details, r.id, vocab, me);
  } });
  document.querySelector('[data-tab="equip"]').addEventListener('click', () => parts.equipment.load());
  parts.playback = playback;
  parts.liveMap = new LiveMap(map, subjects, live);
  parts.liveMap.start();
  board.start().then(syncAlarmLayer);
});
