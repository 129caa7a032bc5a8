/**
 * In-memory aggregation of a batch before it is upserted: one row per (device, metric, bucket)
 * instead of one write per point. Rollup rows merge associatively (count and sum add, min/max
 * compare, `last` is the value with the greatest time), so upserting batch aggregates gives the
 * same result as aggregating every raw point at once — the property test checks exactly that.
 */
import type { Point } from './types.js';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;

export interface RollupRow {
  deviceId: string;
  metric: string;
  /** Bucket start, epoch ms (a multiple of the bucket size). */
  bucket: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  lastTs: number;
}

export const bucketOf = (ts: number, size: number): number => Math.floor(ts / size) * size;

export function aggregate(points: readonly Point[], size: number): RollupRow[] {
  const rows = new Map<string, RollupRow>();
  for (const p of points) {
    const bucket = bucketOf(p.ts, size);
    const key = `${p.deviceId}\u0000${p.metric}\u0000${bucket}`;
    const r = rows.get(key);
    if (!r) {
      rows.set(key, {
        deviceId: p.deviceId,
        metric: p.metric,
        bucket,
        count: 1,
        sum: p.value,
        min: p.value,
        max: p.value,
        last: p.value,
        lastTs: p.ts,
      });
      continue;
    }
    r.count++;
    r.sum += p.value;
    if (p.value < r.min) r.min = p.value;
    if (p.value > r.max) r.max = p.value;
    if (p.ts >= r.lastTs) {
      r.last = p.value;
      r.lastTs = p.ts;
    }
  }
  return [...rows.values()];
}

/**
 * A point is unique per (device, metric, time): a redelivered message (QoS 1 duplicate) must not
 * count twice. The first occurrence wins, matching the stores' INSERT … ON CONFLICT DO NOTHING.
 */
export function dedupePoints(points: readonly Point[]): Point[] {
  const seen = new Set<string>();
  const out: Point[] = [];
  for (const p of points) {
    const key = `${p.deviceId}\u0000${p.metric}\u0000${p.ts}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}
