/**
 * `tsunagu bench jobs`: the jobs module at scale, whole app in one process (SQLite by default).
 *  1. scheduling — one job to N registered devices (targeted by model): wall time and process CPU
 *     from create until every execution is QUEUED (each release also publishes notify/notify-next);
 *  2. device answers — protocol-level mqtt.js clients run start-next → update IN_PROGRESS → update
 *     SUCCEEDED closed loops for many things each; answers/s and latency (publish → durable /accepted);
 *  3. operator API — GET /jobs/{id} (counts per state over N executions) and one executions page, p50/p99.
 * A peer on the same fleet: a QoS 1 publish answered by a bare server-side echo (no jobs work).
 */
import { performance } from 'node:perf_hooks';
import type { MqttClient } from 'mqtt';
import type { App } from '../app.js';
import { parseCliOptions } from '../core/index.js';
import { BENCH_TOKEN, connectFleet, startBenchPlatform } from './fleet.js';

export interface JobsBenchOptions {
  devices: number;
  /** Devices driven over MQTT in phase 2 (each client handles `perClient` things). */
  clients: number;
  perClient: number;
  database: string;
}

const TOKEN = BENCH_TOKEN;
const pct = (s: number[], p: number): number =>
  s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
const f = (n: number): string => n.toFixed(n < 10 ? 2 : 1);

