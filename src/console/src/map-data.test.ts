import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergePositions } from './map-data';

test('map positions: lat and lon joined per device, state out > offline > in service', () => {
  const pts = mergePositions(
    [
      { deviceId: 'a', value: 52.5 },
      { deviceId: 'b', value: 48.1 },
      { deviceId: 'c', value: 40 },
      { deviceId: 'd', value: 10 },
      { deviceId: 'e', value: 95 }, // not a latitude
      { deviceId: 'a', value: 1 }, // a second source (`latitude`) for the same device: first wins
    ],
    [
      { deviceId: 'a', value: 13.4 },
      { deviceId: 'b', value: 11.6 },
      { deviceId: 'c', value: -3.7 },
      { deviceId: 'e', value: 0 },
      // d has no longitude
    ],
    new Set(['b']),
    new Set(['a', 'b']),
  );
  assert.deepEqual(pts, [
    { id: 'a', lat: 52.5, lon: 13.4, state: 'ok' },
    { id: 'b', lat: 48.1, lon: 11.6, state: 'out' },
    { id: 'c', lat: 40, lon: -3.7, state: 'offline' },
  ]);
});
