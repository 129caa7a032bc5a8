/**
 * `tsunagu bench cluster --only kill` (issue 13, "Node failure"): three `tsunagu start --cluster
 * --proxy-protocol` processes on PostgreSQL + NATS behind a real HAProxy (deploy/haproxy.cfg's
 * options, haproxy-proc.ts), `--devices` credentialed devices connected through it by light raw
 * clients in several processes (cluster-kill-fleet.ts), each publishing a QoS 1 heartbeat per
 * period with a will set, and persistent QoS 1 subscribers of every heartbeat
 * (cluster-kill-subs.ts). The node holding most devices is killed with -9. Reported (counting in
 * cluster-kill-report.ts): time until every device is connected again and first-try success;
 * time until the survivors hold every lease and presence is exact; acknowledged QoS 1 heartbeats
 * lost (must be 0) and duplicated at the subscribers; wills of the dead node's devices once each;
 * devices that stay away (every `--gone-every`-th of the dead node's) taken out of service once
 * each and notified once each, and no other device taken out — not even for a while (every
 * device's service-state history is read: false service-outs). Numbers, not assertions.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseCliOptions, shardOf } from '../core/index.js';
import { newBenchCluster, startBenchNode, type BenchNode, type Json } from './cluster-nodes.js';
import {
  ClientProcess,
  type DeviceReport,
  type FleetStatus,
  type FromFleet,
  type FromSubs,
  type ToFleet,
  type ToSubs,
} from './cluster-kill-ipc.js';
import {
  heartbeatDeadlines,
  provisionKillFleet,
  routeServiceStates,
  startWebhookSink,
  type WebhookSink,
} from './cluster-kill-setup.js';
import { startBenchHaproxy, type BenchHaproxy } from './haproxy-proc.js';
import { formatKillReport, type KillResult } from './cluster-kill-format.js';
import {
  deliveryFigures,
  notificationFigures,
  notifiedOuts,
  onceFigures,
  reconnectFigures,
  serviceOutFigures,
} from './cluster-kill-report.js';

export interface ClusterKillOptions {
  devices?: number;
  subscribers?: number;
  /** Heartbeat period of every device, ms (also the model's heartbeat interval). */
  periodMs?: number;
  /** The model's heartbeat grace, ms. */
  graceMs?: number;
  goneEvery?: number;
  /** Devices per client process. */
  perProcess?: number;
  /** CONNECTs in flight per client process. */
  parallel?: number;
  /** Source addresses the devices connect from (127.0.1.x). */
  addresses?: number;
  database?: string;
  natsUrl?: string;
  /** Write every device's, subscriber's and webhook's raw record to this JSON file. */
  dump?: string;
}

