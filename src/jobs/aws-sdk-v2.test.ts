/**
 * AWS IoT Jobs parity with the real v2 SDK, unchanged: `IotJobsClientv2` from `aws-iot-device-sdk-v2`
 * (the aws-crt native MQTT 5 and 3.1.1 clients) over mutual TLS with registered device certificates —
 * the setup of a fleet moving from AWS IoT Core. The v2 client matches answers by clientToken.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { iotjobs, mqtt_request_response } from 'aws-iot-device-sdk-v2';
import {
  connectV2Mtls,
  startMtlsPlatform,
  v2Error,
  v2RequestResponseOptions,
  type MtlsPlatform,
  type V2Protocol,
} from '../test-support/aws-sdk.js';
import type { TestPlatform } from '../test-support/platform.js';
import { api, type Body } from './e2e-helpers.js';

// aws-crt's MQTT 5 client keeps the process alive after stop()/close() (aws-crt-nodejs #600).
after(() => {
  setTimeout(() => process.exit(process.exitCode ?? 0), 1000).unref();
});

type Protocol = V2Protocol;

interface Client {
  jobs: iotjobs.IotJobsClientv2;
  close(): Promise<void>;
}

/** The v2 jobs client on the SDK's MQTT 3.1.1 connection or MQTT 5 client, with the device's certificate. */
async function connectV2(m: MtlsPlatform, clientId: string, protocol: Protocol): Promise<Client> {
  const c = await connectV2Mtls(m, clientId, protocol);
  const rr = v2RequestResponseOptions(5);
  const jobs = c.mqtt5
    ? iotjobs.IotJobsClientv2.newFromMqtt5(c.mqtt5, rr)
    : iotjobs.IotJobsClientv2.newFromMqtt311(c.mqtt311!, rr);
  return {
    jobs,
    async close() {
      jobs.close();
      await c.close();
    },
  };
}

const modeledError = v2Error;

for (const protocol of ['mqtt5', 'mqtt311'] as Protocol[])
  describe(`aws-iot-device-sdk-v2 IotJobsClientv2 over ${protocol} with mutual TLS`, () => {
    let m: MtlsPlatform;
    let p: TestPlatform;
    let dev: Client;
    const thingName = `boiler-${protocol}`;

    before(async () => {
      m = await startMtlsPlatform({ [thingName]: undefined });
      p = m.p;
      dev = await connectV2(m, thingName, protocol);
    });
    after(async () => {
      await dev?.close();
      await m?.close();
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
