/**
 * The one contract every TelemetryStore adapter passes: SQLite (in memory) and PostgreSQL (a fresh
 * schema on the real server), run by telemetry-store.contract.test.ts. Rollups are checked against
 * a brute-force computation over the raw points with random batches (fast-check).
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AGGS, type Agg, type Resolution, type TelemetryStore, type WriteBatch } from './telemetry-store.js';
import { HOUR, MINUTE } from './rollup.js';
import type { Point } from './types.js';

export type OpenTelemetryStore = (
  t: TestContext,
) => Promise<{ store: TelemetryStore; close: () => Promise<void> } | undefined>;

const T0 = Date.UTC(2026, 0, 1);
const batch = (b: Partial<WriteBatch>): WriteBatch => ({
  points: [],
  events: [],
  attributes: [],
  ...b,
});

function bruteForce(
  points: Point[],
  deviceId: string,
  metric: string,
  from: number,
  to: number,
  size: number,
  agg: Agg,
) {
  const groups = new Map<number, Point[]>();
  for (const p of points) {
    if (p.deviceId !== deviceId || p.metric !== metric || p.ts < from || p.ts >= to) continue;
    const b = Math.floor(p.ts / size) * size;
    groups.set(b, [...(groups.get(b) ?? []), p]);
  }
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([ts, ps]) => {
      const vs = ps.map((p) => p.value);
      const sum = vs.reduce((a, b) => a + b, 0);
      const last = ps.reduce((a, b) => (b.ts >= a.ts ? b : a));
      const value = {
        avg: sum / vs.length,
        min: Math.min(...vs),
        max: Math.max(...vs),
        sum,
        count: vs.length,
        last: last.value,
      }[agg];
      return { ts, value };
    });
}

function assertClose(
  actual: { ts: number; value: number }[],
  expected: { ts: number; value: number }[],
  what: string,
): void {
  assert.deepEqual(
    actual.map((r) => r.ts),
    expected.map((r) => r.ts),
    `${what}: buckets`,
  );
  actual.forEach((r, i) => {
    const e = expected[i]!.value;
    assert.ok(
      Math.abs(r.value - e) <= 1e-9 * Math.max(1, Math.abs(e)),
      `${what}: bucket ${r.ts} is ${r.value}, expected ${e}`,
    );
  });
}

export function telemetryStoreContract(name: string, open: OpenTelemetryStore, propertyRuns: number): void {
  describe(`telemetry store contract: ${name}`, () => {
    const withStore = (title: string, fn: (s: TelemetryStore) => Promise<void>): void => {
      test(title, async (t) => {
        const h = await open(t);
        if (!h) return;
        try {
          await fn(h.store);
        } finally {
          await h.close();
        }
      });
    };

    withStore(
      'points are unique per (device, metric, ts): a redelivered point is ignored, also by rollups',
      async (s) => {
        const p = { deviceId: 'd1', metric: 'temp', ts: T0 + 1000, value: 20 };
        await s.write(batch({ points: [p, { ...p, value: 99 }] }));
        await s.write(
          batch({
            points: [
              { ...p, value: 50 },
              { ...p, ts: T0 + 2000, value: 22 },
            ],
          }),
        );
        const pts = await s.queryPoints({
          deviceId: 'd1',
          metric: 'temp',
          from: T0,
          to: T0 + HOUR,
          limit: 100,
        });
        assert.deepEqual(
          pts.map((x) => [x.ts - T0, x.value]),
          [
            [1000, 20],
            [2000, 22],
          ],
        );
        const count = await s.queryBuckets({
          deviceId: 'd1',
          metric: 'temp',
          from: T0,
          to: T0 + HOUR,
          bucketMs: MINUTE,
          agg: 'count',
          source: 'minute',
        });
        assert.deepEqual(count, [{ ts: T0, value: 2 }]);
      },
    );

    withStore('queryPoints filters by device, metric and the half-open range [from, to)', async (s) => {
      await s.write(
        batch({
          points: [
            { deviceId: 'd1', metric: 'a', ts: T0, value: 1 },
            { deviceId: 'd1', metric: 'b', ts: T0 + 5, value: 2 },
            { deviceId: 'd2', metric: 'a', ts: T0 + 5, value: 3 },
            { deviceId: 'd1', metric: 'a', ts: T0 + 10, value: 4 },
          ],
        }),
      );
      const all = await s.queryPoints({ deviceId: 'd1', from: T0, to: T0 + 10, limit: 10 });
      assert.deepEqual(
        all.map((p) => `${p.metric}=${p.value}`),
        ['a=1', 'b=2'],
      );
      const lim = await s.queryPoints({ deviceId: 'd1', metric: 'a', from: T0, to: T0 + 11, limit: 1 });
      assert.deepEqual(
        lim.map((p) => p.value),
        [1],
      );
    });

    test('rollups (minute, hour) and raw buckets equal a brute-force aggregation of the raw points', async (t) => {
      const h = await open(t);
      if (!h) return;
      try {
        let all: Point[] = [];
        let run = 0;
        const pointArb = fc.record({
          deviceId: fc.constantFrom('d1', 'd2'),
          metric: fc.constantFrom('m', 'n'),
          ts: fc.integer({ min: 0, max: 3 * HOUR }),
          value: fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
        });
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.array(pointArb, { maxLength: 40 }), { minLength: 1, maxLength: 4 }),
            fc.constantFrom(...AGGS),
            async (batches, agg) => {
              // Each run writes under a fresh device prefix, so runs do not see each other's points.
              const prefix = `r${run++}-`;
              const written: Point[] = [];
              for (const b of batches) {
                const pts = b.map((p) => ({ ...p, deviceId: prefix + p.deviceId, ts: T0 + p.ts }));
                await h.store.write(batch({ points: pts }));
                for (const p of pts)
                  if (
                    !written.some((w) => w.deviceId === p.deviceId && w.metric === p.metric && w.ts === p.ts)
                  )
                    written.push(p);
              }
              all = all.concat(written);
              const cases: [Resolution, number][] = [
                ['raw', 10 * MINUTE],
                ['minute', MINUTE],
                ['minute', 15 * MINUTE],
                ['hour', HOUR],
                ['hour', 2 * HOUR],
              ];
              for (const [source, size] of cases) {
                const q = {
                  deviceId: prefix + 'd1',
                  metric: 'm',
                  from: T0,
                  to: T0 + 4 * HOUR,
                  bucketMs: size,
                  agg,
                  source,
                };
                assertClose(
                  await h.store.queryBuckets(q),
                  bruteForce(written, q.deviceId, 'm', q.from, q.to, size, agg),
                  `${source}/${size}/${agg}`,
                );
              }
            },
          ),
          { numRuns: propertyRuns },
        );
        assert.ok(all.length > 0);
      } finally {
        await h.close();
      }
    });

    withStore(
      'latest keeps the newest value and text per series; an older point does not overwrite',
      async (s) => {
        await s.write(
          batch({
            points: [
              { deviceId: 'd1', metric: 'lock_state', ts: T0 + 10, value: 1 },
              { deviceId: 'd1', metric: 'speed', ts: T0 + 10, value: 12 },
            ],
            attributes: [{ deviceId: 'd1', name: 'lock_state', ts: T0 + 10, text: 'unlocked' }],
          }),
        );
        await s.write(
          batch({
            points: [
              { deviceId: 'd1', metric: 'speed', ts: T0 + 5, value: 3 },
              { deviceId: 'd2', metric: 'speed', ts: T0, value: 7 },
            ],
          }),
        );
        const rows = await s.latest({ deviceIds: ['d1'], limit: 100 });
        assert.deepEqual(
          rows.map((r) => [r.metric, r.value, r.text, r.ts - T0]),
          [
            ['lock_state', 1, 'unlocked', 10],
            ['speed', 12, null, 10],
          ],
        );
        const speed = await s.latest({ metric: 'speed', limit: 100 });
        assert.deepEqual(
          speed.map((r) => [r.deviceId, r.value]),
          [
            ['d1', 12],
            ['d2', 7],
          ],
        );
      },
    );

    // 'last seen keeps the newest sign of life' moved to its owner: the registry store contract
    // ('last seen: each time only moves forward …').

    withStore(
      'events filter by time, code, severity and text (literal %), newest first, paged by cursor',
      async (s) => {
        const ev = (i: number, code: string, severity: 'info' | 'error', message: string) => ({
          deviceId: 'd1',
          ts: T0 + i,
          code,
          severity,
          message,
          fields: { i },
        });
        await s.write(
          batch({
            events: [
              ev(1, 'A', 'info', 'battery 100% ok'),
              ev(2, 'B', 'error', 'motor fault'),
              ev(2, 'A', 'error', 'battery low'),
              ev(3, 'C', 'info', 'door open'),
              { ...ev(4, 'A', 'info', 'x'), deviceId: 'd2' },
            ],
          }),
        );
        const all = await s.queryEvents({ deviceId: 'd1', from: T0, to: T0 + 10, limit: 10 });
        assert.deepEqual(
          all.map((e) => e.code),
          ['C', 'A', 'B', 'A'],
        );
        assert.deepEqual(all[3]!.fields, { i: 1 });
        assert.deepEqual(
          (await s.queryEvents({ deviceId: 'd1', from: T0, to: T0 + 10, code: 'A', limit: 10 })).map(
            (e) => e.message,
          ),
          ['battery low', 'battery 100% ok'],
        );
        assert.deepEqual(
          (await s.queryEvents({ deviceId: 'd1', from: T0, to: T0 + 10, severity: 'error', limit: 10 })).map(
            (e) => e.code,
          ),
          ['A', 'B'],
        );
        assert.deepEqual(
          (await s.queryEvents({ deviceId: 'd1', from: T0, to: T0 + 10, q: 'BATTERY', limit: 10 })).length,
          2,
        );
        assert.deepEqual(
          (await s.queryEvents({ deviceId: 'd1', from: T0, to: T0 + 10, q: '100%', limit: 10 })).map(
            (e) => e.message,
          ),
          ['battery 100% ok'],
        );
        assert.deepEqual(
          (await s.queryEvents({ deviceId: 'd1', from: T0, to: T0 + 10, q: '0%o', limit: 10 })).length,
          0,
        );
        assert.deepEqual(
          (await s.queryEvents({ deviceId: 'd1', from: T0 + 2, to: T0 + 3, limit: 10 })).length,
          2,
        );
        const page1 = await s.queryEvents({ deviceId: 'd1', from: T0, to: T0 + 10, limit: 2 });
        const last = page1[1]!;
        const page2 = await s.queryEvents({
          deviceId: 'd1',
          from: T0,
          to: T0 + 10,
          limit: 2,
          before: { ts: last.ts, id: last.id },
        });
        assert.deepEqual(
          [...page1, ...page2].map((e) => e.id),
          all.map((e) => e.id),
        );
      },
    );

    withStore('retention deletes old rows of each table in chunks and keeps newer ones', async (s) => {
      const points = Array.from({ length: 30 }, (_, i) => ({
        deviceId: 'd1',
        metric: 'm',
        ts: T0 + i * 10 * MINUTE,
        value: i,
      }));
      await s.write(
        batch({
          points,
          events: points.map((p) => ({
            deviceId: 'd1',
            ts: p.ts,
            code: 'X',
            severity: 'info' as const,
            message: 'm',
          })),
        }),
      );
      const cut = T0 + 150 * MINUTE; // points 0..14 are older
      let deleted = 0;
      for (let n; (n = await s.deleteBefore('raw', cut, 4)) > 0;) {
        assert.ok(n <= 4);
        deleted += n;
      }
      assert.equal(deleted, 15);
      const left = await s.queryPoints({ deviceId: 'd1', from: 0, to: T0 + 10 * HOUR, limit: 100 });
      assert.equal(left[0]!.value, 15);
      assert.equal(left.length, 15);
      assert.equal(await s.deleteBefore('minute', cut, 1000), 15);
      assert.equal(await s.deleteBefore('hour', T0 + 2 * HOUR, 1000), 2);
      assert.equal(await s.deleteBefore('events', cut, 1000), 15);
      const hours = await s.queryBuckets({
        deviceId: 'd1',
        metric: 'm',
        from: 0,
        to: T0 + 10 * HOUR,
        bucketMs: HOUR,
        agg: 'count',
        source: 'hour',
      });
      assert.deepEqual(
        hours.map((h) => (h.ts - T0) / HOUR),
        [2, 3, 4],
      );
    });

    withStore('decoders: put creates then replaces, get, list, delete', async (s) => {
      const def = { id: 'dec1', name: 'one', type: 'json' as const, spec: { metrics: [{ path: 'a' }] } };
      assert.equal(await s.putDecoder(def, T0), true);
      assert.equal(await s.putDecoder({ ...def, name: 'uno' }, T0 + 1), false);
      assert.equal((await s.getDecoder('dec1'))?.name, 'uno');
      assert.deepEqual(
        (await s.listDecoders()).map((d) => d.id),
        ['dec1'],
      );
      assert.equal(await s.deleteDecoder('dec1'), true);
      assert.equal(await s.deleteDecoder('dec1'), false);
      assert.equal(await s.getDecoder('dec1'), undefined);
    });
  });
}
