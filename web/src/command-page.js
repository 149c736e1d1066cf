// The 3D command centre for the park's video wall: the scene, live subjects, alarms linked to the map, the
// statistics panels, track playback and dispatch. Shares the 2D page's api, live stream, alarm list, details, words.

import './command.css';
import { BoundingSphere, Cartesian2, Cartesian3, Color, ColorMaterialProperty, CallbackProperty, HeadingPitchRange, Math as CesiumMath,
  SceneTransforms, ScreenSpaceEventHandler, ScreenSpaceEventType } from '@cesium/engine';
import { addBaseMap, createViewer, frame, identify } from './scene3d.js';
import { Layers3D } from './layers3d.js';
import { Live3D } from './live3d.js';
import { layerOfKind } from './live.js';
import { AlarmBoard } from './alarms.js';
import { Details } from './details.js';
import { deviceButton, openEquipment } from './equipment.js';
import { VideoWall } from './player.js';
import { CallPanel } from './calls.js';
import { WallPanels } from './wall.js';
import { Playback3D } from './playback3d.js';
import { Dispatch3D } from './dispatch3d.js';
import { frame as pageFrame, netState } from './panels.js';
import { el, shanghaiTime, toLocalInput } from './format.js';
import { setLang, t } from './i18n.js';
import { getJSON } from './api.js';
import { Selection, Subjects, actor, linkAlarms } from './core.js';
import { liveLayers } from './page-style.js';
import { Vocabulary } from './vocab.js';
import { testFacade } from './test-facade.js';

const me = JSON.parse(document.getElementById('me').textContent);
setLang(me.lang);
const vocab = new Vocabulary(me.vocabulary);

const viewer = createViewer(document.getElementById('scene'), me);
const parts = { viewer };
testFacade(parts);
pageFrame(me, null);
const clock = document.getElementById('clock');
setInterval(() => { clock.textContent = shanghaiTime(new Date()); }, 1000);

const selection = new Selection();
// The wall's video: 1, 4, 9, 16 pictures or one large with five or seven beside it (seed 002's 1+N).
const video = new VideoWall(document.getElementById('video'), { layout: '4' });
parts.video = video;
const calls = new CallPanel(document.getElementById('call'), { enabled: me.calls });
parts.calls = calls;
const details = new Details(document.getElementById('details'), { vocab, selection, video, calls });
const layers = new Layers3D(viewer, vocab);
parts.layers = layers;
parts.selection = selection;
const FOLLOW_EVERY_MS = 12_000;
// The live layers and heat maps the service declares (its style's metadata; the wall draws them its own way).
const served = await getJSON('/maps/style.json');
const live = liveLayers(served);
const heatMaps = served.layers.map((l) => l.metadata?.['geoservice:heat']).filter(Boolean);

function flyTo([lon, lat], range = 450, duration = 1.5) {
  viewer.camera.flyToBoundingSphere(new BoundingSphere(Cartesian3.fromDegrees(lon, lat, 0), 30),
    { offset: new HeadingPitchRange(0, CesiumMath.toRadians(-40), range), duration });
}

async function openAlarm(a) {
  if (a.location) flyTo(a.location.coordinates);
  const card = await details.alarm(a.id, { actions: board.actionsFor(a), onAct: act });
  deviceButton(details, a, vocab, me);
  if (me.can_act) {
    details.card.append(el('button', { type: 'button', class: 'action', 'data-action': 'dispatch-area', onclick: () => dispatch.start() }, t('dispatchTool')));
  }
  if (a.subject) {
    details.card.append(el('button', { type: 'button', class: 'action', 'data-play': 'alarm', onclick: () => {
      const at = new Date(a.raised_at).getTime();
      playback.from.value = toLocalInput(new Date(at - 600e3));
      playback.to.value = toLocalInput(new Date(at + 300e3));
      playback.open([a.subject]);
    } }, t('playback')));
  }
  return card;
}

const board = new AlarmBoard({ panel: document.getElementById('tab-alarms'), toasts: document.getElementById('toasts'), me, vocab, onSelect: openAlarm });
const act = actor(board);
parts.board = board;
const subjects = new Subjects();
parts.subjects = subjects;

