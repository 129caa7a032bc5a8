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

interface Series {
  deviceId: string;
  metric: string;
  minutes: Map<number, RollupRow>;
  hours: Map<number, RollupRow>;
  /** Newest point of the series seen since the last drain (for the latest-value table). */
  newest: Point | undefined;
}

const fold = (s: Series, into: Map<number, RollupRow>, bucket: number, p: Point): boolean => {
  const r = into.get(bucket);
  if (!r) {
    into.set(bucket, {
      deviceId: s.deviceId,
      metric: s.metric,
      bucket,
      count: 1,
      sum: p.value,
      min: p.value,
      max: p.value,
      last: p.value,
      lastTs: p.ts,
    });
    return true;
  }
  r.count++;
  r.sum += p.value;
  if (p.value < r.min) r.min = p.value;
  if (p.value > r.max) r.max = p.value;
  if (p.ts >= r.lastTs) {
    r.last = p.value;
    r.lastTs = p.ts;
  }
  return false;
};

/**
 * Rollups and latest values accumulated across batches (SQLite adapter): a round-robin fleet puts
 * every series once in each batch, so per-batch aggregation still costs one upsert per point per
 * table; accumulated over many batches it costs one per (series, minute). Drained into the tables
 * by the store's flush. Merging is associative, so the drained rows upsert like batch aggregates.
 */
export class RollupBuffer {
  private series = new Map<string, Series>();
  /** Pending minute rows (the flush threshold). */
  rows = 0;
  points = 0;

  /** `fresh`: points that were new (they feed the rollups); `all`: every point (latest values). */
  add(fresh: readonly Point[], all: readonly Point[]): void {
    for (const p of fresh) {
      const s = this.seriesOf(p);
      if (fold(s, s.minutes, bucketOf(p.ts, MINUTE), p)) this.rows++;
      fold(s, s.hours, bucketOf(p.ts, HOUR), p);
    }
    for (const p of all) {
      const s = this.seriesOf(p);
      if (!s.newest || p.ts >= s.newest.ts) s.newest = p;
    }
    this.points += all.length;
  }

  get empty(): boolean {
    return this.series.size === 0;
  }

  /** The pending rows, without clearing them (cleared by `clear` once they are committed). */
  drain(): { minutes: RollupRow[]; hours: RollupRow[]; latest: Point[] } {
    const minutes: RollupRow[] = [];
    const hours: RollupRow[] = [];
    const latest: Point[] = [];
    for (const s of this.series.values()) {
      for (const r of s.minutes.values()) minutes.push(r);
      for (const r of s.hours.values()) hours.push(r);
      if (s.newest) latest.push(s.newest);
    }
    return { minutes, hours, latest };
  }

  clear(): void {
    this.series.clear();
    this.rows = 0;
    this.points = 0;
  }

  private seriesOf(p: Point): Series {
    const key = `${p.deviceId}\u0000${p.metric}`;
    let s = this.series.get(key);
    if (!s) {
      s = { deviceId: p.deviceId, metric: p.metric, minutes: new Map(), hours: new Map(), newest: undefined };
      this.series.set(key, s);
    }
    return s;
  }
}
