// Track playback on Cesium's clock: one or several subjects (people, machines, cameras; e.g. everyone in a zone
// during an incident) over a time range, each a moving point with its trail and stay points, at 1x-60x, with a
// scrub bar on the clock's range and a follow camera.

import {
  Cartesian3, ClockRange, Color, JulianDate, LabelStyle, PolylineGlowMaterialProperty,
  SampledPositionProperty, VerticalOrigin, Cartesian2, HeightReference,
} from '@cesium/engine';
import { ApiError, getJSON } from './api.js';
import { t } from './i18n.js';
import { el, fromLocalInput, shanghaiTime, toLocalInput } from './format.js';

const SPEEDS = [1, 5, 10, 30, 60];
const PALETTE = ['#f2cc60', '#79c0ff', '#ff7b72', '#7ee787', '#d2a8ff', '#ffa657'];


export class Playback3D {
  constructor(viewer, bar, { onFrame } = {}) {
    this.viewer = viewer;
    this.onFrame = onFrame;
    this.bar = bar;
    this.entities = [];
    this.tracks = [];
    const hourAgo = new Date(Date.now() - 3600e3);
    this.codes = el('input', { name: 'codes', placeholder: t('codes') });
    this.from = el('input', { name: 'from', type: 'datetime-local', value: toLocalInput(hourAgo) });
    this.to = el('input', { name: 'to', type: 'datetime-local', value: toLocalInput(new Date()) });
    this.speed = el('select', { name: 'speed', onchange: () => { viewer.clock.multiplier = Number(this.speed.value); } },
      SPEEDS.map((s) => el('option', { value: s, selected: s === 10 }, `${s}x`)));
    this.scrubber = el('input', { type: 'range', min: 0, max: 1000, value: 0, name: 'scrub', oninput: () => this.scrub() });
    this.follow = el('input', { type: 'checkbox', name: 'follow', onchange: () => this.applyFollow() });
    this.time = el('output', { class: 'clock' });
    this.note = el('span', { class: 'note', role: 'status' });
    this.playButton = el('button', { type: 'button', 'data-play': 'toggle', onclick: () => this.toggle() }, '▶');
    bar.replaceChildren(
      el('form', { class: 'playbar-form', onsubmit: (e) => { e.preventDefault(); this.load(this.codes.value.split(/[\s,，]+/).filter(Boolean)); } },
        el('strong', {}, t('playback')), this.codes, this.from, this.to, el('button', { type: 'submit', 'data-play': 'load' }, t('load'))),
      el('div', { class: 'playbar-controls' }, this.playButton, this.speed, this.scrubber, this.time,
        el('label', {}, this.follow, t('follow')), this.note,
        el('button', { type: 'button', class: 'icon-button', 'aria-label': t('closeDetails'), onclick: () => this.close() }, '×')));
    viewer.clock.onTick.addEventListener((clock) => this.tick(clock));
  }

  open(codes = []) {
    this.bar.hidden = false;
    if (codes.length) {
      this.codes.value = codes.join(', ');
      return this.load(codes);
    }
    return null;
  }

  close() {
    this.clear();
    this.bar.hidden = true;
    const { clock } = this.viewer;
    clock.shouldAnimate = true;
    clock.multiplier = 1;
    clock.clockRange = ClockRange.UNBOUNDED;
    clock.currentTime = JulianDate.now();
  }

  clear() {
    for (const e of this.entities) this.viewer.entities.remove(e);
    this.entities = [];
    this.tracks = [];
    this.viewer.trackedEntity = undefined;
  }

