/**
 * `tsunagu loadtest compare a.json b.json`: is run b worse than run a beyond noise?
 *
 * Noise rule: a metric is flagged when it moved in its bad direction by more than
 *   max(10 %, 2 × the larger of the two runs' own variation)
 * of a's value, and by more than the metric's absolute floor (`minDelta`: 2 ms for latencies,
 * timer resolution; one device; 5 MiB/min of memory growth). A run's own variation is the median
 * relative difference between the p99 of the two halves of each of its steps (soak: also between
 * consecutive windows) — see `ownVariation` in loadtest-result.ts.
 */
import { readFileSync } from 'node:fs';
import { SimErrors } from './errors.js';
import type { LoadtestResult, MetricValue } from './loadtest-result.js';

export const MIN_RELATIVE_CHANGE = 0.1;

export interface ComparisonRow {
  metric: string;
  a: number;
  b: number;
  /** Relative change in the bad direction (positive = worse). */
  worse: number;
  threshold: number;
  degraded: boolean;
}

export interface Comparison {
  rows: ComparisonRow[];
  degraded: boolean;
  /** Metrics present in only one of the runs. */
  unmatched: string[];
}

export function compareResults(
  a: Pick<LoadtestResult, 'mode' | 'metrics'>,
  b: Pick<LoadtestResult, 'mode' | 'metrics'>,
): Comparison {
  if (a.mode !== b.mode)
    throw SimErrors.resultInvalid('compare', `cannot compare a ${a.mode} run with a ${b.mode} run`);
  const rows: ComparisonRow[] = [];
  const unmatched: string[] = [];
  for (const [name, ma] of Object.entries(a.metrics)) {
    const mb = b.metrics[name];
    if (!mb || !usable(ma) || !usable(mb)) {
      unmatched.push(name);
      continue;
    }
    const delta = ma.better === 'lower' ? mb.value - ma.value : ma.value - mb.value;
    const base = Math.abs(ma.value);
    const worse = base > 0 ? delta / base : delta > 0 ? Infinity : 0;
    const threshold = Math.max(MIN_RELATIVE_CHANGE, 2 * Math.max(ma.variation, mb.variation));
    rows.push({
      metric: name,
      a: ma.value,
      b: mb.value,
      worse,
      threshold,
      degraded: worse > threshold && delta > Math.max(ma.minDelta, mb.minDelta),
    });
  }
  for (const name of Object.keys(b.metrics)) if (!(name in a.metrics)) unmatched.push(name);
  return { rows, degraded: rows.some((r) => r.degraded), unmatched };
}

function usable(m: MetricValue): boolean {
  return typeof m.value === 'number' && Number.isFinite(m.value);
}

export function readResult(file: string): LoadtestResult {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw SimErrors.resultInvalid(
      file,
      `not a readable JSON file (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const r = doc as Partial<LoadtestResult> | null;
  if (r?.tool !== 'tsunagu loadtest' || r.version !== 1)
    throw SimErrors.resultInvalid(file, 'not a tsunagu loadtest result (tool/version missing)');
  if (!['load', 'spike', 'soak'].includes(String(r.mode)))
    throw SimErrors.resultInvalid(file, `unknown mode ${String(r.mode)}`);
  if (typeof r.metrics !== 'object' || r.metrics === null)
    throw SimErrors.resultInvalid(file, 'metrics missing');
  for (const [k, m] of Object.entries(r.metrics)) {
    const v = m as Partial<MetricValue> | null;
    if (
      !v ||
      (v.better !== 'lower' && v.better !== 'higher') ||
      typeof v.variation !== 'number' ||
      typeof v.minDelta !== 'number'
    )
      throw SimErrors.resultInvalid(file, `metrics.${k} is malformed`);
  }
  return r as LoadtestResult;
}
