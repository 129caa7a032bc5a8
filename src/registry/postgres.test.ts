import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { startRegistryHarness } from './testing.js';

test('the registry runs on PostgreSQL: API, credentials, MQTT CONNECT and connectivity history', async (t) => {
  if (!(await requirePostgres(t))) return;
  const db = await freshPgSchema('registry_app');
  const h = await startRegistryHarness({ db, registry: {} });
  t.after(async () => {
    await h.close();
    await db.drop();
  });
  const call = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const r = await h.http.inject({
      method,
      url: `/api/v1${url}`,
      headers: h.auth,
      ...(payload ? { payload } : {}),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON response bodies in tests
    return { status: r.statusCode, body: JSON.parse(r.body) as Record<string, any> };
  };
  assert.equal((await call('POST', '/device-models', { name: 'boiler' })).status, 201);
  assert.equal((await call('POST', '/devices', { id: 'pg-1', model: 'boiler', tags: ['x'] })).status, 201);
  const cred = await call('POST', '/devices/pg-1/credentials', {});
  const c = await mqtt.connectAsync(h.mqttUrl, {
    clientId: 'pg-1',
    username: 'pg-1',
    password: cred.body.secret as string,
    protocolVersion: 5,
    reconnectPeriod: 0,
  });
  await c.publishAsync('devices/pg-1/t', '1', { qos: 1 });
  await c.endAsync();
  let sessions = await call('GET', '/devices/pg-1/sessions');
  for (let i = 0; i < 100 && sessions.body.total < 2; i++) {
    await new Promise((r) => setTimeout(r, 20));
    sessions = await call('GET', '/devices/pg-1/sessions');
  }
  assert.deepEqual(
    sessions.body.items.map((s: { event: string; reason: string | null }) => `${s.event}:${s.reason ?? ''}`),
    ['disconnect:client_disconnect', 'connect:'],
  );
  const list = await call('GET', '/devices?tag=x&model=boiler');
  assert.equal(list.body.total, 1);
  assert.equal((await call('GET', '/audit?resource=devices/pg-1')).body.total, 2);
});
