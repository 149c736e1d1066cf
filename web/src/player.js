// Video in the pages (VID-2), no plug-in, one module for both pages. The service hands out a short-lived URL of the
// media platform's own stream (GET /api/video/channels/{code}/live, .../record?from=&to=; video/gateway.py); hls.js
// plays HLS, mpegts.js HTTP-FLV, the browser itself an MP4 file. A tile holds one stream: closing the tile, leaving
// its layout or hiding the page ends the stream (the platform stops pulling a camera nobody watches).

import { ApiError, getJSON } from './api.js';
import { el, shanghaiTime } from './format.js';
import { t } from './i18n.js';

/** How a URL plays: 'hls', 'flv' or 'file', by its path's extension (the platforms' templates keep one). */
export function streamKind(url) {
  const path = url.split(/[?#]/, 1)[0].toLowerCase(); // the path, without the token's query
  if (path.endsWith('.m3u8')) return 'hls';
  if (path.endsWith('.flv')) return 'flv';
  return 'file';
}

/** The wall's layouts: how many tiles, in how many columns; 1+N: the first tile spans `span` columns and rows. */
export const LAYOUTS = {
  1: { tiles: 1, cols: 1 },
  4: { tiles: 4, cols: 2 },
  9: { tiles: 9, cols: 3 },
  16: { tiles: 16, cols: 4 },
  '1+5': { tiles: 6, cols: 3, span: 2 },
  '1+7': { tiles: 8, cols: 4, span: 3 },
};

/** The window of an alarm's recording (告警录像): from `before` s before it was raised to `after` s after. */
export function clipWindow(raisedAt, before = 30, after = 60) {
  const at = new Date(raisedAt).getTime();
  return { from: new Date(at - before * 1000), to: new Date(at + after * 1000) };
}

/** A permit's video: its validity, up to now, the latest `maxS` seconds of it when it is longer. */
export function permitWindow(start, end, now = new Date(), maxS = 7200) {
  const to = Math.min(new Date(end).getTime(), now.getTime());
  const from = Math.max(new Date(start).getTime(), to - maxS * 1000);
  return from < to ? { from: new Date(from), to: new Date(to) } : null;
}

/** Play `url` into `video`; the returned function ends the stream. `onFatal(message)`: it cannot go on. The players
 * are loaded with the first picture (a chunk of their own: the page starts without them). */
export async function attach(video, url, onFatal) {
  const kind = streamKind(url);
  const Hls = kind === 'hls' ? (await import('hls.js')).default : null;
  if (Hls?.isSupported()) {
    const hls = new Hls({ liveSyncDurationCount: 2, maxBufferLength: 10, backBufferLength: 10 });
    hls.on(Hls.Events.ERROR, (_, data) => { if (data.fatal) onFatal(data.response?.code ? `HTTP ${data.response.code}` : data.details); });
    hls.loadSource(url);
    hls.attachMedia(video);
    return () => hls.destroy();
  }
  const Mpegts = kind === 'flv' ? (await import('mpegts.js')).default : null;
  if (Mpegts?.getFeatureList().mseLivePlayback) {
    const player = Mpegts.createPlayer({ type: 'flv', isLive: true, url }, { enableStashBuffer: false });
    player.on(Mpegts.Events.ERROR, (type, detail) => onFatal(`${type} ${detail}`));
    player.attachMediaElement(video);
    player.load();
    return () => { player.destroy(); };
  }
  video.src = url; // MP4, or HLS where the browser plays it itself
  return () => { video.removeAttribute('src'); video.load(); };
}

/** One tile: a channel's live stream or a range of its recording, its name, what it shows, and its state. */
export class VideoTile extends EventTarget {
  constructor(onClose) {
    super();
    this.video = el('video', { muted: '', playsinline: '', autoplay: '' });
    this.video.muted = true; // autoplay needs it; a camera has no sound worth a click
    this.title = el('span', { class: 'video-title' });
    this.note = el('span', { class: 'video-note', role: 'status' });
    this.element = el('figure', { class: 'video-tile', 'data-state': 'empty' }, this.video,
      el('figcaption', {}, this.title, this.note,
        el('button', { type: 'button', class: 'icon-button', 'aria-label': t('closeVideo'), onclick: () => { this.close(); onClose?.(this); } }, '×')));
    this.stop = null;
    this.channel = null;
    this.video.addEventListener('playing', () => {
      if (this.element.dataset.state !== 'loading') return;
      this.playingAt = performance.now();
      this.firstFrameMs = this.playingAt - this.openedAt;
      this.state('playing');
    });
  }

  state(s, message = '') {
    this.element.dataset.state = s;
    this.note.textContent = message;
  }

  /** Open `channel` ({code, name}): live, or the recording of `range` ({from, to}). */
  async open(channel, range = null) {
    this.close();
    this.channel = channel;
    this.range = range;
    this.openedAt = performance.now();
    this.firstFrameMs = null;
    this.playingAt = null;
    const d = this.element.dataset;
    Object.assign(d, { channel: channel.code, mode: range ? 'record' : 'live' });
    if (range) Object.assign(d, { from: range.from.toISOString(), to: range.to.toISOString() });
    else { delete d.from; delete d.to; }
    this.title.textContent = `${channel.name} · ${range ? `${t('videoRecord')} ${shanghaiTime(range.from)} — ${shanghaiTime(range.to)}` : t('videoLive')}`;
    this.state('loading', t('videoConnecting'));
    const code = encodeURIComponent(channel.code);
    let issued;
    try {
      issued = range
        ? await getJSON(`/api/video/channels/${code}/record`, { from: range.from.toISOString(), to: range.to.toISOString() })
        : await getJSON(`/api/video/channels/${code}/live`);
    } catch (err) {
      // 503: no platform configured; 400: a range too long; 404: not a channel this user may see.
      const reason = err instanceof ApiError && err.status === 503 ? t('videoNoPlatform') : (err.body?.reason || err.message);
      this.state('error', reason);
      return;
    }
    if (this.channel !== channel) return; // closed or replaced meanwhile
    let stop;
    try {
      stop = await attach(this.video, issued.url, (why) => this.state('error', `${t('videoPlatformDown')} (${why})`));
    } catch (err) { // the player's own code did not load (offline)
      this.state('error', String(err.message || err));
      return;
    }
    if (this.channel === channel) this.stop = stop;
    else stop();
  }

  close() {
    this.stop?.();
    this.stop = null;
    this.channel = null;
    this.state('empty');
    this.title.textContent = '';
  }

  /** For the test facade and the benchmark: what the tile plays and how far it got. */
  describe() {
    const d = this.element.dataset;
    return { channel: d.channel ?? null, mode: d.mode ?? null, state: d.state, from: d.from ?? null, to: d.to ?? null,
      currentTime: this.video.currentTime, firstFrameMs: this.firstFrameMs ?? null, playingAt: this.playingAt ?? null };
  }
}

/** Tiles in a layout (1, 4, 9, 16, 1+N). A new stream takes the first free tile, else one that failed, else the one
 * opened longest ago.
 * Hidden (the panel closed, the page in the background), it ends every stream; shown again, it reopens them. */
export class VideoWall {
  constructor(container, { layouts = Object.keys(LAYOUTS), layout = '4' } = {}) {
    this.container = container;
    this.grid = el('div', { class: 'video-grid' });
    this.tiles = [];
    this.order = [];
    this.picker = el('div', { class: 'video-layouts', role: 'group', 'aria-label': t('videoLayout') }, layouts.map((name) =>
      el('button', { type: 'button', class: 'tool', 'data-layout': name, onclick: () => this.setLayout(name) }, name)));
    container.append(el('header', { class: 'video-head' }, el('h2', {}, t('videoPanel')), this.picker,
      el('button', { type: 'button', class: 'icon-button', 'aria-label': t('closeVideo'), onclick: () => this.hide() }, '×')), this.grid);
    this.setLayout(layout);
    this.paused = null;
    document.addEventListener('visibilitychange', () => (document.hidden ? this.pause() : this.resume()));
    // The HLS player's code once the page is idle: not in the page's first load, ready before the first alarm.
    const warm = () => import('hls.js').catch(() => null); // offline: loaded when it is back
    if ('requestIdleCallback' in window) requestIdleCallback(warm, { timeout: 10_000 }); else setTimeout(warm, 5000);
  }

  setLayout(name) {
    const spec = LAYOUTS[name];
    if (!spec) return;
    this.layout = name;
    while (this.tiles.length < spec.tiles) this.tiles.push(new VideoTile((tile) => this.closed(tile)));
    for (const tile of this.tiles.splice(spec.tiles)) { tile.close(); this.closed(tile); }
    this.grid.style.gridTemplateColumns = `repeat(${spec.cols}, 1fr)`;
    this.grid.dataset.layout = name;
    this.tiles.forEach((tile, i) => {
      const big = i === 0 && spec.span;
      tile.element.style.gridColumn = big ? `span ${spec.span}` : '';
      tile.element.style.gridRow = big ? `span ${spec.span}` : '';
    });
    this.grid.replaceChildren(...this.tiles.map((tile) => tile.element));
    for (const b of this.picker.children) b.setAttribute('aria-pressed', String(b.dataset.layout === name));
  }

  closed(tile) {
    this.order = this.order.filter((x) => x !== tile);
  }

  /** Play a channel (live, or `range` of its recording); returns its tile. */
  open(channel, range = null) {
    this.container.hidden = false;
    const failed = this.tiles.find((x) => x.element.dataset.state === 'error');
    const tile = this.tiles.find((x) => !x.channel) ?? failed ?? this.order[0] ?? this.tiles[0];
    this.closed(tile);
    this.order.push(tile);
    tile.open(channel, range);
    return tile;
  }

  /** Close every stream and the panel. */
  hide() {
    for (const tile of this.tiles) tile.close();
    this.order = [];
    this.container.hidden = true;
  }

  pause() {
    this.paused = this.order.map((tile) => [tile, tile.channel, tile.range]);
    for (const tile of this.tiles) tile.close();
  }

  resume() {
    for (const [tile, channel, range] of this.paused ?? []) if (channel) tile.open(channel, range);
    this.paused = null;
  }

  describe() {
    return { layout: this.layout, shown: !this.container.hidden, tiles: this.tiles.map((x) => x.describe()) };
  }
}
