/**
 * A platform with mutual TLS for tests that drive the real AWS IoT Device SDKs (v1
 * `aws-iot-device-sdk`, v2 `aws-iot-device-sdk-v2`; shadows and jobs): a throwaway PKI, the TLS
 * listener requiring a client certificate, and devices whose certificate fingerprints are
 * registered — the setup a fleet moving from AWS IoT Core has. Plus the v2 SDK's MQTT connection
 * with a device's certificate, on which a test builds the service client it drives.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iot, mqtt, mqtt5 } from 'aws-iot-device-sdk-v2';
import { makeTestPki, type TestPki } from './pki.js';
import { startTestPlatform, type TestPlatform } from './platform.js';
import { api, type Body } from './platform-api.js';

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
  const dir = mkdtempSync(join(tmpdir(), 'aws-sdk-'));
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

export type V2Protocol = 'mqtt311' | 'mqtt5';

/** The SDK's MQTT 3.1.1 connection or MQTT 5 client (one of the two is set). */
export interface V2Connection {
  mqtt311?: mqtt.MqttClientConnection;
  mqtt5?: mqtt5.Mqtt5Client;
  close(): Promise<void>;
}

/** Request-response limits for the v2 service clients (shadow, jobs). */
export const v2RequestResponseOptions = (timeoutSeconds = 5) => ({
  maxRequestResponseSubscriptions: 6,
  maxStreamingSubscriptions: 2,
  operationTimeoutInSeconds: timeoutSeconds,
});

/**
 * Connect with the device's certificate to `localhost` — also the TLS server name (SNI) the SDK
 * sends, as it sends the endpoint's host name to AWS.
 */
export async function connectV2Mtls(
  m: MtlsPlatform,
  clientId: string,
  protocol: V2Protocol,
): Promise<V2Connection> {
  const pem = m.pki.clients[clientId]!;
  const cert = pem.cert.toString();
  const key = pem.key.toString();
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
    return { mqtt311: connection, close: async () => void (await connection.disconnect()) };
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
  return {
    mqtt5: client,
    async close() {
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
