/** Percentiles over latency samples (nearest-rank on a sorted copy). */
export interface LatencySummary {
  count: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

/** Summarise samples given in nanoseconds; figures come out in milliseconds. */
export function summarizeLatencyNs(samples: Float64Array): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const ms = (ns: number): number => ns / 1e6;
  return {
    count: sorted.length,
    p50: ms(percentile(sorted, 0.5)),
    p99: ms(percentile(sorted, 0.99)),
    p999: ms(percentile(sorted, 0.999)),
    max: ms(sorted.length ? (sorted[sorted.length - 1] ?? NaN) : NaN),
  };
}

/** The median (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
