// The 3D scene's layers, read from the OGC collections (so cut to the user's scope there): districts (a choropleth of
// the district counts), site footprints (extruded to their height, or flat under the 3D Tiles of buildings), zones as
// volumes from their floor and height range, permits with the 2D style's icons, the tileset, heat-map overlays.

import {
  BillboardCollection, Cartesian3, Cesium3DTileset, Color, ColorMaterialProperty,
  HorizontalOrigin, ImageryLayer, NearFarScalar, PointPrimitiveCollection, PolygonHierarchy, PropertyBag, UrlTemplateImageryProvider,
  VerticalOrigin, WebMercatorTilingScheme,
} from '@cesium/engine';
import { getJSON } from './api.js';

const ZONE_DEFAULT_HEIGHT = { forbidden: 30, key_place: 20, work_area: 15, post: 8, muster_point: 3, site_boundary: 0, temporary: 10 };
const SITE_DEFAULT_HEIGHT = 12;
const CALM = Color.fromCssColorString('#1f6feb').withAlpha(0.10);
const HOT = Color.fromCssColorString('#f85149').withAlpha(0.2);

async function items(collection, params = {}) {
  const out = [];
  let offset = 0;
  for (;;) {
    const page = await getJSON(`/ogc/collections/${collection}/items`, { limit: 2000, offset, ...params });
    out.push(...page.features);
    offset += page.features.length;
    if (!page.features.length || offset >= (page.numberMatched ?? offset)) return out;
  }
}

function rings(geometry) {
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
  return polys.map((p) => new PolygonHierarchy(
    Cartesian3.fromDegreesArray(p[0].flat()), p.slice(1).map((h) => new PolygonHierarchy(Cartesian3.fromDegreesArray(h.flat())))));
}

function bag(layer, f) {
  return new PropertyBag({ layer, id: f.id, ...f.properties });
}

export class Layers3D {
  constructor(viewer, vocab) {
    this.viewer = viewer;
    this.vocab = vocab;
    this.groups = {}; // name -> entities or primitives shown together
    this.sites = [];
    this.districts = [];
    this.tileset = null;
    this.heat = {};
  }

  group(name) {
    return (this.groups[name] ??= []);
  }

  show(name, on) {
    for (const x of this.groups[name] || []) x.show = on;
    if (this.heat[name]) this.heat[name].show = on;
    this.viewer.scene.requestRender();
  }

  async load({ tileset }) {
    const [districts, sites, zones, permits, counts, cameras, equipment] = await Promise.all([
      items('districts'), items('sites'), items('zones'), items('permits', { filter: 'status IN (1,2,6)', 'filter-lang': 'cql2-text' }),
      getJSON('/api/counts/districts').catch(() => ({ districts: [] })), items('video').catch(() => []),
      items('equipment').catch(() => []),
    ]);
    this.sites = sites;
    this.addDistricts(districts, counts.districts);
    const tiles = tileset ? await this.addTileset(tileset) : null;
    this.addSites(sites, !!tiles);
    this.addZones(zones);
    await this.addPermits(permits);
    this.addCameras(cameras);
    this.addEquipment(equipment);
    return { districts, sites, zones, permits, cameras, equipment };
  }

  /** Special equipment on a short mast, filled by its monitor's state and ringed by its upkeep state (the 2D
   * style's colours, wall variants); refreshed by `refreshEquipment` as states change. */
  addEquipment(equipment) {
    this.equipmentPoints ??= this.viewer.scene.primitives.add(new PointPrimitiveCollection());
    if (!this.group('equipment').includes(this.equipmentPoints)) this.group('equipment').push(this.equipmentPoints);
    this.equipmentPoints.removeAll();
    for (const f of equipment) {
      if (!f.geometry) continue;
      const [lon, lat] = f.geometry.coordinates;
      const p = f.properties;
      this.equipmentPoints.add({ position: Cartesian3.fromDegrees(lon, lat, 15), id: { layer: 'equipment', id: f.id, monitoring: p.monitoring },
        pixelSize: p.monitoring === 'alarm' || p.monitoring === 'fault' ? 12 : 8,
        color: Color.fromCssColorString(this.vocab.colour('monitoring', p.monitoring, true)),
        outlineColor: Color.fromCssColorString(p.upkeep && p.upkeep !== 'ok' ? this.vocab.colour('equipment_upkeep', p.upkeep, true) : '#ffffff'),
        outlineWidth: 2, disableDepthTestDistance: Number.POSITIVE_INFINITY });
    }
    this.viewer.scene.requestRender();
  }

  async refreshEquipment() {
    this.addEquipment(await items('equipment').catch(() => []));
  }

  /** Cameras that stand somewhere (the video layer), coloured by kind, on a mast above the plant. */
  addCameras(cameras) {
    const points = this.viewer.scene.primitives.add(new PointPrimitiveCollection());
    this.group('video').push(points);
    for (const f of cameras) {
      if (!f.geometry) continue;
      const [lon, lat] = f.geometry.coordinates;
      points.add({ position: Cartesian3.fromDegrees(lon, lat, 25), id: { layer: 'video', id: f.id }, pixelSize: 11,
        color: Color.fromCssColorString(this.vocab.colour('video_kind', f.properties.kind, true)),
        outlineColor: Color.WHITE, outlineWidth: 2, disableDepthTestDistance: Number.POSITIVE_INFINITY });
    }
  }

