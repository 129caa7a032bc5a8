import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../core/clock.js';
import type { TsunaguEvents } from '../core/events.js';
import { openSqlite } from '../store/database.js';
import { createNotify, verifySignature, type NotifyModule } from './index.js';
import { directoryOf, startEndpoint, testContext, type Endpoint } from './test-fixtures.js';

const T0 = Date.UTC(2026, 0, 1);
const SECRET = 'whsec-0123456789abcdef';
const fleet = directoryOf({
  s1: { model: 'scooter', tags: ['berlin'] },
  s2: { model: 'scooter', tags: ['paris'] },
  b1: { model: 'boiler' },
});

function out(
  deviceId: string,
  at: number,
  reasons = ['heartbeat_lost'],
): TsunaguEvents['service-state.changed'] {
  return {
    deviceId,
    model: 'scooter',
    from: 'in_service',
    to: 'out_of_service',
    reasons,
    at,
    actor: { kind: 'system', id: 'health' },
  };
}

function tempPath(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'notify-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'n.db');
}

async function build(path: string, clock: ManualClock) {
  const db = openSqlite(path);
  const ctx = testContext(db, clock);
  const notify: NotifyModule = await createNotify(ctx, fleet, { random: () => 0.5 });
  await notify.start!();
  return {
    ctx,
    notify,
    async close() {
      await notify.stop!();
      await db.close();
    },
  };
}

async function webhookSetup(notify: NotifyModule, ep: Endpoint, groupWindowMs = 0) {
  const ch = await notify.service.createChannel({
    name: 'ops hook',
    type: 'webhook',
    url: ep.url,
    secret: SECRET,
    groupWindowMs,
  });
  await notify.service.createRoute({ name: 'all', channelIds: [ch.id] });
  return ch;
}

/** Advance time until `done()` or give up; every step lets deliveries finish first. */
async function runUntil(
  clock: ManualClock,
  notify: NotifyModule,
  done: () => boolean,
  stepMs = 60_000,
  steps = 40,
) {
  for (let i = 0; i < steps && !done(); i++) {
    await notify.idle();
    if (done()) break;
    clock.advance(stepMs);
  }
  await notify.idle();
}

test('a webhook that fails for a while then recovers gets every notification exactly once per event id, signed', async (t) => {
  const clock = new ManualClock(T0);
  const ep = await startEndpoint((n) => (n < 4 ? 500 : 200));
  const h = await build(tempPath(t), clock);
  t.after(async () => {
    await h.close();
    await ep.close();
  });
  await webhookSetup(h.notify, ep);
  for (const id of ['s1', 's2', 'b1']) h.ctx.bus.emit('service-state.changed', out(id, T0));
  h.ctx.bus.emit('service-state.changed', out('s1', T0)); // the same event again: deduplicated
  const accepted = () => ep.received.filter((r) => r.status === 200);
  await runUntil(clock, h.notify, () => accepted().length >= 3);
  assert.equal(accepted().length, 3);
  const ids = accepted().map((r) => r.headers['x-tsunagu-event-id']);
  assert.equal(new Set(ids).size, 3, 'each notification accepted exactly once');
  for (const r of ep.received) {
    assert.ok(
      verifySignature(SECRET, r.raw, r.headers['x-tsunagu-signature'] as string),
      'valid HMAC signature',
    );
    assert.ok(!verifySignature('wrong-secret-0123456789', r.raw, r.headers['x-tsunagu-signature'] as string));
    assert.match(String(r.headers['x-tsunagu-timestamp']), /^\d+$/);
  }
  const bodies = accepted().map((r) => JSON.parse(r.raw) as { id: string; items: { deviceId: string }[] });
  assert.deepEqual(bodies.map((b) => b.items[0]!.deviceId).sort(), ['b1', 's1', 's2']);
  assert.deepEqual(bodies.map((b) => b.id).sort(), [...ids].sort());
  // Nothing more arrives later: delivered rows are never sent again.
  const before = ep.received.length;
  clock.advance(3_600_000);
  await h.notify.idle();
  assert.equal(ep.received.length, before);
  const log = await h.notify.service.listNotifications({ limit: 10 });
  assert.equal(log.length, 3);
  assert.ok(log.every((n) => n.status === 'delivered' && n.lastStatusCode === 200));
  assert.equal(
    log.reduce((s, n) => s + n.attempts, 0),
    ep.received.length,
  );
  assert.ok(log.some((n) => n.attempts > 1));
});