type Fleet = ClientProcess<ToFleet, FromFleet>;
const TOKEN = 'bench-kill-admin-token-0123456789abcdef';
/** The hard open-file limit (`ulimit -Hn`), which HAProxy cannot raise without privileges. */
function fdHardLimit(): number {
  try {
    const n = Number(execFileSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 20_000;
  } catch {
    return 20_000;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `ok` until it holds; one poll that does not answer in 15 s counts as "not yet". */
async function waitFor(
  what: string,
  ok: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 250,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  const poll = (): Promise<boolean> =>
    Promise.race([ok().catch(() => false), sleep(15_000).then(() => false)]);
  while (!(await poll())) {
    if (Date.now() > end) throw new Error(`bench cluster kill: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function statuses(fleets: Fleet[]): Promise<FleetStatus> {
  const all = await Promise.all(fleets.map((f) => f.request({ cmd: 'status' }, 'status')));
  const sum = { ...all[0]! };
  for (const s of all.slice(1))
    for (const k of ['total', 'connected', 'closed', 'back', 'gone', 'sent', 'acked', 'unacked'] as const)
      sum[k] += s[k];
  return sum;
}

async function clusterOf(n: BenchNode): Promise<Json | undefined> {
  return n.readyz().then(
    (r) => r.body.cluster as Json,
    () => undefined,
  );
}

function watchWills(
  port: number,
  w: { id: string; username: string; secret: string },
): Promise<{
  client: MqttClient;
  wills: Map<string, number>;
}> {
  const wills = new Map<string, number>();
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId: w.id,
    username: w.username,
    password: w.secret,
    protocolVersion: 5,
    reconnectPeriod: 1000,
    connectTimeout: 15_000,
  });
  client.on('error', () => undefined);
  client.on('message', (topic) => {
    const id = topic.split('/')[1]!;
    wills.set(id, (wills.get(id) ?? 0) + 1);
  });
  return new Promise((resolve, reject) => {
    client.once('connect', () =>
      client.subscribe('devices/+/will', { qos: 1 }, (err) =>
        err ? reject(err) : resolve({ client, wills }),
      ),
    );
  });
}

/**
 * Times of every transition to out_of_service in the window, per device, from each device's
 * service-state history (16 requests in flight, spread over the survivors).
 */
async function outsFromHistory(
  nodes: BenchNode[],
  ids: string[],
  inWindow: (at: number) => boolean,
): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  let next = 0;
  const lane = async (k: number): Promise<void> => {
    for (let i = next++; i < ids.length; i = next++) {
      const id = ids[i]!;
      const st = await nodes[(i + k) % nodes.length]!.api(
        'GET',
        `/devices/${id}/service-state?historyLimit=1000`,
      );
      const ats = (st.history as Json[])
        .filter((t) => t.to === 'out_of_service' && t.from !== 'out_of_service' && inWindow(Number(t.at)))
        .map((t) => Number(t.at));
      if (ats.length) out.set(id, ats);
    }
  };
  await Promise.all(Array.from({ length: 16 }, (_, k) => lane(k)));
  return out;
}

export async function benchClusterKill(
  opts: ClusterKillOptions = {},
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<KillResult> {
  const n = opts.devices ?? 10_000;
  const subscribers = opts.subscribers ?? 3;
  const periodMs = opts.periodMs ?? 30_000;
  const graceMs = opts.graceMs ?? 60_000;
  const goneEvery = opts.goneEvery ?? 100;
  const perProcess = opts.perProcess ?? 2500;
  const parallel = opts.parallel ?? 25;
  const addresses = opts.addresses ?? 50;
  const pgUrl = opts.database ?? 'postgres://postgres@127.0.0.1:5432/test';
  const cluster = newBenchCluster(pgUrl, opts.natsUrl ?? 'nats://127.0.0.1:4222', 'kill');
  const began = Date.now();
  const say = (l: string): void => log(`[${((Date.now() - began) / 1000).toFixed(1)} s] ${l}`);
  const nodes: BenchNode[] = [];
  const fleets: Fleet[] = [];
  let subs: ClientProcess<ToSubs, FromSubs> | undefined;
  const lbs: BenchHaproxy[] = [];
  let sink: WebhookSink | undefined;
  let watcher: MqttClient | undefined;
  try {
    const nodeArgs = ['--proxy-protocol', '--max-queued', '100000'];
    for (const id of ['k1', 'k2', 'k3'])
      nodes.push(await startBenchNode(id, cluster, { adminToken: TOKEN, extraArgs: nodeArgs }));
    // One HAProxy process holds 2 descriptors per connection and cannot raise its limit past the
    // hard limit (20,000 here): several instances, as a pair of load balancers would be deployed.
    const perLb = Math.floor((fdHardLimit() - 200) / 2);
    const lbCount = Math.ceil((n + subscribers + 100) / perLb);
    for (let i = 0; i < lbCount; i++) lbs.push(await startBenchHaproxy(nodes, perLb));
    const lb = lbs[0]!;
    sink = await startWebhookSink();
    say(`3 nodes ready, ${lbs.length} HAProxy on ${lbs.map((l) => l.port).join(', ')}`);
    const kf = await provisionKillFleet(nodes, { devices: n, subscribers }, say);
    await routeServiceStates(nodes[0]!, sink.url);

    subs = ClientProcess.spawn<ToSubs, FromSubs>('cluster-kill-subs');
    await subs.request(
      { cmd: 'start', spec: { port: lb.port, subs: kf.subs, filter: 'devices/+/heartbeat' } },
      'ready',
      120_000,
    );
    await sleep(1000); // the subscribers' interest reaches every node
    const locals = Array.from({ length: addresses }, (_, i) => `127.0.1.${1 + i}`);
    for (let i = 0; i < n; i += perProcess) {
      const f = ClientProcess.spawn<ToFleet, FromFleet>('cluster-kill-fleet');
      const port = lbs[fleets.length % lbs.length]!.port;
      fleets.push(f);
      const devices = kf.devices.slice(i, i + perProcess);
      await f.request(
        { cmd: 'start', spec: { port, devices, indexBase: i, locals, periodMs, parallel, goneEvery } },
        'ready',
        60_000,
      );
    }
    const connectStart = Date.now();
    let lastLog = 0;
    await waitFor(
      'every device connected',
      async () => {
        const s = await statuses(fleets);
        if (Date.now() - lastLog > 5000) {
          lastLog = Date.now();
          say(`connected ${s.connected}/${n}`);
        }
        return s.connected === n;
      },
      30 * 60_000,
      500,
    );
    const connectMs = Date.now() - connectStart;
    say(
      `all ${n} connected in ${(connectMs / 1000).toFixed(1)} s; heartbeat deadlines on, one period of steady load`,
    );
    await heartbeatDeadlines(nodes[0]!, periodMs, graceMs);
    await sleep(Math.min(periodMs, 30_000) + 2000);

    const before = await Promise.all(nodes.map(clusterOf));
    const perNode = before.map((c) => Number(c?.presence?.local ?? 0));
    const victimIdx = perNode.indexOf(Math.max(...perNode));
    const victim = nodes[victimIdx]!;
    const survivors = nodes.filter((x) => x !== victim);
    const w = await watchWills(lb.perServer[nodes.indexOf(survivors[0]!)]!, kf.watcher);
    watcher = w.client;
    await sleep(1000);
    await Promise.all(fleets.map((f) => f.request({ cmd: 'arm' }, 'status')));
    await subs.request({ cmd: 'arm' }, 'status');
    const load = loadavg();
    const killedAt = Date.now();
    await victim.kill9();
    say(
      `killed ${victim.nodeId} (kill -9) holding ${perNode[victimIdx]} of ${perNode.join('/')} connections`,
    );

    let leasesMs = -1;
    let presenceMs = -1;
    let allBackMs = -1;
    await waitFor(
      'every device back, every lease held, presence exact',
      async () => {
        const now = Date.now() - killedAt;
        const s = await statuses(fleets);
        if (allBackMs < 0 && s.closed > 0 && s.back + s.gone === s.closed) allBackMs = now;
        const cs = (await Promise.all(survivors.map(clusterOf))).filter((c): c is Json => c !== undefined);
        const shards = cs.reduce((a, c) => a + Number(c.shardsHeld), 0);
        if (leasesMs < 0 && cs.length === survivors.length && shards === cs[0]!.shardCount) leasesMs = now;
        const expected = n - s.gone + subscribers + 1;
        const exact = cs.every((c) => {
          const by = c.presence.byMember as Record<string, number>;
          const sum = Object.values(by).reduce((a, b) => a + b, 0);
          return !Object.keys(by).some((m) => m.startsWith(`${victim.nodeId}#`)) && sum === expected;
        });
        if (presenceMs < 0 && cs.length === survivors.length && exact) presenceMs = now;
        return allBackMs >= 0 && leasesMs >= 0 && presenceMs >= 0;
      },
      10 * 60_000,
    ).catch((e: Error) => say(e.message)); // reported as not reached (-1)
    say(
      `devices back after ${allBackMs} ms, leases after ${leasesMs} ms, presence exact after ${presenceMs} ms`,
    );

    const s = await statuses(fleets);
    await waitFor('a will for every closed device', async () => w.wills.size >= s.closed, 120_000, 500).catch(
      (e: Error) => say(e.message),
    );
    const willsMs = Date.now() - killedAt;
    // By id, not by count: false outs of other devices must not end the wait early.
    const goneIds = (await Promise.all(fleets.map((f) => f.request({ cmd: 'report' }, 'report'))))
      .flatMap((r) => r.devices)
      .filter((d) => d.gone)
      .map((d) => d.id);
    await waitFor(
      'the devices that stayed away out of service and notified',
      async () => {
        const outs = new Set(
          sink!.posts.flatMap((p) =>
            p.items.filter((i) => i.data?.to === 'out_of_service').map((i) => i.deviceId),
          ),
        );
        // Not before every deadline of a device that stayed away has passed (and been detected).
        const due = Date.now() - killedAt > periodMs + graceMs + 5000;
        return due && goneIds.every((id) => outs.has(id));
      },
      periodMs + graceMs + 120_000,
      1000,
    ).catch((e: Error) => say(e.message));
    const outsMs = Date.now() - killedAt;

    // From here devices stop publishing, so health will take them out: count outs before this.
    const quietAt = Date.now();
    await Promise.all(fleets.map((f) => f.request({ cmd: 'quiet' }, 'status')));
    await waitFor(
      'every heartbeat acknowledged',
      async () => (await statuses(fleets)).unacked === 0,
      60_000,
      500,
    ).catch((e: Error) => say(e.message));
    let last = -1;
    let still = 0;
    await waitFor(
      'the subscribers to settle',
      async () => {
        const r = (await subs!.request({ cmd: 'status' }, 'status')).received;
        still = r === last ? still + 1 : 0;
        last = r;
        return still >= 5;
      },
      120_000,
      1000,
    ).catch((e: Error) => say(e.message));

    const devices: DeviceReport[] = (
      await Promise.all(fleets.map((f) => f.request({ cmd: 'report' }, 'report')))
    ).flatMap((r) => r.devices);
    const subReports = (await subs.request({ cmd: 'report' }, 'report')).subs;
    const closed = new Set(devices.filter((d) => d.closedAt !== undefined).map((d) => d.id));
    const gone = new Set(devices.filter((d) => d.gone).map((d) => d.id));
    // Outs between the kill and the end of publishing (after that every device falls silent).
    const inWindow = (at: number): boolean => at >= killedAt && at < quietAt;
    // Every device's history, not only the final out-of-service list: a device taken out and
    // back in while it kept heartbeating is a false out too.
    const historyOuts = await outsFromHistory(
      survivors,
      devices.map((d) => d.id),
      inWindow,
    );
    // Notifications of changes in the window (the fleet falls silent after it: more outs follow).
    const posts = sink.posts
      .map((p) => ({ ...p, items: p.items.filter((i) => inWindow(Number(i.at))) }))
      .filter((p) => p.items.length > 0);
    // Deadlines the dead node owned: devices whose shard it held at the kill.
    const victimShards = new Set((before[victimIdx]?.ownedShards ?? []) as number[]);
    const shardCount = Number(before[victimIdx]?.shardCount ?? 64);
    const onVictimShards = (id: string): boolean => victimShards.has(shardOf(id, shardCount));
    const goneOnVictimShards = [...gone].filter(onVictimShards).length;
    const outCtx = { killedAt, periodMs, graceMs, onVictimShards };
    if (opts.dump)
      writeFileSync(
        opts.dump,
        JSON.stringify({
          killedAt,
          quietAt,
          victim: victim.nodeId,
          before,
          devices,
          subReports,
          posts: sink.posts,
          historyOuts: Object.fromEntries(historyOuts),
        }),
      );
    return {
      devices: n,
      goneOnVictimShards,
      subscribers,
      periodMs,
      graceMs,
      connectMs,
      perNode,
      victim: victim.nodeId,
      balancers: lbs.length,
      loadAtKill: load,
      killedAt,
      reconnect: reconnectFigures(devices, killedAt),
      allBackMs,
      leasesMs,
      presenceMs,
      willsMs,
      outsMs,
      delivery: deliveryFigures(devices, subReports),
      wills: onceFigures(closed, w.wills),
      outs: serviceOutFigures(historyOuts, devices, outCtx),
      notifications: notificationFigures(posts, gone),
      notifiedOuts: serviceOutFigures(notifiedOuts(posts), devices, outCtx),
    };
  } finally {
    watcher?.end(true);
    await Promise.all(fleets.map((f) => f.close()));
    await subs?.close();
    for (const lb of lbs) await lb.stop();
    await sink?.close();
    await Promise.all(nodes.map((x) => x.stop()));
    await cluster.drop();
  }
}

export async function runClusterKillCli(args: string[]): Promise<void> {
  const opts = parseCliOptions(args) as ClusterKillOptions;
  const result = await benchClusterKill(opts);
  process.stdout.write(formatKillReport(result));
}
