/** Pure input and data shaping for the device pages (unit-tested in parse.test.ts). */
import type { TelemetrySeries } from './api-types';

/** The desired-state editor's input: a JSON object, or an error message naming the problem. */
export function parseJsonObject(text: string): Record<string, unknown> | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `Desired state must be valid JSON, e.g. {"setpoint": 21.5} (${(e as Error).message})`;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'Desired state must be a JSON object';
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
