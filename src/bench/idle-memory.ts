/**
 * Memory per idle connection as a **marginal** cost: the slope of the broker's memory between two
 * (or more) connection counts, not memory after N connections minus memory before, divided by N.
 *
 * Why: a Node broker's V8 grows its young generation (semispaces, ~17 MB) while the first
 * thousands of connections are opened and does not give it back within seconds; divided by N that
 * fixed step reads as 1.7 KB "per connection" at 10,000 connections and less at more
 * (docs/benchmarks.md, "Memory per idle connection"). Between two counts above the point where
 * V8 has grown, the fixed part cancels and what is left is what one more connection costs.
 */

/** One reading of the broker's memory with `connections` idle connections open. */
export interface MemoryReading {
  connections: number;
  /** VmRSS of the broker's process. */
  rssBytes: number;
  /** V8 heap used after a full GC (Node brokers, through the inspector); absent for others. */
  heapUsedBytes?: number;
}

/**
 * Least-squares slope of a memory figure over the connection count (bytes per connection); with
 * two readings, their difference over the difference in connections. Undefined when fewer than two
 * readings carry the figure or the counts do not differ (no slope to speak of).
 */
export function marginalBytes(
  readings: readonly MemoryReading[],
  figure: (r: MemoryReading) => number | undefined,
): number | undefined {
  const points: [number, number][] = [];
  for (const r of readings) {
    const y = figure(r);
    if (y !== undefined && Number.isFinite(y)) points.push([r.connections, y]);
  }
  if (points.length < 2) return undefined;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) * (x - mx);
    sxy += (x - mx) * (y - my);
  }
  return sxx === 0 ? undefined : sxy / sxx;
}

/** The old figure, kept in the JSON for comparison: (memory at the end − memory at 0) / connections. */
export function averageBytes(before: number, last: MemoryReading): number {
  return last.connections > 0 ? (last.rssBytes - before) / last.connections : NaN;
}

/**
 * Connection counts for `--idle-connections`: at least two, ascending, whole and positive
 * ("5000,15000").
 */
export function parseIdleSteps(raw: string): number[] {
  const steps = raw.split(',').map((s) => Number(s.trim()));
  if (steps.length < 2 || steps.some((n) => !Number.isInteger(n) || n <= 0))
    throw new Error(
      `--idle-connections must be two or more whole connection counts, e.g. 5000,15000, got "${raw}"`,
    );
  for (let i = 1; i < steps.length; i++)
    if (steps[i]! <= steps[i - 1]!) throw new Error(`--idle-connections must be ascending, got "${raw}"`);
  return steps;
}
