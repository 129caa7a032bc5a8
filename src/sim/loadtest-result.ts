/**
 * The load test's result document (saved with `--out file.json`) and the metrics `compare` reads.
 */
import type { Percentiles } from './stats.js';

export type LoadMode = 'load' | 'spike' | 'soak';

/** One step of a load ramp or one window of a soak. */
export interface Window {
  devices: number;
  online: number;
  durationS: number;
  /** Messages published by the fleet per second (heartbeats, telemetry, events, shadow, replies). */
  msgPerSec: number;
  publish: Percentiles;
  command?: Percentiles & { failed: number };
  /** p99 of the step's first and second half: the run's own noise. */
  p99Halves: [number, number];
  errorRate: number;
  /** SLO objectives (or the error bound) this window broke. */
  broken: string[];
  clientRssBytes: number;
  clientHeapBytes: number;
  serverRssBytes?: number;
}

export interface SpikeResult {
  devices: number;
  withinS: number;
  /** Devices online when the spike ended (each counted once). */
  connected: number;
  /** Successful CONNECTs, reconnects after a dropped connection included. */
  connects: number;
  connectFailures: number;
  /** Failed attempts by reason. */
  connectErrors: Record<string, number>;
  unexpectedDisconnects: number;
  /** From the first connect attempt until every device was online; null if they never all were. */
  timeToAllConnectedMs: number | null;
  connect: Percentiles;
  p99Halves: [number, number];
  clientRssBytes: number;
  /** Connect objectives of the SLO this spike broke (connect latency is measured only here). */
  broken: string[];
}

export interface SoakDrift {
  /** Relative change of p99 from the first to the last window. */
  p99Change: number;
  clientRssSlopeBytesPerMin: number;
  serverRssSlopeBytesPerMin?: number;
}

export interface MetricValue {
  value: number;
  better: 'lower' | 'higher';
  /** The run's own relative variation for this metric (0 when unknown). */
  variation: number;
  /** Changes smaller than this (absolute) are never flagged (timer resolution, one device). */
  minDelta: number;
}

export interface LoadtestResult {
  tool: 'tsunagu loadtest';
  version: 1;
  mode: LoadMode;
  startedAt: string;
  url: string;
  profile: string;
  /** Which latency the SLO and the tables use. */
  latencyMetric: 'command' | 'publish';
  slo: string[];
  notes: string[];
  options: Record<string, unknown>;
  steps: Window[];
  lastGood: Window | null;
  spike?: SpikeResult;
  soak?: SoakDrift;
  metrics: Record<string, MetricValue>;
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function relativeDiff(a: number, b: number): number {
  const mean = (a + b) / 2;
  return mean > 0 && Number.isFinite(mean) ? Math.abs(a - b) / mean : 0;
}

/**
 * The run's own noise: the median relative difference between the p99 of the first and the
 * second half of each step (load, soak), or of the first and second half of the connect wave
 * (spike). Soak runs also count consecutive windows, which run at the same load.
 */
export function ownVariation(r: Pick<LoadtestResult, 'mode' | 'steps' | 'spike'>): number {
  const diffs = r.steps.map((s) => relativeDiff(s.p99Halves[0], s.p99Halves[1]));
  if (r.mode === 'soak')
    for (let i = 1; i < r.steps.length; i++)
      diffs.push(relativeDiff(r.steps[i - 1]!.publish.p99, r.steps[i]!.publish.p99));
  if (r.spike) diffs.push(relativeDiff(r.spike.p99Halves[0], r.spike.p99Halves[1]));
  return median(diffs.filter((d) => Number.isFinite(d)));
}

/** The metrics `compare` looks at, by mode. */
export function resultMetrics(r: Omit<LoadtestResult, 'metrics'>): Record<string, MetricValue> {
  const variation = ownVariation(r);
  const m: Record<string, MetricValue> = {};
  const lat = (value: number): MetricValue => ({ value, better: 'lower', variation, minDelta: 2 });
  if (r.mode === 'load') {
    // No good step at all counts as zero, so a run that never met the SLO compares as worse.
    const good = r.lastGood;
    m['last good step: devices'] = { value: good?.devices ?? 0, better: 'higher', variation: 0, minDelta: 1 };
    m['last good step: msg/s'] = { value: good?.msgPerSec ?? 0, better: 'higher', variation, minDelta: 1 };
    for (const s of r.steps) {
      const p = r.latencyMetric === 'command' && s.command ? s.command : s.publish;
      if (p.count > 0) m[`p99 ${r.latencyMetric} latency at ${s.devices} devices`] = lat(p.p99);
    }
  } else if (r.mode === 'soak') {
    const all = r.steps.filter((s) => s.publish.count > 0);
    if (all.length > 0) {
      m['p99 publish latency (median window)'] = lat(median(all.map((s) => s.publish.p99)));
      m['msg/s (median window)'] = {
        value: median(all.map((s) => s.msgPerSec)),
        better: 'higher',
        variation,
        minDelta: 1,
      };
    }
    const cmd = r.steps.filter((s) => s.command && s.command.count > 0);
    if (cmd.length > 0)
      m['p99 command latency (median window)'] = lat(median(cmd.map((s) => s.command!.p99)));
    if (r.soak)
      m['client RSS growth (bytes/min)'] = {
        value: r.soak.clientRssSlopeBytesPerMin,
        better: 'lower',
        variation: 0,
        minDelta: 5 * 1024 * 1024,
      };
  } else if (r.spike) {
    const s = r.spike;
    m['connect p99'] = lat(s.connect.p99);
    m['connect p50'] = lat(s.connect.p50);
    if (s.timeToAllConnectedMs !== null)
      m['time to all connected'] = {
        value: s.timeToAllConnectedMs,
        better: 'lower',
        variation,
        minDelta: 50,
      };
    m['connected'] = { value: s.connected, better: 'higher', variation: 0, minDelta: 1 };
    m['connect failures'] = {
      value: s.connectFailures,
      better: 'lower',
      variation: 0,
      minDelta: Math.max(1, s.devices / 1000),
    };
  }
  return m;
}
