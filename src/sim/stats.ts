/**
 * Latency samples and fleet counters. A recorder keeps at most `cap` samples per window by
 * reservoir sampling, so a soak test's memory stays flat however many messages it sends.
 */
export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  // Nearest-rank: the smallest sample with at least q of the samples at or below it.
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

/** A latency for tables: two decimals below 10 ms, whole milliseconds above; – when unknown. */
export const fmt = (v: number | null | undefined): string =>
  typeof v === 'number' && Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 0) : '–';

export function summarize(samples: readonly number[]): Percentiles {
  const s = [...samples].sort((a, b) => a - b);
  return {
    count: s.length,
    p50: percentile(s, 0.5),
    p95: percentile(s, 0.95),
    p99: percentile(s, 0.99),
    max: s.length ? (s[s.length - 1] as number) : NaN,
  };
}

export class LatencyRecorder {
  private samples: number[] = [];
  private seen = 0;

  constructor(private readonly cap = 100_000) {}

  record(ms: number): void {
    this.seen++;
    if (this.samples.length < this.cap) this.samples.push(ms);
    else {
      const i = Math.floor(Math.random() * this.seen);
      if (i < this.cap) this.samples[i] = ms;
    }
  }

  /** Samples recorded since the last drain (all of them, or a uniform sample when over the cap). */
  peek(): Percentiles & { seen: number } {
    return { ...summarize(this.samples), seen: this.seen };
  }

  /** The window's samples, and start a new window. */
  take(): number[] {
    const out = this.samples;
    this.samples = [];
    this.seen = 0;
    return out;
  }

  /** Summarize and start a new window. */
  drain(): Percentiles & { seen: number } {
    const out = this.peek();
    this.samples = [];
    this.seen = 0;
    return out;
  }
}

/** Live counters of a simulated fleet (monotonic except `online`). */
export interface SimCounters {
  devices: number;
  online: number;
  connects: number;
  connectFailures: number;
  /** Connections lost without the simulator asking (server closed, refused later, network error). */
  unexpectedDisconnects: number;
  heartbeats: number;
  telemetry: number;
  telegrams: number;
  events: number;
  shadowReports: number;
  deltasApplied: number;
  commandsReceived: number;
  commandRepliesOk: number;
  commandRepliesError: number;
  /** Commands that could not be parsed (no id to reply to). */
  commandsUnreadable: number;
  malformedSent: number;
  /** QoS 1 publishes not acknowledged (timeout or connection lost). */
  publishFailures: number;
  faults: { battery: number; burst: number; drop: number; flap: number; slow: number };
  /** Failed connect attempts by reason (`refused: return code 5`, `timeout`, `socket: ECONNRESET` …). */
  connectErrors: Record<string, number>;
}

export function newCounters(): SimCounters {
  return {
    devices: 0,
    online: 0,
    connects: 0,
    connectFailures: 0,
    unexpectedDisconnects: 0,
    heartbeats: 0,
    telemetry: 0,
    telegrams: 0,
    events: 0,
    shadowReports: 0,
    deltasApplied: 0,
    commandsReceived: 0,
    commandRepliesOk: 0,
    commandRepliesError: 0,
    commandsUnreadable: 0,
    malformedSent: 0,
    publishFailures: 0,
    faults: { battery: 0, burst: 0, drop: 0, flap: 0, slow: 0 },
    connectErrors: {},
  };
}
