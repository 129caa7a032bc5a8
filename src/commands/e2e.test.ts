/**
 * End to end: the whole platform with mqtt.js devices answering commands. Short real timeouts
 * (a few hundred ms) keep it fast; assertions are on outcomes, never on durations.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read loosely in tests
type Body = Record<string, any>;

async function api(p: TestPlatform, method: 'GET' | 'POST', url: string, payload?: unknown) {
  const r = await p.app.http.inject({
    method,
    url: `/api/v1${url}`,
    headers: p.auth,
    ...(payload === undefined ? {} : { payload: payload as Body }),
  });
  return { status: r.statusCode, body: JSON.parse(r.body) as Body };
}

function connect(url: string, clientId: string, opts: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { clientId, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}

type Behaviour = (
  cmd: Body,
  reply: (body: Body) => Promise<void>,
  raw: { properties?: Body },
) => Promise<void> | void;

/** A device that answers every command with `behaviour` (by name). */
async function device(
  p: TestPlatform,
  id: string,
  secret: string,
  version: 4 | 5,
  behaviours: Record<string, Behaviour>,
) {
  const c = await connect(p.mqttUrl, id, { username: id, password: secret, protocolVersion: version });
  const received: Body[] = [];
  c.on('message', (topic, payload, packet) => {
    const cmd = JSON.parse(payload.toString()) as Body;
    received.push({ topic, cmd, properties: packet.properties });
    const name = topic.split('/')[3]!;
    const reply = async (body: Body): Promise<void> => {
      const props = packet.properties?.correlationData
        ? { properties: { correlationData: packet.properties.correlationData } }
        : {};
      await c.publishAsync(packet.properties?.responseTopic ?? `${topic}/reply`, JSON.stringify(body), {
        qos: 1,
        ...props,
      });
    };
    void behaviours[name]?.(cmd, reply, {
      ...(packet.properties ? { properties: packet.properties } : {}),
    });
  });
  await c.subscribeAsync(`devices/${id}/commands/+`, { qos: 1 });
  return { client: c, received };
}

async function register(p: TestPlatform, id: string): Promise<string> {
  assert.equal((await api(p, 'POST', '/devices', { id })).status, 201);
  const c = await api(p, 'POST', `/devices/${id}/credentials`, {});
  return c.body.secret as string;
}

