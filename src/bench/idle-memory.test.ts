import assert from 'node:assert/strict';
import { test } from 'node:test';
import { averageBytes, marginalBytes, parseIdleSteps, type MemoryReading } from './idle-memory.js';

const rss = (r: MemoryReading): number => r.rssBytes;
const heap = (r: MemoryReading): number | undefined => r.heapUsedBytes;

test('marginal memory is the slope between two counts: a fixed step cancels out', () => {
  // 60 MB at rest, a fixed 17 MB young-generation step once connections arrive, 2,000 B each.
  const at = (n: number): MemoryReading => ({ connections: n, rssBytes: 60e6 + 17e6 + 2000 * n });
  const readings = [at(5000), at(15_000)];
  assert.equal(marginalBytes(readings, rss), 2000);
  // The old figure divides the fixed step by N: 3,700 B "per connection" at 10,000.
  assert.equal(averageBytes(60e6, at(10_000)), 3700);
  assert.ok(Math.abs(averageBytes(60e6, at(15_000)) - (2000 + 17e6 / 15_000)) < 1e-6);
});

test('with more than two readings the slope is a least-squares fit', () => {
  const readings: MemoryReading[] = [
    { connections: 1000, rssBytes: 10_000 },
    { connections: 2000, rssBytes: 13_000 },
    { connections: 3000, rssBytes: 14_000 },
  ];
  // x̄ = 2000, ȳ = 12,333.3; Σ(x−x̄)(y−ȳ) = 4,000,000; Σ(x−x̄)² = 2,000,000.
  const slope = marginalBytes(readings, rss);
  assert.ok(slope !== undefined && Math.abs(slope - 2) < 1e-9, String(slope));
});

test('heap slope only from readings that carry a heap figure', () => {
  const readings: MemoryReading[] = [
    { connections: 5000, rssBytes: 1, heapUsedBytes: 20_000_000 },
    { connections: 15_000, rssBytes: 2, heapUsedBytes: 38_000_000 },
  ];
  assert.equal(marginalBytes(readings, heap), 1800);
  assert.equal(
    marginalBytes(
      [
        { connections: 5000, rssBytes: 1 },
        { connections: 15_000, rssBytes: 2 },
      ],
      heap,
    ),
    undefined,
  );
});

test('no slope from one reading or from equal counts', () => {
  assert.equal(marginalBytes([{ connections: 10, rssBytes: 5 }], rss), undefined);
  assert.equal(
    marginalBytes(
      [
        { connections: 10, rssBytes: 5 },
        { connections: 10, rssBytes: 9 },
      ],
      rss,
    ),
    undefined,
  );
  assert.ok(Number.isNaN(averageBytes(0, { connections: 0, rssBytes: 5 })));
});

test('--idle-connections takes two or more ascending counts', () => {
  assert.deepEqual(parseIdleSteps('5000,15000'), [5000, 15_000]);
  assert.deepEqual(parseIdleSteps(' 100, 200 ,300'), [100, 200, 300]);
  for (const bad of ['5000', '15000,5000', '5000,5000', '0,10', '1.5,3', 'a,b', ''])
    assert.throws(() => parseIdleSteps(bad), /--idle-connections/, bad);
});
