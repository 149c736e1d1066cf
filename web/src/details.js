// Details of what was clicked: people, machines, cameras, enterprises, sites, zones, permits and alarms, read from the
// OGC items and the alarm API (so always within the user's scope), in a side card.

import { getJSON, sendJSON } from './api.js';
import { t } from './i18n.js';
import { miniMap } from './minimap.js';
import { el, safeHref, shanghaiTime } from './format.js';
import { clipWindow, permitWindow } from './player.js';
import { aim } from './aim.js';


export function rows(pairs) {
  return el('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '')
    .flatMap(([k, v]) => [el('dt', {}, t(k)), el('dd', {}, v instanceof Node ? v : String(v))]));
}

const yes = (v) => (v === true ? t('yes') : v === false ? t('no') : '');

export class Details {
  constructor(card, { onClose, vocab, selection, video, calls, drawAim } = {}) {
    this.card = card;
    this.vocab = vocab;
    this.video = video; // the page's VideoWall (player.js): where a camera's stream opens
    this.calls = calls; // the page's CallPanel (calls.js): group calls with what the cards show
    this.drawAim = drawAim; // the 2D page: resolves with a line drawn on the map (draw.js), to aim a camera by
    this.selection = selection; // what the card shows is what the user chose (core.js Selection)
    this.onClose = onClose;
  }

  show(title, ...body) {
    this.card.replaceChildren(
      el('header', {}, el('h2', {}, title), el('button', { class: 'icon-button close', type: 'button', 'aria-label': t('closeDetails'), onclick: () => this.hide() }, '×')),
      ...body.filter((b) => b !== null && b !== undefined));
    this.card.hidden = false;
  }

  hide() {
    this.selection?.clear();
    this.card.hidden = true;
    this.card.replaceChildren();
    this.onClose?.();
  }

  /** A subject of a live layer (its OGC collection: people, welders, cameras). */
  async subject(collection, id) {
    this.selection?.set('subject', id);
    const f = await getJSON(`/ogc/collections/${collection}/items/${id}`);
    const p = f.properties;
    const facts = [['code', p.external_id], ['enterprise', p.company_code], ['lastHeard', shanghaiTime(p.time)], ['onlineState', yes(p.online)],
      ['accuracy', p.accuracy_m != null ? `${p.accuracy_m} ${t('metres')}` : ''], ['floor', p.floor]];
    if (p.kind === 'person') facts.splice(1, 0, ['personType', this.vocab.label('person_type', p.person_type)]);
    if (p.kind === 'body_camera') facts.splice(1, 0, ['holder', p.holder || t('unbound')], ['unit', p.unit]);
    if (p.kind === 'welder') facts.push(['chip', p.chip_id], ['qr', p.qr_code], ['power', this.vocab.label('power', p.power)], ['mobility', p.mobility]);
    this.show(p.name || p.external_id, rows(facts));
    if (p.kind === 'body_camera') {
      this.card.append(this.bindForm(id, p));
      if (this.video) await this.holderVideo(id);
    }
    if (['person', 'body_camera', 'phone'].includes(p.kind) && this.calls) this.card.append(this.calls.button([{ subject: Number(id) }]));
    return f;
  }

