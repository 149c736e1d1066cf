// One Terra Draw for the page: the area query and the fence editor ask it for a shape and get its geometry.

import { TerraDraw, TerraDrawCircleMode, TerraDrawPolygonMode, TerraDrawRectangleMode } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';

let draw = null;
let pending = null;

function instance(map) {
  if (draw) return draw;
  draw = new TerraDraw({
    adapter: new TerraDrawMapLibreGLAdapter({ map }),
    modes: [new TerraDrawPolygonMode(), new TerraDrawRectangleMode(), new TerraDrawCircleMode()],
  });
  draw.start();
  draw.on('finish', (id) => {
    const f = draw.getSnapshotFeature(id);
    draw.setMode('static');
    const resolve = pending;
    pending = null;
    if (f && resolve) resolve(f.geometry);
  });
  return draw;
}

/** Let the user draw a polygon, rectangle or circle; resolves with its GeoJSON geometry (the last shape stays shown). */
export function drawShape(map, mode) {
  const d = instance(map);
  d.clear();
  d.setMode(mode);
  return new Promise((resolve) => { pending = resolve; });
}

/** Whether a shape is being drawn (the page's clicks then belong to the drawing, not to the features under them). */
export function drawing() {
  return pending !== null;
}

export function clearShapes() {
  if (draw) draw.clear();
}
