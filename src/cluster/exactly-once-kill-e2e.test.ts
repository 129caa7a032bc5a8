/**
 * QoS 2 exactly once across kill -9 of a node (issue 13 "Node failure" / "Sessions";
 * docs/cluster.md "Exactly once across a node failure"). Three `tsunagu start --cluster` processes;
 * A's clients reach it through HAProxy (A, with B and C as `backup` servers), so when A dies they
 * reconnect through the load balancer to a survivor. mqtt.js clients, persistent sessions:
 * (a) a publisher got PUBREC from A, its PUBREL never reached A (held in its socket): after the
 *     kill it resumes on a survivor and sends PUBREL; the subscriber on B has the message once;
 * (b) a publisher's PUBLISH reached A, A was killed before PUBREC (its write of the inbound id held
 *     by a row lock the test takes): the client resends it on a survivor; the subscriber on B has
 *     it once (twice before the fix: A had forwarded it before its write, and the survivor saw no
 *     inbound id and routed the resend as a new message);
 * (c) a persistent QoS 2 subscriber on A, one of its flows PUBREL'd by A and the PUBCOMP held,
 *     while a publisher on C keeps publishing through the kill: after it resumes on a survivor it
 *     has every acknowledged message exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
  got: { topic: string; payload: string }[];
}

const persistent: IClientOptions = {
  protocolVersion: 5,
  clean: false,
  properties: { sessionExpiryInterval: 600 },
};

test('postgres+nats+haproxy: QoS 2 exactly once when a node is killed with -9 mid-flow', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t)) || !requireHaproxy(t)) return;
  const schema = await freshPgSchema('exactlyonce');
  const o = { schema: schema.schema, subject: testClusterSubject() };
  const nodes: ClusterProcess[] = [];
  const clients: MqttClient[] = [];
  const lbs: Haproxy[] = [];
  const lock = await schema.pool.connect();
  let locked = false;
  t.after(async () => {
    if (locked) await lock.query('ROLLBACK').catch(() => undefined);
    lock.release();
    for (const c of clients) c.end(true);
    for (const lb of lbs) await lb.stop();
    await stopClusterProcesses(nodes);
    await schema.drop();
  });
  for (const id of ['xa', 'xb', 'xc']) nodes.push(await startClusterProcess(id, o));
  const [a, b, c] = nodes as [ClusterProcess, ClusterProcess, ClusterProcess];
  const lb = await startHaproxy([{ servers: [a.mqttPort], backup: [b.mqttPort, c.mqttPort], check: true }]);
  lbs.push(lb);

  const open = async (port: number, clientId: string, opts: IClientOptions = {}): Promise<Client> => {
    const cl = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
      clientId,
      protocolVersion: 5,
      reconnectPeriod: 200,
      connectTimeout: 30_000,
      ...opts,
    });
    clients.push(cl);
    const got: Client['got'] = [];
    cl.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
    cl.on('error', () => undefined); // refused while A is down: retried
    await new Promise<void>((resolve) => cl.once('connect', () => resolve()));
    return { c: cl, got };
  };
  const viaA = lb.ports[0]!;
  const count = (cl: Client, payload: string): number => cl.got.filter((g) => g.payload === payload).length;

  // Subscribers: a clean one on B (a, b), a persistent one on A (c).
  const sub = await open(b.mqttPort, 'x-sub');
  await sub.c.subscribeAsync('ab/#', { qos: 2 });
  const subA = await open(viaA, 'x-sub-a', persistent);
  await subA.c.subscribeAsync('c/#', { qos: 2 });
  // A session of A's that does not come back: adopted by a survivor.
  const idle = await open(viaA, 'x-idle', { ...persistent, reconnectPeriod: 0 });
  await idle.c.subscribeAsync('idle/#', { qos: 1 });
  await until(
    'the other nodes know both filters',
    async () =>
      (await a.gauge('tsunagu_cluster_remote_filters')) >= 1 &&
      (await c.gauge('tsunagu_cluster_remote_filters')) >= 3,
  );

  // (c) x-sub-a holds its PUBCOMP for the marker: A has the flow in state `pubrel`.
  subA.c.on('packetreceive', (p) => {
    if (p.cmd === 'pubrel' && subA.got.length === 0) subA.c.stream.cork();
  });
  const pubC = await open(c.mqttPort, 'x-pub-c', persistent);
  await pubC.c.publishAsync('c/m', 'marker', { qos: 2 });
  await until('x-sub-a got the marker', () => count(subA, 'marker') === 1);
  // Then a steady stream through the kill (each one acknowledged before the next is sent).
  let stop = false;
  const acked: string[] = [];
  const stream = (async () => {
    for (let i = 0; !stop && i < 2000; i++) {
      await pubC.c.publishAsync('c/s', `s${i}`, { qos: 2 });
      acked.push(`s${i}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  // (a) PUBREC from A; the PUBREL stays in the publisher's socket.
  const pubA = await open(viaA, 'x-pub-a', persistent);
  pubA.c.on('packetreceive', (p) => {
    if (p.cmd === 'pubrec') pubA.c.stream.cork();
  });
  const aDone = pubA.c.publishAsync('ab/a', 'a-1', { qos: 2 });
  await until('the subscriber got (a)', () => count(sub, 'a-1') === 1);

  // (b) Every inbound id of x-pub-b is held by an uncommitted row of the test: A cannot make its
  // id durable, so it cannot send PUBREC.
  await lock.query('BEGIN');
  locked = true;
  await lock.query(`INSERT INTO mqtt_incoming (client_id, packet_id)
    SELECT 'x-pub-b', g FROM generate_series(1, 65535) g`);
  const pid = (await lock.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const pubB = await open(viaA, 'x-pub-b', persistent);
  const bDone = pubB.c.publishAsync('ab/b', 'b-1', { qos: 2 });
  await until('A’s write of x-pub-b’s inbound id waits for the test’s row', async () => {
    const r = await schema.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
      [pid],
    );
    return Number(r.rows[0]!.n) > 0;
  });
  // Time for a forward sent before that write to arrive (not an assertion: the old code got here).
  await Promise.race([
    until('the subscriber got (b) before PUBREC', () => count(sub, 'b-1') > 0, 1000).catch(() => undefined),
    new Promise((r) => setTimeout(r, 1000)),
  ]);

  await a.kill();
  await lock.query('ROLLBACK');
  locked = false;

  let aOk = false;
  let bOk = false;
  aDone.then(
    () => (aOk = true),
    () => undefined,
  );
  bDone.then(
    () => (bOk = true),
    () => undefined,
  );
  await until('(a) completed on a survivor', () => aOk, 60_000);
  await until('(b) completed on a survivor', () => bOk, 60_000);
  await until('x-sub-a is back', () => subA.c.connected, 60_000);
  // Let the stream run on past the adoption of A's sessions, then stop it.
  await until(
    'A’s sessions adopted',
    async () =>
      (await b.gauge('tsunagu_cluster_sessions_adopted')) +
        (await c.gauge('tsunagu_cluster_sessions_adopted')) >
      0,
    60_000,
  );
  const after = acked.length;
  await until('the stream went on after the adoption', () => acked.length >= after + 20, 60_000);
  stop = true;
  await stream;
  // Sentinels through the same paths: anything duplicated would have arrived before them.
  await new Promise((r) => setTimeout(r, 1000));
  await pubA.c.publishAsync('ab/end', 'end', { qos: 2 });
  await pubC.c.publishAsync('c/end', 'end', { qos: 2 });
  await until('sentinels', () => count(sub, 'end') === 1 && count(subA, 'end') === 1, 60_000);

  assert.equal(count(sub, 'a-1'), 1, '(a) PUBREL resumed on a survivor: delivered once');
  assert.equal(count(sub, 'b-1'), 1, '(b) PUBLISH resent on a survivor: delivered once');
  assert.equal(count(subA, 'marker'), 1, '(c) the PUBREL-pending flow completed, not redelivered');
  const seen = new Map<string, number>();
  for (const g of subA.got) seen.set(g.payload, (seen.get(g.payload) ?? 0) + 1);
  const twice = [...seen].filter(([, n]) => n > 1).map(([p]) => p);
  assert.deepEqual(twice, [], '(c) nothing delivered twice to the resumed subscriber');
  const lost = acked.filter((p) => !seen.has(p));
  assert.deepEqual(lost, [], `(c) every acknowledged message delivered (${acked.length} acknowledged)`);
});
