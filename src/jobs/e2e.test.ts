/**
 * End to end over the whole platform (real broker, registry credentials and ACLs, HTTP) with mqtt.js
 * devices: every jobs topic of the AWS IoT Jobs MQTT API and every rejection code a device can cause.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { until } from '../test-support/until.js';
import { api, ask, connect, endClient, jobsDevice, registerDevice, type Body } from './e2e-helpers.js';

type Dev = Awaited<ReturnType<typeof jobsDevice>>;

describe('jobs device MQTT API end to end with mqtt.js', () => {
  let p: TestPlatform;
  let dev: Dev;
  let other: Dev;
  const J = '$aws/things/lock-1/jobs';

  before(async () => {
    p = await startTestPlatform();
    dev = await jobsDevice(p, 'lock-1');
    other = await jobsDevice(p, 'lock-2', undefined, 5);
  });
  after(async () => {
    for (const d of [dev, other]) if (d) await endClient(d.client);
    await p?.close();
  });

  const createJob = async (body: Body) => {
    const r = await api(p, 'POST', '/jobs', body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };

  test('nothing pending: get lists nothing, start-next and $next answer without an execution', async () => {
    const list = await ask(dev, `${J}/get`, { clientToken: 'c0' });
    assert.equal(list.ok, true);
    assert.deepEqual([list.body.inProgressJobs, list.body.queuedJobs, list.body.clientToken], [[], [], 'c0']);
    assert.ok(Number.isInteger(list.body.timestamp) && list.body.timestamp < 1e11, 'timestamp in seconds');
    const next = await ask(dev, `${J}/start-next`, { clientToken: 'c1' });
    assert.deepEqual([next.ok, next.body.execution, next.body.clientToken], [true, undefined, 'c1']);
    const desc = await ask(dev, `${J}/$next/get`, {});
    assert.deepEqual([desc.ok, desc.body.execution], [true, undefined]);
  });

  test('a new job: notify and notify-next, get, $next, start-next, describe, update to SUCCEEDED', async () => {
    const mark = dev.inbox.messages.length;
    await createJob({
      jobId: 'fw-1',
      document: { operation: 'firmware', version: '1.2.0' },
      targets: { deviceIds: ['lock-1'] },
    });
    const notify = await dev.inbox.next(`${J}/notify`, mark);
    assert.deepEqual(Object.keys(notify.jobs as Body), ['QUEUED']);
    assert.equal(notify.jobs.QUEUED[0].jobId, 'fw-1');
    const nn = await dev.inbox.next(`${J}/notify-next`, mark);
    assert.deepEqual(
      [
        nn.execution.jobId,
        nn.execution.thingName,
        nn.execution.status,
        nn.execution.versionNumber,
        nn.execution.executionNumber,
      ],
      ['fw-1', 'lock-1', 'QUEUED', 1, 1],
    );
    assert.deepEqual(nn.execution.jobDocument, { operation: 'firmware', version: '1.2.0' });

    const list = await ask(dev, `${J}/get`, { clientToken: 'l' });
    assert.deepEqual(
      list.body.queuedJobs.map((j: Body) => [j.jobId, j.versionNumber, j.executionNumber]),
      [['fw-1', 1, 1]],
    );
    assert.equal(typeof list.body.queuedJobs[0].queuedAt, 'number');

    const next = await ask(dev, `${J}/$next/get`, { clientToken: 'n' });
    assert.deepEqual([next.body.execution.jobId, next.body.execution.jobDocument.version], ['fw-1', '1.2.0']);

    const m2 = dev.inbox.messages.length;
    const started = await ask(dev, `${J}/start-next`, {
      clientToken: 's',
      statusDetails: { step: 'download' },
      stepTimeoutInMinutes: 30,
    });
    assert.equal(started.ok, true, JSON.stringify(started.body));
    const ex = started.body.execution as Body;
    assert.deepEqual(
      [ex.status, ex.versionNumber, ex.statusDetails, started.body.clientToken],
      ['IN_PROGRESS', 2, { step: 'download' }, 's'],
    );
    assert.equal(typeof ex.startedAt, 'number');

    const again = await ask(dev, `${J}/start-next`, {});
    assert.deepEqual(
      [again.body.execution.jobId, again.body.execution.versionNumber],
      ['fw-1', 2],
      'IN_PROGRESS first, unchanged',
    );

    const noDoc = await ask(dev, `${J}/fw-1/get`, { includeJobDocument: false, executionNumber: 1 });
    assert.equal(noDoc.body.execution.jobDocument, undefined);
    assert.equal(noDoc.body.execution.status, 'IN_PROGRESS');

    const up = await ask(dev, `${J}/fw-1/update`, {
      status: 'SUCCEEDED',
      expectedVersion: 2,
      statusDetails: { step: 'done' },
      includeJobExecutionState: true,
      includeJobDocument: true,
      clientToken: 'u',
    });
    assert.equal(up.ok, true, JSON.stringify(up.body));
    assert.deepEqual(up.body.executionState, {
      status: 'SUCCEEDED',
      statusDetails: { step: 'done' },
      versionNumber: 3,
    });
    assert.deepEqual(up.body.jobDocument, { operation: 'firmware', version: '1.2.0' });
    const empty = await dev.inbox.next(`${J}/notify`, m2);
    assert.deepEqual(empty.jobs, {}, 'the pending list became empty');
    const none = dev.inbox.on(`${J}/notify-next`).at(-1)!;
    assert.equal(none.execution, undefined);
    assert.equal(
      dev.inbox.on(`${J}/notify-next`).length,
      2,
      'QUEUED→IN_PROGRESS of the same job sends no notify-next',
    );

    await until(
      'fw-1 completed',
      async () => (await api(p, 'GET', '/jobs/fw-1')).body.status === 'COMPLETED',
      5000,
    );
    assert.equal((await api(p, 'GET', '/jobs/fw-1')).body.progress.SUCCEEDED, 1);
  });

  test('every rejection code a device can cause, each with its clientToken', async () => {
    await createJob({ jobId: 'fw-2', document: { v: 2 }, targets: { deviceIds: ['lock-1'] } });
    const mismatch = await ask(dev, `${J}/fw-2/update`, {
      status: 'IN_PROGRESS',
      expectedVersion: 7,
      clientToken: 'v',
    });
    assert.deepEqual(
      [mismatch.ok, mismatch.body.code, mismatch.body.clientToken],
      [false, 'VersionMismatch', 'v'],
    );
    assert.deepEqual(mismatch.body.executionState, { status: 'QUEUED', versionNumber: 1 });
    assert.equal(typeof mismatch.body.message, 'string');

    const badStatus = await ask(dev, `${J}/fw-2/update`, { status: 'CANCELED', clientToken: 'b' });
    assert.deepEqual([badStatus.body.code, badStatus.body.clientToken], ['InvalidRequest', 'b']);
    const noStatus = await ask(dev, `${J}/fw-2/update`, {});
    assert.equal(noStatus.body.code, 'InvalidRequest');
    const badDetails = await ask(dev, `${J}/fw-2/update`, {
      status: 'IN_PROGRESS',
      statusDetails: { ok: 1 },
    });
    assert.equal(badDetails.body.code, 'InvalidRequest');
    const badStep = await ask(dev, `${J}/start-next`, { stepTimeoutInMinutes: 0 });
    assert.equal(badStep.body.code, 'InvalidRequest');
    const json = await ask(dev, `${J}/fw-2/update`, '{"status": ');
    assert.equal(json.body.code, 'InvalidJson');
    const missing = await ask(dev, `${J}/nope/update`, { status: 'SUCCEEDED', clientToken: 'm' });
    assert.deepEqual([missing.body.code, missing.body.clientToken], ['ResourceNotFound', 'm']);
    const missingGet = await ask(dev, `${J}/nope/get`, {});
    assert.equal(missingGet.body.code, 'ResourceNotFound');
    const topic = await ask(dev, `${J}/fw-2/frobnicate`, { clientToken: 't' });
    assert.deepEqual([topic.body.code, topic.body.clientToken], ['InvalidTopic', 't']);

    const done = await ask(dev, `${J}/fw-2/update`, { status: 'FAILED', statusDetails: { reason: 'flash' } });
    assert.equal(done.ok, true);
    const back = await ask(dev, `${J}/fw-2/update`, { status: 'IN_PROGRESS', clientToken: 'x' });
    assert.deepEqual([back.body.code, back.body.clientToken], ['InvalidStateTransition', 'x']);
    assert.deepEqual(back.body.executionState, {
      status: 'FAILED',
      statusDetails: { reason: 'flash' },
      versionNumber: 2,
    });
    const desc = await ask(dev, `${J}/fw-2/get`, {});
    assert.equal(desc.body.execution.status, 'FAILED', 'a finished execution can still be described');

    await createJob({ jobId: 'fw-3', document: { v: 3 }, targets: { deviceIds: ['lock-1'] } });
    const started = await ask(dev, `${J}/start-next`, {});
    assert.equal(started.body.execution.jobId, 'fw-3');
    const refused = await api(p, 'POST', '/jobs/fw-3/cancel', {});
    assert.equal(refused.status, 200);
    assert.equal(
      (await ask(dev, `${J}/fw-3/get`, {})).body.execution.status,
      'IN_PROGRESS',
      'cancel without force spares IN_PROGRESS',
    );
    const mark = dev.inbox.messages.length;
    assert.equal((await api(p, 'POST', '/jobs/fw-3/executions/lock-1/cancel', { force: true })).status, 200);
    await dev.inbox.next(`${J}/notify-next`, mark);
    const terminal = await ask(dev, `${J}/fw-3/update`, { status: 'SUCCEEDED', clientToken: 'z' });
    assert.deepEqual([terminal.body.code, terminal.body.clientToken], ['TerminalStateReached', 'z']);
    assert.equal(terminal.body.executionState.status, 'CANCELED');
  });

  test('a device reaches only its own jobs topics; answers and events are the platform’s', async () => {
    await createJob({ jobId: 'fw-4', document: { v: 4 }, targets: { deviceIds: ['lock-1', 'lock-2'] } });
    const sub = await other.client
      .subscribeAsync('$aws/things/lock-1/jobs/#', { qos: 1 })
      .catch((e: { packet?: { granted?: number[] } }) => e.packet?.granted);
    assert.deepEqual(sub, [0x87], 'subscribing to another thing’s jobs is refused');
    const mark = dev.inbox.messages.length;
    // lock-2 (MQTT 5) tries to start lock-1's job and to fake its answers: refused by the broker.
    const pub = await other.client.publishAsync('$aws/things/lock-1/jobs/start-next', '{}', { qos: 1 }).then(
      () => 'accepted',
      (e: { code?: number }) => e.code,
    );
    assert.equal(pub, 0x87, 'PUBACK: not authorized');
    await other.client
      .publishAsync('$aws/things/lock-2/jobs/start-next/accepted', '{}', { qos: 1 })
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(dev.inbox.messages.slice(mark).filter((m) => m.topic.includes('start-next')).length, 0);
    assert.equal((await ask(dev, `${J}/fw-4/get`, {})).body.execution.status, 'QUEUED');
    const own = await ask(other, '$aws/things/lock-2/jobs/start-next', {});
    assert.equal(own.body.execution.jobId, 'fw-4');
    assert.equal(
      other.inbox.on('$aws/things/lock-2/jobs/start-next/accepted').length,
      1,
      'no forged answer got through',
    );
  });

  test('the operator API: status counts, executions per job and per device, validation errors name the field', async () => {
    const list = await api(p, 'GET', '/jobs?status=COMPLETED');
    assert.ok(list.body.some((j: Body) => j.id === 'fw-1'));
    const ex = await api(p, 'GET', '/jobs/fw-4/executions');
    assert.deepEqual(ex.body.map((e: Body) => e.deviceId).sort(), ['lock-1', 'lock-2']);
    const mine = await api(p, 'GET', '/jobs/executions?deviceId=lock-1');
    assert.deepEqual(mine.body.map((e: Body) => e.jobId).sort(), ['fw-1', 'fw-2', 'fw-3', 'fw-4']);
    const s = await api(p, 'GET', '/jobs/fw-4');
    assert.deepEqual(
      [s.body.progress.QUEUED, s.body.progress.IN_PROGRESS, s.body.progress.PENDING_ROLLOUT],
      [1, 1, 0],
    );
    const timeline = await api(p, 'GET', '/jobs/fw-3/timeline');
    assert.deepEqual(timeline.body.map((t: Body) => t.event).slice(0, 3), [
      'created',
      'released',
      'canceled',
    ]);

    const big = await api(p, 'POST', '/jobs', {
      document: { blob: 'x'.repeat(33 * 1024) },
      targets: { deviceIds: ['lock-1'] },
    });
    assert.deepEqual([big.status, big.body.error.field], [422, 'document']);
    const unknown = await api(p, 'POST', '/jobs', {
      document: {},
      targets: { deviceIds: ['lock-1', 'ghost'] },
    });
    assert.deepEqual([unknown.status, unknown.body.error.field], [422, 'targets.deviceIds[1]']);
    const none = await api(p, 'POST', '/jobs', { document: {}, targets: {} });
    assert.deepEqual([none.status, none.body.error.field], [422, 'targets']);
    const rate = await api(p, 'POST', '/jobs', {
      document: {},
      targets: { deviceIds: ['lock-1'] },
      jobExecutionsRolloutConfig: { maximumPerMinute: 0 },
    });
    assert.equal(rate.status, 422);
    assert.match(rate.body.error.field, /maximumPerMinute/);
    const dup = await api(p, 'POST', '/jobs', {
      jobId: 'fw-4',
      document: {},
      targets: { deviceIds: ['lock-1'] },
    });
    assert.equal(dup.status, 409);
    assert.equal((await api(p, 'GET', '/jobs/nope')).status, 404);

    const del = await api(p, 'DELETE', '/jobs/fw-4');
    assert.equal(del.status, 409, 'pending executions need force');
    const mark = other.inbox.messages.length;
    assert.equal((await api(p, 'DELETE', '/jobs/fw-4?force=true')).status, 204);
    await other.inbox.next('$aws/things/lock-2/jobs/notify', mark);
    assert.equal((await api(p, 'GET', '/jobs/fw-4')).status, 404);
  });
});

describe('jobs survive a restart', () => {
  test('an accepted start-next is durable: the restarted platform answers from it', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dataDir = mkdtempSync(join(tmpdir(), 'jobs-restart-'));
    try {
      let p = await startTestPlatform({ dataDir });
      const secret = await registerDevice(p, 'b-1');
      await api(p, 'POST', '/jobs', { jobId: 'j', document: { v: 1 }, targets: { deviceIds: ['b-1'] } });
      let c = await connect(p.mqttUrl, 'b-1', { username: 'b-1', password: secret });
      const { Inbox } = await import('./e2e-helpers.js');
      let d = { client: c, inbox: new Inbox(c) };
      await c.subscribeAsync('$aws/things/b-1/jobs/#', { qos: 1 });
      const started = await ask(d, '$aws/things/b-1/jobs/start-next', { statusDetails: { p: '10' } });
      assert.equal(started.body.execution.versionNumber, 2);
      await endClient(c);
      await p.close();
      p = await startTestPlatform({ dataDir });
      c = await connect(p.mqttUrl, 'b-1', { username: 'b-1', password: secret });
      d = { client: c, inbox: new Inbox(c) };
      await c.subscribeAsync('$aws/things/b-1/jobs/#', { qos: 1 });
      const got = await ask(d, '$aws/things/b-1/jobs/j/get', {});
      assert.deepEqual(
        [got.body.execution.status, got.body.execution.versionNumber, got.body.execution.statusDetails],
        ['IN_PROGRESS', 2, { p: '10' }],
      );
      await endClient(c);
      await p.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