describe('commands end to end with mqtt.js devices', () => {
  let p: TestPlatform;
  const clients: MqttClient[] = [];
  let dev5: Awaited<ReturnType<typeof device>>;
  let dev4: Awaited<ReturnType<typeof device>>;

  before(async () => {
    p = await startTestPlatform();
    const behaviours: Record<string, Behaviour> = {
      unlock: (cmd, reply) => reply({ status: 'ok', result: { at: cmd.requestedAt } }),
      jam: (_cmd, reply) => reply({ status: 'error', code: 'JAMMED', message: 'bolt stuck' }),
      ignore: () => undefined,
      // replies ok, then reports the new state in its shadow (AWS topic)
      lock: async (_cmd, reply) => {
        await reply({ status: 'ok' });
        await dev5.client.publishAsync(
          '$aws/things/scooter-5/shadow/update',
          JSON.stringify({ state: { reported: { lock: 'locked' } } }),
          { qos: 1 },
        );
      },
    };
    dev5 = await device(p, 'scooter-5', await register(p, 'scooter-5'), 5, behaviours);
    // The 3.1.1 device echoes the id in the body (no correlation data in MQTT 3.1.1).
    dev4 = await device(p, 'scooter-4', await register(p, 'scooter-4'), 4, {
      unlock: (cmd, reply) => reply({ id: cmd.id, status: 'ok' }),
    });
    clients.push(dev5.client, dev4.client);
    await register(p, 'scooter-off');
  });
  after(async () => {
    for (const c of clients) c.end(true);
    await p?.close();
  });

  test('succeeds (MQTT 5 correlation data, and MQTT 3.1.1 id in the body)', async () => {
    const r = await api(p, 'POST', '/devices/scooter-5/commands', {
      name: 'unlock',
      params: { ride: 1 },
      wait: true,
      timeoutMs: 5000,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'succeeded');
    assert.equal(typeof r.body.replyLatencyMs, 'number');
    assert.deepEqual(r.body.result, { at: r.body.requestedAt });
    const got = dev5.received.at(-1)!;
    assert.equal(got.properties.responseTopic, 'devices/scooter-5/commands/unlock/reply');
    assert.equal(Buffer.from(got.properties.correlationData).toString(), r.body.id);
    assert.deepEqual(got.cmd, {
      id: r.body.id,
      name: 'unlock',
      params: { ride: 1 },
      requestedAt: r.body.requestedAt,
    });
    const r4 = await api(p, 'POST', '/devices/scooter-4/commands', { name: 'unlock', wait: true });
    assert.equal(r4.body.status, 'succeeded');
  });

  test('fails with the device error', async () => {
    const r = await api(p, 'POST', '/devices/scooter-5/commands', { name: 'jam', wait: true });
    assert.equal(r.body.status, 'failed');
    assert.equal(r.body.errorCode, 'JAMMED');
  });

  test('times out without a reply; GET /commands/{id} shows it', async () => {
    const r = await api(p, 'POST', '/devices/scooter-5/commands', { name: 'ignore', timeoutMs: 200 });
    assert.equal(r.status, 202);
    assert.equal(r.body.status, 'sent');
    const waited = await api(p, 'POST', '/devices/scooter-5/commands', {
      name: 'ignore',
      timeoutMs: 200,
      wait: true,
    });
    assert.equal(waited.body.status, 'timed_out');
    const first = await api(p, 'GET', `/commands/${r.body.id}`);
    assert.equal(first.body.status, 'timed_out');
  });

  test('confirmed by the reported shadow state', async () => {
    const r = await api(p, 'POST', '/devices/scooter-5/commands', {
      name: 'lock',
      wait: true,
      timeoutMs: 5000,
      confirm: { path: 'lock', equals: 'locked' },
    });
    assert.equal(r.body.status, 'succeeded', JSON.stringify(r.body));
    assert.equal(typeof r.body.confirmLatencyMs, 'number');
    assert.ok(r.body.confirmLatencyMs >= r.body.replyLatencyMs);
  });

  test('one idempotency key, one execution', async () => {
    const before = dev5.received.length;
    const body = { name: 'unlock', idempotencyKey: 'ride-42', wait: true };
    const a = await api(p, 'POST', '/devices/scooter-5/commands', body);
    const b = await api(p, 'POST', '/devices/scooter-5/commands', body);
    assert.equal(a.body.id, b.body.id);
    assert.equal(a.body.duplicate, false);
    assert.equal(b.body.duplicate, true);
    assert.equal(b.body.status, 'succeeded');
    assert.equal(dev5.received.length, before + 1);
  });

  test('offline device: rejected by default; queued then delivered when it connects', async () => {
    const rej = await api(p, 'POST', '/devices/scooter-off/commands', { name: 'unlock' });
    assert.equal(rej.status, 200);
    assert.equal(rej.body.status, 'rejected');
    const q = await api(p, 'POST', '/devices/scooter-off/commands', {
      name: 'unlock',
      offline: 'queue',
      expiresInMs: 60_000,
    });
    assert.equal(q.status, 202);
    assert.equal(q.body.status, 'queued');
    const secret = (await api(p, 'POST', '/devices/scooter-off/credentials', {})).body.secret as string;
    const late = await device(p, 'scooter-off', secret, 5, {
      unlock: (_c, reply) => reply({ status: 'ok' }),
    });
    clients.push(late.client);
    let status = '';
    for (let i = 0; i < 100 && status !== 'succeeded'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      status = (await api(p, 'GET', `/commands/${q.body.id}`)).body.status as string;
    }
    assert.equal(status, 'succeeded');
    assert.equal(late.received.length, 1);
  });

  test('listing and stats', async () => {
    const list = await api(p, 'GET', '/devices/scooter-5/commands?limit=3');
    assert.equal(list.status, 200);
    assert.equal(list.body.items.length, 3);
    assert.equal(list.body.total, 6); // unlock, jam, 2 × ignore, lock, unlock (idempotent)
    assert.equal(list.body.nextOffset, 3);
    const stats = await api(p, 'GET', '/commands/stats?device=scooter-5');
    assert.equal(stats.status, 200, JSON.stringify(stats.body));
    assert.equal(stats.body.total, list.body.total);
    assert.equal(stats.body.byStatus.failed, 1);
    assert.equal(stats.body.byStatus.timed_out, 2);
    assert.ok(stats.body.replyLatencyMs.count >= 3);
    assert.equal(typeof stats.body.replyLatencyMs.p99, 'number');
    const byName = await api(p, 'GET', '/commands/stats?name=jam');
    assert.equal(byName.body.total, 1);
    assert.equal((await api(p, 'GET', '/commands/nope')).status, 404);
    assert.equal((await api(p, 'POST', '/devices/ghost/commands', { name: 'x' })).status, 404);
    assert.equal((await api(p, 'POST', '/devices/scooter-5/commands', { name: 'a/b' })).status, 422);
  });
});
