/**
 * `tsunagu bench rules`: what the rules engine adds to a message, and whether it grows with the
 * number of rules that do not match. The broker (in process, no sockets) receives messages at a
 * fixed rate (default 10,000/s) on `bench/<device>/t`; 10 rules select from filters that match
 * every message (with a WHERE clause and a SELECT of three expressions) and the rest select from
 * filters that share the first levels but never match (`bench/+/h<i>`, `site<i>/#`), so the
 * broker's topic trie, not a scan, must keep them out of the path.
 *
 * Runs: no rules (the peer baseline), 1,000 rules and 10,000 rules. Per run: CPU time per message
 * (process.cpuUsage ÷ messages, the driver loop included), publish-to-routed latency p50/p99 per
 * message, and the 10,000/1,000 ratio (goal ≤ 1.2). Matching rules here have no actions, so the
 * figures are matching + evaluation; action delivery goes through the persisted queue (a database
 * write per match) and is measured apart from this benchmark.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { DEFAULT_LIMITS, defaultConfig, EventBus, silentLogger, systemClock } from '../core/index.js';
import type { DeviceDirectory } from '../core/index.js';
import type { ModuleContext } from '../platform/index.js';
import { createBroker } from '../mqtt/index.js';
import { createRules, type RulesModule } from '../rules/index.js';
import { openSqlite } from '../store/index.js';

export interface RulesBenchRun {
  rules: number;
  matching: number;
  messages: number;
  cpuUsPerMessage: number;
  p50Us: number;
  p99Us: number;
  evaluationsPerMessage: number;
}

export interface RulesBenchResult {
  runs: RulesBenchRun[];
  /** CPU per message, 10,000 rules ÷ 1,000 rules. */
  cpuRatio: number;
  /** p99 added latency (over the no-rules run), 10,000 rules ÷ 1,000 rules. */
  p99AddedRatio: number;
}

const emptyDirectory: DeviceDirectory = {
  getDevice: () => Promise.resolve(undefined),
  getModel: () => Promise.resolve(undefined),
  async *listDevices() {},
};

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

async function run(
  total: number,
  matching: number,
  rate: number,
  seconds: number,
  devices: number,
): Promise<RulesBenchRun> {
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-bench-rules-'));
  const db = openSqlite(join(dir, 'bench.db'));
  const broker = createBroker({
    db: openSqlite(':memory:'),
    clock: systemClock,
    log: silentLogger,
    limits: { ...DEFAULT_LIMITS },
    allowAnonymous: true,
    nodeId: 'bench',
    sysIntervalMs: 0,
  });
  await broker.start();
  const ctx: ModuleContext = {
    config: { ...defaultConfig(), dataDir: dir },
    db,
    bus: new EventBus(silentLogger),
    clock: systemClock,
    log: silentLogger,
    broker,
    metrics: new Registry(),
  };
  const rules = await createRules(ctx, emptyDirectory, { limits: { maxRules: total + 1 } });
  await rules.start!();
  const system = { kind: 'system' as const, id: 'bench' };
  try {
    for (let i = 0; i < total; i++) {
      const sql =
        i < matching
          ? `SELECT temp * 1.8 + 32 AS f, topic(2) AS device, upper(mode) AS mode FROM 'bench/+/t' WHERE temp > ${i - 100}`
          : i % 2 === 0
            ? `SELECT * FROM 'bench/+/h${i}' WHERE temp > 0`
            : `SELECT * FROM 'site${i}/#'`;
      await rules.service.create({ name: `r${i}`, sql, actions: [] }, system);
    }
    const payloads = Array.from({ length: 64 }, (_, i) =>
      Buffer.from(JSON.stringify({ temp: 20 + (i % 10), mode: 'eco', seq: i })),
    );
    const perTick = Math.max(1, Math.round(rate / 100));
    const ticks = Math.round(seconds * 100);
    const lat: number[] = [];
    // Warm-up (JIT, trie cache) outside the measurement.
    for (let i = 0; i < 2000; i++)
      await broker.publish({ topic: `bench/dev-${i % devices}/t`, payload: payloads[i % 64]! });
    const before = await evaluatedSum(rules);
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    let n = 0;
    for (let t = 0; t < ticks; t++) {
      for (let k = 0; k < perTick; k++, n++) {
        const t0 = process.hrtime.bigint();
        await broker.publish({ topic: `bench/dev-${n % devices}/t`, payload: payloads[n % 64]! });
        lat.push(Number(process.hrtime.bigint() - t0) / 1000);
      }
      const due = start + (t + 1) * 10;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const cpu = process.cpuUsage(cpu0);
    lat.sort((a, b) => a - b);
    return {
      rules: total,
      matching: Math.min(matching, total),
      messages: n,
      cpuUsPerMessage: (cpu.user + cpu.system) / n,
      p50Us: quantile(lat, 0.5),
      p99Us: quantile(lat, 0.99),
      evaluationsPerMessage: ((await evaluatedSum(rules)) - before) / n,
    };
  } finally {
    await rules.stop!();
    await broker.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Evaluations counted by the matching rules (the others must stay at 0: the trie keeps them out). */
async function evaluatedSum(rules: RulesModule): Promise<number> {
  let s = 0;
  for (const r of await rules.service.list()) s += r.metrics.evaluated;
  return s;
}

export async function benchRules(
  opts: {
    rate?: number;
    seconds?: number;
    devices?: number;
    matching?: number;
    print?: (line: string) => void;
  } = {},
): Promise<RulesBenchResult> {
  const rate = opts.rate ?? 10_000;
  const seconds = opts.seconds ?? 3;
  const devices = opts.devices ?? 1000;
  const matching = opts.matching ?? 10;
  const print = opts.print ?? ((l: string) => process.stdout.write(l + '\n'));
  print(`rules bench: ${rate} msg/s for ${seconds} s, ${matching} matching rules, ${devices} device topics`);
  print('rules   matching  messages  evals/msg  CPU µs/msg  p50 µs  p99 µs');
  const runs: RulesBenchRun[] = [];
  for (const total of [0, 1000, 10_000]) {
    const r = await run(total, total === 0 ? 0 : matching, rate, seconds, devices);
    runs.push(r);
    print(
      `${String(r.rules).padStart(5)}  ${String(r.matching).padStart(8)}  ${String(r.messages).padStart(8)}  ${r.evaluationsPerMessage.toFixed(1).padStart(9)}  ${r.cpuUsPerMessage.toFixed(1).padStart(10)}  ${r.p50Us.toFixed(1).padStart(6)}  ${r.p99Us.toFixed(1).padStart(6)}`,
    );
  }
  const [base, k1, k10] = runs as [RulesBenchRun, RulesBenchRun, RulesBenchRun];
  const cpuRatio = k10.cpuUsPerMessage / k1.cpuUsPerMessage;
  const added = (r: RulesBenchRun): number => Math.max(0.1, r.p99Us - base.p99Us);
  const p99AddedRatio = added(k10) / added(k1);
  print(`CPU per message, 10,000 rules / 1,000 rules: ${cpuRatio.toFixed(2)}× (goal ≤ 1.2×)`);
  print(
    `p99 added latency (over no rules), 10,000 / 1,000: ${p99AddedRatio.toFixed(2)}× (${added(k1).toFixed(1)} µs → ${added(k10).toFixed(1)} µs)`,
  );
  return { runs, cpuRatio, p99AddedRatio };
}
