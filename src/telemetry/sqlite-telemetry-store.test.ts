/**
 * SQLite-only behaviour of the in-memory rollups (the shared contract suite covers what both
 * adapters do): flushing at the thresholds and before reads, and crash recovery — a store dropped
 * without flushing (as a crash would) loses nothing once the database is reopened.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { openSqlite } from '../store/index.js';
import { openTelemetryStore } from './open-telemetry-store.js';
import { HOUR, MINUTE } from './rollup.js';
import { createSqliteTelemetryStore } from './sqlite-telemetry-store.js';
import type { Agg, WriteBatch } from './telemetry-store.js';
import type { Point } from './types.js';

const T0 = Date.UTC(2026, 0, 1);
const NEVER = { maxRows: Number.MAX_SAFE_INTEGER, maxPoints: Number.MAX_SAFE_INTEGER };
const batch = (points: Point[]): WriteBatch => ({ points, events: [], attributes: [] });

function expected(points: Point[], deviceId: string, metric: string, size: number, agg: Agg) {
  const groups = new Map<number, Point[]>();
  for (const p of points)
    if (p.deviceId === deviceId && p.metric === metric) {
      const b = Math.floor(p.ts / size) * size;
      groups.set(b, [...(groups.get(b) ?? []), p]);
    }
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([ts, ps]) => {
      const vs = ps.map((p) => p.value);
      const sum = vs.reduce((a, b) => a + b, 0);
      const last = ps.reduce((a, b) => (b.ts >= a.ts ? b : a)).value;
      const values: Record<Agg, number> = {
        avg: sum / vs.length,
        count: vs.length,
        min: Math.min(...vs),
        max: Math.max(...vs),
        sum,
        last,
      };
      return { ts, value: values[agg] };
    });
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

test('a crash before the rollup flush loses nothing: reopening rebuilds rollups and latest from raw points', async () => {
  const pointArb = fc.record({
    deviceId: fc.constantFrom('d1', 'd2'),
    metric: fc.constantFrom('m', 'n'),
    ts: fc.integer({ min: 0, max: 3 * HOUR }),
    value: fc.integer({ min: -1000, max: 1000 }),
  });
  const batches = fc.array(fc.array(pointArb, { maxLength: 30 }), { maxLength: 3 });
  await fc.assert(
    fc.asyncProperty(batches, batches, async (flushed, lost) => {
      const db = openSqlite(':memory:');
      try {
        await openTelemetryStore(db); // migrations
        const before = createSqliteTelemetryStore(db.db, NEVER);
        const written = new Map<string, Point>();
        const write = async (b: Point[][]): Promise<void> => {
          for (const ps of b) {
            const pts = ps.map((p) => ({ ...p, ts: T0 + p.ts }));
            await before.write(batch(pts));
            for (const p of pts) {
              const k = `${p.deviceId}/${p.metric}/${p.ts}`;
              if (!written.has(k)) written.set(k, p);
            }
          }
        };
        await write(flushed);
        await before.flushRollups();
        await write(lost);
        // "Crash": the first store's in-memory rollups are dropped; a new store opens the same database.
        const after = createSqliteTelemetryStore(db.db, NEVER);
        const dirty = db.db.prepare('SELECT count(*) AS n FROM telemetry_rollup_dirty').get() as {
          n: number;
        };
        assert.equal(dirty.n, 0, 'the dirty range is cleared by recovery');
        const all = [...written.values()];
        for (const [source, size] of [
          ['minute', MINUTE],
          ['minute', 30 * MINUTE],
          ['hour', HOUR],
        ] as const)
          for (const agg of ['avg', 'count', 'min', 'last'] as const) {
            const got = await after.queryBuckets({
              deviceId: 'd1',
              metric: 'm',
              from: T0,
              to: T0 + 4 * HOUR,
              bucketMs: size,
              agg,
              source,
            });
            const want = expected(all, 'd1', 'm', size, agg);
            assert.deepEqual(
              got.map((r) => r.ts),
              want.map((r) => r.ts),
              `${source}/${size}/${agg} buckets`,
            );
            got.forEach((r, i) =>
              assert.ok(close(r.value, want[i]!.value), `${source}/${size}/${agg} at ${r.ts}: ${r.value}`),
            );
          }
        const latest = await after.latest({ limit: 100 });
        const newest = new Map<string, Point>();
        for (const p of all) {
          const k = `${p.deviceId}/${p.metric}`;
          const cur = newest.get(k);
          if (!cur || p.ts > cur.ts) newest.set(k, p);
        }
        assert.deepEqual(
          latest.map((l) => `${l.deviceId}/${l.metric}@${l.ts}`).sort(),
          [...newest.values()].map((p) => `${p.deviceId}/${p.metric}@${p.ts}`).sort(),
        );
      } finally {
        await db.close();
      }
    }),
    { numRuns: 30 },
  );
});

test('rollups are written at the flush thresholds and before any read of them', async () => {
  const db = openSqlite(':memory:');
  try {
    await openTelemetryStore(db);
    const count = (table: string): number =>
      (db.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const store = createSqliteTelemetryStore(db.db, { maxRows: 3, maxPoints: 1000 });
    const p = (minute: number, value: number): Point => ({
      deviceId: 'd',
      metric: 'm',
      ts: T0 + minute * MINUTE,
      value,
    });
    await store.write(batch([p(0, 1), p(1, 2)]));
    assert.equal(count('telemetry_rollup_1m'), 0, 'below the threshold nothing is written yet');
    assert.equal(count('telemetry_rollup_dirty'), 1, 'but the dirty range records the new points');
    await store.write(batch([p(2, 3)]));
    assert.equal(count('telemetry_rollup_1m'), 3, 'the third pending minute row triggers the flush');
    assert.equal(count('telemetry_rollup_1h'), 1);
    assert.equal(count('telemetry_latest'), 1);
    assert.equal(count('telemetry_rollup_dirty'), 0);
    await store.write(batch([p(3, 4)]));
    assert.equal(count('telemetry_rollup_1m'), 3);
    const hour = await store.queryBuckets({
      deviceId: 'd',
      metric: 'm',
      from: T0,
      to: T0 + HOUR,
      bucketMs: HOUR,
      agg: 'sum',
      source: 'hour',
    });
    assert.deepEqual(hour, [{ ts: T0, value: 10 }], 'a read flushes first');
    assert.equal(count('telemetry_rollup_1m'), 4);
  } finally {
    await db.close();
  }
});
