/**
 * End to end on the real platform: a real mqtt.js device sends heartbeats, goes silent, is taken
 * out of service, a signed webhook arrives at a local HTTP server, it speaks again and returns in
 * service. Real clock with a 2 s interval; the test waits for outcomes and never asserts durations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import { verifySignature } from '../notify/index.js';
import { startEndpoint } from '../notify/test-fixtures.js';
import { startTestPlatform } from '../test-support/platform.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON response bodies in assertions
type Json = Record<string, any>;
const SECRET = 'e2e-signing-secret-0123456789';

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('a silent MQTT device goes out of service, a signed webhook arrives, it speaks again and returns', async (t) => {
  const ep = await startEndpoint(() => 200);
  const p = await startTestPlatform();
  const clients: MqttClient[] = [];
  let beat: NodeJS.Timeout | undefined;
  t.after(async () => {
    clearInterval(beat);
    for (const c of clients) await c.endAsync(true);
    await p.close();
    await ep.close();
  });
  const api = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: Json): Promise<Json> => {
    const r = await p.app.http.inject({
      method,
      url: `/api/v1${url}`,
      headers: p.auth,
      ...(payload ? { payload } : {}),
    });
    assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
    return JSON.parse(r.body) as Json;
  };

  const ch = await api('POST', '/notification-channels', {
    name: 'e2e',
    type: 'webhook',
    url: ep.url,
    secret: SECRET,
    groupWindowMs: 0,
  });
  await api('POST', '/notification-routes', {
    name: 'service state',
    channelIds: [ch.id],
    kinds: ['service-state.changed'],
  });
  await api('POST', '/device-models', {
    name: 'e2e-scooter',
    heartbeat: { intervalMs: 2000, graceMs: 1000, signOfLife: 'heartbeat' },
  });
  await api('POST', '/devices', { id: 'scooter-e2e', model: 'e2e-scooter', tags: ['e2e'] });
  const cred = await api('POST', '/devices/scooter-e2e/credentials', {});

  const c = await mqtt.connectAsync(p.mqttUrl, {
    clientId: 'scooter-e2e',
    username: 'scooter-e2e',
    password: cred.secret as string,
    protocolVersion: 5,
    reconnectPeriod: 0,
  });
  clients.push(c);
  const heartbeat = (): void =>
    void c.publishAsync('devices/scooter-e2e/heartbeat', '{}', { qos: 1 }).catch(() => undefined);
  heartbeat();
  beat = setInterval(heartbeat, 250);
  const state = async (): Promise<Json> => api('GET', '/devices/scooter-e2e/service-state');
  await waitFor(async () => (await state()).lastSeen !== null, 'the first heartbeat to be seen');
  assert.equal((await state()).state, 'in_service');

  clearInterval(beat); // the device goes silent
  await waitFor(async () => (await state()).state === 'out_of_service', 'heartbeat_lost');
  const out = await state();
  assert.deepEqual(out.reasons, ['heartbeat_lost']);
  await waitFor(
    () => ep.received.some((r) => r.raw.includes('out of service')),
    'the out-of-service webhook',
  );
  const hook = ep.received.find((r) => r.raw.includes('out of service'))!;
  assert.ok(
    verifySignature(SECRET, hook.raw, hook.headers['x-tsunagu-signature'] as string),
    'signed with the channel secret',
  );
  const body = JSON.parse(hook.raw) as Json;
  assert.equal(body.items[0].deviceId, 'scooter-e2e');
  assert.equal(body.items[0].model, 'e2e-scooter');
  assert.equal(hook.headers['x-tsunagu-event-id'], body.id);

  beat = setInterval(heartbeat, 250); // it speaks again
  heartbeat();
  await waitFor(async () => (await state()).state === 'in_service', 'back in service');
  await waitFor(
    () => ep.received.some((r) => r.raw.includes('back_in_service')),
    'the back-in-service webhook',
  );
  const history = (await state()).history as Json[];
  assert.deepEqual(
    history.slice(0, 2).map((h) => h.to),
    ['in_service', 'out_of_service'],
  );
  const fleet = await api('GET', '/fleet/health');
  assert.equal(fleet.byTag.e2e.in_service, 1);
  const metrics = (await p.app.http.inject({ method: 'GET', url: '/metrics' })).body;
  assert.match(metrics, /tsunagu_health_devices\{state="in_service"\} 1/);
  assert.match(metrics, /tsunagu_health_deadline_delay_seconds_count [1-9]/);
  assert.match(metrics, /tsunagu_notify_attempts_total\{result="delivered",channel_type="webhook"\} [1-9]/);
});

test('a model heartbeat change applies at once, not at the next minute-long refresh', async (t) => {
  const p = await startTestPlatform();
  const clients: MqttClient[] = [];
  t.after(async () => {
    for (const c of clients) await c.endAsync(true);
    await p.close();
  });
  const api = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: Json): Promise<Json> => {
    const r = await p.app.http.inject({
      method,
      url: `/api/v1${url}`,
      headers: p.auth,
      ...(payload ? { payload } : {}),
    });
    assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
    return JSON.parse(r.body) as Json;
  };
  const model = (intervalMs: number): Json => ({
    name: 'slow-then-fast',
    heartbeat: { intervalMs, graceMs: 500, signOfLife: 'heartbeat' },
  });
  await api('POST', '/device-models', model(3_600_000));
  await api('POST', '/devices', { id: 'hb-1', model: 'slow-then-fast' });
  const cred = await api('POST', '/devices/hb-1/credentials', {});
  const client = await mqtt.connectAsync(p.mqttUrl, {
    clientId: 'hb-1',
    username: 'hb-1',
    password: cred.secret as string,
    reconnectPeriod: 0,
  });
  clients.push(client);
  await client.publishAsync('devices/hb-1/heartbeat', '{}', { qos: 1 });
  const state = async (): Promise<Json> => api('GET', '/devices/hb-1/service-state');
  await waitFor(async () => (await state()).lastSeen !== null, 'the heartbeat to be seen');
  // The device stays silent. With an hour's interval it is in service; shortening the interval
  // to one second must take it out well before health's periodic model refresh (60 s).
  await api('PUT', '/device-models/slow-then-fast', model(1000));
  await waitFor(
    async () => (await state()).state === 'out_of_service',
    'heartbeat_lost under the new interval',
    30_000,
  );
  assert.deepEqual((await state()).reasons, ['heartbeat_lost']);
});
