// The 2D renderer of the live subjects (core.js Subjects): each subject a feature of its live layer's GeoJSON source
// (the style's people, welders and cameras, re-pointed by page-style.js). A snapshot sets a source once; each delta
// is a diff (add, update, remove) that MapLibre applies in its worker, so 20,000 moving machines cost the page a
// message, not a rebuild.

import { liveSource } from './page-style.js';

function feature(p) {
  return { type: 'Feature', id: p.id, geometry: { type: 'Point', coordinates: [p.lon, p.lat] }, properties: p };
}

function viewOf(map) {
  const b = map.getBounds();
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
}

/** subject kind -> the live layer that draws it, from the style's live layers ({id: {stream, kinds}}). */
export function layerOfKind(live) {
  const out = {};
  for (const [id, l] of Object.entries(live)) for (const kind of l.kinds || []) out[kind] = id;
  return out;
}

export class LiveMap extends EventTarget {
  /** `live`: the style's live layers (page-style.js liveLayers). */
  constructor(map, subjects, live) {
    super();
    this.map = map;
    this.subjects = subjects;
    this.layerOf = layerOfKind(live);
    this.sources = [...new Set(Object.values(this.layerOf))].map(liveSource);
    this.sourceOf = new Map(); // subject id -> the source it is drawn in
    this.lastApplyMs = 0;
    subjects.addEventListener('snapshot', (e) => this.snapshot(e.detail));
    subjects.addEventListener('delta', (e) => this.delta(e.detail));
    subjects.addEventListener('alarm', (e) => this.alarm(e.detail));
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
    this.subjects.follow(viewOf(this.map));
  }

  sourceFor(p) {
    const layer = this.layerOf[p.kind];
    return layer ? liveSource(layer) : null;
  }

  snapshot({ subjects }) {
    const t0 = performance.now();
    const bySource = Object.fromEntries(this.sources.map((sid) => [sid, []]));
    this.sourceOf.clear();
    for (const p of subjects) {
      const sid = this.sourceFor(p);
      if (!sid) continue;
      bySource[sid].push(feature(p));
      this.sourceOf.set(p.id, sid);
    }
    for (const [sid, features] of Object.entries(bySource)) {
      this.map.getSource(sid)?.setData({ type: 'FeatureCollection', features });
    }
    this.applied(t0, true, subjects.length);
  }

  delta({ upserts, moved, gone }) {
    const t0 = performance.now();
    const diffs = {};
    const diff = (sid) => (diffs[sid] ??= { add: [], update: [], remove: [] });
    for (const p of upserts) {
      const sid = this.sourceFor(p);
      if (!sid) continue;
      const f = feature(p);
      const before = this.sourceOf.get(p.id);
      if (before === sid) {
        diff(sid).update.push({ id: p.id, newGeometry: f.geometry, addOrUpdateProperties: Object.entries(p).map(([key, value]) => ({ key, value })) });
      } else {
        if (before) diff(before).remove.push(p.id);
        diff(sid).add.push(f);
      }
      this.sourceOf.set(p.id, sid);
    }
    for (const p of moved) {
      const sid = this.sourceOf.get(p.id);
      if (!sid) continue;
      diff(sid).update.push({ id: p.id, newGeometry: { type: 'Point', coordinates: [p.lon, p.lat] }, addOrUpdateProperties: [{ key: 'time', value: p.time }] });
    }
    for (const id of gone) {
      const sid = this.sourceOf.get(id);
      if (!sid) continue;
      diff(sid).remove.push(id);
      this.sourceOf.delete(id);
    }
    for (const [sid, d] of Object.entries(diffs)) this.map.getSource(sid)?.updateData(d);
    this.applied(t0, false, upserts.length + moved.length + gone.length);
  }

  /** A subject drawn in its alarm state (the style's halo reads `alarm`) or back to normal. */
  alarm({ id, severity }) {
    const sid = this.sourceOf.get(id);
    if (sid) this.map.getSource(sid)?.updateData({ update: [{ id, addOrUpdateProperties: [{ key: 'alarm', value: severity }] }] });
  }

  applied(t0, snapshot, count) {
    this.lastApplyMs = performance.now() - t0;
    this.dispatchEvent(new CustomEvent('applied', { detail: { snapshot, count } }));
  }
}