  /** Load the tracks of the subjects (by code) over the range and start playing them together. */
  async load(codes) {
    this.clear();
    if (!codes.length) return;
    this.note.textContent = '…';
    const from = fromLocalInput(this.from.value);
    const to = fromLocalInput(this.to.value);
    const got = await Promise.all(codes.map((code) => getJSON(`/api/tracks/${encodeURIComponent(code)}`, { from, to })
      .catch((err) => ({ error: err instanceof ApiError ? err.message : String(err), subject: code }))));
    const tracks = got.filter((tr) => tr.line && tr.times?.length > 1);
    const failed = got.filter((tr) => tr.error).map((tr) => `${tr.subject}: ${tr.error}`);
    if (!tracks.length) {
      this.note.textContent = failed.join('; ') || t('noTrack');
      return;
    }
    let start = Infinity;
    let stop = -Infinity;
    tracks.forEach((tr, k) => {
      const color = Color.fromCssColorString(PALETTE[k % PALETTE.length]);
      const position = new SampledPositionProperty();
      tr.line.coordinates.forEach(([lon, lat], i) => {
        position.addSample(JulianDate.fromDate(new Date(tr.times[i] * 1000)), Cartesian3.fromDegrees(lon, lat, 2));
      });
      start = Math.min(start, tr.times[0]);
      stop = Math.max(stop, tr.times[tr.times.length - 1]);
      this.entities.push(this.viewer.entities.add({
        id: `playback-${tr.subject}`,
        position,
        point: { pixelSize: 14, color, outlineColor: Color.WHITE, outlineWidth: 2, disableDepthTestDistance: Number.POSITIVE_INFINITY },
        label: { text: tr.subject, font: '16px sans-serif', fillColor: Color.WHITE, style: LabelStyle.FILL_AND_OUTLINE, outlineWidth: 3,
          verticalOrigin: VerticalOrigin.BOTTOM, pixelOffset: new Cartesian2(0, -14), disableDepthTestDistance: Number.POSITIVE_INFINITY },
        path: { leadTime: 0, trailTime: 3600 * 24, width: 4, material: new PolylineGlowMaterialProperty({ color, glowPower: 0.2 }) },
        properties: { layer: 'playback', id: tr.subject },
      }));
      for (const s of tr.stops) {
        this.entities.push(this.viewer.entities.add({
          position: Cartesian3.fromDegrees(s.lon, s.lat, 1),
          point: { pixelSize: 10, color: color.withAlpha(0.5), outlineColor: color, outlineWidth: 2, heightReference: HeightReference.NONE },
          label: { text: `${shanghaiTime(s.from).slice(11, 16)} ${Math.round(s.seconds / 60)}′`, font: '13px sans-serif',
            fillColor: color, pixelOffset: new Cartesian2(0, 16), showBackground: true },
        }));
      }
    });
    this.tracks = tracks;
    const { clock } = this.viewer;
    clock.startTime = JulianDate.fromDate(new Date(start * 1000));
    clock.stopTime = JulianDate.fromDate(new Date(stop * 1000));
    clock.currentTime = clock.startTime.clone();
    clock.clockRange = ClockRange.CLAMPED;
    clock.multiplier = Number(this.speed.value);
    clock.shouldAnimate = true;
    this.playButton.textContent = '⏸';
    this.note.textContent = [`${tracks.length} ${t('tracks')}`, ...failed].join(' · ');
    this.applyFollow();
    if (!this.follow.checked) this.onFrame?.(tracks.flatMap((tr) => tr.line.coordinates));
  }

  applyFollow() {
    this.viewer.trackedEntity = this.follow.checked ? this.entities[0] : undefined;
  }

  toggle() {
    const { clock } = this.viewer;
    clock.shouldAnimate = !clock.shouldAnimate;
    this.playButton.textContent = clock.shouldAnimate ? '⏸' : '▶';
  }

  scrub() {
    const { clock } = this.viewer;
    if (!this.tracks.length) return;
    const span = JulianDate.secondsDifference(clock.stopTime, clock.startTime);
    clock.currentTime = JulianDate.addSeconds(clock.startTime, (span * Number(this.scrubber.value)) / 1000, new JulianDate());
  }

  tick(clock) {
    if (!this.tracks.length || this.bar.hidden) return;
    const span = JulianDate.secondsDifference(clock.stopTime, clock.startTime) || 1;
    const at = JulianDate.secondsDifference(clock.currentTime, clock.startTime);
    this.scrubber.value = String(Math.round((1000 * at) / span));
    this.time.textContent = shanghaiTime(JulianDate.toDate(clock.currentTime));
  }

  /** Where a subject is at the clock's time (tests: playback moves it). */
  where(code) {
    const e = this.entities.find((x) => x.id === `playback-${code}`);
    const p = e?.position.getValue(this.viewer.clock.currentTime);
    return p ? [p.x, p.y, p.z] : null;
  }
}
