import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterState, countStates, fromColumns } from './map-data';

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

test('map states: maintenance and retired pass through; a cluster takes the worst, retired only when all are', () => {
  const pts = fromColumns({ ids: ['m', 'r'], lat: [1, 2], lon: [1, 2], state: ['maintenance', 'retired'] });
  assert.deepEqual(
    pts.map((p) => p.state),
    ['maintenance', 'retired'],
  );
  assert.deepEqual(countStates(pts), { ok: 0, offline: 0, out: 0, maintenance: 1, retired: 1 });
  assert.deepEqual(
    [
      clusterState({ out: 1, offline: 3, maintenance: 2 }, 6),
      clusterState({ offline: 1, maintenance: 2 }, 3),
      clusterState({ maintenance: 1, retired: 4 }, 5),
      clusterState({ retired: 4 }, 6),
      clusterState({ retired: 4 }, 4),
      clusterState({}, 3),
    ],
    ['out', 'offline', 'maintenance', 'ok', 'retired', 'ok'],
  );
});
