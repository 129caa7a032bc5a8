/**
 * Last seen has one owner (presence) and one store: on the real platform a real mqtt.js device
 * sends a heartbeat and then telemetry; `GET /devices/{id}` (any event), telemetry's
 * `GET /devices/{id}/latest` (the latest message and its kind) and health's
 * `GET /devices/{id}/service-state` (the heartbeat its model counts) all answer from presence's
 * record — also after a restart on the same data directory, when nothing but the stored row is left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import mqtt from 'mqtt';
import type { DeviceLastSeen } from '../core/index.js';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { until } from '../test-support/until.js';
import type { RegistryModule } from './index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON response bodies in assertions
type Json = Record<string, any>;

const get = async (p: TestPlatform, url: string): Promise<Json> => {
  const r = await p.app.http.inject({ method: 'GET', url: `/api/v1${url}`, headers: p.auth });
  assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
  return JSON.parse(r.body) as Json;
};

const presence = (p: TestPlatform): RegistryModule =>
  p.app.modules.find((m) => m.name === 'registry') as RegistryModule;

/** What each reader reports, side by side with presence's record. */
async function views(p: TestPlatform, id: string) {
  const record = (await presence(p).lastSeen.get(id)) as DeviceLastSeen;
  return {
    record,
    device: (await get(p, `/devices/${id}`)).lastSeenAt as number,
    telemetry: (await get(p, `/devices/${id}/latest`)).lastSeen as { ts: number; kind: string } | null,
    health: (await get(p, `/devices/${id}/service-state`)).lastSeen as number | null,
  };
}

test('GET /devices/{id}, telemetry and health report last-seen from presence, before and after a restart', async (t) => {
  const p1 = await startTestPlatform({}, { keepDataDir: true });
  const restarted: { p?: TestPlatform } = {};
  t.after(async () => {
    await p1.close();
    await restarted.p?.close();
    rmSync(p1.dataDir, { recursive: true, force: true });
  });
  const post = async (url: string, body: Json): Promise<Json> => {
    const r = await p1.app.http.inject({
      method: 'POST',
      url: `/api/v1${url}`,
      headers: p1.auth,
      payload: body,
    });
    assert.ok(r.statusCode < 300, `${url}: ${r.body}`);
    return JSON.parse(r.body) as Json;
  };
  await post('/device-models', {
    name: 'ls-scooter',
    heartbeat: { intervalMs: 600_000, graceMs: 60_000, signOfLife: 'heartbeat' },
  });
  await post('/devices', { id: 'ls-1', model: 'ls-scooter' });
  const { secret } = await post('/devices/ls-1/credentials', {});
  const c = await mqtt.connectAsync(p1.mqttUrl, {
    clientId: 'ls-1',
    username: 'ls-1',
    password: secret as string,
    reconnectPeriod: 0,
  });
  await c.publishAsync('devices/ls-1/heartbeat', '', { qos: 1 });
  await until(
    'the heartbeat is recorded',
    async () => ((await presence(p1).lastSeen.get('ls-1'))?.heartbeatAt ?? 0) > 0,
  );
  await new Promise((r) => setTimeout(r, 5)); // the telemetry message comes a little later
  await c.publishAsync('devices/ls-1/telemetry', JSON.stringify({ temp: 21 }), { qos: 1 });
  await until(
    'the telemetry message is recorded',
    async () => (await presence(p1).lastSeen.get('ls-1'))?.messageKind === 'telemetry',
  );

  const live = await views(p1, 'ls-1');
  assert.ok(live.record.heartbeatAt < live.record.messageAt, 'heartbeat first, then telemetry');
  assert.deepEqual(live.telemetry, { ts: live.record.messageAt, kind: 'telemetry' });
  assert.equal(live.health, live.record.heartbeatAt, 'health counts the heartbeat, as its model says');
  assert.equal(live.device, live.record.at);

  await c.endAsync();
  await p1.app.close(); // keeps the data directory
  const p2 = (restarted.p = await startTestPlatform({ dataDir: p1.dataDir }));
  const after = await views(p2, 'ls-1');
  assert.equal(after.record.messageAt, live.record.messageAt, 'stored: the latest message');
  assert.equal(after.record.heartbeatAt, live.record.heartbeatAt, 'stored: the latest heartbeat');
  assert.ok(after.record.at >= live.record.at, 'stored: the disconnect, at the latest');
  assert.deepEqual(after.telemetry, { ts: live.record.messageAt, kind: 'telemetry' });
  assert.equal(after.health, live.record.heartbeatAt, 'health re-read its last sign of life from presence');
  assert.equal(after.device, after.record.at);
});
