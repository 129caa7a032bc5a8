/**
 * `GET /devices/{id}/customer-writable`: the model's customer-writable desired keys, for staff and
 * for the customer's own devices; another customer's device and a missing one answer 404.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform } from '../test-support/platform.js';

test('customer-writable keys: from the model, for staff and the owning customer; 404 otherwise', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  const call = async (
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    payload?: object,
    headers: Record<string, string> = p.auth,
  ) => {
    const r = await p.app.http.inject({
      method,
      url: `/api/v1${url}`,
      headers,
      ...(payload ? { payload } : {}),
    });
    return { status: r.statusCode, body: JSON.parse(r.body) as Record<string, unknown> };
  };
  const ok = async (method: 'POST' | 'PUT', url: string, payload: object): Promise<void> => {
    const r = await call(method, url, payload);
    assert.ok(r.status < 300, `${url}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  await ok('POST', '/device-models', {
    name: 'boiler',
    attributes: { customerWritable: ['setpoint', 'eco'] },
  });
  await ok('POST', '/devices', { id: 'b1', model: 'boiler' });
  await ok('POST', '/devices', { id: 'b2' });
  await ok('POST', '/devices', { id: 'b3', model: 'boiler' });
  await ok('PUT', '/customers/acme', { name: 'ACME', devices: ['b1', 'b2'] });
  await ok('PUT', '/customers/globex', { name: 'Globex', devices: ['b3'] });
  const password = 'a long enough customer password';
  await ok('POST', '/users', { email: 'cleo@acme.example', role: 'viewer', customer: 'acme', password });
  const login = await fetch(`${p.httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'cleo@acme.example', password }),
  });
  const cookie = { cookie: login.headers.getSetCookie()[0]!.split(';')[0]! };

  assert.deepEqual((await call('GET', '/devices/b1/customer-writable')).body, { keys: ['setpoint', 'eco'] });
  assert.deepEqual((await call('GET', '/devices/b1/customer-writable', undefined, cookie)).body, {
    keys: ['setpoint', 'eco'],
  });
  assert.deepEqual((await call('GET', '/devices/b2/customer-writable', undefined, cookie)).body, {
    keys: [],
  });
  const other = await call('GET', '/devices/b3/customer-writable', undefined, cookie);
  assert.deepEqual([other.status, (other.body.error as { code: string }).code], [404, 'DEVICE_NOT_FOUND']);
  assert.equal((await call('GET', '/devices/nope/customer-writable')).status, 404);
});
