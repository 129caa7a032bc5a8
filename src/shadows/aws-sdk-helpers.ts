/**
 * The shadow clients of the real AWS IoT Device SDKs (v1 `aws-iot-device-sdk`, v2
 * `aws-iot-device-sdk-v2`) on the mutual-TLS platform of test-support/aws-sdk.ts. The v1 SDK ships
 * no types: the narrow interface below is what the tests use of it.
 */
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import { iotshadow } from 'aws-iot-device-sdk-v2';
import {
  connectV2Mtls,
  v2RequestResponseOptions,
  type MtlsPlatform,
  type V2Protocol,
} from '../test-support/aws-sdk.js';
import type { Body } from './e2e-helpers.js';

export { startMtlsPlatform, v2Error, type MtlsPlatform, type V2Protocol } from '../test-support/aws-sdk.js';

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

export interface V2Client {
  shadow: iotshadow.IotShadowClientv2;
  close(): Promise<void>;
}

/**
 * The v2 shadow client (request-response, matched by clientToken) on the SDK's MQTT 3.1.1
 * connection or its MQTT 5 client (test-support/aws-sdk.ts).
 */
export async function connectV2(
  m: MtlsPlatform,
  clientId: string,
  protocol: V2Protocol,
  timeoutSeconds = 5,
): Promise<V2Client> {
  const c = await connectV2Mtls(m, clientId, protocol);
  const rr = v2RequestResponseOptions(timeoutSeconds);
  const shadow = c.mqtt5
    ? iotshadow.IotShadowClientv2.newFromMqtt5(c.mqtt5, rr)
    : iotshadow.IotShadowClientv2.newFromMqtt311(c.mqtt311!, rr);
  return {
    shadow,
    async close() {
      shadow.close();
      await c.close();
    },
  };
}
