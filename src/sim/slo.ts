/**
 * The load test's SLO grammar: one or more objectives joined by `and` or `,`:
 *
 *   objective := ("p50" | "p95" | "p99") metric "latency"? "<" number ("ms" | "s")?
 *   metric    := "command" | "publish" | "ack" | "publish→ack" | "publish-ack" | "connect"
 *
 * e.g. `p99 command latency < 300ms`, `p95 publish latency < 50 ms and p99 connect < 2s`.
 * `publish` and `ack` both mean QoS 1 publish→PUBACK latency.
 */
import { SimErrors } from './errors.js';
import type { Percentiles } from './stats.js';

export type SloMetric = 'command' | 'publish' | 'connect';
export type SloQuantile = 'p50' | 'p95' | 'p99';

export interface SloObjective {
  quantile: SloQuantile;
  metric: SloMetric;
  thresholdMs: number;
  text: string;
}

const METRICS: Record<string, SloMetric> = {
  command: 'command',
  publish: 'publish',
  ack: 'publish',
  'publish→ack': 'publish',
  'publish->ack': 'publish',
  'publish-ack': 'publish',
  puback: 'publish',
  connect: 'connect',
};

const RE = /^(p50|p95|p99)\s+(\S+)(?:\s+latency)?\s*<\s*(\d+(?:\.\d+)?)\s*(ms|s)?$/i;

export function parseSlo(text: string): SloObjective[] {
  const parts = text
    .split(/\s+and\s+|,/i)
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) throw SimErrors.sloInvalid(text, 'empty');
  return parts.map((part) => {
    const m = RE.exec(part);
    if (!m)
      throw SimErrors.sloInvalid(
        part,
        'expected "<p50|p95|p99> <command|publish|ack|connect> latency < <number>[ms|s]", e.g. "p99 command latency < 300ms"',
      );
    const metric = METRICS[(m[2] as string).toLowerCase()];
    if (!metric)
      throw SimErrors.sloInvalid(part, `unknown metric "${m[2]}" (command, publish, ack or connect)`);
    const n = Number(m[3]);
    return {
      quantile: (m[1] as string).toLowerCase() as SloQuantile,
      metric,
      thresholdMs: (m[4] ?? 'ms').toLowerCase() === 's' ? n * 1000 : n,
      text: part,
    };
  });
}

/** Which objectives a window's measurements break (a metric without samples breaks nothing). */
export function brokenObjectives(
  objectives: readonly SloObjective[],
  measured: Partial<Record<SloMetric, Percentiles>>,
): SloObjective[] {
  return objectives.filter((o) => {
    const p = measured[o.metric];
    if (!p || p.count === 0) return false;
    return !(p[o.quantile] < o.thresholdMs);
  });
}
