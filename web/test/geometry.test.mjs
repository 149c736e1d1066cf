// node --test: the live stream's area arithmetic and the drawn-area WKT (pure functions of the pages).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { covers, padded } from '../src/live-stream.js';
import { toWkt } from '../src/details.js';

test('a stream covers the view and half of it again on each side, within the globe', () => {
  assert.deepEqual(padded([121, 30, 122, 31]), [120.5, 29.5, 122.5, 31.5]);
  assert.deepEqual(padded([-180, -90, 180, 90]), [-180, -90, 180, 90]);
  const box = padded([121.4, 30.7, 121.5, 30.8]);
  assert.ok(covers(box, [121.42, 30.72, 121.48, 30.78])); // a small pan needs no new stream
  assert.ok(!covers(box, [121.6, 30.7, 121.7, 30.8]));
  assert.ok(!covers(null, [121.4, 30.7, 121.5, 30.8]));
});

test('drawn polygons become WKT for the CQL2 filter; anything else is refused', () => {
  const square = [[[121.4, 30.7], [121.5, 30.7], [121.5, 30.8], [121.4, 30.7]]];
  assert.equal(toWkt({ type: 'Polygon', coordinates: square }),
    'POLYGON((121.4 30.7,121.5 30.7,121.5 30.8,121.4 30.7))');
  assert.equal(toWkt({ type: 'MultiPolygon', coordinates: [square, square] }),
    'MULTIPOLYGON(((121.4 30.7,121.5 30.7,121.5 30.8,121.4 30.7)),((121.4 30.7,121.5 30.7,121.5 30.8,121.4 30.7)))');
  assert.throws(() => toWkt({ type: 'Point', coordinates: [121.4, 30.7] }), /no WKT for Point/);
});
