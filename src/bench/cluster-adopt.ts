/**
 * `tsunagu bench cluster --only adopt` (issue 13, "Node failure"): how soon the survivors take over
 * a node killed with -9 — its leases, and its persistent sessions (docs/cluster.md "A node that
 * dies"). Per run: three `tsunagu start --cluster` processes on a fresh schema, `--sessions`
 * persistent QoS 1 subscribers connected to A (they do not reconnect, so their sessions must be
 * adopted), a publisher on B; A is killed with -9 and, from the kill: when the survivors hold every
 * shard; when they have adopted every session of A's (`tsunagu_cluster_sessions_adopted`); when a
 * QoS 1 message published on B right after the kill for one of them is acknowledged (it waits for
 * the adoption). `--runs` runs (default 3). Numbers, not assertions.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { parseCliOptions } from '../core/index.js';
import { newBenchCluster, startBenchNode, type BenchNode } from './cluster-nodes.js';

export interface ClusterAdoptOptions {
  sessions?: number;
  runs?: number;
  database?: string;
  natsUrl?: string;
}

export interface AdoptRun {
  leasesMs: number;
  sessionsMs: number;
  pubackMs: number;
}

async function connect(port: number, clientId: string): Promise<MqttClient> {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId,
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: 600 },
    reconnectPeriod: 0,
    connectTimeout: 30_000,
  });
  c.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return c;
}

async function gauge(n: BenchNode, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${n.httpPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

async function oneRun(opts: ClusterAdoptOptions, run: number): Promise<AdoptRun> {
  const sessions = opts.sessions ?? 200;
  const cluster = newBenchCluster(
    opts.database ?? 'postgres://postgres@127.0.0.1:5432/test',
    opts.natsUrl ?? 'nats://127.0.0.1:4222',
    'adopt',
  );
  const nodes: BenchNode[] = [];
  const clients: MqttClient[] = [];
  try {
    for (const id of [`adopt${run}-a`, `adopt${run}-b`, `adopt${run}-c`])
      nodes.push(await startBenchNode(id, cluster, { extraArgs: ['--allow-anonymous'] }));
    const [a, b, c] = nodes as [BenchNode, BenchNode, BenchNode];
    for (let i = 0; i < sessions; i++) {
      const s = await connect(a.mqttPort, `adopt-${i}`);
      await s.subscribeAsync(`adopt/${i}`, { qos: 1 });
      clients.push(s);
    }
    const pub = await connect(b.mqttPort, 'adopt-pub');
    clients.push(pub);
    // B forwards to A once it knows A's filters.
    while ((await gauge(b, 'tsunagu_cluster_remote_filters')) < sessions)
      await new Promise((r) => setTimeout(r, 100));
    const shards = (await b.readyz()).body.cluster.shardCount as number;

    await a.kill9();
    const t0 = performance.now();
    let pubackMs = NaN;
    void pub.publishAsync('adopt/0', 'after the kill', { qos: 1 }).then(
      () => (pubackMs = performance.now() - t0),
      () => undefined,
    );
    let leasesMs = NaN;
    let sessionsMs = NaN;
    while (Number.isNaN(leasesMs) || Number.isNaN(sessionsMs) || Number.isNaN(pubackMs)) {
      if (performance.now() - t0 > 60_000) break;
      const now = (): number => performance.now() - t0;
      if (Number.isNaN(leasesMs)) {
        const held = await Promise.all(
          [b, c].map(async (n) => (await n.readyz()).body.cluster.shardsHeld as number),
        );
        if (held[0]! + held[1]! === shards) leasesMs = now();
      }
      if (Number.isNaN(sessionsMs)) {
        const adopted = await Promise.all([b, c].map((n) => gauge(n, 'tsunagu_cluster_sessions_adopted')));
        if (adopted[0]! + adopted[1]! >= sessions) sessionsMs = now();
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return {
      leasesMs: Math.round(leasesMs),
      sessionsMs: Math.round(sessionsMs),
      pubackMs: Math.round(pubackMs),
    };
  } finally {
    for (const cl of clients) cl.end(true);
    await Promise.all(nodes.map((n) => n.stop()));
    await cluster.drop();
  }
}

export async function benchClusterAdopt(opts: ClusterAdoptOptions = {}): Promise<AdoptRun[]> {
  const out: AdoptRun[] = [];
  for (let i = 0; i < (opts.runs ?? 3); i++) out.push(await oneRun(opts, i));
  return out;
}

export async function runClusterAdoptCli(args: string[]): Promise<void> {
  const opts = parseCliOptions(args) as ClusterAdoptOptions;
  const runs = await benchClusterAdopt(opts);
  const lines = [
    `tsunagu bench cluster --only adopt: 3 nodes (PostgreSQL + NATS), ${opts.sessions ?? 200} persistent sessions on A, A killed with -9; ms from the kill`,
    '',
    '| run | every lease held by the survivors | every session of A adopted | QoS 1 for one of them acknowledged |',
    '| --- | --- | --- | --- |',
    ...runs.map((r, i) => `| ${i + 1} | ${r.leasesMs} | ${r.sessionsMs} | ${r.pubackMs} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
