/**
 * `tsunagu bench shadows`: shadow updates per second end to end — a device publishes
 * `$aws/things/{id}/shadow/update` (QoS 1) and waits for its `/update/accepted`, which the
 * platform sends only after the SQLite (or PostgreSQL) commit. N connected mqtt.js devices run
 * closed loops concurrently. Prints throughput and latency percentiles.
 */
import { performance } from 'node:perf_hooks';
import type { MqttClient } from 'mqtt';
import type { App } from '../app.js';
import { parseCliOptions } from '../core/index.js';
import { connectFleet, startBenchPlatform } from './fleet.js';

export interface ShadowBenchOptions {
  devices: number;
  /** Updates each device sends, one after another. */
  updatesPerDevice: number;
  /** `sqlite` (default) or a postgres:// URL. */
  database: string;
}

export interface ShadowBenchResult {
  devices: number;
  updates: number;
  seconds: number;
  updatesPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  rejected: number;
  /** Peer run on the same fleet: a QoS 1 publish answered by a bare server-side echo (no shadow work). */
  baseline: { roundTripsPerSecond: number; p50: number; p99: number };
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

export async function benchShadows(opts: ShadowBenchOptions): Promise<ShadowBenchResult> {
  const platform = await startBenchPlatform(opts.database);
  const ids = Array.from({ length: opts.devices }, (_, i) => `bench-shadow-${i}`);
  let clients: MqttClient[] = [];
  try {
    clients = await connectFleet(platform.mqttUrl, ids);
    const latencies: number[] = [];
    let rejected = 0;
    const loops = clients.map(async (c, i) => {
      const id = ids[i]!;
      const prefix = `$aws/things/${id}/shadow/update`;
      const pending = new Map<string, () => void>();
      c.on('message', (topic, payload) => {
        const body = JSON.parse(payload.toString()) as { clientToken?: string };
        if (topic.endsWith('/rejected')) rejected++;
        if (body.clientToken) pending.get(body.clientToken)?.();
      });
      await c.subscribeAsync([`${prefix}/accepted`, `${prefix}/rejected`], { qos: 1 });
      return async () => {
        for (let n = 0; n < opts.updatesPerDevice; n++) {
          const token = `${id}-${n}`;
          const t0 = performance.now();
          const done = new Promise<void>((resolve) => pending.set(token, resolve));
          await c.publishAsync(
            prefix,
            JSON.stringify({
              state: { reported: { seq: n, temp: 20 + (n % 5), ok: true } },
              clientToken: token,
            }),
            { qos: 1 },
          );
          await done;
          pending.delete(token);
          latencies.push(performance.now() - t0);
        }
      };
    });
    const runners = await Promise.all(loops);
    const start = performance.now();
    await Promise.all(runners.map((r) => r()));
    const seconds = (performance.now() - start) / 1000;
    latencies.sort((a, b) => a - b);
    const updates = latencies.length;
    const baseline = await echoBaseline(platform.app, clients, ids, opts.updatesPerDevice);
    return {
      baseline,
      devices: opts.devices,
      updates,
      seconds,
      updatesPerSecond: updates / seconds,
      latencyMs: {
        p50: pct(latencies, 50),
        p95: pct(latencies, 95),
        p99: pct(latencies, 99),
        max: latencies.at(-1) ?? NaN,
      },
      rejected,
    };
  } finally {
    for (const c of clients) c.end(true);
    await platform.close();
  }
}

/**
 * The peer: the same devices publish QoS 1 to `devices/{id}/echo` and wait for the platform's
 * answer on `devices/{id}/echo/ack`, published by a server-side handler that does nothing else.
 */
async function echoBaseline(
  app: App,
  clients: MqttClient[],
  ids: string[],
  rounds: number,
): Promise<ShadowBenchResult['baseline']> {
  const unsubscribe = app.broker.subscribe('devices/+/echo', (m) =>
    app.broker.publish({ topic: `${m.topic}/ack`, payload: m.payload, qos: 1 }).then(() => undefined),
  );
  try {
    const latencies: number[] = [];
    const runners = await Promise.all(
      clients.map(async (c, i) => {
        const topic = `devices/${ids[i]}/echo`;
        let waiting: (() => void) | undefined;
        c.on('message', (t) => {
          if (t === `${topic}/ack`) waiting?.();
        });
        await c.subscribeAsync(`${topic}/ack`, { qos: 1 });
        return async () => {
          for (let n = 0; n < rounds; n++) {
            const t0 = performance.now();
            const done = new Promise<void>((resolve) => (waiting = resolve));
            await c.publishAsync(topic, JSON.stringify({ seq: n }), { qos: 1 });
            await done;
            latencies.push(performance.now() - t0);
          }
        };
      }),
    );
    const start = performance.now();
    await Promise.all(runners.map((r) => r()));
    const seconds = (performance.now() - start) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      roundTripsPerSecond: latencies.length / seconds,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
    };
  } finally {
    unsubscribe();
  }
}

/** CLI entry: `tsunagu bench shadows [--devices 1000] [--updates 5] [--database sqlite|postgres://…]`. */
export async function runShadowBenchCli(args: string[]): Promise<void> {
  if (args.includes('--help')) {
    process.stdout.write(
      'tsunagu bench shadows [--devices 1000] [--updates 5] [--database sqlite|postgres://…]\n',
    );
    return;
  }
  const o = parseCliOptions(args);
  const r = await benchShadows({
    devices: Number(o.devices ?? 1000),
    updatesPerDevice: Number(o.updates ?? 5),
    database: String(o.database ?? 'sqlite'),
  });
  const f = (n: number): string => n.toFixed(1);
  process.stdout.write(
    `shadows: ${r.devices} devices, ${r.updates} updates in ${f(r.seconds)} s = ${f(r.updatesPerSecond)} updates/s ` +
      `(publish → durable /update/accepted) p50 ${f(r.latencyMs.p50)} ms, p95 ${f(r.latencyMs.p95)} ms, ` +
      `p99 ${f(r.latencyMs.p99)} ms, max ${f(r.latencyMs.max)} ms, rejected ${r.rejected}\n` +
      `peer (same fleet, QoS 1 publish → bare server echo, no shadow work): ${f(r.baseline.roundTripsPerSecond)} round trips/s, ` +
      `p50 ${f(r.baseline.p50)} ms, p99 ${f(r.baseline.p99)} ms\n`,
  );
}
