// node --test: the pure parts of web/src/player.js (run by scripts/test.sh): which engine plays a URL, the windows
// of an alarm's clip and of a permit's video, the wall's layouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LAYOUTS, clipWindow, permitWindow, streamKind } from '../src/player.js';

test('a URL plays by its extension, whatever its query says', () => {
  assert.equal(streamKind('http://m:8080/rtp/31011600001320000001.live.m3u8?token=a.b.c'), 'hls');
  assert.equal(streamKind('http://m:8080/rtp/31011600001320000001.live.flv?token=x.m3u8'), 'flv');
  assert.equal(streamKind('http://m:8080/record/1/20261207T083000-20261207T083130.mp4'), 'file');
  assert.equal(streamKind('/live/X.M3U8'), 'hls');
});

test("an alarm's clip runs from 30 s before it to 60 s after", () => {
  const w = clipWindow('2026-12-07T08:30:00+08:00');
  assert.equal(w.from.toISOString(), '2026-12-07T00:29:30.000Z');
  assert.equal(w.to.toISOString(), '2026-12-07T00:31:00.000Z');
  assert.equal(clipWindow('2026-12-07T00:30:00Z', 10, 20).to - clipWindow('2026-12-07T00:30:00Z', 10, 20).from, 30_000);
});

test("a permit's video is its validity up to now, the latest part when too long, none before it began", () => {
  const now = new Date('2026-12-07T06:00:00Z');
  const short = permitWindow('2026-12-07T05:00:00Z', '2026-12-07T09:00:00Z', now);
  assert.deepEqual([short.from.toISOString(), short.to.toISOString()], ['2026-12-07T05:00:00.000Z', '2026-12-07T06:00:00.000Z']);
  const long = permitWindow('2026-12-06T20:00:00Z', '2026-12-07T04:00:00Z', now, 7200);
  assert.deepEqual([long.from.toISOString(), long.to.toISOString()], ['2026-12-07T02:00:00.000Z', '2026-12-07T04:00:00.000Z']);
  assert.equal(permitWindow('2026-12-07T07:00:00Z', '2026-12-07T09:00:00Z', now), null);
});

test('the layouts hold 1, 4, 9, 16 tiles and 1+N a large tile with N beside it, in a full grid', () => {
  for (const [name, n] of [['1', 1], ['4', 4], ['9', 9], ['16', 16]]) {
    assert.equal(LAYOUTS[name].tiles, n);
    assert.equal(LAYOUTS[name].cols ** 2, n);
  }
  for (const name of ['1+5', '1+7']) {
    const { tiles, cols, span } = LAYOUTS[name];
    assert.equal(Number(name.split('+')[1]) + 1, tiles);
    assert.equal(span * span + tiles - 1, cols * cols); // the large tile and the small ones fill the square grid
  }
});
