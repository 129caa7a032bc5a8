// Cluster (sessions in a shared store): a persistent session's QoS 2 PUBLISH is routed only once
// its inbound id, with the message's id, is durable; a resend of an id loaded from the store (the
// node that took it died before PUBREC) is routed again under the stored id (docs/cluster.md
// "Exactly once across a node failure"). The fan-out here is the local one with `claimSession`,
// as a cluster fan-out has it, and records what it was asked to route.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Packet } from 'mqtt-packet';
import type { FanOutFactory, RouteScope } from './fan-out.js';
import { MemoryPersistence, type PersistOp } from './persistence.js';
import { RawClient, startTestBroker } from './test-helpers.js';

/** A store whose writes wait while `gate` is set. */
class GatedPersistence extends MemoryPersistence {
  gate: Promise<void> | undefined;
  override async apply(ops: readonly PersistOp[]): Promise<void> {
    if (this.gate) await this.gate;
    return super.apply(ops);
  }
}

interface Routed {
  topic: string;
  id: string | undefined;
  scope: RouteScope | undefined;
}

const clusterLike =
  (routed: Routed[]): FanOutFactory =>
  (local) => ({
    route(r, scope) {
      routed.push({ topic: r.msg.topic, id: r.msg.id, scope });
      local.route(r, scope);
    },
    addSubscription: (s) => local.addSubscription(s),
    removeSubscription: (s) => local.removeSubscription(s),
    addHandler: (f, h) => local.addHandler(f, h),
    get subscriptionCount() {
      return local.subscriptionCount;
    },
    claimSession: () => Promise.resolve(),
  });

const publish = (messageId: number, payload: string, dup = false): Packet => ({
  cmd: 'publish',
  topic: 't/1',
  payload: Buffer.from(payload),
  qos: 2,
  retain: false,
  dup,
  messageId,
});
const persistent = { clean: false, properties: { sessionExpiryInterval: 600 } };

test('cluster: a persistent QoS 2 PUBLISH is routed only after its inbound id and message id are durable', async (t) => {
  const persistence = new GatedPersistence();
  const routed: Routed[] = [];
  const tb = await startTestBroker({ listen: false, persistence, fanOut: clusterLike(routed) });
  t.after(() => tb.close());
  const s = new RawClient(tb.broker, 5);
  await s.connect('sub');
  s.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 't/#', qos: 2 }] });
  await s.next('suback');
  const pub = new RawClient(tb.broker, 5);
  await pub.connect('pub', persistent);

  let open!: () => void;
  persistence.gate = new Promise<void>((r) => (open = r));
  pub.send(publish(9, 'x'));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(
    routed.filter((r) => r.topic === 't/1'),
    [],
    'not routed while the inbound id is not durable',
  );
  assert.equal(
    s.packets.some((p) => p.cmd === 'publish'),
    false,
    'not delivered yet',
  );
  persistence.gate = undefined;
  open();
  await s.next('publish', (p) => p.cmd === 'publish' && p.payload.toString() === 'x');
  assert.equal((await pub.next('pubrec')).messageId, 9);
  const stored = (await persistence.load()).incoming.find((i) => i.clientId === 'pub' && i.packetId === 9);
  const first = routed.find((r) => r.topic === 't/1');
  assert.ok(stored?.msgId !== undefined, 'the message id is stored with the inbound id');
  assert.equal(first?.id, stored.msgId, 'routed under the stored id');
  assert.equal(first?.scope?.resend, undefined, 'as a new message');

  pub.send({ cmd: 'pubrel', messageId: 9 });
  await pub.next('pubcomp');
  assert.equal((await persistence.load()).incoming.length, 0, 'released');
});

test('cluster: a resend of an inbound id loaded from the store is routed again under the stored id, once', async (t) => {
  const persistence = new GatedPersistence();
  // What a node killed before PUBREC left: the session and the inbound id with its message id.
  await persistence.apply([
    {
      op: 'session.put',
      session: { clientId: 'pub', expiryInterval: 600, disconnectedAt: null, protocolVersion: 5 },
    },
    { op: 'incoming.put', clientId: 'pub', packetId: 9, msgId: 'dead.1' },
  ]);
  const routed: Routed[] = [];
  const tb = await startTestBroker({ listen: false, persistence, fanOut: clusterLike(routed) });
  t.after(() => tb.close());
  const pub = new RawClient(tb.broker, 5);
  const ack = await pub.connect('pub', persistent);
  assert.equal(ack.cmd === 'connack' && ack.sessionPresent, true, 'the session is loaded');

  pub.send(publish(9, 'x', true));
  assert.equal((await pub.next('pubrec')).messageId, 9);
  assert.deepEqual(
    routed.filter((r) => r.topic === 't/1').map((r) => [r.id, r.scope?.resend]),
    [['dead.1', 'elsewhere']],
    'routed again as a resend under the stored id (deduplicated where it arrived)',
  );
  // A second resend (the PUBREC was lost) is only acknowledged.
  pub.send(publish(9, 'x', true));
  assert.equal((await pub.next('pubrec')).messageId, 9);
  assert.equal(routed.filter((r) => r.topic === 't/1').length, 1, 'not routed a third time');
  pub.send({ cmd: 'pubrel', messageId: 9 });
  await pub.next('pubcomp');
});

test('cluster: a PUBREL for an inbound id loaded from the store completes it without routing', async (t) => {
  const persistence = new GatedPersistence();
  await persistence.apply([
    {
      op: 'session.put',
      session: { clientId: 'pub', expiryInterval: 600, disconnectedAt: null, protocolVersion: 5 },
    },
    { op: 'incoming.put', clientId: 'pub', packetId: 9, msgId: 'dead.1' },
  ]);
  const routed: Routed[] = [];
  const tb = await startTestBroker({ listen: false, persistence, fanOut: clusterLike(routed) });
  t.after(() => tb.close());
  const pub = new RawClient(tb.broker, 5);
  await pub.connect('pub', persistent);
  pub.send({ cmd: 'pubrel', messageId: 9 });
  const comp = await pub.next('pubcomp');
  assert.equal(comp.cmd === 'pubcomp' ? (comp.reasonCode ?? 0) : -1, 0, 'known id: released');
  // The id is free: a new message under it is a new message.
  pub.send(publish(9, 'y'));
  await pub.next('pubrec');
  const t1 = routed.filter((r) => r.topic === 't/1');
  assert.equal(t1.length, 1);
  assert.notEqual(t1[0]!.id, 'dead.1', 'a new id');
  assert.equal(t1[0]!.scope?.resend, undefined);
});