// --- alarm linkage: subjects and zones in their alarm state, an auto-follow queue of severe alarms ---------------
const zoneAlarms = new Map(); // zone id -> severity
const followQueue = [];
let following = false;

function zoneEntities(id) {
  return (layers.groups.zones || []).filter((e) => e.properties?.id?.getValue() === id);
}

function markZone(id, severity) {
  if (severity) zoneAlarms.set(id, severity); else zoneAlarms.delete(id);
  const hot = severity ? Color.fromCssColorString(vocab.colour('severity', severity, true)) : null;
  for (const e of zoneEntities(id)) {
    const base = layers.zoneColour(e.properties.kind.getValue());
    e.polygon.material = severity
      ? new ColorMaterialProperty(new CallbackProperty(() => hot.withAlpha(0.25 + 0.3 * (0.5 + 0.5 * Math.sin(performance.now() / 200))), false))
      : new ColorMaterialProperty(base.withAlpha(e.properties.kind.getValue() === 'forbidden' ? 0.28 : 0.16));
    e.polygon.outlineColor = severity ? hot : base.withAlpha(0.9);
  }
}

linkAlarms(board, subjects, markZone);
board.addEventListener('alarm', (e) => {
  const a = e.detail;
  if (following && board.isOpen(a) && a.status === 'raised' && board.isSevere(a) && !followQueue.some((x) => x.id === a.id)) {
    followQueue.push(a);
  }
});

function followNext() {
  if (!following) return;
  const a = followQueue.shift();
  if (a) openAlarm(a).catch(() => {});
  followButton.dataset.queue = String(followQueue.length);
  followButton.textContent = `${t('autoFollow')}${followQueue.length ? ` (${followQueue.length})` : ''}`;
}
setInterval(followNext, FOLLOW_EVERY_MS);

// --- tools: layers, heat maps, auto-follow, dispatch, playback --------------------------------------------------
const tools = document.getElementById('wall-tools');
function toggle(key, on, apply) {
  const b = el('button', { type: 'button', class: `tool${on ? ' on' : ''}`, 'data-layer': key, 'aria-pressed': String(on), onclick: () => {
    const now = b.getAttribute('aria-pressed') !== 'true';
    b.setAttribute('aria-pressed', String(now));
    b.classList.toggle('on', now);
    apply(now);
  } }, t(`g_${key}`));
  return b;
}
const followButton = el('button', { type: 'button', class: 'tool', 'data-tool': 'follow', 'aria-pressed': 'false', onclick: () => {
  following = !following;
  followButton.setAttribute('aria-pressed', String(following));
  followButton.classList.toggle('on', following);
  if (!following) followQueue.length = 0;
  followNext();
} }, t('autoFollow'));

const live3d = new Live3D(viewer, subjects, vocab);
parts.live3d = live3d;
netState(subjects);
const playback = new Playback3D(viewer, document.getElementById('playbar'), { onFrame: (pts) => frame(viewer, pts, { duration: 1 }) });
parts.playback = playback;
const dispatch = new Dispatch3D(viewer, document.getElementById('details'), { board, me, selection, calls });
parts.dispatch = dispatch;

tools.replaceChildren(
  ...['buildings', 'sites', 'zones', 'permits', 'video', 'equipment', 'counts', 'districts'].map((k) => toggle(k, true, (on) => layers.show(k, on))),
  ...Object.entries(live).filter(([, l]) => l.stream === 'positions').map(([k, l]) => toggle(k, true, (on) => live3d.showKinds(l.kinds, on))),
  ...heatMaps.map((name) => toggle(`heat_${name}`, false, (on) => layers.show(`heat_${name}`, on))),
  followButton,
  el('button', { type: 'button', class: 'tool', 'data-tool': 'dispatch', onclick: () => dispatch.start() }, t('dispatchTool')),
  el('button', { type: 'button', class: 'tool', 'data-tool': 'playback', onclick: () => playback.open() }, t('playback')),
);

