// Live positions of people, welding machines and body cameras from /api/live/stream, applied to the map's GeoJSON
// sources in place: a snapshot sets a source once; each delta is a diff (add, update, remove) that MapLibre applies
// in its worker, so 20,000 moving machines cost the page a message, not a rebuild.

import { LiveStream } from './live-stream.js';

export const LIVE_SOURCES = { person: 'live-people', welder: 'live-welders', body_camera: 'live-cameras', phone: 'live-cameras' };

function feature(p) {
  return { type: 'Feature', id: p.id, geometry: { type: 'Point', coordinates: [p.lon, p.lat] }, properties: p };
}

function viewOf(map) {
  const b = map.getBounds();
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
}

export class LiveFeed extends EventTarget {
  constructor(map) {
    super();
    this.map = map;
    this.sourceOf = new Map(); // subject id -> source id
    this.props = new Map(); // subject id -> properties last applied (for details and alarm state)
    this.alarmed = new Map(); // subject id -> severity of its open alarm
    this.stream = new LiveStream();
    this.stream.addEventListener('status', (e) => this.status(e.detail));
    this.stream.addEventListener('snapshot', (e) => this.snapshot(e.detail));
    this.stream.addEventListener('delta', (e) => this.delta(e.detail));
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
    this.stream.follow(viewOf(this.map));
  }

  status(state) {
    this.dispatchEvent(new CustomEvent('status', { detail: state }));
  }

  source(id) {
    return this.map.getSource(id);
  }

  snapshot({ subjects }) {
    const t0 = performance.now();
    const bySource = { 'live-people': [], 'live-welders': [], 'live-cameras': [] };
    this.sourceOf.clear();
    this.props.clear();
    for (const p of subjects) {
      const f = feature(p);
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
    this.dispatchEvent(new CustomEvent('applied', { detail: { snapshot: true, count: subjects.length } }));
  }

  delta({ upserts, moved, gone }) {
    const t0 = performance.now();
    const diffs = {};
    const diff = (sid) => (diffs[sid] ??= { add: [], update: [], remove: [] });
    for (const p of upserts) {
      const f = feature(p);
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
    for (const m of moved) {
      const sid = this.sourceOf.get(m.id);
      if (!sid) continue;
      const p = this.props.get(m.id);
      p.lon = m.lon; p.lat = m.lat; p.time = m.time;
      diff(sid).update.push({ id: m.id, newGeometry: { type: 'Point', coordinates: [m.lon, m.lat] }, addOrUpdateProperties: [{ key: 'time', value: m.time }] });
    }
    for (const id of gone) {
      const sid = this.sourceOf.get(id);
      if (!sid) continue;
      diff(sid).remove.push(id);
      this.sourceOf.delete(id);
      this.props.delete(id);
    }
    for (const [sid, d] of Object.entries(diffs)) this.source(sid)?.updateData(d);
    this.lastApplyMs = performance.now() - t0;
    this.dispatchEvent(new CustomEvent('applied', { detail: { snapshot: false, count: upserts.length + moved.length + gone.length } }));
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
    this.stream.stop();
  }
}
