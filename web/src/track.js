// A track as the service sends it (GET /api/tracks/{id}: a line and the time of each vertex), and where its subject
// was at any moment of it. Pure: node --test checks it.

/** Where the subject was at `when` (epoch seconds): along the line between the vertices around it; the ends
 * before the first and after the last fix. */
export function positionAt({ times, line }, when) {
  const c = line.coordinates;
  if (when <= times[0]) return c[0];
  if (when >= times[times.length - 1]) return c[c.length - 1];
  let lo = 0;
  let hi = times.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (times[mid] <= when) lo = mid; else hi = mid;
  }
  const k = times[hi] === times[lo] ? 0 : (when - times[lo]) / (times[hi] - times[lo]);
  return [c[lo][0] + (c[hi][0] - c[lo][0]) * k, c[lo][1] + (c[hi][1] - c[lo][1]) * k];
}
