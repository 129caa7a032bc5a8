/**
 * `tsunagu bench slo`: 200 SLOs with 30-day windows over a fleet of 100,000 devices, 30 days of
 * per-minute counters synthesized straight into the store. Measures what the engine does every
 * minute (status and alerts for every SLO) and the status query latency, beside a peer run that
 * computes the same status by scanning the stored counters (what the prefix sums avoid). Wall time
 * and this process's CPU time are both printed: on a shared machine the wall time includes waiting
 * for a core.
 *
 * Options: --slos N (200) --days N (30) --devices N (100000) --database sqlite|postgres://… (sqlite,
 * in a temporary directory) --evaluations N (20) --queries N (10000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Fastify from 'fastify';
import { type DeviceDirectory, EventBus, ManualClock } from '../core/index.js';
import { openDatabase } from '../store/index.js';
import { budgetRemaining, MINUTE } from './budget.js';
import { parseSloDefinition, Reader } from './definition.js';
import { SloEngine } from './service.js';
import { openSloStore } from './open-slo-store.js';
import { sloRoutes } from './routes.js';
import type { CounterRow } from './slo-store.js';
import type { SloDefinition } from './types.js';

export interface BenchSloResult {
  slos: number;
  days: number;
  devices: number;
  counterRows: number;
  seedSeconds: number;
  loadSeconds: number;
  /** wall clock per evaluation of every SLO, and CPU time of this process for it */
  evaluateMs: { mean: number; p50: number; max: number; cpuMean: number };
  statusUs: { p50: number; p99: number; max: number; cpuP50: number; cpuP99: number };
  /** GET /api/v1/slos/{name}/status through Fastify (inject, no socket, no auth) */
  httpStatusMs: { p50: number; p99: number; cpuP50: number; cpuP99: number };
  scanStatusMs: { mean: number; max: number };
  heapMiB: number;
}

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

