/**
 * Artifacts end to end: upload streamed through the API, a job document with Tsunagu's and AWS's
 * placeholders, and a simulated device that downloads its signed URL over real HTTP (resuming with
 * Range), checks sha256 and the ed25519 signature, and reports SUCCEEDED.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { parseRange } from './artifacts.js';
import { api, ask, endClient, jobsDevice, type Body } from './e2e-helpers.js';

test('Range header parsing', () => {
  assert.deepEqual(parseRange(undefined, 10), undefined);
  assert.deepEqual(parseRange('bytes=0-3', 10), { start: 0, end: 3 });
  assert.deepEqual(parseRange('bytes=4-', 10), { start: 4, end: 9 });
  assert.deepEqual(parseRange('bytes=-3', 10), { start: 7, end: 9 });
  assert.deepEqual(parseRange('bytes=5-100', 10), { start: 5, end: 9 });
  for (const bad of ['bytes=10-', 'bytes=5-2', 'bytes=-0', 'bytes=-', 'items=0-1', 'bytes=0-1,3-4'])
    assert.equal(parseRange(bad, 10), 'bad', bad);
});

describe('artifacts: signed, expiring, per-device URLs in job documents', () => {
  let p: TestPlatform;
  const firmware = randomBytes(300_000);
  const sha = createHash('sha256').update(firmware).digest('hex');
  let artifact: Body;

  before(async () => {
    p = await startTestPlatform();
    const up = await p.app.http.inject({
      method: 'POST',
      url: '/api/v1/jobs/artifacts?name=boiler-fw-2.0.bin&sign=true',
      headers: { ...p.auth, 'content-type': 'application/octet-stream' },
      payload: firmware,
    });
    assert.equal(up.statusCode, 201, up.body);
    artifact = JSON.parse(up.body) as Body;
  });
  after(() => p?.close());

  test('upload records size and sha256; the signature verifies with the published key', async () => {
    assert.deepEqual(
      [artifact.size, artifact.sha256, artifact.name],
      [firmware.length, sha, 'boiler-fw-2.0.bin'],
    );
    const key = (await api(p, 'GET', '/jobs/signing-key')).body.publicKeyPem as string;
    assert.equal(
      verify(
        null,
        Buffer.from(sha, 'hex'),
        createPublicKey(key),
        Buffer.from(artifact.signature as string, 'base64'),
      ),
      true,
    );
    const listed = await api(p, 'GET', '/jobs/artifacts');
    assert.deepEqual(
      listed.body.map((a: Body) => a.id),
      [artifact.id],
    );
    const unknown = await api(p, 'POST', '/jobs', {
      document: { url: '${tsunagu:artifact-url:missing}' },
      targets: { deviceIds: ['x'] },
    });
    assert.deepEqual([unknown.status, unknown.body.error.field], [422, 'document']);
  });

  test('a simulated device downloads its URL (resuming with Range), verifies, and reports SUCCEEDED', async () => {
    const dev = await jobsDevice(p, 'boiler-7');
    try {
      const created = await api(p, 'POST', '/jobs', {
        jobId: 'fw-2',
        document: {
          operation: 'ota',
          files: [
            {
              url: `\${tsunagu:artifact-url:${artifact.id}}`,
              sha256: `\${tsunagu:artifact-sha256:${artifact.id}}`,
              signature: `\${tsunagu:artifact-signature:${artifact.id}}`,
              // The AWS form, as existing job documents have it: the object key names the artifact.
              awsUrl: '${aws:iot:s3-presigned-url:https://s3.amazonaws.com/fw-bucket/boiler-fw-2.0.bin}',
            },
          ],
        },
        targets: { deviceIds: ['boiler-7'] },
        presignedUrlConfig: { expiresInSec: 600 },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const started = await ask(dev, '$aws/things/boiler-7/jobs/start-next', { stepTimeoutInMinutes: 5 });
      const file = started.body.execution.jobDocument.files[0] as Body;
      assert.equal(file.sha256, sha);
      assert.match(
        file.url as string,
        /^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/jobs\/artifacts\/.+\/download\?device=boiler-7&expires=\d+&signature=/,
      );
      assert.match(
        file.awsUrl as string,
        new RegExp(`/jobs/artifacts/${artifact.id}/download\\?device=boiler-7`),
      );

      // First half, then the rest with Range, as a device resuming after a dropped connection.
      const first = await fetch(file.url as string, { headers: { range: 'bytes=0-149999' } });
      assert.equal(first.status, 206);
      assert.equal(first.headers.get('content-range'), `bytes 0-149999/${firmware.length}`);
      const rest = await fetch(file.url as string, { headers: { range: 'bytes=150000-' } });
      assert.equal(rest.status, 206);
      const got = Buffer.concat([
        Buffer.from(await first.arrayBuffer()),
        Buffer.from(await rest.arrayBuffer()),
      ]);
      const digest = createHash('sha256').update(got).digest('hex');
      assert.equal(digest, file.sha256);
      const whole = await fetch(file.url as string);
      assert.equal(whole.status, 200);
      assert.equal(Buffer.from(await whole.arrayBuffer()).equals(firmware), true);
      assert.equal((await fetch(file.url as string, { headers: { range: 'bytes=999999-' } })).status, 416);

      const done = await ask(dev, '$aws/things/boiler-7/jobs/fw-2/update', {
        status: 'SUCCEEDED',
        statusDetails: { sha256: digest },
      });
      assert.equal(done.ok, true);
      assert.equal((await api(p, 'GET', '/jobs/fw-2/executions')).body[0].status, 'SUCCEEDED');
    } finally {
      await endClient(dev.client);
    }
  });

  test('a URL works only for its device, unaltered and unexpired', async () => {
    const url = new URL(`${p.httpUrl}/api/v1/jobs/artifacts/${artifact.id}/download`);
    const jobs = p.app.modules.find((m) => m.name === 'jobs') as unknown as {
      artifacts: { url(id: string, d: string, s?: number): string };
    };
    const good = new URL(jobs.artifacts.url(artifact.id as string, 'boiler-7', 60));
    const other = new URL(good);
    other.searchParams.set('device', 'boiler-8');
    assert.equal((await fetch(other)).status, 403, 'another device’s name breaks the signature');
    const later = new URL(good);
    later.searchParams.set('expires', String(Number(good.searchParams.get('expires')) + 3600));
    assert.equal((await fetch(later)).status, 403, 'a longer expiry breaks the signature');
    const expired = new URL(jobs.artifacts.url(artifact.id as string, 'boiler-7', -1));
    const r = await fetch(expired);
    assert.equal(r.status, 403);
    assert.match(((await r.json()) as Body).error.message, /expired/);
    assert.equal((await fetch(url)).status, 422, 'no signature at all');
    assert.equal((await fetch(good)).status, 200);
  });
});