  async permit(id) {
    this.selection?.set('permit', id);
    const f = await getJSON(`/ogc/collections/permits/items/${id}`);
    const p = f.properties;
    const href = p.video_url ? safeHref(p.video_url) : null;
    const video = href ? el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, t('openVideo')) : (p.video_url || t('none'));
    this.show(p.ticket_no, rows([
      ['ticketType', p.ticket_label], ['status', p.status_label], ['enterprise', p.company_code], ['content', p.content],
      ['workers', p.workers], ['guardian', p.guardian], ['approver', p.approver],
      ['validity', `${shanghaiTime(p.planned_start)} — ${shanghaiTime(p.planned_end)}`],
      ['gasTests', p.gas_tests], ['video', video]]));
    if (f.geometry?.type === 'Point') {
      const range = permitWindow(p.planned_start, p.planned_end);
      await this.cameras(f.geometry.coordinates, null, range && { label: t('permitVideo'), range });
    }
    return f;
  }

  /** A camera of the video layer: what it is, and its live picture in the page's player. */
  async camera(id) {
    this.selection?.set('camera', id);
    const f = await getJSON(`/ogc/collections/video/items/${id}`);
    const p = f.properties;
    const channel = { code: p.code, name: p.name };
    const last = { from: new Date(Date.now() - 600e3), to: new Date() };
    this.show(p.name, rows([['channelCode', p.code], ['cameraKind', this.vocab.label('video_kind', p.kind)],
      ['enterprise', p.company_code || p.authority], ['heading', p.heading != null ? `${Math.round(p.heading)}°` : ''],
      ['rangeM', p.range_m != null ? `${Math.round(p.range_m)} ${t('metres')}` : '']]),
    el('div', { class: 'buttons' }, this.playButton(channel, null, t('videoLive')), this.playButton(channel, last, t('videoRecord')),
      this.calls ? this.calls.button([{ channel: p.code }]) : null),
    this.drawAim && p.kind !== 'body_camera' ? this.aimForm(p) : null);
    this.video?.open(channel);
    return f;
  }

  /** Aim a camera on the map: a line from where it stands to what it should see (heading and range), the angle
   * typed; the service derives its field of view again (PATCH /api/video/channels/{code}). */
  aimForm(p) {
    const angle = el('input', { type: 'number', name: 'angle', min: 1, max: 360, value: Math.round(p.angle ?? 60), 'data-aim-field': 'angle' });
    const note = el('p', { class: 'note', role: 'status' });
    const start = el('button', { type: 'button', class: 'action', 'data-aim': 'draw', onclick: async () => {
      note.textContent = t('aimHint');
      const line = await this.drawAim();
      const coords = line?.coordinates ?? [];
      if (coords.length < 2) return;
      const { heading, metres } = aim(coords[0], coords[coords.length - 1]);
      const body = { location: { type: 'Point', coordinates: coords[0] }, heading: Math.round(heading * 10) / 10,
        range_m: Math.max(1, Math.round(metres)), angle: Number(angle.value) };
      try {
        const out = await sendJSON('PATCH', `/api/video/channels/${encodeURIComponent(p.code)}`, body);
        note.textContent = `${t('saved')}: ${Math.round(out.heading)}° · ${Math.round(out.range_m)} ${t('metres')}`;
        this.onAimed?.(out);
      } catch (err) {
        note.textContent = `${t('failed')}: ${err.body?.reason || err.message}`;
      }
    } }, t('aimCamera'));
    return el('div', { class: 'aim' }, el('label', {}, `${t('cameraAngle')} `, angle), start, note);
  }

  /** A button that plays a channel live (range null) or a range of its recording. */
  playButton(channel, range, label) {
    return el('button', { type: 'button', class: 'action', 'data-video': range ? 'record' : 'live', 'data-channel': channel.code,
      onclick: () => this.video?.open(channel, range) }, label);
  }

  async zone(id) {
    this.selection?.set('zone', id);
    const f = await getJSON(`/ogc/collections/zones/items/${id}`);
    const p = f.properties;
    const capacity = [p.capacity_min, p.capacity_max].some((v) => v != null) ? `${p.capacity_min ?? 0} – ${p.capacity_max ?? '∞'}` : '';
    const inside = el('ul', { class: 'inside' }, el('li', {}, '…'));
    this.show(p.name, rows([['kind', this.vocab.label('zone_kind', p.kind)], ['enterprise', p.company_code || p.authority],
      ['capacity', capacity], ['floor', p.floor]]), el('h3', {}, t('insideNow')), inside);
    const wkt = toWkt(f.geometry);
    const people = await getJSON('/ogc/collections/people/items', { filter: `S_INTERSECTS(geometry,${wkt})`, 'filter-lang': 'cql2-text', limit: 200 }).catch(() => null);
    inside.replaceChildren(...(people?.features || []).map((x) => el('li', {}, `${x.properties.name} (${x.properties.external_id})`)));
    if (!inside.children.length) inside.append(el('li', {}, t('none')));
    return f;
  }

  async enterprise(id) {
    this.selection?.set('enterprise', id);
    const f = await getJSON(`/ogc/collections/enterprises/items/${id}`);
    const p = f.properties;
    // Counts from the collections themselves (numberMatched of a CQL2 filter on the enterprise's code).
    const count = (collection, extra = '') => getJSON(`/ogc/collections/${collection}/items`, {
      filter: `company_code = '${p.company_code.replace(/'/g, "''")}'${extra}`, 'filter-lang': 'cql2-text', limit: 1,
    }).then((a) => a.numberMatched).catch(() => '');
    const [people, welders, permits] = await Promise.all([count('people'), count('welders'), count('permits', ' AND status = 2')]);
    this.show(p.name, rows([['code', p.company_code], ['sites', p.sites], ['subjectPerson', people],
      ['subjectWelder', welders], ['permitsInProgress', permits]]));
    return f;
  }

  async site(id) {
    this.selection?.set('site', id);
    const f = await getJSON(`/ogc/collections/sites/items/${id}`);
    const p = f.properties;
    this.show(`${p.enterprise_name} ${p.name}`, rows([['enterprise', p.company_code], ['address', p.address]]));
    return f;
  }

  /** An alarm with its evidence and what was done; `actions` are the buttons the user may press. */
  async alarm(id, { actions = [], onAct }) {
    this.selection?.set('alarm', id);
    const a = await getJSON(`/api/alarms/${id}`);
    // The evidence in words (the service's alarms.words: names, distances, durations, no raw keys), the channels
    // offered when it was raised (video/evidence.py) by name and why, and the small map of the deciding fix.
    const offered = Array.isArray(a.evidence?.video) ? a.evidence.video : [];
    const evidence = el('dl', { class: 'facts evidence', 'data-evidence': '' }, [
      ...(a.evidence_words || []).flatMap((w) => [el('dt', {}, w.label), el('dd', { 'data-fact': w.key }, w.text)]),
      ...(offered.length ? [el('dt', {}, t('videoOffered')),
        el('dd', {}, offered.map((c) => `${c.name}（${this.vocab.label('camera_reason', c.why)}）`).join('、'))] : []),
    ]);
    const small = miniMap(a.evidence_map, { label: a.evidence_map?.zone_name || a.label });
    const comment = el('textarea', { class: 'comment', placeholder: t('comment'), rows: 2 });
    const note = el('p', { class: 'note', role: 'status' });
    const buttons = actions.map((action) => el('button', { type: 'button', class: `action act-${action}`, 'data-action': action,
      onclick: async () => { note.textContent = await onAct(a, action, comment.value); } }, t(action)));
    const history = el('ol', { class: 'history' }, (a.actions || []).map((x) => el('li', {},
      `${shanghaiTime(x.at)} ${x.by === 'engine' ? t('system') : x.by} ${this.vocab.label('alarm_action', x.action)} ${x.comment || x.data?.reason || ''}`)));
    this.show(a.label, rows([
      ['status', `${this.vocab.label('alarm_status', a.status)}${a.ended_at ? ` · ${t('ended')}` : ''}`], ['subject', a.subject], ['zone', a.zone?.name],
      ['permit', a.permit?.ticket_no], ['enterprise', a.company_code], ['raisedAt', shanghaiTime(a.raised_at)], ['endedAt', shanghaiTime(a.ended_at)]]),
    el('h3', {}, t('evidence')), small, evidence,
    buttons.length ? el('div', { class: 'actions' }, comment, el('div', { class: 'buttons' }, buttons), note) : null,
    history.children.length ? el('h3', {}, t('actions')) : null, history.children.length ? history : null);
    if (a.location) {
      const best = await this.cameras(a.location.coordinates, a.subject_id, { label: t('alarmClip'), range: clipWindow(a.raised_at) });
      if (best) this.video?.open(best); // the best camera's live picture at once: the wall decides with its eyes
    }
    return a;
  }

  /** The cameras that show a place (GET /api/video/at: aimed at it, nearby, the subject's own), under the card, each
   * with a button for its live picture and one for `recorded.range` of its recording; returns the best one. */
  async cameras([lon, lat], subject, recorded = null) {
    const body = await getJSON('/api/video/at', { lon, lat, subject }).catch(() => null);
    if (!body?.cameras.length) return null;
    this.card.append(el('h3', {}, t('videoCameras')), el('ul', { class: 'cameras' }, body.cameras.map((c) =>
      el('li', { 'data-channel': c.code, 'data-why': c.why },
        el('strong', {}, c.name), ` · ${this.vocab.label('camera_reason', c.why)}${c.distance_m != null ? ` · ${Math.round(c.distance_m)} ${t('metres')}` : ''} `,
        this.video ? this.playButton(c, null, t('videoLive')) : null,
        this.video && recorded ? this.playButton(c, recorded.range, recorded.label) : null))));
    return body.cameras[0];
  }

  /** Who carries a body camera (执法人员与执法仪绑定): shown, and changed here (PUT /api/video/holders/{id}). */
  bindForm(id, p) {
    const field = (name, value) => el('input', { name, value: value || '', placeholder: t(name), 'data-bind-field': name });
    const inputs = [field('holder', p.holder), field('unit', p.unit), field('phone', p.phone)];
    const note = el('p', { class: 'note', role: 'status' });
    const save = el('button', { type: 'button', class: 'action', 'data-bind': 'save', onclick: async () => {
      // The phone is not on the map's layer: sent only when typed, so that saving a name keeps a phone on file.
      const body = Object.fromEntries(inputs.map((x) => [x.name, x.value.trim()]).filter(([k, v]) => k !== 'phone' || v));
      try {
        const out = await sendJSON('PUT', `/api/video/holders/${id}`, body);
        note.textContent = `${t('saved')}: ${out.holder || t('unbound')}`;
      } catch (err) {
        note.textContent = `${t('failed')}: ${err.body?.reason || err.message}`;
      }
    } }, t('bindHolder'));
    return el('details', { class: 'bind' }, el('summary', {}, t('bindHolder')), ...inputs, save, note);
  }

  /** A body camera's channel (bound to the subject), as a button under its card. */
  async holderVideo(subjectId) {
    const body = await getJSON('/api/video/channels', { subject: subjectId }).catch(() => null);
    for (const c of body?.channels ?? []) this.card.append(this.playButton(c, null, `${t('holderCamera')} · ${c.name}`));
  }
}

function ring(coords) {
  return `(${coords.map((c) => `${c[0]} ${c[1]}`).join(',')})`;
}

/** GeoJSON polygons as WKT for a CQL2 spatial filter. */
export function toWkt(g) {
  if (g.type === 'Polygon') return `POLYGON(${g.coordinates.map(ring).join(',')})`;
  if (g.type === 'MultiPolygon') return `MULTIPOLYGON(${g.coordinates.map((p) => `(${p.map(ring).join(',')})`).join(',')})`;
  throw new Error(`no WKT for ${g.type}`);
}