/** Deterministic pseudo-random numbers (mulberry32), so runs are comparable. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS = ['heartbeat', 'command-success', 'availability', 'hardware-health', 'decode-health'] as const;

function definitions(n: number): SloDefinition[] {
  const r = new Reader(true);
  return Array.from({ length: n }, (_, i) =>
    parseSloDefinition(
      {
        name: `bench-${i}`,
        sli: { type: KINDS[i % KINDS.length], selector: { model: `model-${i % 10}` } },
        target: [0.99, 0.995, 0.999][i % 3],
        window: i % 4 === 3 ? { calendar: 'month', timeZone: 'Europe/Berlin' } : { rolling: '30d' },
        ...(i % 5 === 4 ? { budgeting: { method: 'timeslices', sliceTarget: 0.99 } } : {}),
      },
      `slos[${i}]`,
      r,
    ),
  );
}

export async function benchSlo(args: string[] = []): Promise<BenchSloResult> {
  const nSlos = Number(arg(args, 'slos', '200'));
  const days = Number(arg(args, 'days', '30'));
  const devices = Number(arg(args, 'devices', '100000'));
  const evaluations = Number(arg(args, 'evaluations', '20'));
  const queries = Number(arg(args, 'queries', '10000'));
  const database = arg(args, 'database', 'sqlite');
  const out = (s: string): boolean => process.stdout.write(`${s}\n`);

  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-bench-slo-'));
  const db = await openDatabase(database, dir);
  try {
    const store = await openSloStore(db);
    const defs = definitions(nSlos);
    const start = Date.UTC(2026, 2, 1); // spans the end of March: Berlin's DST change
    const minutes = days * 1440;
    const end = start + minutes * MINUTE;
    const clock = new ManualClock(end);
    const rand = rng(42);
    for (const d of defs) await store.putSlo(d, end);

    out(
      `seeding ${nSlos} SLOs × ${minutes} minutes = ${(nSlos * minutes).toLocaleString('en')} counter rows (${database})`,
    );
    const t0 = performance.now();
    const perModel = devices / 10;
    let rows: CounterRow[] = [];
    const firstMinute = start / MINUTE;
    for (const d of defs) {
      for (let m = 0; m < minutes; m++) {
        // About one event per device and minute per SLO's model (heartbeats, availability).
        const total = d.sli.type === 'command-success' ? Math.round(perModel / 50) : perModel;
        const bad = rand() < 0.02 ? Math.floor(total * rand() * 0.05) : Math.floor(total * 0.0005 * rand());
        rows.push({ sloId: d.name, minute: firstMinute + m, good: total - bad, total });
        if (rows.length >= 50_000) {
          await store.addCounters(rows);
          rows = [];
        }
      }
    }
    await store.addCounters(rows);
    const seedSeconds = (performance.now() - t0) / 1000;
    out(`seeded in ${seedSeconds.toFixed(1)} s`);

    const directory: DeviceDirectory = {
      getDevice: () => Promise.resolve(undefined),
      getModel: () => Promise.resolve(undefined),
      listDevices: async function* () {},
    };
    const engine = new SloEngine({
      store,
      bus: new EventBus(),
      clock,
      directory,
      flushIntervalMs: 3_600_000,
    });
    const t1 = performance.now();
    await engine.start();
    const loadSeconds = (performance.now() - t1) / 1000;
    out(`engine loaded ${nSlos} SLOs (prefix sums) in ${loadSeconds.toFixed(1)} s`);

    // Every minute: new counts for the minute that just completed, then evaluate all SLOs.
    const evalTimes: number[] = [];
    const evalCpu: number[] = [];
    for (let i = 0; i < evaluations; i++) {
      const minute = Math.floor(clock.now() / MINUTE);
      for (const d of defs) engine.count(d.name, minute, perModel - 3, perModel);
      clock.set(clock.now() + MINUTE - 1); // timers (flush) run outside the measured section
      clock.advance(1);
      const c = process.cpuUsage();
      const t = performance.now();
      engine.evaluate();
      evalTimes.push(performance.now() - t);
      const used = process.cpuUsage(c);
      evalCpu.push((used.user + used.system) / 1000);
    }
    evalTimes.sort((a, b) => a - b);
    const evaluateMs = {
      mean: evalTimes.reduce((a, b) => a + b, 0) / evalTimes.length,
      p50: pct(evalTimes, 50),
      max: evalTimes[evalTimes.length - 1] ?? 0,
      cpuMean: evalCpu.reduce((a, b) => a + b, 0) / evalCpu.length,
    };
    out(
      `evaluate all ${nSlos} SLOs (status + alert tiers): wall mean ${evaluateMs.mean.toFixed(2)} ms, p50 ${evaluateMs.p50.toFixed(2)} ms, max ${evaluateMs.max.toFixed(2)} ms; CPU mean ${evaluateMs.cpuMean.toFixed(2)} ms`,
    );

    const lat: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < queries; i++) {
      const name = defs[Math.floor(rand() * defs.length)]!.name;
      const c = process.cpuUsage();
      const t = performance.now();
      engine.status(name);
      lat.push((performance.now() - t) * 1000);
      const used = process.cpuUsage(c);
      cpu.push(used.user + used.system);
    }
    lat.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    const statusUs = {
      p50: pct(lat, 50),
      p99: pct(lat, 99),
      max: lat[lat.length - 1] ?? 0,
      cpuP50: pct(cpu, 50),
      cpuP99: pct(cpu, 99),
    };
    out(
      `status query (engine): wall p50 ${statusUs.p50.toFixed(1)} µs, p99 ${statusUs.p99.toFixed(1)} µs, max ${statusUs.max.toFixed(1)} µs; CPU p50 ${statusUs.cpuP50} µs, p99 ${statusUs.cpuP99} µs`,
    );

    const http = Fastify();
    await http.register(async (api) => sloRoutes(engine, store, () => clock.now(), directory)(api), {
      prefix: '/api/v1',
    });
    const httpLat: number[] = [];
    const httpCpu: number[] = [];
    const n = Math.min(queries, 2000);
    for (let i = -200; i < n; i++) {
      // The first 200 requests warm up (route compilation, serializers) and are not measured.
      const name = defs[Math.floor(rand() * defs.length)]!.name;
      const c = process.cpuUsage();
      const t = performance.now();
      const res = await http.inject({ method: 'GET', url: `/api/v1/slos/${name}/status` });
      const used = process.cpuUsage(c);
      if (i >= 0) {
        httpLat.push(performance.now() - t);
        httpCpu.push((used.user + used.system) / 1000);
      }
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${res.body}`);
    }
    await http.close();
    httpLat.sort((a, b) => a - b);
    httpCpu.sort((a, b) => a - b);
    const httpStatusMs = {
      p50: pct(httpLat, 50),
      p99: pct(httpLat, 99),
      cpuP50: pct(httpCpu, 50),
      cpuP99: pct(httpCpu, 99),
    };
    out(
      `status query over HTTP (inject): wall p50 ${httpStatusMs.p50.toFixed(2)} ms, p99 ${httpStatusMs.p99.toFixed(2)} ms; CPU p50 ${httpStatusMs.cpuP50.toFixed(2)} ms, p99 ${httpStatusMs.cpuP99.toFixed(2)} ms`,
    );

    // Peer: the same SLI/budget by scanning the window's stored counters.
    const scans: number[] = [];
    for (let i = 0; i < Math.min(5, defs.length); i++) {
      const d = defs[i]!;
      const t = performance.now();
      const e = Math.floor(clock.now() / MINUTE);
      const rowsRead = await store.readCounters(d.name, e - 43_200, e);
      let good = 0;
      let total = 0;
      for (const r of rowsRead) {
        good += r.good;
        total += r.total;
      }
      budgetRemaining({ good, total }, d.target);
      scans.push(performance.now() - t);
    }
    const scanStatusMs = {
      mean: scans.reduce((a, b) => a + b, 0) / Math.max(1, scans.length),
      max: Math.max(...scans),
    };
    out(
      `peer: status by scanning 43,200 stored counter rows: mean ${scanStatusMs.mean.toFixed(1)} ms, max ${scanStatusMs.max.toFixed(1)} ms per SLO`,
    );
    const heapMiB = process.memoryUsage().heapUsed / 2 ** 20 + process.memoryUsage().arrayBuffers / 2 ** 20;
    out(`memory: heap + array buffers ${heapMiB.toFixed(0)} MiB`);
    await engine.stop();
    return {
      slos: nSlos,
      days,
      devices,
      counterRows: nSlos * minutes,
      seedSeconds,
      loadSeconds,
      evaluateMs,
      statusUs,
      httpStatusMs,
      scanStatusMs,
      heapMiB,
    };
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
