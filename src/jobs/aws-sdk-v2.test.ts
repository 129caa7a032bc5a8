/**
 * AWS IoT Jobs parity with the real v2 SDK, unchanged: `IotJobsClientv2` from `aws-iot-device-sdk-v2`
 * (the aws-crt native MQTT 5 and 3.1.1 clients) over mutual TLS with registered device certificates —
 * the setup of a fleet moving from AWS IoT Core. The v2 client matches answers by clientToken.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iot, iotjobs, mqtt, mqtt5, mqtt_request_response } from 'aws-iot-device-sdk-v2';
import { makeTestPki, type TestPki } from '../test-support/pki.js';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { api, type Body } from './e2e-helpers.js';

// aws-crt's MQTT 5 client keeps the process alive after stop()/close() (aws-crt-nodejs #600).
after(() => {
  setTimeout(() => process.exit(process.exitCode ?? 0), 1000).unref();
});

type Protocol = 'mqtt311' | 'mqtt5';

interface Client {
  jobs: iotjobs.IotJobsClientv2;
  close(): Promise<void>;
}

async function connectV2(
  p: TestPlatform,
  pki: TestPki,
  clientId: string,
  protocol: Protocol,
): Promise<Client> {
  const pem = pki.clients[clientId]!;
  const rr = {
    maxRequestResponseSubscriptions: 6,
    maxStreamingSubscriptions: 2,
    operationTimeoutInSeconds: 5,
  };
  const port = p.addresses.mqtts!;
  if (protocol === 'mqtt311') {
    const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(
      pem.cert.toString(),
      pem.key.toString(),
    )
      .with_certificate_authority(pki.ca.toString())
      .with_endpoint('localhost')
      .with_port(port)
      .with_client_id(clientId)
      .with_clean_session(true)
      .build();
    const connection = new mqtt.MqttClient().new_connection(config);
    await connection.connect();
    const jobs = iotjobs.IotJobsClientv2.newFromMqtt311(connection, rr);
    return {
      jobs,
      async close() {
        jobs.close();
        await connection.disconnect();
      },
    };
  }
  const builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromMemory(
    'localhost',
    pem.cert.toString(),
    pem.key.toString(),
  )
    .withCertificateAuthority(pki.ca.toString())
    .withPort(port)
    .withConnectProperties({ clientId, keepAliveIntervalSeconds: 60 });
  const client = new mqtt5.Mqtt5Client(builder.build());
  const connected = once(client, mqtt5.Mqtt5Client.CONNECTION_SUCCESS);
  client.start();
  await connected;
  const jobs = iotjobs.IotJobsClientv2.newFromMqtt5(client, rr);
  return {
    jobs,
    async close() {
      jobs.close();
      const stopped = once(client, mqtt5.Mqtt5Client.STOPPED);
      client.stop();
      await stopped;
      client.close();
    },
  };
}

async function modeledError(p: Promise<unknown>): Promise<Body> {
  try {
    await p;
  } catch (err) {
    const e = err as { message: string; modeledError?: Body };
    return e.modeledError ?? { timeout: e.message };
  }
  throw new Error('the request was accepted');
}

for (const protocol of ['mqtt5', 'mqtt311'] as Protocol[])
  describe(`aws-iot-device-sdk-v2 IotJobsClientv2 over ${protocol} with mutual TLS`, () => {
    let p: TestPlatform;
    let pki: TestPki;
    let dir: string;
    let dev: Client;
    const thingName = `boiler-${protocol}`;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'jobs-aws-'));
      pki = makeTestPki(dir, [thingName]);
      p = await startTestPlatform({
        mqttsPort: 0,
        tlsCert: join(dir, 'server.pem'),
        tlsKey: join(dir, 'server.key'),
        tlsCa: join(dir, 'ca.pem'),
      });
      assert.equal((await api(p, 'POST', '/devices', { id: thingName })).status, 201);
      const fingerprint = new X509Certificate(pki.clients[thingName]!.cert).fingerprint256;
      assert.equal(
        (await api(p, 'POST', `/devices/${thingName}/credentials`, { kind: 'certificate', fingerprint }))
          .status,
        201,
      );
      dev = await connectV2(p, pki, thingName, protocol);
    });
    after(async () => {
      await dev?.close();
      await p?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('the jobs flow an AWS job agent runs: next-changed event, get pending, start-next, update, describe', async () => {
      const stream = dev.jobs.createNextJobExecutionChangedStream({ thingName });
      const status = once(stream, mqtt_request_response.StreamingOperation.SUBSCRIPTION_STATUS);
      stream.open();
      await status;
      try {
        const event = once(stream, mqtt_request_response.StreamingOperation.INCOMING_PUBLISH);
        const created = await api(p, 'POST', '/jobs', {
          jobId: 'ota-1',
          document: { url: 'https://example.com/fw.bin', version: '3.1' },
          targets: { deviceIds: [thingName] },
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const [next] = (await event) as [{ message: iotjobs.model.NextJobExecutionChangedEvent }];
        assert.equal(next.message.execution?.jobId, 'ota-1');
        assert.deepEqual(next.message.execution?.jobDocument, {
          url: 'https://example.com/fw.bin',
          version: '3.1',
        });

        const pending = await dev.jobs.getPendingJobExecutions({ thingName });
        assert.deepEqual(
          pending.queuedJobs?.map((j) => j.jobId),
          ['ota-1'],
        );
        assert.deepEqual(pending.inProgressJobs, []);

        const started = await dev.jobs.startNextPendingJobExecution({
          thingName,
          stepTimeoutInMinutes: 10,
          statusDetails: { step: 'download' },
        });
        assert.equal(started.execution?.status, iotjobs.model.JobStatus.IN_PROGRESS);
        assert.equal(started.execution?.versionNumber, 2);

        const progress = await dev.jobs.updateJobExecution({
          thingName,
          jobId: 'ota-1',
          status: iotjobs.model.JobStatus.IN_PROGRESS,
          statusDetails: { progress: '50' },
          expectedVersion: 2,
          includeJobExecutionState: true,
        });
        assert.deepEqual(progress.executionState?.statusDetails, { progress: '50' });
        assert.equal(progress.executionState?.versionNumber, 3);

        const desc = await dev.jobs.describeJobExecution({
          thingName,
          jobId: 'ota-1',
          includeJobDocument: true,
        });
        assert.equal(desc.execution?.status, iotjobs.model.JobStatus.IN_PROGRESS);
        assert.equal((desc.execution?.jobDocument as Body).version, '3.1');

        const done = await dev.jobs.updateJobExecution({
          thingName,
          jobId: 'ota-1',
          status: iotjobs.model.JobStatus.SUCCEEDED,
          includeJobExecutionState: true,
        });
        assert.equal(done.executionState?.status, iotjobs.model.JobStatus.SUCCEEDED);

        const empty = await dev.jobs.startNextPendingJobExecution({ thingName });
        assert.equal(empty.execution, undefined);
      } finally {
        stream.close();
      }
    });

    test('rejections reach the application with AWS codes', async () => {
      const missing = await modeledError(dev.jobs.describeJobExecution({ thingName, jobId: 'nope' }));
      assert.equal(missing.code, iotjobs.model.RejectedErrorCode.RESOURCE_NOT_FOUND);
      await api(p, 'POST', '/jobs', {
        jobId: 'ota-2',
        document: { v: 2 },
        targets: { deviceIds: [thingName] },
      });
      const mismatch = await modeledError(
        dev.jobs.updateJobExecution({
          thingName,
          jobId: 'ota-2',
          status: iotjobs.model.JobStatus.IN_PROGRESS,
          expectedVersion: 9,
        }),
      );
      assert.equal(mismatch.code, iotjobs.model.RejectedErrorCode.VERSION_MISMATCH);
      assert.equal((mismatch.executionState as Body).versionNumber, 1);
      await dev.jobs.updateJobExecution({
        thingName,
        jobId: 'ota-2',
        status: iotjobs.model.JobStatus.REJECTED,
      });
      const transition = await modeledError(
        dev.jobs.updateJobExecution({ thingName, jobId: 'ota-2', status: iotjobs.model.JobStatus.SUCCEEDED }),
      );
      assert.equal(transition.code, iotjobs.model.RejectedErrorCode.INVALID_STATE_TRANSITION);
    });

    test('the executions-changed stream reports the pending list', async () => {
      const stream = dev.jobs.createJobExecutionsChangedStream({ thingName });
      const status = once(stream, mqtt_request_response.StreamingOperation.SUBSCRIPTION_STATUS);
      stream.open();
      await status;
      try {
        const event = once(stream, mqtt_request_response.StreamingOperation.INCOMING_PUBLISH);
        await api(p, 'POST', '/jobs', {
          jobId: 'ota-3',
          document: { v: 3 },
          targets: { deviceIds: [thingName] },
        });
        const [changed] = (await event) as [{ message: iotjobs.model.JobExecutionsChangedEvent }];
        assert.deepEqual(
          changed.message.jobs?.QUEUED?.map((j) => j.jobId),
          ['ota-3'],
        );
      } finally {
        stream.close();
      }
    });
  });
