import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { ManualClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { createHttpServer, registerApi } from '../http/server.js';
import { openSqlite } from '../store/database.js';
import { createNotify } from './index.js';
import { directoryOf, startEndpoint, testContext } from './test-fixtures.js';

const T0 = Date.UTC(2026, 0, 1);
const OPS = { authorization: 'Bearer ops' };

test('channels, routes and the delivery log over HTTP; secrets are write-only', async (t) => {
  const clock = new ManualClock(T0);
  const db = openSqlite(':memory:');
  const ctx = testContext(db, clock);
  const notify = await createNotify(ctx, directoryOf({ s1: { model: 'scooter' } }), {
    backoff: { baseMs: 1000, maxMs: 1000, maxAttempts: 2 },
  });
  await notify.start!();
  const ep = await startEndpoint(() => 500);
  const tokens = {
    verify: (s: string) => (s === 'ops' ? { id: 'ops', name: 'ops', role: 'operator' as const } : undefined),
  };
  const http = createHttpServer({ log: silentLogger, metrics: new Registry(), tokens, ready: () => true });
  await registerApi(http, tokens, [notify.routes!]);
  t.after(async () => {
    await http.close();
    await notify.stop!();
    await ep.close();
    await db.close();
  });

  let r = await http.inject({
    method: 'POST',
    url: '/api/v1/notification-channels',
    headers: OPS,
    payload: {
      name: 'hook',
      type: 'webhook',
      url: ep.url,
      secret: 'whsec-0123456789abcdef',
      groupWindowMs: 0,
    },
  });
  assert.equal(r.statusCode, 201, r.body);
  const hook = r.json();
  assert.equal(hook.hasSecret, true);
  assert.ok(!r.body.includes('whsec-'), 'the secret never comes back');
  r = await http.inject({
    method: 'POST',
    url: '/api/v1/notification-channels',
    headers: OPS,
    payload: { name: 'slack', type: 'slack', url: 'https://hooks.slack.com/services/T0/B0/XYZ' },
  });
  assert.equal(r.json().url, 'https://hooks.slack.com/…');
  assert.equal(r.json().groupWindowMs, 60_000);
  r = await http.inject({
    method: 'POST',
    url: '/api/v1/notification-channels',
    headers: OPS,
    payload: { name: 'x', type: 'webhook', url: 'ftp://x' },
  });
  assert.equal(r.statusCode, 422);
  assert.equal(r.json().error.field, 'url');
  // Update without a secret keeps it; null removes it.
  r = await http.inject({
    method: 'PUT',
    url: `/api/v1/notification-channels/${hook.id}`,
    headers: OPS,
    payload: { name: 'hook 2', type: 'webhook', url: ep.url, groupWindowMs: 0 },
  });
  assert.equal(r.json().hasSecret, true);
  assert.equal(r.json().name, 'hook 2');

  r = await http.inject({
    method: 'POST',
    url: '/api/v1/notification-routes',
    headers: OPS,
    payload: { name: 'bad', channelIds: ['nope'] },
  });
  assert.equal(r.statusCode, 422);
  assert.equal(r.json().error.field, 'channelIds.0');
  r = await http.inject({
    method: 'POST',
    url: '/api/v1/notification-routes',
    headers: OPS,
    payload: {
      name: 'critical scooters',
      channelIds: [hook.id],
      kinds: ['device.event'],
      minSeverity: 'error',
      models: ['scooter'],
    },
  });
  assert.equal(r.statusCode, 201, r.body);
  assert.equal(
    (await http.inject({ method: 'GET', url: '/api/v1/notification-routes', headers: OPS })).json().length,
    1,
  );

  ctx.bus.emit('device.event', {
    deviceId: 's1',
    at: T0,
    code: 'LOW',
    severity: 'warning',
    message: 'battery low',
  });
  ctx.bus.emit('device.event', {
    deviceId: 's1',
    at: T0,
    code: 'MOTOR',
    severity: 'critical',
    message: 'motor stalled',
  });
  await notify.idle();
  clock.advance(1000);
  await notify.idle();
  r = await http.inject({ method: 'GET', url: '/api/v1/notifications?status=failed', headers: OPS });
  const [failed] = r.json();
  assert.equal(r.json().length, 1, 'only the critical event was routed');
  assert.equal(failed.attempts, 2);
  assert.match(failed.lastError, /HTTP 500/);
  r = await http.inject({ method: 'GET', url: `/api/v1/notifications/${failed.id}`, headers: OPS });
  assert.equal(r.json().items[0].data.code, 'MOTOR');
  const metric = await ctx.metrics.getSingleMetricAsString('tsunagu_notify_attempts_total');
  assert.match(metric, /result="retry",channel_type="webhook"\} 1/);
  assert.match(metric, /result="failed",channel_type="webhook"\} 1/);
  ep.respond = () => 200;
  r = await http.inject({ method: 'POST', url: `/api/v1/notifications/${failed.id}/retry`, headers: OPS });
  assert.equal(r.statusCode, 200);
  await notify.idle();
  r = await http.inject({ method: 'GET', url: `/api/v1/notifications/${failed.id}`, headers: OPS });
  assert.equal(r.json().status, 'delivered');
  r = await http.inject({ method: 'POST', url: `/api/v1/notifications/${failed.id}/retry`, headers: OPS });
  assert.equal(r.statusCode, 409);
  r = await http.inject({ method: 'DELETE', url: `/api/v1/notification-channels/${hook.id}`, headers: OPS });
  assert.equal(r.statusCode, 204);
});
