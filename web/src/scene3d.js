// The 3D scene: a CesiumWidget with nothing from another host (no Ion, no default imagery or terrain), a dark globe
// for the video wall, the configured base map through this server, and what a pick on the scene names.

import {
  BoundingSphere, Cartesian3, CesiumWidget, Color, HeadingPitchRange, ImageryLayer, Math as CesiumMath, Rectangle,
  UrlTemplateImageryProvider, WebMercatorTilingScheme, buildModuleUrl, defined,
} from '@cesium/engine';
import '@cesium/engine/Source/Widget/CesiumWidget.css';
import { getJSON } from './api.js';

export const WALL = { ground: '#0b1624', sky: '#05080d' };

export function createViewer(container, me) {
  buildModuleUrl.setBaseUrl(me.cesium);
  container.replaceChildren();
  const viewer = new CesiumWidget(container, {
    baseLayer: false,
    skyBox: false,
    skyAtmosphere: false,
    shouldAnimate: true,
    msaaSamples: 1,
    showRenderLoopErrors: true,
  });
  const { scene } = viewer;
  scene.backgroundColor = Color.fromCssColorString(WALL.sky);
  scene.globe.baseColor = Color.fromCssColorString(WALL.ground);
  scene.globe.showGroundAtmosphere = false;
  scene.globe.enableLighting = false;
  scene.globe.depthTestAgainstTerrain = false;
  scene.fog.enabled = false;
  if (scene.sun) scene.sun.show = false;
  if (scene.moon) scene.moon.show = false;
  scene.screenSpaceCameraController.minimumZoomDistance = 20;
  scene.screenSpaceCameraController.maximumZoomDistance = 2_000_000;
  return viewer;
}

/** The base map the 2D style names (GEO_BASEMAP, served by this server), under everything. */
export async function addBaseMap(viewer) {
  const style = await getJSON('/maps/style.json').catch(() => null);
  for (const [id, source] of Object.entries(style?.sources || {})) {
    if (!id.startsWith('basemap-') || !source.tiles?.length) continue;
    const provider = new UrlTemplateImageryProvider({ url: source.tiles[0], tilingScheme: new WebMercatorTilingScheme(), maximumLevel: 18 });
    const layer = new ImageryLayer(provider, { brightness: 0.45, saturation: 0.4 });
    viewer.imageryLayers.add(layer);
  }
}

/** Look down at a set of lon/lat points from the south, tilted as a control room sees a park. */
export function frame(viewer, points, { duration = 0, pitch = -45 } = {}) {
  if (!points.length) return;
  const sphere = BoundingSphere.fromPoints(points.map(([lon, lat]) => Cartesian3.fromDegrees(lon, lat, 0)));
  const range = Math.max(sphere.radius * 1.7, 400);
  viewer.camera.flyToBoundingSphere(sphere, { offset: new HeadingPitchRange(0, CesiumMath.toRadians(pitch), range), duration });
}

/** The view on the ground as [west, south, east, north] degrees (the whole scope when the horizon is in view). */
export function viewBox(viewer, fallback) {
  const r = viewer.camera.computeViewRectangle(viewer.scene.globe.ellipsoid, new Rectangle());
  if (!r) return fallback;
  return [r.west, r.south, r.east, r.north].map((v) => CesiumMath.toDegrees(v));
}

/** What a pick names: {layer, id} from an entity, a point primitive or a tile of the generated tileset. */
export function identify(picked) {
  if (!defined(picked)) return null;
  const id = picked.id;
  if (id && typeof id === 'object' && id.layer) return id; // point primitives and billboards carry {layer, id}
  if (id && id.properties && id.properties.layer) { // entities: their constant properties
    return { layer: id.properties.layer.getValue(), id: id.properties.id.getValue() };
  }
  const meta = picked.content?.metadata;
  if (meta && meta.hasProperty?.('id')) return { layer: 'sites', id: meta.getProperty('id') };
  return null;
}
