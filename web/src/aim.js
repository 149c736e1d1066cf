// Aiming a camera by hand (VID-1): a line drawn on the 2D map from where the camera stands to what it should see gives
// its heading and range; the service derives the geodesic sector (video/fov.py) from them.

const EARTH_M = 6371008.8; // mean radius: a spherical heading and distance are close enough to aim by hand

/** Heading (degrees clockwise from north, [0, 360)) and distance (metres) from `a` to `b`, both [lon, lat]. */
export function aim([lon1, lat1], [lon2, lat2]) {
  const rad = Math.PI / 180;
  const [p1, p2, dl] = [lat1 * rad, lat2 * rad, (lon2 - lon1) * rad];
  const y = Math.sin(dl) * Math.cos(p2);
  const x = Math.cos(p1) * Math.sin(p2) - Math.sin(p1) * Math.cos(p2) * Math.cos(dl);
  const heading = ((Math.atan2(y, x) / rad) + 360) % 360;
  const h = Math.sin((p2 - p1) / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) ** 2;
  return { heading, metres: 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(h))) };
}
