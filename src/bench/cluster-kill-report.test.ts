import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeviceReport } from './cluster-kill-ipc.js';
import {
  deliveryFigures,
  notificationFigures,
  notifiedOuts,
  onceFigures,
  reconnectFigures,
  serviceOutFigures,
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
    {
      closed: 4,
      closedLate: 0,
      back: 2,
      gone: 1,
      missing: 1,
      allBackMs: 2000,
      p50Ms: 2000,
      p99Ms: 2000,
      firstTry: 1,
    },
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
      {
        notificationId: 'n2',
        items: [out('e2', 'b'), { eventId: 'e3', deviceId: 'b', data: { to: 'in_service' } }],
      },
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

test('service-outs: every out of a device heard within a deadline before it is false, also when it came back', () => {
  // Kill at 10,000; deadline 100 + 50. Heartbeats: seq → first published at.
  const beats = (...at: number[]): Partial<DeviceReport> => ({
    acked: at.map((_, i) => i + 1),
    sentAt: [0, ...at],
  });
  const devices = [
    dev('gone-1', { gone: true, closedAt: 10_010, ...beats(9_950) }),
    dev('gone-2', { gone: true, closedAt: 10_010, ...beats(9_960) }),
    dev('gone-3', { gone: true, closedAt: 10_010, ...beats(9_970) }),
    // Kept heartbeating (every 100) on a survivor, its deadline on the killed node: out at 10,090
    // although heard at 10,050 — and back in later, so not in any final out-of-service list.
    dev('live-1', beats(9_950, 10_050, 10_150)),
    // On the killed node, reconnected: out twice while heartbeating.
    dev('live-2', { closedAt: 10_010, backAt: 10_020, ...beats(9_990, 10_020, 10_120) }),
    // Not meant to stay away, but silent longer than a deadline: a true out, counted apart.
    dev('late-1', { closedAt: 10_010, ...beats(9_900) }),
    // A heartbeat published but never acknowledged does not count as heard.
    dev('live-3', { acked: [1], sentAt: [0, 9_930, 10_060] }),
    dev('quiet', beats(9_990, 10_090)),
  ];
  const outs = new Map([
    ['gone-1', [10_100]],
    ['gone-2', [10_110, 10_300]],
    ['live-1', [10_090]],
    ['live-2', [10_100, 10_160]],
    ['late-1', [10_050]],
    ['live-3', [10_080]],
  ]);
  const f = serviceOutFigures(outs, devices, {
    killedAt: 10_000,
    periodMs: 100,
    graceMs: 50,
    onVictimShards: (id) => id === 'live-1' || id === 'live-2',
  });
  assert.deepEqual({ ...f.stayedAway }, { expected: 3, once: 1, missing: 1, repeated: 1, unexpected: 4 });
  assert.equal(f.falseOuts, 3, 'live-1 once, live-2 twice');
  assert.equal(f.falseDevices, 2);
  assert.equal(f.falseConnectedToVictim, 1);
  assert.equal(f.falseOnVictimShards, 2);
  assert.equal(f.falseBoth, 1);
  assert.equal(
    f.silentOuts,
    2,
    'late-1 (heard 150 before) and live-3 (its acknowledged heartbeat 150 before)',
  );
  assert.equal(f.falseFirstMs, 90);
  assert.equal(f.falseLastMs, 160);
  assert.deepEqual(f.examples, [
    'live-1 out at +0.1 s, heard 0.0 s before',
    'live-2 out at +0.1 s, heard 0.1 s before',
    'live-2 out at +0.2 s, heard 0.0 s before',
  ]);
});

test('notified outs: per device, once per notification and event id', () => {
  const item = (eventId: string, deviceId: string, at: number, to = 'out_of_service') => ({
    eventId,
    deviceId,
    at,
    data: { to },
  });
  const outs = notifiedOuts([
    { notificationId: 'n1', items: [item('e1', 'a', 5)] },
    { notificationId: 'n1', items: [item('e1', 'a', 5)] },
    {
      notificationId: 'n2',
      items: [item('e1', 'a', 5), item('e2', 'a', 9), item('e3', 'b', 7, 'in_service')],
    },
  ]);
  assert.deepEqual([...outs], [['a', [5, 9]]]);
});
