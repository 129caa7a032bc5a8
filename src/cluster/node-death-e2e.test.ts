/**
 * A node killed with -9 (issue 13 "Node failure"; docs/cluster.md "A node that dies"), real
 * `tsunagu start --cluster` processes on PostgreSQL and NATS, mqtt.js clients:
 * - wills of its clients are published once fleet-wide by the node that adopts its sessions (or,
 *   for a client that reconnects first, by the node it reconnects to); a delayed will waits its
 *   delay; a client that resumes its persistent session within the will delay cancels it;
 * - QoS 1/2 messages published on surviving nodes for its persistent sessions (offline, or
 *   connected when it died) — before and after the adoption — are queued durably and delivered
 *   when the clients reconnect to any node, once each and in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startClusterProcesses, type ClusterProcess } from '../test-support/cluster-processes.js';
import { requireNats, requirePostgres } from '../test-support/services.js';
import { until } from '../test-support/until.js';

interface Client {
  c: MqttClient;
  got: { topic: string; payload: string }[];
  sessionPresent: boolean;
}

async function connect(port: number, clientId: string, opts: IClientOptions = {}): Promise<Client> {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId,
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 30_000,
    ...opts,
  });
  const got: Client['got'] = [];
  c.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
  c.on('error', () => undefined);
  const sessionPresent = await new Promise<boolean>((resolve, reject) => {
    c.once('connect', (ack) => resolve(ack.sessionPresent));
    c.once('error', reject);
  });
  return { c, got, sessionPresent };
}

const will = (topic: string, delay = 0): IClientOptions['will'] => ({
  topic,
  payload: Buffer.from(`${topic} gone`),
  qos: 1,
  retain: false,
  ...(delay > 0 ? { properties: { willDelayInterval: delay } } : {}),
});
const persistent: IClientOptions = { clean: false, properties: { sessionExpiryInterval: 600 } };

test('postgres+nats: a node killed with -9: its wills once, its sessions keep receiving', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  const { nodes, clients } = await startClusterProcesses(t, 'nodedeath', ['da', 'db', 'dc']);
  const [a, b, c] = nodes as [ClusterProcess, ClusterProcess, ClusterProcess];
  const open = async (n: ClusterProcess, id: string, opts: IClientOptions = {}): Promise<Client> => {
    const cl = await connect(n.mqttPort, id, opts);
    clients.push(cl.c);
    return cl;
  };

  const watcher = await open(b, 'watcher');
  await watcher.c.subscribeAsync('will/#', { qos: 1 });
  // On A: wills of every kind, and two persistent sessions (one offline, one connected).
  await open(a, 'w-clean', { will: will('will/w-clean') });
  await open(a, 'w-delay', { ...persistent, will: will('will/w-delay', 2) });
  await open(a, 'w-back', { ...persistent, will: will('will/w-back', 120) });
  await open(a, 'w-quick', { protocolVersion: 4, will: will('will/w-quick') });
  const off = await open(a, 'sub-off', persistent);
  await off.c.subscribeAsync('q/sub-off', { qos: 1 });
  await new Promise<void>((r) => off.c.end(false, {}, () => r()));
  const on = await open(a, 'sub-on', { protocolVersion: 4, clean: false });
  await on.c.subscribeAsync('q/sub-on', { qos: 2 });
  await until('B knows A’s filters', async () => (await b.gauge('tsunagu_cluster_remote_filters')) >= 2);
  const pub = await open(b, 'publisher');

  await a.kill();
  // Right away, before A's lease expires: publishes for A's sessions (held until adopted),
  // and two of A's clients reconnect to C.
  const early = Promise.all(
    Array.from({ length: 10 }, (_, i) => [
      pub.c.publishAsync('q/sub-off', `e${i}`, { qos: 1 }),
      pub.c.publishAsync('q/sub-on', `e${i}`, { qos: 2 }),
    ]).flat(),
  );
  const quick = await open(c, 'w-quick', { protocolVersion: 4, will: will('will/w-quick') });
  const back = await open(c, 'w-back', { ...persistent, will: will('will/w-back', 120) });
  assert.equal(back.sessionPresent, true, 'w-back resumed its session on C');
  await early;
  for (let i = 0; i < 5; i++) {
    await pub.c.publishAsync('q/sub-off', `l${i}`, { qos: 1 });
    await pub.c.publishAsync('q/sub-on', `l${i}`, { qos: 2 });
  }
  await until('the wills of A’s clients', () =>
    ['will/w-clean', 'will/w-quick', 'will/w-delay'].every((tp) => watcher.got.some((g) => g.topic === tp)),
  );
  const adopted =
    (await b.gauge('tsunagu_cluster_sessions_adopted')) + (await c.gauge('tsunagu_cluster_sessions_adopted'));
  assert.ok(adopted >= 3, `A's sessions and wills adopted by B or C (${adopted})`);

  const want = [
    ...Array.from({ length: 10 }, (_, i) => `e${i}`),
    ...Array.from({ length: 5 }, (_, i) => `l${i}`),
  ];
  const offBack = await open(c, 'sub-off', persistent);
  assert.equal(offBack.sessionPresent, true);
  const onBack = await open(b, 'sub-on', { protocolVersion: 4, clean: false });
  assert.equal(onBack.sessionPresent, true);
  await until(
    'every message queued for A’s sessions',
    () => offBack.got.length >= 15 && onBack.got.length >= 15,
  );
  // A sentinel through the same path: anything duplicated would have arrived before it.
  await new Promise((r) => setTimeout(r, 1000));
  await pub.c.publishAsync('will/sentinel', 'end', { qos: 1 });
  await pub.c.publishAsync('q/sub-off', 'end', { qos: 1 });
  await pub.c.publishAsync('q/sub-on', 'end', { qos: 2 });
  await until('sentinels', () =>
    [watcher.got, offBack.got, onBack.got].every((g) =>
      g.some((m) => m.payload === 'end' || m.topic === 'will/sentinel'),
    ),
  );
  assert.deepEqual(
    offBack.got.map((g) => g.payload),
    [...want, 'end'],
    'sub-off: once each, in order',
  );
  assert.deepEqual(
    onBack.got.map((g) => g.payload),
    [...want, 'end'],
    'sub-on: once each, in order',
  );
  const count = (tp: string): number => watcher.got.filter((g) => g.topic === tp).length;
  assert.equal(count('will/w-clean'), 1, 'a clean client’s will, once');
  assert.equal(count('will/w-quick'), 1, 'the will of a client that reconnected first, once');
  assert.equal(count('will/w-delay'), 1, 'a delayed will, once');
  assert.equal(count('will/w-back'), 0, 'resumed within its will delay: cancelled');
  const order = watcher.got.map((g) => g.topic);
  assert.ok(
    order.indexOf('will/w-delay') > order.indexOf('will/w-clean'),
    'the delayed will after the immediate ones',
  );
  quick.c.end(true);
});