test('retries back off exponentially (with jitter) and the delivery log shows the last error', async (t) => {
  const clock = new ManualClock(T0);
  const times: number[] = [];
  const ep = await startEndpoint(() => {
    times.push(clock.now());
    return 503;
  });
  const h = await build(tempPath(t), clock);
  t.after(async () => {
    await h.close();
    await ep.close();
  });
  await webhookSetup(h.notify, ep);
  h.ctx.bus.emit('service-state.changed', out('s1', T0));
  await runUntil(clock, h.notify, () => times.length >= 5, 250, 400);
  const gaps = times.slice(1).map((x, i) => x - times[i]!);
  // random() = 0.5 → delay = 0.75 × base × 2^(n-1): 750, 1500, 3000, 6000 ms (rounded up to the 250 ms step)
  assert.deepEqual(gaps.slice(0, 4), [750, 1500, 3000, 6000]);
  const [n] = await h.notify.service.listNotifications({ limit: 1 });
  assert.equal(n!.status, 'pending');
  assert.match(n!.lastError ?? '', /HTTP 503/);
  assert.equal(n!.lastStatusCode, 503);
});

test('a queued notification survives a restart and is delivered by the next process', async (t) => {
  const clock = new ManualClock(T0);
  let up = false;
  const ep = await startEndpoint(() => (up ? 200 : 502));
  t.after(() => ep.close());
  const path = tempPath(t);
  let h = await build(path, clock);
  await webhookSetup(h.notify, ep);
  h.ctx.bus.emit('service-state.changed', out('s2', T0));
  await h.notify.idle();
  assert.equal(ep.received.length, 1);
  await h.close();
  up = true;
  clock.advance(60_000);
  h = await build(path, clock);
  t.after(() => h.close());
  await runUntil(clock, h.notify, () => ep.received.some((r) => r.status === 200));
  const ok = ep.received.filter((r) => r.status === 200);
  assert.equal(ok.length, 1);
  assert.equal(ok[0]!.headers['x-tsunagu-event-id'], ep.received[0]!.headers['x-tsunagu-event-id']);
});

