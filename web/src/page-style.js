// The served style as the pages use it (pure: node --test checks it): which layers are live, re-pointing them at
// the streams' GeoJSON sources, and the layer switcher's groups with their legends.

const EMPTY = { type: 'FeatureCollection', features: [] };

/** The style's live layers ({layer id: {stream, kinds, cluster_maxzoom}}), from its metadata. */
export function liveLayers(style) {
  return style?.metadata?.['geoservice:live'] ?? {};
}

/** The GeoJSON source a live layer is drawn from on the page. */
export const liveSource = (layerId) => `live-${layerId}`;

/**
 * The served style, re-pointed for the page: the live layers (people, machines, cameras, alarms) draw from GeoJSON
 * sources the streams feed instead of from tiles (their paint, clusters and halos stay the style's); the tiles are
 * asked for the other layers only, through geo:// (offline.js: the offline package when the network is down).
 */
export function pageStyle(_previous, next) {
  const live = liveLayers(next);
  for (const [id, l] of Object.entries(live)) {
    const clustered = l.cluster_maxzoom !== null && l.cluster_maxzoom !== undefined;
    next.sources[liveSource(id)] = { type: 'geojson', data: EMPTY,
      ...(clustered ? { cluster: true, clusterMaxZoom: l.cluster_maxzoom, clusterRadius: 50 } : {}) };
  }
  const tiled = new Set();
  for (const layer of next.layers) {
    const id = layer.metadata?.['geoservice:layer'];
    if (id in live) {
      layer.source = liveSource(id);
      delete layer['source-layer'];
    } else if (layer.source === 'geoservice') tiled.add(layer['source-layer']);
  }
  next.sources.geoservice.url = `geo:///tiles/${[...tiled].join(',')}.json`;
  return next;
}

/** Layer groups of the switcher, from the style: one per registry layer (and heat map, base map), in drawing order;
 * on unless the style hides it; a legend where the layer is coloured by a vocabulary. */
export function groupsOf(style, vocab) {
  const groups = new Map();
  for (const layer of style.layers) {
    const key = layer.metadata?.['geoservice:layer'];
    if (!key) continue;
    const g = groups.get(key) ?? { key, layers: [], on: true, legend: [] };
    g.layers.push(layer.id);
    if (layer.layout?.visibility === 'none') g.on = false;
    const legend = layer.metadata['geoservice:legend'];
    if (legend) g.legend = vocab.legend(legend.vocabulary, legend.codes);
    groups.set(key, g);
  }
  return [...groups.values()];
}

