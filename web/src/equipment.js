// A special equipment's card (seed 001): who it is, its monitor's state and latest reading (楼层, 上下行, 门, 运行时间,
// 运行次数; pressure and temperature for boilers and vessels), kept fresh while the card is open; its open and recent
// faults with the rescue station sent and its arrival; its upkeep (维保, 检验, 合同, 服役年限) and the maintenance
// unit's nearest stations; and the one-click check-in (一键签到) from the tablet's position. Labels and colours from
// the service's vocabulary (GET /api/equipment/{id}, within the user's scope).

import { getJSON, postJSON } from './api.js';
import { el, shanghaiTime } from './format.js';
import { t } from './i18n.js';
import { rows } from './details.js';

const REFRESH_MS = 5000;
const READINGS = [ // reading field -> [word, unit]
  ['floor', 'eqFloor', ''], ['direction', 'eqDirection', null], ['door', 'eqDoor', null], ['speed_mps', 'eqSpeed', 'm/s'],
  ['running_h', 'eqRunningH', 'h'], ['runs', 'eqRuns', ''], ['load_pct', 'eqLoad', '%'],
  ['pressure_mpa', 'eqPressure', 'MPa'], ['temperature_c', 'eqTemperature', '°C'], ['water_level_mm', 'eqWater', 'mm'],
];

/** The reading's rows: each value with its unit, or its word (上行, 开门). */
export function readingRows(reading) {
  return READINGS.filter(([k]) => reading[k] !== undefined && reading[k] !== null)
    .map(([k, word, unit]) => [word, unit === null ? t(`eq_${reading[k]}`) : `${reading[k]}${unit ? ` ${unit}` : ''}`]);
}

/** Metres as the card says them: 850 m, 1.2 km. */
export function distanceText(m) {
  if (m === null || m === undefined) return '';
  return m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toFixed(1)} km`;
}

function faultItem(f, vocab) {
  const colour = vocab.colour('equipment_fault', f.code);
  const d = f.dispatch;
  return el('li', { 'data-fault': f.code, 'data-open': String(!f.ended_at) },
    el('span', { class: 'chip', style: `background:${colour};color:#fff` }, vocab.label('equipment_fault', f.code)),
    ` ${shanghaiTime(f.started_at)}${f.ended_at ? ` — ${shanghaiTime(f.ended_at).slice(11)}` : ` · ${t('ongoing')}`}`,
    d && !f.ended_at ? el('div', { class: 'note', 'data-dispatch': d.station || '' },
      d.station ? `${t('eqDispatched')} ${d.station} (${distanceText(d.distance_m)})${d.phone ? ` ☎ ${d.phone}` : ''} · `
        + (d.arrived_at ? `${t('eqArrived')} ${shanghaiTime(d.arrived_at).slice(11)} ${d.arrived_by || ''}` : t('eqOnTheWay'))
        : t('eqNoStation')) : null);
}

function upkeepRows(e, vocab) {
  const u = e.upkeep;
  const state = el('span', { class: 'chip', 'data-upkeep': u.state,
    style: `border:2px solid ${vocab.colour('equipment_upkeep', u.state)}` }, vocab.label('equipment_upkeep', u.state));
  return rows([['eqUpkeep', state],
    ['eqMaintained', u.maintained_at ? `${shanghaiTime(u.maintained_at).slice(0, 10)} (${t('eqEvery')} ${u.maintenance_interval_days} ${t('days')})` : null],
    ['eqInspectionDue', u.inspection_due], ['eqInspected', u.inspected_on ? `${u.inspected_on} ${u.inspection_passed === false ? t('eqFailed') : t('eqPassed')}` : null],
    ['eqContract', u.contract_expires], ['eqServiceYears', u.service_years !== null ? `${u.service_years} ${t('years')}` : null]]);
}

