/**
 * `tsunagu bench reconnect`: a fleet of credentialed devices connects all at once to a freshly
 * started broker, the broker is killed with SIGKILL and restarted on the same data, and the whole
 * fleet reconnects at once again — one try per device, no retries, so every timeout or refusal
 * shows. Tsunagu (`tsunagu start`, SQLite) beside Mosquitto with a password file, same clients.
 * Then the wrong-password flood (bench-flood.ts). Numbers, not assertions (STYLE.md rule 12).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite, sqliteAsyncTransaction } from '../store/index.js';
import type { Attempt, Device } from './bench-clients.js';
import { benchFlood, type FloodResult } from './bench-flood.js';
import {
  clientWorker,
  mosquittoProc,
  tsunaguProc,
  type BrokerProc,
  type ClientWorker,
} from './bench-procs.js';
import { hashGeneratedSecret, newDeviceSecret } from './secrets.js';
import { openRegistryStore } from './registry-store.js';
import type { Device as DeviceRow } from './types.js';

export interface ReconnectBenchOptions {
  devices?: number;
  /** Source addresses the fleet comes from (127.0.1.1 …). */
  addresses?: number;
  workers?: number;
  /** Comma-separated: tsunagu, mosquitto. */
  brokers?: string;
  /** A device that has no CONNACK after this counts as a timeout (mqtt.js's default is 30 s). */
  timeoutMs?: number;
  /** Concurrent wrong-password CONNECTs in the flood phase (0 = skip it). */
  flood?: number;
  floodSeconds?: number;
  /** Write a CPU profile of each Tsunagu process into this directory. */
  cpuProf?: string;
  print?: (line: string) => void;
}

export interface HerdResult {
  ok: number;
  refused: Record<string, number>;
  timeouts: number;
  errors: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
}

export interface ReconnectBenchResult {
  brokers: Record<string, { restartMs: number; first: HerdResult; afterKill: HerdResult }>;
  flood?: FloodResult[];
}

const pct = (sorted: number[], p: number): number =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : 0;

async function herd(
  workers: ClientWorker[],
  port: number,
  fleet: Device[][],
  timeoutMs: number,
): Promise<HerdResult> {
  const t0 = performance.now();
  const replies = await Promise.all(
    workers.map((w, i) => w.request({ cmd: 'herd', port, devices: fleet[i]!, timeoutMs }, 'herd-done')),
  );
  const seconds = (performance.now() - t0) / 1000;
  const all: Attempt[] = replies.flatMap((r) => r.attempts);
  const refused: Record<string, number> = {};
  for (const a of all) if (a.code > 0) refused[a.code] = (refused[a.code] ?? 0) + 1;
  const ms = all
    .filter((a) => a.code === 0)
    .map((a) => a.ms)
    .sort((a, b) => a - b);
  return {
    ok: ms.length,
    refused,
    timeouts: all.filter((a) => a.code === -1).length,
    errors: all.filter((a) => a.code === -2).length,
    seconds,
    p50Ms: pct(ms, 0.5),
    p99Ms: pct(ms, 0.99),
  };
}

async function allClosed(workers: ClientWorker[]): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const open = await Promise.all(workers.map((w) => w.request({ cmd: 'count-open' }, 'open')));
    if (open.every((o) => o.open === 0)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('clients still see open connections 60 s after kill -9');
}

/** Devices and their sha256$ credentials written straight into the data directory's SQLite. */
async function provisionTsunagu(dir: string, devices: Device[]): Promise<void> {
  const db = openSqlite(join(dir, 'tsunagu.db'));
  try {
    const store = await openRegistryStore(db);
    const rows: DeviceRow[] = devices.map((d) => ({
      id: d.id,
      model: null,
      name: d.id,
      tags: [],
      attributes: {},
      enabled: true,
      createdAt: 1,
      updatedAt: 1,
    }));
    for (let i = 0; i < rows.length; i += 5000) await store.putDevices(rows.slice(i, i + 5000));
    await sqliteAsyncTransaction(db.db, async () => {
      for (const d of devices)
        await store.putCredential({
          id: `cred_${d.id}`,
          deviceId: d.id,
          kind: 'password',
          username: d.username,
          secretHash: hashGeneratedSecret(d.secret),
          fingerprint: null,
          createdAt: 1,
          expiresAt: null,
          revokedAt: null,
        });
    });
  } finally {
    await db.close();
  }
}

