import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromColumns } from './map-data';

test('map positions: columns to points, out-of-range and incomplete entries skipped', () => {
  const pts = fromColumns({
    ids: ['a', 'b', 'c', 'e', 'f', 'g'],
    lat: [52.5, 48.1, 40, 95, 10],
    lon: [13.4, 11.6, -3.7, 0, 200, 1],
    state: ['ok', 'out', 'offline', 'ok', 'ok', 'ok'],
  });
  assert.deepEqual(pts, [
    { id: 'a', lat: 52.5, lon: 13.4, state: 'ok' },
    { id: 'b', lat: 48.1, lon: 11.6, state: 'out' },
    { id: 'c', lat: 40, lon: -3.7, state: 'offline' },
  ]);
  assert.deepEqual(fromColumns({}), []);
});
