// Live people, welding machines and body cameras on the 3D scene: one PointPrimitiveCollection, each subject a point
// moved in place (an Entity per subject does not scale past a few hundred; 20,000 machines must stay fluid). Colour
// by kind and state; alarmed subjects pulse; points shrink and fade with distance (level of detail when zoomed out).

import { Cartesian3, Color, NearFarScalar, PointPrimitiveCollection } from '@cesium/engine';
import { LiveStream } from './live-stream.js';
import { viewBox } from './scene3d.js';

const FLOOR_M = 3.5;
const css = (c) => Color.fromCssColorString(c);
export const KIND_COLORS = {
  internal: css('#3fb950'), contractor: css('#ff8c1a'), visitor: css('#f85149'),
  powered: css('#ffa657'), unpowered: css('#6e7681'), camera: css('#58a6ff'),
};
export const SEVERITY_COLORS = { critical: css('#ff2d2d'), red: css('#ff2d2d'), alarm: css('#ff6a3d'), orange: css('#ff8c1a'),
  yellow: css('#e3b341'), warning: css('#e3b341'), info: css('#8b949e') };
const SIZE = { person: 9, welder: 5, body_camera: 10, phone: 10 };
const BY_DISTANCE = { person: new NearFarScalar(500, 1.0, 30000, 0.5), welder: new NearFarScalar(500, 1.0, 20000, 0.35) };
const FADE = { welder: new NearFarScalar(2000, 1.0, 60000, 0.25) };

function colorOf(p) {
  let c;
  if (p.kind === 'person') c = p.person_type === '02' ? KIND_COLORS.contractor : p.person_type === '03' ? KIND_COLORS.visitor : KIND_COLORS.internal;
  else if (p.kind === 'welder') c = p.power === 'on' ? KIND_COLORS.powered : KIND_COLORS.unpowered;
  else c = KIND_COLORS.camera;
  return p.online === false ? c.withAlpha(0.35) : c;
}

export class Live3D extends EventTarget {
  constructor(viewer, scopeBox) {
    super();
    this.viewer = viewer;
    this.scopeBox = scopeBox;
    this.points = viewer.scene.primitives.add(new PointPrimitiveCollection());
    this.byId = new Map(); // subject id -> {point, props}
    this.alarmed = new Map(); // subject id -> severity
    this.hidden = new Set(); // kinds switched off
    this.stream = new LiveStream();
    this.stream.addEventListener('status', (e) => this.dispatchEvent(new CustomEvent('status', { detail: e.detail })));
    this.stream.addEventListener('snapshot', (e) => this.snapshot(e.detail.subjects));
    this.stream.addEventListener('delta', (e) => this.delta(e.detail));
    this.lastApplyMs = 0;
    viewer.scene.preRender.addEventListener(() => this.pulse());
  }

  start() {
    this.viewer.camera.moveEnd.addEventListener(() => this.follow());
    this.follow();
  }

  follow() {
    this.stream.follow(viewBox(this.viewer, this.scopeBox));
  }

  position(p) {
    return Cartesian3.fromDegrees(p.lon, p.lat, 1.5 + (p.floor ? (p.floor - 1) * FLOOR_M : 0));
  }

  style(point, p) {
    const severity = this.alarmed.get(p.id);
    point.color = colorOf(p);
    point.pixelSize = SIZE[p.kind] ?? 6;
    point.outlineColor = severity ? SEVERITY_COLORS[severity] || SEVERITY_COLORS.alarm : Color.BLACK.withAlpha(0.6);
    point.outlineWidth = severity ? 4 : 1;
    point.show = !this.hidden.has(p.kind === 'phone' ? 'body_camera' : p.kind);
  }

  add(p) {
    const point = this.points.add({
      position: this.position(p), id: { layer: 'live', id: p.id, kind: p.kind },
      scaleByDistance: BY_DISTANCE[p.kind], translucencyByDistance: FADE[p.kind],
      disableDepthTestDistance: p.kind === 'welder' ? 0 : Number.POSITIVE_INFINITY,
    });
    this.style(point, p);
    this.byId.set(p.id, { point, props: p });
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
      const had = this.byId.get(p.id);
      if (!had) { this.add(p); continue; }
      had.props = p;
      had.point.position = this.position(p);
      this.style(had.point, p);
    }
    for (const m of moved) {
      const had = this.byId.get(m.id);
      if (!had) continue;
      Object.assign(had.props, m);
      had.point.position = this.position(had.props);
    }
    for (const id of gone) {
      const had = this.byId.get(id);
      if (!had) continue;
      this.points.remove(had.point);
      this.byId.delete(id);
    }
    this.lastApplyMs = performance.now() - t0;
    this.dispatchEvent(new CustomEvent('applied', { detail: { snapshot: false, count: upserts.length + moved.length + gone.length } }));
  }

  /** A subject in its alarm state (severity) or back to normal (''). */
  setAlarm(id, severity) {
    if (severity) this.alarmed.set(id, severity); else this.alarmed.delete(id);
    const had = this.byId.get(id);
    if (had) this.style(had.point, had.props);
  }

  /** Alarmed subjects breathe (size and outline), once a frame, only those. */
  pulse() {
    if (!this.alarmed.size) return;
    const k = 0.5 + 0.5 * Math.sin(performance.now() / 180);
    for (const id of this.alarmed.keys()) {
      const had = this.byId.get(id);
      if (!had) continue;
      had.point.pixelSize = (SIZE[had.props.kind] ?? 6) * (1.4 + 0.9 * k);
      had.point.outlineWidth = 3 + 3 * k;
    }
  }

  showKind(kind, on) {
    if (on) this.hidden.delete(kind); else this.hidden.add(kind);
    for (const { point, props } of this.byId.values()) this.style(point, props);
  }

  /** Counts of what is drawn now, by kind (tests compare with the live API for the same area). */
  count() {
    const out = { total: this.points.length };
    for (const { props } of this.byId.values()) out[props.kind] = (out[props.kind] || 0) + 1;
    return out;
  }

  get(id) {
    return this.byId.get(id)?.props;
  }
}
