// node --test: the pages' pure core: the vocabulary, the served style re-pointed for the page, the subjects' state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Vocabulary } from '../src/vocab.js';
import { groupsOf, liveLayers, pageStyle } from '../src/page-style.js';
import { Subjects, linkAlarms } from '../src/core.js';
import { layerOfKind } from '../src/live.js';

const VOCAB = {
  severity: { terms: [
    { code: 'critical', label: '紧急', colour: '#b31d28', wall: '#ff2d2d', flags: ['severe'] },
    { code: 'alarm', label: '报警', colour: '#e36209', wall: '#ff6a3d', flags: [] },
  ], other: null },
  person_type: { terms: [{ code: '01', label: '内部人员', colour: '#2ea44f', wall: '#3fb950', flags: [] }],
    other: { code: '', label: '其他人员', colour: '#2ea44f', wall: '#3fb950', flags: [] } },
};

test('a code is labelled and coloured by the vocabulary, an unknown one by its "other"', () => {
  const v = new Vocabulary(VOCAB);
  assert.equal(v.label('severity', 'critical'), '紧急');
  assert.equal(v.colour('severity', 'critical', true), '#ff2d2d');
  assert.deepEqual(v.flagged('severity', 'severe'), ['critical']);
  assert.equal(v.label('person_type', '09'), '其他人员');
  assert.equal(v.colour('nope', 'x'), '#6a737d');
  assert.deepEqual(v.legend('severity', ['alarm']), [['报警', '#e36209']]);
});

function servedStyle() {
  return {
    metadata: { 'geoservice:live': { people: { stream: 'positions', kinds: ['person'], cluster_maxzoom: 15 },
      cameras: { stream: 'positions', kinds: ['body_camera', 'phone'], cluster_maxzoom: null },
      alarms: { stream: 'alarms', kinds: [], cluster_maxzoom: 11 } } },
    sources: { geoservice: { type: 'vector', url: 'http://x/tiles/zones,people,cameras,alarms.json' } },
    layers: [
      { id: 'zones', source: 'geoservice', 'source-layer': 'zones', metadata: { 'geoservice:layer': 'zones',
        'geoservice:legend': { vocabulary: 'severity', codes: null } }, layout: { visibility: 'none' } },
      { id: 'people-clusters', source: 'geoservice', 'source-layer': 'people', metadata: { 'geoservice:layer': 'people', 'geoservice:live': 'positions' } },
      { id: 'people', source: 'geoservice', 'source-layer': 'people', metadata: { 'geoservice:layer': 'people', 'geoservice:live': 'positions' } },
      { id: 'cameras', source: 'geoservice', 'source-layer': 'cameras', metadata: { 'geoservice:layer': 'cameras', 'geoservice:live': 'positions' } },
      { id: 'alarms', source: 'geoservice', 'source-layer': 'alarms', metadata: { 'geoservice:layer': 'alarms', 'geoservice:live': 'alarms' } },
    ],
  };
}

test('the live layers are re-pointed at the streams\' sources and only the others are asked of the tiles', () => {
  const s = pageStyle(null, servedStyle());
  assert.deepEqual(s.layers.filter((l) => l.source !== 'geoservice').map((l) => [l.id, l.source, l['source-layer']]), [
    ['people-clusters', 'live-people', undefined], ['people', 'live-people', undefined],
    ['cameras', 'live-cameras', undefined], ['alarms', 'live-alarms', undefined]]);
  assert.equal(s.sources.geoservice.url, 'geo:///tiles/zones.json');
  assert.deepEqual(s.sources['live-people'], { type: 'geojson', data: { type: 'FeatureCollection', features: [] },
    cluster: true, clusterMaxZoom: 15, clusterRadius: 50 });
  assert.equal(s.sources['live-cameras'].cluster, undefined);
  assert.deepEqual(layerOfKind(liveLayers(s)), { person: 'people', body_camera: 'cameras', phone: 'cameras' });
});

test('the switcher has a group per registry layer, hidden ones off, a legend from the vocabulary', () => {
  const groups = groupsOf(servedStyle(), new Vocabulary(VOCAB));
  assert.deepEqual(groups.map((g) => [g.key, g.layers, g.on]), [
    ['zones', ['zones'], false], ['people', ['people-clusters', 'people'], true], ['cameras', ['cameras'], true],
    ['alarms', ['alarms'], true]]);
  assert.deepEqual(groups[0].legend, [['紧急', '#b31d28'], ['报警', '#e36209']]);
});

/** A stand-in for the live stream: the core listens to its events only. */
class FakeStream extends EventTarget {
  follow(box) { this.box = box; }
  send(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }
}

test('the subjects follow the stream and keep their alarm state across snapshots and deltas', () => {
  const stream = new FakeStream();
  const s = new Subjects(stream);
  const seen = [];
  for (const type of ['snapshot', 'delta', 'alarm']) s.addEventListener(type, (e) => seen.push([type, e.detail]));
  s.setAlarm(2, 'critical'); // before the subject is in view
  stream.send('snapshot', { subjects: [{ id: 1, kind: 'person', lon: 1, lat: 1 }, { id: 2, kind: 'welder', lon: 2, lat: 2 }] });
  assert.equal(s.get(2).alarm, 'critical');
  assert.equal(s.get(1).alarm, '');
  stream.send('delta', { upserts: [{ id: 3, kind: 'person', lon: 3, lat: 3 }], moved: [{ id: 1, lon: 5, lat: 6, time: 9 }, { id: 99, lon: 0, lat: 0, time: 0 }], gone: [2, 42] });
  const delta = seen.find(([type]) => type === 'delta')[1];
  assert.deepEqual(delta.moved.map((p) => [p.id, p.lon, p.lat, p.kind]), [[1, 5, 6, 'person']]); // an unknown id is dropped
  assert.deepEqual(delta.gone, [2]);
  assert.deepEqual(s.count(), { total: 2, person: 2 });
  s.setAlarm(1, 'alarm');
  assert.equal(s.get(1).alarm, 'alarm');
  s.setAlarm(1, '');
  assert.equal(s.get(1).alarm, '');
});

