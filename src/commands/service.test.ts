import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandHarness, flush } from './test-helpers.js';
import { computeStats, percentile } from './stats.js';

const actor = { kind: 'token' as const, id: 'op' };

test('command succeeds: delivered as JSON with QoS 1, reply ok → succeeded with reply latency', async (t) => {
  const h = await commandHarness();
  t.after(() => h.close());
  h.connect('s1');
  const { record } = await h.service.create('s1', { name: 'unlock', params: { ride: 7 } }, actor);
  assert.equal(record.status, 'sent');
  const [msg] = h.broker.sent('devices/s1/commands/unlock');
  assert.equal(msg?.qos, 1);
  assert.deepEqual(JSON.parse(msg.payload.toString()), {
    id: record.id,
    name: 'unlock',
    params: { ride: 7 },
    requestedAt: record.requestedAt,
  });
  assert.equal(msg?.properties, undefined, 'no MQTT 5 properties for a 3.1.1 client');
  h.clock.advance(120);
  await h.broker.inject('s1', 'devices/s1/commands/unlock/reply', {
    id: record.id,
    status: 'ok',
    result: { unlocked: true },
  });
  const done = await h.service.get(record.id);
  assert.equal(done.status, 'succeeded');
  assert.equal(done.replyLatencyMs, 120);
  assert.deepEqual(done.result, { unlocked: true });
  assert.equal(h.finished.length, 1);
  assert.equal(h.finished[0]?.status, 'succeeded');
  assert.equal(h.finished[0]?.model, 'scooter');
  assert.equal(h.finished[0]?.replyLatencyMs, 120);
  const stored = await h.store.get(record.id);
  assert.equal(stored?.status, 'succeeded');
});

test('reply status error → failed with the device code and message', async (t) => {
  const h = await commandHarness();
  t.after(() => h.close());
  h.connect('s1');
  const { record } = await h.service.create('s1', { name: 'lock' }, actor);
  await h.broker.inject('s1', 'devices/s1/commands/lock/reply', {
    id: record.id,
    status: 'error',
    code: 'JAMMED',
    message: 'bolt stuck',
  });
  const r = await h.service.get(record.id);
  assert.equal(r.status, 'failed');
  assert.equal(r.errorCode, 'JAMMED');
  assert.equal(r.errorMessage, 'bolt stuck');
});

test('replies from another client, for another name, or unknown ids are ignored', async (t) => {
  const h = await commandHarness();
  t.after(() => h.close());
  h.connect('s1');
  const { record } = await h.service.create('s1', { name: 'lock' }, actor);
  await h.broker.inject('s2', 'devices/s1/commands/lock/reply', { id: record.id, status: 'ok' });
  await h.broker.inject('s1', 'devices/s1/commands/unlock/reply', { id: record.id, status: 'ok' });
  await h.broker.inject('s1', 'devices/s1/commands/lock/reply', { id: 'nope', status: 'ok' });
  await h.broker.inject('s1', 'devices/s1/commands/lock/reply', 'not json');
  assert.equal((await h.service.get(record.id)).status, 'sent');
});

test('no reply → timed_out at sentAt + timeoutMs (ManualClock)', async (t) => {
  const h = await commandHarness();
  t.after(() => h.close());
  h.connect('s1');
  const { record } = await h.service.create('s1', { name: 'lock', timeoutMs: 5000 }, actor);
  h.clock.advance(4999);
  assert.equal((await h.service.get(record.id)).status, 'sent');
  h.clock.advance(1);
  await flush();
  const r = await h.service.get(record.id);
  assert.equal(r.status, 'timed_out');
  assert.equal(r.errorCode, 'TIMEOUT');
  assert.equal(h.finished[0]?.status, 'timed_out');
  // a late reply changes nothing
  await h.broker.inject('s1', 'devices/s1/commands/lock/reply', { id: record.id, status: 'ok' });
  assert.equal((await h.service.get(record.id)).status, 'timed_out');
});

