/**
 * `tsunagu loadtest`: load (ramp until the SLO breaks), spike (N devices connect within S
 * seconds) and soak (steady load, drift of latency and memory). Devices are the simulator's; the
 * load test only sets their message rate, keeps faults off and, for command latency, drives
 * `POST /api/v1/devices/{id}/commands` with `wait: true`.
 *
 * The load test runs in real time: it measures a live server, so nothing here uses a ManualClock.
 */
import { sendCommand, serverMemoryBytes, type ApiTarget } from './api-client.js';
import { SimErrors } from './errors.js';
import {
  resultMetrics,
  type LoadMode,
  type LoadtestResult,
  type SoakDrift,
  type SpikeResult,
  type Window,
} from './loadtest-result.js';
import { loadProfile, type Profile } from './profile.js';
import { brokenObjectives, parseSlo, type SloMetric, type SloObjective } from './slo.js';
import { startSimulation, type Simulation } from './simulation.js';
import { fmt, summarize, type Percentiles } from './stats.js';

export interface LoadtestOptions {
  url: string;
  profile: Profile | string;
  mode: LoadMode;
  api?: ApiTarget;
  /** SLO text (see slo.ts); default `p99 publish latency < 100ms` or the command equivalent with --api. */
  slo?: string;
  /** Messages per second per device (telemetry; heartbeats come on top at the profile's rate). */
  ratePerDevice?: number;
  // load
  startDevices?: number;
  factor?: number;
  maxDevices?: number;
  stepS?: number;
  /** Stop the ramp when this share of messages/commands fails (default 0.01). */
  maxErrorRate?: number;
  /** Commands per second during each step/window (with --api; default devices/50, at least 1, at most 200). */
  commandRate?: number;
  commandTimeoutMs?: number;
  // spike and soak
  devices?: number;
  withinS?: number;
  // soak
  durationS?: number;
  windows?: number;
  /** Give up waiting for connections after this long (s, default 60). */
  connectTimeoutS?: number;
  seed?: number;
  log?: (line: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function published(sim: Simulation): number {
  const c = sim.counters;
  return (
    c.heartbeats +
    c.telemetry +
    c.events +
    c.shadowReports +
    c.commandRepliesOk +
    c.commandRepliesError +
    c.telegrams
  );
}

/** The profile the load test runs: a constant message rate (or the profile's own intervals when
 * `ratePerDevice` is undefined), no random faults or events. */
export function loadProfileFor(profile: Profile, ratePerDevice: number | undefined): Profile {
  const interval = ratePerDevice === undefined ? undefined : 1 / ratePerDevice;
  return {
    ...profile,
    telemetry: interval === undefined ? profile.telemetry : { intervalS: interval, idleIntervalS: interval },
    events: { ...profile.events, ratePerHour: 0 },
    faults: {
      ...profile.faults,
      batteryPerHour: 0,
      burstPerHour: 0,
      dropPerHour: 0,
      flapPerHour: 0,
      slowReplyShare: 0,
      malformedShare: 0,
    },
    commands: { ...profile.commands, failureRate: 0 },
    telegram: { ...profile.telegram, share: 0 },
  };
}

/** Sends commands at a fixed rate to random online devices and collects round-trip latencies. */
class CommandDriver {
  latencies: number[] = [];
  failed = 0;
  private inflight = 0;
  private timer: NodeJS.Timeout | undefined;
  private flip = false;

  constructor(
    private readonly sim: Simulation,
    private readonly api: ApiTarget,
    private readonly timeoutMs: number,
  ) {}

  start(perSecond: number): void {
    this.stop();
    const every = 1000 / perSecond;
    this.timer = setInterval(() => this.fire(), every);
  }

  private fire(): void {
    if (this.inflight >= 200) {
      this.failed++; // the server is not keeping up; counting it keeps the error rate honest
      return;
    }
    const online = this.sim.devices.filter((d) => d.state === 'online' && !d.viaTelegram);
    if (online.length === 0) return;
    const d = online[Math.floor(Math.random() * online.length)]!;
    this.flip = !this.flip;
    this.inflight++;
    void sendCommand(this.api, d.id, this.flip ? 'unlock' : 'lock', this.timeoutMs).then((r) => {
      this.inflight--;
      if (r.ok) this.latencies.push(r.latencyMs);
      else this.failed++;
    });
  }

  take(): { latencies: number[]; failed: number } {
    const out = { latencies: this.latencies, failed: this.failed };
    this.latencies = [];
    this.failed = 0;
    return out;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async drain(): Promise<void> {
    this.stop();
    for (let i = 0; i < 200 && this.inflight > 0; i++) await sleep(50);
  }
}

interface Measure {
  window: Window;
}

async function measureWindow(
  sim: Simulation,
  durationS: number,
  objectives: readonly SloObjective[],
  maxErrorRate: number,
  commands: CommandDriver | undefined,
  api: ApiTarget | undefined,
): Promise<Measure> {
  sim.latency.publishAck.take();
  commands?.take();
  const c0 = { pub: published(sim), fail: sim.counters.publishFailures, cf: sim.counters.connectFailures };
  const t0 = performance.now();
  const pubHalves: number[][] = [];
  const cmdHalves: number[][] = [];
  let cmdFailed = 0;
  for (let h = 0; h < 2; h++) {
    await sleep((durationS * 1000) / 2);
    pubHalves.push(sim.latency.publishAck.take());
    if (commands) {
      const t = commands.take();
      cmdHalves.push(t.latencies);
      cmdFailed += t.failed;
    }
  }
  const elapsedS = (performance.now() - t0) / 1000;
  const cmdSamples = cmdHalves.flat();
  const msgs = published(sim) - c0.pub;
  const failures =
    sim.counters.publishFailures - c0.fail + (sim.counters.connectFailures - c0.cf) + cmdFailed;
  const attempts = msgs + cmdSamples.length + cmdFailed;
  const errorRate = attempts > 0 ? failures / attempts : 0;
  const publish = summarize(pubHalves.flat());
  const command = commands ? { ...summarize(cmdSamples), failed: cmdFailed } : undefined;
  const halves = commands ? cmdHalves : pubHalves;
  const measured: Partial<Record<SloMetric, Percentiles>> = { publish, ...(command ? { command } : {}) };
  const broken = brokenObjectives(objectives, measured).map((o) => o.text);
  if (errorRate > maxErrorRate)
    broken.push(`error rate ${(errorRate * 100).toFixed(2)}% > ${(maxErrorRate * 100).toFixed(2)}%`);
  const mem = process.memoryUsage();
  const serverRss = api ? await serverMemoryBytes(api) : undefined;
  return {
    window: {
      devices: sim.counters.devices,
      online: sim.counters.online,
      durationS: Number(elapsedS.toFixed(2)),
      msgPerSec: Number((msgs / elapsedS).toFixed(1)),
      publish,
      ...(command ? { command } : {}),
      p99Halves: [summarize(halves[0] ?? []).p99, summarize(halves[1] ?? []).p99],
      errorRate,
      broken,
      clientRssBytes: mem.rss,
      clientHeapBytes: mem.heapUsed,
      ...(serverRss === undefined ? {} : { serverRssBytes: serverRss }),
    },
  };
}

/** Least-squares slope of y over x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export async function runLoadtest(opts: LoadtestOptions): Promise<LoadtestResult> {
  const log = opts.log ?? (() => {});
  const baseProfile = typeof opts.profile === 'string' ? loadProfile(opts.profile) : opts.profile;
  // A spike measures connecting, so by default its devices keep the profile's own report intervals.
  const rate = opts.ratePerDevice ?? (opts.mode === 'spike' ? undefined : 1);
  if (rate !== undefined && !(rate > 0)) throw SimErrors.optionInvalid('--rate', `must be > 0, got ${rate}`);
  const profile = loadProfileFor(baseProfile, rate);
  const notes: string[] = [];
  const defaultSlo = opts.api ? 'p99 command latency < 300ms' : 'p99 publish latency < 100ms';
  let objectives = parseSlo(opts.slo ?? defaultSlo);
  let latencyMetric: 'command' | 'publish' = opts.api ? 'command' : 'publish';
  if (!opts.api && objectives.some((o) => o.metric === 'command')) {
    notes.push(
      'no --api/--token: command latency cannot be measured, so the command objectives were evaluated on QoS 1 publish→PUBACK latency instead',
    );
    objectives = objectives.map((o) => (o.metric === 'command' ? { ...o, metric: 'publish' as const } : o));
  }
  if (opts.mode === 'load' && opts.api && !objectives.some((o) => o.metric === 'command'))
    latencyMetric = 'publish';
  const maxErrorRate = opts.maxErrorRate ?? 0.01;
  const commandTimeoutMs = opts.commandTimeoutMs ?? 5000;
  const connectTimeoutMs = (opts.connectTimeoutS ?? 60) * 1000;
  const startedAt = new Date().toISOString();
  const steps: Window[] = [];
  let lastGood: Window | null = null;
  let spike: SpikeResult | undefined;
  let soak: SoakDrift | undefined;
  const base = {
    url: opts.url,
    profile: profile,
    api: opts.api,
    commandLatency: { dist: 'fixed' as const, ms: 0 },
    idPrefix: `lt-${baseProfile.name}`,
    durationS: 24 * 3600, // bounded by the load test's own schedule; stop() ends it
    seed: opts.seed ?? 1,
  };

  if (opts.mode === 'load') {
    const start = opts.startDevices ?? 100;
    const factor = opts.factor ?? 2;
    const max = opts.maxDevices ?? 10_000;
    const stepS = opts.stepS ?? 10;
    if (!(factor > 1)) throw SimErrors.optionInvalid('--factor', `must be > 1, got ${factor}`);
    const sim = await startSimulation({ ...base, devices: start });
    const commands =
      latencyMetric === 'command' && opts.api
        ? new CommandDriver(sim, opts.api, commandTimeoutMs)
        : undefined;
    try {
      for (let target = start; ; target = Math.min(max, Math.ceil(target * factor))) {
        if (target > sim.counters.devices)
          await sim.addDevices(target - sim.counters.devices, Math.min(5, stepS / 2));
        try {
          await sim.waitOnline(target, connectTimeoutMs);
        } catch (err) {
          notes.push(`step ${target}: ${err instanceof Error ? err.message : String(err)}`);
        }
        commands?.start(opts.commandRate ?? Math.min(200, Math.max(1, target / 50)));
        const { window } = await measureWindow(sim, stepS, objectives, maxErrorRate, commands, opts.api);
        if (window.online < target) window.broken.push(`only ${window.online} of ${target} devices online`);
        steps.push(window);
        const p = window.command ?? window.publish;
        log(
          `step ${steps.length}: ${window.devices} devices, ${window.msgPerSec} msg/s, ${latencyMetric} p99 ${fmt(p.p99)} ms, errors ${(window.errorRate * 100).toFixed(2)}%${window.broken.length ? ` — broken: ${window.broken.join('; ')}` : ''}`,
        );
        if (window.broken.length > 0) break;
        lastGood = window;
        if (target >= max) {
          notes.push(`reached --max-devices ${max} without breaking the SLO`);
          break;
        }
      }
    } finally {
      await commands?.drain();
      await sim.stop();
    }
  } else if (opts.mode === 'spike') {
    const n = opts.devices ?? 1000;
    const withinS = opts.withinS ?? 10;
    const sim = await startSimulation({ ...base, devices: n, connectWithinS: withinS, timeoutMs: 30_000 });
    let timeToAll: number | null = null;
    try {
      await sim.waitOnline(n, withinS * 1000 + connectTimeoutMs);
      timeToAll = performance.now() - sim.connectsStartedAt;
    } catch (err) {
      notes.push(err instanceof Error ? err.message : String(err));
    }
    const samples = sim.latency.connect.take();
    const half = Math.floor(samples.length / 2);
    spike = {
      devices: n,
      withinS,
      connected: sim.counters.online,
      connects: sim.counters.connects,
      connectFailures: sim.counters.connectFailures,
      connectErrors: { ...sim.counters.connectErrors },
      unexpectedDisconnects: sim.counters.unexpectedDisconnects,
      timeToAllConnectedMs: timeToAll === null ? null : Math.round(timeToAll),
      connect: summarize(samples),
      p99Halves: [summarize(samples.slice(0, half)).p99, summarize(samples.slice(half)).p99],
      clientRssBytes: process.memoryUsage().rss,
      broken: [],
    };
    spike.broken = brokenObjectives(objectives, { connect: spike.connect }).map((o) => o.text);
    if (timeToAll === null)
      spike.broken.push(`not every device was online within ${withinS} s + ${connectTimeoutMs / 1000} s`);
    lastGood = null;
    log(
      `spike: ${spike.connected}/${n} connected, ${spike.connectFailures} failed attempts, all online after ${timeToAll === null ? 'never' : `${Math.round(timeToAll)} ms`}, connect p50 ${fmt(spike.connect.p50)} ms p99 ${fmt(spike.connect.p99)} ms`,
    );
    await sim.stop();
  } else {
    const n = opts.devices ?? 100;
    const durationS = opts.durationS ?? 60;
    const windows = opts.windows ?? 6;
    const sim = await startSimulation({ ...base, devices: n });
    const commands =
      latencyMetric === 'command' && opts.api
        ? new CommandDriver(sim, opts.api, commandTimeoutMs)
        : undefined;
    const t0 = performance.now();
    const at: number[] = [];
    try {
      await sim.waitOnline(n, connectTimeoutMs).catch((err: unknown) => {
        notes.push(err instanceof Error ? err.message : String(err));
      });
      commands?.start(opts.commandRate ?? Math.min(200, Math.max(1, n / 50)));
      for (let w = 0; w < windows; w++) {
        const { window } = await measureWindow(
          sim,
          durationS / windows,
          objectives,
          maxErrorRate,
          commands,
          opts.api,
        );
        steps.push(window);
        at.push((performance.now() - t0) / 60_000);
        const p = window.command ?? window.publish;
        log(
          `window ${w + 1}/${windows}: ${window.msgPerSec} msg/s, ${latencyMetric} p99 ${fmt(p.p99)} ms, client RSS ${(window.clientRssBytes / 1048576).toFixed(1)} MiB${window.serverRssBytes ? `, server RSS ${(window.serverRssBytes / 1048576).toFixed(1)} MiB` : ''}`,
        );
      }
    } finally {
      await commands?.drain();
      await sim.stop();
    }
    const first = steps[0];
    const last = steps[steps.length - 1];
    const p99 = (w: Window): number => (w.command ?? w.publish).p99;
    const serverRss = steps.map((s) => s.serverRssBytes);
    soak = {
      p99Change: first && last && p99(first) > 0 ? (p99(last) - p99(first)) / p99(first) : 0,
      clientRssSlopeBytesPerMin: Math.round(
        slope(
          at,
          steps.map((s) => s.clientRssBytes),
        ),
      ),
      ...(serverRss.every((v) => v !== undefined) && serverRss.length > 1
        ? { serverRssSlopeBytesPerMin: Math.round(slope(at, serverRss)) }
        : {}),
    };
    lastGood = steps.every((s) => s.broken.length === 0) ? (last ?? null) : null;
  }

  const result: Omit<LoadtestResult, 'metrics'> = {
    tool: 'tsunagu loadtest',
    version: 1,
    mode: opts.mode,
    startedAt,
    url: opts.url,
    profile: baseProfile.name,
    latencyMetric,
    slo: objectives.map((o) => `${o.quantile} ${o.metric} latency < ${o.thresholdMs}ms`),
    notes,
    options: {
      ratePerDevice: rate ?? 'profile',
      ...pick(opts, [
        'startDevices',
        'factor',
        'maxDevices',
        'stepS',
        'maxErrorRate',
        'commandRate',
        'devices',
        'withinS',
        'durationS',
        'windows',
      ]),
      api: opts.api ? opts.api.url : null,
    },
    steps,
    lastGood,
    ...(spike ? { spike } : {}),
    ...(soak ? { soak } : {}),
  };
  return { ...result, metrics: resultMetrics(result) };
}

function pick(o: LoadtestOptions, keys: (keyof LoadtestOptions)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
