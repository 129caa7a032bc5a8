/** SQL fragments and row mapping shared by the SQLite and PostgreSQL adapters. */
import type { Agg, LatestValue, Resolution, StoredEvent } from './telemetry-store.js';
import type { DecoderDefinition, Point, Severity } from './types.js';

export const TABLE: Record<Resolution, string> = {
  raw: 'telemetry_points',
  minute: 'telemetry_rollup_1m',
  hour: 'telemetry_rollup_1h',
};
export const TIME_COL: Record<Resolution, string> = { raw: 'ts', minute: 'bucket', hour: 'bucket' };

/** Aggregate expressions except `last`, which each dialect writes its own way. */
export function aggExpr(agg: Exclude<Agg, 'last'>, source: Resolution): string {
  if (source === 'raw') return agg === 'count' ? 'count(*)' : `${agg}(value)`;
  switch (agg) {
    case 'avg':
      return 'sum(total) / sum(n)';
    case 'min':
      return 'min(lo)';
    case 'max':
      return 'max(hi)';
    case 'sum':
      return 'sum(total)';
    case 'count':
      return 'sum(n)';
  }
}

export interface PointRow {
  ts: number | string;
  device_id: string;
  metric: string;
  value: number;
}
export const toPoint = (r: PointRow): Point => ({
  deviceId: r.device_id,
  metric: r.metric,
  ts: Number(r.ts),
  value: Number(r.value),
});

export interface LatestRow {
  device_id: string;
  metric: string;
  ts: number | string;
  value: number | null;
  text: string | null;
}
export const toLatest = (r: LatestRow): LatestValue => ({
  deviceId: r.device_id,
  metric: r.metric,
  ts: Number(r.ts),
  value: r.value === null ? null : Number(r.value),
  text: r.text,
});

export interface EventRow {
  id: number | string;
  device_id: string;
  ts: number | string;
  code: string;
  severity: string;
  message: string;
  fields: string | null;
}
export const toEvent = (r: EventRow): StoredEvent => ({
  id: Number(r.id),
  deviceId: r.device_id,
  ts: Number(r.ts),
  code: r.code,
  severity: r.severity as Severity,
  message: r.message,
  ...(r.fields ? { fields: JSON.parse(r.fields) as Record<string, unknown> } : {}),
});

export const toDecoder = (r: { definition: string }): DecoderDefinition =>
  JSON.parse(r.definition) as DecoderDefinition;

/** The newest point per (device, metric) in a batch: one latest-table write per series. */
export function newestPerSeries(points: readonly Point[]): Point[] {
  const m = new Map<string, Point>();
  for (const p of points) {
    const k = `${p.deviceId}\u0000${p.metric}`;
    const cur = m.get(k);
    if (!cur || p.ts >= cur.ts) m.set(k, p);
  }
  return [...m.values()];
}
