/**
 * `GET /api/v1/devices?serviceState=…` on the whole platform: the registry's list filtered by
 * health's service state, together with the other filters and paging; every row carries its state
 * and reasons; a customer's user gets only its devices; a bad value is a 422 naming the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON response bodies in tests
type Json = Record<string, any>;

async function call(p: TestPlatform, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) {
  const r = await p.app.http.inject({
    method,
    url: `/api/v1${url}`,
    headers: p.auth,
    ...(payload ? { payload } : {}),
  });
  return { status: r.statusCode, body: JSON.parse(r.body) as Json };
}

const ids = (body: Json): string[] => (body.items as Json[]).map((d) => d.id as string);

test('device list: service-state filter with text, tag and paging; state per row; 422 naming the field', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  const devices: [string, string[]][] = [
    ['pump-1', ['site-a']],
    ['pump-2', ['site-a']],
    ['pump-3', ['site-b']],
    ['valve-1', ['site-a']],
    ['valve-2', ['site-b']],
    ['valve-3', ['site-a']],
  ];
  for (const [id, tags] of devices)
    assert.equal((await call(p, 'POST', '/devices', { id, tags })).status, 201);
  const set = async (id: string, state: string): Promise<void> => {
    const r = await call(p, 'PUT', `/devices/${id}/service-state`, { state, note: 'checked on site' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };
  await set('pump-2', 'out_of_service');
  await set('valve-2', 'out_of_service');
  await set('pump-3', 'maintenance');
  await set('valve-3', 'retired');

  const list = async (query: string): Promise<Json> => {
    const r = await call(p, 'GET', `/devices?${query}`);
    assert.equal(r.status, 200, `${query}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  assert.deepEqual(ids(await list('serviceState=in_service')), ['pump-1', 'valve-1']);
  assert.deepEqual(ids(await list('serviceState=out_of_service')), ['pump-2', 'valve-2']);
  assert.deepEqual(ids(await list('serviceState=maintenance')), ['pump-3']);
  assert.deepEqual(ids(await list('serviceState=retired')), ['valve-3']);
  // Together with the text and tag filters (the out-of-service list had neither) and paging.
  assert.deepEqual(ids(await list('serviceState=out_of_service&q=valve')), ['valve-2']);
  assert.deepEqual(ids(await list('serviceState=in_service&tag=site-a&q=pump')), ['pump-1']);
  const page = await list('serviceState=out_of_service&limit=1&offset=1');
  assert.deepEqual([ids(page), page.total, page.nextOffset], [['valve-2'], 2, null]);

  // Every row carries its state and reasons (the console's Service column).
  const all = await list('sort=id');
  assert.deepEqual(
    (all.items as Json[]).map((d) => [d.id, d.serviceState, d.serviceReasons]),
    [
      ['pump-1', 'in_service', []],
      ['pump-2', 'out_of_service', ['manual']],
      ['pump-3', 'maintenance', []],
      ['valve-1', 'in_service', []],
      ['valve-2', 'out_of_service', ['manual']],
      ['valve-3', 'retired', []],
    ],
  );

  // Back in service: the filter follows health's state at once.
  await set('pump-3', 'in_service');
  assert.deepEqual(ids(await list('serviceState=maintenance')), []);
  assert.deepEqual(ids(await list('serviceState=in_service')), ['pump-1', 'pump-3', 'valve-1']);

  for (const bad of ['broken', 'IN_SERVICE', '']) {
    const r = await call(p, 'GET', `/devices?serviceState=${bad}`);
    assert.deepEqual([r.status, r.body.error.field], [422, 'querystring.serviceState'], bad);
    assert.match(r.body.error.message, /in_service, out_of_service, maintenance, retired/);
  }

  // A customer's user: the filter applies within the customer's devices only.
  assert.equal(
    (await call(p, 'PUT', '/customers/acme', { name: 'ACME', devices: ['pump-2', 'pump-1'] })).status,
    200,
  );
  const password = 'a long enough customer password';
  const user = { email: 'cleo@acme.example', role: 'viewer', customer: 'acme', password };
  assert.equal((await call(p, 'POST', '/users', user)).status, 201);
  const login = await fetch(`${p.httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: user.email, password }),
  });
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
  const mine = await p.app.http.inject({
    method: 'GET',
    url: '/api/v1/devices?serviceState=out_of_service',
    headers: { cookie },
  });
  assert.deepEqual(ids(JSON.parse(mine.body) as Json), ['pump-2']);
});
