// node --test: the heading and range of a camera aimed by a line drawn on the map (web/src/aim.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aim } from '../src/aim.js';

test('north, east, south and west of a camera in Jinshan, about 100 m away', () => {
  const at = [121.44, 30.785];
  const cases = [[[121.44, 30.7859], 0], [[121.44104, 30.785], 90], [[121.44, 30.7841], 180], [[121.43896, 30.785], 270]];
  for (const [to, heading] of cases) {
    const got = aim(at, to);
    assert.ok(Math.abs(((got.heading - heading + 540) % 360) - 180) < 0.5, `${to}: ${got.heading}`);
    assert.ok(Math.abs(got.metres - 100) < 1.5, `${to}: ${got.metres}`);
  }
  assert.deepEqual(aim(at, at), { heading: 0, metres: 0 });
});
