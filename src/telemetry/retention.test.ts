/** Retention per table, in chunks, on the module's background timer (ManualClock). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { singleNodeOwnership } from '../core/ownership.js';
import { RETENTION_SHARD_KEY } from './retention.js';
import { startHarness } from './test-harness.js';
import type { DeviceEvent, Point } from './types.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

test('each table keeps its own retention; the sweep runs on the clock, in chunks, and only deletes what is old', async (t) => {
  const h = await startHarness({
    options: {
      retention: { raw: 2 * DAY, minute: 10 * DAY, hour: 30 * DAY, events: 5 * DAY },
      retentionChunk: 7,
      retentionIntervalMs: HOUR,
    },
  });
  t.after(() => h.close());
  const start = h.clock.now();
  // One reading per device-hour for 40 days, three devices, and an event each day.
  const points: Point[] = [];
  const events: DeviceEvent[] = [];
  for (let hr = 0; hr < 40 * 24; hr++)
    for (const d of ['a', 'b', 'c'])
      points.push({ deviceId: d, metric: 'm', ts: start + hr * HOUR, value: hr });
  for (let day = 0; day < 40; day++)
    events.push({
      deviceId: 'a',
      ts: start + day * DAY,
      code: 'DAILY',
      severity: 'info' as const,
      message: 'd',
    });
  await h.telemetry.store.write({ points, events, attributes: [] });

  h.clock.advance(40 * DAY); // the first sweep fires at start + 1 h, when nothing is old yet
  await h.telemetry.retention.idle();
  h.clock.advance(HOUR); // the next sweep (re-armed after the first ended) deletes everything old, chunk by chunk
  await h.telemetry.retention.idle();
  assert.deepEqual(
    await h.telemetry.retention.sweep(),
    { raw: 0, minute: 0, hour: 0, events: 0 },
    'nothing old is left',
  );

  const now = h.clock.now();
  const raw = await h.telemetry.store.queryPoints({
    deviceId: 'a',
    metric: 'm',
    from: 0,
    to: now,
    limit: 10_000,
  });
  assert.equal(raw[0]!.ts, now - 2 * DAY, 'raw keeps 2 days');
  const minute = await h.telemetry.store.queryBuckets({
    deviceId: 'b',
    metric: 'm',
    from: 0,
    to: now,
    bucketMs: HOUR,
    agg: 'count',
    source: 'minute',
  });
  assert.equal(minute[0]!.ts, now - 10 * DAY);
  const hour = await h.telemetry.store.queryBuckets({
    deviceId: 'c',
    metric: 'm',
    from: 0,
    to: now,
    bucketMs: HOUR,
    agg: 'count',
    source: 'hour',
  });
  assert.equal(hour[0]!.ts, now - 30 * DAY);
  const ev = await h.telemetry.store.queryEvents({ deviceId: 'a', from: 0, to: now, limit: 100 });
  assert.deepEqual(
    ev.map((e) => e.ts).sort(),
    events.filter((e) => e.ts >= now - 5 * DAY).map((e) => e.ts),
  );
  const deleted = await h.metrics.getSingleMetric('tsunagu_telemetry_retention_deleted_total')!.get();
  const byTable = Object.fromEntries(deleted.values.map((v) => [v.labels.table, v.value]));
  const older = (keep: number) => points.filter((p) => p.ts < now - keep).length;
  assert.deepEqual(byTable, {
    raw: older(2 * DAY),
    minute: older(10 * DAY), // one point per hour: one minute-rollup row per point
    hour: older(30 * DAY),
    events: events.filter((e) => e.ts < now - 5 * DAY).length,
  });
});

test('several nodes: only the owner of telemetry.retention sweeps, and a node that loses it stops', async (t) => {
  let owned = false;
  const ownership = {
    ...singleNodeOwnership('n1'),
    owns: (key: string) => key === RETENTION_SHARD_KEY && owned,
  };
  const h = await startHarness({
    ownership,
    options: { retention: { raw: DAY }, retentionChunk: 1000, retentionIntervalMs: HOUR },
  });
  t.after(() => h.close());
  const start = h.clock.now();
  const write = (ts: number) =>
    h.telemetry.store.write({
      points: [{ deviceId: 'a', metric: 'm', ts, value: 1 }],
      events: [],
      attributes: [],
    });
  await write(start);
  const rawCount = async () =>
    (
      await h.telemetry.store.queryPoints({
        deviceId: 'a',
        metric: 'm',
        from: 0,
        to: h.clock.now(),
        limit: 100,
      })
    ).length;

  h.clock.advance(3 * DAY); // many ticks, none owned
  await h.telemetry.retention.idle();
  assert.equal(await rawCount(), 1, 'a node without the lease deletes nothing');

  owned = true;
  h.clock.advance(HOUR);
  await h.telemetry.retention.idle();
  assert.equal(await rawCount(), 0, 'the owner sweeps at its next tick');

  owned = false;
  await write(h.clock.now() - 2 * DAY);
  h.clock.advance(HOUR);
  await h.telemetry.retention.idle();
  assert.equal(await rawCount(), 1, 'after losing the lease it stops');
});
