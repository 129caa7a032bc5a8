/**
 * Commands across two `tsunagu start --cluster` processes (issue 13 "Commands"): the device is
 * connected to A, the app calls the API on B.
 * - B sees the device online through presence (not its own broker), publishes the command, the
 *   fan-out takes it to A, the device's reply (handled on A, which did not create the command)
 *   settles it once: B's long poll answers `succeeded` with the reply latency;
 * - a command queued through B while the device is offline leaves when it connects to A;
 * - a device offline everywhere is still rejected with DEVICE_OFFLINE.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import { testClusterSubject } from '../test-support/cluster-node.js';
import {
  startClusterProcess,
  stopClusterProcesses,
  type ClusterProcess,
} from '../test-support/cluster-processes.js';
import { freshPgSchema, requireNats, requirePostgres } from '../test-support/services.js';
import { until } from '../test-support/until.js';

const TOKEN = 'commands-e2e-token-0123456789abcdef';

/** A device that answers every command with status ok; `seen` lists the command ids it got. */
async function device(
  port: number,
  id: string,
  password: string,
): Promise<{ c: MqttClient; seen: string[] }> {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId: id,
    username: id,
    password,
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 15_000,
  });
  const seen: string[] = [];
  c.on('message', (topic, payload) => {
    const cmd = JSON.parse(payload.toString()) as { id: string };
    seen.push(cmd.id);
    c.publish(`${topic}/reply`, JSON.stringify({ id: cmd.id, status: 'ok', result: { done: true } }), {
      qos: 1,
    });
  });
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  await c.subscribeAsync(`devices/${id}/commands/+`, { qos: 1 });
  return { c, seen };
}

test('postgres+nats: a command through B reaches the device on A and settles once', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  const schema = await freshPgSchema('commands');
  const o = { schema: schema.schema, subject: testClusterSubject(), token: TOKEN };
  const nodes: ClusterProcess[] = [];
  const clients: MqttClient[] = [];
  t.after(async () => {
    for (const c of clients) c.end(true);
    await stopClusterProcesses(nodes);
    await schema.drop();
  });
  nodes.push(await startClusterProcess('ca', o));
  nodes.push(await startClusterProcess('cb', o));
  const [a, b] = nodes as [ClusterProcess, ClusterProcess];
  const secrets: Record<string, string> = {};
  for (const id of ['lock-1', 'lock-2', 'lock-3']) {
    await a.api('POST', '/devices', { id });
    secrets[id] = (await a.api('POST', `/devices/${id}/credentials`, {})).secret as string;
  }

  // Online on A, command through B.
  const d1 = await device(a.mqttPort, 'lock-1', secrets['lock-1']!);
  clients.push(d1.c);
  await until('B sees lock-1 online', async () => (await b.api('GET', '/devices/lock-1')).online === true);
  await until('B forwards to A', async () => (await b.gauge('tsunagu_cluster_remote_filters')) >= 1);
  const done = await b.api('POST', '/devices/lock-1/commands', {
    name: 'unlock',
    wait: true,
    timeoutMs: 10_000,
  });
  assert.equal(done.status, 'succeeded', JSON.stringify(done));
  assert.deepEqual(done.result, { done: true });
  assert.equal(typeof done.replyLatencyMs, 'number');
  assert.deepEqual(d1.seen, [done.id], 'delivered once');
  // One outcome, the same read through either node.
  const viaA = await a.api('GET', `/commands/${done.id}`);
  assert.equal(viaA.status, 'succeeded');
  assert.equal(viaA.finishedAt, done.finishedAt);

  // Queued through B while offline; delivered when the device connects to A.
  const queued = await b.api('POST', '/devices/lock-2/commands', {
    name: 'lock',
    offline: 'queue',
    timeoutMs: 10_000,
  });
  assert.equal(queued.status, 'queued');
  const d2 = await device(a.mqttPort, 'lock-2', secrets['lock-2']!);
  clients.push(d2.c);
  await until(
    'the queued command succeeded',
    async () => (await b.api('GET', `/commands/${queued.id}`)).status === 'succeeded',
  );
  assert.deepEqual(d2.seen, [queued.id]);

  // Offline everywhere: rejected as before.
  const rejected = await b.api('POST', '/devices/lock-3/commands', { name: 'unlock' });
  assert.equal(rejected.status, 'rejected');
  assert.equal(rejected.errorCode, 'DEVICE_OFFLINE');
});
