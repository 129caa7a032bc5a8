/**
 * `tsunagu sim`'s jobs agent against the real platform: it starts the next job, downloads the
 * artifact from its signed URL, checks sha256 and reports SUCCEEDED; a share configured to fail
 * reports FAILED; one configured to hang stays IN_PROGRESS until the platform's step timer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { JobsAgent } from '../sim/index.js';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { until } from '../test-support/until.js';
import { api, endClient, jobsDevice, type Body } from './e2e-helpers.js';

describe('the simulator’s jobs agent', () => {
  let p: TestPlatform;
  let artifactId: string;

  before(async () => {
    p = await startTestPlatform();
    const up = await p.app.http.inject({
      method: 'POST',
      url: '/api/v1/jobs/artifacts?name=scooter-fw.bin',
      headers: { ...p.auth, 'content-type': 'application/octet-stream' },
      payload: randomBytes(50_000),
    });
    artifactId = (JSON.parse(up.body) as Body).id as string;
  });
  after(() => p?.close());

  async function agentFor(id: string, failShare: number, hangShare: number) {
    const dev = await jobsDevice(p, id);
    const agent = new JobsAgent(
      id,
      (t, payload) => void dev.client.publishAsync(t, payload, { qos: 1 }).catch(() => undefined),
      {
        failShare,
        hangShare,
        random: () => 0.5,
      },
    );
    await dev.client.subscribeAsync(agent.topics(), { qos: 1 });
    dev.client.on('message', (t, payload) => {
      if (agent.handles(t)) agent.onMessage(t, payload);
    });
    agent.start();
    return { dev, agent };
  }

  const doc = () => ({
    files: [
      { url: `\${tsunagu:artifact-url:${artifactId}}`, sha256: `\${tsunagu:artifact-sha256:${artifactId}}` },
    ],
  });
  const status = async (job: string, device: string) =>
    ((await api(p, 'GET', `/jobs/${job}/executions`)).body as Body[]).find((e) => e.deviceId === device)
      ?.status as string | undefined;

  test('downloads, verifies and succeeds; then takes the next job; a failing share reports FAILED', async () => {
    const { dev, agent } = await agentFor('scooter-1', 0, 0);
    const bad = await agentFor('scooter-2', 1, 0);
    try {
      await api(p, 'POST', '/jobs', {
        jobId: 'a',
        document: doc(),
        targets: { deviceIds: ['scooter-1', 'scooter-2'] },
      });
      await until(
        'scooter-1 SUCCEEDED on a',
        async () => (await status('a', 'scooter-1')) === 'SUCCEEDED',
        10_000,
      );
      await until('scooter-2 FAILED on a', async () => (await status('a', 'scooter-2')) === 'FAILED', 10_000);
      assert.equal(agent.stats.downloadedBytes, 50_000);
      assert.equal(bad.agent.stats.failed, 1);
      await api(p, 'POST', '/jobs', {
        jobId: 'b',
        document: { note: 'no files' },
        targets: { deviceIds: ['scooter-1'] },
      });
      await until(
        'scooter-1 SUCCEEDED on b',
        async () => (await status('b', 'scooter-1')) === 'SUCCEEDED',
        10_000,
      );
      assert.deepEqual([agent.stats.started, agent.stats.succeeded], [2, 2]);
    } finally {
      await endClient(dev.client);
      await endClient(bad.dev.client);
    }
  });

  test('a hanging share stays IN_PROGRESS (the platform’s timers end it)', async () => {
    const { dev, agent } = await agentFor('scooter-3', 0, 1);
    try {
      await api(p, 'POST', '/jobs', {
        jobId: 'c',
        document: doc(),
        targets: { deviceIds: ['scooter-3'] },
        timeoutConfig: { inProgressTimeoutInMinutes: 5 },
      });
      await until(
        'scooter-3 started c',
        async () => (await status('c', 'scooter-3')) === 'IN_PROGRESS',
        10_000,
      );
      await until('the agent hangs on it', () => agent.stats.hung === 1, 10_000);
      assert.equal(agent.stats.succeeded + agent.stats.failed, 0);
      const e = ((await api(p, 'GET', '/jobs/c/executions')).body as Body[])[0]!;
      assert.equal(typeof e.timeoutAt, 'number', 'the in-progress timer is armed');
    } finally {
      await endClient(dev.client);
    }
  });
});
