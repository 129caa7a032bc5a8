/** Group commit, durability of `enqueue`, backpressure (high water, drain), retries, QoS 0 excess. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_QUEUE, IngestQueue } from './ingest-queue.js';
import type { WriteBatch } from './telemetry-store.js';
import { startHarness } from './test-harness.js';

const pts = (n: number, tag = 'd'): WriteBatch => ({
  points: Array.from({ length: n }, (_, i) => ({ deviceId: tag, metric: 'm', ts: i, value: i })),
  events: [],
  attributes: [],
});

/** A store write the test releases by hand. */
function gatedWrite() {
  const writes: { batch: WriteBatch; release: (err?: Error) => void }[] = [];
  const write = (batch: WriteBatch) =>
    new Promise<void>((resolve, reject) =>
      writes.push({ batch, release: (err) => (err ? reject(err) : resolve()) }),
    );
  return { writes, write };
}
const tick = () => new Promise((r) => setTimeout(r, 5));

test('entries enqueued while a write runs go out together in the next batch; enqueue resolves only after its write', async () => {
  const g = gatedWrite();
  const q = new IngestQueue(g.write, { ...DEFAULT_QUEUE, flushDelayMs: 1 });
  const done: string[] = [];
  const a = q.enqueue(pts(2, 'a')).then(() => done.push('a'));
  await tick();
  assert.equal(g.writes.length, 1);
  const b = q.enqueue(pts(1, 'b')).then(() => done.push('b'));
  const c = q.enqueue(pts(1, 'c')).then(() => done.push('c'));
  await tick();
  assert.equal(g.writes.length, 1, 'no second write while the first runs');
  assert.deepEqual(done, []);
  g.writes[0]!.release();
  await a;
  await tick();
  assert.deepEqual(done, ['a']);
  assert.equal(g.writes.length, 2);
  assert.deepEqual([...new Set(g.writes[1]!.batch.points.map((p) => p.deviceId))], ['b', 'c']);
  g.writes[1]!.release();
  await Promise.all([b, c]);
  assert.deepEqual(done, ['a', 'b', 'c']);
});

test('a batch is flushed at once when it reaches maxBatchPoints and never exceeds it (except one big entry)', async () => {
  const sizes: number[] = [];
  const q = new IngestQueue(async (b) => void sizes.push(b.points.length), {
    ...DEFAULT_QUEUE,
    maxBatchPoints: 10,
    flushDelayMs: 60_000,
  });
  await Promise.all([q.enqueue(pts(4)), q.enqueue(pts(4)), q.enqueue(pts(4)), q.enqueue(pts(30))]);
  assert.ok(
    sizes.every((s, i) => s <= 10 || (s === 30 && i === sizes.length - 1)),
    JSON.stringify(sizes),
  );
  assert.equal(
    sizes.reduce((a, b) => a + b, 0),
    42,
  );
});

test('above the high-water mark the queue is behind; drain listeners run when it falls below half', async () => {
  const g = gatedWrite();
  const q = new IngestQueue(g.write, {
    ...DEFAULT_QUEUE,
    highWater: 10,
    hardLimit: 20,
    maxBatchPoints: 100,
    flushDelayMs: 1,
  });
  let drained = 0;
  q.onDrained(() => drained++);
  const first = q.enqueue(pts(3));
  await tick();
  const rest = [q.enqueue(pts(5)), q.enqueue(pts(5))];
  assert.equal(q.isBehind(), true);
  assert.equal(q.isFull(), false);
  rest.push(q.enqueue(pts(9)));
  assert.equal(q.isFull(), true);
  g.writes[0]!.release();
  await first;
  await tick();
  assert.equal(q.size, 0, 'the waiting entries are being written');
  assert.equal(drained, 1);
  g.writes[1]!.release();
  await Promise.all(rest);
});

test('a failing store is retried; after maxRetries the entries reject with the error', async () => {
  let calls = 0;
  const errors: number[] = [];
  const q = new IngestQueue(
    async () => {
      calls++;
      if (calls < 3) throw new Error('database is locked');
    },
    { ...DEFAULT_QUEUE, flushDelayMs: 1, maxRetries: 3 },
    (_err, attempt) => errors.push(attempt),
  );
  await q.enqueue(pts(1));
  assert.deepEqual(errors, [1, 2]);
  const q2 = new IngestQueue(async () => Promise.reject(new Error('disk full')), {
    ...DEFAULT_QUEUE,
    flushDelayMs: 1,
    maxRetries: 2,
  });
  await assert.rejects(q2.enqueue(pts(1)), /disk full/);
});

test('MQTT QoS 0 beyond the hard limit is refused and counted; QoS 1 waits instead', async () => {
  const h = await startHarness({ options: { queue: { hardLimit: 1, highWater: 1, flushDelayMs: 200 } } });
  try {
    const first = h.broker.inject('d', 'devices/d/telemetry', { a: 1 }, 1); // pending for the flush delay
    await tick();
    await h.broker.inject('d', 'devices/d/telemetry', { a: 2 }, 0); // queue over its hard limit: dropped
    const dropped = await h.metrics.getSingleMetric('tsunagu_telemetry_dropped_total')!.get();
    assert.deepEqual(
      dropped.values.map((v) => [v.labels, v.value]),
      [[{ transport: 'mqtt', reason: 'queue_full' }, 1]],
    );
    await first;
    const stored = await h.telemetry.store.queryPoints({
      deviceId: 'd',
      from: 0,
      to: h.clock.now() + 1,
      limit: 10,
    });
    assert.deepEqual(
      stored.map((p) => p.value),
      [1],
    );
  } finally {
    await h.close();
  }
});
