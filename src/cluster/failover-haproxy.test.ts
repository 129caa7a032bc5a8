/**
 * Three `tsunagu start --cluster --proxy-protocol` processes behind a real HAProxy (TCP,
 * send-proxy-v2, connecting from 127.0.0.5, health checks every 500 ms), 300 mqtt.js devices that reconnect on their own.
 * One node is killed with -9. Shown (and printed, with the times from the kill):
 * - the broker sees each device's own address (127.0.0.1), not HAProxy's;
 * - every device is connected again, through HAProxy to the two survivors;
 * - fleet-wide presence on a survivor comes back to exactly 300: the dead node's devices are
 *   cleared (not counted twice, not left connected) and the survivors hold every shard;
 * - every device has a will: exactly the wills of the devices the kill disconnected are published,
 *   once each (by the node a device reconnected to: it takes the dead node's will row). The
 *   watcher reaches a survivor through a frontend of its own: the nodes run --proxy-protocol and
 *   refuse connections without the header.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import {
  startClusterProcess,
  stopClusterProcesses,
  type ClusterProcess,
  type Json,
} from '../test-support/cluster-processes.js';
import { requireHaproxy, startHaproxy, type Haproxy } from '../test-support/haproxy.js';
import { freshPgSchema, requireNats, requirePostgres } from '../test-support/services.js';
import { until } from '../test-support/until.js';

const DEVICES = 300;
const TOKEN = 'failover-token-0123456789abcdef';

test('postgres+nats+haproxy: kill -9 one of three nodes under 300 devices: all reconnect, presence exact', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t)) || !requireHaproxy(t)) return;
  const schema = await freshPgSchema('failover');
  const o = {
    schema: schema.schema,
    subject: `tsunagu.test.${randomBytes(4).toString('hex')}`,
    token: TOKEN,
    extraArgs: ['--allow-anonymous', '--proxy-protocol'],
  };
  const nodes: ClusterProcess[] = [];
  const clients: MqttClient[] = [];
  const others: MqttClient[] = []; // the will watcher and a device that stays away
  const lbs: Haproxy[] = [];
  t.after(async () => {
    for (const c of [...clients, ...others]) c.end(true);
    for (const lb of lbs) await lb.stop();
    await stopClusterProcesses(nodes);
    await schema.drop();
  });
  for (const id of ['f1', 'f2', 'f3']) nodes.push(await startClusterProcess(id, o));
  const lb = await startHaproxy([
    { servers: nodes.map((n) => n.mqttPort), proxy: 'v2', source: '127.0.0.5', check: true },
    ...nodes.map((n) => ({ servers: [n.mqttPort], proxy: 'v2' as const, check: true })),
  ]);
  lbs.push(lb);
  const port = lb.ports[0]!;
  await nodes[0]!.api('POST', '/devices', { id: 'fo-0' }); // registered: its connectivity history is kept

  let killed = false;
  const closedByKill = new Set<string>();
  for (let i = 0; i < DEVICES; i++) {
    const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
      clientId: `fo-${i}`,
      protocolVersion: 5,
      reconnectPeriod: 300,
      connectTimeout: 10_000,
      will: { topic: `fo-will/fo-${i}`, payload: Buffer.from('gone'), qos: 1, retain: false },
    });
    c.on('error', () => undefined); // refused while a node is down: retried
    c.on('close', () => killed && closedByKill.add(`fo-${i}`));
    clients.push(c);
  }
  const fleet = async (n: ClusterProcess): Promise<Json> => (await n.readyz()).body.cluster;
  await until('every device connected', () => clients.every((c) => c.connected), 120_000);
  await until(
    'presence counts every device on every node',
    async () => (await Promise.all(nodes.map(fleet))).every((c) => c.presence.fleet === DEVICES),
    60_000,
  );
  const perNode = await Promise.all(nodes.map(async (n) => (await fleet(n)).presence.local as number));
  assert.equal(
    perNode.reduce((a, b) => a + b, 0),
    DEVICES,
    `devices per node ${perNode.join('/')}`,
  );

  // PROXY protocol v2: the device's own address, not HAProxy's 127.0.0.5.
  // (The connectivity row is written after presence is announced: wait for it, then check it.)
  let sessions: Json[] = [];
  await until(
    'fo-0 has a connectivity row',
    async () => {
      sessions = (await nodes[0]!.api('GET', '/devices/fo-0/sessions')).items as Json[];
      return sessions.length > 0;
    },
    30_000,
  );
  assert.equal(sessions[0]?.remoteAddress, '127.0.0.1', JSON.stringify(sessions[0]));

  // Kill the busiest node.
  const victimIdx = perNode.indexOf(Math.max(...perNode));
  const victim = nodes[victimIdx]!;
  const survivors = nodes.filter((n) => n !== victim);
  // A watcher on a survivor, through that node's own frontend: the wills, once each.
  const watcher = mqtt.connect(`mqtt://127.0.0.1:${lb.ports[1 + nodes.indexOf(survivors[0]!)]}`, {
    clientId: 'fo-watcher',
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
  others.push(watcher);
  const wills: string[] = [];
  watcher.on('message', (topic) => wills.push(topic));
  await new Promise<void>((resolve, reject) => {
    watcher.once('connect', () => resolve());
    watcher.once('error', reject);
  });
  await watcher.subscribeAsync('fo-will/#', { qos: 1 });
  await until(
    'every node knows the watcher’s filter',
    async () =>
      (await Promise.all(survivors.slice(1).concat(victim).map((n) => n.gauge('tsunagu_cluster_remote_filters')))).every(
        (f) => f >= 1,
      ),
  );
  // One more device on the victim that will not come back: its will is published by the node that
  // adopts the dead node's rows — the same round would republish any will a device that already
  // reconnected had taken, so once it arrives a duplicate would have arrived too.
  const stay = mqtt.connect(`mqtt://127.0.0.1:${lb.ports[1 + victimIdx]}`, {
    clientId: 'fo-stay',
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    will: { topic: 'fo-will/fo-stay', payload: Buffer.from('gone'), qos: 1, retain: false },
  });
  stay.on('error', () => undefined);
  others.push(stay);
  await new Promise<void>((resolve) => stay.once('connect', () => resolve()));
  killed = true;
  const killedAt = Date.now();
  await victim.kill();
  let reconnectedMs = -1;
  let presenceMs = -1;
  let leasesMs = -1;
  await until(
    'every device reconnected, presence exact and the survivors hold every shard',
    async () => {
      const now = Date.now() - killedAt;
      const all = clients.every((c) => c.connected);
      if (all && reconnectedMs < 0) reconnectedMs = now;
      const cs = await Promise.all(survivors.map(fleet));
      // Exact: no entry of the dead node left, and the per-member counts add up to the fleet.
      const exact = cs.every((c) => {
        const by = c.presence.byMember as Record<string, number>;
        const sum = Object.values(by).reduce((a, b) => a + b, 0);
        // Every device and the watcher; the device that stays away is gone with the victim.
        return !Object.keys(by).some((m) => m.startsWith(`${victim.nodeId}#`)) && sum === DEVICES + 1;
      });
      if (exact && presenceMs < 0) presenceMs = now;
      const shards = cs.reduce((a, c) => a + (c.shardsHeld as number), 0);
      if (shards === cs[0]?.shardCount && leasesMs < 0) leasesMs = now;
      return reconnectedMs >= 0 && presenceMs >= 0 && leasesMs >= 0;
    },
    120_000,
  );
  for (const n of survivors) assert.equal((await n.readyz()).status, 200, `${n.nodeId} ready`);
  assert.equal(closedByKill.size, perNode[victimIdx], 'the kill closed exactly the victim’s connections');
  const expected = [...closedByKill, 'fo-stay'].map((id) => `fo-will/${id}`).sort();
  await until('the wills of the victim’s devices', () => new Set(wills).size >= expected.length, 60_000);
  const willsMs = Date.now() - killedAt;
  await new Promise((r) => setTimeout(r, 1000)); // stragglers of the adoption round
  assert.deepEqual(wills.slice().sort(), expected, 'one will per device the kill disconnected, each once, no others');
  t.diagnostic(
    `kill -9 of ${victim.nodeId} (${perNode[victimIdx]} of ${DEVICES} devices): all reconnected through HAProxy after ${reconnectedMs} ms; ` +
      `fleet presence exact on the survivors after ${presenceMs} ms; every shard owned again after ${leasesMs} ms; ` +
      `${expected.length} wills (one by adoption) published once each after ${willsMs} ms`,
  );
});
