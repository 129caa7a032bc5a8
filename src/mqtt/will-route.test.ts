/**
 * A will is routed with nobody to acknowledge; in a cluster its route can wait for other nodes,
 * and that wait rejects when a node does not answer in time (found by `bench cluster --only kill`:
 * the wills of a killed node's 3,000 devices, published on overloaded survivors, ended both
 * survivors with an unhandled rejection). The rejection must be observed (logged), never left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import type { FanOut } from './fan-out.js';
import { startTestBroker } from './test-helpers.js';

test('a will whose route wait rejects (a node did not confirm it) leaves no unhandled rejection', async (t) => {
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown): void => void unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  t.after(() => process.off('unhandledRejection', onUnhandled));
  let rejected = 0;
  // A fan-out whose forwarding of `gone/…` is never confirmed, as a cluster forward that times out.
  const fanOut = (local: FanOut): FanOut => ({
    route(r, scope) {
      local.route(r, scope);
      if (!r.msg.topic.startsWith('gone/')) return;
      rejected++;
      r.waitFor(Promise.reject(Object.assign(new Error('forward not answered'), { code: 'TIMEOUT' })));
    },
    addSubscription: (s) => local.addSubscription(s),
    removeSubscription: (s) => local.removeSubscription(s),
    addHandler: (f, h) => local.addHandler(f, h),
    get subscriptionCount() {
      return local.subscriptionCount;
    },
  });
  const tb = await startTestBroker({ fanOut });
  t.after(() => tb.close());
  const got: string[] = [];
  tb.broker.subscribe('gone/#', (m) => void got.push(m.topic));
  const c = mqtt.connect(tb.url, {
    clientId: 'w',
    reconnectPeriod: 0,
    will: { topic: 'gone/w', payload: Buffer.from('x'), qos: 1, retain: false },
  });
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  c.stream.destroy(); // abnormal close: the will is published
  for (let i = 0; i < 300 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 100)); // unhandled rejections are reported after a turn
  assert.deepEqual(got, ['gone/w'], 'the will was delivered locally');
  assert.equal(rejected, 1);
  assert.deepEqual(unhandled, [], 'no rejection left unobserved');
});
