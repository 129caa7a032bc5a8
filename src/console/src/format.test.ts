import { test } from 'node:test';
import assert from 'node:assert/strict';
import { budgetBar, formatAgo, formatCount, formatMs, formatPercent, visibleRange } from './format';

test('formatAgo covers seconds to days and missing values', () => {
  const now = 1_000_000_000_000;
  assert.equal(formatAgo(now - 5_000, now), '5s ago');
  assert.equal(formatAgo(now - 125_000, now), '2m ago');
  assert.equal(formatAgo(now - 3_660_000, now), '1h 1m ago');
  assert.equal(formatAgo(now - 3 * 86_400_000, now), '3d ago');
  assert.equal(formatAgo(null, now), '—');
  assert.equal(formatAgo('not a date', now), '—');
});

test('percent and latency formatting', () => {
  assert.equal(formatPercent(0.99912, 2), '99.91%');
  assert.equal(formatPercent(undefined), '—');
  assert.equal(formatMs(12.4), '12 ms');
  assert.equal(formatMs(1500), '1.50 s');
});

test('budget bar clamps and picks a tone', () => {
  assert.deepEqual(budgetBar(0.8), { width: 0.8, tone: 'ok' });
  assert.deepEqual(budgetBar(0.2), { width: 0.2, tone: 'warn' });
  assert.deepEqual(budgetBar(-0.5), { width: 0, tone: 'bad' });
  assert.deepEqual(budgetBar(1.5), { width: 1, tone: 'ok' });
});

test('virtualized range renders only rows in view plus overscan', () => {
  assert.deepEqual(visibleRange(0, 360, 36, 100_000, 8), { start: 0, end: 18 });
  assert.deepEqual(visibleRange(36_000, 360, 36, 100_000, 8), { start: 992, end: 1018 });
  assert.deepEqual(visibleRange(3_599_640, 360, 36, 100_000, 8), { start: 99_982, end: 100_000 });
});

test('formatCount rounds fractional device-minutes and groups large counts', () => {
  assert.equal(formatCount(0.0182), '0.02');
  assert.equal(formatCount(42.456), '42.46');
  assert.equal(formatCount(12345.6), '12,346');
  assert.equal(formatCount(undefined), '—');
  assert.equal(formatCount(Number.NaN), '—');
});
