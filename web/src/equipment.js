// A special equipment's card (seed 001): who it is, its monitor's state and latest reading (楼层, 上下行, 门, 运行时间,
// 运行次数; pressure and temperature for boilers and vessels), kept fresh while the card is open, and its open and
// recent faults, labelled and coloured by the service's vocabulary (GET /api/equipment/{id}, within the user's scope).

import { getJSON } from './api.js';
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

function faultItem(f, vocab) {
  const colour = vocab.colour('equipment_fault', f.code);
  return el('li', { 'data-fault': f.code, 'data-open': String(!f.ended_at) },
    el('span', { class: 'chip', style: `background:${colour};color:#fff` }, vocab.label('equipment_fault', f.code)),
    ` ${shanghaiTime(f.started_at)}${f.ended_at ? ` — ${shanghaiTime(f.ended_at).slice(11)}` : ` · ${t('ongoing')}`}`);
}

export async function openEquipment(details, id, vocab) {
  details.selection?.set('equipment', id);
  const render = (e) => {
    const state = el('span', { class: 'chip', 'data-monitoring': e.monitoring,
      style: `background:${vocab.colour('monitoring', e.monitoring)};color:#fff` }, vocab.label('monitoring', e.monitoring));
    details.show(e.name || e.registry_code,
      rows([['eqRegistry', e.registry_code], ['kind', vocab.label('equipment_kind', e.kind)], ['status', state],
        ['eqUser', e.using_unit], ['eqKeeper', e.maintenance_unit], ['address', e.address]]),
      el('h3', {}, t('eqLive'), e.reading_at ? el('small', { class: 'note' }, ` ${shanghaiTime(e.reading_at)}`) : null),
      e.reading_at ? el('div', { class: 'live-reading', 'data-live': 'reading' }, rows(readingRows(e.reading)))
        : el('p', { class: 'note' }, t('eqNoReading')),
      el('h3', {}, t('eqFaults')),
      e.faults_recent.length ? el('ul', { class: 'faults' }, e.faults_recent.map((f) => faultItem(f, vocab))) : el('p', { class: 'note' }, t('none')));
    for (const [k] of READINGS) if (e.reading[k] !== undefined) details.card.querySelector('[data-live]')?.setAttribute(`data-${k.replaceAll('_', '-')}`, String(e.reading[k]));
  };
  // Kept fresh while this card is the one chosen (any other card, or closing it, ends the refresh).
  const chosen = () => !details.card.hidden && String(details.selection?.of('equipment')) === String(id);
  render(await getJSON(`/api/equipment/${id}`));
  const timer = setInterval(async () => {
    if (!chosen()) { clearInterval(timer); return; }
    const e = await getJSON(`/api/equipment/${id}`).catch(() => null);
    if (e && chosen()) render(e);
  }, REFRESH_MS);
}
