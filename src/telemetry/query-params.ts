/** Parsing of the query parameters the telemetry API shares: times, bucket sizes, cursors. */
import { TelemetryErrors } from './errors.js';
import { HOUR, MINUTE } from './rollup.js';
import type { Resolution } from './telemetry-store.js';

/** Epoch ms or an ISO 8601 date; undefined stays undefined. */
export function parseTimeParam(v: string | undefined, field: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const ms = /^-?\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms))
    throw TelemetryErrors.invalidQuery(field, `"${v}" is neither epoch milliseconds nor an ISO 8601 time`);
  return ms;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: MINUTE, h: HOUR, d: 24 * HOUR };

/** `30s`, `5m`, `1h`, `1d` or plain milliseconds. */
export function parseBucket(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(v.trim());
  const ms = m ? Number(m[1]) * UNITS[m[2] ?? 'ms']! : NaN;
  if (!Number.isInteger(ms) || ms < 1000)
    throw TelemetryErrors.invalidQuery(
      'bucket',
      `"${v}" must be a duration of at least 1s, like 30s, 5m, 1h, 1d`,
    );
  return ms;
}

/** Hour rollups for whole hours, minute rollups for whole minutes, raw points otherwise. */
export const sourceFor = (bucketMs: number): Resolution =>
  bucketMs % HOUR === 0 ? 'hour' : bucketMs % MINUTE === 0 ? 'minute' : 'raw';

export function parseCursor(v: string | undefined): { ts: number; id: number } | undefined {
  if (v === undefined || v === '') return undefined;
  const m = /^(-?\d+):(\d+)$/.exec(v);
  if (!m) throw TelemetryErrors.invalidQuery('cursor', 'not a cursor returned by this API');
  return { ts: Number(m[1]), id: Number(m[2]) };
}

export function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
