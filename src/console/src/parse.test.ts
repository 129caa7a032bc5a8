import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fillPath, withQuery } from './api';
import { fitRange, isBooleanSeries, mergeChartData, parseJsonObject, toChartData } from './parse';
import { matchPath } from './router';
import { yBounds } from './components/Chart';

test('parseJsonObject accepts objects and explains everything else', () => {
  assert.deepEqual(parseJsonObject('{"led": "red", "n": null}'), { led: 'red', n: null });
  assert.match(parseJsonObject('{led: red}') as string, /valid JSON/);
  assert.equal(parseJsonObject('[1]'), 'Desired state must be a JSON object');
  assert.equal(parseJsonObject('null'), 'Desired state must be a JSON object');
  assert.equal(parseJsonObject('3'), 'Desired state must be a JSON object');
});

test('toChartData sorts by time, converts to seconds and keeps gaps', () => {
  assert.deepEqual(
    toChartData({
      points: [{ ts: 3000, value: 3 }, { ts: 1000, value: 1 }, { ts: 2000 }],
    }),
    { x: [1, 2, 3], y: [1, null, 3] },
  );
  assert.deepEqual(toChartData(undefined), { x: [], y: [] });
});

test('fillPath encodes parameters and refuses missing ones', () => {
  assert.equal(fillPath('/devices/:id/shadow', { id: 'a b/c' }), '/devices/a%20b%2Fc/shadow');
  assert.equal(
    fillPath('/devices/:id/credentials/:credentialId/rotate', { id: 'd', credentialId: 'c1' }),
    '/devices/d/credentials/c1/rotate',
  );
  assert.throws(() => fillPath('/slos/:name', {}), /missing path parameter name/);
});

test('withQuery drops empty values', () => {
  assert.equal(
    withQuery('/devices', { q: '', limit: 100, online: false, tag: undefined }),
    '/devices?limit=100&online=false',
  );
  assert.equal(withQuery('/devices'), '/devices');
});

test('matchPath extracts decoded params and rejects other shapes', () => {
  assert.deepEqual(matchPath('/devices/:id', '/devices/lock%201'), { id: 'lock 1' });
  assert.equal(matchPath('/devices/:id', '/devices'), null);
  assert.equal(matchPath('/slos/:id', '/devices/x'), null);
});

test('yBounds widens to fixed bounds, pads, and opens up flat series', () => {
  assert.deepEqual(yBounds(0.5, 0.9, [0, 1]), [-0.05, 1.05]);
  assert.deepEqual(yBounds(-0.5, 1, [0, 1]), [-0.575, 1.075]);
  assert.deepEqual(yBounds(81, 81), [76.95, 85.05]);
  assert.deepEqual(yBounds(0, 0), [-1, 1]);
  assert.deepEqual(yBounds(1, 1, [null, 1]), [0.95, 1.05]);
});

test('mergeChartData puts several series on one time axis with gaps where a series has no point', () => {
  assert.deepEqual(
    mergeChartData([
      { x: [1, 3], y: [10, 30] },
      { x: [2, 3], y: [0, 1] },
    ]),
    {
      x: [1, 2, 3],
      ys: [
        [10, null, 30],
        [null, 0, 1],
      ],
    },
  );
  assert.deepEqual(mergeChartData([]), { x: [], ys: [] });
});

test('isBooleanSeries: only 0/1 values (gaps allowed) are drawn as steps', () => {
  assert.equal(isBooleanSeries([0, 1, null, 1]), true);
  assert.equal(isBooleanSeries([0, 0.5, 1]), false);
  assert.equal(isBooleanSeries([null, null]), false);
});

test('fitRange fits the time axis to the data, at least ten minutes wide', () => {
  assert.deepEqual(fitRange([100, 5000]), [100, 5000]);
  assert.deepEqual(fitRange([1000]), [700, 1300]);
  assert.equal(fitRange([]), undefined);
});
