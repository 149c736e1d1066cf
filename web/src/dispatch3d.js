// Dispatch from the wall: draw an area on the globe (click the corners, double-click to close), list the body cameras
// and people inside with their last fix and contact fields, and send the chosen alarm's work order to them.

import {
  CallbackProperty, Cartographic, Color, Math as CesiumMath, PolygonHierarchy, ScreenSpaceEventHandler,
  ScreenSpaceEventType,
} from '@cesium/engine';
import { getJSON, postJSON, ApiError } from './api.js';
import { toWkt } from './details.js';
import { t } from './i18n.js';
import { el, shanghaiTime } from './format.js';

const COLLECTIONS = [['cameras', 'subjectCamera'], ['people', 'subjectPerson']];

export class Dispatch3D {
  constructor(viewer, card, { board, me, selection, calls }) {
    this.calls = calls; // a group call with who is inside (calls.js)
    this.viewer = viewer;
    this.card = card;
    this.board = board;
    this.chosen = selection; // what the user chose on the page (core.js Selection)
    this.me = me;
    this.points = [];
    this.shape = null;
    this.handler = null;
    this.selection = [];
  }

  /** Start drawing; the list appears when the ring is closed. */
  start() {
    this.stop();
    this.points = [];
    this.card.hidden = false;
    this.card.replaceChildren(el('header', {}, el('h2', {}, t('dispatchTool')), this.closeButton()), el('p', { class: 'note' }, t('drawHint')));
    this.shape = this.viewer.entities.add({
      polygon: { hierarchy: new CallbackProperty(() => new PolygonHierarchy(this.points), false), material: Color.fromCssColorString('#58a6ff').withAlpha(0.25) },
      polyline: { positions: new CallbackProperty(() => (this.points.length ? [...this.points, this.points[0]] : []), false), width: 2, material: Color.fromCssColorString('#58a6ff') },
    });
    this.handler = new ScreenSpaceEventHandler(this.viewer.scene.canvas);
    this.handler.setInputAction((e) => {
      const p = this.viewer.camera.pickEllipsoid(e.position);
      if (p) this.points.push(p);
    }, ScreenSpaceEventType.LEFT_CLICK);
    this.handler.setInputAction(() => this.finish(), ScreenSpaceEventType.LEFT_DOUBLE_CLICK);
  }

  closeButton() {
    return el('button', { type: 'button', class: 'icon-button close', 'aria-label': t('closeDetails'), onclick: () => this.close() }, '×');
  }

  /** Close the ring (also callable with lon/lat corners, as tests and scripts do). */
  async finish(corners) {
    if (corners) this.points = corners.map(([lon, lat]) => Cartographic.toCartesian(Cartographic.fromDegrees(lon, lat)));
    this.handler?.destroy();
    this.handler = null;
    if (this.points.length < 3) return [];
    const ring = this.points.map((c) => {
      const g = Cartographic.fromCartesian(c);
      return [CesiumMath.toDegrees(g.longitude), CesiumMath.toDegrees(g.latitude)];
    });
    this.ringDegrees = ring.slice();
    ring.push(ring[0]);
    const wkt = toWkt({ type: 'Polygon', coordinates: [ring] });
    const found = await Promise.all(COLLECTIONS.map(([c]) => getJSON(`/ogc/collections/${c}/items`, {
      filter: `S_INTERSECTS(geometry,${wkt})`, 'filter-lang': 'cql2-text', limit: 200 }).catch(() => ({ features: [] }))));
    this.selection = found.flatMap((fc) => fc.features);
    this.render(found);
    return this.selection.map((f) => f.properties.external_id);
  }

  render(found) {
    const open = [...this.board.alarms.values()].filter((a) => this.board.isOpen(a) && this.board.actionsFor(a).includes('dispatch'));
    const alarmPick = el('select', { name: 'alarm' }, open.sort((a, b) => (a.raised_at < b.raised_at ? 1 : -1))
      .map((a) => el('option', { value: a.id, selected: a.id === this.chosen.of('alarm') }, `${a.label} · ${a.subject || a.zone?.name || ''} · ${shanghaiTime(a.raised_at).slice(11)}`)));
    const comment = el('textarea', { class: 'comment', rows: 2, placeholder: t('comment') });
    const note = el('p', { class: 'note', role: 'status' });
    const lists = COLLECTIONS.map(([, label], k) => [el('h3', {}, `${t(label)} (${found[k].features.length})`),
      el('ul', { class: 'selection' }, found[k].features.map((f) => {
        const p = f.properties;
        return el('li', {}, el('label', {}, el('input', { type: 'checkbox', value: p.external_id, checked: true, 'data-assignee': p.external_id }),
          ` ${p.holder || p.name || p.external_id} (${p.external_id}) · ${p.unit || p.company_code || ''} · ${t('lastHeard')} ${shanghaiTime(p.time).slice(11)}`));
      }))]);
    const send = el('button', { type: 'button', class: 'action', 'data-action': 'dispatch-selection', disabled: !this.me.can_act || !open.length,
      onclick: async () => {
        const assignees = [...this.card.querySelectorAll('input[data-assignee]:checked')].map((x) => x.value);
        try {
          const a = await postJSON(`/api/alarms/${alarmPick.value}/dispatch`, { comment: comment.value, assignees });
          this.board.upsert(a, false);
          this.board.render();
          note.textContent = `${t('sent')}: ${a.work_order?.number || ''} → ${assignees.length}`;
        } catch (err) {
          note.textContent = `${t('failed')}: ${err instanceof ApiError ? err.message : err}`;
        }
      } }, t('dispatchSelection'));
    // The same selection can be called at once (calls.js): every party inside, the drawn ring as the selection.
    const ring = this.points.length ? [...this.ringDegrees, this.ringDegrees[0]] : null;
    const parties = this.selection.map((f) => ({ subject: Number(f.id) })).slice(0, 50);
    const call = this.calls && parties.length ? this.calls.button(parties, ring && { type: 'Polygon', coordinates: [ring] }) : null;
    this.card.replaceChildren(el('header', {}, el('h2', {}, t('dispatchTool')), this.closeButton()), ...lists.flat(),
      el('div', { class: 'actions' }, el('label', {}, t('alarmToDispatch'), alarmPick), comment, send, note), call);
  }

  stop() {
    this.handler?.destroy();
    this.handler = null;
    if (this.shape) this.viewer.entities.remove(this.shape);
    this.shape = null;
  }

  close() {
    this.stop();
    this.card.hidden = true;
  }
}
