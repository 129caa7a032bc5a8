/**
 * Cross-node MQTT fan-out across real `tsunagu start --cluster` processes on PostgreSQL and NATS,
 * with mqtt.js clients (docs/cluster.md "Fan-out"):
 * - a subscriber on A gets what a publisher on B sends, QoS 1 and 0, wildcard and overlapping
 *   filters, once per subscriber, in publisher order; a subscriber on B too, no duplicates;
 * - `$share/g/…` with one member on each node: every message delivered once in the cluster;
 * - a retained message published on B reaches a new subscription on A;
 * - unsubscribing on A stops forwarding from B (B's forwarded counter does not move);
 * - A killed with -9 and restarted: B drops the dead node's filters and forwards to the new one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startClusterProcess, type ClusterProcess } from '../test-support/cluster-processes.js';
import { freshPgSchema, requireNats, requirePostgres } from '../test-support/services.js';
import { until } from '../test-support/until.js';

interface Got {
  topic: string;
  payload: string;
  qos: number;
}

async function client(
  port: number,
  id: string,
  opts: IClientOptions = {},
): Promise<{ c: MqttClient; got: Got[] }> {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId: id,
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 15_000,
    ...opts,
  });
  const got: Got[] = [];
  c.on('message', (topic, payload, packet) =>
    got.push({ topic, payload: payload.toString(), qos: packet.qos }),
  );
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return { c, got };
}

test('postgres+nats: PUBLISH reaches subscribers on other tsunagu nodes (QoS, wildcards, $share, retained, unsubscribe, kill -9)', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  const schema = await freshPgSchema('fanout');
  const o = { schema: schema.schema, subject: `tsunagu.test.${randomBytes(4).toString('hex')}` };
  const nodes: ClusterProcess[] = [];
  const clients: MqttClient[] = [];
  t.after(async () => {
    for (const c of clients) c.end(true);
    await Promise.all(nodes.map((n) => n.stop()));
    await schema.drop();
  });
  const a = await startClusterProcess('fa', o);
  nodes.push(a);
  const b = await startClusterProcess('fb', o);
  nodes.push(b);

  // Subscriber on A with overlapping filters (one copy, highest QoS); publisher and a subscriber on B.
  const subA = await client(a.mqttPort, 'sub-a');
  clients.push(subA.c);
  await subA.c.subscribeAsync({ 'fx/+/t': { qos: 1 }, 'fx/#': { qos: 0 } });
  const subB = await client(b.mqttPort, 'sub-b');
  clients.push(subB.c);
  await subB.c.subscribeAsync('fx/d1/t', { qos: 1 });
  const pub = await client(b.mqttPort, 'pub-b');
  clients.push(pub.c);
  await until('B knows A’s two filters', async () => (await b.gauge('tsunagu_cluster_remote_filters')) === 2);
  // No forward for a topic A has no filter for.
  const before = await b.gauge('tsunagu_cluster_forwarded_out_total');
  await pub.c.publishAsync('other/x', 'nobody on A', { qos: 1 });

  for (let i = 0; i < 50; i++) {
    await pub.c.publishAsync('fx/d1/t', `q1-${i}`, { qos: 1 });
    await pub.c.publishAsync('fx/d2/t', `q0-${i}`, { qos: 0 });
  }
  const want1 = Array.from({ length: 50 }, (_, i) => `q1-${i}`);
  const want0 = Array.from({ length: 50 }, (_, i) => `q0-${i}`);
  await until('A got 100 messages', () => subA.got.length >= 100, 20_000);
  await new Promise((r) => setTimeout(r, 300)); // duplicates would arrive by now
  const d1 = subA.got.filter((g) => g.topic === 'fx/d1/t');
  assert.deepEqual(
    d1.map((g) => g.payload),
    want1,
    'QoS 1 on A: each once, in publisher order',
  );
  assert.ok(
    d1.every((g) => g.qos === 1),
    'overlapping subscriptions: one copy at the highest QoS',
  );
  assert.deepEqual(
    subA.got.filter((g) => g.topic === 'fx/d2/t').map((g) => g.payload),
    want0,
  );
  assert.equal(subA.got.length, 100);
  assert.deepEqual(
    subB.got.map((g) => g.payload),
    want1,
    'the same-node subscriber on B: each once',
  );
  assert.equal(
    (await b.gauge('tsunagu_cluster_forwarded_out_total')) - before,
    100,
    'one forward per message to the one interested node; none for other/x',
  );
  assert.equal(await a.gauge('tsunagu_cluster_forwarded_out_total'), 0, 'A forwards nothing it received');

  // Shared subscription with one member on each node: one delivery per message cluster-wide.
  const s1 = await client(a.mqttPort, 'share-a');
  const s2 = await client(b.mqttPort, 'share-b');
  clients.push(s1.c, s2.c);
  await s1.c.subscribeAsync('$share/g/sh/#', { qos: 1 });
  await s2.c.subscribeAsync('$share/g/sh/#', { qos: 1 });
  await until(
    'B knows A’s shared member',
    async () => (await b.gauge('tsunagu_cluster_remote_filters')) === 3,
  );
  for (let i = 0; i < 40; i++) await pub.c.publishAsync(`sh/${i}`, `s-${i}`, { qos: 1 });
  await until('40 shared messages delivered', () => s1.got.length + s2.got.length >= 40, 20_000);
  await new Promise((r) => setTimeout(r, 300));
  const all = [...s1.got, ...s2.got].map((g) => g.payload).sort();
  assert.deepEqual(
    all,
    Array.from({ length: 40 }, (_, i) => `s-${i}`).sort(),
    'each shared message exactly once',
  );
  assert.ok(
    s1.got.length > 0 && s2.got.length > 0,
    `both nodes' members served (${s1.got.length}/${s2.got.length})`,
  );

  // Retained on B, a new subscription on A gets it.
  await pub.c.publishAsync('ret/one', 'kept', { qos: 1, retain: true });
  await until('A holds the retained message', async () => {
    const r = await client(a.mqttPort, `ret-${randomBytes(2).toString('hex')}`);
    await r.c.subscribeAsync('ret/#', { qos: 1 });
    await new Promise((res) => setTimeout(res, 200));
    r.c.end(true);
    return r.got.some((g) => g.payload === 'kept');
  });

  // Unsubscribe on A: B stops forwarding fx/… (A's shared filter stays).
  await subA.c.unsubscribeAsync(['fx/+/t', 'fx/#']);
  await until('B forgot A’s fx filters', async () => (await b.gauge('tsunagu_cluster_remote_filters')) === 1);
  const beforeUnsub = await b.gauge('tsunagu_cluster_forwarded_out_total');
  const gotBefore = subA.got.length;
  for (let i = 0; i < 20; i++) await pub.c.publishAsync('fx/d1/t', `after-${i}`, { qos: 1 });
  await until('B’s own subscriber got them', () => subB.got.length >= 70);
  assert.equal(
    await b.gauge('tsunagu_cluster_forwarded_out_total'),
    beforeUnsub,
    'nothing forwarded after unsubscribe',
  );
  assert.equal(subA.got.length, gotBefore);

  // kill -9 A, restart it: B drops the dead member's filters and forwards to the new one.
  await a.kill();
  clients.splice(clients.indexOf(subA.c), 1);
  clients.splice(clients.indexOf(s1.c), 1);
  subA.c.end(true);
  s1.c.end(true);
  await until(
    'B dropped the dead node’s filters',
    async () => (await b.gauge('tsunagu_cluster_remote_filters')) === 0,
    30_000,
  );
  const a2 = await startClusterProcess('fa', o);
  nodes.push(a2);
  const subA2 = await client(a2.mqttPort, 'sub-a2');
  clients.push(subA2.c);
  await subA2.c.subscribeAsync('fx/+/t', { qos: 1 });
  const r2 = await client(a2.mqttPort, 'ret-a2');
  clients.push(r2.c);
  await r2.c.subscribeAsync('ret/#', { qos: 1 });
  await until('the restarted A has the retained message from the shared store', () =>
    r2.got.some((g) => g.payload === 'kept'),
  );
  await until(
    'B knows the restarted A’s filters',
    async () => (await b.gauge('tsunagu_cluster_remote_filters')) === 2,
  );
  for (let i = 0; i < 20; i++) await pub.c.publishAsync('fx/d3/t', `again-${i}`, { qos: 1 });
  await until('restarted A got 20', () => subA2.got.length >= 20);
  assert.deepEqual(
    subA2.got.map((g) => g.payload),
    Array.from({ length: 20 }, (_, i) => `again-${i}`),
  );
});