  /** Districts: outlines, and a fill by open alarms per district (the choropleth of the district counts). */
  addDistricts(districts, counts) {
    const byCode = Object.fromEntries(counts.map((c) => [c.code, c]));
    const max = Math.max(1, ...counts.map((c) => c.open_alarms || 0));
    const shown = districts.filter((d) => byCode[d.properties.code]);
    this.districts = shown;
    for (const d of shown) {
      const c = byCode[d.properties.code];
      const share = (c.open_alarms || 0) / max;
      const fill = Color.lerp(CALM, HOT, share, new Color());
      for (const h of rings(d.geometry)) {
        this.group('counts').push(this.viewer.entities.add({
          polygon: { hierarchy: h, material: new ColorMaterialProperty(fill), height: 0 },
          properties: bag('districts', d),
        }));
        this.group('districts').push(this.viewer.entities.add({
          polyline: { positions: h.positions.concat([h.positions[0]]), width: 2, material: Color.fromCssColorString('#58a6ff').withAlpha(0.8) },
        }));
      }
    }
  }

  /** The park's buildings as 3D Tiles; null when there are none to show. */
  async addTileset(url) {
    try {
      const tileset = await Cesium3DTileset.fromUrl(url, { maximumScreenSpaceError: 8 });
      this.viewer.scene.primitives.add(tileset);
      this.tileset = tileset;
      this.group('buildings').push(tileset);
      return tileset;
    } catch (err) {
      console.warn('3D Tiles not loaded', url, err);
      return null;
    }
  }

  /** Site footprints: extruded to their height, or flat plots under the tileset's buildings. */
  addSites(sites, flat) {
    for (const f of sites) {
      const height = f.properties.height_m ?? SITE_DEFAULT_HEIGHT;
      for (const h of rings(f.geometry)) {
        this.group('sites').push(this.viewer.entities.add({
          polygon: {
            hierarchy: h, height: 0, extrudedHeight: flat ? 0.5 : height,
            material: Color.fromCssColorString(flat ? '#2f81f7' : '#8fb3d9').withAlpha(flat ? 0.12 : 0.55),
            outline: !flat, outlineColor: Color.fromCssColorString('#58a6ff'),
          },
          properties: bag('sites', f),
        }));
      }
    }
  }

  /** Zones as volumes from their floor to their height (forbidden ones red and translucent). */
  addZones(zones) {
    for (const f of zones) {
      const p = f.properties;
      if (p.kind === 'site_boundary') continue;
      const color = this.zoneColour(p.kind);
      const bottom = p.height_min ?? 0;
      const top = p.height_max ?? (bottom + (ZONE_DEFAULT_HEIGHT[p.kind] ?? 10));
      for (const h of rings(f.geometry)) {
        this.group('zones').push(this.viewer.entities.add({
          polygon: { hierarchy: h, height: bottom, extrudedHeight: top, material: color.withAlpha(p.kind === 'forbidden' ? 0.28 : 0.16),
            outline: true, outlineColor: color.withAlpha(0.9) },
          properties: bag('zones', f),
        }));
      }
    }
  }

  /** A fence kind's colour on the wall (the vocabulary's). */
  zoneColour(kind) {
    return Color.fromCssColorString(this.vocab.colour('zone_kind', kind, true));
  }

  /** Permits with the 2D style's icons (cut from its sprite), above the plant. */
  async addPermits(permits) {
    const icons = await spriteIcons();
    const billboards = this.viewer.scene.primitives.add(new BillboardCollection({ scene: this.viewer.scene }));
    this.group('permits').push(billboards);
    this.permitBoards = billboards;
    for (const f of permits) {
      const p = f.properties;
      const key = `permit-${p.operation}-${p.status}`;
      const icon = icons[key] || icons[`permit-${p.operation}-2`];
      if (!icon || !f.geometry) continue;
      const [lon, lat] = f.geometry.coordinates;
      const b = billboards.add({
        position: Cartesian3.fromDegrees(lon, lat, 40), id: { layer: 'permits', id: f.id },
        verticalOrigin: VerticalOrigin.BOTTOM, horizontalOrigin: HorizontalOrigin.CENTER,
        scaleByDistance: new NearFarScalar(300, 1.0, 20000, 0.35), disableDepthTestDistance: Number.POSITIVE_INFINITY,
      });
      b.setImage(key, icon);
    }
  }

  /** Heat maps of welding and of alarms as imagery over the globe (off until asked for). */
  addHeat(source) {
    const provider = new UrlTemplateImageryProvider({ url: `/tiles/heat/${source}/{z}/{x}/{y}.png`, tilingScheme: new WebMercatorTilingScheme(), maximumLevel: 18 });
    const layer = new ImageryLayer(provider, { alpha: 0.75 });
    layer.show = false;
    this.viewer.imageryLayers.add(layer);
    this.heat[`heat_${source}`] = layer;
    return layer;
  }
}

/** The 2D style's sprite, each icon on its own canvas: the same permit icons on both pages. */
async function spriteIcons() {
  const [index, image] = await Promise.all([
    getJSON('/maps/sprite@2x.json'),
    new Promise((resolve, reject) => { const img = new Image(); img.onload = () => resolve(img); img.onerror = reject; img.src = '/maps/sprite@2x.png'; }),
  ]);
  const out = {};
  for (const [name, r] of Object.entries(index)) {
    const canvas = document.createElement('canvas');
    canvas.width = r.width;
    canvas.height = r.height;
    canvas.getContext('2d').drawImage(image, r.x, r.y, r.width, r.height, 0, 0, r.width, r.height);
    out[name] = canvas;
  }
  return out;
}