test('an alarm marks its subject, or its fence when it has no subject, and clears when it is no longer open', () => {
  const s = new Subjects(new FakeStream());
  const board = new EventTarget();
  board.isOpen = (a) => a.status === 'raised';
  const zones = [];
  linkAlarms(board, s, (id, severity) => zones.push([id, severity]));
  const send = (a) => board.dispatchEvent(new CustomEvent('alarm', { detail: a }));
  send({ subject_id: 7, status: 'raised', severity: 'red' });
  assert.equal(s.alarmed.get(7), 'red');
  send({ subject_id: 7, status: 'closed', severity: 'red' });
  assert.equal(s.alarmed.has(7), false);
  send({ zone: { id: 4 }, status: 'raised', severity: 'alarm' });
  assert.deepEqual(zones, [[4, 'alarm']]);
});

test('the stream decodes the server\'s compact rows into subjects', async () => {
  const { LiveStream } = await import('../src/live-stream.js');
  const stream = new LiveStream();
  const got = [];
  for (const type of ['snapshot', 'delta']) stream.addEventListener(type, (e) => got.push([type, e.detail]));
  stream.receive('snapshot', JSON.stringify({ fields: ['id', 'kind', 'lon', 'lat'], rows: [[1, 'person', 121.4, 30.7]] }));
  stream.receive('delta', JSON.stringify({ fields: ['id', 'kind', 'lon', 'lat'], upsert: [[2, 'welder', 121.5, 30.8]],
    moved_fields: ['id', 'lon', 'lat', 'time'], moved: [[1, 121.41, 30.71, 99]], gone: [3] }));
  assert.deepEqual(got, [
    ['snapshot', { subjects: [{ id: 1, kind: 'person', lon: 121.4, lat: 30.7 }] }],
    ['delta', { upserts: [{ id: 2, kind: 'welder', lon: 121.5, lat: 30.8 }], moved: [{ id: 1, lon: 121.41, lat: 30.71, time: 99 }], gone: [3] }],
  ]);
});

test('playback places the subject along its track between the fixes around the moment', async () => {
  const { positionAt } = await import('../src/track.js');
  const track = { times: [0, 10, 20], line: { coordinates: [[0, 0], [10, 0], [10, 20]] } };
  assert.deepEqual(positionAt(track, -5), [0, 0]);
  assert.deepEqual(positionAt(track, 5), [5, 0]);
  assert.deepEqual(positionAt(track, 15), [10, 10]);
  assert.deepEqual(positionAt(track, 99), [10, 20]);
});

test('the alarm list shows what its filters ask, open ones by default, newest first', async () => {
  const { shownAlarms } = await import('../src/alarms.js');
  const alarms = [
    { id: 1, status: 'raised', type: 'sos', severity: 'critical', district: '金山区', raised_at: '2026-12-07T01:00:00Z' },
    { id: 2, status: 'closed', type: 'sos', severity: 'critical', district: '金山区', raised_at: '2026-12-07T02:00:00Z' },
    { id: 3, status: 'acknowledged', type: 'out_of_bounds', severity: 'alarm', district: '奉贤区', raised_at: '2026-12-07T03:00:00Z' },
  ];
  const open = ['raised', 'acknowledged', 'dispatched'];
  const ids = (f) => shownAlarms(alarms, { type: '', severity: '', status: '', district: '', ...f }, open).map((a) => a.id);
  assert.deepEqual(ids({}), [3, 1]);
  assert.deepEqual(ids({ status: 'closed' }), [2]);
  assert.deepEqual(ids({ severity: 'critical' }), [1]);
  assert.deepEqual(ids({ district: '奉贤区', type: 'out_of_bounds' }), [3]);
});

test('the offline queue keeps what could not be sent, drops what was refused, and what came meanwhile', async () => {
  const { ActionQueue } = await import('../src/alarms.js');
  const store = new Map();
  const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) };
  const q = new ActionQueue(storage);
  for (const id of [1, 2, 3]) q.push({ id, action: 'acknowledge' });
  const left = await q.drain(async (item) => {
    if (item.id === 1) return; // sent
    if (item.id === 2) throw Object.assign(new Error('offline'), { keep: true });
    if (item.id === 3) { q.push({ id: 4, action: 'resolve' }); throw new Error('409: done meanwhile'); }
  });
  assert.equal(left, 2);
  assert.deepEqual(q.items().map((i) => i.id), [2, 4]);
});

test('the selection is one place: what was chosen, of which kind, cleared when the card closes', async () => {
  const { Selection } = await import('../src/core.js');
  const s = new Selection();
  const seen = [];
  s.addEventListener('selected', (e) => seen.push(e.detail));
  s.set('alarm', 7);
  assert.equal(s.of('alarm'), 7);
  assert.equal(s.of('subject'), null);
  s.clear();
  assert.equal(s.current, null);
  assert.deepEqual(seen, [{ kind: 'alarm', id: 7 }, null]);
});