/** 一键签到: the tablet's position (and how sure it is) recorded as maintenance done at the device. */
function checkIn(e, me, note, done) {
  if (!navigator.geolocation) { note.textContent = t('eqNoPosition'); return; }
  note.textContent = t('eqLocating');
  navigator.geolocation.getCurrentPosition(async (p) => {
    try {
      await postJSON(`/api/equipment/${e.id}/checkins`, { kind: 'maintenance', by: me.username || '',
        lon: p.coords.longitude, lat: p.coords.latitude, accuracy_m: Math.max(1, p.coords.accuracy) });
      note.textContent = t('eqCheckedIn');
      done();
    } catch (err) { note.textContent = `${t('failed')}: ${err.message}`; }
  }, (err) => { note.textContent = `${t('eqNoPosition')} (${err.message})`; }, { enableHighAccuracy: true, timeout: 15000 });
}

export async function openEquipment(details, id, vocab, me = {}) {
  details.selection?.set('equipment', id);
  const render = (e) => {
    const note = el('p', { class: 'note', role: 'status', 'data-checkin': '' });
    const state = el('span', { class: 'chip', 'data-monitoring': e.monitoring,
      style: `background:${vocab.colour('monitoring', e.monitoring)};color:#fff` }, vocab.label('monitoring', e.monitoring));
    details.show(e.name || e.registry_code,
      rows([['eqRegistry', e.registry_code], ['kind', vocab.label('equipment_kind', e.kind)], ['status', state],
        ['eqUser', e.using_unit], ['eqKeeper', e.unit ? `${e.unit.name}${e.unit.phone ? ` ☎ ${e.unit.phone}` : ''}` : null], ['address', e.address]]),
      el('h3', {}, t('eqLive'), e.reading_at ? el('small', { class: 'note' }, ` ${shanghaiTime(e.reading_at)}`) : null),
      e.reading_at ? el('div', { class: 'live-reading', 'data-live': 'reading' }, rows(readingRows(e.reading)))
        : el('p', { class: 'note' }, t('eqNoReading')),
      el('h3', {}, t('eqFaults')),
      e.faults_recent.length ? el('ul', { class: 'faults' }, e.faults_recent.map((f) => faultItem(f, vocab))) : el('p', { class: 'note' }, t('none')),
      el('h3', {}, t('eqUpkeepTitle')), upkeepRows(e, vocab),
      me.can_act ? el('button', { type: 'button', 'data-action': 'checkin', onclick: () => checkIn(e, me, note, refresh) }, t('eqCheckIn')) : null, note,
      el('h3', {}, t('eqStations')),
      e.stations.length ? el('ol', { class: 'stations' }, e.stations.map((s) => el('li', { 'data-station': s.name },
        `${s.name} · ${distanceText(s.distance_m)}${s.phone ? ` ☎ ${s.phone}` : ''}`))) : el('p', { class: 'note' }, t('eqNoStation')));
    for (const [k] of READINGS) if (e.reading[k] !== undefined) details.card.querySelector('[data-live]')?.setAttribute(`data-${k.replaceAll('_', '-')}`, String(e.reading[k]));
  };
  // Kept fresh while this card is the one chosen (any other card, or closing it, ends the refresh).
  const chosen = () => !details.card.hidden && String(details.selection?.of('equipment')) === String(id);
  const refresh = async () => render(await getJSON(`/api/equipment/${id}`));
  await refresh();
  const timer = setInterval(async () => {
    if (!chosen()) { clearInterval(timer); return; }
    const e = await getJSON(`/api/equipment/${id}`).catch(() => null);
    if (e && chosen()) render(e);
  }, REFRESH_MS);
}

/** An equipment fault's alarm card gets a button to the device's card (faults linked like other alarms). */
export function deviceButton(details, alarm, vocab, me) {
  const id = alarm?.evidence?.equipment?.id;
  if (alarm?.category !== 'equipment' || !id) return;
  details.card.append(el('button', { type: 'button', class: 'action', 'data-open': 'equipment',
    onclick: () => openEquipment(details, id, vocab, me) }, t('eqOpenDevice')));
}
