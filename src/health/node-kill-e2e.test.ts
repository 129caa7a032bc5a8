/**
 * Fleet health across a kill -9 (issue 13; docs/health.md "Several nodes"): three real
 * `tsunagu start --cluster` processes on PostgreSQL and NATS, password devices on mqtt.js. Every
 * device heartbeats in rounds; right after one round is acknowledged, the node that owns some of
 * the devices' deadlines *and* holds their connections is killed with -9 — their last heartbeat
 * lived only in its memory and its unwritten presence batch. They reconnect to a survivor and keep
 * their cadence; devices on the survivors keep theirs (their heartbeats forwarded to the dead owner
 * are lost with it). No device that kept heartbeating may be taken out of service, not even for a
 * while; a device that stays away is taken out exactly once, fleet-wide.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import { shardOf } from '../core/index.js';
import { startClusterProcesses, type ClusterProcess, type Json } from '../test-support/cluster-processes.js';
import { requireNats, requirePostgres } from '../test-support/services.js';
import { until } from '../test-support/until.js';

const TOKEN = 'health-kill-admin-token-0123456789abcdef';
/** One heartbeat round per interval; a device missing one round is out after interval + grace. */
const INTERVAL_MS = 10_000;
const GRACE_MS = 2_000;

interface Device {
  id: string;
  username: string;
  secret: string;
  /** Which node holds its connection and which owns its deadline (node index), and whether it stays away. */
  on: number;
  owner: number;
  gone: boolean;
  client?: MqttClient;
}

async function connect(port: number, d: Device): Promise<MqttClient> {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId: d.id,
    username: d.username,
    password: d.secret,
    protocolVersion: 4,
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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('postgres+nats: a node killed with -9 takes no heartbeating device out; one that stays away goes out once', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  const { nodes, clients } = await startClusterProcesses(t, 'healthkill', ['ha', 'hb', 'hc'], {
    token: TOKEN,
  });
  const [a, b] = nodes as [ClusterProcess, ClusterProcess, ClusterProcess];
  const victim = 2;

  const shares = (): Promise<Json[]> =>
    Promise.all(nodes.map(async (n) => (await n.readyz()).body.cluster as Json));
  await until('the shards split evenly over the three nodes', async () => {
    const cs = await shares();
    const held = cs.map((c) => (c.ownedShards as number[]).length);
    const count = Number(cs[0]!.shardCount);
    return held.every((h) => h <= Math.ceil(count / 3)) && held.reduce((x, y) => x + y, 0) === count;
  });
  const cs = await shares();
  const shardCount = Number(cs[0]!.shardCount);
  const ownerOf = (id: string): number =>
    cs.findIndex((c) => (c.ownedShards as number[]).includes(shardOf(id, shardCount)));

  // Devices by (connected to, deadline owned by): the victim's own devices are the case under test;
  // the others show that forwarding keeps working across the hand-over.
  await a.api('POST', '/device-models', { name: 'hk' });
  const want: { on: number; owner: number; n: number; gone?: boolean }[] = [
    { on: victim, owner: victim, n: 4 },
    { on: victim, owner: victim, n: 1, gone: true },
    { on: 0, owner: victim, n: 3 },
    { on: 1, owner: victim, n: 3 },
    { on: victim, owner: 0, n: 2 },
    { on: 0, owner: 1, n: 2 },
  ];
  const devices: Device[] = [];
  for (let i = 0; want.some((w) => w.n > 0); i++) {
    const id = `hk-${i}`;
    const owner = ownerOf(id);
    const w = want.find((x) => x.n > 0 && x.owner === owner);
    if (!w) continue;
    w.n--;
    await a.api('POST', '/devices', { id, model: 'hk' });
    const cred = await a.api('POST', `/devices/${id}/credentials`, { kind: 'password' });
    devices.push({
      id,
      username: String(cred.credential.username),
      secret: String(cred.secret),
      on: w.on,
      owner,
      gone: w.gone === true,
    });
  }
  for (const d of devices) {
    d.client = await connect(nodes[d.on]!.mqttPort, d);
    clients.push(d.client);
  }
  const round = (ds: Device[]): Promise<unknown> =>
    Promise.all(ds.map((d) => d.client!.publishAsync(`devices/${d.id}/heartbeat`, '{}', { qos: 1 })));

  // Deadlines on, one round, one interval later the round the victim dies right after.
  await a.api('PUT', '/device-models/hk', {
    heartbeat: { intervalMs: INTERVAL_MS, graceMs: GRACE_MS, signOfLife: 'heartbeat' },
  });
  await sleep(1000); // the model's `invalidate` event reaches every node
  await round(devices);
  await sleep(INTERVAL_MS - 1000);
  const still = await shares();
  assert.deepEqual(
    still.map((c) => c.ownedShards),
    cs.map((c) => c.ownedShards),
    'the deadlines are where they were when the devices were chosen',
  );
  await round(devices);
  const killedAt = Date.now();
  await nodes[victim]!.kill();

  // Its devices come back on a survivor a moment later (no heartbeat is due); the one meant to
  // stay away does not. Then every device keeps its cadence for three more intervals.
  await sleep(1000);
  for (const d of devices.filter((x) => x.on === victim)) {
    d.client!.end(true);
    if (d.gone) continue;
    d.client = await connect(a.mqttPort, d);
    clients.push(d.client);
  }
  const stillHere = devices.filter((d) => !d.gone);
  for (let i = 0; i < 3; i++) {
    await sleep(killedAt + (i + 1) * INTERVAL_MS - Date.now());
    await round(stillHere);
  }
  const after = await Promise.all([a, b].map(async (n) => (await n.readyz()).body.cluster as Json));
  assert.equal(
    after.reduce((x, c) => x + (c.ownedShards as number[]).length, 0),
    shardCount,
    'the survivors took the dead node’s shards',
  );
  const gone = devices.find((d) => d.gone)!;
  await until('the device that stayed away is out', async () => {
    const s = await b.api('GET', `/devices/${gone.id}/service-state`);
    return s.state === 'out_of_service';
  });

  const outs = async (d: Device): Promise<number> => {
    const s = await b.api('GET', `/devices/${d.id}/service-state?historyLimit=100`);
    return (s.history as Json[]).filter((x) => x.to === 'out_of_service' && Number(x.at) >= killedAt).length;
  };
  const falseOuts: string[] = [];
  for (const d of stillHere)
    if ((await outs(d)) > 0)
      falseOuts.push(`${d.id} (deadline on node ${d.owner}, connected to node ${d.on})`);
  assert.deepEqual(falseOuts, [], 'no device that kept heartbeating was taken out');
  assert.equal(await outs(gone), 1, 'the device that stayed away, once');
});
