/**
 * GET /api/v1/fleet/positions on the whole platform: columnar shape, `lat`/`lon` or
 * `latitude`/`longitude`, state from health (out of service, maintenance, retired) and presence (online), model filter,
 * truncation, a customer's user sees only its devices, bad queries answer 422 naming the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';

const PASSWORD = 'a long enough customer password';

async function call(
  p: TestPlatform,
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  payload?: object,
  headers: Record<string, string> = p.auth,
) {
  const r = await p.app.http.inject({
    method,
    url: `/api/v1${url}`,
    headers,
    ...(payload ? { payload } : {}),
  });
  return { status: r.statusCode, body: JSON.parse(r.body) as Record<string, unknown> };
}

async function ok(p: TestPlatform, method: 'POST' | 'PUT', url: string, payload: object): Promise<void> {
  const r = await call(p, method, url, payload);
  assert.ok(r.status < 300, `${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
}

test('fleet positions: columns, states, filters, truncation, customer scope, bad queries', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  await ok(p, 'POST', '/device-models', { name: 'meter' });
  for (const id of ['dev-a', 'dev-b', 'dev-c', 'dev-d', 'dev-e', 'dev-f', 'dev-g', 'dev-h'])
    await ok(p, 'POST', '/devices', { id, ...(id === 'dev-c' ? { model: 'meter' } : {}) });
  await ok(p, 'POST', '/devices/dev-a/telemetry', { lat: 52.5, lon: 13.4 });
  await ok(p, 'POST', '/devices/dev-b/telemetry', { lat: 48.1, lon: 11.6 });
  await ok(p, 'POST', '/devices/dev-c/telemetry', { latitude: 40, longitude: -3.7 });
  await ok(p, 'POST', '/devices/dev-d/telemetry', { lat: 10 }); // no longitude
  await ok(p, 'POST', '/devices/dev-e/telemetry', { lat: 95, lon: 0 }); // not a latitude
  await ok(p, 'POST', '/devices/dev-f/telemetry', { battery: 80 }); // no position
  await ok(p, 'POST', '/devices/dev-g/telemetry', { lat: 1, lon: 2 });
  await ok(p, 'POST', '/devices/dev-h/telemetry', { lat: 3, lon: 4 });
  await ok(p, 'PUT', '/devices/dev-b/service-state', { state: 'out_of_service', note: 'broken' });
  // Maintenance and retired are shown as such, connected or not.
  await ok(p, 'PUT', '/devices/dev-g/service-state', { state: 'maintenance', note: 'pump swap' });
  await ok(p, 'PUT', '/devices/dev-h/service-state', { state: 'retired', note: 'scrapped' });
  for (const id of ['dev-a', 'dev-g'])
    p.app.bus.emit('device.connected', {
      deviceId: id,
      at: Date.now(),
      remoteAddress: '127.0.0.1',
      clientId: id,
    } as never);

  const all = await call(p, 'GET', '/fleet/positions');
  assert.equal(all.status, 200);
  assert.deepEqual(all.body, {
    ids: ['dev-a', 'dev-b', 'dev-g', 'dev-h', 'dev-c'],
    lat: [52.5, 48.1, 1, 3, 40],
    lon: [13.4, 11.6, 2, 4, -3.7],
    state: ['ok', 'out', 'maintenance', 'retired', 'offline'],
    truncated: false,
  });
  assert.deepEqual((await call(p, 'GET', '/fleet/positions?model=meter')).body.ids, ['dev-c']);
  assert.deepEqual((await call(p, 'GET', '/fleet/positions?tag=nowhere')).body.ids, []);
  const one = await call(p, 'GET', '/fleet/positions?limit=1');
  assert.deepEqual([one.body.ids, one.body.truncated], [['dev-a'], true]);

  for (const [query, field] of [
    ['limit=0', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=999999999', 'limit'],
    ['bogus=1', 'bogus'],
  ] as const) {
    const bad = await call(p, 'GET', `/fleet/positions?${query}`);
    assert.equal(bad.status, 422, query);
    assert.match(JSON.stringify(bad.body), new RegExp(field), query);
  }

  // A customer's user sees only the customer's devices; another customer's stay hidden.
  await ok(p, 'PUT', '/customers/acme', { name: 'ACME', devices: ['dev-b', 'dev-f'] });
  await ok(p, 'POST', '/users', {
    email: 'cleo@acme.example',
    role: 'viewer',
    customer: 'acme',
    password: PASSWORD,
  });
  const login = await fetch(`${p.httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'cleo@acme.example', password: PASSWORD }),
  });
  assert.equal(login.status, 200);
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
  const mine = await call(p, 'GET', '/fleet/positions', undefined, { cookie });
  assert.equal(mine.status, 200);
  assert.deepEqual([mine.body.ids, mine.body.state], [['dev-b'], ['out']]);
  const none = await call(p, 'GET', '/fleet/positions?model=meter', undefined, { cookie });
  assert.deepEqual(none.body.ids, []);
});
