/** Pure input and data shaping for the device pages (unit-tested in parse.test.ts). */
import type { TelemetrySeries } from './api-types';

/** The desired-state editor's input: a JSON object, or an error message naming the problem. */
export function parseJsonObject(text: string, what = 'Desired state'): Record<string, unknown> | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `${what} must be valid JSON, e.g. {"setpoint": 21.5} (${(e as Error).message})`;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return `${what} must be a JSON object`;
  return v as Record<string, unknown>;
}

/** uPlot's aligned data: x in epoch seconds, ascending. */
export function toChartData(s: TelemetrySeries | undefined): { x: number[]; y: (number | null)[] } {
  const pts = (s?.points ?? []).filter((p) => typeof p.ts === 'number').sort((a, b) => a.ts! - b.ts!);
  return {
    x: pts.map((p) => p.ts! / 1000),
    y: pts.map((p) => (typeof p.value === 'number' ? p.value : null)),
  };
}

/**
 * Several series on one chart: uPlot wants one shared x axis, so the union of every series' times,
 * each series null where it has no point at that time (drawn joined across those gaps).
 */
export function mergeChartData(all: { x: number[]; y: (number | null)[] }[]): {
  x: number[];
  ys: (number | null)[][];
} {
  const x = [...new Set(all.flatMap((s) => s.x))].sort((a, b) => a - b);
  const at = new Map(x.map((t, i) => [t, i]));
  const ys = all.map((s) => {
    const y: (number | null)[] = new Array<number | null>(x.length).fill(null);
    s.x.forEach((t, i) => (y[at.get(t)!] = s.y[i] ?? null));
    return y;
  });
  return { x, ys };
}

/** A series of only 0 and 1 (a boolean reading such as `locked`) is drawn as steps, not slopes. */
export function isBooleanSeries(values: (number | null)[]): boolean {
  let any = false;
  for (const v of values) {
    if (v === null) continue;
    if (v !== 0 && v !== 1) return false;
    any = true;
  }
  return any;
}

/** The time axis fitted to the data: its first to last point, at least `minSpanS` wide (centred). */
export function fitRange(x: number[], minSpanS = 600): [number, number] | undefined {
  if (x.length === 0) return undefined;
  const lo = x[0]!;
  const hi = x[x.length - 1]!;
  if (hi - lo >= minSpanS) return [lo, hi];
  const mid = (lo + hi) / 2;
  return [mid - minSpanS / 2, mid + minSpanS / 2];
}
