// Cluster (sessions in a shared store): the QoS 2 message ids queued for a persistent session are
// recorded with its queue rows and move with the session, so a message routed again under an id
// the session had — its publisher's node died before PUBREC and the publisher resent it elsewhere
// — is not delivered to it twice, also on the node that loads the session afterwards
// (docs/cluster.md "Exactly once across a node failure", the per-session record). The fan-out is
// the local one with `claimSession`, as a cluster fan-out has it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Packet } from 'mqtt-packet';
import type { FanOutFactory } from './fan-out.js';
import { MemoryPersistence } from './persistence.js';
import { RawClient, startTestBroker } from './test-helpers.js';
import type { Message } from './types.js';

const clusterLike: FanOutFactory = (local) => ({
  route: (r, scope) => local.route(r, scope),
  addSubscription: (s) => local.addSubscription(s),
  removeSubscription: (s) => local.removeSubscription(s),
  addHandler: (f, h) => local.addHandler(f, h),
  get subscriptionCount() {
    return local.subscriptionCount;
  },
  claimSession: () => Promise.resolve(),
});

const message = (id: string, payload: string): Message => ({
  topic: 't/1',
  payload: Buffer.from(payload),
  qos: 2,
  retain: false,
  properties: undefined,
  publisherId: 'pub',
  expiresAt: undefined,
  id,
});

/** The persistent subscriber `sub`, connected. */
async function subscriber(tb: Awaited<ReturnType<typeof startTestBroker>>): Promise<RawClient> {
  const s = new RawClient(tb.broker, 5);
  await s.connect('sub', { clean: false, properties: { sessionExpiryInterval: 600 } });
  return s;
}

type Publish = Extract<Packet, { cmd: 'publish' }>;

/** Take `n` PUBLISHes (acknowledged), then whatever else arrives within 50 ms; their payloads. */
async function take(s: RawClient, n: number): Promise<string[]> {
  const got: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = (await s.next('publish')) as Publish;
    got.push(p.payload.toString());
    s.send({ cmd: 'puback', messageId: p.messageId! });
  }
  await new Promise((r) => setTimeout(r, 50));
  for (const p of s.packets) if (p.cmd === 'publish') got.push(p.payload.toString());
  return got;
}

test('cluster: a persistent session gets a message id once, also after its session moved to another broker', async () => {
  const persistence = new MemoryPersistence();
  const tb1 = await startTestBroker({ listen: false, persistence, fanOut: clusterLike });
  const s1 = await subscriber(tb1);
  s1.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 't/#', qos: 1 }] });
  await s1.next('suback');
  tb1.broker.route(message('n1.1', 'a'), { remote: true });
  assert.deepEqual(await take(s1, 1), ['a']);
  tb1.broker.route(message('n1.1', 'a'), { remote: true }); // routed again under its id
  tb1.broker.route(message('n1.2', 'b'), { remote: true });
  assert.deepEqual(await take(s1, 1), ['b'], 'the same id routed again is not delivered again');
  await tb1.close();

  // The session moves: another broker on the same store loads it at the client's CONNECT.
  const tb2 = await startTestBroker({ listen: false, persistence, fanOut: clusterLike });
  const s2 = await subscriber(tb2);
  tb2.broker.route(message('n1.1', 'a'), { remote: true });
  tb2.broker.route(message('n1.3', 'c'), { remote: true });
  const got = await take(s2, 1);
  await tb2.close();
  assert.deepEqual(got, ['c'], 'the record moved with the session');
});
