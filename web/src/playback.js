// Track playback: a subject's line over a time range (GET /api/tracks/{id}, simplified, with each vertex's time),
// its stay points, and a marker moving along it at 1x-20x, with a slider to scrub, follow mode and the time shown.

import * as maplibregl from 'maplibre-gl';
import { ApiError, getJSON } from './api.js';
import { t } from './i18n.js';
import { el, fromLocalInput, shanghaiTime, toLocalInput } from './format.js';
import { positionAt } from './track.js';

const SPEEDS = [1, 2, 5, 10, 20];
const EMPTY = { type: 'FeatureCollection', features: [] };


export class Playback {
  constructor(map, panel) {
    this.map = map;
    this.track = null;
    this.now = 0;
    this.playing = false;
    this.marker = null;
    const hourAgo = new Date(Date.now() - 3600e3);
    this.code = el('input', { name: 'code', placeholder: t('code') });
    this.from = el('input', { name: 'from', type: 'datetime-local', value: toLocalInput(hourAgo) });
    this.to = el('input', { name: 'to', type: 'datetime-local', value: toLocalInput(new Date()) });
    this.speed = el('select', { name: 'speed' }, SPEEDS.map((s) => el('option', { value: s }, `${s}x`)));
    this.slider = el('input', { type: 'range', min: 0, max: 1000, value: 0, name: 'scrub', oninput: () => this.scrub() });
    this.follow = el('input', { type: 'checkbox', name: 'follow', checked: true });
    this.clock = el('output', { class: 'clock' });
    this.note = el('p', { class: 'note', role: 'status' });
    this.playButton = el('button', { type: 'button', 'data-play': 'toggle', onclick: () => this.toggle() }, '▶');
    panel.append(el('h2', {}, t('playback')),
      el('form', { class: 'playback-form', onsubmit: (e) => { e.preventDefault(); this.load(); } },
        el('label', {}, t('code'), this.code), el('label', {}, t('from'), this.from), el('label', {}, t('to'), this.to),
        el('button', { type: 'submit', 'data-play': 'load' }, t('load'))),
      el('div', { class: 'playback-controls' }, this.playButton, this.speed, this.slider,
        el('label', {}, this.follow, t('follow')), this.clock), this.note);
  }

  ensureLayers() {
    if (this.map.getSource('playback')) return;
    this.map.addSource('playback', { type: 'geojson', data: EMPTY });
    this.map.addLayer({ id: 'playback-line', type: 'line', source: 'playback', filter: ['==', ['geometry-type'], 'LineString'],
      paint: { 'line-color': '#0969da', 'line-width': 4, 'line-opacity': 0.8 } });
    this.map.addLayer({ id: 'playback-stops', type: 'circle', source: 'playback', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 7, 'circle-color': '#ffffff', 'circle-stroke-color': '#0969da', 'circle-stroke-width': 3 } });
  }

  /** Load a subject's track (also called from a details card with its code). */
  async load(code = this.code.value.trim()) {
    this.code.value = code;
    this.pause();
    try {
      const tr = await getJSON(`/api/tracks/${encodeURIComponent(code)}`, { from: fromLocalInput(this.from.value), to: fromLocalInput(this.to.value) });
      if (!tr.line) { this.note.textContent = `${t('noTrack')} (${tr.fixes})`; return null; }
      this.track = tr;
      this.ensureLayers();
      const stops = tr.stops.map((s) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [s.lon, s.lat] }, properties: s }));
      this.map.getSource('playback').setData({ type: 'FeatureCollection', features: [{ type: 'Feature', geometry: tr.line, properties: {} }, ...stops] });
      this.marker ??= new maplibregl.Marker({ color: '#d73a49' });
      this.marker.setLngLat(tr.line.coordinates[0]).addTo(this.map);
      const lons = tr.line.coordinates.map((c) => c[0]);
      const lats = tr.line.coordinates.map((c) => c[1]);
      this.map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]], { padding: 60, maxZoom: 18 });
      this.note.textContent = `${tr.fixes} · ${tr.stops.length} ${t('stops')} · ${tr.trips.length} ${t('trips')}`;
      this.seek(tr.times[0]);
      return tr;
    } catch (err) {
      this.note.textContent = `${t('failed')}: ${err instanceof ApiError ? err.message : err}`;
      return null;
    }
  }

  seek(when) {
    if (!this.track) return;
    const { times } = this.track;
    this.now = Math.max(times[0], Math.min(times[times.length - 1], when));
    const at = positionAt(this.track, this.now);
    this.marker.setLngLat(at);
    this.clock.value = shanghaiTime(this.now);
    this.slider.value = String(Math.round(((this.now - times[0]) / Math.max(1, times[times.length - 1] - times[0])) * 1000));
    if (this.follow.checked && this.playing) this.map.easeTo({ center: at, duration: 0 });
  }

  scrub() {
    if (!this.track) return;
    const { times } = this.track;
    this.seek(times[0] + (Number(this.slider.value) / 1000) * (times[times.length - 1] - times[0]));
  }

  toggle() {
    if (this.playing) this.pause(); else this.play();
  }

  play() {
    if (!this.track) return;
    const end = this.track.times[this.track.times.length - 1];
    if (this.now >= end) this.seek(this.track.times[0]);
    this.playing = true;
    this.playButton.textContent = '⏸';
    let last = performance.now();
    const frame = (ts) => {
      if (!this.playing) return;
      this.seek(this.now + ((ts - last) / 1000) * Number(this.speed.value));
      last = ts;
      if (this.now >= end) { this.pause(); return; }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  pause() {
    this.playing = false;
    this.playButton.textContent = '▶';
  }
}
