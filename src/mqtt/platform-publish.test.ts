// BrokerApi.publish reports drops (issue 12): a platform publish is never dropped silently.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import mqtt from 'mqtt';
import { ManualClock } from '../core/index.js';
import { STALL_MS } from './broker.js';
import { describeDrops, PublishDroppedError, requireDelivered } from './publish-result.js';
import { RawClient, startTestBroker } from './test-helpers.js';

describe('BrokerApi.publish result', () => {
  test('a copy bigger than an mqtt.js client accepts is reported dropped for it (too_large), others delivered', async (t) => {
    const tb = await startTestBroker();
    t.after(() => tb.close());
    const small = await mqtt.connectAsync(tb.url, {
      clientId: 'small',
      protocolVersion: 5,
      properties: { maximumPacketSize: 64 },
      reconnectPeriod: 0,
    });
    const big = await mqtt.connectAsync(tb.url, { clientId: 'big', protocolVersion: 5, reconnectPeriod: 0 });
    t.after(() => Promise.all([small.endAsync(), big.endAsync()]));
    await small.subscribeAsync('cmd/#', { qos: 1 });
    await big.subscribeAsync('cmd/#', { qos: 1 });
    const got: string[] = [];
    big.on('message', (topic) => got.push(topic));

    const r = await tb.broker.publish({ topic: 'cmd/1', payload: Buffer.alloc(100), qos: 1 });
    assert.equal(r.delivered, 1);
    assert.equal(r.dropCount, 1);
    assert.deepEqual(r.drops, [{ clientId: 'small', reason: 'too_large' }]);
    assert.equal(describeDrops(r), '1 copy dropped: small (too large)');
    assert.throws(() => requireDelivered('cmd/1', r), PublishDroppedError);
    assert.equal(tb.broker.stats().platformDropped, 1);

    const ok = await tb.broker.publish({ topic: 'cmd/2', payload: 'x', qos: 1 });
    assert.deepEqual({ d: ok.delivered, n: ok.dropCount, l: ok.drops }, { d: 2, n: 0, l: [] });
    assert.equal(requireDelivered('cmd/2', ok), ok);
    while (got.length < 2) await new Promise((res) => setTimeout(res, 10));
    assert.deepEqual(got, ['cmd/1', 'cmd/2']);
  });

  test('a stalled subscriber with a full queue: QoS 1 and QoS 0 copies reported dropped (queue_full)', async (t) => {
    const clock = new ManualClock();
    const tb = await startTestBroker({ listen: false, clock, limits: { maxQueued: 2, maxInflight: 1 } });
    t.after(() => tb.close());
    const s = new RawClient(tb.broker, 5);
    await s.connect('stalled');
    s.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q', qos: 1 }] });
    await s.next('suback');
    for (const p of ['inflight', 'a', 'b']) {
      const r = await tb.broker.publish({ topic: 'q', payload: p, qos: 1 });
      assert.equal(r.dropCount, 0, p);
    }
    clock.advance(STALL_MS + 1000); // acknowledges nothing: no longer holds publishers
    const q1 = await tb.broker.publish({ topic: 'q', payload: 'c', qos: 1 });
    assert.deepEqual(q1.drops, [{ clientId: 'stalled', reason: 'queue_full' }]);
    assert.equal(q1.delivered, 0);
    const q0 = await tb.broker.publish({ topic: 'q', payload: 'd', qos: 0 });
    assert.deepEqual(q0.drops, [{ clientId: 'stalled', reason: 'queue_full' }]);
    assert.equal(tb.broker.stats().platformDropped, 2);
  });
});
