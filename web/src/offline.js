// Poor network and offline: the map's tiles go through the `geo://` protocol, which asks the server and, when the
// network is down, reads the tile from the offline package an officer downloaded for an area (PMTiles from
// /api/offline/package.pmtiles, cut to what they may see, kept in the browser's Cache Storage). The app shell
// (page, code, style, glyphs) is kept by the service worker (sw.js).

import * as maplibregl from 'maplibre-gl';
import { FileSource, PMTiles } from 'pmtiles';
import { t } from './i18n.js';
import { el, shanghaiTime } from './format.js';

const CACHE = 'offline-package';
const KEY = '/offline/package.pmtiles';
const META = 'offline-package-meta';
export const PACKAGE_LAYERS = 'district_counts,districts,enterprises,sites,zones,permits';
let archive = null;

async function openArchive() {
  if (archive) return archive;
  const cache = await caches.open(CACHE);
  const resp = await cache.match(KEY);
  if (!resp) return null;
  archive = new PMTiles(new FileSource(new File([await resp.blob()], 'offline.pmtiles')));
  return archive;
}

const EMPTY_TILE = new Uint8Array(0);

/** geo://<path>: the server's answer, else (network down) the package's tile; TileJSON's tiles rewritten to geo://. */
async function handler(params, abort) {
  const url = params.url.replace(/^geo:\/\//, '');
  const json = params.type === 'json';
  try {
    const resp = await fetch(url, { credentials: 'same-origin', signal: abort.signal });
    if (!resp.ok && !(resp.status >= 500)) throw Object.assign(new Error(`HTTP ${resp.status}`), { final: true });
    if (resp.ok) {
      if (!json) return { data: await resp.arrayBuffer() };
      const tj = await resp.json();
      tj.tiles = tj.tiles.map((u) => `geo://${u.replace(/^https?:\/\/[^/]+/, '')}`); // {z}/{x}/{y} kept as they are
      return { data: tj };
    }
  } catch (err) {
    if (err.final || abort.signal.aborted) throw err;
  }
  // The network is down (or the server is): the package.
  const m = /\/(\d+)\/(\d+)\/(\d+)\.pbf$/.exec(url);
  const pm = await openArchive();
  if (json || !m || !pm) throw new Error('offline, and this is not in the offline package');
  const tile = await pm.getZxy(Number(m[1]), Number(m[2]), Number(m[3]), abort.signal);
  return { data: tile ? tile.data : EMPTY_TILE };
}

export function installProtocol() {
  maplibregl.addProtocol('geo', handler);
}

/** A blob URL of a worker script fetched by the page (a module worker's own fetch of its script does not reach the
 * service worker in Chromium, so offline it would not start); the URL itself when that fails. */
export async function workerFromPage(url) {
  try {
    const resp = await fetch(url, { credentials: 'same-origin' });
    if (!resp.ok) return url;
    return URL.createObjectURL(new Blob([await resp.arrayBuffer()], { type: 'text/javascript' }));
  } catch {
    return url;
  }
}

/** The service worker of the app shell (scope /map/). */
export function registerShell() {
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/map/sw.js', { scope: '/map/' }).catch(() => {});
}

/** The offline-package panel: take the view along, see what is kept, drop it. */
export class OfflinePanel {
  constructor(map, panel) {
    this.map = map;
    this.status = el('p', { class: 'note', role: 'status' });
    panel.append(el('h2', {}, t('offlinePackage')), el('div', { class: 'tools' },
      el('button', { type: 'button', class: 'tool', 'data-offline': 'download', onclick: () => this.download() }, t('downloadView')),
      el('button', { type: 'button', class: 'tool', 'data-offline': 'drop', onclick: () => this.drop() }, t('dropPackage'))), this.status);
    this.show();
  }

  show() {
    const meta = JSON.parse(localStorage.getItem(META) || 'null');
    this.status.textContent = meta
      ? `${t('kept')}: ${meta.kb} KB, ${t('zoomLevels')} ${meta.minzoom}-${meta.maxzoom}, ${shanghaiTime(meta.at)}`
      : t('noPackage');
  }

  /** The view (and a zoom above it to three below) for what the user may see. */
  async download() {
    const b = this.map.getBounds();
    const z = Math.floor(this.map.getZoom());
    const params = new URLSearchParams({ bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(','),
      minzoom: Math.max(0, z - 1), maxzoom: Math.min(18, z + 3), layers: PACKAGE_LAYERS });
    this.status.textContent = t('downloading');
    const resp = await fetch(`/api/offline/package.pmtiles?${params}`, { credentials: 'same-origin' });
    if (!resp.ok) {
      const body = await resp.json().catch(() => ({}));
      this.status.textContent = `${t('failed')}: ${body.error || resp.status}`;
      return false;
    }
    const blob = await resp.blob();
    const cache = await caches.open(CACHE);
    await cache.put(KEY, new Response(blob, { headers: { 'Content-Type': 'application/vnd.pmtiles' } }));
    archive = null;
    localStorage.setItem(META, JSON.stringify({ kb: Math.round(blob.size / 1024), minzoom: params.get('minzoom'),
      maxzoom: params.get('maxzoom'), bbox: params.get('bbox'), at: new Date().toISOString() }));
    await this.keepShell();
    this.show();
    return true;
  }

  /** What the map has loaded from the style's URLs (style, sprite, glyphs, TileJSON), kept for offline starts. */
  async keepShell() {
    const urls = performance.getEntriesByType('resource').map((e) => new URL(e.name))
      .filter((u) => u.origin === window.location.origin && (u.pathname.startsWith('/maps/') || /^\/tiles\/[^/]+\.json$/.test(u.pathname)))
      .map((u) => u.pathname + u.search);
    const runtime = await caches.open('runtime');
    await Promise.all([...new Set(urls)].map((u) => runtime.add(new Request(u, { credentials: 'same-origin' })).catch(() => {})));
  }

  async drop() {
    await caches.delete(CACHE);
    archive = null;
    localStorage.removeItem(META);
    this.show();
  }
}