// --- picking: details of what was clicked -----------------------------------------------------------------------
const layerOf = layerOfKind(live);
async function openPicked(hit) {
  if (!hit) return;
  try {
    if (hit.layer === 'live') {
      const f = await details.subject(layerOf[hit.kind], hit.id);
      details.card.append(el('button', { type: 'button', class: 'action', 'data-play': 'subject', onclick: () => playback.open([f.properties.external_id]) }, t('playback')));
    } else if (hit.layer === 'sites') await details.site(hit.id);
    else if (hit.layer === 'zones') await details.zone(hit.id);
    else if (hit.layer === 'permits') await details.permit(hit.id);
    else if (hit.layer === 'video') await details.camera(hit.id);
    else if (hit.layer === 'equipment') await openEquipment(details, hit.id, vocab, me);
    else if (hit.layer === 'districts') return;
  } catch (err) {
    details.show(t('failed'), String(err.message || err));
  }
}
new ScreenSpaceEventHandler(viewer.scene.canvas).setInputAction((e) => {
  if (dispatch.handler) return; // drawing an area
  openPicked(identify(viewer.scene.pick(e.position)));
}, ScreenSpaceEventType.LEFT_CLICK);

/** What is at a point on the screen, and where a place is on it (the test facade). */
parts.command = {
  identify: (x, y) => identify(viewer.scene.pick(new Cartesian2(x, y))),
  toScreen: (lon, lat, h = 0) => {
    const p = SceneTransforms.worldToWindowCoordinates(viewer.scene, Cartesian3.fromDegrees(lon, lat, h));
    return p ? [p.x, p.y] : null;
  },
  flyTo,
};

// --- start --------------------------------------------------------------------------------------------------------
addBaseMap(viewer);
for (const name of heatMaps) layers.addHeat(name);
const loaded = await layers.load({ tileset: me.tileset });
// Equipment's states follow its fault alarms (a moment after each, once for a burst) and a minute's sweep (离线).
let equipmentDue = null;
const refreshEquipment = () => { equipmentDue = null; layers.refreshEquipment(); };
board.addEventListener('alarm', (e) => {
  if (e.detail.category === 'equipment' && !equipmentDue) equipmentDue = setTimeout(refreshEquipment, 2000);
});
setInterval(refreshEquipment, 60000);
const extent = (loaded.sites.length ? loaded.sites : loaded.districts).flatMap((f) => {
  const g = f.geometry;
  return (g.type === 'Polygon' ? [g.coordinates] : g.coordinates).flatMap((p) => p[0]);
});
frame(viewer, extent);
const lons = extent.map((c) => c[0]);
const lats = extent.map((c) => c[1]);
live3d.scopeBox = extent.length ? [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)] : [73, 18, 135, 54];
const panels = new WallPanels(document.getElementById('left'), { subjects, board, layers, vocab });
parts.panels = panels;
const firstData = new Promise((resolve) => live3d.addEventListener('applied', resolve, { once: true }));
live3d.start();
board.start();
panels.start(loaded.sites);
await firstData;
const tilesReady = layers.tileset ? new Promise((resolve) => {
  if (layers.tileset.tilesLoaded) resolve();
  else layers.tileset.allTilesLoaded.addEventListener(resolve);
  setTimeout(resolve, 30_000); // a tileset that never settles must not hold the page back
}) : Promise.resolve();
await tilesReady;
// Ready once three frames in a row have the globe, the entities' shapes (built in Cesium's workers) and the tileset's
// tiles in view all loaded; a scene that never settles is called ready after a minute rather than never.
let settled = 0;
let late = false;
const giveUp = setTimeout(() => { late = true; }, 60_000);
const remove = viewer.scene.postRender.addEventListener(() => {
  const loaded = viewer.dataSourceDisplay.ready && viewer.scene.globe.tilesLoaded && (layers.tileset?.tilesLoaded ?? true);
  settled = loaded ? settled + 1 : 0;
  if (settled < 3 && !late) return;
  remove();
  clearTimeout(giveUp);
  document.body.dataset.ready = 'true';
});