function line(name: string, phase: string, r: HerdResult, n: number, extra = ''): string {
  const refused = Object.entries(r.refused)
    .map(([c, k]) => `${k}×rc${c}`)
    .join(' ');
  return (
    `  ${name.padEnd(10)} ${phase.padEnd(14)} first try ${String(r.ok).padStart(6)}/${n} ` +
    `(${((r.ok / n) * 100).toFixed(1)}%)  all done in ${r.seconds.toFixed(2)} s = ${(n / r.seconds).toFixed(0)}/s  ` +
    `CONNACK p50 ${r.p50Ms.toFixed(0)} ms p99 ${r.p99Ms.toFixed(0)} ms  timeouts ${r.timeouts} errors ${r.errors}` +
    `${refused ? ' refused ' + refused : ''}${extra}`
  );
}

export async function benchReconnect(opts: ReconnectBenchOptions = {}): Promise<ReconnectBenchResult> {
  const n = opts.devices ?? 10_000;
  const addresses = opts.addresses ?? 50;
  const nWorkers = opts.workers ?? 4;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const names = String(opts.brokers ?? 'tsunagu,mosquitto')
    .split(',')
    .filter((b) => b !== '' && b !== 'none');
  const print = opts.print ?? ((l: string) => process.stdout.write(l + '\n'));

  const devices: Device[] = Array.from({ length: n }, (_, i) => ({
    id: `rc-${i}`,
    username: `rc-${i}`,
    secret: newDeviceSecret(),
    local: `127.0.1.${1 + (i % addresses)}`,
  }));
  const fleet: Device[][] = Array.from({ length: nWorkers }, (_, w) =>
    devices.filter((_d, i) => i % nWorkers === w),
  );
  const workers = Array.from({ length: nWorkers }, clientWorker);
  const result: ReconnectBenchResult = { brokers: {} };
  print(
    `reconnect bench: ${n} devices with passwords from ${addresses} source addresses, ${nWorkers} client workers, ` +
      `all CONNECT at once, one try each (timeout ${timeoutMs / 1000} s), MQTT 3.1.1 clean session`,
  );
  try {
    for (const name of names) {
      let broker: BrokerProc;
      let dir: string | undefined;
      if (name === 'tsunagu') {
        dir = mkdtempSync(join(tmpdir(), 'tsunagu-reconnect-'));
        await provisionTsunagu(dir, devices);
        broker = await tsunaguProc(dir, opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProf}`] : []);
      } else if (name === 'mosquitto') {
        const m = await mosquittoProc(devices);
        print(`  mosquitto: ${m.version}, password_file hashed by mosquitto_passwd -U`);
        broker = m;
      } else throw new Error(`unknown broker "${name}" (tsunagu, mosquitto)`);
      try {
        const startMs = await broker.start();
        const first = await herd(workers, broker.port, fleet, timeoutMs);
        print(line(name, 'fresh start', first, n, `  (start ${(startMs / 1000).toFixed(1)} s)`));
        await broker.kill9();
        await allClosed(workers);
        const restartMs = await broker.start();
        const afterKill = await herd(workers, broker.port, fleet, timeoutMs);
        print(line(name, 'after kill -9', afterKill, n, `  (restart ${(restartMs / 1000).toFixed(1)} s)`));
        result.brokers[name] = { restartMs, first, afterKill };
        await Promise.all(workers.map((w) => w.request({ cmd: 'close-all' }, 'closed')));
      } finally {
        await broker.stop();
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    }
    if ((opts.flood ?? 400) > 0)
      result.flood = await benchFlood({
        concurrency: opts.flood ?? 400,
        seconds: opts.floodSeconds ?? 10,
        attacker: workers[0]!,
        legit: workers[1 % nWorkers]!,
        print,
      });
  } finally {
    for (const w of workers) w.close();
  }
  return result;
}