test('idempotency key: a repeat returns the existing command and publishes nothing new', async (t) => {
  const h = await commandHarness();
  t.after(() => h.close());
  h.connect('s1');
  const a = await h.service.create('s1', { name: 'unlock', idempotencyKey: 'ride-1' }, actor);
  const b = await h.service.create('s1', { name: 'unlock', idempotencyKey: 'ride-1' }, actor);
  assert.equal(a.created, true);
  assert.equal(b.created, false);
  assert.equal(b.record.id, a.record.id);
  assert.equal(h.broker.sent('devices/s1/commands/#').length, 1);
  // the same key on another device is another command
  h.connect('s2');
  const c = await h.service.create('s2', { name: 'unlock', idempotencyKey: 'ride-1' }, actor);
  assert.equal(c.created, true);
});

test('offline device: reject by default; queue → delivered on connect; queue → expired', async (t) => {
  const h = await commandHarness();
  t.after(() => h.close());
  const rej = await h.service.create('s9', { name: 'lock' }, actor);
  assert.equal(rej.record.status, 'rejected');
  assert.equal(rej.record.errorCode, 'DEVICE_OFFLINE');
  assert.equal(h.finished[0]?.status, 'rejected');

  const q = await h.service.create(
    's9',
    { name: 'lock', offline: 'queue', expiresInMs: 60_000, timeoutMs: 1000 },
    actor,
  );
  assert.equal(q.record.status, 'queued');
  assert.equal(h.broker.sent('devices/s9/commands/#').length, 0);
  h.clock.advance(30_000);
  h.connect('s9');
  await flush();
  assert.equal((await h.service.get(q.record.id)).status, 'sent');
  assert.equal(h.broker.sent('devices/s9/commands/lock').length, 1);
  // its deadline counts from delivery, not from the request
  h.clock.advance(999);
  assert.equal((await h.service.get(q.record.id)).status, 'sent');
  h.clock.advance(1);
  await flush();
  assert.equal((await h.service.get(q.record.id)).status, 'timed_out');

  const e = await h.service.create('s8', { name: 'lock', offline: 'queue', expiresInMs: 10_000 }, actor);
  h.clock.advance(10_000);
  await flush();
  const expired = await h.service.get(e.record.id);
  assert.equal(expired.status, 'expired');
  assert.equal((await h.store.get(e.record.id))?.status, 'expired');
});

test('confirm: acknowledged on reply, succeeded when shadow.updated shows the value', async (t) => {
  const h = await commandHarness(() => Promise.resolve({ lock: 'unlocked' }));
  t.after(() => h.close());
  h.connect('s1');
  const { record } = await h.service.create(
    's1',
    { name: 'lock', timeoutMs: 10_000, confirm: { path: 'lock', equals: 'locked' } },
    actor,
  );
  h.clock.advance(100);
  await h.broker.inject('s1', 'devices/s1/commands/lock/reply', { id: record.id, status: 'ok' });
  await flush();
  assert.equal((await h.service.get(record.id)).status, 'acknowledged');
  const updated = (reported: Record<string, unknown>, shadowName = '') =>
    h.bus.emit('shadow.updated', {
      deviceId: 's1',
      shadowName,
      version: 2,
      desired: null,
      reported,
      actor: { kind: 'device', id: 's1' },
      at: h.clock.now(),
    });
  h.clock.advance(400);
  updated({ lock: 'locked' }, 'other'); // another shadow does not count
  updated({ lock: 'unlocked' });
  assert.equal((await h.service.get(record.id)).status, 'acknowledged');
  updated({ lock: 'locked' });
  await flush();
  const r = await h.service.get(record.id);
  assert.equal(r.status, 'succeeded');
  assert.equal(r.replyLatencyMs, 100);
  assert.equal(r.confirmLatencyMs, 500);
  assert.equal(h.finished[0]?.confirmLatencyMs, 500);
});

test('confirm: already true at ack → succeeded; never true → timed_out', async (t) => {
  let reported: Record<string, unknown> = { a: { b: 1 } };
  const h = await commandHarness(() => Promise.resolve(reported));
  t.after(() => h.close());
  h.connect('s1');
  const one = await h.service.create('s1', { name: 'set', confirm: { path: 'a.b', equals: 1 } }, actor);
  await h.broker.inject('s1', 'devices/s1/commands/set/reply', { id: one.record.id, status: 'ok' });
  await flush();
  assert.equal((await h.service.get(one.record.id)).status, 'succeeded');
  reported = {};
  const two = await h.service.create(
    's1',
    { name: 'set', timeoutMs: 2000, confirm: { path: 'a.b', equals: 2 } },
    actor,
  );
  await h.broker.inject('s1', 'devices/s1/commands/set/reply', { id: two.record.id, status: 'ok' });
  await flush();
  h.clock.advance(2000);
  await flush();
  const r = await h.service.get(two.record.id);
  assert.equal(r.status, 'timed_out');
  assert.match(r.errorMessage ?? '', /reported state did not confirm/);
});

