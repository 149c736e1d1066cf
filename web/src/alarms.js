// The alarm list: what is open now (GET /api/alarms/), kept current by /api/alarms/stream, filtered on the page;
// a toast and a sound for severe ones; actions (acknowledge, dispatch, resolve, close) queued while offline.

import { ApiError, getJSON, postJSON } from './api.js';
import { t } from './i18n.js';
import { el, shanghaiTime } from './format.js';

const NEXT_ACTIONS = { raised: ['acknowledge', 'dispatch', 'resolve'], acknowledged: ['dispatch', 'resolve'], dispatched: ['resolve'], resolved: ['close'] };
const QUEUE_KEY = 'alarm-actions-queue';

/** The alarms a list shows for its filters (type, severity, status, district; no status: those still open), newest
 * first. */
export function shownAlarms(alarms, filters, open) {
  const f = filters;
  return [...alarms]
    .filter((a) => (f.status ? a.status === f.status : open.includes(a.status)))
    .filter((a) => !f.type || a.type === f.type)
    .filter((a) => !f.severity || a.severity === f.severity)
    .filter((a) => !f.district || a.district === f.district)
    .sort((a, b) => (a.raised_at < b.raised_at ? 1 : -1));
}

/** Actions taken while offline, kept in `storage` (the page's localStorage) until they can be sent. */
export class ActionQueue {
  constructor(storage, key = QUEUE_KEY) {
    this.storage = storage;
    this.key = key;
  }

  items() {
    return JSON.parse(this.storage.getItem(this.key) || '[]');
  }

  push(item) {
    const q = this.items();
    q.push(item);
    this.storage.setItem(this.key, JSON.stringify(q));
    return q.length;
  }

  /** Send each queued item (`send` resolves, or rejects with `keep` true when the item must stay); what is left. */
  async drain(send) {
    const taken = this.items();
    const left = [];
    for (const item of taken) {
      try {
        await send(item);
      } catch (err) {
        if (err?.keep) left.push(item);
      }
    }
    const added = this.items().slice(taken.length); // queued while these were on their way
    this.storage.setItem(this.key, JSON.stringify([...left, ...added]));
    return left.length + added.length;
  }
}

export class AlarmBoard extends EventTarget {
  constructor({ panel, toasts, me, vocab, onSelect }) {
    super();
    this.vocab = vocab;
    this.open = vocab.flagged('alarm_status', 'open'); // the statuses of an alarm still to handle
    this.severe = new Set(vocab.flagged('severity', 'severe'));
    this.queue = new ActionQueue(localStorage);
    this.panel = panel;
    this.toasts = toasts;
    this.me = me;
    this.onSelect = onSelect;
    this.alarms = new Map();
    this.filters = { type: '', severity: '', status: '', district: '' };
    this.types = {};
    this.es = null;
    this.buildPanel();
  }

  async start() {
    this.connect(); // the stream first: nothing that changes while the list loads is missed
    const rules = await getJSON('/api/alarm-rules/').catch(() => null);
    for (const [type, ty] of Object.entries(rules?.types || {})) this.types[type] = ty.label;
    await this.reload();
    window.addEventListener('online', () => this.flush());
    this.flush();
  }

  async reload() {
    const body = await getJSON('/api/alarms/', { status: this.open.join(','), limit: 500 });
    for (const a of body.results) this.upsert(a, false);
    this.render();
  }

  connect() {
    const es = new EventSource('/api/alarms/stream');
    this.es = es;
    const onEvent = (e) => {
      const a = JSON.parse(e.data);
      const fresh = !this.alarms.has(a.id);
      this.upsert(a, fresh && a.status === 'raised');
      this.render();
    };
    // The outbox's event kinds (alarms.store.publish and the lifecycle's actions).
    for (const kind of ['raised', 'updated', 'ended', 'acknowledged', 'dispatched', 'resolved', 'closed', 'confirmed']) {
      es.addEventListener(kind, onEvent);
    }
    es.addEventListener('open', () => this.flush());
  }

  upsert(a, announce) {
    const old = this.alarms.get(a.id);
    if (old && old.updated_at && a.updated_at && old.updated_at > a.updated_at) return; // an older copy
    this.alarms.set(a.id, a);
    this.dispatchEvent(new CustomEvent('alarm', { detail: a }));
    if (announce && this.isSevere(a)) this.announce(a);
  }

  /** Still to handle, and its condition still on. */
  isOpen(a) {
    return this.open.includes(a.status) && !a.ended_at;
  }

  /** Announced, and followed on the wall: a severe level, or an SOS. */
  isSevere(a) {
    return this.severe.has(a.severity) || a.type === 'sos';
  }

  /** Open alarms with a place, for the map's alarm layer. */
  features() {
    const features = [];
    for (const a of this.alarms.values()) {
      if (!this.open.includes(a.status) || !a.location) continue;
      features.push({ type: 'Feature', id: a.id, geometry: a.location,
        properties: { id: a.id, type: a.type, label: a.label, severity: a.severity, status: a.status, ended: !!a.ended_at } });
    }
    return { type: 'FeatureCollection', features };
  }