test('a storm: the first event goes out at once, the rest as one Slack message with the full list one link away', async (t) => {
  const clock = new ManualClock(T0);
  const ep = await startEndpoint(() => 200);
  const h = await build(tempPath(t), clock);
  t.after(async () => {
    await h.close();
    await ep.close();
  });
  const ch = await h.notify.service.createChannel({
    name: 'slack',
    type: 'slack',
    url: ep.url,
    groupWindowMs: 60_000,
    consoleUrl: 'https://fleet.example.com',
  });
  await h.notify.service.createRoute({ name: 'out', channelIds: [ch.id], kinds: ['service-state.changed'] });
  for (let i = 0; i < 500; i++) h.ctx.bus.emit('service-state.changed', out(`scooter-${i}`, T0 + i * 10));
  h.ctx.bus.emit('service-state.changed', out('s1', T0 + 20, ['hardware_error:MOTOR'])); // another reason: its own group
  await h.notify.idle();
  const texts = () => ep.received.map((r) => (JSON.parse(r.raw) as { text: string }).text);
  assert.equal(ep.received.length, 2, 'the first of each group is sent without waiting for the window');
  assert.ok(
    texts().some((x) => x.startsWith('scooter-0')),
    texts().join(' | '),
  );
  assert.ok(
    texts().some((x) => x.startsWith('s1')),
    texts().join(' | '),
  );
  clock.advance(59_999);
  await h.notify.idle();
  assert.equal(ep.received.length, 2, 'what follows waits for the window to close');
  clock.advance(1);
  await h.notify.idle();
  assert.equal(ep.received.length, 3, 'one message for the 499 that followed; nothing for the lone s1');
  const msgs = ep.received.map(
    (r) => JSON.parse(r.raw) as { text: string; blocks: { type: string; text?: { text: string } }[] },
  );
  const storm = msgs[2]!;
  assert.equal(storm.text, '499 devices went out of service (heartbeat_lost)');
  const all = JSON.stringify(storm.blocks);
  assert.match(all, /https:\/\/fleet\.example\.com\/devices\/scooter-1/);
  const link = /https:\/\/fleet\.example\.com\/api\/v1\/notifications\/([0-9a-f-]+)/.exec(all);
  assert.ok(link, 'link to the full list');
  const full = await h.notify.service.getNotification(link[1]!, 10_000);
  assert.equal(full.items.length, 499);
  assert.equal(full.itemCount, 499);
  const single = msgs.find((m) => m.text.startsWith('s1'))!;
  assert.match(
    JSON.stringify(single.blocks),
    /\*Device\*\\n<https:\/\/fleet\.example\.com\/devices\/s1\|s1>/,
  );
  assert.match(JSON.stringify(single.blocks), /\*Model\*\\nscooter/);
  // After the window, the next event is again sent at once.
  h.ctx.bus.emit('service-state.changed', out('b1', clock.now()));
  await h.notify.idle();
  assert.equal(ep.received.length, 4);
  assert.ok(texts()[3]!.startsWith('b1'), texts()[3]);
});

test('a follow-up group waiting in its window survives a restart', async (t) => {
  const clock = new ManualClock(T0);
  const ep = await startEndpoint(() => 200);
  const path = tempPath(t);
  let h = await build(path, clock);
  t.after(async () => {
    await h.close();
    await ep.close();
  });
  await webhookSetup(h.notify, ep, 60_000);
  for (const id of ['s1', 's2', 'b1']) h.ctx.bus.emit('service-state.changed', out(id, clock.now()));
  await h.notify.idle();
  assert.equal(ep.received.length, 1);
  await h.close();
  h = await build(path, clock);
  h.ctx.bus.emit('service-state.changed', out('s3', clock.now() + 1000)); // joins the open group
  await h.notify.idle();
  assert.equal(ep.received.length, 1);
  clock.advance(60_000);
  await h.notify.idle();
  assert.equal(ep.received.length, 2);
  const body = JSON.parse(ep.received[1]!.raw) as { items: { deviceId: string }[] };
  assert.deepEqual(
    body.items.map((i) => i.deviceId),
    ['s2', 'b1', 's3'],
  );
});

test('a hanging endpoint times out (AbortSignal) and is retried', async (t) => {
  const clock = new ManualClock(T0);
  const ep = await startEndpoint((n) => (n === 0 ? 'hang' : 200));
  const h = await build(tempPath(t), clock);
  t.after(async () => {
    await h.close();
    await ep.close();
  });
  const ch = await h.notify.service.createChannel({
    name: 'hook',
    type: 'webhook',
    url: ep.url,
    groupWindowMs: 0,
    timeoutMs: 150,
  });
  await h.notify.service.createRoute({ name: 'all', channelIds: [ch.id] });
  h.ctx.bus.emit('device.flapping', { deviceId: 's1', at: T0, connects: 12, windowMs: 60_000 });
  await h.notify.idle();
  let [n] = await h.notify.service.listNotifications({ limit: 1 });
  assert.match(n!.lastError ?? '', /timed out after 150 ms/);
  await runUntil(clock, h.notify, () => ep.received.length >= 2);
  [n] = await h.notify.service.listNotifications({ limit: 1 });
  assert.equal(n!.status, 'delivered');
  assert.ok(!('x-tsunagu-signature' in ep.received[1]!.headers), 'no secret, no signature');
});
