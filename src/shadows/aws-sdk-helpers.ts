/**
 * A platform with mutual TLS for tests that drive the real AWS IoT Device SDKs (v1
 * `aws-iot-device-sdk`, v2 `aws-iot-device-sdk-v2`): a throwaway PKI, the TLS listener requiring a
 * client certificate, and devices whose certificate fingerprints are registered — the setup a
 * fleet moving from AWS IoT Core has. The v1 SDK ships no types: the narrow interface below is what
 * the tests use of it.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once, type EventEmitter } from 'node:events';
import { iot, iotshadow, mqtt, mqtt5 } from 'aws-iot-device-sdk-v2';
import { makeTestPki, type TestPki } from '../test-support/pki.js';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { api, type Body } from './e2e-helpers.js';

export interface MtlsPlatform {
  p: TestPlatform;
  pki: TestPki;
  /** The MQTT over TLS port (mutual TLS: a client certificate is required). */
  port: number;
  close(): Promise<void>;
}

/** Device ids → optional model; every device gets a client certificate (CN = its id) registered. */
export async function startMtlsPlatform(
  devices: Record<string, string | undefined>,
  models: Body[] = [],
): Promise<MtlsPlatform> {
  const dir = mkdtempSync(join(tmpdir(), 'shadows-aws-'));
  let p: TestPlatform | undefined;
  try {
    const pki = makeTestPki(dir, Object.keys(devices));
    p = await startTestPlatform({
      mqttsPort: 0,
      tlsCert: join(dir, 'server.pem'),
      tlsKey: join(dir, 'server.key'),
      tlsCa: join(dir, 'ca.pem'),
    });
    for (const m of models) assert.equal((await api(p, 'POST', '/device-models', m)).status, 201);
    for (const [id, model] of Object.entries(devices)) {
      const d = await api(p, 'POST', '/devices', { id, ...(model ? { model } : {}) });
      assert.equal(d.status, 201, JSON.stringify(d.body));
      const fingerprint = new X509Certificate(pki.clients[id]!.cert).fingerprint256;
      const c = await api(p, 'POST', `/devices/${id}/credentials`, { kind: 'certificate', fingerprint });
      assert.equal(c.status, 201, JSON.stringify(c.body));
    }
    const platform = p;
    return {
      p: platform,
      pki,
      port: platform.addresses.mqtts!,
      async close() {
        await platform.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

// --- v1: aws-iot-device-sdk ------------------------------------------------------------------

/** What the tests use of the v1 SDK's `thingShadow` (see its README). */
export interface ThingShadowV1 extends EventEmitter {
  register(
    thing: string,
    opts: { ignoreDeltas?: boolean; persistentSubscribe?: boolean; enableVersioning?: boolean },
    cb: (err?: unknown, failed?: unknown) => void,
  ): void;
  update(thing: string, state: Body): string | null;
  get(thing: string, clientToken?: string): string | null;
  delete(thing: string, clientToken?: string): string | null;
  publish(topic: string, payload: string, opts: { qos: 0 | 1 }, cb?: (err?: unknown) => void): void;
  end(force: boolean, cb?: () => void): void;
}

interface AwsIotV1 {
  thingShadow(opts: Body, shadowOpts?: { operationTimeout?: number }): ThingShadowV1;
}

const requireCjs = createRequire(import.meta.url);

/** A connected v1 thingShadow with the device's certificate, over mutual TLS on `localhost`. */
export function connectV1(
  m: MtlsPlatform,
  clientId: string,
  operationTimeout = 5000,
): Promise<ThingShadowV1> {
  const sdk = requireCjs('aws-iot-device-sdk') as AwsIotV1;
  const shadow = sdk.thingShadow(
    {
      host: 'localhost',
      port: m.port,
      protocol: 'mqtts',
      clientId,
      privateKey: m.pki.clients[clientId]!.key,
      clientCert: m.pki.clients[clientId]!.cert,
      caCert: m.pki.ca,
      // The SDK's defaults otherwise: metrics username `?SDK=JavaScript&Version=…`, clean session.
      reconnectPeriod: 0,
      keepalive: 30,
    },
    { operationTimeout },
  );
  return new Promise((resolve, reject) => {
    shadow.once('connect', () => resolve(shadow));
    shadow.once('error', (err: unknown) => {
      shadow.end(true);
      reject(err instanceof Error ? err : new Error(String(err)));
    });
  });
}

export const registerV1 = (
  s: ThingShadowV1,
  thing: string,
  opts: Parameters<ThingShadowV1['register']>[1] = {},
) =>
  new Promise<void>((resolve, reject) =>
    s.register(thing, opts, (err, failed) =>
      err
        ? reject(new Error(`register ${thing}: ${JSON.stringify(err)} ${JSON.stringify(failed)}`))
        : resolve(),
    ),
  );

export interface V1Outcome {
  status: 'accepted' | 'rejected' | 'timeout';
  body?: Body;
}

/** Run one v1 operation and wait for its `status` (accepted/rejected) or `timeout` event. */
export function v1Op(s: ThingShadowV1, thing: string, run: () => string | null): Promise<V1Outcome> {
  return new Promise((resolve, reject) => {
    const onStatus = (name: string, stat: 'accepted' | 'rejected', token: string, body: Body) => {
      if (name !== thing || token !== expected) return;
      done();
      resolve({ status: stat, body });
    };
    const onTimeout = (name: string, token: string) => {
      if (name !== thing || token !== expected) return;
      done();
      resolve({ status: 'timeout' });
    };
    const done = () => {
      s.off('status', onStatus);
      s.off('timeout', onTimeout);
    };
    s.on('status', onStatus);
    s.on('timeout', onTimeout);
    const expected = run();
    if (expected === null) {
      done();
      reject(new Error('the SDK refused to start the operation (another one pending?)'));
    }
  });
}

export const endV1 = (s: ThingShadowV1): Promise<void> => new Promise((r) => s.end(false, () => r()));

// --- v2: aws-iot-device-sdk-v2 (aws-crt native client) ----------------------------------------

export type V2Protocol = 'mqtt311' | 'mqtt5';

export interface V2Client {
  shadow: iotshadow.IotShadowClientv2;
  close(): Promise<void>;
}

/**
 * The v2 shadow client (request-response, matched by clientToken) on the SDK's MQTT 3.1.1
 * connection or its MQTT 5 client, with the device's certificate, to `localhost` — also the TLS
 * server name (SNI) the SDK sends, as it sends the endpoint's host name to AWS.
 */
export async function connectV2(
  m: MtlsPlatform,
  clientId: string,
  protocol: V2Protocol,
  timeoutSeconds = 5,
): Promise<V2Client> {
  const pem = m.pki.clients[clientId]!;
  const cert = pem.cert.toString();
  const key = pem.key.toString();
  const rr = {
    maxRequestResponseSubscriptions: 6,
    maxStreamingSubscriptions: 2,
    operationTimeoutInSeconds: timeoutSeconds,
  };
  if (protocol === 'mqtt311') {
    const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(cert, key)
      .with_certificate_authority(m.pki.ca.toString())
      .with_endpoint('localhost')
      .with_port(m.port)
      .with_client_id(clientId)
      .with_clean_session(true)
      .build();
    const connection = new mqtt.MqttClient().new_connection(config);
    await connection.connect();
    const shadow = iotshadow.IotShadowClientv2.newFromMqtt311(connection, rr);
    return {
      shadow,
      async close() {
        shadow.close();
        await connection.disconnect();
      },
    };
  }
  const builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromMemory(
    'localhost',
    cert,
    key,
  )
    .withCertificateAuthority(m.pki.ca.toString())
    .withPort(m.port)
    .withConnectProperties({ clientId, keepAliveIntervalSeconds: 60 });
  const client = new mqtt5.Mqtt5Client(builder.build());
  const connected = once(client, mqtt5.Mqtt5Client.CONNECTION_SUCCESS);
  const failed = once(client, mqtt5.Mqtt5Client.CONNECTION_FAILURE).then(([e]) => {
    throw new Error(`v2 connect failed: ${JSON.stringify(e)}`);
  });
  client.start();
  await Promise.race([connected, failed]);
  const shadow = iotshadow.IotShadowClientv2.newFromMqtt5(client, rr);
  return {
    shadow,
    async close() {
      shadow.close();
      const stopped = once(client, mqtt5.Mqtt5Client.STOPPED);
      client.stop();
      await stopped;
      client.close();
    },
  };
}

/** The modeled error of a rejected v2 request (`{code, message, clientToken}`), or the timeout. */
export async function v2Error(p: Promise<unknown>): Promise<Body> {
  try {
    await p;
  } catch (err) {
    const e = err as { message: string; modeledError?: Body };
    return e.modeledError ?? { timeout: e.message };
  }
  throw new Error('the request was accepted');
}
