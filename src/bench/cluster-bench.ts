/**
 * `tsunagu bench cluster`: cross-node fan-out against the same node (docs/cluster.md "Fan-out").
 * Starts two `tsunagu start --cluster` processes (this same executable) on loopback, one PostgreSQL
 * schema of their own and one NATS subject, a subscriber on node A, then publishes a burst from a
 * client on A (same node) and one on B (forwarded over NATS), QoS 0 and 1, with at most `window`
 * publishes outstanding. Reports messages/s (first send to last receive) and end-to-end latency
 * percentiles (publish call to receive, one clock: the same process). Options: --messages N
 * (default 20000), --window N (100), --payload BYTES (64), --database postgres://… (the test
 * server), --nats-url nats://… (127.0.0.1:4222).
 *
 * `--only kill` runs the node-failure workload instead (cluster-kill.ts: 3 nodes behind HAProxy,
 * 10,000 devices, kill -9 of one node); `--only adopt` the take-over times of a killed node's
 * leases and sessions (cluster-adopt.ts); `--only fan-out` this one alone (the default).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { parseCliOptions } from '../core/index.js';
import { newBenchCluster, startBenchNode, type BenchNode } from './cluster-nodes.js';
import { readCpuSeconds } from './proc-stats.js';

export interface ClusterBenchOptions {
  messages?: number;
  window?: number;
  payload?: number;
  database?: string;
  natsUrl?: string;
}

export interface ClusterBenchRow {
  path: 'same node' | 'across nodes';
  qos: 0 | 1;
  messages: number;
  received: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU (user + system) per delivered message on node A (subscriber's) and node B, microseconds. */
  cpuUsPerMsgA: number;
  cpuUsPerMsgB: number;
}

async function client(port: number, id: string): Promise<MqttClient> {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId: id,
    protocolVersion: 5,
    reconnectPeriod: 0,
  });
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return c;
}

const pct = (sorted: number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function burst(
  pub: MqttClient,
  sub: MqttClient,
  topic: string,
  qos: 0 | 1,
  n: number,
  window: number,
  size: number,
): Promise<Omit<ClusterBenchRow, 'path' | 'cpuUsPerMsgA' | 'cpuUsPerMsgB'>> {
  const sent = new Float64Array(n);
  const lat: number[] = [];
  let last = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((r) => (done = r));
  const onMsg = (t: string, payload: Buffer): void => {
    if (t !== topic) return;
    const i = payload.readUInt32BE(0);
    const now = performance.now();
    lat.push(now - sent[i]!);
    last = now;
    if (lat.length === n) done();
  };
  sub.on('message', onMsg);
  const start = performance.now();
  let inFlight = 0;
  let wake: (() => void) | undefined;
  for (let i = 0; i < n; i++) {
    while (inFlight >= window) await new Promise<void>((r) => (wake = r));
    const p = Buffer.alloc(Math.max(4, size));
    p.writeUInt32BE(i, 0);
    sent[i] = performance.now();
    inFlight++;
    pub.publish(topic, p, { qos }, () => {
      inFlight--;
      wake?.();
      wake = undefined;
    });
    if (qos === 0 && i % window === window - 1) await new Promise((r) => setImmediate(r));
  }
  await Promise.race([all, new Promise((r) => setTimeout(r, 30_000))]);
  sub.off('message', onMsg);
  lat.sort((a, b) => a - b);
  return {
    qos,
    messages: n,
    received: lat.length,
    perSecond: Math.round(lat.length / ((last - start) / 1000)),
    p50Ms: Math.round(pct(lat, 50) * 100) / 100,
    p99Ms: Math.round(pct(lat, 99) * 100) / 100,
  };
}

export async function benchCluster(opts: ClusterBenchOptions = {}): Promise<ClusterBenchRow[]> {
  const n = opts.messages ?? 20_000;
  const window = opts.window ?? 100;
  const size = opts.payload ?? 64;
  const pgUrl = opts.database ?? 'postgres://postgres@127.0.0.1:5432/test';
  const natsUrl = opts.natsUrl ?? 'nats://127.0.0.1:4222';
  const cluster = newBenchCluster(pgUrl, natsUrl, 'cluster');
  const nodes: BenchNode[] = [];
  const clients: MqttClient[] = [];
  try {
    for (const id of ['bench-a', 'bench-b'])
      nodes.push(await startBenchNode(id, cluster, { extraArgs: ['--allow-anonymous'] }));
    const [a, b] = nodes as [BenchNode, BenchNode];
    const sub = await client(a.mqttPort, 'bench-sub');
    const pubA = await client(a.mqttPort, 'bench-pub-a');
    const pubB = await client(b.mqttPort, 'bench-pub-b');
    clients.push(sub, pubA, pubB);
    await sub.subscribeAsync('bench/#', { qos: 1 });
    // Wait until B forwards to A (interest announced).
    for (let got = false; !got;) {
      const seen = new Promise<boolean>((r) => {
        const t = setTimeout(() => r(false), 200);
        sub.once('message', () => (clearTimeout(t), r(true)));
      });
      pubB.publish('bench/probe', 'x');
      got = await seen;
    }
    await new Promise((r) => setTimeout(r, 300));
    const rows: ClusterBenchRow[] = [];
    const measured = async (
      path: ClusterBenchRow['path'],
      pub: MqttClient,
      qos: 0 | 1,
    ): Promise<ClusterBenchRow> => {
      const cpu = (): number[] => nodes.map((x) => readCpuSeconds(x.child.pid!));
      const before = cpu();
      const r = await burst(
        pub,
        sub,
        `bench/${path === 'same node' ? 'same' : 'cross'}/${qos}`,
        qos,
        n,
        window,
        size,
      );
      const after = cpu();
      const us = (i: number): number =>
        Math.round(((after[i]! - before[i]!) * 1e6) / Math.max(1, r.received));
      return { path, ...r, cpuUsPerMsgA: us(0), cpuUsPerMsgB: us(1) };
    };
    for (const qos of [0, 1] as const) {
      rows.push(await measured('same node', pubA, qos));
      rows.push(await measured('across nodes', pubB, qos));
    }
    return rows;
  } finally {
    for (const c of clients) c.end(true);
    await Promise.all(nodes.map((x) => x.stop()));
    await cluster.drop();
  }
}

export async function runClusterBenchCli(args: string[]): Promise<void> {
  const opts = parseCliOptions(args) as ClusterBenchOptions & { only?: string };
  if (opts.only === 'kill') return (await import('./cluster-kill.js')).runClusterKillCli(args);
  if (opts.only === 'adopt') return (await import('./cluster-adopt.js')).runClusterAdoptCli(args);
  if (opts.only !== undefined && opts.only !== 'fan-out')
    throw new Error(`bench cluster: --only ${opts.only}: expected kill, adopt or fan-out`);
  const rows = await benchCluster(opts);
  const out = [
    `tsunagu bench cluster: 2 nodes (PostgreSQL + NATS), subscriber on A, ${opts.messages ?? 20_000} messages, window ${opts.window ?? 100}, payload ${opts.payload ?? 64} B`,
    '',
    '| publisher on | QoS | received | messages/s | p50 ms | p99 ms | CPU µs/msg node A | CPU µs/msg node B |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.path} | ${r.qos} | ${r.received}/${r.messages} | ${r.perSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.cpuUsPerMsgA} | ${r.cpuUsPerMsgB} |`,
    ),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}