async function inject(
  app: App,
  method: 'GET' | 'POST',
  url: string,
  payload?: unknown,
): Promise<{ status: number; body: string }> {
  const r = await app.http.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${TOKEN}` },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
  return { status: r.statusCode, body: r.body };
}

export async function benchJobs(o: JobsBenchOptions): Promise<string> {
  const p = await startBenchPlatform(o.database, {
    limits: { maxSubscriptionsPerClient: 10_000, maxQueued: 100_000 },
  });
  const out: string[] = [];
  const clients: MqttClient[] = [];
  try {
    await inject(p.app, 'POST', '/device-models', { name: 'bench' });
    const t0 = performance.now();
    for (let i = 0; i < o.devices; i += 200) {
      const batch = [];
      for (let k = i; k < Math.min(o.devices, i + 200); k++)
        batch.push(inject(p.app, 'POST', '/devices', { id: `jd-${k}`, model: 'bench' }));
      await Promise.all(batch);
    }
    out.push(
      `setup: ${o.devices} devices registered in ${f((performance.now() - t0) / 1000)} s (database ${o.database})`,
    );

    // 1. scheduling
    const jobs = p.app.modules.find((m) => m.name === 'jobs') as unknown as { idle(): Promise<void> };
    const cpu0 = process.cpuUsage();
    const s0 = performance.now();
    const created = await inject(p.app, 'POST', '/jobs', {
      jobId: 'bench',
      document: { op: 'fw', version: '9' },
      targets: { models: ['bench'] },
    });
    if (created.status !== 201) throw new Error(`create: ${created.status} ${created.body}`);
    const createMs = performance.now() - s0;
    for (;;) {
      await jobs.idle();
      const st = JSON.parse((await inject(p.app, 'GET', '/jobs/bench')).body) as {
        progress: Record<string, number>;
      };
      if (st.progress.PENDING_ROLLOUT === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const schedMs = performance.now() - s0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    out.push(
      `scheduling: ${o.devices} executions QUEUED in ${f(schedMs / 1000)} s (create incl. target resolution ${f(createMs)} ms) = ` +
        `${f(o.devices / (schedMs / 1000))} executions/s; process CPU ${f(cpuMs)} ms = ${f((cpuMs * 1000) / o.devices)} µs per execution`,
    );

    // 2. device answers
    const things = Math.min(o.devices, o.clients * o.perClient);
    clients.push(
      ...(await connectFleet(
        p.mqttUrl,
        Array.from({ length: o.clients }, (_, c) => `bench-agent-${c}`),
      )),
    );
    const latencies: number[] = [];
    let rejected = 0;
    const w0 = performance.now();
    await Promise.all(
      clients.map(async (client, c) => {
        const mine = Array.from({ length: o.perClient }, (_, k) => `jd-${c * o.perClient + k}`).filter(
          (_, k) => c * o.perClient + k < things,
        );
        const waiting = new Map<string, (ok: boolean) => void>();
        client.on('message', (topic) => {
          const ok = topic.endsWith('/accepted');
          const key = topic.replace(/\/(accepted|rejected)$/, '');
          const w = waiting.get(key);
          if (w) {
            waiting.delete(key);
            w(ok);
          }
        });
        for (const t of mine)
          await client.subscribeAsync(
            [`$aws/things/${t}/jobs/start-next/+`, `$aws/things/${t}/jobs/bench/update/+`],
            { qos: 1 },
          );
        const req = async (topic: string, body: unknown): Promise<void> => {
          const a = performance.now();
          const done = new Promise<boolean>((r) => waiting.set(topic, r));
          await client.publishAsync(topic, JSON.stringify(body), { qos: 1 });
          if (!(await done)) rejected++;
          latencies.push(performance.now() - a);
        };
        for (const t of mine) {
          await req(`$aws/things/${t}/jobs/start-next`, { clientToken: t });
          await req(`$aws/things/${t}/jobs/bench/update`, {
            status: 'IN_PROGRESS',
            statusDetails: { p: '50' },
          });
          await req(`$aws/things/${t}/jobs/bench/update`, { status: 'SUCCEEDED', expectedVersion: 3 });
        }
      }),
    );
    const wSec = (performance.now() - w0) / 1000;
    latencies.sort((a, b) => a - b);
    out.push(
      `device answers: ${latencies.length} requests (start-next, update ×2) from ${o.clients} clients × ${o.perClient} things in ${f(wSec)} s = ` +
        `${f(latencies.length / wSec)} answers/s; latency p50 ${f(pct(latencies, 50))} ms, p99 ${f(pct(latencies, 99))} ms; rejected ${rejected}`,
    );

    // peer: bare echo on the same clients
    const off = p.app.broker.subscribe('bench/echo/+', (m) =>
      p.app.broker.publish({ topic: `${m.topic}/r`, payload: m.payload, qos: 1 }).then(() => undefined),
    );
    const echo: number[] = [];
    const e0 = performance.now();
    await Promise.all(
      clients.map(async (client, c) => {
        await client.subscribeAsync(`bench/echo/${c}/r`, { qos: 1 });
        for (let k = 0; k < o.perClient * 3; k++) {
          const a = performance.now();
          const got = new Promise<void>((r) => client.once('message', () => r()));
          await client.publishAsync(`bench/echo/${c}`, 'x', { qos: 1 });
          await got;
          echo.push(performance.now() - a);
        }
      }),
    );
    off();
    const eSec = (performance.now() - e0) / 1000;
    echo.sort((a, b) => a - b);
    out.push(
      `peer (same clients, QoS 1 publish → bare server echo): ${f(echo.length / eSec)} round trips/s, p50 ${f(pct(echo, 50))} ms, p99 ${f(pct(echo, 99))} ms`,
    );

    // 3. operator API at N executions
    const api: number[] = [];
    const page: number[] = [];
    for (let i = 0; i < 50; i++) {
      let a = performance.now();
      await inject(p.app, 'GET', '/jobs/bench');
      api.push(performance.now() - a);
      a = performance.now();
      await inject(p.app, 'GET', `/jobs/bench/executions?limit=100&offset=${i * 100}`);
      page.push(performance.now() - a);
    }
    api.sort((a, b) => a - b);
    page.sort((a, b) => a - b);
    out.push(
      `operator API over ${o.devices} executions: GET /jobs/{id} (counts per state) p50 ${f(pct(api, 50))} ms, p99 ${f(pct(api, 99))} ms; ` +
        `GET /jobs/{id}/executions?limit=100 p50 ${f(pct(page, 50))} ms, p99 ${f(pct(page, 99))} ms`,
    );
    return out.join('\n') + '\n';
  } finally {
    for (const c of clients) c.end(true);
    await p.close();
  }
}

/** CLI entry: `tsunagu bench jobs [--devices 20000] [--clients 20] [--per-client 100] [--database sqlite|postgres://…]`. */
export async function runJobsBenchCli(args: string[]): Promise<void> {
  if (args.includes('--help')) {
    process.stdout.write(
      'tsunagu bench jobs [--devices 20000] [--clients 20] [--per-client 100] [--database sqlite|postgres://…]\n',
    );
    return;
  }
  const o = parseCliOptions(args);
  process.stdout.write(
    await benchJobs({
      devices: Number(o.devices ?? 20_000),
      clients: Number(o.clients ?? 20),
      perClient: Number(o.perClient ?? 100),
      database: String(o.database ?? 'sqlite'),
    }),
  );
}
