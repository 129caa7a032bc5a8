import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeviceReport } from './cluster-kill-ipc.js';
import {
  deliveryFigures,
  notificationFigures,
  onceFigures,
  reconnectFigures,
} from './cluster-kill-report.js';

const dev = (id: string, over: Partial<DeviceReport> = {}): DeviceReport => ({
  id,
  acked: [],
  sent: 0,
  attempts: 0,
  gone: false,
  ...over,
});

test('reconnect figures: kill → CONNACK per device, first tries, gone and missing apart', () => {
  const f = reconnectFigures(
    [
      dev('a'),
      dev('b', { closedAt: 1010, backAt: 1500, attempts: 1 }),
      dev('c', { closedAt: 1010, backAt: 3000, attempts: 3 }),
      dev('d', { closedAt: 1010, gone: true }),
      dev('e', { closedAt: 1010 }),
    ],
    1000,
  );
  assert.deepEqual(
    { ...f },
    { closed: 4, closedLate: 0, back: 2, gone: 1, missing: 1, allBackMs: 2000, p50Ms: 2000, p99Ms: 2000, firstTry: 1 },
  );
});

test('delivery: an acknowledged message a subscriber never got is lost; repeats are duplicates', () => {
  const devices = [dev('a', { acked: [1, 2, 3] }), dev('b', { acked: [1] })];
  const f = deliveryFigures(devices, [
    { id: 's1', received: { a: [1, 2, 3, 3], b: [1, 2] }, dropped: 1 },
    { id: 's2', received: { a: [1, 3] }, dropped: 0 },
  ]);
  assert.equal(f.acked, 4);
  assert.equal(f.lost, 2, 's2 missed a#2 and b#1');
  assert.equal(f.duplicates, 1);
  assert.deepEqual(
    f.perSub.map((s) => [s.id, s.received, s.lost, s.duplicates, s.dropped]),
    [
      ['s1', 6, 0, 1, 1],
      ['s2', 2, 2, 0, 0],
    ],
  );
  assert.deepEqual(f.examples, ['s2 missed a #2', 's2 missed b #1']);
});

test('once: missing, repeated and unexpected ids are told apart', () => {
  const f = onceFigures(
    new Set(['a', 'b', 'c']),
    new Map([
      ['a', 1],
      ['b', 2],
      ['x', 1],
    ]),
  );
  assert.deepEqual({ ...f }, { expected: 3, once: 1, missing: 1, repeated: 1, unexpected: 1 });
});

test('notifications: a resend with the same id counts once; one event in two notifications is caught', () => {
  const out = (eventId: string, deviceId: string) => ({ eventId, deviceId, data: { to: 'out_of_service' } });
  const f = notificationFigures(
    [
      { notificationId: 'n1', items: [out('e1', 'a')] },
      { notificationId: 'n1', items: [out('e1', 'a')] },
      { notificationId: 'n2', items: [out('e2', 'b'), { eventId: 'e3', deviceId: 'b', data: { to: 'in_service' } }] },
      { notificationId: 'n3', items: [out('e2', 'b')] },
      { notificationId: 'n4', items: [out('e4', 'z')] },
    ],
    new Set(['a', 'b', 'c']),
  );
  assert.equal(f.posts, 5);
  assert.equal(f.resent, 1);
  assert.equal(f.eventIdsTwice, 1);
  assert.deepEqual({ ...f.outs }, { expected: 3, once: 2, missing: 1, repeated: 0, unexpected: 1 });
});
