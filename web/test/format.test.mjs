// node --test: the pure helpers of web/src/format.js (run by scripts/test.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvCell, csvText, safeHref, shanghaiTime } from '../src/format.js';

test('a cell that would start a formula is made inert, as the server does', () => {
  for (const v of ['=HYPERLINK("http://x","y")', '+1+1', '-2+3', '@SUM(A1)', '\tx', '\rx', '＝1']) {
    assert.ok(csvCell(v).replace(/^"/, '').startsWith("'"), v);
  }
  assert.equal(csvCell('储罐区'), '储罐区');
  assert.equal(csvCell(-5), '-5'); // a number stays a number
  assert.equal(csvCell('a,"b"'), '"a,""b"""');
  assert.equal(csvText([['a', 1]]), '\ufeffa,1\r\n');
});

test('only http(s) links are links', () => {
  assert.equal(safeHref('https://video.example/1.m3u8'), 'https://video.example/1.m3u8');
  for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,x', 'file:///etc/passwd', 'x', '']) {
    assert.equal(safeHref(bad), null, bad);
  }
});

test('times are Shanghai times', () => {
  assert.equal(shanghaiTime('2026-12-07T00:00:00Z'), '2026-12-07 08:00:00');
});
