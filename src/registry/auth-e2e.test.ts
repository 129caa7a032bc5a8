/**
 * Password authentication with real mqtt.js clients over loopback, several source addresses
 * (127.0.0.x are all local on Linux): a wrong-password flood from one address against a known
 * device id, the same device connecting from its own address meanwhile, and the AWS IoT SDK's
 * metrics suffix on the user name, for MQTT 3.1.1 and 5.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { MqttClient, type IClientOptions } from 'mqtt';
import { startRegistryHarness, type RegistryHarness } from './testing.js';

describe('password CONNECTs with real mqtt.js clients', () => {
  let h: RegistryHarness;
  let secret: string;
  const clients: MqttClient[] = [];

  before(async () => {
    // A lockout longer than the flood takes on a loaded machine: the first one must still hold when the
    // last of the 200 attempts arrives (the default second can run out mid-flood under CPU contention).
    h = await startRegistryHarness({ registry: { authLimits: { lockoutMs: 60_000 } } });
    const post = async (url: string, payload: object): Promise<Record<string, unknown>> => {
      const r = await h.http.inject({ method: 'POST', url: `/api/v1${url}`, headers: h.auth, payload });
      assert.ok(r.statusCode < 300, r.body);
      return JSON.parse(r.body) as Record<string, unknown>;
    };
    await post('/devices', { id: 'victim' });
    secret = (await post('/devices/victim/credentials', {})).secret as string;
  });
  after(async () => {
    for (const c of clients) c.end(true);
    await h.close();
  });

  /** Connect from `localAddress`; resolves with the client, or with the CONNACK refusal code. */
  const connectFrom = (localAddress: string, opts: IClientOptions): Promise<MqttClient | number> =>
    new Promise((resolve, reject) => {
      const c = new MqttClient(() => tcpConnect({ host: '127.0.0.1', port: h.mqttPort, localAddress }), {
        clientId: 'victim',
        protocolVersion: 5,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
        ...opts,
      });
      clients.push(c);
      c.once('connect', () => resolve(c));
      c.once('error', (err) => {
        c.end(true);
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'number') resolve(code);
        else reject(err);
      });
    });

  test('a wrong-password flood from one address does not refuse the right password from another', async () => {
    const flood = await Promise.all(
      Array.from({ length: 200 }, () =>
        connectFrom('127.0.0.1', { username: 'victim', password: 'not-the-secret' }),
      ),
    );
    const codes = flood.map((r) => (typeof r === 'number' ? r : 0));
    assert.ok(
      codes.every((c) => c === 0x86 || c === 0x9f),
      `every attempt refused: ${[...new Set(codes)].join()}`,
    );
    assert.ok(codes.filter((c) => c === 0x86).length <= 5, 'at most five verified');
    assert.ok(codes.filter((c) => c === 0x9f).length >= 195, 'the rest: 0x9F connection rate exceeded');

    for (const protocolVersion of [4, 5] as const) {
      const own = await connectFrom('127.0.0.2', { username: 'victim', password: secret, protocolVersion });
      assert.ok(
        own instanceof MqttClient,
        `MQTT ${protocolVersion}: the device from its own address connects`,
      );
      own.end(true);
    }
    // From the flooded address even the right secret waits out the lockout (3.1.1: return code 5).
    assert.equal(await connectFrom('127.0.0.1', { username: 'victim', password: secret }), 0x9f);
    assert.equal(
      await connectFrom('127.0.0.1', { username: 'victim', password: secret, protocolVersion: 4 }),
      5,
    );
  });

  test('the AWS IoT SDK metrics user name (name?SDK=…&Version=…) is accepted, MQTT 3.1.1 and 5', async () => {
    for (const protocolVersion of [4, 5] as const) {
      const c = await connectFrom('127.0.0.3', {
        username: 'victim?SDK=JavaScript&Version=2.2.16',
        password: secret,
        protocolVersion,
      });
      assert.ok(
        c instanceof MqttClient,
        `MQTT ${protocolVersion}: refused with ${typeof c === 'number' ? c : '?'}`,
      );
      await c.publishAsync('devices/victim/telemetry', '{"v":1}', { qos: 1 });
      c.end(true);
    }
    const wrong = await connectFrom('127.0.0.3', {
      username: 'someone?SDK=JavaScript&Version=2.2.16',
      password: secret,
    });
    assert.equal(wrong, 0x86);
  });
});
