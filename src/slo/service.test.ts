// The engine counting real bus events: built-in SLIs, selectors by model/tag/device (with directory
// lookups), user-defined ratio filters, time-weighted fleet availability, durable flushes, restarts
// and history.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TsunaguEvents } from '../core/events.js';
import { MINUTE } from './budget.js';
import { def, device, harness } from './testing.js';

const START = Date.UTC(2026, 0, 10);
const DEVICES = [
  device('s1', 'scooter', ['berlin']),
  device('s2', 'scooter', ['paris']),
  device('b1', 'boiler', ['berlin']),
];

const finished = (
  deviceId: string,
  name: string,
  status: TsunaguEvents['command.finished']['status'],
  at: number,
  replyLatencyMs?: number,
): TsunaguEvents['command.finished'] => ({
  commandId: `${deviceId}-${at}`,
  deviceId,
  name,
  status,
  requestedAt: at - 3000,
  finishedAt: at,
  ...(replyLatencyMs !== undefined ? { replyLatencyMs } : {}),
});

describe('SLO engine counting bus events', () => {
  test('built-in SLIs with model/tag/device selectors and per-command filters', async (t) => {
    const h = await harness({
      start: START,
      devices: DEVICES,
      defs: [
        def({ name: 'hb-all', sli: { type: 'heartbeat' }, target: 0.99 }),
        def({ name: 'hb-berlin', sli: { type: 'heartbeat', selector: { tag: 'berlin' } }, target: 0.99 }),
        def({ name: 'hb-s2', sli: { type: 'heartbeat', selector: { device: 's2' } }, target: 0.99 }),
        def({
          name: 'unlock',
          sli: { type: 'command-success', command: 'unlock', selector: { model: 'scooter' } },
          target: 0.99,
        }),
        def({
          name: 'unlock-fast',
          sli: { type: 'command-latency', command: 'unlock', thresholdMs: 1000 },
          target: 0.99,
        }),
        def({ name: 'hw', sli: { type: 'hardware-health' }, target: 0.99 }),
        def({ name: 'decode', sli: { type: 'decode-health', selector: { model: 'boiler' } }, target: 0.99 }),
      ],
    });
    t.after(() => h.close());
    const at = START + 10_000;
    for (const [id, received] of [
      ['s1', true],
      ['s2', false],
      ['b1', true],
      ['s1', false],
      ['ghost', true],
    ] as const)
      h.bus.emit('heartbeat.checked', { deviceId: id, at, received });
    h.bus.emit('command.finished', finished('s1', 'unlock', 'succeeded', at, 400));
    h.bus.emit('command.finished', finished('s2', 'unlock', 'succeeded', at, 1500));
    h.bus.emit('command.finished', finished('s2', 'unlock', 'timed_out', at));
    h.bus.emit('command.finished', finished('b1', 'unlock', 'succeeded', at)); // no reply latency: 3 s
    h.bus.emit('command.finished', finished('s1', 'lock', 'failed', at));
    const msg = (deviceId: string, decoded: boolean, hardwareError?: boolean) =>
      h.bus.emit('device.message', {
        deviceId,
        at,
        topic: `d/${deviceId}`,
        kind: 'telemetry',
        decoded,
        ...(hardwareError !== undefined ? { hardwareError } : {}),
      });
    msg('s1', true, false);
    msg('b1', false);
    msg('b1', true, true);
    h.clock.advance(MINUTE);
    const counts = (name: string) => {
      const s = h.engine.status(name);
      return [s.good, s.total];
    };
    assert.deepEqual(counts('hb-all'), [3, 5]);
    assert.deepEqual(counts('hb-berlin'), [2, 3]); // s1 ×2, b1; 'ghost' is unknown to the directory
    assert.deepEqual(counts('hb-s2'), [0, 1]);
    assert.deepEqual(counts('unlock'), [2, 3]); // model from the directory; b1 is a boiler
    assert.deepEqual(counts('unlock-fast'), [1, 4]);
    assert.deepEqual(counts('hw'), [2, 3]);
    assert.deepEqual(counts('decode'), [1, 2]);
  });

  test('user-defined ratio SLI with equality and comparison filters', async (t) => {
    const h = await harness({
      start: START,
      defs: [
        def({
          name: 'quick-unlocks',
          sli: {
            type: 'ratio',
            total: { event: 'command.finished', where: [{ field: 'name', op: 'eq', value: 'unlock' }] },
            good: {
              event: 'command.finished',
              where: [
                { field: 'status', op: 'eq', value: 'succeeded' },
                { field: 'replyLatencyMs', op: 'lt', value: 800 },
              ],
            },
          },
          target: 0.9,
        }),
        def({
          name: 'no-critical',
          sli: {
            type: 'ratio',
            total: { event: 'device.event', where: [] },
            good: { event: 'device.event', where: [{ field: 'severity', op: 'ne', value: 'critical' }] },
          },
          target: 0.9,
        }),
      ],
    });
    t.after(() => h.close());
    const at = START + 1000;
    h.bus.emit('command.finished', finished('s1', 'unlock', 'succeeded', at, 500));
    h.bus.emit('command.finished', finished('s1', 'unlock', 'succeeded', at, 900));
    h.bus.emit('command.finished', finished('s1', 'unlock', 'failed', at, 10));
    h.bus.emit('command.finished', finished('s1', 'lock', 'succeeded', at, 10));
    for (const severity of ['info', 'critical', 'warning'] as const)
      h.bus.emit('device.event', { deviceId: 's1', at, code: 'x', severity, message: 'm' });
    h.clock.advance(MINUTE);
    assert.deepEqual([h.engine.status('quick-unlocks').good, h.engine.status('quick-unlocks').total], [1, 3]);
    assert.deepEqual([h.engine.status('no-critical').good, h.engine.status('no-critical').total], [2, 3]);
  });

  test('fleet availability accrues time-weighted device-minutes from service-state changes', async (t) => {
    const h = await harness({
      start: START,
      devices: DEVICES,
      defs: [
        def({ name: 'fleet', sli: { type: 'availability' }, target: 0.9 }),
        def({ name: 'scooters', sli: { type: 'availability', selector: { model: 'scooter' } }, target: 0.9 }),
        // The fleet's vehicles, leaving other models (monitors, boilers) out.
        def({
          name: 'vehicles',
          sli: { type: 'availability', selector: { models: ['scooter', 'ebike'] } },
          target: 0.9,
        }),
      ],
    });
    t.after(() => h.close());
    const change = (deviceId: string, from: string, to: string, at: number) =>
      h.bus.emit('service-state.changed', {
        deviceId,
        from: from as 'in_service',
        to: to as 'in_service',
        reasons: ['test'],
        at,
        actor: { kind: 'system', id: 'health' },
      });
    h.clock.advance(30_000);
    change('s1', 'in_service', 'out_of_service', h.clock.now()); // s1 out for the 2nd half of minute 0
    h.clock.advance(30_000);
    change('b1', 'in_service', 'maintenance', h.clock.now()); // b1 excluded from minute 1 on
    h.clock.advance(MINUTE);
    // minute 0: 3 eligible × 1 min, 2.5 in service; minute 1: 2 eligible (s1, s2), 1 in service
    const fleet = h.engine.status('fleet');
    assert.deepEqual([fleet.good, fleet.total], [3.5, 5]);
    const scooters = h.engine.status('scooters');
    assert.deepEqual([scooters.good, scooters.total], [2.5, 4]);
    const vehicles = h.engine.status('vehicles');
    assert.deepEqual([vehicles.good, vehicles.total], [2.5, 4], 'b1 (a boiler) is not a vehicle');
    assert.deepEqual(h.engine.availabilityCounts('fleet'), { inService: 1, eligible: 2 });
    // A newly registered device counts as in service until health says otherwise.
    DEVICES.push(device('s3', 'scooter'));
    t.after(() => DEVICES.pop());
    h.bus.emit('device.changed', { deviceId: 's3', change: 'created', model: 'scooter', at: h.clock.now() });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(h.engine.availabilityCounts('scooters'), { inService: 2, eligible: 3 });
    h.bus.emit('device.changed', { deviceId: 's2', change: 'deleted', at: h.clock.now() });
    assert.deepEqual(h.engine.availabilityCounts('scooters'), { inService: 1, eligible: 2 });
    // States survive a restart (persisted per device).
    await h.engine.idle();
    const h2 = await h.restart();
    t.after(() => h2.close());
    // The directory still lists s2 (and s3): in service; s1 stays out and b1 in maintenance.
    assert.deepEqual(h2.engine.availabilityCounts('fleet'), { inService: 2, eligible: 3 });
  });

  test('counters are flushed durably in batches and reloaded on restart; history reads them', async (t) => {
    const h = await harness({
      start: START,
      defs: [def({ name: 'hb', sli: { type: 'heartbeat' }, target: 0.5 })],
    });
    t.after(() => h.close());
    for (let m = 0; m < 10; m++) {
      for (let i = 0; i < 4; i++)
        h.bus.emit('heartbeat.checked', { deviceId: 'd', at: h.clock.now() + i, received: i !== 0 });
      h.clock.advance(MINUTE);
      await new Promise((r) => setImmediate(r)); // let the flush started by the timer finish
    }
    // 10 minutes passed: the 5-second flush has written everything but the newest few seconds.
    assert.equal((await h.store.readCounters('hb', 0, Number.MAX_SAFE_INTEGER)).length, 10);
    const rows = await h.store.readCounters('hb', 0, Number.MAX_SAFE_INTEGER);
    assert.deepEqual(rows[0], { sloId: 'hb', minute: START / MINUTE, good: 3, total: 4 });
    const h2 = await h.restart();
    t.after(() => h2.close());
    const s = h2.engine.status('hb');
    assert.deepEqual([s.good, s.total], [30, 40]);
    const hist = await h2.engine.history('hb', START + 5 * MINUTE, START + 10 * MINUTE, 5);
    assert.deepEqual(
      hist.map((p) => [p.good, p.total]),
      [
        [15, 20],
        [30, 40],
      ],
    );
    assert.equal(hist[1]!.budgetRemaining, 1 - 10 / (40 * 0.5));
  });

  test('changing an SLO keeps counters; changing its SLI starts a fresh series', async (t) => {
    const h = await harness({
      start: START,
      defs: [def({ name: 'x', sli: { type: 'heartbeat' }, target: 0.9 })],
    });
    t.after(() => h.close());
    h.bus.emit('heartbeat.checked', { deviceId: 'd', at: START, received: true });
    h.clock.advance(MINUTE);
    await h.engine.put(def({ name: 'x', sli: { type: 'heartbeat' }, target: 0.95 }));
    assert.equal(h.engine.status('x').total, 1);
    await h.engine.put(def({ name: 'x', sli: { type: 'decode-health' }, target: 0.95 }));
    assert.equal(h.engine.status('x').total, 0);
    assert.deepEqual(await h.store.readCounters('x', 0, Number.MAX_SAFE_INTEGER), []);
  });
});
