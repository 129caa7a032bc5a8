/**
 * QoS 2 exactly once across kill -9 of a node, scenario (d) of docs/cluster.md "Exactly once
 * across a node failure": the publisher and a persistent QoS 2 subscriber are both on node A
 * (through HAProxy, B and C `backup`). The PUBLISH reaches A, A commits the inbound id with the
 * message id, routes it to its own subscriber, which receives it (the flow completes); A's PUBREC
 * never reaches the publisher (a proxy in the test drops what A sends it), and A is killed. The
 * subscriber resumes on a survivor, then the publisher resends there under the stored id: the
 * subscriber must have the message once (twice before the per-session record of delivered message
 * ids: the survivor had no window entry for it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import {
  startClusterProcess,
  stopClusterProcesses,
  type ClusterProcess,
} from '../test-support/cluster-processes.js';
import { testClusterSubject } from '../test-support/cluster-node.js';
import { requireHaproxy, startHaproxy, type Haproxy } from '../test-support/haproxy.js';
import { freshPgSchema, requireNats, requirePostgres } from '../test-support/services.js';
import { until } from '../test-support/until.js';

interface Client {
  c: MqttClient;
  got: string[];
  connects: number;
}

const persistent: IClientOptions = {
  protocolVersion: 5,
  clean: false,
  properties: { sessionExpiryInterval: 600 },
};

/**
 * A TCP relay in front of `port`: `drop` discards what the server sends (the client never sees
 * it), `refuse` closes new connections at once. A closed side closes the other.
 */
async function relay(port: number): Promise<{ port: number; drop: boolean; refuse: boolean; close(): void }> {
  const socks = new Set<net.Socket>();
  const r = {
    port: 0,
    drop: false,
    refuse: false,
    close: () => {
      for (const s of socks) s.destroy();
      server.close();
    },
  };
  const server = net.createServer((down) => {
    socks.add(down);
    if (r.refuse) return down.destroy();
    const up = net.connect(port, '127.0.0.1');
    socks.add(up);
    down.on('data', (d) => up.write(d));
    up.on('data', (d) => {
      if (!r.drop) down.write(d);
    });
    const end = (): void => {
      up.destroy();
      down.destroy();
    };
    for (const s of [up, down]) {
      s.on('close', end);
      s.on('error', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.port = (server.address() as net.AddressInfo).port;
  return r;
}

test('postgres+nats+haproxy: a node’s own persistent QoS 2 subscriber gets a message once when the node is killed before PUBREC', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t)) || !requireHaproxy(t)) return;
  const schema = await freshPgSchema('exactlyonce_own');
  const o = { schema: schema.schema, subject: testClusterSubject() };
  const nodes: ClusterProcess[] = [];
  const clients: MqttClient[] = [];
  const lbs: Haproxy[] = [];
  const relays: { close(): void }[] = [];
  t.after(async () => {
    for (const c of clients) c.end(true);
    for (const r of relays) r.close();
    for (const lb of lbs) await lb.stop();
    await stopClusterProcesses(nodes);
    await schema.drop();
  });
  for (const id of ['da', 'db', 'dc']) nodes.push(await startClusterProcess(id, o));
  const [a, b, c] = nodes as [ClusterProcess, ClusterProcess, ClusterProcess];
  const lb = await startHaproxy([{ servers: [a.mqttPort], backup: [b.mqttPort, c.mqttPort], check: true }]);
  lbs.push(lb);
  const viaA = lb.ports[0]!;
  const rl = await relay(viaA);
  relays.push(rl);

  const open = async (port: number, clientId: string): Promise<Client> => {
    const cl = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
      clientId,
      reconnectPeriod: 200,
      connectTimeout: 30_000,
      ...persistent,
    });
    clients.push(cl);
    const me: Client = { c: cl, got: [], connects: 0 };
    cl.on('message', (_topic, payload) => me.got.push(payload.toString()));
    cl.on('connect', () => me.connects++);
    cl.on('error', () => undefined); // refused while A is down: retried
    await new Promise<void>((resolve) => cl.once('connect', () => resolve()));
    return me;
  };
  const count = (cl: Client, payload: string): number => cl.got.filter((g) => g === payload).length;

  const sub = await open(viaA, 'd-sub');
  await sub.c.subscribeAsync('d/#', { qos: 2 });
  const pub = await open(rl.port, 'd-pub');

  // What A sends the publisher from now on (its PUBREC) is lost.
  rl.drop = true;
  let pubOk = false;
  pub.c.publishAsync('d/x', 'd-1', { qos: 2 }).then(
    () => (pubOk = true),
    () => undefined,
  );
  await until('A delivered the message to its own subscriber', () => count(sub, 'd-1') === 1);
  rl.refuse = true; // the publisher comes back only once the subscriber has
  await a.kill();
  await until('the subscriber resumed on a survivor', () => sub.connects >= 2 && sub.c.connected, 60_000);
  rl.drop = false;
  rl.refuse = false;
  await until('the publisher’s resend completed on a survivor', () => pubOk, 60_000);
  assert.ok(pub.connects >= 2, 'the publisher reconnected (its PUBREC from A was lost)');
  // A sentinel through the same path: a duplicate would have arrived before it.
  await pub.c.publishAsync('d/end', 'end', { qos: 2 });
  await until('sentinel', () => count(sub, 'end') === 1, 60_000);
  assert.equal(count(sub, 'd-1'), 1, '(d) delivered once to the subscriber A held');
});
