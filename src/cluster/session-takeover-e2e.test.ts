/**
 * MQTT sessions across real `tsunagu start --cluster` processes on PostgreSQL and NATS, with
 * mqtt.js clients (docs/mqtt.md "Cross-node sessions", issue 13 "Sessions"):
 * - a client id connected on A connecting on B: A sends DISCONNECT 0x8E, B answers session
 *   present and holds the subscriptions (a publish on C reaches the client on B);
 * - QoS 1 and 2 messages queued while the persistent session is offline on B are all delivered,
 *   once each and in order, when the client comes back on C (MQTT 3.1.1 and 5);
 * - clean start on another node discards the stored session;
 * - QoS 2 across three nodes: subscribers on A and C, publisher on B, every message exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startClusterProcesses, type ClusterProcess } from '../test-support/cluster-processes.js';
import { requireNats, requirePostgres } from '../test-support/services.js';
import { until } from '../test-support/until.js';

interface Client {
  c: MqttClient;
  got: { topic: string; payload: string; qos: number }[];
  sessionPresent: boolean;
  disconnectCode: () => number | undefined;
}

async function connect(port: number, clientId: string, opts: IClientOptions = {}): Promise<Client> {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId,
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 20_000,
    ...opts,
  });
  const got: Client['got'] = [];
  let code: number | undefined;
  c.on('message', (topic, payload, packet) =>
    got.push({ topic, payload: payload.toString(), qos: packet.qos }),
  );
  c.on('disconnect', (p) => (code = p.reasonCode));
  const sessionPresent = await new Promise<boolean>((resolve, reject) => {
    c.once('connect', (ack) => resolve(ack.sessionPresent));
    c.once('error', reject);
  });
  return { c, got, sessionPresent, disconnectCode: () => code };
}

const persistent = (v: 4 | 5): IClientOptions =>
  v === 5
    ? { protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 600 } }
    : { protocolVersion: 4, clean: false };

test('postgres+nats: sessions move between tsunagu nodes; QoS 2 exactly once across three nodes', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  const { nodes, clients } = await startClusterProcesses(t, 'takeover', ['ta', 'tb', 'tc']);
  const [a, b, c] = nodes as [ClusterProcess, ClusterProcess, ClusterProcess];
  const open = async (n: ClusterProcess, id: string, opts: IClientOptions = {}): Promise<Client> => {
    const cl = await connect(n.mqttPort, id, opts);
    clients.push(cl.c);
    return cl;
  };
  const pub = await open(c, 'publisher');
  // The other nodes have heard of a new filter held on `holder` (their remote filter count grew).
  const remoteCounts = (): Promise<number[]> =>
    Promise.all(nodes.map((x) => x.gauge('tsunagu_cluster_remote_filters')));
  const heardOf = (holder: ClusterProcess, before: number[], more = 1): Promise<void> =>
    until('the other nodes know the new filter', async () => {
      const now = await remoteCounts();
      return nodes.every((x, i) => x === holder || now[i]! >= before[i]! + more);
    });

  await t.test('a client connected on A that connects on B: 0x8E on A, session present on B', async () => {
    const onA = await open(a, 'dev-1', persistent(5));
    assert.equal(onA.sessionPresent, false);
    await onA.c.subscribeAsync('to/dev-1/#', { qos: 1 });
    const closedOnA = new Promise<void>((r) => onA.c.once('close', () => r()));
    const onB = await open(b, 'dev-1', persistent(5));
    await closedOnA;
    assert.equal(onA.disconnectCode(), 0x8e, 'A sent DISCONNECT 0x8E session taken over');
    assert.equal(onB.sessionPresent, true, 'the session came over from A');
    assert.equal(await b.gauge('tsunagu_cluster_sessions_taken_over'), 1);
    // The subscription moved with it: a publish on C reaches the client on B, not A.
    await until('C forwards to B', async () => (await c.gauge('tsunagu_cluster_remote_filters')) >= 1);
    await pub.c.publishAsync('to/dev-1/cmd', 'after takeover', { qos: 1 });
    await until('delivered on B', () => onB.got.length === 1);
    assert.deepEqual(onB.got[0], { topic: 'to/dev-1/cmd', payload: 'after takeover', qos: 1 });
    assert.equal(onA.got.length, 0);
    onB.c.end(true);
  });

  for (const v of [5, 4] as const) {
    await t.test(
      `MQTT ${v === 5 ? 5 : '3.1.1'}: QoS 1/2 queued offline on B are delivered on C, once, in order`,
      async () => {
        const id = `dev-q${v}`;
        const first = await open(b, id, persistent(v));
        const before = await remoteCounts();
        await first.c.subscribeAsync(`q/${id}`, { qos: 2 });
        await heardOf(b, before);
        await new Promise<void>((r) => first.c.end(false, {}, () => r()));
        // Offline on B: B keeps queueing (durably) what A's publisher sends.
        const sender = await open(a, `sender-${v}`);
        for (let i = 0; i < 30; i++)
          await sender.c.publishAsync(`q/${id}`, `m${i}`, { qos: (1 + (i % 2)) as 1 | 2 });
        const back = await open(c, id, persistent(v));
        assert.equal(back.sessionPresent, true);
        await until('30 queued messages on C', () => back.got.length >= 30);
        // And the subscription is live on C: one more published on A.
        await sender.c.publishAsync(`q/${id}`, 'live', { qos: 2 });
        await until('live message on C', () => back.got.length >= 31);
        await new Promise((r) => setTimeout(r, 300)); // no stragglers or duplicates behind
        // Once each, in publish order per QoS (mqtt.js hands a QoS 2 message over at PUBREL, one
        // round trip after its PUBLISH, so the two streams interleave differently on the client).
        const sent = Array.from({ length: 30 }, (_, i) => ({ payload: `m${i}`, qos: 1 + (i % 2) }));
        for (const qos of [1, 2])
          assert.deepEqual(
            back.got.filter((g) => g.qos === qos && g.payload !== 'live').map((g) => g.payload),
            sent.filter((m) => m.qos === qos).map((m) => m.payload),
            `QoS ${qos} messages once each, in order`,
          );
        assert.equal(back.got.length, 31);
        back.c.end(true);
      },
    );
  }

  await t.test('clean start on another node discards the stored session', async () => {
    const first = await open(a, 'dev-clean', persistent(5));
    await first.c.subscribeAsync('clean/x', { qos: 1 });
    await new Promise<void>((r) => first.c.end(false, {}, () => r()));
    const fresh = await open(b, 'dev-clean', { clean: true });
    assert.equal(fresh.sessionPresent, false);
    fresh.c.end(true);
    await new Promise((r) => setTimeout(r, 200));
    const later = await open(c, 'dev-clean', persistent(5));
    assert.equal(later.sessionPresent, false, 'no stored session left behind');
    await pub.c.publishAsync('clean/x', 'nobody', { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(later.got.length, 0, 'the old subscription went with the session');
  });

  await t.test(
    'QoS 2 across three nodes: publisher on B, subscribers on A and C, exactly once each',
    async () => {
      const subA = await open(a, 'q2-a');
      const subC = await open(c, 'q2-c');
      const before = await b.gauge('tsunagu_cluster_remote_filters');
      await subA.c.subscribeAsync('q2/#', { qos: 2 });
      await subC.c.subscribeAsync('q2/+/x', { qos: 2 });
      await until(
        'B knows both filters',
        async () => (await b.gauge('tsunagu_cluster_remote_filters')) >= before + 2,
      );
      const sender = await open(b, 'q2-pub');
      const n = 200;
      // 20 outstanding at a time (under the server's Receive Maximum).
      for (let i = 0; i < n; i += 20)
        await Promise.all(
          Array.from({ length: 20 }, (_, k) => sender.c.publishAsync('q2/d/x', `p${i + k}`, { qos: 2 })),
        );
      await until('both got every message', () => subA.got.length >= n && subC.got.length >= n);
      await new Promise((r) => setTimeout(r, 300));
      const want = Array.from({ length: n }, (_, i) => `p${i}`);
      assert.deepEqual(
        subA.got.map((g) => g.payload),
        want,
        'A: exactly once, in order',
      );
      assert.deepEqual(
        subC.got.map((g) => g.payload),
        want,
        'C: exactly once, in order',
      );
      assert.ok(subA.got.every((g) => g.qos === 2));
    },
  );
});