test('MQTT 5 devices get responseTopic and correlationData; a reply matched by correlationData alone', async (t) => {
  const h = await commandHarness();
  t.after(() => h.close());
  h.connect('s5', 5);
  const { record } = await h.service.create('s5', { name: 'beep' }, actor);
  const [msg] = h.broker.sent('devices/s5/commands/beep');
  assert.equal(msg?.properties?.responseTopic, 'devices/s5/commands/beep/reply');
  assert.equal(msg?.properties?.correlationData?.toString(), record.id);
  // FakeBroker.inject carries no properties, so play the broker delivering a v5 reply directly
  await h.broker.publish({
    topic: 'devices/s5/commands/beep/reply',
    payload: JSON.stringify({ status: 'ok' }),
    properties: { correlationData: Buffer.from(record.id) },
  });
  assert.equal((await h.service.get(record.id)).status, 'succeeded');
});

test('restart: pending deadlines and queued commands survive', async (t) => {
  const h = await commandHarness();
  t.after(() => h.close());
  h.connect('s1');
  const sent = await h.service.create('s1', { name: 'lock', timeoutMs: 5000 }, actor);
  const queued = await h.service.create('s2', { name: 'lock', offline: 'queue', expiresInMs: 50_000 }, actor);
  const late = await h.service.create('s3', { name: 'lock', offline: 'queue', expiresInMs: 1000 }, actor);
  await h.restart();
  h.clock.advance(5000);
  await flush();
  assert.equal((await h.service.get(sent.record.id)).status, 'timed_out');
  assert.equal((await h.service.get(late.record.id)).status, 'expired');
  assert.equal((await h.service.get(queued.record.id)).status, 'queued');
  h.connect('s2');
  await flush();
  assert.equal((await h.service.get(queued.record.id)).status, 'sent');
  await h.broker.inject('s2', 'devices/s2/commands/lock/reply', { id: queued.record.id, status: 'ok' });
  assert.equal((await h.service.get(queued.record.id)).status, 'succeeded');
});

test('waitFor resolves with the final outcome, or the current state after the wait', async (t) => {
  const h = await commandHarness();
  t.after(() => h.close());
  h.connect('s1');
  const { record } = await h.service.create('s1', { name: 'lock', timeoutMs: 5000 }, actor);
  const waiting = h.service.waitFor(record.id, 10_000);
  await h.broker.inject('s1', 'devices/s1/commands/lock/reply', { id: record.id, status: 'ok' });
  assert.equal((await waiting).status, 'succeeded');
  const q = await h.service.create('s7', { name: 'lock', offline: 'queue' }, actor);
  const w2 = h.service.waitFor(q.record.id, 3000);
  h.clock.advance(3000);
  assert.equal((await w2).status, 'queued');
});

test('stats: counts by outcome and nearest-rank percentiles', () => {
  assert.equal(percentile([], 50), null);
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 95), 95);
  assert.equal(percentile(values, 99), 99);
  const s = computeStats([
    { status: 'succeeded', replyLatencyMs: 10, confirmLatencyMs: 30 },
    { status: 'succeeded', replyLatencyMs: 20, confirmLatencyMs: null },
    { status: 'timed_out', replyLatencyMs: null, confirmLatencyMs: null },
  ]);
  assert.equal(s.total, 3);
  assert.equal(s.byStatus.succeeded, 2);
  assert.equal(s.byStatus.timed_out, 1);
  assert.deepEqual(s.replyLatencyMs, { count: 2, p50: 10, p95: 20, p99: 20 });
  assert.deepEqual(s.confirmLatencyMs, { count: 1, p50: 30, p95: 30, p99: 30 });
});
