/**
 * The behaviour every JobsStore adapter must have: run by `jobs-store.test.ts` against SQLite and
 * the real PostgreSQL server.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { JobsStore } from './jobs-store.js';
import { makeJob, next } from './test-fixtures.js';

export type OpenStore = (t: TestContext) => Promise<JobsStore | undefined>;

export function jobsStoreContract(name: string, open: OpenStore): void {
  const withStore = (title: string, fn: (s: JobsStore) => Promise<void>): void =>
    void test(`${name}: ${title}`, async (t) => {
      const s = await open(t);
      if (s) await fn(s);
    });

  withStore('a job with its targets; releases go in target order, each once', async (s) => {
    await s.createJob(makeJob('j1'), ['d3', 'd1', 'd2']);
    assert.equal((await s.getJob('j1'))?.document.version, '2.0.0');
    assert.equal((await s.counts('j1')).PENDING_ROLLOUT, 3);
    const first = await s.releaseTargets('j1', 2, 5000);
    assert.deepEqual(
      first.map((e) => e.deviceId),
      ['d3', 'd1'],
    );
    assert.deepEqual(
      [first[0]!.status, first[0]!.executionNumber, first[0]!.versionNumber],
      ['QUEUED', 1, 1],
    );
    const rest = await s.releaseTargets('j1', 5, 6000);
    assert.deepEqual(
      rest.map((e) => e.deviceId),
      ['d2'],
    );
    assert.deepEqual(await s.releaseTargets('j1', 5, 7000), []);
    const c = await s.counts('j1');
    assert.deepEqual([c.QUEUED, c.PENDING_ROLLOUT, c.IN_PROGRESS], [3, 0, 0]);
    assert.deepEqual(await s.jobsTargeting('d1'), ['j1']);
    assert.equal(await s.isTarget('j1', 'd9'), false);
  });

  withStore('execution writes are compare-and-set on the version number', async (s) => {
    await s.createJob(makeJob('j1'), ['d1']);
    const [e] = await s.releaseTargets('j1', 1, 10);
    const started = next(e!, { status: 'IN_PROGRESS', startedAt: 20, lastUpdatedAt: 20, timeoutAt: 80 });
    assert.equal(await s.commitExecution({ update: started, expectVersion: 1 }), true);
    assert.equal(
      await s.commitExecution({ update: next(e!, { status: 'FAILED' }), expectVersion: 1 }),
      false,
      'stale',
    );
    const got = await s.getExecution('j1', 'd1');
    assert.deepEqual(
      [got?.status, got?.versionNumber, got?.startedAt, got?.timeoutAt],
      ['IN_PROGRESS', 2, 20, 80],
    );
    assert.deepEqual((await s.dueTimeouts(79, 10)).length, 0);
    assert.deepEqual(
      (await s.dueTimeouts(80, 10)).map((x) => x.deviceId),
      ['d1'],
    );
  });

  withStore('a retry is a new execution; only the latest counts and is pending', async (s) => {
    await s.createJob(makeJob('j1'), ['d1']);
    const [e] = await s.releaseTargets('j1', 1, 10);
    const failed = next(e!, { status: 'FAILED', lastUpdatedAt: 30 });
    const retry = {
      ...e!,
      executionNumber: 2,
      versionNumber: 1,
      queuedAt: 30,
      lastUpdatedAt: 30,
      retriesFailed: 1,
    };
    assert.equal(await s.commitExecution({ update: failed, expectVersion: 1, insert: retry }), true);
    assert.equal((await s.getExecution('j1', 'd1'))?.executionNumber, 2);
    assert.equal((await s.getExecution('j1', 'd1', 1))?.status, 'FAILED');
    const c = await s.counts('j1');
    assert.deepEqual([c.QUEUED, c.FAILED], [1, 0]);
    assert.deepEqual(
      (await s.pendingFor('d1')).map((x) => x.executionNumber),
      [2],
    );
    assert.equal(
      (await s.listExecutions({ jobId: 'j1', latestOnly: false, limit: 10, offset: 0 })).length,
      2,
    );
  });

  withStore(
    'pending executions of a device, oldest first; cancel spares IN_PROGRESS unless forced',
    async (s) => {
      await s.createJob(makeJob('a'), ['d1', 'd2']);
      await s.createJob(makeJob('b'), ['d1']);
      await s.releaseTargets('a', 2, 100);
      const [b] = await s.releaseTargets('b', 1, 200);
      assert.deepEqual(
        (await s.pendingFor('d1')).map((e) => e.jobId),
        ['a', 'b'],
      );
      const a1 = (await s.getExecution('a', 'd1'))!;
      await s.commitExecution({
        update: next(a1, { status: 'IN_PROGRESS', startedAt: 300 }),
        expectVersion: 1,
      });
      const canceled = await s.cancelExecutions('a', false, 400);
      assert.deepEqual(
        canceled.map((e) => [e.deviceId, e.status, e.versionNumber]),
        [['d2', 'CANCELED', 2]],
      );
      assert.equal((await s.getExecution('a', 'd1'))?.status, 'IN_PROGRESS');
      const forced = await s.cancelExecutions('a', true, 500);
      assert.deepEqual(
        forced.map((e) => [e.deviceId, e.status]),
        [['d1', 'CANCELED']],
      );
      assert.deepEqual(
        (await s.pendingFor('d1')).map((e) => e.jobId),
        ['b'],
      );
      assert.equal(b?.status, 'QUEUED');
    },
  );

  withStore('a removed device: pending executions REMOVED, unreleased targets dropped', async (s) => {
    await s.createJob(makeJob('a'), ['d1']);
    await s.createJob(makeJob('b'), ['d1', 'd2']);
    await s.releaseTargets('a', 1, 10);
    const removed = await s.removeDevice('d1', 20);
    assert.deepEqual(
      removed.map((e) => [e.jobId, e.status]),
      [['a', 'REMOVED']],
    );
    assert.equal((await s.counts('b')).PENDING_ROLLOUT, 1);
    assert.equal((await s.counts('a')).REMOVED, 1);
  });

  withStore('jobs: compare-and-set on revision, active list, continuous targets, delete', async (s) => {
    const j = makeJob('j1', { continuous: true });
    await s.createJob(j, ['d1']);
    const got = (await s.getJob('j1'))!;
    assert.equal(got.continuous, true);
    got.status = 'PAUSED';
    got.reason = 'health gate';
    assert.equal(await s.updateJob(got, 1), true);
    assert.equal(got.revision, 2);
    assert.equal(await s.updateJob({ ...got, status: 'CANCELED' }, 1), false);
    assert.deepEqual(
      (await s.activeJobs()).map((x) => [x.id, x.status, x.reason]),
      [['j1', 'PAUSED', 'health gate']],
    );
    assert.equal(await s.addTargets('j1', ['d1', 'd2', 'd3']), 2);
    const rel = await s.releaseTargets('j1', 10, 50);
    assert.deepEqual(
      rel.map((e) => e.deviceId),
      ['d1', 'd2', 'd3'],
    );
    await s.addTimeline('j1', { at: 1, event: 'created' });
    await s.addTimeline('j1', { at: 2, event: 'paused', detail: { why: 'x' } });
    assert.deepEqual(await s.timeline('j1', 10), [
      { at: 1, event: 'created' },
      { at: 2, event: 'paused', detail: { why: 'x' } },
    ]);
    assert.deepEqual(
      (await s.listJobs({ limit: 10, offset: 0 })).map((x) => x.id),
      ['j1'],
    );
    assert.equal(await s.deleteJob('j1'), true);
    assert.equal(await s.getJob('j1'), undefined);
    assert.equal((await s.listExecutions({ jobId: 'j1', limit: 10, offset: 0 })).length, 0);
    assert.equal(await s.deleteJob('j1'), false);
  });

  withStore('artifacts by id or newest name; settings are set once', async (s) => {
    const a = {
      id: 'a1',
      name: 'fw.bin',
      size: 3,
      sha256: 'ab',
      signature: null,
      contentType: 'application/octet-stream',
      createdAt: 1,
    };
    await s.putArtifact(a);
    await s.putArtifact({ ...a, id: 'a2', createdAt: 2 });
    assert.equal((await s.findArtifact('fw.bin'))?.id, 'a2');
    assert.equal((await s.findArtifact('a1'))?.id, 'a1');
    assert.equal(await s.findArtifact('nope'), undefined);
    assert.equal((await s.listArtifacts(10, 0)).length, 2);
    assert.equal(await s.deleteArtifact('a1'), true);
    assert.equal(await s.setting('k', 'first'), 'first');
    assert.equal(await s.setting('k', 'second'), 'first');
  });

  withStore('health gate counts: signals after success count for the updated group', async (s) => {
    await s.createJob(makeJob('j1'), ['u1', 'u2', 'o1', 'o2', 'o3']);
    const rel = await s.releaseTargets('j1', 2, 10);
    for (const e of rel)
      await s.commitExecution({
        update: next(e, { status: 'SUCCEEDED', lastUpdatedAt: 100 }),
        expectVersion: 1,
      });
    await s.recordHealth('j1', 'u1', 50, 'hardware_error'); // before its update: not counted
    await s.recordHealth('j1', 'u2', 150, 'hardware_error');
    await s.recordHealth('j1', 'u2', 160, 'heartbeat_lost');
    await s.recordHealth('j1', 'o1', 150, 'heartbeat_lost');
    await s.recordHealth('j1', 'o2', 500, 'heartbeat_lost'); // outside the window
    assert.deepEqual(await s.gateCounts('j1', 0, 400), {
      updated: 2,
      updatedBad: 1,
      others: 3,
      othersBad: 1,
    });
  });
}
