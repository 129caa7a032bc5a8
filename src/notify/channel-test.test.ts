/** POST /notification-channels/{id}/test: one message through the real channel, the outcome returned. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { Registry } from 'prom-client';
import { ManualClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { createHttpServer, registerApi } from '../http/server.js';
import { openSqlite } from '../store/database.js';
import { createNotify } from './index.js';
import { directoryOf, startEndpoint, testContext } from './test-fixtures.js';

const OPS = { authorization: 'Bearer ops' };
const VIEWER = { authorization: 'Bearer view' };

/** A port nothing listens on: bind one, then close it. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('a channel test message reports delivered, the HTTP error, or the connection error', async (t) => {
  const db = openSqlite(':memory:');
  const notify = await createNotify(testContext(db, new ManualClock(Date.UTC(2026, 0, 1))), directoryOf({}));
  await notify.start!();
  let answer = 200;
  const ep = await startEndpoint(() => answer);
  const tokens = {
    verify: (s: string) =>
      s === 'ops'
        ? { id: 'ops', name: 'ops', role: 'operator' as const }
        : s === 'view'
          ? { id: 'view', name: 'view', role: 'viewer' as const }
          : undefined,
  };
  const http = createHttpServer({ log: silentLogger, metrics: new Registry(), tokens, ready: () => true });
  await registerApi(http, tokens, [notify.routes!]);
  t.after(async () => {
    await http.close();
    await notify.stop!();
    await ep.close();
    await db.close();
  });
  const post = (url: string, headers = OPS, payload?: object) =>
    http.inject({ method: 'POST', url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });

  const created = await post('/notification-channels', OPS, {
    name: 'ops hook',
    type: 'webhook',
    url: ep.url,
    secret: 'whsec-test-0123456789',
    enabled: false,
  });
  assert.equal(created.statusCode, 201, created.body);
  const id = created.json<{ id: string }>().id;

  let r = await post(`/notification-channels/${id}/test`);
  assert.equal(r.statusCode, 200, r.body);
  assert.equal(r.json().delivered, true);
  assert.equal(r.json().statusCode, 200);
  assert.equal(r.json().error, null);
  assert.equal(ep.received.length, 1, 'a disabled channel is tested too');
  const body = JSON.parse(ep.received[0]!.raw) as { items: { title: string }[] };
  assert.match(body.items[0]!.title, /Test message for channel "ops hook" \(sent by ops\)/);
  assert.ok(ep.received[0]!.headers['x-tsunagu-signature'], 'signed like any webhook message');

  answer = 500;
  r = await post(`/notification-channels/${id}/test`);
  assert.equal(r.statusCode, 200);
  assert.equal(r.json().delivered, false);
  assert.equal(r.json().statusCode, 500);
  assert.match(r.json().error, /^HTTP 500/);

  const port = await deadPort();
  const put = await http.inject({
    method: 'PUT',
    url: `/api/v1/notification-channels/${id}`,
    headers: OPS,
    payload: { name: 'ops hook', type: 'webhook', url: `http://127.0.0.1:${port}/hook` },
  });
  assert.equal(put.statusCode, 200, put.body);
  r = await post(`/notification-channels/${id}/test`);
  assert.equal(r.json().delivered, false);
  assert.equal(r.json().statusCode, null);
  assert.match(r.json().error, /ECONNREFUSED/);

  // Nothing is queued or logged: a test is not a notification.
  const log = await http.inject({ method: 'GET', url: '/api/v1/notifications', headers: OPS });
  assert.deepEqual(log.json(), []);

  r = await post('/notification-channels/no-such-channel/test');
  assert.equal(r.statusCode, 404);
  assert.equal(r.json().error.code, 'NOTIFY_CHANNEL_NOT_FOUND');
  r = await post(`/notification-channels/${id}/test`, VIEWER);
  assert.equal(r.statusCode, 403, r.body);
  r = await post(`/notification-channels/${id}/test`, { authorization: 'Bearer nobody' });
  assert.equal(r.statusCode, 401);
});
