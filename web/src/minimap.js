// The small map of an alarm's card: the zone's outline and the deciding fix, drawn as SVG from the alarm's own
// evidence (no tiles, no other host), north up, in metres-true proportions. `frameOf` and `toSvg` are pure.

const SVG = 'http://www.w3.org/2000/svg';

function rings(geometry) {
  if (!geometry) return [];
  if (geometry.type === 'Polygon') return geometry.coordinates;
  if (geometry.type === 'MultiPolygon') return geometry.coordinates.flat();
  return [];
}

/** The box (lon/lat) holding the outline and the point, padded by a fifth, at least ~60 m across. */
export function frameOf(zone, fix) {
  const pts = [...rings(zone).flat(), ...(fix ? [fix] : [])];
  if (!pts.length) return null;
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of pts) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
  const k = Math.cos(((y0 + y1) / 2) * Math.PI / 180);
  const half = Math.max((x1 - x0) * k, y1 - y0, 0.0006) * 0.6;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  return { cx, cy, k, half };
}

/** A lon/lat point to SVG pixels in a w x h box (north up). */
export function toSvg([lon, lat], f, w, h) {
  const s = Math.min(w, h) / (2 * f.half);
  return [w / 2 + (lon - f.cx) * f.k * s, h / 2 - (lat - f.cy) * s];
}

export function miniMap(shapes, { width = 240, height = 150, label = '' } = {}) {
  const f = frameOf(shapes?.zone, shapes?.fix);
  if (!f) return null;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'minimap');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  for (const ring of rings(shapes.zone)) {
    const path = document.createElementNS(SVG, 'polygon');
    path.setAttribute('points', ring.map((p) => toSvg(p, f, width, height).map((v) => v.toFixed(1)).join(',')).join(' '));
    path.setAttribute('class', 'zone');
    svg.append(path);
  }
  if (shapes.fix) {
    const [x, y] = toSvg(shapes.fix, f, width, height);
    const dot = document.createElementNS(SVG, 'circle');
    Object.entries({ cx: x.toFixed(1), cy: y.toFixed(1), r: 5, class: 'fix' }).forEach(([k, v]) => dot.setAttribute(k, v));
    svg.append(dot);
  }
  svg.dataset.minimap = shapes.zone_name || '';
  return svg;
}
