// The live stream (/api/live/stream) for one area: a snapshot, then deltas (new or changed subjects, moved ones,
// gone ones), decoded from the server's compact rows into plain objects. The 2D and the 3D page draw from it.

import { url } from './api.js';

const PAD = 0.5; // the stream covers the view and half of it again on each side: small pans need no new stream

function decode(fields, row) {
  const p = {};
  fields.forEach((f, i) => { p[f] = row[i]; });
  return p;
}

/** [west, south, east, north] grown by half its size on each side, within the globe. */
export function padded([w, s, e, n]) {
  const dx = (e - w) * PAD;
  const dy = (n - s) * PAD;
  return [w - dx, s - dy, e + dx, n + dy].map((v, i) => (i % 2 === 0 ? Math.max(-180, Math.min(180, v)) : Math.max(-90, Math.min(90, v))));
}

export function covers(box, [w, s, e, n]) {
  return !!box && w >= box[0] && s >= box[1] && e <= box[2] && n <= box[3];
}

/**
 * Events: `status` (online / reconnecting / offline), `snapshot` ({subjects}), `delta` ({upserts, moved, gone}),
 * each subject an object of the stream's fields (id, kind, lon, lat, time, code, name, ...).
 */
export class LiveStream extends EventTarget {
  /** `layers`: the live layers to carry ('': every one the service has, its default). */
  constructor(layers = '') {
    super();
    this.layers = layers;
    this.box = null;
    this.es = null;
  }

  /** Follow a view ([w, s, e, n]): a new stream only when the view leaves the area the current one covers. */
  follow(view) {
    if (covers(this.box, view)) return;
    this.box = padded(view);
    this.connect();
  }

  connect() {
    this.es?.close();
    const es = new EventSource(url('/api/live/stream', { layers: this.layers, bbox: this.box.map((v) => v.toFixed(6)).join(',') }));
    this.es = es;
    const status = (detail) => this.dispatchEvent(new CustomEvent('status', { detail }));
    es.addEventListener('open', () => status('online'));
    es.addEventListener('error', () => status(es.readyState === EventSource.CLOSED ? 'offline' : 'reconnecting'));
    es.addEventListener('snapshot', (e) => this.receive('snapshot', e.data));
    es.addEventListener('delta', (e) => this.receive('delta', e.data));
  }

  /** One message as the server sent it (JSON text), decoded and announced; benchmarks feed it directly. */
  receive(type, data) {
    const body = JSON.parse(data);
    const emit = (detail) => this.dispatchEvent(new CustomEvent(type, { detail }));
    if (type === 'snapshot') {
      emit({ subjects: body.rows.map((r) => decode(body.fields, r)) });
      return;
    }
    const [iId, iLon, iLat, iTime] = ['id', 'lon', 'lat', 'time'].map((k) => body.moved_fields.indexOf(k));
    emit({
      upserts: body.upsert.map((r) => decode(body.fields, r)),
      moved: body.moved.map((r) => ({ id: r[iId], lon: r[iLon], lat: r[iLat], time: r[iTime] })),
      gone: body.gone,
    });
  }

  stop() {
    this.es?.close();
    this.es = null;
  }
}
