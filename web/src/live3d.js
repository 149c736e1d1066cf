// Live people, welding machines and body cameras on the 3D scene: one PointPrimitiveCollection, each subject a point
// moved in place (an Entity per subject does not scale past a few hundred; 20,000 machines must stay fluid). Colour
// by kind and state; alarmed subjects pulse; points shrink and fade with distance (level of detail when zoomed out).

import { Cartesian3, Color, NearFarScalar, PointPrimitiveCollection } from '@cesium/engine';
import { viewBox } from './scene3d.js';

const FLOOR_M = 3.5;
const SIZE = { person: 9, welder: 5, body_camera: 10, phone: 10 };
const BY_DISTANCE = { person: new NearFarScalar(500, 1.0, 30000, 0.5), welder: new NearFarScalar(500, 1.0, 20000, 0.35) };
const FADE = { welder: new NearFarScalar(2000, 1.0, 60000, 0.25) };

/** The 3D renderer of the live subjects (core.js Subjects), coloured by the vocabulary's wall colours. */
export class Live3D extends EventTarget {
  constructor(viewer, subjects, vocab, scopeBox = null) {
    super();
    this.viewer = viewer;
    this.subjects = subjects;
    this.vocab = vocab;
    this.scopeBox = scopeBox;
    this.points = viewer.scene.primitives.add(new PointPrimitiveCollection());
    this.byId = new Map(); // subject id -> its point
    this.hidden = new Set(); // kinds switched off
    this.colours = new Map(); // css colour -> Cesium colour
    subjects.addEventListener('snapshot', (e) => this.snapshot(e.detail.subjects));
    subjects.addEventListener('delta', (e) => this.delta(e.detail));
    subjects.addEventListener('alarm', (e) => this.restyle(e.detail.id));
    this.lastApplyMs = 0;
    viewer.scene.preRender.addEventListener(() => this.pulse());
  }

  start() {
    this.viewer.camera.moveEnd.addEventListener(() => this.follow());
    this.follow();
  }

  follow() {
    this.subjects.follow(viewBox(this.viewer, this.scopeBox));
  }

  css(c) {
    if (!this.colours.has(c)) this.colours.set(c, Color.fromCssColorString(c));
    return this.colours.get(c);
  }

  colorOf(p) {
    const v = this.vocab;
    const c = p.kind === 'person' ? v.colour('person_type', p.person_type, true)
      : p.kind === 'welder' ? v.colour('power', p.power, true) : v.colour('subject_kind', p.kind, true);
    return p.online === false ? this.css(c).withAlpha(0.35) : this.css(c);
  }

  position(p) {
    return Cartesian3.fromDegrees(p.lon, p.lat, 1.5 + (p.floor ? (p.floor - 1) * FLOOR_M : 0));
  }

  style(point, p) {
    point.color = this.colorOf(p);
    point.pixelSize = SIZE[p.kind] ?? 6;
    point.outlineColor = p.alarm ? this.css(this.vocab.colour('severity', p.alarm, true)) : Color.BLACK.withAlpha(0.6);
    point.outlineWidth = p.alarm ? 4 : 1;
    point.show = !this.hidden.has(p.kind);
  }

  add(p) {
    const point = this.points.add({
      position: this.position(p), id: { layer: 'live', id: p.id, kind: p.kind },
      scaleByDistance: BY_DISTANCE[p.kind], translucencyByDistance: FADE[p.kind],
      disableDepthTestDistance: p.kind === 'welder' ? 0 : Number.POSITIVE_INFINITY,
    });
    this.style(point, p);
    this.byId.set(p.id, point);
  }

  snapshot(subjects) {
    const t0 = performance.now();
    this.points.removeAll();
    this.byId.clear();
    for (const p of subjects) this.add(p);
    this.lastApplyMs = performance.now() - t0;
    this.dispatchEvent(new CustomEvent('applied', { detail: { snapshot: true, count: subjects.length } }));
  }

  delta({ upserts, moved, gone }) {
    const t0 = performance.now();
    for (const p of upserts) {
      const point = this.byId.get(p.id);
      if (!point) { this.add(p); continue; }
      point.position = this.position(p);
      this.style(point, p);
    }
    for (const p of moved) {
      const point = this.byId.get(p.id);
      if (point) point.position = this.position(p);
    }
    for (const id of gone) {
      const point = this.byId.get(id);
      if (!point) continue;
      this.points.remove(point);
      this.byId.delete(id);
    }
    this.lastApplyMs = performance.now() - t0;
    this.dispatchEvent(new CustomEvent('applied', { detail: { snapshot: false, count: upserts.length + moved.length + gone.length } }));
  }

  /** A subject's point after its alarm state changed. */
  restyle(id) {
    const point = this.byId.get(id);
    const p = this.subjects.get(id);
    if (point && p) this.style(point, p);
  }

  /** Alarmed subjects breathe (size and outline), once a frame, only those. */
  pulse() {
    if (!this.subjects.alarmed.size) return;
    const k = 0.5 + 0.5 * Math.sin(performance.now() / 180);
    for (const id of this.subjects.alarmed.keys()) {
      const point = this.byId.get(id);
      const p = this.subjects.get(id);
      if (!point || !p) continue;
      point.pixelSize = (SIZE[p.kind] ?? 6) * (1.4 + 0.9 * k);
      point.outlineWidth = 3 + 3 * k;
    }
  }

  /** Show or hide subjects of these kinds (a live layer's). */
  showKinds(kinds, on) {
    for (const kind of kinds) if (on) this.hidden.delete(kind); else this.hidden.add(kind);
    for (const [id, point] of this.byId) this.style(point, this.subjects.get(id));
  }

  /** The drawn subject of an id and how its point looks (the test facade reads it). */
  drawn(id) {
    const point = this.byId.get(id);
    return point ? { show: point.show, outlineWidth: point.outlineWidth, alarm: this.subjects.get(id)?.alarm ?? '' } : null;
  }

  /** Counts of what is drawn now, by kind. */
  count() {
    const out = { total: this.points.length };
    for (const id of this.byId.keys()) {
      const kind = this.subjects.get(id)?.kind;
      out[kind] = (out[kind] || 0) + 1;
    }
    return out;
  }
}
