/**
 * The v1 AWS IoT Device SDK's jobs client (`aws-iot-device-sdk` `jobs`), unchanged, over mutual TLS:
 * `subscribeToJobs` + `startJobNotifications` receive the next job with its document (by operation
 * name), `inProgress`/`succeeded` update it, and the following job arrives through `notify-next`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startMtlsPlatform, type MtlsPlatform } from '../test-support/aws-sdk.js';
import type { TestPlatform } from '../test-support/platform.js';
import { until } from '../test-support/until.js';
import { api, type Body } from './e2e-helpers.js';

interface V1Job {
  id: string;
  document: Body;
  operation: string;
  inProgress(details: Record<string, string>, cb: (err?: unknown) => void): void;
  succeeded(details: Record<string, string>, cb: (err?: unknown) => void): void;
}
interface V1Jobs {
  subscribeToJobs(thing: string, operation: string, cb: (err: unknown, job: V1Job) => void): void;
  startJobNotifications(thing: string, cb: (err?: unknown) => void): void;
  on(event: 'connect' | 'error', fn: (e?: unknown) => void): void;
  end(force: boolean, cb?: () => void): void;
}

describe('aws-iot-device-sdk (v1) jobs client with mutual TLS', () => {
  let m: MtlsPlatform;
  let p: TestPlatform;
  let client: V1Jobs;
  const thing = 'scooter-v1';

  before(async () => {
    m = await startMtlsPlatform({ [thing]: undefined });
    p = m.p;
    const pki = m.pki;
    const sdk = createRequire(import.meta.url)('aws-iot-device-sdk') as { jobs(o: Body): V1Jobs };
    client = sdk.jobs({
      host: 'localhost',
      port: p.addresses.mqtts,
      protocol: 'mqtts',
      clientId: thing,
      privateKey: pki.clients[thing]!.key,
      clientCert: pki.clients[thing]!.cert,
      caCert: pki.ca,
      reconnectPeriod: 0,
      keepalive: 30,
    });
    await new Promise<void>((resolve, reject) => {
      client.on('connect', () => resolve());
      client.on('error', (e) => reject(e instanceof Error ? e : new Error(String(e))));
    });
  });
  after(async () => {
    if (client) await new Promise<void>((r) => client.end(false, () => r()));
    await m?.close();
  });

  test('the next job by operation, updated to SUCCEEDED; the following one arrives by notify-next', async () => {
    await api(p, 'POST', '/jobs', {
      jobId: 'v1-a',
      document: { operation: 'firmware', version: '1' },
      targets: { deviceIds: [thing] },
    });
    const seen: V1Job[] = [];
    client.subscribeToJobs(thing, 'firmware', (err, job) => {
      if (!err) seen.push(job);
    });
    // The SDK gives no "subscribed" signal: ask for $next until the answer reaches the callback.
    await until(
      'the first job reaches the client',
      async () => {
        if (seen.length === 0) await new Promise<void>((r) => client.startJobNotifications(thing, () => r()));
        return seen.length >= 1;
      },
      10_000,
    );
    const job = seen[0]!;
    assert.deepEqual([job.id, job.operation, job.document.version], ['v1-a', 'firmware', '1']);
    await new Promise<void>((r, j) =>
      job.inProgress({ step: 'flash' }, (e) => (e ? j(new Error(JSON.stringify(e))) : r())),
    );
    await new Promise<void>((r, j) =>
      job.succeeded({ step: 'done' }, (e) => (e ? j(new Error(JSON.stringify(e))) : r())),
    );
    await until(
      'v1-a SUCCEEDED',
      async () => (await api(p, 'GET', '/jobs/v1-a/executions')).body[0]?.status === 'SUCCEEDED',
      10_000,
    );
    await api(p, 'POST', '/jobs', {
      jobId: 'v1-b',
      document: { operation: 'firmware', version: '2' },
      targets: { deviceIds: [thing] },
    });
    await until('the second job reaches the client', () => seen.some((j) => j.id === 'v1-b'), 10_000);
  });
});
