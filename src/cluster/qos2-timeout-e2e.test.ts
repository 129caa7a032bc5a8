/**
 * QoS 2 exactly once when a forward times out (docs/cluster.md, "QoS 2 after a forward timeout"):
 * three `tsunagu start --cluster` processes, a QoS 2 subscriber on each, a publisher on A. Node B
 * is stopped (SIGSTOP) while a QoS 2 message is in flight: A gets no answer from B within 5 s, does
 * not send PUBREC and disconnects the publisher; B is resumed (SIGCONT) and queues the message from
 * its socket buffer; the publisher (mqtt.js) reconnects and resends it with the same packet id.
 * Every subscriber — on A (delivered at the first attempt), B (slow) and C (accepted in time) —
 * gets every message exactly once, for a clean-session (3.1.1) and a persistent (5) publisher, and
 * for a clean one (5) that reconnects to C instead (A hands its unacknowledged QoS 2 messages over
 * with the session claim's answer).
 *
 * Before the fix the clean publisher's resend was routed as a new message (each subscriber got it
 * twice); the persistent one's was answered from its recorded inbound id without routing (so a
 * node that had not queued it would miss it — with SIGSTOP B still queues it from its buffer).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startClusterProcesses, type ClusterProcess } from '../test-support/cluster-processes.js';
import { requireNats, requirePostgres } from '../test-support/services.js';
import { until } from '../test-support/until.js';

async function open(n: ClusterProcess, clientId: string, opts: IClientOptions): Promise<MqttClient> {
  const c = mqtt.connect(`mqtt://127.0.0.1:${n.mqttPort}`, { clientId, connectTimeout: 30_000, ...opts });
  c.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return c;
}

test('postgres+nats: a forward that timed out on a stopped node — QoS 2 still exactly once', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  const { nodes, clients } = await startClusterProcesses(t, 'qos2to', ['qa', 'qb', 'qc']);
  const [a, b, c] = nodes as [ClusterProcess, ClusterProcess, ClusterProcess];

  const got = new Map<string, string[]>();
  for (const [n, name] of [
    [a, 'on A'],
    [b, 'on B (slow)'],
    [c, 'on C'],
  ] as const) {
    const sub = await open(n, `sub-${n.nodeId}`, { protocolVersion: 5, reconnectPeriod: 0 });
    clients.push(sub);
    const list: string[] = [];
    got.set(name, list);
    sub.on('message', (_t, p) => list.push(p.toString()));
    await sub.subscribeAsync('q2/#', { qos: 2 });
  }
  const knowsBandC = (): Promise<void> =>
    until('A knows the filters held on B and C', async () => {
      return (await a.gauge('tsunagu_cluster_remote_filters')) >= 2;
    });

  const to = (...ns: ClusterProcess[]): IClientOptions => ({
    servers: ns.map((n) => ({ host: '127.0.0.1', port: n.mqttPort })),
  });
  const runs: [string, IClientOptions][] = [
    ['clean', { protocolVersion: 4, clean: true }],
    ['persistent', { protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 600 } }],
    // mqtt.js takes the next server at each reconnect: the resend goes to C.
    ['moved', { protocolVersion: 5, clean: true, ...to(a, c) }],
  ];
  let deduplicatedOnC = 0;
  for (const [kind, session] of runs) {
    await knowsBandC();
    const pub = await open(a, `pub-${kind}`, { ...session, reconnectPeriod: 300 });
    clients.push(pub);
    let closes = 0;
    pub.on('close', () => closes++);
    const topic = `q2/${kind}`;
    await pub.publishAsync(topic, `${kind}-1`, { qos: 2 });

    b.proc.child.kill('SIGSTOP');
    const slow = pub.publishAsync(topic, `${kind}-2`, { qos: 2 });
    // No answer from B within the forward timeout: no PUBREC, the publisher is disconnected.
    await until(`the ${kind} publisher disconnected after the forward timeout`, () => closes > 0, 60_000);
    b.proc.child.kill('SIGCONT');
    await slow; // resent after the reconnect, PUBCOMP received
    await pub.publishAsync(topic, `${kind}-3`, { qos: 2 });

    // A duplicate would arrive before the last message (one publisher, one topic: in order).
    await until(`every subscriber has ${kind}-3`, () =>
      [...got.values()].every((l) => l.includes(`${kind}-3`)),
    );
    for (const [name, list] of got)
      assert.deepEqual(
        list.filter((m) => m.startsWith(`${kind}-`)),
        [`${kind}-1`, `${kind}-2`, `${kind}-3`],
        `${kind} publisher: the subscriber ${name} got each message once`,
      );
    // C had accepted the first attempt in time: the resend reached it and was answered from its window.
    const now = await c.gauge('tsunagu_cluster_forwards_deduplicated_total');
    assert.ok(now > deduplicatedOnC, `${kind}: C deduplicated the resend (${now})`);
    deduplicatedOnC = now;
    pub.end(true);
  }
});
