// node --test: the pure parts of web/src/inspections.js: the day in Shanghai, and a plan as map features (stops in
// order with their status colour, the route through the placed ones).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planFeatures, shanghaiDay } from '../src/inspections.js';

test("the plans' day is Shanghai's, not the browser's", () => {
  assert.equal(shanghaiDay(new Date('2026-12-07T16:30:00Z')), '2026-12-08'); // 00:30 in Shanghai
  assert.equal(shanghaiDay(new Date('2026-12-07T15:59:00Z')), '2026-12-07');
});

test('a plan becomes numbered stops coloured by status and a route through those that are placed', () => {
  const stop = (id, order, status, location) => ({ id, order, status, location, enterprise: { name: `E${id}` } });
  const plan = { stops: [
    stop(1, 1, 'visited', { type: 'Point', coordinates: [121.3, 30.7] }),
    stop(2, 2, 'on_site', null),
    stop(3, 3, 'to_visit', { type: 'Point', coordinates: [121.4, 30.8] }),
  ] };
  const fc = planFeatures(plan, (s) => ({ visited: 'green', to_visit: 'grey' })[s]);
  const [route, ...points] = fc.features;
  assert.deepEqual(route.geometry.coordinates, [[121.3, 30.7], [121.4, 30.8]]);
  assert.deepEqual(points.map((f) => [f.properties.order, f.properties.colour]), [[1, 'green'], [3, 'grey']]);
  assert.equal(planFeatures({ stops: [plan.stops[0]] }, () => 'x').features.length, 1); // one stop: no route
});
