/**
 * End to end with real MQTT clients (mqtt.js) against the real broker and the registry's hooks:
 * credentials at CONNECT, topic ACLs on PUBLISH/SUBSCRIBE, disconnects on disable/revoke, rotation
 * overlap, connectivity history and flapping.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { ManualClock } from '../core/clock.js';
import type { TsunaguEvents } from '../core/events.js';
import { startRegistryHarness, type RegistryHarness } from './testing.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON response bodies in tests
type Json = Record<string, any>;

/** The SUBACK reason code for one filter (mqtt.js rejects on failure codes; read the packet then). */
async function subscribeCode(c: MqttClient, filter: string, qos: 0 | 1 = 0): Promise<number | undefined> {
  try {
    return (await c.subscribeAsync(filter, { qos }))[0]?.qos;
  } catch (err) {
    const packet = (err as { packet?: { granted?: (number | { qos: number })[] } }).packet;
    const g = packet?.granted?.[0];
    return typeof g === 'number' ? g : g?.qos;
  }
}

describe('registry with real MQTT clients', () => {
  let h: RegistryHarness;
  const clock = new ManualClock();
  const clients: MqttClient[] = [];
  const flapping: TsunaguEvents['device.flapping'][] = [];

  const api = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown): Promise<Json> => {
    const r = await h.http.inject({
      method,
      url: `/api/v1${url}`,
      headers: h.auth,
      ...(payload === undefined ? {} : { payload: payload as Json }),
    });
    assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
    return JSON.parse(r.body) as Json;
  };

  /** A device with one password credential; returns the secret. */
  const device = async (id: string, extra: Json = {}): Promise<{ secret: string; credentialId: string }> => {
    await api('POST', '/devices', { id, ...extra });
    const c = await api('POST', `/devices/${id}/credentials`, {});
    return { secret: c.secret, credentialId: c.credential.id };
  };

  /** Connect; resolves with the client or rejects with the CONNACK reason/return code. */
  const connect = (clientId: string, opts: IClientOptions = {}): Promise<MqttClient> =>
    new Promise((resolve, reject) => {
      const c = mqtt.connect(h.mqttUrl, {
        clientId,
        protocolVersion: 5,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        ...opts,
      });
      clients.push(c);
      c.once('connect', () => resolve(c));
      c.once('error', (err) => {
        c.end(true);
        reject(err);
      });
    });
  const refusedCode = async (p: Promise<MqttClient>): Promise<number | undefined> => {
    try {
      await p;
      return undefined;
    } catch (err) {
      return (err as { code?: number }).code;
    }
  };
  const end = (c: MqttClient): Promise<void> => new Promise((r) => c.end(false, {}, () => r()));
  const sessions = async (id: string): Promise<Json[]> =>
    (await api('GET', `/devices/${id}/sessions?limit=100`)).items;
  const waitFor = async (cond: () => boolean | Promise<boolean>, what: string): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      if (await cond()) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.fail(`timed out waiting for ${what}`);
  };

  before(async () => {
    h = await startRegistryHarness({
      clock,
      registry: { flapping: { connects: 3, windowMs: 60_000 } },
    });
    h.bus.on('device.flapping', (e) => flapping.push(e));
  });
  after(async () => {
    for (const c of clients) c.end(true);
    await h.close();
  });

  test("a device publishes and subscribes on its own topics; another device's topics get 0x87 (PUBACK, SUBACK)", async () => {
    const a = await device('car-a');
    await device('car-b');
    const received: string[] = [];
    h.broker.subscribe('devices/#', (m) => {
      received.push(m.topic);
    });
    const c = await connect('car-a', { username: 'car-a', password: a.secret });
    await c.publishAsync('devices/car-a/telemetry', '{"v":1}', { qos: 1 });
    await c.publishAsync('$aws/things/car-a/shadow/update', '{}', { qos: 1 });
    await assert.rejects(
      c.publishAsync('devices/car-b/telemetry', 'x', { qos: 1 }),
      (err: { code?: number }) => err.code === 0x87,
    );
    assert.equal(await subscribeCode(c, 'devices/car-a/commands/#', 1), 1);
    assert.equal(await subscribeCode(c, 'devices/car-b/#', 1), 0x87);
    assert.equal(await subscribeCode(c, '#', 0), 0x87);
    await waitFor(() => received.includes('devices/car-a/telemetry'), 'the accepted publish');
    assert.ok(!received.includes('devices/car-b/telemetry'), 'the denied publish was not routed');
    await end(c);
  });

  test('refused at CONNECT: wrong password (0x86 / 3.1.1 rc 4), unknown device, disabled device, revoked credential (0x87 / rc 5)', async () => {
    const d = await device('car-c');
    assert.equal(await refusedCode(connect('car-c', { username: 'car-c', password: 'wrong' })), 0x86);
    assert.equal(
      await refusedCode(connect('car-c', { username: 'car-c', password: 'wrong', protocolVersion: 4 })),
      4,
    );
    assert.equal(await refusedCode(connect('ghost', { username: 'ghost', password: 'x' })), 0x87);
    assert.equal(await refusedCode(connect('car-c')), 0x87, 'no credentials and anonymous access off');
    await api('PATCH', '/devices/car-c', { enabled: false });
    assert.equal(await refusedCode(connect('car-c', { username: 'car-c', password: d.secret })), 0x87);
    assert.equal(
      await refusedCode(connect('car-c', { username: 'car-c', password: d.secret, protocolVersion: 4 })),
      5,
    );
    await api('PATCH', '/devices/car-c', { enabled: true });
    const ok = await connect('car-c', { username: 'car-c', password: d.secret });
    await end(ok);
    await api('POST', `/devices/car-c/credentials/${d.credentialId}/revoke`);
    assert.equal(await refusedCode(connect('car-c', { username: 'car-c', password: d.secret })), 0x87);

    const history = await sessions('car-c');
    const refused = history.filter((s) => s.refused);
    assert.ok(refused.length >= 6);
    assert.ok(refused.every((s) => s.event === 'disconnect' && s.reason === 'not_authorized'));
    assert.ok(
      history.some((s) => s.event === 'disconnect' && s.reason === 'client_disconnect' && !s.refused),
    );
    assert.ok(
      history.some(
        (s) => s.event === 'connect' && s.protocolVersion === 5 && s.remoteAddress.includes('127.0.0.1'),
      ),
    );
  });

  test('disabling or revoking the credential of a connected device disconnects it at once (0x87)', async () => {
    const d = await device('car-d');
    const c = await connect('car-d', { username: 'car-d', password: d.secret });
    const kicked = new Promise<number | undefined>((r) => c.once('disconnect', (p) => r(p.reasonCode)));
    await api('PATCH', '/devices/car-d', { enabled: false });
    assert.equal(await kicked, 0x87);
    await waitFor(async () => (await api('GET', '/devices/car-d')).online === false, 'car-d offline');
    const last = (await sessions('car-d'))[0];
    assert.equal(last?.event, 'disconnect');
    assert.equal(last?.reason, 'not_authorized');

    await api('PATCH', '/devices/car-d', { enabled: true });
    const c2 = await connect('car-d', { username: 'car-d', password: d.secret });
    const kicked2 = new Promise<number | undefined>((r) => c2.once('disconnect', (p) => r(p.reasonCode)));
    await api('POST', `/devices/car-d/credentials/${d.credentialId}/revoke`);
    assert.equal(await kicked2, 0x87);
  });

  test('rotation: old and new secrets both work during the overlap, only the new one after it', async () => {
    const d = await device('car-e');
    const r = await api('POST', `/devices/car-e/credentials/${d.credentialId}/rotate`, { overlapMs: 60_000 });
    await end(await connect('car-e', { username: 'car-e', password: d.secret }));
    await end(await connect('car-e', { username: 'car-e', password: r.secret }));
    clock.advance(60_000);
    assert.equal(await refusedCode(connect('car-e', { username: 'car-e', password: d.secret })), 0x87);
    await end(await connect('car-e', { username: 'car-e', password: r.secret }));
  });

  test('online state, fleet counts and flapping (3 connects in the window → one device.flapping)', async () => {
    const d = await device('car-f');
    const before = (await api('GET', '/fleet/connectivity')) as { total: number; online: number };
    const c = await connect('car-f', { username: 'car-f', password: d.secret });
    await waitFor(async () => (await api('GET', '/devices/car-f')).online === true, 'car-f online');
    const during = await api('GET', '/fleet/connectivity');
    assert.equal(during.online, before.online + 1);
    assert.equal(during.total, before.total);
    assert.equal(
      (await api('GET', '/devices?online=true')).items.some((x: Json) => x.id === 'car-f'),
      true,
    );
    await end(c);
    await waitFor(async () => (await api('GET', '/devices/car-f')).online === false, 'car-f offline');
    assert.ok((await api('GET', '/devices/car-f')).lastSeenAt >= clock.now());
    assert.equal(flapping.filter((e) => e.deviceId === 'car-f').length, 0);
    await end(await connect('car-f', { username: 'car-f', password: d.secret }));
    await end(await connect('car-f', { username: 'car-f', password: d.secret }));
    await waitFor(() => flapping.some((e) => e.deviceId === 'car-f'), 'flapping event');
    await end(await connect('car-f', { username: 'car-f', password: d.secret }));
    assert.equal(flapping.filter((e) => e.deviceId === 'car-f').length, 1, 'one event per window');
    assert.equal(flapping.find((e) => e.deviceId === 'car-f')?.connects, 3);
    assert.ok((await api('GET', '/fleet/connectivity')).flapping >= 1);
  });

  test('history records takeover and socket_error; online survives a takeover', async () => {
    const d = await device('car-g');
    const first = await connect('car-g', { username: 'car-g', password: d.secret });
    const second = await connect('car-g', { username: 'car-g', password: d.secret });
    await waitFor(async () => (await sessions('car-g')).some((s) => s.reason === 'takeover'), 'takeover row');
    assert.equal(
      (await api('GET', '/devices/car-g')).online,
      true,
      'the new connection keeps the device online',
    );
    first.end(true);
    second.stream.destroy();
    await waitFor(
      async () => (await sessions('car-g')).some((s) => s.reason === 'socket_error'),
      'socket_error row',
    );
    await waitFor(async () => (await api('GET', '/devices/car-g')).online === false, 'car-g offline');
    const events = (await sessions('car-g')).map((s) => `${s.event}:${s.reason ?? ''}`).reverse();
    assert.deepEqual(events.filter((e) => e.startsWith('connect')).length, 2);
  });

  test('a model ACL template widens and narrows access, and a change applies to connected clients', async () => {
    await api('POST', '/device-models', {
      name: 'meter',
      acl: { publish: ['site/${tag:site}/${deviceId}/#'], subscribe: ['site/${tag:site}/#'] },
    });
    const d = await device('m-1', { model: 'meter', tags: ['site=kobe'] });
    const c = await connect('m-1', { username: 'm-1', password: d.secret });
    await c.publishAsync('site/kobe/m-1/reading', '1', { qos: 1 });
    await assert.rejects(
      c.publishAsync('devices/m-1/x', '1', { qos: 1 }),
      (e: { code?: number }) => e.code === 0x87,
    );
    assert.equal(await subscribeCode(c, 'site/kobe/+/reading', 0), 0);
    assert.equal(await subscribeCode(c, 'site/osaka/#', 0), 0x87);
    const r = await h.http.inject({
      method: 'PUT',
      url: '/api/v1/device-models/meter',
      headers: h.auth,
      payload: { acl: { publish: ['devices/${deviceId}/#'] } },
    });
    assert.equal(r.statusCode, 200);
    await c.publishAsync('devices/m-1/x', '1', { qos: 1 });
    await assert.rejects(
      c.publishAsync('site/kobe/m-1/reading', '1', { qos: 1 }),
      (e: { code?: number }) => e.code === 0x87,
    );
    await end(c);
  });
});

describe('registry with --allow-anonymous', () => {
  test('clients without a user name get full access; a client presenting credentials is still checked', async (t) => {
    const h = await startRegistryHarness({ config: { allowAnonymous: true } });
    const clients: MqttClient[] = [];
    t.after(async () => {
      for (const c of clients) c.end(true);
      await h.close();
    });
    const connect = (clientId: string, opts: IClientOptions = {}): Promise<MqttClient> =>
      new Promise((resolve, reject) => {
        const c = mqtt.connect(h.mqttUrl, { clientId, protocolVersion: 5, reconnectPeriod: 0, ...opts });
        clients.push(c);
        c.once('connect', () => resolve(c));
        c.once('error', reject);
      });
    const anon = await connect('anything');
    await anon.publishAsync('any/topic/at/all', 'x', { qos: 1 });
    assert.equal(await subscribeCode(anon, '#', 0), 0);
    await assert.rejects(
      connect('anything-2', { username: 'anything-2', password: 'nope' }),
      (e: { code?: number }) => e.code === 0x87,
    );
  });
});
