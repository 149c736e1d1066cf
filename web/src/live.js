// Live positions of people, welding machines and body cameras from /api/live/stream, applied to the map's GeoJSON
// sources in place: a snapshot sets a source once; each delta is a diff (add, update, remove) that MapLibre applies
// in its worker, so 20,000 moving machines cost the page a message, not a rebuild.

import { url } from './api.js';

export const LIVE_SOURCES = { person: 'live-people', welder: 'live-welders', body_camera: 'live-cameras', phone: 'live-cameras' };
const LAYERS = 'people,welders,cameras';
const PAD = 0.5; // the stream covers the view and half of it again on each side: small pans need no new stream

function feature(fields, row) {
  const p = {};
  fields.forEach((f, i) => { p[f] = row[i]; });
  return { type: 'Feature', id: p.id, geometry: { type: 'Point', coordinates: [p.lon, p.lat] }, properties: p };
}

function padded(b) {
  const w = b.getEast() - b.getWest();
  const h = b.getNorth() - b.getSouth();
  return [b.getWest() - w * PAD, b.getSouth() - h * PAD, b.getEast() + w * PAD, b.getNorth() + h * PAD]
    .map((v, i) => (i % 2 === 0 ? Math.max(-180, Math.min(180, v)) : Math.max(-90, Math.min(90, v))));
}

function covers(box, b) {
  return box && b.getWest() >= box[0] && b.getSouth() >= box[1] && b.getEast() <= box[2] && b.getNorth() <= box[3];
}

export class LiveFeed extends EventTarget {
  constructor(map) {
    super();
    this.map = map;
    this.sourceOf = new Map(); // subject id -> source id
    this.props = new Map(); // subject id -> properties last applied (for details and alarm state)
    this.alarmed = new Map(); // subject id -> severity of its open alarm
    this.box = null;
    this.es = null;
    this.lastApplyMs = 0;
  }

  start() {
    let timer = null;
    this.map.on('moveend', () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.follow(), 300);
    });
    this.follow();
  }

  follow() {
    const b = this.map.getBounds();
    if (covers(this.box, b)) return;
    this.box = padded(b);
    this.connect();
  }

  connect() {
    if (this.es) this.es.close();
    const es = new EventSource(url('/api/live/stream', { layers: LAYERS, bbox: this.box.map((v) => v.toFixed(6)).join(',') }));
    this.es = es;
    es.addEventListener('open', () => this.status('online'));
    es.addEventListener('error', () => this.status(es.readyState === EventSource.CLOSED ? 'offline' : 'reconnecting'));
    es.addEventListener('snapshot', (e) => this.snapshot(JSON.parse(e.data)));
    es.addEventListener('delta', (e) => this.delta(JSON.parse(e.data)));
  }

  status(state) {
    this.dispatchEvent(new CustomEvent('status', { detail: state }));
  }

  source(id) {
    return this.map.getSource(id);
  }

  snapshot(body) {
    const t0 = performance.now();
    const bySource = { 'live-people': [], 'live-welders': [], 'live-cameras': [] };
    this.sourceOf.clear();
    this.props.clear();
    for (const row of body.rows) {
      const f = feature(body.fields, row);
      const sid = LIVE_SOURCES[f.properties.kind];
      if (!sid) continue;
      f.properties.alarm = this.alarmed.get(f.id) || '';
      bySource[sid].push(f);
      this.sourceOf.set(f.id, sid);
      this.props.set(f.id, f.properties);
    }
    for (const [sid, features] of Object.entries(bySource)) {
      this.source(sid)?.setData({ type: 'FeatureCollection', features });
    }
    this.lastApplyMs = performance.now() - t0;
    this.dispatchEvent(new CustomEvent('applied', { detail: { snapshot: true, count: body.rows.length } }));
  }

  delta(body) {
    const t0 = performance.now();
    const diffs = {};
    const diff = (sid) => (diffs[sid] ??= { add: [], update: [], remove: [] });
    for (const row of body.upsert) {
      const f = feature(body.fields, row);
      const sid = LIVE_SOURCES[f.properties.kind];
      if (!sid) continue;
      f.properties.alarm = this.alarmed.get(f.id) || '';
      const before = this.sourceOf.get(f.id);
      if (before === sid) {
        diff(sid).update.push({ id: f.id, newGeometry: f.geometry, addOrUpdateProperties: Object.entries(f.properties).map(([key, value]) => ({ key, value })) });
      } else {
        if (before) diff(before).remove.push(f.id);
        diff(sid).add.push(f);
      }
      this.sourceOf.set(f.id, sid);
      this.props.set(f.id, f.properties);
    }
    const [iId, iLon, iLat, iTime] = ['id', 'lon', 'lat', 'time'].map((k) => body.moved_fields.indexOf(k));
    for (const row of body.moved) {
      const id = row[iId];
      const sid = this.sourceOf.get(id);
      if (!sid) continue;
      const p = this.props.get(id);
      p.lon = row[iLon]; p.lat = row[iLat]; p.time = row[iTime];
      diff(sid).update.push({ id, newGeometry: { type: 'Point', coordinates: [row[iLon], row[iLat]] }, addOrUpdateProperties: [{ key: 'time', value: row[iTime] }] });
    }
    for (const id of body.gone) {
      const sid = this.sourceOf.get(id);
      if (!sid) continue;
      diff(sid).remove.push(id);
      this.sourceOf.delete(id);
      this.props.delete(id);
    }
    for (const [sid, d] of Object.entries(diffs)) this.source(sid)?.updateData(d);
    this.lastApplyMs = performance.now() - t0;
    this.dispatchEvent(new CustomEvent('applied', { detail: { snapshot: false, count: body.upsert.length + body.moved.length + body.gone.length } }));
  }

  /** Show a subject in its alarm state (severity) or back to normal (''). */
  setAlarm(id, severity) {
    if (severity) this.alarmed.set(id, severity); else this.alarmed.delete(id);
    const sid = this.sourceOf.get(id);
    if (!sid) return;
    this.props.get(id).alarm = severity || '';
    this.source(sid)?.updateData({ update: [{ id, addOrUpdateProperties: [{ key: 'alarm', value: severity || '' }] }] });
  }

  stop() {
    if (this.es) this.es.close();
    this.es = null;
  }
}
