import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameOf, toSvg } from '../src/minimap.js';

test('the zone and the fix fit the small map, north up', () => {
  const zone = { type: 'Polygon', coordinates: [[[121.0, 30.0], [121.001, 30.0], [121.001, 30.001], [121.0, 30.001], [121.0, 30.0]]] };
  const f = frameOf(zone, [121.0005, 30.0005]);
  const [x, y] = toSvg([121.0005, 30.0005], f, 200, 100);
  assert.ok(Math.abs(x - 100) < 1e-6 && Math.abs(y - 50) < 1e-6); // the centre in the middle
  const [, north] = toSvg([121.0005, 30.001], f, 200, 100);
  assert.ok(north < 50); // north is up
  for (const p of zone.coordinates[0]) {
    const [px, py] = toSvg(p, f, 200, 100);
    assert.ok(px >= 0 && px <= 200 && py >= 0 && py <= 100, `${p} outside`);
  }
  assert.equal(frameOf(null, null), null);
});