  announce(a) {
    const toast = el('div', { class: `toast sev-${a.severity}`, role: 'alert', onclick: () => { this.onSelect(a); toast.remove(); } },
      el('strong', {}, `${t('severeAlarm')}: ${a.label}`), el('span', {}, `${a.subject || a.zone?.name || ''} ${shanghaiTime(a.raised_at)}`));
    this.toasts.append(toast);
    setTimeout(() => toast.remove(), 15000);
    beep();
  }

  buildPanel() {
    const select = (key, options) => el('select', { 'data-filter': key, onchange: (e) => { this.filters[key] = e.target.value; this.render(); } },
      options.map(([v, label]) => el('option', { value: v }, label)));
    this.typeSelect = select('type', [['', t('allTypes')]]);
    this.districtSelect = select('district', [['', t('allDistricts')]]);
    this.filterBar = el('div', { class: 'filters' },
      this.typeSelect,
      select('severity', [['', t('allSeverities')], ...this.vocab.terms('severity').map((s) => [s.code, s.label])]),
      select('status', [['', t('allStatuses')], ...[...this.open, 'resolved'].map((s) => [s, this.vocab.label('alarm_status', s)])]),
      this.districtSelect);
    this.count = el('span', { class: 'count' });
    this.list = el('ul', { class: 'alarm-list' });
    this.panel.replaceChildren(el('h2', {}, t('openAlarms'), ' ', this.count), this.filterBar, this.list);
  }

  refreshOptions() {
    const have = (sel) => new Set([...sel.options].map((o) => o.value));
    const types = have(this.typeSelect);
    const districts = have(this.districtSelect);
    for (const a of this.alarms.values()) {
      if (!types.has(a.type)) { this.typeSelect.append(el('option', { value: a.type }, this.types[a.type] || a.label)); types.add(a.type); }
      if (a.district && !districts.has(a.district)) { this.districtSelect.append(el('option', { value: a.district }, a.district)); districts.add(a.district); }
    }
  }

  shown() {
    return shownAlarms(this.alarms.values(), this.filters, this.open);
  }

  render() {
    this.refreshOptions();
    const rows = this.shown();
    this.count.textContent = `(${rows.length})`;
    this.list.replaceChildren(...rows.slice(0, 300).map((a) => el('li', {
      class: `alarm sev-${a.severity} status-${a.status}${a.ended_at ? ' ended' : ''}`, 'data-alarm': a.id, tabindex: 0,
      style: `--sev:${this.vocab.colour('severity', a.severity)}`,
      onclick: () => this.onSelect(a), onkeydown: (e) => { if (e.key === 'Enter') this.onSelect(a); },
    },
    el('span', { class: 'sev' }, this.vocab.label('severity', a.severity)),
    el('span', { class: 'label' }, a.label),
    el('span', { class: 'who' }, a.subject || a.zone?.name || a.permit?.ticket_no || a.company_code || ''),
    el('span', { class: 'when' }, shanghaiTime(a.raised_at).slice(5)),
    el('span', { class: 'status' }, a.ended_at ? `${this.vocab.label('alarm_status', a.status)} · ${t('ended')}` : this.vocab.label('alarm_status', a.status)))));
    this.dispatchEvent(new CustomEvent('changed'));
  }

  /** The buttons for what the signed-in user may do with an alarm in its status. */
  actionsFor(a) {
    if (!this.me.can_act) return [];
    const out = [...(NEXT_ACTIONS[a.status] || [])];
    if (this.me.role === 'enterprise' && !(a.confirmations || []).length) out.push('confirm');
    return out;
  }

  /** Act on an alarm; when the network is down the action waits in a queue and is sent on reconnect. */
  async act(id, action, comment) {
    const item = { id, action, comment, at: new Date().toISOString() };
    if (!navigator.onLine) { this.enqueue(item); return 'queued'; }
    try {
      const a = await postJSON(`/api/alarms/${id}/${action}`, { comment });
      this.upsert(a, false);
      this.render();
      return 'sent';
    } catch (err) {
      if (err instanceof ApiError) throw err;
      this.enqueue(item); // the network failed on the way: keep it
      return 'queued';
    }
  }

  /** How many actions wait for the network. */
  queued() {
    return this.queue.items().length;
  }

  enqueue(item) {
    this.dispatchEvent(new CustomEvent('queued', { detail: this.queue.push(item) }));
  }

  async flush() {
    if (!navigator.onLine || !this.queue.items().length) return;
    const left = await this.queue.drain(async (item) => {
      try {
        this.upsert(await postJSON(`/api/alarms/${item.id}/${item.action}`, { comment: item.comment }), false);
      } catch (err) {
        // still offline: kept; refused (409: done meanwhile): dropped
        if (!(err instanceof ApiError)) throw Object.assign(err, { keep: true });
      }
    });
    this.render();
    this.dispatchEvent(new CustomEvent('queued', { detail: left }));
  }
}

let audio = null;
function beep() {
  try {
    audio ??= new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.6);
  } catch {
    // no audio device, or not yet allowed by the browser: the toast is enough
  }
}
