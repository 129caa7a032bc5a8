/**
 * A node killed with -9 while a persistent subscriber's QoS 1 messages are on their way to it,
 * and the subscriber reclaims its session on another node _before_ the dead node's sessions are
 * adopted (the 10,000-device kill run lost such messages: they were re-sent to the adopter for
 * the adopted sessions only; docs/cluster.md "A node that dies"). Real `tsunagu start --cluster`
 * processes on PostgreSQL and NATS, mqtt.js clients.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startClusterProcesses, type ClusterProcess } from '../test-support/cluster-processes.js';
import { requireNats, requirePostgres } from '../test-support/services.js';
import { until } from '../test-support/until.js';

async function connect(
  port: number,
  clientId: string,
  opts: IClientOptions,
): Promise<{ c: MqttClient; got: string[]; sessionPresent: boolean }> {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId,
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 30_000,
    ...opts,
  });
  const got: string[] = [];
  c.on('message', (_topic, payload) => got.push(payload.toString()));
  c.on('error', () => undefined);
  const sessionPresent = await new Promise<boolean>((resolve, reject) => {
    c.once('connect', (ack) => resolve(ack.sessionPresent));
    c.once('error', reject);
  });
  return { c, got, sessionPresent };
}

const persistent: IClientOptions = { clean: false, properties: { sessionExpiryInterval: 600 } };

test('postgres+nats: messages held for a killed node reach a session reclaimed elsewhere before the adoption', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  const { nodes, clients } = await startClusterProcesses(t, 'reclaim', ['ra', 'rb', 'rc']);
  const [a, b, c] = nodes as [ClusterProcess, ClusterProcess, ClusterProcess];

  const sub = await connect(a.mqttPort, 'reclaimer', persistent);
  clients.push(sub.c);
  await sub.c.subscribeAsync('q/reclaim', { qos: 1 });
  await until('B knows A’s filter', async () => (await b.gauge('tsunagu_cluster_remote_filters')) >= 1);
  const pub = await connect(b.mqttPort, 'publisher', {});
  clients.push(pub.c);

  await a.kill();
  // Published on B right after the kill: B's forwards to A find no responders and wait for the
  // adoption of A's sessions. Then, before that adoption, the subscriber reclaims its session on C.
  const sent = Array.from({ length: 10 }, (_, i) => `e${i}`);
  const acked = Promise.all(sent.map((p) => pub.c.publishAsync('q/reclaim', p, { qos: 1 })));
  await new Promise((r) => setTimeout(r, 300));
  const back = await connect(c.mqttPort, 'reclaimer', persistent);
  clients.push(back.c);
  assert.equal(back.sessionPresent, true, 'the session was resumed on C');
  await acked; // PUBACKed: each one must reach the subscriber
  await until(
    'every acknowledged message reaches the reclaimed session',
    () => back.got.length >= sent.length,
  );
  await pub.c.publishAsync('q/reclaim', 'end', { qos: 1 });
  await until('the sentinel', () => back.got.includes('end'));
  assert.deepEqual(back.got, [...sent, 'end'], 'once each, in order');
});
