/**
 * `tsunagu bench health`: 1,000,000 devices with one heartbeat per minute each (≈16,700/s) through
 * the health engine's sign-of-life entry point, with state changes written to a real SQLite file
 * and a share of devices going silent so deadlines fire. (Last-seen is persisted by presence in the
 * registry's batches since issue 23, not by health: this no longer includes those writes.)
 *
 * Time is compressed: a ManualClock advances in 100 ms steps and each step delivers the heartbeats
 * due in it, as fast as the CPU allows. CPU share of one core = CPU time used (process.cpuUsage,
 * user + system, including this driver loop) ÷ simulated time. Deadline delay = simulated time from
 * the deadline to the wheel firing (≤ 250 ms by design: 250 ms buckets) + the real time spent
 * processing the bucket before that device's state change. A peer run prints the cost of the naive
 * alternative (scan every device once per second) on the same in-memory fleet.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { EventBus, ManualClock, silentLogger } from '../core/index.js';
import { openSqlite } from '../store/index.js';
import { HealthEngine } from './engine.js';
import { createSqliteHealthStore } from './sqlite-health-store.js';

export interface HealthBenchResult {
  devices: number;
  simulatedSeconds: number;
  heartbeats: number;
  cpuShareOfOneCore: number;
  wallSeconds: number;
  rssMb: number;
  heapUsedMb: number;
  expired: number;
  delayP50Ms: number;
  delayP99Ms: number;
  delayMaxMs: number;
  naiveScanCpuShare: number;
}

/** Memory after a full collection, so garbage from the run does not count as fleet state. */
function memoryAfterGc(): NodeJS.MemoryUsage {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
  return process.memoryUsage();
}

export async function benchHealth(
  opts: { devices?: number; minutes?: number; silentShare?: number; print?: (line: string) => void } = {},
): Promise<HealthBenchResult> {
  const n = opts.devices ?? 1_000_000;
  const minutes = opts.minutes ?? 4;
  const silentShare = opts.silentShare ?? 0.02;
  const print = opts.print ?? ((l: string) => process.stdout.write(l + '\n'));
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-bench-health-'));
  const db = openSqlite(join(dir, 'bench.db'));
  try {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const bus = new EventBus(silentLogger);
    let checked = 0;
    let changes = 0;
    bus.on('heartbeat.checked', () => checked++);
    bus.on('service-state.changed', () => changes++);
    const store = await createSqliteHealthStore(db);
    const engine = new HealthEngine({ clock, bus, log: silentLogger, store, flushIntervalMs: 5000 });
    const interval = 60_000;
    const hb = { intervalMs: interval, graceMs: 30_000, signOfLife: 'heartbeat' as const };
    const noTags: string[] = [];
    const t0 = clock.now();
    const ids: string[] = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      ids[i] = `dev-${i}`;
      engine.track(ids[i]!, 'scooter', noTags, hb, {
        lastSeen: t0 - interval + Math.floor((i * interval) / n),
      });
    }
    await engine.start();
    await engine.listenersOpen();
    const delays: number[] = [];
    let bucketStart = 0;
    let bucketSim = 0;
    engine.onExpired = (deadline, now) => {
      if (now !== bucketSim) {
        bucketSim = now;
        bucketStart = performance.now();
      }
      delays.push(now - deadline + (performance.now() - bucketStart));
    };
    // Devices with index % silentEvery === 0 stop sending after the first simulated minute.
    const silentEvery = Math.max(1, Math.round(1 / silentShare));
    const step = 100;
    const perStep = (n * step) / interval;
    const totalSteps = (minutes * interval) / step;
    let heartbeats = 0;
    let cursor = 0;
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    for (let s = 0; s < totalSteps; s++) {
      clock.advance(step);
      const now = clock.now();
      const silentNow = now - t0 > interval;
      const upto = Math.round((s + 1) * perStep);
      for (; cursor < upto; cursor++) {
        const i = cursor % n;
        if (silentNow && i % silentEvery === 0) continue;
        // Spread arrival times inside the step so deadlines do not line up with bucket edges.
        engine.signOfLife(ids[i]!, now - ((cursor * 7919) % step), 'heartbeat');
        heartbeats++;
      }
      // Let batched writes (promise continuations) run, as the event loop would between messages.
      await new Promise<void>((r) => setImmediate(r));
    }
    await engine.flush();
    const cpu = process.cpuUsage(cpu0);
    const wallSeconds = (performance.now() - wall0) / 1000;
    const simulatedSeconds = (minutes * interval) / 1000;
    const mem = memoryAfterGc();
    // Peer: the naive design scans the whole fleet once per second.
    const scan0 = process.cpuUsage();
    let due = 0;
    const scans = 5;
    for (let k = 0; k < scans; k++)
      for (const d of engine.devices.values())
        if (d.lastSeen + hb.intervalMs + hb.graceMs <= clock.now()) due++;
    const scanCpu = process.cpuUsage(scan0);
    await engine.stop();
    delays.sort((a, b) => a - b);
    const pct = (p: number): number =>
      delays[Math.min(delays.length - 1, Math.floor(p * delays.length))] ?? 0;
    const result: HealthBenchResult = {
      devices: n,
      simulatedSeconds,
      heartbeats,
      cpuShareOfOneCore: (cpu.user + cpu.system) / 1000 / (simulatedSeconds * 1000),
      wallSeconds,
      rssMb: mem.rss / 2 ** 20,
      heapUsedMb: mem.heapUsed / 2 ** 20,
      expired: delays.length,
      delayP50Ms: pct(0.5),
      delayP99Ms: pct(0.99),
      delayMaxMs: delays[delays.length - 1] ?? 0,
      naiveScanCpuShare: (scanCpu.user + scanCpu.system) / 1000 / scans / 1000,
    };
    print(
      `health bench: ${n.toLocaleString('en')} devices, 1 heartbeat/min each, ${minutes} simulated min (${heartbeats.toLocaleString('en')} heartbeats, ${checked.toLocaleString('en')} heartbeat.checked, ${changes.toLocaleString('en')} state changes, ${due / scans} found by each peer scan)`,
    );
    print(
      `  CPU share of one core   ${(result.cpuShareOfOneCore * 100).toFixed(1)} %   (goal < 25 %; wall ${wallSeconds.toFixed(1)} s for ${simulatedSeconds} s simulated)`,
    );
    print(
      `  memory                  rss ${result.rssMb.toFixed(0)} MB, heap used ${result.heapUsedMb.toFixed(0)} MB`,
    );
    print(
      `  deadline → out delay    p50 ${result.delayP50Ms.toFixed(0)} ms, p99 ${result.delayP99Ms.toFixed(0)} ms, max ${result.delayMaxMs.toFixed(0)} ms over ${delays.length.toLocaleString('en')} expiries (goal p99 < 1000 ms)`,
    );
    print(
      `  peer: scan fleet each s ${(result.naiveScanCpuShare * 100).toFixed(1)} % of a core for the scan alone`,
    );
    return result;
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
