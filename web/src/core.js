// The pages' one core (traccar-web's one store fed by one socket): the subjects on the live stream with their alarm
// state, the alarm list linked to them, and acting on an alarm. The 2D map (live.js) and the 3D wall (live3d.js) are
// renderers over it: they listen to its events and never keep subjects of their own.

import { LiveStream } from './live-stream.js';
import { ApiError } from './api.js';
import { t } from './i18n.js';

/**
 * The subjects in the followed area. Events: `status` (the stream's), `snapshot` ({subjects}), `delta` ({upserts,
 * moved, gone}: upserts and moved as the subjects' current properties), `alarm` ({id, severity, subject}).
 * A subject's properties carry `alarm`: the severity of its open alarm, or ''.
 */
export class Subjects extends EventTarget {
  constructor(stream = new LiveStream()) {
    super();
    this.byId = new Map();
    this.alarmed = new Map(); // subject id -> severity of its open alarm (also for subjects not in view yet)
    this.stream = stream;
    stream.addEventListener('status', (e) => this.emit('status', e.detail));
    stream.addEventListener('snapshot', (e) => this.snapshot(e.detail));
    stream.addEventListener('delta', (e) => this.delta(e.detail));
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** Follow a view [w, s, e, n]. */
  follow(box) {
    this.stream.follow(box);
  }

  snapshot({ subjects }) {
    this.byId.clear();
    for (const p of subjects) {
      p.alarm = this.alarmed.get(p.id) || '';
      this.byId.set(p.id, p);
    }
    this.emit('snapshot', { subjects });
  }

  delta({ upserts, moved, gone }) {
    for (const p of upserts) {
      p.alarm = this.alarmed.get(p.id) || '';
      this.byId.set(p.id, p);
    }
    const movedNow = [];
    for (const m of moved) {
      const p = this.byId.get(m.id);
      if (!p) continue;
      Object.assign(p, m);
      movedNow.push(p);
    }
    const goneNow = gone.filter((id) => this.byId.delete(id));
    this.emit('delta', { upserts, moved: movedNow, gone: goneNow });
  }

  /** A subject's open alarm (severity) or none (''). */
  setAlarm(id, severity) {
    if (severity) this.alarmed.set(id, severity); else this.alarmed.delete(id);
    const p = this.byId.get(id);
    if (p) p.alarm = severity || '';
    this.emit('alarm', { id, severity: severity || '', subject: p ?? null });
  }

  get(id) {
    return this.byId.get(id);
  }

  values() {
    return this.byId.values();
  }

  /** What is in view now, by kind. */
  count() {
    const out = { total: this.byId.size };
    for (const p of this.byId.values()) out[p.kind] = (out[p.kind] || 0) + 1;
    return out;
  }

  stop() {
    this.stream.stop();
  }
}

/** What the user has chosen on the page (an alarm, a subject, a zone ...): one place both pages and their tools
 * read (the wall's dispatch preselects the chosen alarm). Event `selected` ({kind, id}, or null when cleared). */
export class Selection extends EventTarget {
  constructor() {
    super();
    this.current = null;
  }

  set(kind, id) {
    this.current = kind ? { kind, id } : null;
    this.dispatchEvent(new CustomEvent('selected', { detail: this.current }));
  }

  clear() {
    this.set(null);
  }

  /** The chosen thing's id when it is of this kind. */
  of(kind) {
    return this.current?.kind === kind ? this.current.id : null;
  }
}

/** The one linkage of alarms to what they are about: a subject's alarm state, and a fence's (`onZone`) when the
 * alarm has no subject. */
export function linkAlarms(board, subjects, onZone = null) {
  board.addEventListener('alarm', (e) => {
    const a = e.detail;
    const severity = board.isOpen(a) ? a.severity : '';
    if (a.subject_id) subjects.setAlarm(a.subject_id, severity);
    else if (a.zone?.id && onZone) onZone(a.zone.id, severity);
  });
}

/** Act on an alarm from a card: what became of it, in the page's words (sent, queued, or why it failed). */
export function actor(board) {
  return async (alarm, action, comment) => {
    try {
      return t(await board.act(alarm.id, action, comment));
    } catch (err) {
      return `${t('failed')}: ${err instanceof ApiError ? err.message : err}`;
    }
  };
}
